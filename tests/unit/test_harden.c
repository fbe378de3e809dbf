/* Hardening of what leaves the program: the audit log's message and the
 * operations' step notes quote servers, and are safe to show (term.h). */
#include "autoconfig.h"

#include "httpd.h"
#include "unit.h"

#include "peerscope/audit.h"
#include "peerscope/config.h"
#include "peerscope/http.h"
#include "peerscope/kube.h"
#include "peerscope/kubeconfig.h"
#include "peerscope/monotime.h"
#include "peerscope/redact.h"
#include "peerscope/session.h"
#include "peerscope/store.h"
#include "peerscope/term.h"
#include "peerscope/theme.h"

#include "../../src/ops/ops_internal.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HOSTILE                                                                                    \
	"denied\x1b]0;pwn\x07\xc2\x9b"                                                             \
	"2J\xe2\x80\xae\xff"

START_TEST(audit_message_is_safe)
{
	char dir[] = "/tmp/peerscope-audit-XXXXXX", path[128], err[256], line[2048];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/audit.log", dir);
	struct audit *a = audit_open(path, err, sizeof err);
	ck_assert_msg(a != NULL, "%s", err);
	struct audit_record r = {.op_id = "op",
	                         .operation = "peer",
	                         .cluster = "c\xff",
	                         .verb = "create",
	                         .kind = "Secret",
	                         .name = "s",
	                         .status = 403,
	                         .message = HOSTILE " tok-secret-1234",
	                         .secret = "tok-secret-1234"};
	ck_assert_int_eq(audit_write(a, &r), 0);
	audit_close(a);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	ck_assert_msg(term_is_safe(line, 0), "audit line: %s", line);
	ck_assert_msg(!strstr(line, "tok-secret-1234"), "%s", line);
	cJSON *j = cJSON_Parse(line);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "message")->valuestring,
	                 "denied\\x1b]0;pwn\\x07\\u009b2J\\u202e\xef\xbf\xbd [REDACTED]");
	ck_assert_str_eq(cJSON_GetObjectItem(j, "cluster")->valuestring, "c\xef\xbf\xbd");
	cJSON_Delete(j);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(step_notes_are_safe)
{
	struct ops_step s;

	memset(&s, 0, sizeof s);
	ops_note(&s, "the server said: %s", HOSTILE);
	ck_assert_msg(term_is_safe(s.note, 0), "%s", s.note);
	ck_assert_str_eq(s.note,
	                 "the server said: denied\\x1b]0;pwn\\x07\\u009b2J\\u202e\xef\xbf\xbd");
}
END_TEST

static const char *red(const char *url)
{
	static char out[512];

	redact_url(url, out, sizeof out);
	return out;
}

START_TEST(one_redaction_rule)
{
	ck_assert_str_eq(red("https://user:pw@h:8501/v1?token=abc&dc=dc1"),
	                 "https://h:8501/v1?token=REDACTED&dc=dc1");
	/* Without a scheme, with an '@' in the password, in upper case. */
	ck_assert_str_eq(red("ops:p@ss@10.0.0.5:8500"), "10.0.0.5:8500");
	ck_assert_str_eq(red("HTTPS://a:b@H/x"), "HTTPS://H/x");
	/* Percent-encoded names, ';' separators, the fragment. */
	ck_assert_str_eq(red("http://h/?%74oken=x;Password=y&ok=1#access_token=z&state=s"),
	                 "http://h/?%74oken=REDACTED;Password=REDACTED&ok=1"
	                 "#access_token=REDACTED&state=s");
	ck_assert_str_eq(red("http://h/?x-consul-token=1&api_key=2&sig=3&key=4&keys=5"),
	                 "http://h/?x-consul-token=REDACTED&api_key=REDACTED&sig=REDACTED"
	                 "&key=REDACTED&keys=5");
	/* Nothing to hide, and idempotent. */
	ck_assert_str_eq(red("http://h:8500/v1/peerings?index=5&wait=10s"),
	                 "http://h:8500/v1/peerings?index=5&wait=10s");
	char once[512];
	snprintf(once, sizeof once, "%s", red("https://u:p@h/?token=t"));
	ck_assert_str_eq(red(once), "https://h/?token=REDACTED");
	ck_assert_str_eq(red(""), "");
	ck_assert(redact_param_is_secret("Refresh_Token", 13));
	ck_assert(!redact_param_is_secret("tokens", 6));
}
END_TEST

