/* term: outside text made safe to show. See include/peerscope/term.h. */
#include "autoconfig.h"

#include "peerscope/term.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* ------------------------------------------------------------------ UTF-8 */

static bool cont(unsigned char b)
{
	return (b & 0xC0) == 0x80;
}

size_t term_decode(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char lo = 0x80, hi = 0xBF;
	size_t need;
	uint32_t v;

	*cp = TERM_REPLACEMENT;
	if (!n)
		return 0;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if (u[0] >= 0xC2 && u[0] <= 0xDF) {
		need = 2;
		v = u[0] & 0x1Fu;
	} else if (u[0] >= 0xE0 && u[0] <= 0xEF) {
		need = 3;
		v = u[0] & 0x0Fu;
		if (u[0] == 0xE0)
			lo = 0xA0; /* no overlong forms */
		if (u[0] == 0xED)
			hi = 0x9F; /* no surrogates */
	} else if (u[0] >= 0xF0 && u[0] <= 0xF4) {
		need = 4;
		v = u[0] & 0x07u;
		if (u[0] == 0xF0)
			lo = 0x90;
		if (u[0] == 0xF4)
			hi = 0x8F; /* nothing past U+10FFFF */
	} else {
		return 1;
	}
	if (n < need || u[1] < lo || u[1] > hi)
		return 1;
	for (size_t i = 1; i < need; i++) {
		if (!cont(u[i]))
			return 1;
		v = v << 6 | (u[i] & 0x3Fu);
	}
	*cp = v;
	return need;
}

bool term_unsafe(uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F))
		return true;
	if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069))
		return true;
	return cp == 0x200E || cp == 0x200F || cp == 0x061C || cp == 0x2028 || cp == 0x2029;
}

static size_t utf8_put(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

size_t term_show(uint32_t cp, unsigned flags, char out[TERM_ESC_MAX])
{
	size_t n;

	if ((cp == '\n' && (flags & TERM_KEEP_NEWLINE)) ||
	    (cp == '\t' && (flags & TERM_KEEP_TAB)) || !term_unsafe(cp)) {
		n = utf8_put(cp, out);
		out[n] = '\0';
		return n;
	}
	if (cp == '\n')
		return (size_t)snprintf(out, TERM_ESC_MAX, "\\n");
	if (cp == '\r')
		return (size_t)snprintf(out, TERM_ESC_MAX, "\\r");
	if (cp == '\t')
		return (size_t)snprintf(out, TERM_ESC_MAX, "\\t");
	if (cp < 0x20 || cp == 0x7F)
		return (size_t)snprintf(out, TERM_ESC_MAX, "\\x%02x", (unsigned)cp);
	return (size_t)snprintf(out, TERM_ESC_MAX, "\\u%04x", (unsigned)cp);
}

/* --------------------------------------------------------------- sanitise */

size_t term_sanitize(const char *in, char *out, size_t len, unsigned flags)
{
	size_t total = 0, o = 0, n;
	bool full = false;

	if (!in)
		in = "";
	n = strlen(in);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		char piece[TERM_ESC_MAX];
		i += term_decode(in + i, n - i, &cp);
		size_t k = term_show(cp, flags, piece);
		total += k;
		if (full || o + k >= len) {
			full = true;
			continue;
		}
		memcpy(out + o, piece, k);
		o += k;
	}
	if (len)
		out[o] = '\0';
	return total;
}

char *term_sanitize_dup(const char *in, unsigned flags)
{
	char small;
	size_t n = term_sanitize(in, &small, 1, flags);
	char *out = malloc(n + 1);

	if (out)
		term_sanitize(in, out, n + 1, flags);
	return out;
}

bool term_is_safe(const char *in, unsigned flags)
{
	size_t n = strlen(in);

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = term_decode(in + i, n - i, &cp);
		if (cp == TERM_REPLACEMENT && k == 1)
			return false;
		if (term_unsafe(cp) && !(cp == '\n' && (flags & TERM_KEEP_NEWLINE)) &&
		    !(cp == '\t' && (flags & TERM_KEEP_TAB)))
			return false;
		i += k;
	}
	return true;
}

