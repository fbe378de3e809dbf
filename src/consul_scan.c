/* consul decoders that scan the body instead of building a tree, for the
 * lists that grow with the cluster: GET /v1/internal/ui/services has one
 * summary per service, 10,000 in a large cluster, and its tree of cJSON
 * nodes took about eight times the text. The scanner (codec_scan) reads it
 * token by token; each summary's strings go to the list's blocks, not to a
 * malloc of their own. Keys are matched as consul_decode.c does: exactly,
 * else in any case; null is as absent; a wrong type fails with the path of
 * the value ("internal/ui/services[3].Name: expected a string, found a
 * number"). See include/peerscope/consul.h. */
#include "autoconfig.h"

#include "peerscope/consul.h"

#include "peerscope/codec.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROOT "internal/ui/services"

struct sctx {
	struct codec_scan s;
	struct model_service_summary_list *out;
	size_t cap;
	char *empty;     /* the list's one "" */
	char *partition; /* for the summaries without one; NULL: "" */
	char *err;
	size_t errlen;
	bool failed;
};

static int fail(struct sctx *c, size_t index, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int fail(struct sctx *c, size_t index, const char *key, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (c->failed)
		return -1;
	c->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!c->err || !c->errlen)
		return -1;
	if (index == SIZE_MAX)
		snprintf(c->err, c->errlen, "%s: %s", ROOT, msg);
	else if (!key)
		snprintf(c->err, c->errlen, "%s[%zu]: %s", ROOT, index, msg);
	else
		snprintf(c->err, c->errlen, "%s[%zu].%s: %s", ROOT, index, key, msg);
	return -1;
}

/* T decoded into the list's blocks. */
static char *text(struct sctx *c, const struct codec_text *t)
{
	char *d;

	if (!t->len)
		return c->empty;
	d = model_blocks_alloc(&c->out->blocks, t->len + 1, 1);
	if (d)
		codec_scan_text(t, d);
	return d;
}

/* ---------------------------------------------------------------- fields */

enum field {
	F_NAME,
	F_KIND,
	F_DC,
	F_PEER,
	F_PARTITION,
	F_NS,
	F_TAGS,
	F_INSTANCES,
	F_PASSING,
	F_WARNING,
	F_CRITICAL,
	F_PROXY,
	F_GATEWAY,
	F_COUNT
};

static const char *const field_names[F_COUNT] = {
        [F_NAME] = "Name",
        [F_KIND] = "Kind",
        [F_DC] = "Datacenter",
        [F_PEER] = "PeerName",
        [F_PARTITION] = "Partition",
        [F_NS] = "Namespace",
        [F_TAGS] = "Tags",
        [F_INSTANCES] = "InstanceCount",
        [F_PASSING] = "ChecksPassing",
        [F_WARNING] = "ChecksWarning",
        [F_CRITICAL] = "ChecksCritical",
        [F_PROXY] = "ConnectedWithProxy",
        [F_GATEWAY] = "ConnectedWithGateway",
};

static int string_field(struct sctx *c, size_t i, enum field f, enum codec_tok k,
                        const struct codec_text *t, char **out)
{
	if (k == CODEC_T_NULL) {
		*out = c->empty;
		return 0;
	}
	if (k != CODEC_T_STRING) {
		codec_scan_skip(&c->s, k);
		return fail(c, i, field_names[f], "expected a string, found %s", codec_tok_name(k));
	}
	*out = text(c, t);
	return *out ? 0 : fail(c, i, NULL, "out of memory");
}

