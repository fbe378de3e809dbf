/* codec: a JSON scanner that reads a body token by token, for lists too
 * large to hold as a tree. See include/peerscope/codec.h. */
#include "autoconfig.h"

#include "peerscope/codec.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
	/* What the scanner expects next, in the innermost container. */
	X_VALUE,      /* a value: the top level, after a key's ':' */
	X_FIRST_ELEM, /* after '[': a value or ']' */
	X_NEXT_ELEM,  /* after an element: ',' or ']' */
	X_FIRST_KEY,  /* after '{': a key or '}' */
	X_NEXT_KEY,   /* after a member: ',' or '}' */
	X_DONE,       /* the top-level value is complete */
};

void codec_scan_init(struct codec_scan *s, const char *json, size_t len)
{
	memset(s, 0, sizeof *s);
	s->start = s->p = json;
	s->end = json + len;
	s->expect = X_VALUE;
}

static bool only_blanks(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return false;
	return true;
}

__attribute__((format(printf, 2, 3))) static enum codec_tok fail(struct codec_scan *s,
                                                                 const char *fmt, ...)
{
	va_list ap;
	size_t at = (size_t)(s->p - s->start), len = (size_t)(s->end - s->start);

	if (s->failed)
		return CODEC_T_ERROR;
	s->failed = true;
	if (s->p >= s->end) {
		/* Nothing but blanks, or a value cut short ("\"abc" too). */
		if (s->expect == X_VALUE && s->depth == 0 && only_blanks(s->start, s->end))
			snprintf(s->why, sizeof s->why, "empty body where JSON was expected");
		else
			snprintf(s->why, sizeof s->why,
			         "invalid JSON: the text ends early (truncated after %zu bytes)",
			         len);
		return CODEC_T_ERROR;
	}
	if (s->expect == X_DONE) {
		snprintf(s->why, sizeof s->why,
		         "invalid JSON: unexpected text after the value at byte %zu", at);
		return CODEC_T_ERROR;
	}
	char what[96];
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	snprintf(s->why, sizeof s->why, "invalid JSON at byte %zu of %zu: %s", at, len, what);
	return CODEC_T_ERROR;
}

