/* preflight: reports as a table or as JSON (doc/peerscope-check-json.md),
 * and `peerscope check values`. */
#include "autoconfig.h"

#include "preflight_internal.h"

#include "peerscope/term.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	EXIT_USAGE = 2,
	SEEN_MAX = 32, /* the table cuts what was seen there; the evidence has it whole */
};

/* "file:line:column", the file alone when the value is not written, or the
 * subject of a live check. */
static const char *where(const struct preflight_result *r, char *buf, size_t len)
{
	if (r->file && r->line)
		snprintf(buf, len, "%s:%u:%u", r->file, r->line, r->column);
	else if (r->file)
		snprintf(buf, len, "%s", r->file);
	else
		snprintf(buf, len, "%s", r->subject);
	return buf;
}

/* The widest WHERE (W) and SEEN (S) among the results, within limits. */
static void widths(const struct preflight_report *r, int *w, int *s)
{
	char buf[400];

	*w = 5;
	*s = 4;
	for (size_t i = 0; i < r->n; i++) {
		int n = (int)term_width(where(&r->v[i], buf, sizeof buf));
		int m = (int)term_width(r->v[i].seen);
		*w = n > *w ? n : *w;
		*s = m > *s ? m : *s;
	}
	*w = *w > 48 ? 48 : *w;
	*s = *s > SEEN_MAX ? SEEN_MAX : *s;
}

static void summary(FILE *out, const struct preflight_report *r)
{
	static const enum preflight_verdict order[] = {
	        PREFLIGHT_FAIL, PREFLIGHT_WARN, PREFLIGHT_UNKNOWN, PREFLIGHT_OK, PREFLIGHT_SKIP};

	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		fprintf(out, "%s%u %s", i ? ", " : "", preflight_count(r, order[i]),
		        preflight_verdict_name(order[i]));
	fputc('\n', out);
}

void preflight_print_table(FILE *out, const struct preflight_report *r)
{
	int w, sw;
	char buf[400], seen[SEEN_MAX + 1];

	widths(r, &w, &sw);
	term_fprintf(out, "%-*s  %-7s  %-27s  %-*s  %s\n", w, "WHERE", "VERDICT", "CHECK", sw,
	             "SEEN", "REQUIRED");
	for (size_t i = 0; i < r->n; i++) {
		const struct preflight_result *x = &r->v[i];
		size_t n = strlen(x->seen);
		if (n > SEEN_MAX) {
			memcpy(seen, x->seen, SEEN_MAX - 3);
			memcpy(seen + SEEN_MAX - 3, "...", 4);
		} else {
			memcpy(seen, n ? x->seen : "-", n ? n + 1 : 2);
		}
		term_fprintf(out, "%-*s  %-7s  %-27s  %-*s  %s\n", w, where(x, buf, sizeof buf),
		             preflight_verdict_name(x->verdict), x->check->id, sw, seen,
		             *x->required ? x->required : "-");
		if (x->verdict == PREFLIGHT_OK || x->verdict == PREFLIGHT_SKIP)
			continue;
		term_fprintf(out, "%*s  %s\n", w, "", x->evidence);
		if (*x->fix)
			term_fprintf(out, "%*s  fix: %s\n", w, "", x->fix);
	}
	summary(out, r);
}

/* ------------------------------------------------------------------ JSON */

static void add_text(cJSON *o, const char *key, const char *text)
{
	if (text && *text)
		cJSON_AddStringToObject(o, key, text);
	else
		cJSON_AddNullToObject(o, key);
}

static cJSON *result_json(const struct preflight_result *x)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "check", x->check->id);
	cJSON_AddStringToObject(o, "title", x->check->title);
	add_text(o, "spec", x->check->spec);
	cJSON_AddStringToObject(o, "verdict", preflight_verdict_name(x->verdict));
	add_text(o, "cluster",
	         x->check->scope == PREFLIGHT_CLUSTER && x->cluster != PREFLIGHT_NONE ? x->subject
	                                                                              : NULL);
	add_text(o, "pair", x->check->scope == PREFLIGHT_PAIR ? x->subject : NULL);
	if (x->file) {
		cJSON *loc = cJSON_AddObjectToObject(o, "location");
		cJSON_AddStringToObject(loc, "file", x->file);
		if (x->line) {
			cJSON_AddNumberToObject(loc, "line", x->line);
			cJSON_AddNumberToObject(loc, "column", x->column);
		}
	} else {
		cJSON_AddNullToObject(o, "location");
	}
	add_text(o, "path", x->path);
	add_text(o, "seen", x->seen);
	add_text(o, "required", x->required);
	cJSON_AddStringToObject(o, "evidence", x->evidence);
	add_text(o, "fix",
	         x->verdict == PREFLIGHT_OK || x->verdict == PREFLIGHT_SKIP ? NULL : x->fix);
	return o;
}

