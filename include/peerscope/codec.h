/* codec: the encodings shared by the decoders of every module: JSON parsing
 * with the fault located, base64, and wiping of secret bytes.
 *
 * Pure functions, no I/O. Errors are sentences without a prefix: the caller
 * adds what was being read. */
#ifndef PEERSCOPE_CODEC_H
#define PEERSCOPE_CODEC_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* Parses LEN bytes of JSON (no NUL needed). NULL on a fault, with a
 * sentence in WHY that names it and its byte offset: "empty body where JSON
 * was expected", "invalid JSON: the text ends early (truncated after N
 * bytes)" for a body that ends inside a string or with brackets open,
 * "invalid JSON at byte N of M", "invalid JSON: unexpected text after the
 * value at byte N". */
cJSON *codec_json_parse(const char *json, size_t len, char *why, size_t whylen);

enum codec_b64_mode {
	/* Go's StdEncoding as Kubernetes writes []byte: the standard alphabet,
	 * padding optional but only at the end, no blanks. */
	CODEC_B64_STRICT,
	/* Also URL-safe letters, missing padding, and blanks anywhere. */
	CODEC_B64_LENIENT,
};

/* Decodes the N bytes of base64 at IN into a malloc'd buffer of *out_len
 * bytes, NUL-terminated. NULL when out of memory (*bad_at = -1) or when the
 * text is not base64 (*bad_at = offset of the first bad byte, or N when the
 * length is impossible). */
unsigned char *codec_base64_decode(const char *in, size_t n, enum codec_b64_mode mode,
                                   size_t *out_len, long *bad_at);

/* Standard base64 with padding of LEN bytes at DATA, malloc'd and
 * NUL-terminated; NULL when out of memory. Wipe it when DATA was secret. */
char *codec_base64_encode(const void *data, size_t len);

/* Zeroes N bytes at P in a way the compiler keeps. */
void codec_wipe(void *p, size_t n);

/* Wipes the NUL-terminated S and frees it; NULL is fine. */
void codec_wipe_free(char *s);

#endif
