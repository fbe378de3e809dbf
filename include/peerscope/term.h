/* term: text written by someone else, made safe to show.
 *
 * Names, messages, annotations, error bodies, file contents and a plugin's
 * stderr all come from outside, and peerscope's output goes to an
 * operator's terminal (or a log or JSON document read there). One rule for
 * every text that leaves the program, applied where it leaves:
 *
 *   - C0 controls and DEL become visible escapes: "\n", "\r", "\t" and
 *     "\xHH" (ESC is "\x1b"), so no text can move the cursor, set the
 *     title (OSC 0), write the clipboard (OSC 52) or clear the screen;
 *   - C1 controls (U+0080..U+009F, a CSI of their own) become "\u0085";
 *   - bidirectional controls (U+202A..U+202E, U+2066..U+2069, and the
 *     marks U+200E, U+200F, U+061C) and the line and paragraph separators
 *     (U+2028, U+2029) become "\u202e": nothing reorders what follows;
 *   - a byte that is not part of valid UTF-8 (overlong forms, surrogates
 *     and code points past U+10FFFF included) becomes U+FFFD.
 *
 * The result is valid UTF-8 made of printable characters, and the rule is
 * idempotent: a safe text goes through unchanged, so a text made safe
 * where it was received (a step note, an error) can be made safe again
 * where it is printed. Backslashes are left alone: "\x1b" in a name is
 * shown as it is, which is lossy but never dangerous.
 *
 * The printf family here treats its format as the program's own (kept as
 * it is, newlines and all) and every %s and %c argument as outside text;
 * %s widths and precisions count characters, not bytes, so tables of UTF-8
 * names line up. %n is not supported.
 *
 * Pure functions, no state; any thread. */
#ifndef PEERSCOPE_TERM_H
#define PEERSCOPE_TERM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What stands for a byte that is not valid UTF-8. */
#define TERM_REPLACEMENT 0xFFFDu
/* Room for the longest thing one code point becomes ("\u202e" + NUL). */
#define TERM_ESC_MAX     8

/* Flags of term_sanitize() and term_fputs(). */
enum {
	TERM_KEEP_NEWLINE = 1, /* '\n' passes (a text of several lines) */
	TERM_KEEP_TAB = 2,     /* '\t' passes */
};

/* Decodes the UTF-8 character at S (N > 0 bytes available) into *CP and
 * returns the bytes it used; an invalid byte gives TERM_REPLACEMENT and 1. */
size_t term_decode(const char *s, size_t n, uint32_t *cp);
/* True when CP may not be shown as it is. */
bool term_unsafe(uint32_t cp);
/* Writes what CP is shown as (its escape, or its UTF-8) to OUT, NUL-ended;
 * returns the length. */
size_t term_show(uint32_t cp, unsigned flags, char out[TERM_ESC_MAX]);

/* The safe form of IN into OUT (capacity LEN > 0, always NUL-ended, cut at
 * a character boundary). Returns the length of the complete safe form, so
 * that a result >= LEN means it was cut. */
size_t term_sanitize(const char *in, char *out, size_t len, unsigned flags);
/* The same, malloc'd; NULL when out of memory. NULL IN gives "". */
char *term_sanitize_dup(const char *in, unsigned flags);
/* True when IN is already safe (term_sanitize would not change it). */
bool term_is_safe(const char *in, unsigned flags);
/* How many characters the safe form of S shows (an escape counts as its
 * length), for lining up columns. */
size_t term_width(const char *s);
/* Makes the NUL-terminated S safe where it stands, cutting what does not
 * fit in its buffer of CAP bytes. */
void term_sanitize_inplace(char *s, size_t cap, unsigned flags);

/* Writes the safe form of S to F. 0, or EOF on a write error. */
int term_fputs(const char *s, FILE *f, unsigned flags);

/* printf whose %s and %c arguments are made safe (see above). They return
 * what the libc functions return; term_snprintf cuts at a character. */
int term_vfprintf(FILE *f, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
int term_fprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int term_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int term_vsnprintf(char *buf, size_t len, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));
int term_snprintf(char *buf, size_t len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* JSON text (cJSON's output, whose strings may hold any bytes) made valid
 * UTF-8 and safe to show: a byte that is not valid UTF-8 becomes \ufffd,
 * and DEL, C1 and bidirectional controls inside strings become \u escapes
 * (lossless: a JSON reader gets the same string back). malloc'd; NULL when
 * out of memory. */
char *term_json(const char *json);

#endif