START_TEST(echoed_secrets)
{
	char buf[64] = "token abcd and abcd again";

	redact_secret(buf, sizeof buf, "abcd");
	ck_assert_str_eq(buf, "token [REDACTED] and [REDACTED] again");
	/* A secret that is part of the mark does not loop. */
	char b2[64] = "REDACTED";
	redact_secret(b2, sizeof b2, "REDACTED");
	ck_assert_str_eq(b2, "[REDACTED]");
	char *d = redact_secret_dup("xyzw-xyzw", "xyzw");
	ck_assert_str_eq(d, "[REDACTED]-[REDACTED]");
	free(d);
	d = redact_secret_dup("short", "sho");
	ck_assert_str_eq(d, "short");
	free(d);
}
END_TEST

/* ------------------------------------------------------- temporary files */

static char dir[64];
static char err[2048];

static void tmp_setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/peerscope-harden-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void tmp_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* DIR/NAME with TEXT in it, mode MODE; returns its path (static). */
static const char *put_file(const char *name, const char *text, mode_t mode)
{
	static char path[4][256];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof path[0], "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	chmod(p, mode);
	return p;
}

/* A kubeconfig with one context "c" whose user is USER (YAML lines at the
 * user's level of indentation). */
static const char *kubeconfig_with_user(const char *user)
{
	char text[4096];

	snprintf(text, sizeof text,
	         "apiVersion: v1\nkind: Config\nclusters:\n- name: k\n"
	         "  cluster: {server: \"https://127.0.0.1:6443\"}\nusers:\n- name: u\n"
	         "  user:\n%s\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n",
	         user);
	return put_file("kubeconfig", text, 0600);
}

/* ------------------------------------------------------------ line breaks */

#define INJECTED "tok\r\nX-Injected: yes"

START_TEST(token_line_break_http)
{
	struct httpd *srv = httpd_start();
	char base[64];
	struct http_error e;

	snprintf(base, sizeof base, "http://127.0.0.1:%d", httpd_port(srv));
	for (int which = 0; which < 2; which++) {
		struct http_options o = {.cluster = "c", .base_url = base, .proxy_url = ""};
		if (which)
			o.auth.bearer_token = INJECTED;
		else
			o.auth.consul_token = INJECTED;
		struct http_client *c = http_client_new(&o, &e);
		if (c) {
			/* What the server would have seen. */
			struct http_request req = {.path = "/echo"};
			struct http_response r = {0};
			http_do(c, &req, &r, &e);
			ck_assert_msg(!r.body || !strstr(r.body, "\r\nX-Injected: yes"),
			              "the token added a header: %s", r.body);
			http_response_clear(&r);
			http_client_free(c);
		}
		ck_assert_msg(c == NULL, "a token with a line break was accepted");
		ck_assert_int_eq(e.kind, HTTP_ERR_USAGE);
		ck_assert_msg(strstr(e.message, "line break"), "%s", e.message);
		ck_assert_msg(!strstr(e.message, "X-Injected"), "the token is in: %s", e.message);
	}
	httpd_stop(srv);
}
END_TEST

START_TEST(token_file_line_break)
{
	char name[] = "c1";
	struct config_cluster c = {.name = name};
	char *token = NULL;

	c.consul.token_file = (char *)put_file("t1", "  first\nX-Injected: yes\n", 0600);
	ck_assert_int_eq(config_consul_token(&c, &token, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "token file") && strstr(err, "/t1") && strstr(err, "line break"),
	              "%s", err);
	ck_assert_msg(!strstr(err, "Injected"), "%s", err);
	/* A trailing newline (and blanks around) are trimmed, as Consul does. */
	c.consul.token_file = (char *)put_file("t2", " \tgood-token\r\n\n", 0600);
	ck_assert_int_eq(config_consul_token(&c, &token, err, sizeof err), 0);
	ck_assert_str_eq(token, "good-token");
	config_token_free(token);
}
END_TEST

