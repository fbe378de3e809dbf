/* kube: the watch-stream parser.
 *
 * A watch body is newline-delimited JSON, one event per line, delivered in
 * chunks that follow no line boundary. Bytes are kept until their line is
 * complete; a scan offset remembers how far the buffer has already been
 * searched for a newline, so an event spread over many small chunks is
 * still scanned once. */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "kube_internal.h"

#include "peerscope/codec.h"

#define DEFAULT_MAX_LINE ((size_t)16 * 1024 * 1024)

struct kube_watch_parser {
	enum kube_kind kind;
	size_t max_line;
	char *buf;
	size_t len;
	size_t cap;
	size_t scanned; /* buf[0..scanned) holds no newline */
	char *rv;
	bool expired;
	size_t events;
};

struct kube_watch_parser *kube_watch_parser_new(enum kube_kind kind, size_t max_line)
{
	struct kube_watch_parser *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	p->kind = kind;
	p->max_line = max_line ? max_line : DEFAULT_MAX_LINE;
	return p;
}

void kube_watch_parser_free(struct kube_watch_parser *p)
{
	if (!p)
		return;
	/* A watch of Secrets carries their data: nothing of it stays behind. */
	if (p->buf)
		codec_wipe(p->buf, p->cap);
	free(p->buf);
	free(p->rv);
	free(p);
}

const char *kube_watch_parser_resource_version(const struct kube_watch_parser *p)
{
	return p->rv;
}

bool kube_watch_parser_expired(const struct kube_watch_parser *p)
{
	return p->expired;
}

size_t kube_watch_parser_events(const struct kube_watch_parser *p)
{
	return p->events;
}

static void event_clear(struct kube_event *ev)
{
	kube_object_clear(&ev->object);
	kube_status_clear(&ev->status);
	free(ev->resource_version);
	ev->resource_version = NULL;
}

static int set_rv(struct kube_watch_parser *p, const char *rv)
{
	if (!rv || !*rv)
		return 0;
	char *copy = strdup(rv);
	if (!copy)
		return -1;
	free(p->rv);
	p->rv = copy;
	return 0;
}

static const char *object_rv(const cJSON *object)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(object, "metadata");
	const cJSON *rv = cJSON_GetObjectItemCaseSensitive(md, "resourceVersion");

	return cJSON_IsString(rv) ? rv->valuestring : NULL;
}

static int event_type(const char *t, enum kube_event_type *out)
{
	static const char *const names[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};

	for (size_t i = 0; t && i < sizeof names / sizeof names[0]; i++) {
		if (!strcmp(t, names[i])) {
			*out = (enum kube_event_type)i;
			return 0;
		}
	}
	return -1;
}

/* Fills EV from the parsed event ROOT. */
static int event_decode(struct kube_watch_parser *p, const cJSON *root, struct kube_event *ev,
                        char *err, size_t errlen)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
	const cJSON *object = cJSON_GetObjectItemCaseSensitive(root, "object");
	char why[384];

	if (!cJSON_IsObject(root))
		return kube_fail(err, errlen, "not a JSON object");
	if (event_type(cJSON_IsString(type) ? type->valuestring : NULL, &ev->type))
		return kube_fail(err, errlen, "unknown event type \"%.40s\"",
		                 cJSON_IsString(type) ? type->valuestring : "(none)");
	if (!cJSON_IsObject(object))
		return kube_fail(err, errlen, "%s event without an object", type->valuestring);
	if (ev->type == KUBE_EVENT_ERROR) {
		if (kube_status_from_json(object, &ev->status, why, sizeof why))
			return kube_fail(err, errlen, "ERROR event: %s", why);
		/* 410 Gone / Expired: the version we asked for is compacted. */
		if (ev->status.code == 410 || !strcmp(ev->status.reason, "Expired") ||
		    !strcmp(ev->status.reason, "Gone"))
			p->expired = true;
		return 0;
	}
	const char *rv = object_rv(object);
	ev->resource_version = strdup(rv ? rv : "");
	if (!ev->resource_version || set_rv(p, rv))
		return kube_fail(err, errlen, "out of memory");
	if (ev->type == KUBE_EVENT_BOOKMARK) {
		/* Only kind and metadata.resourceVersion are meaningful. */
		ev->object.kind = p->kind;
		return 0;
	}
	if (kube_object_from_json(p->kind, object, &ev->object, why, sizeof why))
		return kube_fail(err, errlen, "%s event: %s", type->valuestring, why);
	return 0;
}