size_t term_width(const char *s)
{
	size_t n = strlen(s), w = 0;

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		char piece[TERM_ESC_MAX];
		i += term_decode(s + i, n - i, &cp);
		w += term_unsafe(cp) ? term_show(cp, 0, piece) : 1;
	}
	return w;
}

void term_sanitize_inplace(char *s, size_t cap, unsigned flags)
{
	char *copy;

	if (!cap || term_is_safe(s, flags))
		return;
	copy = strdup(s);
	if (!copy) {
		/* No memory for a copy: cut at the first unsafe character. */
		size_t n = strlen(s);
		for (size_t i = 0; i < n;) {
			uint32_t cp;
			size_t k = term_decode(s + i, n - i, &cp);
			if (term_unsafe(cp) || (cp == TERM_REPLACEMENT && k == 1)) {
				s[i] = '\0';
				return;
			}
			i += k;
		}
		return;
	}
	term_sanitize(copy, s, cap, flags);
	free(copy);
}

int term_fputs(const char *s, FILE *f, unsigned flags)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		char piece[TERM_ESC_MAX];
		i += term_decode(s + i, n - i, &cp);
		size_t k = term_show(cp, flags, piece);
		if (fwrite(piece, 1, k, f) != k)
			return EOF;
	}
	return 0;
}

/* ------------------------------------------------------------------ printf */

/* A growing string: a buffer on the stack first, the heap when it fills. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool heap, oom;
	char local[1024];
};

static void sb_init(struct sbuf *b)
{
	b->p = b->local;
	b->len = 0;
	b->cap = sizeof b->local;
	b->heap = b->oom = false;
	b->local[0] = '\0';
}

static void sb_free(struct sbuf *b)
{
	if (b->heap)
		free(b->p);
}

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap * 2;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = b->heap ? realloc(b->p, cap) : malloc(cap);
		if (!p) {
			b->oom = true;
			return;
		}
		if (!b->heap)
			memcpy(p, b->p, b->len);
		b->p = p;
		b->cap = cap;
		b->heap = true;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_pad(struct sbuf *b, size_t n)
{
	static const char spaces[] = "                                ";

	while (n) {
		size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
		sb_add(b, spaces, k);
		n -= k;
	}
}

/* The safe form of S, at most PREC characters (< 0: all), padded with
 * spaces to WIDTH characters, on the left unless LEFT. */
static void put_text(struct sbuf *b, const char *s, int width, int prec, bool left)
{
	size_t n = strlen(s), chars = 0, start = b->len;
	size_t limit = prec < 0 ? (size_t)-1 : (size_t)prec;

	for (size_t i = 0; i < n && chars < limit;) {
		uint32_t cp;
		char piece[TERM_ESC_MAX];
		i += term_decode(s + i, n - i, &cp);
		size_t k = term_show(cp, 0, piece);
		/* An escape counts as the characters it shows. */
		size_t shown = term_unsafe(cp) ? k : 1;
		if (chars + shown > limit)
			break;
		sb_add(b, piece, k);
		chars += shown;
	}
	if (width < 0 || chars >= (size_t)width)
		return;
	if (left) {
		sb_pad(b, (size_t)width - chars);
		return;
	}
	/* Right-aligned: the text moves right by the padding. */
	size_t pad = (size_t)width - chars, used = b->len - start;
	sb_pad(b, pad);
	if (b->oom)
		return;
	memmove(b->p + start + pad, b->p + start, used);
	memset(b->p + start, ' ', pad);
}

