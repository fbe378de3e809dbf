/* script: parsing the dashboard's scripts (script.h). */
#include "autoconfig.h"

#include "peerscope/script.h"

#include "peerscope/actions.h"
#include "peerscope/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE  (1024 * 1024)
#define MAX_WORDS 40

static const char *const sim_commands[] = {"stop",     "start", "restart-consul", "gateway",
                                           "injector", "fault", "clear-faults"};

bool script_sim_command(const char *word)
{
	for (size_t i = 0; i < sizeof sim_commands / sizeof sim_commands[0]; i++)
		if (!strcmp(word, sim_commands[i]))
			return true;
	return false;
}

/* ------------------------------------------------------------ words */

struct words {
	char *v[MAX_WORDS];
	size_t n;
	bool quoted[MAX_WORDS];
};

static void words_free(struct words *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i]);
	w->n = 0;
}

/* Splits LINE into words; a '#' outside quotes ends it. 0, or -1 with a
 * reason in WHY. */
static int split(const char *line, struct words *w, char *why, size_t whylen)
{
	const char *p = line;

	w->n = 0;
	for (;;) {
		char buf[4096];
		size_t len = 0;
		bool quoted = false;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			return 0;
		if (w->n == MAX_WORDS) {
			snprintf(why, whylen, "more than %d words", MAX_WORDS);
			return -1;
		}
		if (*p == '"') {
			quoted = true;
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				if (len + 1 < sizeof buf)
					buf[len++] = *p;
			}
			if (*p != '"') {
				snprintf(why, whylen, "a quote is not closed");
				return -1;
			}
			p++;
		} else {
			while (*p && *p != ' ' && *p != '\t' && *p != '#' && len + 1 < sizeof buf)
				buf[len++] = *p++;
		}
		buf[len] = '\0';
		if (!(w->v[w->n] = strdup(buf))) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		w->quoted[w->n++] = quoted;
	}
}

/* ------------------------------------------------------------ steps */

static const char *const panes[] = {"clusters", "peerings", "gateways", "exports"};

static bool known_pane(const char *s)
{
	for (size_t i = 0; i < sizeof panes / sizeof panes[0]; i++)
		if (!strcmp(s, panes[i]))
			return true;
	return false;
}

static int need(const struct words *w, size_t min, size_t max, const char *usage, char *why,
                size_t whylen)
{
	if (w->n - 1 >= min && w->n - 1 <= max)
		return 0;
	snprintf(why, whylen, "%s", usage);
	return -1;
}

static int duration(const char *text, long *ms, char *why, size_t whylen)
{
	if (config_parse_duration(text, ms) && *ms >= 0)
		return 0;
	snprintf(why, whylen, "'%s' is not a duration (500ms, 2s, 1m)", text);
	return -1;
}

/* Joins words FROM.. with blanks into a malloc'd string. */
static char *join(const struct words *w, size_t from)
{
	size_t len = 1;
	char *s;

	for (size_t i = from; i < w->n; i++)
		len += strlen(w->v[i]) + 1;
	if (!(s = calloc(1, len)))
		return NULL;
	for (size_t i = from; i < w->n; i++) {
		if (i > from)
			strcat(s, " ");
		strcat(s, w->v[i]);
	}
	return s;
}

static int set_text(struct script_step *s, char *text, char *why, size_t whylen)
{
	free(s->text);
	s->text = text;
	if (text)
		return 0;
	snprintf(why, whylen, "out of memory");
	return -1;
}

static int step_keys(const struct words *w, struct script_step *s, char *why, size_t whylen)
{
	if (need(w, 1, SCRIPT_MAX_KEYS, "keys needs one to 32 key names", why, whylen) < 0)
		return -1;
	for (size_t i = 1; i < w->n; i++) {
		int k = actions_key_parse(w->v[i]);
		if (k < 0) {
			snprintf(why, whylen,
			         "'%s' is not a key name (p, Enter, Esc, Tab, F9, C-l)", w->v[i]);
			return -1;
		}
		s->keys[s->nkeys++] = k;
	}
	return 0;
}

static int step_say(const struct words *w, struct script_step *s, char *why, size_t whylen)
{
	if (w->n != 2 && w->n != 4 && w->n != 5) {
		snprintf(why, whylen, "say needs \"TEXT\", then perhaps at PANE [ROW]");
		return -1;
	}
	if (w->n > 2 && strcmp(w->v[2], "at")) {
		snprintf(why, whylen, "say \"TEXT\" at PANE [ROW]: found '%s' where 'at' goes",
		         w->v[2]);
		return -1;
	}
	if (w->n > 2 && !known_pane(w->v[3])) {
		snprintf(why, whylen, "'%s' is not a pane (clusters, peerings, gateways, exports)",
		         w->v[3]);
		return -1;
	}
	if (set_text(s, strdup(w->v[1]), why, whylen) < 0)
		return -1;
	free(s->pane);
	free(s->row);
	s->pane = strdup(w->n > 2 ? w->v[3] : "");
	s->row = strdup(w->n > 4 ? w->v[4] : "");
	if (!s->pane || !s->row) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
}

static int step_sim(const struct words *w, struct script_step *s, char *why, size_t whylen)
{
	if (w->n < 2 || !script_sim_command(w->v[1])) {
		snprintf(why, whylen,
		         "sim needs a command: stop, start, restart-consul, gateway, injector, "
		         "fault, "
		         "clear-faults");
		return -1;
	}
	if (w->n - 1 > SCRIPT_MAX_ARGS) {
		snprintf(why, whylen, "sim takes at most %d words", SCRIPT_MAX_ARGS);
		return -1;
	}
	for (size_t i = 1; i < w->n; i++)
		if (!(s->argv[s->argc++] = strdup(w->v[i]))) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
	return 0;
}

