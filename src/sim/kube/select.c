/* peerscope-sim: label and field selectors of list and watch requests. */
#include "autoconfig.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simk.h"

#define SEL_MAX_REQS   16
#define SEL_MAX_VALUES 16

enum sel_op {
	SEL_EQ,
	SEL_NE,
	SEL_IN,
	SEL_NOTIN,
	SEL_EXISTS,
	SEL_NOT_EXISTS,
};

struct sel_req {
	enum sel_op op;
	char key[254];
	char values[SEL_MAX_VALUES][64];
	int nvalues;
};

struct simk_selector {
	struct sel_req reqs[SEL_MAX_REQS];
	int n;
};

static const char *skip_ws(const char *p)
{
	while (*p == ' ')
		p++;
	return p;
}

static bool key_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '-' || ch == '_' || ch == '.' || ch == '/';
}

/* Reads a key or value into buf; returns the position after it. */
static const char *read_word(const char *p, char *buf, size_t len)
{
	size_t n = 0;

	p = skip_ws(p);
	while (key_char(*p)) {
		if (n + 1 < len)
			buf[n++] = *p;
		p++;
	}
	buf[n] = '\0';
	return skip_ws(p);
}

static const char *parse_set(const char *p, struct sel_req *r, char *err, size_t errlen)
{
	if (*p != '(') {
		snprintf(err, errlen, "unable to parse requirement: found '%c', expected: '('", *p);
		return NULL;
	}
	p++;
	for (;;) {
		if (r->nvalues == SEL_MAX_VALUES) {
			snprintf(err, errlen, "too many values in set for key %s", r->key);
			return NULL;
		}
		p = read_word(p, r->values[r->nvalues++], sizeof r->values[0]);
		if (*p == ')')
			return skip_ws(p + 1);
		if (*p != ',') {
			snprintf(err, errlen,
			         "unable to parse requirement: found '%c', expected: ',' or ')'",
			         *p ? *p : ' ');
			return NULL;
		}
		p++;
	}
}

static const char *parse_req(const char *p, struct sel_req *r, char *err, size_t errlen)
{
	bool negated = false;

	p = skip_ws(p);
	if (*p == '!') {
		negated = true;
		p++;
	}
	p = read_word(p, r->key, sizeof r->key);
	if (!*r->key) {
		snprintf(err, errlen,
		         "unable to parse requirement: found '%c', expected: identifier",
		         *p ? *p : ' ');
		return NULL;
	}
	if (negated || *p == ',' || *p == '\0') {
		r->op = negated ? SEL_NOT_EXISTS : SEL_EXISTS;
		return p;
	}
	if (strncmp(p, "!=", 2) == 0 || strncmp(p, "==", 2) == 0 || *p == '=') {
		r->op = *p == '!' ? SEL_NE : SEL_EQ;
		p += (*p == '=' && p[1] != '=') ? 1 : 2;
		p = read_word(p, r->values[0], sizeof r->values[0]);
		r->nvalues = 1;
		return p;
	}
	if (strncmp(p, "notin", 5) == 0 || strncmp(p, "in", 2) == 0) {
		r->op = p[0] == 'n' ? SEL_NOTIN : SEL_IN;
		p = skip_ws(p + (r->op == SEL_NOTIN ? 5 : 2));
		return parse_set(p, r, err, errlen);
	}
	snprintf(err, errlen,
	         "unable to parse requirement: found '%.32s', expected: in, notin, =, "
	         "==, !=, gt, lt",
	         p);
	return NULL;
}

struct simk_selector *simk_selector_parse(const char *text, char *err, size_t errlen)
{
	struct simk_selector *s = calloc(1, sizeof *s);
	const char *p = text ? skip_ws(text) : "";

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	while (*p) {
		if (s->n == SEL_MAX_REQS) {
			snprintf(err, errlen, "too many requirements in label selector");
			goto fail;
		}
		p = parse_req(p, &s->reqs[s->n++], err, errlen);
		if (!p)
			goto fail;
		if (*p == ',')
			p = skip_ws(p + 1);
		else if (*p) {
			snprintf(err, errlen,
			         "unable to parse requirement: found '%c', expected: ','", *p);
			goto fail;
		}
	}
	return s;
fail:
	free(s);
	return NULL;
}

static bool in_values(const struct sel_req *r, const char *v)
{
	for (int i = 0; i < r->nvalues; i++)
		if (strcmp(r->values[i], v) == 0)
			return true;
	return false;
}

bool simk_selector_match(const struct simk_selector *s, const cJSON *labels)
{
	if (!s)
		return true;
	for (int i = 0; i < s->n; i++) {
		const struct sel_req *r = &s->reqs[i];
		const cJSON *l = cJSON_IsObject(labels)
		                         ? cJSON_GetObjectItemCaseSensitive(labels, r->key)
		                         : NULL;
		const char *v = cJSON_IsString(l) ? l->valuestring : NULL;
		bool ok;

		switch (r->op) {
		case SEL_EQ:
		case SEL_IN:
			ok = v && in_values(r, v);
			break;
		case SEL_NE:
		case SEL_NOTIN:
			ok = !v || !in_values(r, v);
			break;
		case SEL_EXISTS:
			ok = v != NULL;
			break;
		default:
			ok = v == NULL;
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

void simk_selector_free(struct simk_selector *s)
{
	free(s);
}

/* Calls FN for each "field<op>value" term; stops at the first false. */
static bool each_field_term(const char *text,
                            bool (*fn)(const char *field, bool neg, const char *value, void *ctx),
                            void *ctx)
{
	char term[512];

	while (text && *text) {
		size_t n = strcspn(text, ",");
		char *op, *value;
		bool neg;

		snprintf(term, sizeof term, "%.*s", (int)n, text);
		text += n + (text[n] == ',');
		op = strpbrk(term, "=!");
		if (!op)
			return fn(term, false, NULL, ctx);
		neg = *op == '!';
		value = op + 1 + (op[1] == '=');
		*op = '\0';
		if (!fn(term, neg, value, ctx))
			return false;
	}
	return true;
}

struct field_check {
	char *err;
	size_t errlen;
};

static bool field_term_ok(const char *field, bool neg, const char *value, void *ctx)
{
	struct field_check *fc = ctx;

	(void)neg;
	if (!value) {
		snprintf(fc->err, fc->errlen,
		         "invalid selector: '%.200s'; can't understand '%.200s'", field, field);
		return false;
	}
	if (strcmp(field, "metadata.name") != 0 && strcmp(field, "metadata.namespace") != 0) {
		snprintf(fc->err, fc->errlen, "field label not supported: %.200s", field);
		return false;
	}
	return true;
}

bool simk_field_selector_ok(const char *text, char *err, size_t errlen)
{
	struct field_check fc = {err, errlen};

	return each_field_term(text, field_term_ok, &fc);
}

static bool field_term_match(const char *field, bool neg, const char *value, void *ctx)
{
	const char *have = simk_str(ctx, field);

	if (!value)
		return false;
	return (have && strcmp(have, value) == 0) != neg;
}

bool simk_field_selector_match(const char *text, const cJSON *obj)
{
	return each_field_term(text, field_term_match, (void *)obj);
}