static void skip_blank(struct codec_scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The escape after the backslash at Q: its length, 0 when RFC 8259 has no
 * such escape (cJSON refuses it too). */
static size_t escape_len(const char *q, const char *end)
{
	if (q + 1 >= end)
		return 0;
	if (q[1] && strchr("\"\\/bfnrt", q[1]))
		return 2;
	if (q[1] != 'u' || end - q < 6)
		return 0;
	for (int i = 2; i < 6; i++)
		if (!is_hex(q[i]))
			return 0;
	return 6;
}

/* The bytes that end a string's plain run: its quote, an escape, and the
 * control characters JSON forbids there. */
static const bool string_stop[256] = {
        [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
        [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1,
        [0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
        [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1,
        [0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1, ['"'] = 1,  ['\\'] = 1,
};

/* Past the plain run of a string at Q: eight bytes at a time while none of
 * them is a quote, a backslash or a control character (each test true of a
 * word when one of its bytes is such: Bit Twiddling Hacks' haszero() and
 * hasless()), then a byte at a time up to the one that stops it. A Helm
 * release's templates and manifest are megabytes of string: a look-up a
 * byte took 8 instructions a byte. */
static const char *plain_run(const char *q, const char *end)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;

	while (end - q >= 8) {
		uint64_t v;
		memcpy(&v, q, sizeof v);
		uint64_t quote = v ^ (ones * '"'), bslash = v ^ (ones * '\\');
		uint64_t hit = ((quote - ones) & ~quote) | ((bslash - ones) & ~bslash) |
		               ((v - ones * 0x20) & ~v);
		if (hit & high)
			break;
		q += 8;
	}
	while (q < end && !string_stop[(unsigned char)*q])
		q++;
	return q;
}

/* A string's raw text (escapes left in, each checked) into T, past the
 * closing quote. False at a fault, *WHY saying which. */
static bool scan_string(struct codec_scan *s, struct codec_text *t, const char **why)
{
	const char *q = ++s->p;

	t->escaped = false;
	*why = "a bad string";
	for (;;) {
		/* Most of a string is a plain run. */
		q = plain_run(q, s->end);
		if (q >= s->end || *q == '"')
			break;
		if ((unsigned char)*q < 0x20)
			return false;
		size_t n = escape_len(q, s->end);
		if (!n && (q + 1 >= s->end || (q[1] == 'u' && s->end - q < 6))) {
			s->p = s->end; /* cut in the escape: the text ends early */
			return false;
		}
		if (!n) {
			*why = "a bad escape";
			s->p = q;
			return false;
		}
		t->escaped = true;
		q += n;
	}
	if (q >= s->end) {
		s->p = q;
		return false;
	}
	t->p = s->p;
	t->len = (size_t)(q - s->p);
	s->p = q + 1;
	return true;
}

static bool is_digit(const char *q, const char *end)
{
	return q < end && *q >= '0' && *q <= '9';
}

static const char *digits(const char *q, const char *end)
{
	while (is_digit(q, end))
		q++;
	return q;
}

/* A number that stops at Q, where a digit must come: the text ends early
 * when Q is its end. False. */
static bool cut_short(struct codec_scan *s, const char *q)
{
	if (q >= s->end)
		s->p = s->end;
	return false;
}

/* A number as RFC 8259 writes it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
 * ("01", "1.", "1-2" are not; cJSON refuses them). False at a fault. */
static bool scan_number(struct codec_scan *s, struct codec_text *t)
{
	const char *q = s->p, *end = s->end;

	if (q < end && *q == '-')
		q++;
	if (!is_digit(q, end))
		return cut_short(s, q);
	q = *q == '0' ? q + 1 : digits(q, end);
	if (q < end && *q == '.') {
		if (!is_digit(++q, end))
			return cut_short(s, q);
		q = digits(q, end);
	}
	if (q < end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < end && (*q == '+' || *q == '-'))
			q++;
		if (!is_digit(q, end))
			return cut_short(s, q);
		q = digits(q, end);
	}
	/* What a number could go on with ("01", "1-2") is not a separator. */
	if (q < end && (is_digit(q, end) || (*q && strchr(".eE+-", *q))))
		return false;
	t->p = s->p;
	t->len = (size_t)(q - s->p);
	t->escaped = false;
	s->p = q;
	return true;
}

static bool literal(struct codec_scan *s, const char *word)
{
	size_t n = strlen(word);

	size_t have = (size_t)(s->end - s->p);

	if (have < n && !memcmp(s->p, word, have)) {
		s->p = s->end; /* cut in the word: the text ends early */
		return false;
	}
	if (have < n || memcmp(s->p, word, n))
		return false;
	s->p += n;
	return true;
}

/* After a complete value: what its container expects next. */
static void value_done(struct codec_scan *s)
{
	if (s->depth == 0)
		s->expect = X_DONE;
	else
		s->expect = s->stack[s->depth - 1] == '[' ? X_NEXT_ELEM : X_NEXT_KEY;
}

static enum codec_tok scan_open(struct codec_scan *s, char c)
{
	if (s->depth >= CODEC_SCAN_DEPTH)
		return fail(s, "nested deeper than %d", CODEC_SCAN_DEPTH);
	s->stack[s->depth++] = c;
	s->p++;
	s->expect = c == '[' ? X_FIRST_ELEM : X_FIRST_KEY;
	return c == '[' ? CODEC_T_ARRAY : CODEC_T_OBJECT;
}

static enum codec_tok scan_close(struct codec_scan *s, char c)
{
	if (!s->depth || s->stack[s->depth - 1] != (c == ']' ? '[' : '{'))
		return fail(s, "unexpected '%c'", c); /* ']' or '}': no body byte */
	s->depth--;
	s->p++;
	value_done(s);
	return c == ']' ? CODEC_T_ARRAY_END : CODEC_T_OBJECT_END;
}

static enum codec_tok value(struct codec_scan *s, struct codec_text *t)
{
	char c = *s->p;

	if (c == '{' || c == '[')
		return scan_open(s, c);
	if (c == '"') {
		const char *why;
		if (!scan_string(s, t, &why))
			return fail(s, "%s", why);
		value_done(s);
		return CODEC_T_STRING;
	}
	if (c == 't' || c == 'f' || c == 'n') {
		enum codec_tok k = c == 't'   ? CODEC_T_TRUE
		                   : c == 'f' ? CODEC_T_FALSE
		                              : CODEC_T_NULL;
		if (!literal(s, c == 't' ? "true" : c == 'f' ? "false" : "null"))
			return fail(s, "an unknown word");
		value_done(s);
		return k;
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		if (!scan_number(s, t))
			return fail(s, "a bad number");
		value_done(s);
		return CODEC_T_NUMBER;
	}
	/* By its value: a body's byte is not copied into the text. */
	return fail(s, "unexpected byte 0x%02x", (unsigned)(unsigned char)c);
}

static enum codec_tok key(struct codec_scan *s, struct codec_text *t)
{
	const char *why;

	if (*s->p != '"')
		return fail(s, "a key was expected");
	if (!scan_string(s, t, &why))
		return fail(s, "%s", strcmp(why, "a bad string") ? why : "a bad key");
	skip_blank(s);
	if (s->p >= s->end || *s->p != ':')
		return fail(s, "':' was expected after a key");
	s->p++;
	s->expect = X_VALUE;
	return CODEC_T_KEY;
}

enum codec_tok codec_scan_next(struct codec_scan *s, struct codec_text *t)
{
	if (s->failed)
		return CODEC_T_ERROR;
	skip_blank(s);
	if (s->expect == X_DONE) {
		if (s->p < s->end)
			return fail(s, "unexpected text after the value");
		return CODEC_T_END;
	}
	if (s->p >= s->end)
		return fail(s, "the text ends early");
	switch (s->expect) {
	case X_FIRST_ELEM:
		if (*s->p == ']')
			return scan_close(s, ']');
		return value(s, t);
	case X_NEXT_ELEM:
		if (*s->p == ']')
			return scan_close(s, ']');
		if (*s->p != ',')
			return fail(s, "',' or ']' was expected");
		s->p++;
		skip_blank(s);
		if (s->p >= s->end)
			return fail(s, "the text ends early");
		return value(s, t);
	case X_FIRST_KEY:
		if (*s->p == '}')
			return scan_close(s, '}');
		return key(s, t);
	case X_NEXT_KEY:
		if (*s->p == '}')
			return scan_close(s, '}');
		if (*s->p != ',')
			return fail(s, "',' or '}' was expected");
		s->p++;
		skip_blank(s);
		if (s->p >= s->end)
			return fail(s, "the text ends early");
		return key(s, t);
	default:
		return value(s, t);
	}
}

bool codec_scan_skip(struct codec_scan *s, enum codec_tok first)
{
	struct codec_text t;
	size_t depth = s->depth;

	if (first != CODEC_T_OBJECT && first != CODEC_T_ARRAY)
		return first != CODEC_T_ERROR;
	/* The container was opened: read until its depth is left again. */
	while (s->depth >= depth) {
		enum codec_tok k = codec_scan_next(s, &t);
		if (k == CODEC_T_ERROR || k == CODEC_T_END)
			return false;
	}
	return true;
}

enum codec_tok codec_scan_value(struct codec_scan *s, struct codec_text *raw)
{
	struct codec_text t = {0};
	enum codec_tok k = codec_scan_next(s, &t);
	const char *at;

	switch (k) {
	case CODEC_T_OBJECT:
	case CODEC_T_ARRAY:
		at = s->p - 1; /* its bracket */
		if (!codec_scan_skip(s, k))
			return CODEC_T_ERROR;
		break;
	case CODEC_T_STRING:
		at = t.p - 1; /* its opening quote */
		break;
	case CODEC_T_NUMBER:
		at = t.p;
		break;
	case CODEC_T_TRUE:
	case CODEC_T_NULL:
		at = s->p - 4;
		break;
	case CODEC_T_FALSE:
		at = s->p - 5;
		break;
	default:
		return k == CODEC_T_ERROR ? k : fail(s, "a value was expected");
	}
	raw->p = at;
	raw->len = (size_t)(s->p - at);
	raw->escaped = false;
	return k;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex4(const char *p, const char *end, unsigned *out)
{
	unsigned v = 0;

	if (end - p < 4)
		return false;
	for (int i = 0; i < 4; i++) {
		int h = hexval(p[i]);
		if (h < 0)
			return false;
		v = v * 16 + (unsigned)h;
	}
	*out = v;
	return true;
}

static size_t utf8(unsigned cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* One escape at *P (after the backslash) into OUT; its length, 0 if bad. */
static size_t unescape_one(const char **p, const char *end, char *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *c = strchr(from, **p);
	unsigned cp, lo;

	if (**p && c) {
		(*p)++;
		*out = to[c - from];
		return 1;
	}
	if (**p != 'u' || !hex4(*p + 1, end, &cp))
		return 0;
	*p += 5;
	if (cp >= 0xd800 && cp < 0xdc00) {
		/* A high surrogate wants its low half; alone, it is U+FFFD. */
		if (end - *p >= 6 && (*p)[0] == '\\' && (*p)[1] == 'u' && hex4(*p + 2, end, &lo) &&
		    lo >= 0xdc00 && lo < 0xe000) {
			*p += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		} else {
			cp = 0xfffd;
		}
	} else if (cp >= 0xdc00 && cp < 0xe000) {
		cp = 0xfffd;
	}
	return utf8(cp, out);
}

size_t codec_scan_text(const struct codec_text *t, char *out)
{
	const char *p = t->p, *end = t->p + t->len;
	size_t n = 0;

	if (!t->escaped) {
		memcpy(out, t->p, t->len);
		out[t->len] = '\0';
		return t->len;
	}
	while (p < end) {
		if (*p != '\\') {
			out[n++] = *p++;
			continue;
		}
		p++;
		size_t k = unescape_one(&p, end, out + n);
		if (!k) /* a bad escape stays as it was */
			out[n++] = '\\';
		n += k;
	}
	out[n] = '\0';
	return n;
}

bool codec_scan_key_is(const struct codec_text *t, const char *name)
{
	size_t n = strlen(name);

	return !t->escaped && t->len == n && !strncasecmp(t->p, name, n);
}

const char *codec_tok_name(enum codec_tok k)
{
	switch (k) {
	case CODEC_T_STRING:
		return "a string";
	case CODEC_T_NUMBER:
		return "a number";
	case CODEC_T_TRUE:
	case CODEC_T_FALSE:
		return "a boolean";
	case CODEC_T_ARRAY:
		return "a list";
	case CODEC_T_OBJECT:
		return "an object";
	default:
		return "null";
	}
}

int codec_scan_field(const struct codec_text *key, const char *const *names, int n,
                     unsigned char *seen)
{
	int f = 0;

	while (f < n && !codec_scan_key_is(key, names[f]))
		f++;
	if (f == n)
		return -1;
	/* 0: not taken; 1: taken in another case; 2: taken as written. */
	bool exact = !strncmp(key->p, names[f], key->len);
	if (seen[f] == 2 || (seen[f] == 1 && !exact))
		return -1;
	seen[f] = exact ? 2 : 1;
	return f;
}