static int step_of(const struct words *w, struct script_step *s, char *why, size_t whylen)
{
	const char *op = w->v[0];

	if (!strcmp(op, "pace")) {
		s->op = SCRIPT_PACE;
		if (need(w, 1, 1, "pace needs a duration", why, whylen) < 0)
			return -1;
		return duration(w->v[1], &s->ms, why, whylen);
	}
	if (!strcmp(op, "say")) {
		s->op = SCRIPT_SAY;
		return step_say(w, s, why, whylen);
	}
	if (!strcmp(op, "keys")) {
		s->op = SCRIPT_KEYS;
		return step_keys(w, s, why, whylen);
	}
	if (!strcmp(op, "type")) {
		s->op = SCRIPT_TYPE;
		if (need(w, 1, 1, "type needs one \"TEXT\"", why, whylen) < 0)
			return -1;
		return set_text(s, strdup(w->v[1]), why, whylen);
	}
	if (!strcmp(op, "command")) {
		s->op = SCRIPT_COMMAND;
		if (need(w, 1, MAX_WORDS, "command needs a command", why, whylen) < 0)
			return -1;
		return set_text(s, join(w, 1), why, whylen);
	}
	if (!strcmp(op, "wait")) {
		s->op = SCRIPT_WAIT;
		if (need(w, 1, 1, "wait needs a duration", why, whylen) < 0)
			return -1;
		return duration(w->v[1], &s->ms, why, whylen);
	}
	if (!strcmp(op, "wait-until")) {
		s->op = SCRIPT_WAIT_UNTIL;
		s->ms = SCRIPT_UNTIL_MS;
		if (need(w, 1, 2, "wait-until needs \"TEXT\" and perhaps a duration", why, whylen) <
		            0 ||
		    set_text(s, strdup(w->v[1]), why, whylen) < 0)
			return -1;
		return w->n == 3 ? duration(w->v[2], &s->ms, why, whylen) : 0;
	}
	if (!strcmp(op, "sim")) {
		s->op = SCRIPT_SIM;
		return step_sim(w, s, why, whylen);
	}
	if (!strcmp(op, "pause")) {
		s->op = SCRIPT_PAUSE;
		return need(w, 0, 0, "pause takes nothing", why, whylen);
	}
	snprintf(why, whylen,
	         "unknown step '%s' (pace, say, keys, type, command, wait, wait-until, sim, pause)",
	         op);
	return -1;
}

static void step_clear(struct script_step *s)
{
	free(s->text);
	free(s->pane);
	free(s->row);
	for (size_t i = 0; i < s->argc; i++)
		free(s->argv[i]);
	memset(s, 0, sizeof *s);
}

void script_free(struct script *s)
{
	for (size_t i = 0; i < s->n; i++)
		step_clear(&s->v[i]);
	free(s->v);
	free(s->file);
	memset(s, 0, sizeof *s);
}

static int add(struct script *out, const struct words *w, unsigned line, char *why, size_t whylen)
{
	struct script_step *v = realloc(out->v, (out->n + 1) * sizeof *v);
	struct script_step *s;

	if (!v) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	out->v = v;
	s = &v[out->n];
	memset(s, 0, sizeof *s);
	s->line = line;
	if (step_of(w, s, why, whylen) < 0) {
		step_clear(s);
		return -1;
	}
	if (!s->text && !(s->text = strdup(""))) {
		step_clear(s);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if ((!s->pane && !(s->pane = strdup(""))) || (!s->row && !(s->row = strdup("")))) {
		step_clear(s);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	out->n++;
	return 0;
}

int script_parse(const char *file, const char *text, size_t len, struct script *out, char *err,
                 size_t errlen)
{
	struct words w = {0};
	char line[4096], why[512];
	unsigned lineno = 0;
	size_t at = 0;

	memset(out, 0, sizeof *out);
	if (!(out->file = strdup(file)))
		goto nomem;
	while (at < len) {
		size_t n = 0;
		lineno++;
		while (at + n < len && text[at + n] != '\n')
			n++;
		if (n >= sizeof line) {
			snprintf(err, errlen, "%s:%u: the line is longer than %zu bytes", file,
			         lineno, sizeof line - 1);
			goto fail;
		}
		if (memchr(text + at, '\0', n)) {
			snprintf(err, errlen, "%s:%u: a NUL byte: this is not a script", file,
			         lineno);
			goto fail;
		}
		memcpy(line, text + at, n);
		line[n] = '\0';
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		at += n + 1;
		if (split(line, &w, why, sizeof why) < 0 ||
		    (w.n && add(out, &w, lineno, why, sizeof why) < 0)) {
			snprintf(err, errlen, "%s:%u: %s", file, lineno, why);
			words_free(&w);
			goto fail;
		}
		words_free(&w);
	}
	if (out->n == 0) {
		snprintf(err, errlen, "%s: no step in the script", file);
		goto fail;
	}
	return 0;
nomem:
	snprintf(err, errlen, "%s: out of memory", file);
fail:
	script_free(out);
	return -1;
}

int script_load(const char *path, struct script *out, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	ssize_t got = 0;
	int fd, rc = -1;

	memset(out, 0, sizeof *out);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %d bytes: not a script", path, MAX_FILE);
		goto out;
	}
	if (!(buf = malloc((size_t)st.st_size + 1))) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (got < st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)(st.st_size - got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "%s: %s", path,
			         r < 0 ? strerror(errno) : "shorter than it was");
			goto out;
		}
		got += r;
	}
	rc = script_parse(path, buf, (size_t)got, out, err, errlen);
out:
	free(buf);
	close(fd);
	return rc;
}
