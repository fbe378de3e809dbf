/* kubeconfig: exec credential plugins (client.authentication.k8s.io):
 * running the plugin with KUBERNETES_EXEC_INFO, reading the ExecCredential
 * it prints, and caching the credentials until shortly before they expire.
 * See include/peerscope/kubeconfig.h and src/kubeconfig_internal.h. */
#include "autoconfig.h"

#include "peerscope/kubeconfig.h"

#include "kubeconfig_internal.h"

#include "peerscope/codec.h"
#include "peerscope/http.h"
#include "peerscope/monotime.h"
#include "peerscope/term.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define KC_EXEC_MAX_OUT  (1024 * 1024)
#define KC_EXEC_TIMEOUT  30000 /* ms a plugin may run at most, whatever the caller */
#define KC_EXPIRY_MARGIN 60    /* refresh credentials this long before expiry */
#define KC_SLICE_MS      100   /* how often a wait looks at the caller's cancel flag */

/* ------------------------------------------------------------ running it */

/* Parses RFC 3339 ("2026-01-02T03:04:05Z", fraction and offset optional). */
static bool parse_time(const char *s, time_t *out)
{
	struct tm tm = {0};
	int consumed = 0;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	const char *p = s + consumed;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	long offset = 0;
	if (*p == '+' || *p == '-') {
		int hh, mm;
		if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
			return false;
		offset = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
	} else if (*p != 'Z' && *p != 'z') {
		return false;
	}
	*out = timegm(&tm) - offset;
	return true;
}

/* Everything a plugin run produced. */
struct exec_run {
	char *out, *errtext;
	size_t out_len, err_len;
	int status; /* waitpid status */
	bool timed_out, cancelled;
	int64_t deadline_ms; /* monotime */
	long timeout_ms;     /* for the message */
	const atomic_bool *cancel;
};

void kubeconfig_exec_creds_clear(struct kc_creds *c)
{
	codec_wipe_free(c->token);
	free(c->cert);
	codec_wipe_free(c->key);
	memset(c, 0, sizeof *c);
}

static bool stop_asked(const struct exec_run *run)
{
	return run->cancel && atomic_load(run->cancel);
}

static int append(char **buf, size_t *len, const char *data, size_t n)
{
	if (*len + n > KC_EXEC_MAX_OUT)
		return 0; /* keep the start; the rest is dropped */
	/* Not realloc: stdout holds the credential, and the old buffer is
	 * wiped before it goes back to the heap. */
	char *grown = malloc(*len + n + 1);
	if (!grown)
		return -1;
	if (*buf) {
		memcpy(grown, *buf, *len);
		codec_wipe(*buf, *len);
		free(*buf);
	}
	memcpy(grown + *len, data, n);
	*len += n;
	grown[*len] = '\0';
	*buf = grown;
	return 0;
}

/* Reads the plugin's stdout and stderr until both close, the deadline
 * passes or the caller asks to stop. */
static int drain(int outfd, int errfd, struct exec_run *run)
{
	struct pollfd fds[2] = {{.fd = outfd, .events = POLLIN}, {.fd = errfd, .events = POLLIN}};
	char buf[4096];

	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		int64_t left = monotime_left_ms(run->deadline_ms);
		if (stop_asked(run)) {
			run->cancelled = true;
			return 0;
		}
		if (left <= 0) {
			run->timed_out = true;
			return 0;
		}
		int n = poll(fds, 2, left > KC_SLICE_MS ? KC_SLICE_MS : (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			ssize_t got = read(fds[i].fd, buf, sizeof buf);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				fds[i].fd = -1;
				continue;
			}
			if (append(i ? &run->errtext : &run->out, i ? &run->err_len : &run->out_len,
			           buf, (size_t)got) != 0)
				return -1;
		}
	}
	return 0;
}

