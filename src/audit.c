/* audit: the JSON-lines log of every change peerscope makes to a cluster. */
#include "autoconfig.h"

#include "peerscope/audit.h"

#include "peerscope/redact.h"
#include "peerscope/term.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct audit {
	int fd;
	pthread_mutex_t lock;
	char path[4096];
};

static const char *env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (char *const *e = envp ? envp : environ; e && *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

const char *audit_default_path(char *const *envp, char *buf, size_t len)
{
	const char *state = env_get(envp, "XDG_STATE_HOME"), *home = env_get(envp, "HOME");
	int n;

	/* XDG: a relative XDG_STATE_HOME is invalid and ignored. */
	if (state && *state == '/')
		n = snprintf(buf, len, "%s/peerscope/audit.log", state);
	else if (home && *home)
		n = snprintf(buf, len, "%s/.local/state/peerscope/audit.log", home);
	else
		n = snprintf(buf, len, "%s", "");
	if (n < 0 || (size_t)n >= len)
		buf[0] = '\0';
	return buf;
}

/* mkdir -p of PATH's directory; the last level is made 0700, the ones above
 * with the umask's 0755 as any XDG directory. */
static int make_parent(const char *path, char *err, size_t errlen)
{
	char dir[4096];
	char *slash;

	snprintf(dir, sizeof dir, "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create the folder %s: %s", dir,
			         strerror(errno));
			return -1;
		}
		*p = '/';
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create the folder %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

struct audit *audit_open(const char *path, char *err, size_t errlen)
{
	struct audit *a;
	struct stat st;
	int fd;

	if (!path || !*path) {
		snprintf(err, errlen,
		         "no audit log: set --audit-log FILE (neither XDG_STATE_HOME nor HOME "
		         "is set)");
		return NULL;
	}
	if (strlen(path) >= sizeof a->path) {
		snprintf(err, errlen, "audit log %.200s...: the path is too long", path);
		return NULL;
	}
	if (make_parent(path, err, errlen) < 0)
		return NULL;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open the audit log %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "the audit log %s is not a regular file", path);
		close(fd);
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	a = calloc(1, sizeof *a);
	if (!a) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return NULL;
	}
	a->fd = fd;
	pthread_mutex_init(&a->lock, NULL);
	snprintf(a->path, sizeof a->path, "%s", path);
	return a;
}

void audit_close(struct audit *a)
{
	if (!a)
		return;
	close(a->fd);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

const char *audit_path(const struct audit *a)
{
	return a ? a->path : "";
}

static void now_text(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", base, (int)(ts.tv_nsec / 1000000) % 1000);
}

static void add(cJSON *o, const char *key, const char *v)
{
	cJSON_AddStringToObject(o, key, v ? v : "");
}

static char *line_of(const struct audit_record *r)
{
	cJSON *o = cJSON_CreateObject();
	char when[40], *msg = redact_secret_dup(r->message ? r->message : "", r->secret),
	               *text = NULL;

	if (!o || !msg)
		goto out;
	now_text(when, sizeof when);
	add(o, "time", when);
	add(o, "op", r->op_id);
	add(o, "operation", r->operation);
	add(o, "cluster", r->cluster);
	add(o, "context", r->context);
	add(o, "api", r->api);
	add(o, "verb", r->verb);
	add(o, "kind", r->kind);
	add(o, "namespace", r->ns);
	if (r->partition && *r->partition)
		add(o, "partition", r->partition);
	add(o, "name", r->name);
	cJSON_AddNumberToObject(o, "status", (double)r->status);
	add(o, "result", r->ok ? "ok" : "failed");
	/* The message quotes the server: made safe for whoever reads the log
	 * on a terminal; the line as a whole stays valid UTF-8 JSON. */
	char *shown = term_sanitize_dup(msg, 0);
	add(o, "message", shown ? shown : "");
	free(shown);
	char *raw = cJSON_PrintUnformatted(o);
	text = raw ? term_json(raw) : NULL;
	free(raw);
out:
	cJSON_Delete(o);
	free(msg);
	return text;
}

int audit_write(struct audit *a, const struct audit_record *r)
{
	char *text;
	size_t len;
	ssize_t w;
	int rc = 0;

	if (!a)
		return 0;
	text = line_of(r);
	if (!text) {
		errno = ENOMEM;
		return -1;
	}
	len = strlen(text);
	text[len++] = '\n'; /* replaces the NUL: written by length */
	pthread_mutex_lock(&a->lock);
	do
		w = write(a->fd, text, len);
	while (w < 0 && errno == EINTR);
	pthread_mutex_unlock(&a->lock);
	if (w != (ssize_t)len) {
		if (w >= 0)
			errno = EIO;
		rc = -1;
	}
	free(text);
	return rc;
}