static int count_field(struct sctx *c, size_t i, enum field f, enum codec_tok k,
                       const struct codec_text *t, unsigned *out)
{
	char num[64];
	char *end;

	*out = 0;
	if (k == CODEC_T_NULL)
		return 0;
	if (k == CODEC_T_NUMBER && t->len < sizeof num) {
		memcpy(num, t->p, t->len);
		num[t->len] = '\0';
		double d = strtod(num, &end);
		if (!*end && d >= 0 && d < 18446744073709551616.0) {
			*out = d > 4294967295.0 ? 4294967295u : (unsigned)d;
			return 0;
		}
	}
	codec_scan_skip(&c->s, k);
	return fail(c, i, field_names[f], "expected a non-negative integer, found %s",
	            k == CODEC_T_NUMBER ? "a number" : codec_tok_name(k));
}

static int bool_field(struct sctx *c, size_t i, enum field f, enum codec_tok k, bool *out)
{
	*out = k == CODEC_T_TRUE;
	if (k == CODEC_T_TRUE || k == CODEC_T_FALSE || k == CODEC_T_NULL)
		return 0;
	codec_scan_skip(&c->s, k);
	return fail(c, i, field_names[f], "expected a boolean, found %s", codec_tok_name(k));
}

/* The tags list: checked, not kept, for nothing shows a service's tags
 * (at 10,000 services a cluster their list was 240 KB of every snapshot). */
static int tags_field(struct sctx *c, size_t i, enum codec_tok k)
{
	struct codec_text t;
	size_t n = 0;

	if (k == CODEC_T_NULL)
		return 0;
	if (k != CODEC_T_ARRAY) {
		codec_scan_skip(&c->s, k);
		return fail(c, i, "Tags", "expected a list, found %s", codec_tok_name(k));
	}
	while ((k = codec_scan_next(&c->s, &t)) != CODEC_T_ARRAY_END) {
		if (k == CODEC_T_ERROR)
			return -1;
		if (k != CODEC_T_STRING) {
			codec_scan_skip(&c->s, k);
			return fail(c, i, "Tags", "[%zu]: expected a string, found %s", n,
			            codec_tok_name(k));
		}
		n++;
	}
	return 0;
}

static int field(struct sctx *c, size_t i, struct model_service_summary *x, enum field f,
                 enum codec_tok k, const struct codec_text *t)
{
	char **str[] = {
	        [F_NAME] = &x->name,      [F_KIND] = &x->kind,           [F_DC] = &x->datacenter,
	        [F_PEER] = &x->peer_name, [F_PARTITION] = &x->partition, [F_NS] = &x->ns};
	unsigned *num[] = {[F_INSTANCES] = &x->instance_count,
	                   [F_PASSING] = &x->checks_passing,
	                   [F_WARNING] = &x->checks_warning,
	                   [F_CRITICAL] = &x->checks_critical};

	if (f <= F_NS)
		return string_field(c, i, f, k, t, str[f]);
	if (f == F_TAGS)
		return tags_field(c, i, k);
	if (f <= F_CRITICAL)
		return count_field(c, i, f, k, t, num[f]);
	return bool_field(c, i, f, k,
	                  f == F_PROXY ? &x->connected_with_proxy : &x->connected_with_gateway);
}

/* One summary: the scanner just read its '{'. */
static int summary(struct sctx *c, size_t i, struct model_service_summary *x)
{
	unsigned char seen[F_COUNT] = {0};
	struct codec_text t, key;
	enum codec_tok k;

	memset(x, 0, sizeof *x);
	while ((k = codec_scan_next(&c->s, &key)) == CODEC_T_KEY) {
		int f = codec_scan_field(&key, field_names, F_COUNT, seen);
		k = codec_scan_next(&c->s, &t);
		if (k == CODEC_T_ERROR)
			return -1;
		if (f < 0) {
			if (!codec_scan_skip(&c->s, k))
				return -1;
			continue;
		}
		if (field(c, i, x, (enum field)f, k, &t))
			return -1;
	}
	if (k != CODEC_T_OBJECT_END)
		return -1;
	/* Absent strings are empty ones, as with the other decoders. */
	char **str[] = {&x->name, &x->kind, &x->datacenter, &x->peer_name, &x->partition, &x->ns};
	for (size_t s = 0; s < sizeof str / sizeof str[0]; s++)
		if (!*str[s])
			*str[s] = c->empty;
	if (c->partition && !*x->partition)
		x->partition = c->partition;
	return 0;
}

