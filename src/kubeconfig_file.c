/* kubeconfig: reading a whole file as kubectl does, without ever blocking.
 * The kubeconfig parser, the exec plugins (a CA for KUBERNETES_EXEC_INFO),
 * peerscope's own config file, themes and token files read through it.
 * See include/peerscope/kubeconfig.h. */
#include "autoconfig.h"

#include "peerscope/kubeconfig.h"

#include "peerscope/codec.h"
#include "peerscope/monotime.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a file that is not a regular file is, for errors. */
static const char *kind_of(mode_t m)
{
	if (S_ISDIR(m))
		return "is a directory";
	if (S_ISFIFO(m))
		return "is not a regular file (a FIFO or pipe)";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "is not a regular file (a device)";
	if (S_ISSOCK(m))
		return "is not a regular file (a socket)";
	return "is not a regular file";
}

/* Grows BUF (capacity *CAP, N bytes used) to hold at least one more byte,
 * up to MAX + 2. Not realloc: the text may hold credentials, and the old
 * buffer is wiped before it goes back to the heap. */
static int grow(char **buf, size_t *cap, size_t n, size_t max)
{
	size_t want = *cap ? *cap * 2 : 4096;
	char *grown;

	want = want < max + 2 ? want : max + 2;
	grown = malloc(want);
	if (!grown)
		return -1;
	if (*buf) {
		memcpy(grown, *buf, n);
		codec_wipe(*buf, *cap);
		free(*buf);
	}
	*buf = grown;
	*cap = want;
	return 0;
}

/* Waits until FD has something to read (or its end), at most until
 * DEADLINE_MS (monotime); -1 with errno = ETIMEDOUT when it passed. */
static int wait_readable(int fd, int64_t deadline_ms)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = monotime_left_ms(deadline_ms);
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		int n = poll(&p, 1, left > 1000 ? 1000 : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

char *kubeconfig_read_file(const char *path, size_t max, long pipe_timeout_ms, size_t *len,
                           char *err, size_t errlen)
{
	/* O_NONBLOCK: opening a FIFO nobody writes must not block. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int64_t deadline = monotime_ms() + pipe_timeout_ms;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	struct stat st;
	bool pipe = false;

	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		pipe = S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISSOCK(st.st_mode);
		if (!pipe || pipe_timeout_ms <= 0) {
			snprintf(err, errlen, "%s", kind_of(st.st_mode));
			goto fail;
		}
	} else {
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	}
	/* One byte past MAX tells a file that is too large. */
	for (;;) {
		if (cap - n < 2 && grow(&buf, &cap, n, max) != 0) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		if (pipe && wait_readable(fd, deadline) != 0) {
			if (errno == ETIMEDOUT)
				snprintf(err, errlen, "%s within %ld s (a pipe that did not end)",
				         n ? "the rest did not arrive" : "nothing arrived",
				         (pipe_timeout_ms + 999) / 1000);
			else
				snprintf(err, errlen, "%s", strerror(errno));
			goto fail;
		}
		ssize_t got = read(fd, buf + n, cap - 1 - n);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got < 0) {
			snprintf(err, errlen, "%s", strerror(errno));
			goto fail;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > max) {
			snprintf(err, errlen, "larger than %zu bytes", max);
			goto fail;
		}
	}
	buf[n] = '\0';
	*len = n;
	close(fd);
	return buf;
fail:
	if (buf)
		codec_wipe(buf, cap);
	free(buf);
	close(fd);
	return NULL;
}