static char *b64_encode(const char *in, size_t len)
{
	static const char abc[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)(unsigned char)in[i + 1] << 8;
		if (i + 2 < len)
			v |= (unsigned char)in[i + 2];
		*o++ = abc[v >> 18 & 63];
		*o++ = abc[v >> 12 & 63];
		*o++ = i + 1 < len ? abc[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? abc[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* spec.cluster of KUBERNETES_EXEC_INFO (provideClusterInfo), as client-go
 * fills it: the CA comes from the data or from the file. */
static bool exec_cluster_info(cJSON *spec, const struct kc_cluster *c)
{
	cJSON *ci = cJSON_AddObjectToObject(spec, "cluster");
	char *ca = c->ca_data, errbuf[256];
	size_t ca_len = c->ca_len;
	bool ok = ci != NULL;

	if (ok && c->server)
		ok = cJSON_AddStringToObject(ci, "server", c->server) != NULL;
	if (ok && c->tls_server_name)
		ok = cJSON_AddStringToObject(ci, "tls-server-name", c->tls_server_name) != NULL;
	if (ok && c->proxy_url)
		ok = cJSON_AddStringToObject(ci, "proxy-url", c->proxy_url) != NULL;
	if (ok)
		ok = cJSON_AddBoolToObject(ci, "insecure-skip-tls-verify", c->insecure) != NULL;
	if (!ca && c->ca_file)
		ca = kubeconfig_read_file(c->ca_file, KC_MAX_FILE, 0, &ca_len, errbuf,
		                          sizeof errbuf);
	if (ok && ca) {
		char *b64 = b64_encode(ca, ca_len);
		ok = b64 && cJSON_AddStringToObject(ci, "certificate-authority-data", b64);
		free(b64);
	}
	if (ca != c->ca_data)
		free(ca);
	return ok;
}

static char *exec_info(const struct kc_exec *e, const struct kc_cluster *c)
{
	cJSON *root = cJSON_CreateObject(), *spec = NULL;
	char *text = NULL;
	bool ok = root != NULL;

	ok = ok && cJSON_AddStringToObject(root, "apiVersion", e->api_version);
	ok = ok && cJSON_AddStringToObject(root, "kind", "ExecCredential");
	ok = ok && (spec = cJSON_AddObjectToObject(root, "spec")) != NULL;
	ok = ok && cJSON_AddBoolToObject(spec, "interactive", false);
	if (ok && e->provide_cluster_info && c)
		ok = exec_cluster_info(spec, c);
	if (ok)
		text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return text;
}

/* environ + the plugin's env + KUBERNETES_EXEC_INFO. */
static char **exec_envp(const struct kc_exec *e, const char *info)
{
	size_t n = 0;

	while (environ && environ[n])
		n++;
	char **envp = calloc(n + e->nenv + 2, sizeof *envp);
	if (!envp)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "KUBERNETES_EXEC_INFO=", 21))
			envp[k++] = environ[i];
	for (size_t i = 0; i < e->nenv; i++)
		envp[k++] = e->env[i];
	envp[k] = malloc(strlen(info) + sizeof "KUBERNETES_EXEC_INFO=");
	if (!envp[k]) {
		free(envp);
		return NULL;
	}
	sprintf(envp[k], "KUBERNETES_EXEC_INFO=%s", info);
	return envp;
}

static void free_envp(char **envp)
{
	size_t k = 0;

	if (!envp)
		return;
	while (envp[k + 1])
		k++;
	free(envp[k]); /* the KUBERNETES_EXEC_INFO entry is the only one owned */
	free(envp);
}

static int spawn_plugin(const struct kc_exec *e, char **envp, struct exec_run *run, char *err,
                        size_t errlen)
{
	int outp[2] = {-1, -1}, errp[2] = {-1, -1};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	pid_t pid;
	int rc = -1;

	if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "exec plugin '%s': %s", e->command, strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	/* Its own process group: a plugin stopped at the deadline goes with
	 * whatever it started. */
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	int sp = posix_spawnp(&pid, e->command, &fa, &attr, e->args, envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	if (sp != 0) {
		term_snprintf(err, errlen, "exec plugin '%s' could not be started: %s%s%s",
		              e->command, strerror(sp), e->install_hint ? "; " : "",
		              e->install_hint ? e->install_hint : "");
		goto out;
	}
	rc = drain(outp[0], errp[0], run);
	if (rc != 0)
		snprintf(err, errlen, "exec plugin '%s': reading its output: %s", e->command,
		         strerror(errno));
	if (rc != 0 || run->timed_out || run->cancelled)
		kill(-pid, SIGKILL);
	while (waitpid(pid, &run->status, 0) < 0 && errno == EINTR)
		;
out:
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	return rc;
}

static void plugin_failed(const struct kc_exec *e, const struct exec_run *run, const char *why,
                          char *err, size_t errlen)
{
	const char *stderr_text = run->errtext ? run->errtext : "";
	size_t len = strlen(stderr_text);

	while (len && (stderr_text[len - 1] == '\n' || stderr_text[len - 1] == ' '))
		len--;
	char *said = strndup(stderr_text, len);
	/* The plugin's stderr is its own words: term_snprintf makes them safe. */
	term_snprintf(err, errlen, "exec plugin '%s' %s%s%.1000s%s%s", e->command, why,
	              len ? ": " : "", said ? said : "", e->install_hint ? "; " : "",
	              e->install_hint ? e->install_hint : "");
	free(said);
}

/* ---------------------------------------------------------- ExecCredential */

static char *json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) && v->valuestring[0] ? strdup(v->valuestring) : NULL;
}