START_TEST(kubeconfig_token_line_break)
{
	struct kubeconfig_endpoint ep;
	struct kubeconfig *kc;

	/* Inline: refused at load, with file:line. */
	kc = kubeconfig_load(kubeconfig_with_user("    token: \"abc\\r\\nX-Injected: yes\""), true,
	                     err, sizeof err);
	ck_assert_msg(kc == NULL, "an inline token with a line break was accepted");
	ck_assert_msg(strstr(err, "kubeconfig:9:") && strstr(err, "line break"), "%s", err);
	ck_assert_msg(!strstr(err, "Injected"), "%s", err);

	/* tokenFile: two lines refused, a trailing newline trimmed. */
	char user[512];
	snprintf(user, sizeof user, "    tokenFile: %s",
	         put_file("tf", "abc\nX-Injected: yes\n", 0600));
	kc = kubeconfig_load(kubeconfig_with_user(user), true, err, sizeof err);
	ck_assert_msg(kc != NULL, "%s", err);
	ck_assert_int_eq(kubeconfig_resolve(kc, "c", time(NULL), &ep, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "/tf") && strstr(err, "line break"), "%s", err);
	ck_assert_msg(!strstr(err, "Injected"), "%s", err);
	put_file("tf", "  abc\n", 0600);
	ck_assert_int_eq(kubeconfig_resolve(kc, "c", time(NULL), &ep, err, sizeof err), 0);
	ck_assert_str_eq(ep.token, "abc");
	kubeconfig_endpoint_clear(&ep);
	kubeconfig_free(kc);

	/* An exec plugin's status.token. */
	snprintf(user, sizeof user,
	         "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
	         "      command: %s\n      interactiveMode: Never",
	         put_file("plugin",
	                  "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\","
	                  "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"a\\r\\nX-Injected: "
	                  "yes\"}}'\n",
	                  0700));
	kc = kubeconfig_load(kubeconfig_with_user(user), true, err, sizeof err);
	ck_assert_msg(kc != NULL, "%s", err);
	ck_assert_int_eq(kubeconfig_resolve(kc, "c", time(NULL), &ep, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "status.token") && strstr(err, "line break"), "%s", err);
	ck_assert_msg(!strstr(err, "Injected"), "%s", err);
	kubeconfig_free(kc);
}
END_TEST

/* ----------------------------------------------------- http:// servers */

