/* codec: JSON parsing with a located fault, base64, wiping. See
 * include/peerscope/codec.h. */
#include "autoconfig.h"

#include "peerscope/codec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* True when the text ends inside a string or with brackets still open: the
 * mark of a body cut short, as opposed to one that is wrong. */
static bool unclosed(const char *json, size_t len)
{
	bool in_string = false;
	long depth = 0;

	for (size_t i = 0; i < len; i++) {
		char c = json[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return in_string || depth > 0;
}

cJSON *codec_json_parse(const char *json, size_t len, char *why, size_t whylen)
{
	const char *end = NULL;
	cJSON *root;
	size_t i = 0;

	while (json && i < len && blank(json[i]))
		i++;
	if (!json || i == len) {
		snprintf(why, whylen, "empty body where JSON was expected");
		return NULL;
	}
	root = cJSON_ParseWithLengthOpts(json, len, &end, false);
	if (!root) {
		size_t at = end && end >= json ? (size_t)(end - json) : 0;
		if (at >= len || unclosed(json, len))
			snprintf(why, whylen,
			         "invalid JSON: the text ends early (truncated after %zu bytes)",
			         len);
		else
			snprintf(why, whylen, "invalid JSON at byte %zu of %zu", at, len);
		return NULL;
	}
	for (i = (size_t)(end - json); i < len && json[i]; i++) {
		if (!blank(json[i])) {
			cJSON_Delete(root);
			snprintf(why, whylen,
			         "invalid JSON: unexpected text after the value at byte %zu", i);
			return NULL;
		}
	}
	return root;
}

static int b64_value(unsigned char c, enum codec_b64_mode mode)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || (c == '-' && mode == CODEC_B64_LENIENT))
		return 62;
	if (c == '/' || (c == '_' && mode == CODEC_B64_LENIENT))
		return 63;
	return -1;
}

/* The offset of the first byte that cannot stand in base64 text of MODE, or
 * -1. Padding ends the data: nothing but padding (and, when lenient, blanks)
 * may follow it. */
static long b64_bad_at(const char *in, size_t n, enum codec_b64_mode mode)
{
	size_t data = 0, pad = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (mode == CODEC_B64_LENIENT && blank((char)c))
			continue;
		if (c == '=')
			pad++;
		else if (pad || b64_value(c, mode) < 0)
			return (long)i;
		else
			data++;
	}
	if (mode == CODEC_B64_STRICT && (data % 4 == 1 || pad > 2))
		return (long)n;
	return -1;
}

/* The values of the standard alphabet's letters, each plus one, for the
 * run of whole quads decode_quads() takes at a look-up a letter: any other
 * byte is 0 here. */
