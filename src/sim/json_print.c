/* peerscope-sim: printing a cJSON tree, byte for byte as
 * cJSON_PrintUnformatted() does, at a fraction of its cost.
 *
 * Nearly every answer the simulator gives is a tree printed once (the
 * services list is written with the pieces below). cJSON 1.7.15
 * prints each number with sprintf("%1.15g") and reads it back with
 * sscanf() to check the round trip, and measures the text written so far
 * with strlen() after every value: at 8 clusters of 2,000 services, the
 * printing was 43 % of the simulator's CPU while it answered the blocking
 * queries a gateway's change wakes. Integers, nearly every number in an
 * answer, are written here directly; any other number goes the way cJSON
 * goes, so the text is the same. */
#include "autoconfig.h"

#include <float.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

static bool room(struct sim_json_buf *o, size_t n)
{
	if (o->failed)
		return false;
	if (o->len + n + 1 <= o->cap)
		return true;
	size_t cap = o->cap ? o->cap : 256;
	while (cap < o->len + n + 1)
		cap *= 2;
	char *p = realloc(o->p, cap);
	if (!p) {
		o->failed = true;
		return false;
	}
	o->p = p;
	o->cap = cap;
	return true;
}

void sim_json_raw(struct sim_json_buf *o, const char *s, size_t n)
{
	if (!room(o, n))
		return;
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void putc1(struct sim_json_buf *o, char c)
{
	if (!room(o, 1))
		return;
	o->p[o->len++] = c;
}

/* cJSON's print_string_ptr: '"', '\\' and the control characters escaped,
 * everything else (UTF-8 included) as it is. */
void sim_json_str(struct sim_json_buf *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	putc1(o, '"');
	for (;;) {
		const unsigned char *run = p;
		while (*p >= 32 && *p != '"' && *p != '\\')
			p++;
		sim_json_raw(o, (const char *)run, (size_t)(p - run));
		if (!*p)
			break;
		char esc[6] = {'\\', 0};
		size_t n = 2;
		switch (*p) {
		case '"':
		case '\\':
			esc[1] = (char)*p;
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
			n = 6;
		}
		sim_json_raw(o, esc, n);
		p++;
	}
	putc1(o, '"');
}

/* cJSON's compare_double. */
static bool same_double(double a, double b)
{
	double most = fabs(a) > fabs(b) ? fabs(a) : fabs(b);

	return fabs(a - b) <= most * DBL_EPSILON;
}

/* What "%1.15g" gives for an integral D below 1e15 in magnitude: its
 * digits. Anything else as cJSON prints it: "%1.15g", or "%1.17g" when
 * that does not read back the same. */
void sim_json_num(struct sim_json_buf *o, double d)
{
	char buf[32];
	int n;

	if (isnan(d) || isinf(d)) {
		sim_json_raw(o, "null", 4);
		return;
	}
	if (d == floor(d) && fabs(d) < 1e15 && !(d == 0 && signbit(d))) {
		int64_t v = (int64_t)d;
		uint64_t u = v < 0 ? (uint64_t)-v : (uint64_t)v;
		char *e = buf + sizeof buf, *q = e;
		do
			*--q = (char)('0' + u % 10);
		while (u /= 10);
		if (v < 0)
			*--q = '-';
		sim_json_raw(o, q, (size_t)(e - q));
		return;
	}
	double back = 0;
	n = snprintf(buf, sizeof buf, "%1.15g", d);
	if (sscanf(buf, "%lg", &back) != 1 || !same_double(back, d))
		n = snprintf(buf, sizeof buf, "%1.17g", d);
	if (n > 0)
		sim_json_raw(o, buf, (size_t)n);
}

static void value(struct sim_json_buf *o, const cJSON *item)
{
	const cJSON *c;

	switch (item->type & 0xFF) {
	case cJSON_NULL:
		sim_json_raw(o, "null", 4);
		return;
	case cJSON_False:
		sim_json_raw(o, "false", 5);
		return;
	case cJSON_True:
		sim_json_raw(o, "true", 4);
		return;
	case cJSON_Number:
		sim_json_num(o, item->valuedouble);
		return;
	case cJSON_Raw:
		if (!item->valuestring) {
			o->failed = true;
			return;
		}
		sim_json_raw(o, item->valuestring, strlen(item->valuestring));
		return;
	case cJSON_String:
		sim_json_str(o, item->valuestring);
		return;
	case cJSON_Array:
		putc1(o, '[');
		for (c = item->child; c && !o->failed; c = c->next) {
			value(o, c);
			if (c->next)
				putc1(o, ',');
		}
		putc1(o, ']');
		return;
	case cJSON_Object:
		putc1(o, '{');
		for (c = item->child; c && !o->failed; c = c->next) {
			sim_json_str(o, c->string);
			putc1(o, ':');
			value(o, c);
			if (c->next)
				putc1(o, ',');
		}
		putc1(o, '}');
		return;
	default:
		o->failed = true;
	}
}

char *sim_json_buf_take(struct sim_json_buf *o, size_t *len)
{
	char *p = NULL;

	if (room(o, 0)) {
		p = o->p;
		p[o->len] = '\0';
		if (len)
			*len = o->len;
	} else {
		free(o->p);
	}
	memset(o, 0, sizeof *o);
	return p;
}

char *sim_json_print(const cJSON *item, size_t *len)
{
	struct sim_json_buf o = {0};

	if (!item)
		return NULL;
	room(&o, 1024);
	value(&o, item);
	return sim_json_buf_take(&o, len);
}