enum len_mod {
	LEN_NONE,
	LEN_HH,
	LEN_H,
	LEN_L,
	LEN_LL,
	LEN_Z,
	LEN_J,
	LEN_T,
	LEN_BIG_L,
};

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
/* One numeric conversion by the C library, with the spec as written. */
#define EMIT(type)                                                                                 \
	do {                                                                                       \
		type v_ = va_arg(*ap, type);                                                       \
		int n_ = width >= 0 && prec >= 0                                                   \
		                 ? snprintf(tmp, sizeof tmp, spec, width, prec, v_)                \
		         : width >= 0 ? snprintf(tmp, sizeof tmp, spec, width, v_)                 \
		         : prec >= 0  ? snprintf(tmp, sizeof tmp, spec, prec, v_)                  \
		                      : snprintf(tmp, sizeof tmp, spec, v_);                        \
		if (n_ < 0)                                                                        \
			break;                                                                     \
		if ((size_t)n_ < sizeof tmp) {                                                     \
			sb_add(b, tmp, (size_t)n_);                                                \
			break;                                                                     \
		}                                                                                  \
		char *big_ = malloc((size_t)n_ + 1);                                               \
		if (!big_) {                                                                       \
			b->oom = true;                                                             \
			break;                                                                     \
		}                                                                                  \
		if (width >= 0 && prec >= 0)                                                       \
			snprintf(big_, (size_t)n_ + 1, spec, width, prec, v_);                     \
		else if (width >= 0)                                                               \
			snprintf(big_, (size_t)n_ + 1, spec, width, v_);                           \
		else if (prec >= 0)                                                                \
			snprintf(big_, (size_t)n_ + 1, spec, prec, v_);                            \
		else                                                                               \
			snprintf(big_, (size_t)n_ + 1, spec, v_);                                  \
		sb_add(b, big_, (size_t)n_);                                                       \
		free(big_);                                                                        \
	} while (0)

static void emit_number(struct sbuf *b, const char *spec, char conv, enum len_mod lm, int width,
                        int prec, va_list *ap)
{
	char tmp[256];
	bool is_signed = conv == 'd' || conv == 'i';

	switch (conv) {
	case 'd':
	case 'i':
	case 'u':
	case 'x':
	case 'X':
	case 'o':
		switch (lm) {
		case LEN_L:
			if (is_signed)
				EMIT(long);
			else
				EMIT(unsigned long);
			break;
		case LEN_LL:
			if (is_signed)
				EMIT(long long);
			else
				EMIT(unsigned long long);
			break;
		case LEN_Z:
			if (is_signed)
				EMIT(ssize_t);
			else
				EMIT(size_t);
			break;
		case LEN_J:
			if (is_signed)
				EMIT(intmax_t);
			else
				EMIT(uintmax_t);
			break;
		case LEN_T:
			EMIT(ptrdiff_t);
			break;
		default: /* hh and h arrive promoted to int */
			if (is_signed)
				EMIT(int);
			else
				EMIT(unsigned);
			break;
		}
		break;
	case 'p':
		EMIT(void *);
		break;
	default: /* f F e E g G a A */
		if (lm == LEN_BIG_L)
			EMIT(long double);
		else
			EMIT(double);
		break;
	}
}
#undef EMIT
#pragma GCC diagnostic pop

static const char *parse_len(const char *p, enum len_mod *lm)
{
	*lm = LEN_NONE;
	switch (*p) {
	case 'h':
		*lm = p[1] == 'h' ? LEN_HH : LEN_H;
		return p + (p[1] == 'h' ? 2 : 1);
	case 'l':
		*lm = p[1] == 'l' ? LEN_LL : LEN_L;
		return p + (p[1] == 'l' ? 2 : 1);
	case 'z':
		*lm = LEN_Z;
		return p + 1;
	case 'j':
		*lm = LEN_J;
		return p + 1;
	case 't':
		*lm = LEN_T;
		return p + 1;
	case 'L':
		*lm = LEN_BIG_L;
		return p + 1;
	default:
		return p;
	}
}

