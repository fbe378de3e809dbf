/* log: a small thread-safe logger with a redaction guarantee.
 *
 * One struct log_sink is shared by every thread; each message is formatted
 * first and then written as one line under the sink's mutex, so lines from
 * different threads never interleave. A sink writes to a file (--log-file) or
 * to stderr; while the terminal belongs to the dashboard, messages meant for
 * stderr are dropped (log_terminal_suspend), never drawn over the screen.
 *
 * Redaction: the log never receives a header value, and URLs reach it only
 * through redact_url() (redact.h), which drops any userinfo and the values
 * of secret query parameters.
 * Callers never format a secret themselves. A NULL sink is valid everywhere
 * and discards messages, so library code needs no "is logging on" tests. */
#ifndef PEERSCOPE_LOG_H
#define PEERSCOPE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* What replaces a secret wherever one would be shown. */
#define LOG_MASK "********"

struct log_sink;

/* Opens a sink that appends to PATH (created 0600), or writes to stderr when
 * PATH is NULL. A FIFO nobody reads is an error, not a wait. Messages above LEVEL are discarded. On
 * failure returns NULL and describes the problem, naming PATH, in err. */
struct log_sink *log_open(const char *path, enum log_level level, char *err, size_t errlen);

/* Opens a sink on an already open stream, which the sink does not close. */
struct log_sink *log_open_stream(FILE *stream, enum log_level level);

void log_close(struct log_sink *sink);

void log_set_level(struct log_sink *sink, enum log_level level);

/* While suspended, a sink on stderr drops its messages (the dashboard owns the
 * terminal); a sink on a file is unaffected. */
void log_terminal_suspend(struct log_sink *sink, bool suspended);

/* Writes "2026-01-02T03:04:05.678Z LEVEL message\n". The message is made
 * safe by term.h's rule (controls of every kind escaped, bidirectional
 * controls neutralised, invalid UTF-8 replaced), so one call is always one
 * line and a server's words cannot act on the terminal of whoever reads
 * the log. */
void log_msg(struct log_sink *sink, enum log_level level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#define log_error(sink, ...) log_msg((sink), LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(sink, ...)  log_msg((sink), LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(sink, ...)  log_msg((sink), LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(sink, ...) log_msg((sink), LOG_LEVEL_DEBUG, __VA_ARGS__)

/* "error", "warn", "info", "debug"; and back. log_level_parse returns false
 * for an unknown name and leaves *level alone. */
const char *log_level_name(enum log_level level);
bool log_level_parse(const char *name, enum log_level *level);

#endif