START_TEST(no_credentials_over_http)
{
	struct httpd *srv = httpd_start();
	char user[1024], text[4096];
	struct kubeconfig_endpoint ep;
	struct http_error e;
	const char *marker = put_file("ran", "", 0600);

	unlink(marker);
	snprintf(user, sizeof user, "%s/plugin", dir);
	put_file("plugin",
	         "#!/bin/sh\ntouch \"$(dirname \"$0\")/ran\"\necho '{\"apiVersion\":"
	         "\"client.authentication.k8s.io/v1\",\"status\":{\"token\":\"exec-tok-1\"}}'\n",
	         0700);
	snprintf(text, sizeof text,
	         "clusters:\n- name: k\n  cluster: {server: \"http://127.0.0.1:%d\"}\n"
	         "users:\n- name: t\n  user: {token: plain-tok-1}\n"
	         "- name: x\n  user:\n    exec: {apiVersion: client.authentication.k8s.io/v1, "
	         "command: %s, interactiveMode: Never}\n"
	         "contexts:\n- name: ct\n  context: {cluster: k, user: t}\n"
	         "- name: cx\n  context: {cluster: k, user: x}\n",
	         httpd_port(srv), user);
	struct kubeconfig *kc = kubeconfig_load(put_file("kc", text, 0600), true, err, sizeof err);
	ck_assert_msg(kc != NULL, "%s", err);

	/* The exec plugin is not even run for an http:// server. */
	ck_assert_int_eq(kubeconfig_resolve(kc, "cx", time(NULL), &ep, err, sizeof err), 0);
	ck_assert_ptr_null(ep.token);
	ck_assert(ep.credentials_withheld);
	ck_assert_msg(access(marker, F_OK) != 0, "the exec plugin ran");
	kubeconfig_endpoint_clear(&ep);

	ck_assert_int_eq(kubeconfig_resolve(kc, "ct", time(NULL), &ep, err, sizeof err), 0);
	struct http_options o = {.cluster = "c", .proxy_url = ""};
	kubeconfig_http_options(&ep, &o);
	struct http_client *c = http_client_new(&o, &e);
	ck_assert_ptr_nonnull(c);
	struct http_request req = {.path = "/echo"};
	struct http_response r = {0};
	ck_assert_int_eq(http_do(c, &req, &r, &e), 0);
	ck_assert_msg(!strstr(r.body, "plain-tok-1") && !strstr(r.body, "Authorization"),
	              "sent over plain HTTP: %s", r.body);
	http_response_clear(&r);
	/* A 401 says why nothing was sent. */
	req.path = "/unauthorized";
	ck_assert_int_eq(http_do(c, &req, &r, &e), -1);
	ck_assert_int_eq(e.status, 401);
	ck_assert_msg(strstr(e.message, "Unauthorized (the kubeconfig's credentials are not sent "
	                                "to a plain http:// server"),
	              "%s", e.message);
	http_response_clear(&r);
	http_client_free(c);
	kubeconfig_endpoint_clear(&ep);
	kubeconfig_free(kc);
	httpd_stop(srv);
}
END_TEST

/* ------------------------------------------------- hanging exec plugins */

static struct kubeconfig *hanging_plugin(void)
{
	char user[512];

	snprintf(user, sizeof user,
	         "    exec: {apiVersion: client.authentication.k8s.io/v1, command: %s, "
	         "interactiveMode: Never}",
	         put_file("hang", "#!/bin/sh\n: >\"$0.started\"\nexec sleep 60\n", 0700));
	struct kubeconfig *kc = kubeconfig_load(kubeconfig_with_user(user), true, err, sizeof err);
	ck_assert_msg(kc != NULL, "%s", err);
	return kc;
}

START_TEST(exec_plugin_deadline)
{
	struct kubeconfig *kc = hanging_plugin();
	struct kubeconfig_endpoint ep;
	struct kubeconfig_wait w = {.deadline_ms = monotime_ms() + 300};
	int64_t t0 = monotime_ms();

	const char *cmd = kubeconfig_exec_command(kc, "c");
	ck_assert_msg(cmd && strstr(cmd, "/hang"), "%s", cmd ? cmd : "(none)");
	ck_assert_int_eq(kubeconfig_resolve_within(kc, "c", time(NULL), &w, &ep, err, sizeof err),
	                 -1);
	ck_assert_msg(monotime_ms() - t0 < 1500, "took %lld ms", (long long)(monotime_ms() - t0));
	ck_assert_msg(strstr(err, "did not finish within 0.3 s"), "%s", err);
	kubeconfig_free(kc);
}
END_TEST

struct later {
	atomic_bool *flag;
	char started[300]; /* the file the hanging plugin makes when it runs */
};

/* Sets the flag once the plugin runs (5 s at most). */
static void *set_later(void *arg)
{
	struct later *l = arg;
	int64_t end = monotime_ms() + 5000;

	while (access(l->started, F_OK) != 0 && monotime_ms() < end)
		nanosleep(&(struct timespec){.tv_nsec = 1000000L}, NULL);
	atomic_store(l->flag, true);
	return NULL;
}

START_TEST(exec_plugin_cancel)
{
	struct kubeconfig *kc = hanging_plugin();
	struct kubeconfig_endpoint ep;
	atomic_bool stop;
	struct later l = {.flag = &stop};
	struct kubeconfig_wait w = {.cancel = &stop};
	pthread_t th;
	int64_t t0 = monotime_ms();

	snprintf(l.started, sizeof l.started, "%s/hang.started", dir);
	unlink(l.started);
	atomic_init(&stop, false);
	pthread_create(&th, NULL, set_later, &l);
	ck_assert_int_eq(kubeconfig_resolve_within(kc, "c", time(NULL), &w, &ep, err, sizeof err),
	                 -1);
	pthread_join(th, NULL);
	ck_assert_msg(monotime_ms() - t0 < 1500, "took %lld ms", (long long)(monotime_ms() - t0));
	ck_assert_msg(strstr(err, "was stopped"), "%s", err);
	kubeconfig_free(kc);
}
END_TEST

