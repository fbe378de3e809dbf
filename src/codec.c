/* codec: JSON parsing with a located fault, base64, wiping. See
 * include/peerscope/codec.h. */
#include "autoconfig.h"

#include "peerscope/codec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

unsigned char *codec_base64_decode(const char *in, size_t n, enum codec_b64_mode mode,
                                   size_t *out_len, long *bad_at)
{
	unsigned char *out;
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0;

	*out_len = 0;
	*bad_at = b64_bad_at(in, n, mode);
	if (*bad_at >= 0)
		return NULL;
	out = malloc(n / 4 * 3 + 4);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
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

void codec_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

void codec_wipe_free(char *s)
{
	if (!s)
		return;
	codec_wipe(s, strlen(s));
	free(s);
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