/* One conversion starting after its '%'; returns where the format goes on. */
static const char *convert(struct sbuf *b, const char *p, va_list *ap)
{
	char spec[32], *s = spec;
	bool left = false;
	int width = -1, prec = -1;
	enum len_mod lm;

	*s++ = '%';
	while (*p && strchr("-+ #0", *p)) {
		left |= *p == '-';
		if (s < spec + 8)
			*s++ = *p;
		p++;
	}
	if (*p == '*') {
		width = va_arg(*ap, int);
		if (width < 0) {
			left = true;
			width = -width;
			*s++ = '-';
		}
		p++;
	} else if (*p >= '1' && *p <= '9') {
		char *end;
		width = (int)strtol(p, &end, 10);
		p = end;
	}
	if (*p == '.') {
		p++;
		if (*p == '*') {
			prec = va_arg(*ap, int);
			p++;
		} else {
			char *end;
			prec = (int)strtol(p, &end, 10);
			p = end;
		}
	}
	const char *lstart = p;
	p = parse_len(p, &lm);
	char conv = *p ? *p++ : '\0';
	if (width >= 0)
		*s++ = '*';
	if (prec >= 0) {
		*s++ = '.';
		*s++ = '*';
	}
	memcpy(s, lstart, (size_t)(p - lstart));
	s += p - lstart;
	*s = '\0';
	switch (conv) {
	case 's': {
		const char *text = va_arg(*ap, const char *);
		put_text(b, text ? text : "(null)", width, prec, left);
		break;
	}
	case 'c': {
		char one[2] = {(char)va_arg(*ap, int), '\0'};
		put_text(b, one, width, -1, left);
		break;
	}
	case 'd':
	case 'i':
	case 'u':
	case 'x':
	case 'X':
	case 'o':
	case 'p':
	case 'f':
	case 'F':
	case 'e':
	case 'E':
	case 'g':
	case 'G':
	case 'a':
	case 'A':
		emit_number(b, spec, conv, lm, width, prec, ap);
		break;
	default:
		/* %n and unknown conversions: nothing is written or read. */
		break;
	}
	return p;
}

static void format(struct sbuf *b, const char *fmt, va_list ap)
{
	va_list aq;

	va_copy(aq, ap);
	for (const char *p = fmt; *p;) {
		if (*p != '%') {
			const char *q = strchr(p, '%');
			size_t n = q ? (size_t)(q - p) : strlen(p);
			sb_add(b, p, n);
			p += n;
			continue;
		}
		if (p[1] == '%') {
			sb_add(b, "%", 1);
			p += 2;
			continue;
		}
		p = convert(b, p + 1, &aq);
	}
	va_end(aq);
}

int term_vfprintf(FILE *f, const char *fmt, va_list ap)
{
	struct sbuf b;
	int rc;

	sb_init(&b);
	format(&b, fmt, ap);
	if (b.oom) {
		sb_free(&b);
		return -1;
	}
	rc = fwrite(b.p, 1, b.len, f) == b.len ? (int)b.len : -1;
	sb_free(&b);
	return rc;
}

int term_fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = term_vfprintf(f, fmt, ap);
	va_end(ap);
	return rc;
}

int term_printf(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = term_vfprintf(stdout, fmt, ap);
	va_end(ap);
	return rc;
}

/* The length of the longest start of S (N bytes) that fits in LEN - 1
 * bytes without cutting a character. */
static size_t fit(const char *s, size_t n, size_t len)
{
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t k = term_decode(s + i, n - i, &cp);
		if (i + k > len - 1)
			break;
		i += k;
	}
	return i;
}

int term_vsnprintf(char *buf, size_t len, const char *fmt, va_list ap)
{
	struct sbuf b;
	int rc;

	sb_init(&b);
	format(&b, fmt, ap);
	if (b.oom) {
		sb_free(&b);
		if (len)
			buf[0] = '\0';
		return -1;
	}
	if (len) {
		size_t k = fit(b.p, b.len, len);
		memcpy(buf, b.p, k);
		buf[k] = '\0';
	}
	rc = (int)b.len;
	sb_free(&b);
	return rc;
}

int term_snprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = term_vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return rc;
}

/* -------------------------------------------------------------------- JSON */

char *term_json(const char *json)
{
	struct sbuf b;
	size_t n = strlen(json);
	char *out;

	sb_init(&b);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = term_decode(json + i, n - i, &cp);
		char esc[TERM_ESC_MAX];
		if (cp == TERM_REPLACEMENT && k == 1) {
			sb_add(&b, "\\ufffd", 6);
		} else if (cp >= 0x20 && term_unsafe(cp)) {
			/* Outside strings JSON is ASCII without DEL: these are
			 * inside a string, where \u is the same character. */
			snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);
			sb_add(&b, esc, 6);
		} else {
			sb_add(&b, json + i, k);
		}
		i += k;
	}
	if (b.oom) {
		sb_free(&b);
		return NULL;
	}
	out = b.heap ? b.p : strdup(b.p);
	return out;
}
