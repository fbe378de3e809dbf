/* consul: GET /v1/peerings read with the scanner (codec_scan) instead of a
 * tree of cJSON nodes. The stream-health poll reads this list on every
 * cluster every refresh interval, and a tree of it is a few thousand small
 * allocations made and freed each time. The model and the errors are those
 * of the tree decoder (consul_decode.c, peering_elem), which stays the
 * reference for one peering: keys exactly, else in any case, the one in the
 * field's own case winning; null as absent; a wrong type fails with the
 * path of the value ("peerings[3].StreamStatus.LastSend: not an RFC 3339
 * time"). Where the tree decoder checks the fields in a fixed order, this
 * one reads them as they come, so of two faults in one body the first
 * written is the one named; a malformed body whose first fault comes
 * before its syntax error is reported by that fault. See
 * include/peerscope/consul.h. */
#include "autoconfig.h"

#include "peerscope/consul.h"

#include "peerscope/codec.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROOT "peerings"

struct pctx {
	struct codec_scan s;
	char *err;
	size_t errlen;
	bool failed;
	size_t plen;
	char path[256];
	char *buf[2]; /* decoded text: a value, and a Meta key */
	size_t cap[2];
	char *pack; /* a list's strings, one after the other: strv_value() */
	size_t pack_cap;
};

/* ------------------------------------------------------------------ errors */