/* KIND, then NAMES under KEY (the files, or the clusters), then the rest
 * of the document. */
static char *document(const struct preflight_report *r, const char *kind, const char *key,
                      const char *const *names, size_t n, int complete, bool strict)
{
	cJSON *root = cJSON_CreateObject(), *a, *sum;
	char *text = NULL;

	if (!root)
		return NULL;
	cJSON_AddStringToObject(root, "kind", kind);
	a = cJSON_AddArrayToObject(root, key);
	for (size_t i = 0; a && i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(names[i]));
	if (complete >= 0)
		cJSON_AddBoolToObject(root, "complete", complete);
	cJSON_AddBoolToObject(root, "strict", strict);
	cJSON_AddNumberToObject(root, "status", preflight_exit_status(r, strict));
	sum = cJSON_AddObjectToObject(root, "summary");
	for (int v = PREFLIGHT_VERDICT_COUNT - 1; sum && v >= 0; v--)
		cJSON_AddNumberToObject(sum, preflight_verdict_name((enum preflight_verdict)v),
		                        preflight_count(r, (enum preflight_verdict)v));
	a = cJSON_AddArrayToObject(root, "results");
	for (size_t i = 0; a && i < r->n; i++) {
		cJSON *o = result_json(&r->v[i]);
		if (!o || !cJSON_AddItemToArray(a, o))
			goto out;
	}
	char *raw = cJSON_Print(root);
	/* The values files' words: valid UTF-8, no control a terminal acts on. */
	text = raw ? term_json(raw) : NULL;
	free(raw);
out:
	cJSON_Delete(root);
	return text;
}

char *preflight_json(const struct preflight_report *r, const char *kind, const char *const *files,
                     size_t nfiles, bool strict)
{
	return document(r, kind, "files", files, nfiles, -1, strict);
}

char *preflight_json_clusters(const struct preflight_report *r, const char *const *clusters,
                              size_t n, bool complete, bool strict)
{
	return document(r, "clusters", "clusters", clusters, n, complete, strict);
}

/* ------------------------------------------------------ check values */

int preflight_values_main(const char *const *files, size_t n, const char *format, bool strict,
                          FILE *out, FILE *err)
{
	struct preflight_report r = {0};
	struct preflight_values_error e;
	enum preflight_format fmt = PREFLIGHT_TABLE;
	int rc;

	if (format && !strcmp(format, "json")) {
		fmt = PREFLIGHT_JSON;
	} else if (format && strcmp(format, "table")) {
		term_fprintf(err, "peerscope: unknown output format '%s' (table or json)\n",
		             format);
		return EXIT_USAGE;
	}
	if (n == 0) {
		fprintf(err, "peerscope: 'check values' needs at least one FILE\n");
		return EXIT_USAGE;
	}
	if (preflight_values_lint(files, n, &r, &e) < 0) {
		term_fprintf(err, "peerscope: %s\n", e.text);
		return EXIT_USAGE;
	}
	rc = preflight_exit_status(&r, strict);
	if (fmt == PREFLIGHT_JSON) {
		char *text = preflight_json(&r, "values", files, n, strict);
		if (!text) {
			fprintf(err, "peerscope: out of memory\n");
			rc = EXIT_USAGE;
		} else {
			fprintf(out, "%s\n", text);
			free(text);
		}
	} else {
		preflight_print_table(out, &r);
	}
	preflight_report_free(&r);
	if (fflush(out) != 0) {
		fprintf(err, "peerscope: cannot write the report\n");
		return EXIT_USAGE;
	}
	return rc;
}