static struct model_service_summary *add(struct sctx *c, size_t i)
{
	struct model_service_summary_list *l = c->out;

	if (l->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct model_service_summary *v = realloc(l->v, cap * sizeof *v);
		if (!v) {
			fail(c, i, NULL, "out of memory");
			return NULL;
		}
		l->v = v;
		c->cap = cap;
	}
	return &l->v[l->n++];
}

static int elements(struct sctx *c)
{
	struct codec_text t;
	enum codec_tok k;
	size_t i = 0;

	while ((k = codec_scan_next(&c->s, &t)) != CODEC_T_ARRAY_END) {
		if (k == CODEC_T_ERROR)
			return -1;
		if (k != CODEC_T_OBJECT) {
			codec_scan_skip(&c->s, k);
			return fail(c, i, NULL, "expected an object, found %s", codec_tok_name(k));
		}
		struct model_service_summary *x = add(c, i);
		if (!x || summary(c, i, x))
			return -1;
		i++;
	}
	return 0;
}

/* A copy of S in the list's blocks. */
static char *copy(struct sctx *c, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = model_blocks_alloc(&c->out->blocks, n, 1);

	if (d)
		memcpy(d, s, n);
	return d;
}

static int decode(struct sctx *c, const char *json, size_t len, const char *partition)
{
	struct codec_text t;
	enum codec_tok k;
	int rc = -1;

	if (c->err && c->errlen)
		c->err[0] = '\0';
	codec_scan_init(&c->s, json, len);
	if (!(c->empty = copy(c, "")) || (partition && !(c->partition = copy(c, partition))))
		return fail(c, SIZE_MAX, NULL, "out of memory");
	k = codec_scan_next(&c->s, &t);
	if (k == CODEC_T_NULL) {
		rc = 0;
	} else if (k == CODEC_T_ARRAY) {
		rc = elements(c);
	} else if (k != CODEC_T_ERROR) {
		codec_scan_skip(&c->s, k);
		fail(c, SIZE_MAX, NULL, "expected a list, found %s", codec_tok_name(k));
	}
	if (rc == 0 && codec_scan_next(&c->s, &t) != CODEC_T_END)
		rc = -1;
	if (rc != 0 && !c->failed)
		fail(c, SIZE_MAX, NULL, "%s", c->s.why[0] ? c->s.why : "invalid JSON");
	return rc;
}

/* Gives back what the doubling left over. */
static void trim(struct model_service_summary_list *out, size_t cap)
{
	if (out->n && out->n < cap) {
		struct model_service_summary *v = realloc(out->v, out->n * sizeof *v);
		if (v)
			out->v = v;
	}
}

int consul_decode_ui_services_into(const char *json, size_t len, const char *partition,
                                   struct model_service_summary_list *out, char *err, size_t errlen)
{
	struct sctx c = {.out = out, .cap = out->n, .err = err, .errlen = errlen};
	size_t had = out->n;
	int rc;

	if (!out->blocks && out->n)
		return fail(&c, SIZE_MAX, NULL, "a list whose strings are not in blocks");
	rc = decode(&c, json, len, partition && *partition ? partition : NULL);
	/* What a failed read added goes (its strings stay in the blocks). */
	if (rc != 0)
		out->n = had;
	trim(out, c.cap);
	return rc;
}

int consul_decode_ui_services(const char *json, size_t len, struct model_service_summary_list *out,
                              char *err, size_t errlen)
{
	struct sctx c = {.out = out, .err = err, .errlen = errlen};
	int rc;

	memset(out, 0, sizeof *out);
	rc = decode(&c, json, len, NULL);
	if (rc != 0)
		model_service_summary_list_free(out);
	else
		trim(out, c.cap);
	return rc;
}