static size_t push(struct pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t push(struct pctx *c, const char *fmt, ...)
{
	size_t old = c->plen;
	va_list ap;

	if (c->plen + 1 < sizeof c->path) {
		va_start(ap, fmt);
		vsnprintf(c->path + c->plen, sizeof c->path - c->plen, fmt, ap);
		va_end(ap);
		c->plen = strlen(c->path);
	}
	return old;
}

static void pop(struct pctx *c, size_t len)
{
	if (len < sizeof c->path) {
		c->plen = len;
		c->path[len] = '\0';
	}
}

static int fail(struct pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct pctx *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (c->failed)
		return -1;
	c->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s: %s", c->path, msg);
	return -1;
}

/* The value of KEY (first token K) is not WANT: skip it and fail there. */
static int wrong(struct pctx *c, const char *key, const char *want, enum codec_tok k)
{
	size_t old = push(c, ".%s", key);

	if (codec_scan_skip(&c->s, k))
		fail(c, "expected %s, found %s", want, codec_tok_name(k));
	pop(c, old);
	return -1;
}

/* ------------------------------------------------------------------ values */

/* T decoded into scratch buffer B, NUL-terminated; NULL when out of memory. */
static const char *decoded(struct pctx *c, int b, const struct codec_text *t)
{
	if (t->len + 1 > c->cap[b]) {
		size_t cap = t->len + 1 < 256 ? 256 : t->len + 1;
		char *nb = realloc(c->buf[b], cap);
		if (!nb) {
			fail(c, "out of memory");
			return NULL;
		}
		c->buf[b] = nb;
		c->cap[b] = cap;
	}
	codec_scan_text(t, c->buf[b]);
	return c->buf[b];
}

static int str_value(struct pctx *c, const char *key, enum codec_tok k, const struct codec_text *t,
                     char **out)
{
	free(*out);
	*out = NULL;
	if (k == CODEC_T_NULL)
		return 0; /* "" once the object ends */
	if (k != CODEC_T_STRING)
		return wrong(c, key, "a string", k);
	if (!(*out = malloc(t->len + 1)))
		return fail(c, "out of memory");
	codec_scan_text(t, *out);
	return 0;
}

static int time_value(struct pctx *c, const char *key, enum codec_tok k, const struct codec_text *t,
                      int64_t *out)
{
	const char *text;

	*out = 0;
	if (k == CODEC_T_NULL)
		return 0;
	if (k != CODEC_T_STRING)
		return wrong(c, key, "a time", k);
	if (!(text = decoded(c, 0, t)))
		return -1;
	if (!*text || !model_time_parse(text, out))
		return 0;
	size_t old = push(c, ".%s", key);
	fail(c, "not an RFC 3339 time: \"%.40s\"", text);
	pop(c, old);
	return -1;
}

static int u64_value(struct pctx *c, const char *key, enum codec_tok k, const struct codec_text *t,
                     uint64_t *out)
{
	char num[64], *end;

	*out = 0;
	if (k == CODEC_T_NULL)
		return 0;
	if (k == CODEC_T_NUMBER && t->len < sizeof num) {
		memcpy(num, t->p, t->len);
		num[t->len] = '\0';
		double d = strtod(num, &end);
		if (!*end && d >= 0 && d < 18446744073709551616.0) {
			*out = (uint64_t)d;
			return 0;
		}
	}
	return wrong(c, key, "a non-negative integer", k);
}

/* A list of strings (a peering's imported or exported services: hundreds
 * of names, decoded again whenever a heartbeat moves) is gathered in one
 * buffer and kept as one block (model_strv_pack()), not a string each. */
static int strv_value(struct pctx *c, const char *key, enum codec_tok k, struct model_strv *out)
{
	struct codec_text t;
	size_t i = 0, used = 0;

	model_strv_clear(out);
	if (k == CODEC_T_NULL)
		return 0;
	if (k != CODEC_T_ARRAY)
		return wrong(c, key, "a list", k);
	while ((k = codec_scan_next(&c->s, &t)) != CODEC_T_ARRAY_END) {
		if (k == CODEC_T_ERROR)
			return -1;
		if (k != CODEC_T_STRING) {
			size_t old = push(c, ".%s[%zu]", key, i);
			if (codec_scan_skip(&c->s, k))
				fail(c, "expected a string, found %s", codec_tok_name(k));
			pop(c, old);
			return -1;
		}
		/* Decoded text is never longer than its JSON. */
		if (used + t.len + 1 > c->pack_cap) {
			size_t cap = c->pack_cap ? c->pack_cap : 4096;
			while (cap < used + t.len + 1)
				cap *= 2;
			char *nb = realloc(c->pack, cap);
			if (!nb)
				return fail(c, "out of memory");
			c->pack = nb;
			c->pack_cap = cap;
		}
		codec_scan_text(&t, c->pack + used);
		used += strlen(c->pack + used) + 1;
		i++;
	}
	if (model_strv_pack(out, c->pack, used, i))
		return fail(c, "out of memory");
	return 0;
}

static int meta_value(struct pctx *c, const char *key, enum codec_tok k, struct model_meta *out)
{
	struct codec_text name, t;

	model_meta_clear(out);
	if (k == CODEC_T_NULL)
		return 0;
	if (k != CODEC_T_OBJECT)
		return wrong(c, key, "an object", k);
	while ((k = codec_scan_next(&c->s, &name)) == CODEC_T_KEY) {
		const char *n, *v;
		if (!(n = decoded(c, 1, &name)))
			return -1;
		k = codec_scan_next(&c->s, &t);
		if (k == CODEC_T_ERROR)
			return -1;
		if (k != CODEC_T_STRING) {
			size_t old = push(c, ".%s.%s", key, n);
			if (codec_scan_skip(&c->s, k))
				fail(c, "expected a string, found %s", codec_tok_name(k));
			pop(c, old);
			return -1;
		}
		if (!(v = decoded(c, 0, &t)))
			return -1;
		if (model_meta_set(out, n, v))
			return fail(c, "out of memory");
	}
	return k == CODEC_T_OBJECT_END ? 0 : -1;
}

/* ------------------------------------------------------------------ objects */

/* The members of an object whose '{' was just read, each handed to FIELD
 * with its index in NAMES (N of them), chosen by codec_scan_field(). */
typedef int (*field_fn)(struct pctx *c, void *out, int f, enum codec_tok k,
                        const struct codec_text *t);

static int members(struct pctx *c, const char *const *names, int n, field_fn field, void *out)
{
	unsigned char seen[32] = {0}; /* a field table has at most 32 (peerings: 16) */
	struct codec_text key, t;
	enum codec_tok k;

	while ((k = codec_scan_next(&c->s, &key)) == CODEC_T_KEY) {
		int f = codec_scan_field(&key, names, n, seen);
		k = codec_scan_next(&c->s, &t);
		if (k == CODEC_T_ERROR)
			return -1;
		if (f < 0) {
			if (!codec_scan_skip(&c->s, k))
				return -1;
			continue;
		}
		if (field(c, out, f, k, &t))
			return -1;
	}
	return k == CODEC_T_OBJECT_END ? 0 : -1;
}

/* The object member KEY (first token K) read by FIELD into OUT with the
 * path extended by KEY; *HAS: it is there (not null). */
static int nested(struct pctx *c, const char *key, enum codec_tok k, const char *const *names,
                  int n, field_fn field, void *out, bool *has)
{
	*has = false;
	if (k == CODEC_T_NULL)
		return 0;
	if (k != CODEC_T_OBJECT)
		return wrong(c, key, "an object", k);
	*has = true;
	size_t old = push(c, ".%s", key);
	int rc = members(c, names, n, field, out);
	pop(c, old);
	return rc;
}

enum {
	L_REGION,
	L_ZONE,
	L_COUNT
};
static const char *const locality_names[L_COUNT] = {"Region", "Zone"};

static int locality_field(struct pctx *c, void *out, int f, enum codec_tok k,
                          const struct codec_text *t)
{
	struct model_locality *l = out;

	return str_value(c, locality_names[f], k, t, f == L_REGION ? &l->region : &l->zone);
}

enum {
	R_PARTITION,
	R_DC,
	R_LOCALITY,
	R_COUNT
};
static const char *const remote_names[R_COUNT] = {"Partition", "Datacenter", "Locality"};

static int remote_field(struct pctx *c, void *out, int f, enum codec_tok k,
                        const struct codec_text *t)
{
	struct model_peering_remote *r = out;

	if (f == R_LOCALITY) {
		free(r->locality.region);
		free(r->locality.zone);
		r->locality.region = r->locality.zone = NULL;
		return nested(c, "Locality", k, locality_names, L_COUNT, locality_field,
		              &r->locality, &r->has_locality);
	}
	return str_value(c, remote_names[f], k, t,
	                 f == R_PARTITION ? &r->partition : &r->datacenter);
}

enum {
	S_IMPORTED,
	S_EXPORTED,
	S_HEARTBEAT,
	S_RECEIVE,
	S_SEND,
	S_COUNT
};
static const char *const stream_names[S_COUNT] = {"ImportedServices", "ExportedServices",
                                                  "LastHeartbeat", "LastReceive", "LastSend"};

static int stream_field(struct pctx *c, void *out, int f, enum codec_tok k,
                        const struct codec_text *t)
{
	struct model_stream_status *s = out;
	int64_t *times[] = {[S_HEARTBEAT] = &s->last_heartbeat_ns,
	                    [S_RECEIVE] = &s->last_receive_ns,
	                    [S_SEND] = &s->last_send_ns};

	if (f == S_IMPORTED || f == S_EXPORTED)
		return strv_value(c, stream_names[f], k,
		                  f == S_IMPORTED ? &s->imported_services : &s->exported_services);
	return time_value(c, stream_names[f], k, t, times[f]);
}

enum {
	P_ID,
	P_NAME,
	P_PARTITION,
	P_DELETED,
	P_META,
	P_STATE,
	P_PEER_ID,
	P_CAS,
	P_SERVER_NAME,
	P_ADDRESSES,
	P_STREAM,
	P_REMOTE,
	P_CREATE,
	P_MODIFY,
	P_IMPORTED,
	P_EXPORTED,
	P_COUNT
};
static const char *const peering_names[P_COUNT] = {
        [P_ID] = "ID",
        [P_NAME] = "Name",
        [P_PARTITION] = "Partition",
        [P_DELETED] = "DeletedAt",
        [P_META] = "Meta",
        [P_STATE] = "State",
        [P_PEER_ID] = "PeerID",
        [P_CAS] = "PeerCAPems",
        [P_SERVER_NAME] = "PeerServerName",
        [P_ADDRESSES] = "PeerServerAddresses",
        [P_STREAM] = "StreamStatus",
        [P_REMOTE] = "Remote",
        [P_CREATE] = "CreateIndex",
        [P_MODIFY] = "ModifyIndex",
        [P_IMPORTED] = "ImportedServiceCount",
        [P_EXPORTED] = "ExportedServiceCount",
};

static int peering_field(struct pctx *c, void *out, int f, enum codec_tok k,
                         const struct codec_text *t)
{
	struct model_peering *p = out;
	const char *key = peering_names[f];
	char **str[] = {[P_ID] = &p->id,
	                [P_NAME] = &p->name,
	                [P_PARTITION] = &p->partition,
	                [P_STATE] = &p->state_text,
	                [P_PEER_ID] = &p->peer_id,
	                [P_SERVER_NAME] = &p->peer_server_name};

	switch (f) {
	case P_DELETED:
		return time_value(c, key, k, t, &p->deleted_at_ns);
	case P_META:
		return meta_value(c, key, k, &p->meta);
	case P_CAS:
		return strv_value(c, key, k, &p->peer_ca_pems);
	case P_ADDRESSES:
		return strv_value(c, key, k, &p->peer_server_addresses);
	case P_STREAM:
		model_strv_clear(&p->stream.imported_services);
		model_strv_clear(&p->stream.exported_services);
		memset(&p->stream, 0, sizeof p->stream);
		return nested(c, key, k, stream_names, S_COUNT, stream_field, &p->stream,
		              &p->has_stream_status);
	case P_REMOTE:
		return nested(c, key, k, remote_names, R_COUNT, remote_field, &p->remote,
		              &p->has_remote);
	case P_CREATE:
		return u64_value(c, key, k, t, &p->create_index);
	case P_MODIFY:
		return u64_value(c, key, k, t, &p->modify_index);
	case P_IMPORTED:
		p->has_counts |= k != CODEC_T_NULL;
		return u64_value(c, key, k, t, &p->imported_service_count);
	case P_EXPORTED:
		p->has_counts |= k != CODEC_T_NULL;
		return u64_value(c, key, k, t, &p->exported_service_count);
	default:
		return str_value(c, key, k, t, str[f]);
	}
}

/* An absent string is an empty one, as with the tree decoder. */
static int fill_empty(struct pctx *c, char **s)
{
	if (!*s && !(*s = strdup("")))
		return fail(c, "out of memory");
	return 0;
}

static int peering(struct pctx *c, struct model_peering *p)
{
	if (members(c, peering_names, P_COUNT, peering_field, p))
		return -1;
	char **str[] = {&p->id,
	                &p->name,
	                &p->partition,
	                &p->state_text,
	                &p->peer_id,
	                &p->peer_server_name,
	                &p->remote.partition,
	                &p->remote.datacenter,
	                &p->remote.locality.region,
	                &p->remote.locality.zone};
	for (size_t i = 0; i < sizeof str / sizeof str[0]; i++)
		if (fill_empty(c, str[i]))
			return -1;
	p->state = model_peering_state_parse(p->state_text);
	return 0;
}

/* ------------------------------------------------------------------- list */

static int elements(struct pctx *c, struct model_peering_list *out)
{
	struct codec_text t;
	enum codec_tok k;
	size_t cap = 0;

	while ((k = codec_scan_next(&c->s, &t)) != CODEC_T_ARRAY_END) {
		size_t i = out->n, old;
		if (k == CODEC_T_ERROR)
			return -1;
		old = push(c, "[%zu]", i);
		if (k != CODEC_T_OBJECT) {
			if (codec_scan_skip(&c->s, k))
				fail(c, "expected an object, found %s", codec_tok_name(k));
			return -1;
		}
		if (i == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct model_peering *v = realloc(out->v, ncap * sizeof *v);
			if (!v)
				return fail(c, "out of memory");
			out->v = v;
			cap = ncap;
		}
		memset(&out->v[i], 0, sizeof out->v[i]);
		out->n++; /* cleared with the others if it fails */
		if (peering(c, &out->v[i]))
			return -1;
		pop(c, old);
	}
	return 0;
}

int consul_decode_peerings(const char *json, size_t len, struct model_peering_list *out, char *err,
                           size_t errlen)
{
	struct pctx c = {.err = err, .errlen = errlen};
	struct codec_text t;
	enum codec_tok k;
	int rc = -1;

	out->v = NULL;
	out->n = 0;
	out->shape = 0;
	if (err && errlen)
		err[0] = '\0';
	snprintf(c.path, sizeof c.path, "%s", ROOT);
	c.plen = strlen(c.path);
	codec_scan_init(&c.s, json, len);
	k = codec_scan_next(&c.s, &t);
	if (k == CODEC_T_NULL) {
		rc = 0;
	} else if (k == CODEC_T_ARRAY) {
		rc = elements(&c, out);
	} else if (k != CODEC_T_ERROR && codec_scan_skip(&c.s, k)) {
		fail(&c, "expected a list, found %s", codec_tok_name(k));
	}
	if (rc == 0 && codec_scan_next(&c.s, &t) != CODEC_T_END)
		rc = -1;
	if (rc != 0 && !c.failed) {
		pop(&c, strlen(ROOT));
		fail(&c, "%s", c.s.why[0] ? c.s.why : "invalid JSON");
	}
	free(c.buf[0]);
	free(c.buf[1]);
	free(c.pack);
	if (rc != 0) {
		model_peering_list_free(out);
		return -1;
	}
	if (out->n == 0) {
		free(out->v);
		out->v = NULL;
	}
	return 0;
}