/* Decodes one line (without its newline) and hands the event to FN. */
static int handle_line(struct kube_watch_parser *p, const char *line, size_t len, kube_event_fn fn,
                       void *ctx, char *err, size_t errlen)
{
	struct kube_event ev;
	char why[512];
	int rc;

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	while (len && (*line == ' ' || *line == '\t' || *line == '\r')) {
		line++;
		len--;
	}
	if (len == 0)
		return 0; /* blank lines between events are harmless */
	memset(&ev, 0, sizeof ev);
	ev.object.kind = p->kind;
	cJSON *root = kube_json_parse(line, len, "event", why, sizeof why);
	size_t n = p->events + 1;
	if (!root)
		return kube_fail(err, errlen, "watch of %s, event %zu: %s", kube_kind_name(p->kind),
		                 n, why);
	rc = event_decode(p, root, &ev, why, sizeof why);
	if (p->kind == KUBE_SECRET)
		codec_json_wipe(root);
	cJSON_Delete(root);
	if (rc) {
		event_clear(&ev);
		return kube_fail(err, errlen, "watch of %s, event %zu: %s", kube_kind_name(p->kind),
		                 n, why);
	}
	p->events = n;
	rc = fn ? fn(&ev, ctx) : 0;
	event_clear(&ev);
	return rc;
}

static int append(struct kube_watch_parser *p, const char *data, size_t len)
{
	if (p->len + len + 1 > p->cap) {
		size_t cap = p->cap ? p->cap : 4096;
		while (cap < p->len + len + 1)
			cap *= 2;
		char *nb = malloc(cap);
		if (!nb)
			return -1;
		if (p->buf) {
			memcpy(nb, p->buf, p->len);
			codec_wipe(p->buf, p->cap);
			free(p->buf);
		}
		p->buf = nb;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, data, len);
	p->len += len;
	return 0;
}

int kube_watch_parser_feed(struct kube_watch_parser *p, const char *data, size_t len,
                           kube_event_fn fn, void *ctx, char *err, size_t errlen)
{
	size_t start = 0;
	int rc = 0;

	if (len && append(p, data, len))
		return kube_fail(err, errlen, "watch of %s: out of memory",
		                 kube_kind_name(p->kind));
	if (!p->buf)
		return 0; /* nothing fed yet */
	for (;;) {
		char *nl = memchr(p->buf + p->scanned, '\n', p->len - p->scanned);
		if (!nl)
			break;
		size_t end = (size_t)(nl - p->buf);
		rc = handle_line(p, p->buf + start, end - start, fn, ctx, err, errlen);
		start = end + 1;
		p->scanned = start;
		if (rc)
			break;
	}
	/* Drop the consumed lines (wiped); keep the incomplete tail. */
	memmove(p->buf, p->buf + start, p->len - start);
	codec_wipe(p->buf + p->len - start, start);
	p->len -= start;
	/* After a stop the tail may still hold complete lines: rescan it. */
	p->scanned = rc ? 0 : p->len;
	if (!rc && p->len > p->max_line)
		return kube_fail(err, errlen,
		                 "watch of %s: an event is longer than %zu bytes, giving up",
		                 kube_kind_name(p->kind), p->max_line);
	return rc;
}

int kube_watch_parser_finish(struct kube_watch_parser *p, kube_event_fn fn, void *ctx, char *err,
                             size_t errlen)
{
	size_t len = p->len;

	/* A last event without its newline is complete if it parses; half an
	 * event is reported as truncated JSON by the parser. */
	p->len = 0;
	p->scanned = 0;
	return handle_line(p, p->buf, len, fn, ctx, err, errlen);
}