/* See kubeconfig_internal.h. Never quotes OUT, which holds the secret. */
int kubeconfig_exec_decode(const char *command, const char *api_version, const char *out,
                           struct kc_creds *cr, char *err, size_t errlen)
{
	cJSON *root = cJSON_Parse(out);
	int rc = -1;

	if (!cJSON_IsObject(root)) {
		snprintf(err, errlen, "exec plugin '%s' printed no ExecCredential JSON", command);
		goto out;
	}
	const cJSON *api = cJSON_GetObjectItemCaseSensitive(root, "apiVersion");
	if (!cJSON_IsString(api) || strcmp(api->valuestring, api_version)) {
		snprintf(err, errlen, "exec plugin '%s' answered with apiVersion %s, expected %s",
		         command, cJSON_IsString(api) ? api->valuestring : "(none)", api_version);
		goto out;
	}
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(root, "status");
	char *token = json_str(status, "token");
	char *cert = json_str(status, "clientCertificateData");
	char *key = json_str(status, "clientKeyData");
	if (!token && !(cert && key)) {
		snprintf(err, errlen,
		         "exec plugin '%s': status has neither a token nor both "
		         "clientCertificateData and clientKeyData",
		         command);
		codec_wipe_free(token);
		free(cert);
		codec_wipe_free(key);
		goto out;
	}
	if (token && !http_header_safe(token)) {
		snprintf(err, errlen,
		         "exec plugin '%s': status.token holds a line break or another control "
		         "character: refused (it would be sent as request headers of its own)",
		         command);
		codec_wipe_free(token);
		free(cert);
		codec_wipe_free(key);
		goto out;
	}
	time_t expires = 0;
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(status, "expirationTimestamp");
	if (cJSON_IsString(exp) && !parse_time(exp->valuestring, &expires))
		expires = 1; /* unreadable: treat as already expired, so ask again */
	cr->token = token;
	cr->cert = cert;
	cr->key = key;
	cr->expires = expires;
	rc = 0;
out:
	codec_json_wipe(root); /* the tree's copy of the credential */
	cJSON_Delete(root);
	return rc;
}

/* Runs plugin E (its settings do not change while it runs; no lock is
 * held) until W's deadline or cancel, into *CR. */
static int run_plugin(const struct kc_exec *e, const struct kc_cluster *c,
                      const struct kubeconfig_wait *w, struct kc_creds *cr, char *err,
                      size_t errlen)
{
	struct exec_run run = {.cancel = w ? w->cancel : NULL};
	char *info = NULL, **envp = NULL;
	int rc = -1;

	run.deadline_ms = monotime_ms() + KC_EXEC_TIMEOUT;
	if (w && w->deadline_ms && w->deadline_ms < run.deadline_ms)
		run.deadline_ms = w->deadline_ms;
	run.timeout_ms = (long)monotime_left_ms(run.deadline_ms);

	if (e->interactive_always) {
		snprintf(err, errlen,
		         "exec plugin '%s' needs an interactive terminal (interactiveMode: Always)",
		         e->command);
		return -1;
	}
	info = exec_info(e, c);
	envp = info ? exec_envp(e, info) : NULL;
	if (!envp) {
		snprintf(err, errlen, "exec plugin '%s': out of memory", e->command);
		goto out;
	}
	if (spawn_plugin(e, envp, &run, err, errlen) != 0)
		goto out;
	if (run.cancelled) {
		plugin_failed(e, &run, "was stopped: peerscope is closing", err, errlen);
		goto out;
	}
	if (run.timed_out) {
		char why[64];
		snprintf(why, sizeof why, "did not finish within %.1f s",
		         (double)run.timeout_ms / 1000.0);
		plugin_failed(e, &run, why, err, errlen);
		goto out;
	}
	if (!WIFEXITED(run.status) || WEXITSTATUS(run.status) != 0) {
		char why[64];
		if (WIFEXITED(run.status))
			snprintf(why, sizeof why, "failed with exit status %d",
			         WEXITSTATUS(run.status));
		else
			snprintf(why, sizeof why, "was killed by signal %d",
			         WIFSIGNALED(run.status) ? WTERMSIG(run.status) : 0);
		plugin_failed(e, &run, why, err, errlen);
		goto out;
	}
	rc = kubeconfig_exec_decode(e->command, e->api_version, run.out ? run.out : "", cr, err,
	                            errlen);
out:
	codec_wipe(run.out, run.out_len);
	free(run.out);
	free(run.errtext);
	free_envp(envp);
	free(info);
	return rc;
}