/* ---------------------------------------------------------------- memory */

/* AddressSanitizer keeps freed memory back (its quarantine, 256 MiB by
 * default), which a peak of resident memory counts too. */
#if defined(__SANITIZE_ADDRESS__)
#define QUARANTINE_MIB 256
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QUARANTINE_MIB 256
#endif
#endif
#ifndef QUARANTINE_MIB
#define QUARANTINE_MIB 0
#endif

/* The process's peak resident memory so far, in MiB. */
static long peak_mib(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "VmHWM:", 6))
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb / 1024;
}

START_TEST(request_caps)
{
	struct httpd *srv = httpd_start();
	char base[64];
	struct http_error e;

	snprintf(base, sizeof base, "http://127.0.0.1:%d", httpd_port(srv));
	struct http_options o = {.cluster = "c", .base_url = base, .proxy_url = ""};
	struct http_client *c = http_client_new(&o, &e);
	const char *paths[] = {"/endless/x", "/gzbomb/x"};
	for (int i = 0; i < 2; i++) {
		struct http_request req = {.path = paths[i], .max_body = 1 << 20};
		struct http_response r = {0};
		ck_assert_int_eq(http_do(c, &req, &r, &e), -1);
		ck_assert_int_eq(e.kind, HTTP_ERR_TOO_LARGE);
		ck_assert_msg(strstr(e.message, "larger than the limit of 1048576 bytes"), "%s: %s",
		              paths[i], e.message);
		http_response_clear(&r);
	}
	http_client_free(c);
	httpd_stop(srv);
}
END_TEST

/* Two clusters whose "Consul" answers every request with a gzip bomb or a
 * body without end: the pollers keep the process under its documented
 * peak, and every source says why it failed. */
START_TEST(hostile_bodies_are_capped)
{
	struct httpd *srv = httpd_start();
	char text[512], cfgpath[256];
	struct config_diags d = {0};
	struct config_args args;
	struct config *cfg = NULL;
	struct session *sess = NULL;
	struct session_options so = {.pollers = true,
	                             .poll = {.backoff_base_ms = 100, .backoff_max_ms = 500}};

	snprintf(
	        text, sizeof text,
	        "clusters:\n  - name: bomb\n    consul: {address: \"http://127.0.0.1:%d/gzbomb\"}\n"
	        "  - name: endless\n    consul: {address: \"http://127.0.0.1:%d/endless\"}\n",
	        httpd_port(srv), httpd_port(srv));
	snprintf(cfgpath, sizeof cfgpath, "%s", put_file("hostile.yaml", text, 0600));
	char a0[] = "peerscope", a1[] = "--config";
	char *argv[] = {a0, a1, cfgpath, NULL};
	ck_assert_int_eq(config_parse_args(3, argv, &args, &d), 0);
	char *envp[] = {NULL};
	ck_assert_int_eq(config_load(&args, envp, &cfg, &d), 0);
	long before = peak_mib();
	ck_assert_int_eq(session_open(cfg, NULL, &so, &sess, err, sizeof err), 0);
	/* Until both clusters' sources said why (or 30 s on a loaded machine). */
	char why_b[512] = "", why_e[512] = "";
	int64_t end = monotime_ms() + 30000;
	while (monotime_ms() < end && (!strstr(why_b, "larger than the limit") ||
	                               !strstr(why_e, "larger than the limit"))) {
		uint64_t gen = store_generation(session_store(sess));
		struct store_snapshot *b = store_get(session_store(sess), 0);
		struct store_snapshot *e = store_get(session_store(sess), 1);
		/* NULL: not published yet. */
		snprintf(why_b, sizeof why_b, "%s",
		         b ? b->sources[STORE_SRC_SERVICES].last_error : "");
		snprintf(why_e, sizeof why_e, "%s",
		         e ? e->sources[STORE_SRC_PEERINGS].last_error : "");
		store_snapshot_unref(b);
		store_snapshot_unref(e);
		store_wait(session_store(sess), gen, 200);
	}
	session_close(sess);
	long grew = peak_mib() - before;
	fprintf(stderr, "# peak grew by %ld MiB for two hostile clusters\n", grew);
	ck_assert_msg(strstr(why_b, "larger than the limit"), "bomb: %s", why_b);
	ck_assert_msg(strstr(why_e, "larger than the limit"), "endless: %s", why_e);
	/* doc/architecture.md: at most 2 x 48 MiB per cluster in bodies. */
	ck_assert_msg(grew < 2 * 2 * 48 + QUARANTINE_MIB, "the peak grew by %ld MiB", grew);
	config_free(cfg);
	config_args_free(&args);
	config_diags_free(&d);
	httpd_stop(srv);
}
END_TEST