static const unsigned char b64_std[256] = {
        ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,
        ['H'] = 8,  ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14,
        ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21,
        ['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28,
        ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35,
        ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
        ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49,
        ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
        ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63,
        ['/'] = 64,
};

/* Decodes the whole quads of standard letters at the start of IN (N bytes)
 * into OUT, up to the last quad that the rest may still end: a quad with a
 * blank, padding or another alphabet's letter stops it, and so does the
 * last quad of the text, which the careful pass reads. How many bytes of IN
 * it took (a multiple of 4); *O, how many it wrote. A release Secret is
 * about a megabyte of base64 twice over: a byte at a time through
 * b64_value(), in two passes, it took 53 instructions a byte. A quad is
 * four look-ups and one test (a letter's value less one is negative only
 * for a byte not in the table), its bytes counted in a local. */
static size_t decode_quads(const char *in, size_t n, unsigned char *out, size_t *o)
{
	const unsigned char *u = (const unsigned char *)in;
	size_t i = 0, w = 0;

	while (n >= 8 && i <= n - 8) {
		int a = b64_std[u[i]] - 1, b = b64_std[u[i + 1]] - 1, c = b64_std[u[i + 2]] - 1,
		    d = b64_std[u[i + 3]] - 1;
		if ((a | b | c | d) < 0)
			break;
		uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
		out[w] = (unsigned char)(v >> 16);
		out[w + 1] = (unsigned char)(v >> 8);
		out[w + 2] = (unsigned char)v;
		w += 3;
		i += 4;
	}
	*o = w;
	return i;
}

unsigned char *codec_base64_decode(const char *in, size_t n, enum codec_b64_mode mode,
                                   size_t *out_len, long *bad_at)
{
	unsigned char *out;
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0, i;

	*out_len = 0;
	*bad_at = -1;
	out = malloc(n / 4 * 3 + 4);
	if (!out)
		return NULL;
	/* The quads before the first byte that needs a look, then the rest
	 * letter by letter, checked as a whole first: both alphabets and
	 * both modes read a standard quad alike, and a quad of four letters
	 * leaves no bits over. */
	i = decode_quads(in, n, out, &o);
	long bad = b64_bad_at(in + i, n - i, mode);
	if (bad >= 0) {
		free(out);
		*bad_at = (long)i + bad;
		return NULL;
	}
	for (; i < n; i++) {
		int v = b64_value((unsigned char)in[i], mode);
		if (v < 0)
			continue; /* blanks and padding, checked above */
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

/* memset through a pointer the compiler cannot see through: the stores
 * are kept, at memset's speed (a byte at a time took milliseconds for a
 * large response body, wiped as any body is). */
static void *(*const volatile wipe_memset)(void *, int, size_t) = memset;

void codec_wipe(void *p, size_t n)
{
	if (n)
		wipe_memset(p, 0, n);
}

void codec_wipe_free(char *s)
{
	if (!s)
		return;
	codec_wipe(s, strlen(s));
	free(s);
}

void codec_json_wipe(cJSON *root)
{
	for (cJSON *it = root; it; it = it->next) {
		if (cJSON_IsString(it) && it->valuestring)
			codec_wipe(it->valuestring, strlen(it->valuestring));
		codec_json_wipe(it->child);
	}
}

/* ------------------------------------------------------------------ YAML */

static void yaml_problem(const yaml_parser_t *p, const char *file, char *err, size_t errlen)
{
	int n = snprintf(err, errlen, "%s:%lu:%lu: invalid YAML: %s", file,
	                 (unsigned long)p->problem_mark.line + 1,
	                 (unsigned long)p->problem_mark.column + 1,
	                 p->problem ? p->problem : "syntax error");

	if (n < 0 || (size_t)n >= errlen || !p->context)
		return;
	snprintf(err + n, errlen - (size_t)n, " %s that starts at line %lu, column %lu", p->context,
	         (unsigned long)p->context_mark.line + 1,
	         (unsigned long)p->context_mark.column + 1);
}

/* libyaml keeps copies of the text in its buffers: wipe them, then free. */
static void parser_delete(yaml_parser_t *p)
{
	if (p->raw_buffer.start)
		codec_wipe(p->raw_buffer.start, (size_t)(p->raw_buffer.end - p->raw_buffer.start));
	if (p->buffer.start)
		codec_wipe(p->buffer.start, (size_t)(p->buffer.end - p->buffer.start));
	yaml_parser_delete(p);
}

/* Reads the events of the stream only to measure its depth: -1
 * with ERR at the first collection past the limit, 0 otherwise (a syntax
 * error is left to the load, which reports it). Stopping there is what
 * keeps a deep document cheap. */
static int check_depth(const char *file, const char *text, size_t len, char *err, size_t errlen)
{
	yaml_parser_t p;
	yaml_event_t e;
	int depth = 0, rc = 0;
	bool done = false;

	if (!yaml_parser_initialize(&p))
		return 0; /* the load reports the lack of memory */
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done && yaml_parser_parse(&p, &e)) {
		switch (e.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > CODEC_YAML_MAX_DEPTH) {
				snprintf(err, errlen, "%s:%lu:%lu: nested deeper than %d levels",
				         file, (unsigned long)e.start_mark.line + 1,
				         (unsigned long)e.start_mark.column + 1,
				         CODEC_YAML_MAX_DEPTH);
				rc = -1;
				done = true;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&e);
	}
	parser_delete(&p);
	return rc;
}

int codec_yaml_load(const char *file, const char *text, size_t len, yaml_document_t *doc,
                    unsigned long *second_line, char *err, size_t errlen)
{
	yaml_parser_t p;

	if (second_line)
		*second_line = 0;
	if (check_depth(file, text, len, err, errlen) < 0)
		return -1;
	if (!yaml_parser_initialize(&p)) {
		snprintf(err, errlen, "%s: out of memory", file);
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, doc)) {
		yaml_problem(&p, file, err, errlen);
		parser_delete(&p);
		return -1;
	}
	if (second_line) {
		yaml_document_t more;
		if (yaml_parser_load(&p, &more)) {
			yaml_node_t *root = yaml_document_get_root_node(&more);
			if (root && !(root->type == YAML_SCALAR_NODE &&
			              root->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
			              (!root->data.scalar.length ||
			               !strcmp((const char *)root->data.scalar.value, "~") ||
			               !strcmp((const char *)root->data.scalar.value, "null"))))
				*second_line = (unsigned long)more.start_mark.line + 1;
			codec_yaml_free(&more);
		}
	}
	parser_delete(&p);
	return 0;
}

void codec_yaml_free(yaml_document_t *doc)
{
	for (yaml_node_t *n = doc->nodes.start; n && n < doc->nodes.top; n++)
		if (n->type == YAML_SCALAR_NODE && n->data.scalar.value)
			codec_wipe(n->data.scalar.value, n->data.scalar.length);
	yaml_document_delete(doc);
}

char *codec_base64_encode(const void *data, size_t len)
{
	static const char abc[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *in = data;
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		*o++ = abc[v >> 18 & 63];
		*o++ = abc[v >> 12 & 63];
		*o++ = i + 1 < len ? abc[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? abc[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

uint64_t codec_hash_bytes(uint64_t h, const char *b, size_t n)
{
	uint64_t w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	for (; i < n; i++) {
		h ^= (unsigned char)b[i];
		h *= 1099511628211ull;
	}
	return h;
}