/* ------------------------------------------------------------ the cache */

/* Waits while another thread runs E's plugin (LOCK held, released while
 * waiting). -1 with ERR when W's deadline passes or it asks to stop. */
static int wait_other_run(struct kc_exec *e, pthread_mutex_t *lock, pthread_cond_t *cond,
                          const struct kubeconfig_wait *w, char *err, size_t errlen)
{
	while (e->running) {
		if ((w && w->cancel && atomic_load(w->cancel)) ||
		    (w && w->deadline_ms && monotime_left_ms(w->deadline_ms) <= 0)) {
			snprintf(err, errlen,
			         "exec plugin '%s': %s while it ran for another cluster",
			         e->command,
			         w->cancel && atomic_load(w->cancel) ? "stopped waiting"
			                                             : "the deadline passed");
			return -1;
		}
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += KC_SLICE_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(cond, lock, &until);
	}
	return 0;
}

/* See kubeconfig_internal.h. */
int kubeconfig_exec_fill(struct kc_exec *e, const struct kc_cluster *c, time_t now,
                         const struct kubeconfig_wait *w, pthread_mutex_t *lock,
                         pthread_cond_t *cond, struct kubeconfig_endpoint *ep, char *err,
                         size_t errlen)
{
	bool oom = false;
	int rc = 0;

	if (wait_other_run(e, lock, cond, w, err, errlen) != 0)
		return -1;
	if (!e->cached || (e->expires && now + KC_EXPIRY_MARGIN >= e->expires)) {
		struct kc_creds cr = {0};
		/* The plugin runs without the lock: other users' plugins and
		 * every cached credential stay available meanwhile. */
		e->running = true;
		pthread_mutex_unlock(lock);
		rc = run_plugin(e, c, w, &cr, err, errlen);
		pthread_mutex_lock(lock);
		e->running = false;
		pthread_cond_broadcast(cond);
		if (rc == 0) {
			codec_wipe_free(e->token);
			free(e->cert);
			codec_wipe_free(e->key);
			e->token = cr.token;
			e->cert = cr.cert;
			e->key = cr.key;
			e->expires = cr.expires;
			e->cached = true;
			memset(&cr, 0, sizeof cr);
		}
		kubeconfig_exec_creds_clear(&cr);
	}
	if (rc == 0) {
		ep->from_exec = true;
		ep->expires = e->expires;
		if (e->token) {
			codec_wipe_free(ep->token);
			ep->token = strdup(e->token);
			oom |= !ep->token;
		}
		if (e->cert) {
			free(ep->cert_data);
			codec_wipe(ep->key_data, ep->key_data_len);
			free(ep->key_data);
			ep->cert_data = strdup(e->cert);
			ep->cert_data_len = strlen(e->cert);
			ep->key_data = e->key ? strdup(e->key) : NULL;
			ep->key_data_len = e->key ? strlen(e->key) : 0;
			oom |= !ep->cert_data || (e->key && !ep->key_data);
		}
	}
	if (rc == 0 && oom) {
		snprintf(err, errlen, "kubeconfig: out of memory");
		return -1;
	}
	return rc;
}

void kubeconfig_exec_free(struct kc_exec *e)
{
	if (!e)
		return;
	free(e->api_version);
	free(e->command);
	for (size_t i = 1; i < e->nargs; i++)
		free(e->args[i]);
	free(e->args);
	for (size_t i = 0; i < e->nenv; i++)
		codec_wipe_free(e->env[i]);
	free(e->env);
	free(e->install_hint);
	codec_wipe_free(e->token);
	free(e->cert);
	codec_wipe_free(e->key);
	free(e);
}