/* Found by fuzz-kubeconfig: a key given twice leaked the first value (here
 * exec.args); it is now an error naming the key, as in kubectl. */
START_TEST(kubeconfig_key_twice)
{
	struct kubeconfig *kc = kubeconfig_load(
	        put_file("twice",
	                 "users:\n- name: u\n  user:\n    exec:\n"
	                 "      apiVersion: client.authentication.k8s.io/v1\n      command: x\n"
	                 "      args: [a]\n      args: [b]\n",
	                 0600),
	        true, err, sizeof err);
	ck_assert_msg(kc == NULL, "a key given twice was accepted");
	ck_assert_msg(strstr(err, "twice:8:7: exec: 'args' is given twice"), "%s", err);
}
END_TEST

/* ------------------------------------------------------------- odd files */

START_TEST(theme_too_deep)
{
	struct theme t;
	struct theme_diags d = {0};
	char *text = malloc(100010);

	strcpy(text, "roles: ");
	memset(text + 7, '[', 100000);
	text[100007] = '\0';
	const char *path = put_file("deep.yaml", text, 0600);
	ck_assert_int_eq(theme_load_file(path, &t, &d), -1);
	ck_assert_uint_ge(d.n, 1);
	ck_assert_msg(strstr(d.v[0], "deep.yaml:1:") && strstr(d.v[0], "nested deeper than 64"),
	              "%s", d.v[0]);
	theme_diags_free(&d);
	free(text);
}
END_TEST

