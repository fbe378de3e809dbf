/* log: thread-safe line logger with URL and header redaction. */
#include "autoconfig.h"

#include "peerscope/log.h"

#include "peerscope/term.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096

struct log_sink {
	pthread_mutex_t lock;
	FILE *out;
	bool owns_out;
	bool to_terminal; /* out is stderr or another terminal stream */
	bool suspended;
	enum log_level level;
};

static const char *const level_names[] = {
        [LOG_LEVEL_ERROR] = "error",
        [LOG_LEVEL_WARN] = "warn",
        [LOG_LEVEL_INFO] = "info",
        [LOG_LEVEL_DEBUG] = "debug",
};

const char *log_level_name(enum log_level level)
{
	if ((size_t)level >= sizeof level_names / sizeof level_names[0])
		return "?";
	return level_names[level];
}

bool log_level_parse(const char *name, enum log_level *level)
{
	for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
		if (!strcasecmp(name, level_names[i])) {
			*level = (enum log_level)i;
			return true;
		}
	}
	return false;
}

static struct log_sink *sink_new(FILE *out, bool owns_out, enum log_level level)
{
	struct log_sink *sink = calloc(1, sizeof *sink);

	if (!sink)
		return NULL;
	if (pthread_mutex_init(&sink->lock, NULL) != 0) {
		free(sink);
		return NULL;
	}
	sink->out = out;
	sink->owns_out = owns_out;
	sink->to_terminal = out == stderr || out == stdout;
	sink->level = level;
	return sink;
}

struct log_sink *log_open_stream(FILE *stream, enum log_level level)
{
	return sink_new(stream, false, level);
}

struct log_sink *log_open(const char *path, enum log_level level, char *err, size_t errlen)
{
	struct log_sink *sink;
	FILE *out;
	int fd;

	if (!path) {
		sink = sink_new(stderr, false, level);
		if (!sink)
			snprintf(err, errlen, "log: out of memory");
		return sink;
	}
	/* O_NONBLOCK: opening a FIFO nobody reads fails (ENXIO) instead of
	 * blocking; once open, writes block as usual. */
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "log file %s: %s", path,
		         errno == ENXIO ? "a FIFO or pipe with no reader" : strerror(errno));
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	out = fdopen(fd, "a");
	if (!out) {
		snprintf(err, errlen, "log file %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	sink = sink_new(out, true, level);
	if (!sink) {
		snprintf(err, errlen, "log: out of memory");
		fclose(out);
	}
	return sink;
}

void log_close(struct log_sink *sink)
{
	if (!sink)
		return;
	if (sink->owns_out)
		fclose(sink->out);
	else
		fflush(sink->out);
	pthread_mutex_destroy(&sink->lock);
	free(sink);
}

void log_set_level(struct log_sink *sink, enum log_level level)
{
	if (!sink)
		return;
	pthread_mutex_lock(&sink->lock);
	sink->level = level;
	pthread_mutex_unlock(&sink->lock);
}

void log_terminal_suspend(struct log_sink *sink, bool suspended)
{
	if (!sink)
		return;
	pthread_mutex_lock(&sink->lock);
	sink->suspended = suspended;
	pthread_mutex_unlock(&sink->lock);
}

static void timestamp(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ldZ", (long)(tv.tv_usec / 1000));
}

void log_msg(struct log_sink *sink, enum log_level level, const char *fmt, ...)
{
	char raw[LOG_LINE_MAX], line[LOG_LINE_MAX], when[40];
	va_list ap;

	if (!sink)
		return;
	pthread_mutex_lock(&sink->lock);
	bool wanted = level <= sink->level && !(sink->to_terminal && sink->suspended);
	pthread_mutex_unlock(&sink->lock);
	if (!wanted)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	/* One call is one line, and the text (often a server's) is made safe
	 * for whoever reads the log on a terminal. */
	term_sanitize(raw, line, sizeof line, 0);
	timestamp(when, sizeof when);

	pthread_mutex_lock(&sink->lock);
	fprintf(sink->out, "%s %-5s %s\n", when, log_level_name(level), line);
	fflush(sink->out);
	pthread_mutex_unlock(&sink->lock);
}
