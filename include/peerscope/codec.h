/* codec: the encodings shared by the decoders of every module: JSON parsing
 * with the fault located, YAML documents loaded with a depth limit and the
 * fault located, base64, a hash of bodies, and wiping of secret bytes.
 *
 * Pure functions, no I/O. Errors are sentences without a prefix: the caller
 * adds what was being read. */
#ifndef PEERSCOPE_CODEC_H
#define PEERSCOPE_CODEC_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* H with the N bytes at B mixed in, eight a step: a body told from the last
 * one by its hash (not a hash for secrets or tables an attacker fills). */
uint64_t codec_hash_bytes(uint64_t h, const char *b, size_t n);

/* ------------------------------------------------------------------ YAML */

/* How deep a YAML or values document may nest. libyaml's scanner costs the
 * square of the depth of flow collections ("[[[[..." takes seconds), and
 * nothing real nests deeper than a few levels: the limit is checked while
 * the document is read, before it costs anything. */
#define CODEC_YAML_MAX_DEPTH 64

struct yaml_document_s;

/* Loads the first YAML document of the LEN bytes at TEXT (read from FILE,
 * named in errors) into *DOC. 0, or -1 with a sentence in ERR:
 * "FILE:LINE:COLUMN: invalid YAML: PROBLEM[ CONTEXT that starts at line L,
 * column C]", or "FILE:LINE:COLUMN: nested deeper than 64 levels". When
 * SECOND_LINE is not NULL it receives the line (from 1) of a second,
 * non-empty document, 0 when there is none. libyaml's buffers are wiped
 * (the text may hold credentials); free DOC with codec_yaml_free(). */
int codec_yaml_load(const char *file, const char *text, size_t len, struct yaml_document_s *doc,
                    unsigned long *second_line, char *err, size_t errlen);
/* Wipes every scalar of DOC, then frees it. */
void codec_yaml_free(struct yaml_document_s *doc);

/* ---------------------------------------------------------------- scanning */

/* A JSON scanner (src/codec_scan.c): the tokens of a body one at a time,
 * checked as it goes, without building a tree, for lists too large to hold
 * twice (a tree of cJSON nodes takes about eight times the text). Strings
 * come as raw text with their escapes; codec_scan_text() decodes one
 * (\uXXXX to UTF-8, a lone surrogate to U+FFFD). A fault stops it with a
 * sentence in why as codec_json_parse() words it. */
#define CODEC_SCAN_DEPTH 64

enum codec_tok {
	CODEC_T_ERROR, /* see why */
	CODEC_T_END,   /* the value is complete and nothing follows */
	CODEC_T_OBJECT,
	CODEC_T_OBJECT_END,
	CODEC_T_ARRAY,
	CODEC_T_ARRAY_END,
	CODEC_T_KEY, /* a member's name; its value is the next token */
	CODEC_T_STRING,
	CODEC_T_NUMBER, /* its text */
	CODEC_T_TRUE,
	CODEC_T_FALSE,
	CODEC_T_NULL,
};

/* Raw text inside the body: a string without its quotes, or a number. */
struct codec_text {
	const char *p;
	size_t len;
	bool escaped; /* holds a backslash escape */
};

struct codec_scan {
	const char *start, *p, *end;
	int expect;
	size_t depth;
	char stack[CODEC_SCAN_DEPTH];
	bool failed;
	char why[160];
};

/* Scans LEN bytes at JSON (no NUL needed), which must outlive S. */
void codec_scan_init(struct codec_scan *s, const char *json, size_t len);
/* The next token; T is set for a key, a string and a number. */
enum codec_tok codec_scan_next(struct codec_scan *s, struct codec_text *t);
/* Skips the rest of the value whose first token was FIRST (an object or
 * array up to its end; anything else is complete). False on a fault. */
bool codec_scan_skip(struct codec_scan *s, enum codec_tok first);
/* The next value whole, for a part of a body to be parsed on its own: its
 * first token, and in RAW its text from its first byte to its last (a
 * string with its quotes, an object or array to its closing bracket).
 * CODEC_T_ERROR on a fault, and where no value comes next. */
enum codec_tok codec_scan_value(struct codec_scan *s, struct codec_text *raw);
/* T decoded into OUT (room for t->len + 1 bytes), NUL-terminated; its
 * length. */
size_t codec_scan_text(const struct codec_text *t, char *out);
/* T is the key NAME, compared as Consul's decoder does (any case). */
bool codec_scan_key_is(const struct codec_text *t, const char *name);
/* Which of the N field NAMES the member KEY of an object stands for, as
 * Consul's decoder chooses: the key matched exactly, else in any case; of
 * two members for one field the first wins, and one written in the field's
 * own case wins over any other. SEEN (N bytes, zeroed for each object)
 * keeps what was taken. The field's index, or -1: skip the value. */
int codec_scan_field(const struct codec_text *key, const char *const *names, int n,
                     unsigned char *seen);
/* What a value whose first token is K is, as errors name it: "a string",
 * "a number", "a boolean", "a list", "an object" or "null". */
const char *codec_tok_name(enum codec_tok k);

/* Zeroes N bytes at P in a way the compiler keeps. */
void codec_wipe(void *p, size_t n);

/* Wipes the NUL-terminated S and frees it; NULL is fine. */
void codec_wipe_free(char *s);
/* Wipes every string value of the JSON tree at ROOT (before cJSON_Delete,
 * for a tree that held credentials); NULL is fine. */
void codec_json_wipe(cJSON *root);

#endif