START_TEST(theme_not_a_file)
{
	struct theme t;
	struct theme_diags d = {0};
	char path[128];

	/* A folder says so (it said "cannot read the theme" with no reason). */
	ck_assert_int_eq(theme_load_file(dir, &t, &d), -1);
	ck_assert_msg(strstr(d.v[0], "the theme is a directory"), "%s", d.v[0]);
	theme_diags_free(&d);
	/* A FIFO nobody writes is refused at once, not waited on. */
	snprintf(path, sizeof path, "%s/fifo.yaml", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(theme_load_file(path, &t, &d), -1);
	ck_assert_msg(strstr(d.v[0], "fifo.yaml: error: the theme is not a regular file"), "%s",
	              d.v[0]);
	theme_diags_free(&d);
}
END_TEST

/* ------------------------------------------------ errors that say what */

START_TEST(errors_say_what_happened)
{
	struct httpd *srv = httpd_start();
	char base[64], buf[1024];
	struct http_error e;

	snprintf(base, sizeof base, "http://127.0.0.1:%d", httpd_port(srv));
	struct http_options o = {.cluster = "c", .base_url = base, .proxy_url = ""};
	struct http_client *c = http_client_new(&o, &e);
	struct http_request req = {.path = "/redirect/x"};
	struct http_response r = {0};

	/* A redirect names where it goes (redacted), and that it is not followed. */
	ck_assert_int_eq(http_do(c, &req, &r, &e), -1);
	http_response_clear(&r);
	http_error_format(&e, buf, sizeof buf);
	ck_assert_msg(strstr(buf, "HTTP 302: redirected to https://login.example/sso?token=REDACTED"
	                          "&x=1 (peerscope does not follow redirects)"),
	              "%s", buf);
	ck_assert_msg(!strstr(buf, "s3cret") && !strstr(buf, "t0k3n"), "%s", buf);

	/* A header line too long for libcurl is not "out of memory". */
	req.path = "/longheader/x";
	ck_assert_int_eq(http_do(c, &req, &r, &e), -1);
	http_response_clear(&r);
	http_error_format(&e, buf, sizeof buf);
	ck_assert_msg(strstr(buf, "a header line longer than 102400 bytes"), "%s", buf);

	/* A Kubernetes error that is not a Status says its status once. */
	struct kube_object obj;
	ck_assert_int_eq(kube_get(c, KUBE_SECRET, "consul", "x", &obj, &e), -1);
	http_error_format(&e, buf, sizeof buf);
	ck_assert_msg(strstr(buf, "HTTP 404: Invalid URL path") &&
	                      !strstr(buf, "HTTP 404: HTTP 404"),
	              "%s", buf);
	http_client_free(c);

	/* A CA bundle over libcurl's limit for data in memory says so. */
	size_t big = 9000000;
	char *ca = malloc(big + 1);
	memset(ca, 'A', big);
	ca[big] = '\0';
	o.tls.ca_data = ca;
	c = http_client_new(&o, &e);
	if (c) {
		req.path = "/ok";
		http_do(c, &req, &r, &e);
		http_response_clear(&r);
		http_client_free(c);
	}
	http_error_format(&e, buf, sizeof buf);
	ck_assert_msg(!strstr(buf, "out of memory") && strstr(buf, "certificate authority") &&
	                      strstr(buf, "8000000"),
	              "%s", buf);
	free(ca);
	httpd_stop(srv);
}
END_TEST

START_TEST(bad_certificate_data)
{
	/* Base64 of "not a certificate". */
	struct kubeconfig *kc = kubeconfig_load(
	        put_file("badca",
	                 "clusters:\n- name: k\n  cluster:\n    server: https://127.0.0.1:1\n"
	                 "    certificate-authority-data: bm90IGEgY2VydGlmaWNhdGU=\n",
	                 0600),
	        true, err, sizeof err);
	ck_assert_msg(kc == NULL, "a CA that is not PEM was accepted");
	ck_assert_msg(strstr(err, "badca:5:") && strstr(err, "certificate-authority-data") &&
	                      strstr(err, "PEM"),
	              "%s", err);
}
END_TEST

static Suite *harden_suite(void)
{
	Suite *s = suite_create("harden");
	TCase *tc = tcase_create("output");

	tcase_add_test(tc, audit_message_is_safe);
	tcase_add_test(tc, step_notes_are_safe);
	suite_add_tcase(s, tc);
	tc = tcase_create("redact");
	tcase_add_test(tc, one_redaction_rule);
	tcase_add_test(tc, echoed_secrets);
	suite_add_tcase(s, tc);
	tc = tcase_create("tokens");
	tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, token_line_break_http);
	tcase_add_test(tc, token_file_line_break);
	tcase_add_test(tc, kubeconfig_token_line_break);
	suite_add_tcase(s, tc);
	tc = tcase_create("plain-http");
	tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, no_credentials_over_http);
	suite_add_tcase(s, tc);
	tc = tcase_create("exec-plugins");
	tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, exec_plugin_deadline);
	tcase_add_test(tc, exec_plugin_cancel);
	tcase_set_timeout(tc, 10);
	suite_add_tcase(s, tc);
	tc = tcase_create("memory");
	tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, request_caps);
	tcase_add_test(tc, hostile_bodies_are_capped);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, errors_say_what_happened);
	tcase_add_test(tc, bad_certificate_data);
	tcase_add_test(tc, kubeconfig_key_twice);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, theme_too_deep);
	tcase_add_test(tc, theme_not_a_file);
	tcase_set_timeout(tc, 10);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(harden_suite)
