/* peerscope-sim: small pure helpers — Go durations, base64, atomic file
 * writes. No world, no locks: unit-tested on their own. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

int64_t sim_parse_duration_ms(const char *s)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = {{"ns", 1e-6}, {"us", 1e-3}, {"µs", 1e-3},  {"ms", 1},
	             {"s", 1000},  {"m", 60000}, {"h", 3600000}};
	double total = 0;

	if (!s || !*s)
		return -1;
	if (!strcmp(s, "0"))
		return 0;
	while (*s) {
		/* Go's form only: digits with an optional fraction, no sign,
		 * exponent or hex. */
		const char *p = s;
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p == '.')
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
		if (p == s || (p == s + 1 && *s == '.'))
			return -1;
		char num[32];
		if ((size_t)(p - s) >= sizeof num)
			return -1;
		memcpy(num, s, (size_t)(p - s));
		num[p - s] = '\0';
		double v = strtod(num, NULL);
		s = p;
		size_t best = 0;
		double mult = 0;
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
			size_t l = strlen(units[i].unit);
			if (!strncmp(s, units[i].unit, l) && l > best) {
				best = l;
				mult = units[i].ms;
			}
		}
		if (!best)
			return -1;
		total += v * mult;
		s += best;
	}
	if (total > 1e15)
		return -1;
	return (int64_t)total;
}

int sim_write_file(const char *path, const char *text, int mode, char *err, size_t errlen)
{
	char tmp[1100];
	size_t len = strlen(text);

	if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof tmp) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	ssize_t n = write(fd, text, len);
	int werr = errno;
	if (close(fd) < 0 && n == (ssize_t)len) {
		n = -1;
		werr = errno;
	}
	if (n != (ssize_t)len || rename(tmp, path) < 0) {
		if (n == (ssize_t)len)
			werr = errno;
		unlink(tmp);
		snprintf(err, errlen, "%s: %s", path, strerror(werr ? werr : EIO));
		return -1;
	}
	return 0;
}

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *sim_b64_encode(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		*o++ = b64chars[(v >> 18) & 63];
		*o++ = b64chars[(v >> 12) & 63];
		*o++ = i + 1 < len ? b64chars[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? b64chars[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int b64val(int ch)
{
	const char *p = ch ? strchr(b64chars, ch) : NULL;

	return p ? (int)(p - b64chars) : -1;
}

char *sim_b64_decode(const char *text, size_t *len)
{
	size_t n = strlen(text);
	unsigned char *out;
	size_t o = 0;

	if (n % 4)
		return NULL;
	out = malloc(n / 4 * 3 + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		for (int k = 0; k < 4; k++) {
			v[k] = text[i + k] == '=' ? 0 : b64val((unsigned char)text[i + k]);
			bool pad_ok = text[i + k] == '=' && i + 4 == n && k >= 2 &&
			              (k == 3 || text[i + 3] == '=');
			if (v[k] < 0 || (text[i + k] == '=' && !pad_ok)) {
				free(out);
				return NULL;
			}
		}
		unsigned x = (unsigned)(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
		out[o++] = (unsigned char)(x >> 16);
		if (text[i + 2] != '=')
			out[o++] = (unsigned char)(x >> 8);
		if (text[i + 3] != '=')
			out[o++] = (unsigned char)x;
	}
	out[o] = '\0';
	*len = o;
	return (char *)out;
}

void sim_url_host(const char *addr, char *buf, size_t len)
{
	/* An IPv6 address goes in brackets in a URL. */
	if (strchr(addr, ':'))
		snprintf(buf, len, "[%s]", addr);
	else
		snprintf(buf, len, "%s", addr);
}
