/* model: free functions for the Consul-side structs, names of the enums,
 * RFC 3339 times. See include/peerscope/model.h. */
#include "autoconfig.h"

#include "peerscope/model.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define NS_PER_S 1000000000LL

/* Defines FN, which frees a list of TYPE ({v, n}): every element cleared
 * with CLEAR, then the array; the list is left empty. */
#define MODEL_LIST_FREE(fn, type, clear)                                                           \
	void fn(struct type *l)                                                                    \
	{                                                                                          \
		if (!l)                                                                            \
			return;                                                                    \
		for (size_t i = 0; i < l->n; i++)                                                  \
			clear(&l->v[i]);                                                           \
		free(l->v);                                                                        \
		l->v = NULL;                                                                       \
		l->n = 0;                                                                          \
	}

/* ============================================================ shared pieces */

/* Blocks double from the first's size up to the largest: a short list
 * takes little, a long one few blocks, each large enough for the allocator
 * to map it on its own and give it back whole when the list goes. */
#define BLOCK_FIRST 1024
#define BLOCK_MAX   131072

struct model_blocks {
	struct model_blocks *next;
	size_t used, cap;
	max_align_t data[];
};

void *model_blocks_alloc(struct model_blocks **b, size_t n, size_t align)
{
	/* Blocks start aligned for any type: aligning the offset is enough. */
	size_t at = *b ? ((*b)->used + align - 1) & ~(align - 1) : 0;

	if (!*b || at > (*b)->cap || (*b)->cap - at < n) {
		size_t cap = *b ? (*b)->cap * 2 : BLOCK_FIRST;
		if (cap > BLOCK_MAX)
			cap = BLOCK_MAX;
		if (cap < n)
			cap = n;
		struct model_blocks *nb = malloc(sizeof *nb + cap);
		if (!nb)
			return NULL;
		nb->next = *b;
		nb->used = 0;
		nb->cap = cap;
		*b = nb;
		at = 0;
	}
	void *p = (char *)(*b)->data + at;
	(*b)->used = at + n;
	return p;
}

void model_blocks_free(struct model_blocks *b)
{
	while (b) {
		struct model_blocks *next = b->next;
		free(b);
		b = next;
	}
}

void model_strv_clear(struct model_strv *sv)
{
	if (!sv)
		return;
	for (size_t i = 0; !sv->packed && i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
	sv->packed = false;
}

int model_strv_pack(struct model_strv *sv, const char *text, size_t len, size_t n)
{
	char **v = NULL;

	model_strv_clear(sv);
	if (!n)
		return 0;
	if (n > (SIZE_MAX - len) / sizeof *v || !(v = malloc(n * sizeof *v + len)))
		return -1;
	char *p = memcpy((char *)(v + n), text, len);
	for (size_t i = 0; i < n; i++) {
		v[i] = p;
		p += strlen(p) + 1;
	}
	sv->v = v;
	sv->n = n;
	sv->packed = true;
	return 0;
}

/* A packed list made into one whose strings are each their own, so that
 * one can be added. */
static int strv_unpack(struct model_strv *sv)
{
	char **v = malloc((sv->n ? sv->n : 1) * sizeof *v);
	size_t i = 0;

	if (!v)
		return -1;
	for (; i < sv->n; i++)
		if (!(v[i] = strdup(sv->v[i])))
			break;
	if (i < sv->n) {
		while (i)
			free(v[--i]);
		free(v);
		return -1;
	}
	free(sv->v);
	sv->v = v;
	sv->packed = false;
	return 0;
}

int model_strv_push(struct model_strv *sv, const char *s)
{
	char *copy;
	char **v;

	if (sv->packed && strv_unpack(sv))
		return -1;
	if (!(copy = strdup(s ? s : "")))
		return -1;
	v = realloc(sv->v, (sv->n + 1) * sizeof *v);
	if (!v) {
		free(copy);
		return -1;
	}
	v[sv->n++] = copy;
	sv->v = v;
	return 0;
}

bool model_strv_contains(const struct model_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return true;
	return false;
}

void model_text_put(struct model_text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->nomem)
		return;
	if (t->n + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 128;
		while (cap < t->n + n + 1)
			cap *= 2;
		char *b = realloc(t->s, cap);
		if (!b) {
			t->nomem = true;
			return;
		}
		t->s = b;
		t->cap = cap;
	}
	memcpy(t->s + t->n, s, n + 1);
	t->n += n;
}

/* DST (whatever it held is not its own) a copy of SRC, packed. */
static int strv_copy(struct model_strv *dst, const struct model_strv *src)
{
	size_t len = 0;

	*dst = (struct model_strv){0};
	if (!src->n)
		return 0;
	for (size_t i = 0; i < src->n; i++)
		len += strlen(src->v[i]) + 1;
	char **v = malloc(src->n * sizeof *v + len), *p;
	if (!v)
		return -1;
	p = (char *)(v + src->n);
	for (size_t i = 0; i < src->n; i++) {
		size_t l = strlen(src->v[i]) + 1;
		v[i] = memcpy(p, src->v[i], l);
		p += l;
	}
	*dst = (struct model_strv){v, src->n, true};
	return 0;
}

void model_meta_clear(struct model_meta *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].key);
		free(m->v[i].value);
	}
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

int model_meta_set(struct model_meta *m, const char *key, const char *value)
{
	char *v = strdup(value ? value : "");
	char *k;
	struct model_kv *kv;

	if (!v)
		return -1;
	for (size_t i = 0; i < m->n; i++) {
		if (!strcmp(m->v[i].key, key)) {
			free(m->v[i].value);
			m->v[i].value = v;
			return 0;
		}
	}
	k = strdup(key);
	kv = k ? realloc(m->v, (m->n + 1) * sizeof *kv) : NULL;
	if (!kv) {
		free(k);
		free(v);
		return -1;
	}
	kv[m->n].key = k;
	kv[m->n].value = v;
	m->v = kv;
	m->n++;
	return 0;
}

const char *model_meta_get(const struct model_meta *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].key, key))
			return m->v[i].value;
	return NULL;
}

static int meta_copy(struct model_meta *dst, const struct model_meta *src)
{
	dst->v = NULL;
	dst->n = 0;
	for (size_t i = 0; i < src->n; i++) {
		if (model_meta_set(dst, src->v[i].key, src->v[i].value)) {
			model_meta_clear(dst);
			return -1;
		}
	}
	return 0;
}

/* Copy a string that may be NULL; sets *ok to false when out of memory. */
static char *sdup(const char *s, bool *ok)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*ok = false;
	return d;
}

/* ==================================================================== times */

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* Read exactly n digits. */
static bool digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool expect(const char **p, char c)
{
	if (**p != c && !(c == 'T' && (**p == 't' || **p == ' ')))
		return false;
	(*p)++;
	return true;
}

int model_time_parse(const char *text, int64_t *out_ns)
{
	const char *p = text;
	int y, mo, d, h, mi, s, oh = 0, om = 0;
	int64_t frac = 0, sign = 0;

	if (!p)
		return -1;
	if (!digits(&p, 4, &y) || !expect(&p, '-') || !digits(&p, 2, &mo) || !expect(&p, '-') ||
	    !digits(&p, 2, &d) || !expect(&p, 'T') || !digits(&p, 2, &h) || !expect(&p, ':') ||
	    !digits(&p, 2, &mi) || !expect(&p, ':') || !digits(&p, 2, &s))
		return -1;
	if (*p == '.') {
		int n = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, n++)
			if (n < 9)
				frac = frac * 10 + (*p - '0');
		if (!n)
			return -1;
		for (; n < 9; n++)
			frac *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (!digits(&p, 2, &oh) || !expect(&p, ':') || !digits(&p, 2, &om) || oh > 23 ||
		    om > 59)
			return -1;
	} else {
		return -1;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
	    s > 60)
		return -1;
	if (y == 1 && mo == 1 && d == 1 && !h && !mi && !s && !frac) {
		*out_ns = 0; /* Go's zero time: never */
		return 0;
	}
	/* int64 nanoseconds reach from 1677 to 2262. */
	if (y < 1678 || y > 2261)
		return -1;
	int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	secs -= sign * (oh * 3600 + om * 60);
	*out_ns = secs * NS_PER_S + frac;
	return 0;
}

const char *model_time_format(int64_t ns, char *buf, size_t len)
{
	struct tm tm;
	time_t t;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (!ns)
		return buf;
	t = (time_t)(ns >= 0 ? ns / NS_PER_S : -((-ns + NS_PER_S - 1) / NS_PER_S));
	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		buf[0] = '\0';
	return buf;
}

/* N (>= 0) and UNIT into BUF (LEN bytes), cut as snprintf cuts: the
 * peerings pane sets the age of each pair's heartbeat at every review of
 * new stream times, and snprintf was two thirds of that. */
static const char *age_put(char *buf, size_t len, int64_t n, char unit)
{
	char tmp[24];
	size_t k = sizeof tmp - 1, m;

	tmp[k] = '\0';
	tmp[--k] = unit;
	do {
		tmp[--k] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	if (len == 0)
		return buf;
	m = sizeof tmp - 1 - k;
	if (m > len - 1)
		m = len - 1;
	memcpy(buf, tmp + k, m);
	buf[m] = '\0';
	return buf;
}

const char *model_age_format(int64_t ms, const char *none, char *buf, size_t len)
{
	int64_t s = ms / 1000;

	if (ms < 0) {
		snprintf(buf, len, "%s", none);
		return buf;
	}
	if (s < 60)
		return age_put(buf, len, s, 's');
	if (s < 3600)
		return age_put(buf, len, s / 60, 'm');
	if (s < 86400)
		return age_put(buf, len, s / 3600, 'h');
	return age_put(buf, len, s / 86400, 'd');
}

int64_t model_age_next_ms(int64_t ms)
{
	int64_t unit = ms < 60000      ? 1000
	               : ms < 3600000  ? 60000
	               : ms < 86400000 ? 3600000
	                               : 86400000;

	if (ms < 0)
		return -1;
	/* At a unit's boundary the text changes, and at 60 s "59s" becomes
	 * "1m" (the units line up: each is a multiple of the one before). */
	return unit - ms % unit;
}

/* =========================================================== enum names */

static const char *const peering_states[] = {
        [MODEL_PEERING_UNDEFINED] = "UNDEFINED",       [MODEL_PEERING_PENDING] = "PENDING",
        [MODEL_PEERING_ESTABLISHING] = "ESTABLISHING", [MODEL_PEERING_ACTIVE] = "ACTIVE",
        [MODEL_PEERING_FAILING] = "FAILING",           [MODEL_PEERING_DELETING] = "DELETING",
        [MODEL_PEERING_TERMINATED] = "TERMINATED",
};

const char *model_peering_state_name(enum model_peering_state s)
{
	if ((size_t)s >= sizeof peering_states / sizeof peering_states[0])
		return "UNDEFINED";
	return peering_states[s];
}

enum model_peering_state model_peering_state_parse(const char *text)
{
	if (!text)
		return MODEL_PEERING_UNDEFINED;
	if (!strcasecmp(text, "INITIAL"))
		return MODEL_PEERING_PENDING; /* Consul 1.13 */
	for (size_t i = 0; i < sizeof peering_states / sizeof peering_states[0]; i++)
		if (!strcasecmp(text, peering_states[i]))
			return (enum model_peering_state)i;
	return MODEL_PEERING_UNDEFINED;
}

static const char *const health_names[] = {
        [MODEL_HEALTH_UNKNOWN] = "unknown",         [MODEL_HEALTH_PASSING] = "passing",
        [MODEL_HEALTH_WARNING] = "warning",         [MODEL_HEALTH_CRITICAL] = "critical",
        [MODEL_HEALTH_MAINTENANCE] = "maintenance",
};

const char *model_health_name(enum model_health h)
{
	if ((size_t)h >= sizeof health_names / sizeof health_names[0])
		return "unknown";
	return health_names[h];
}

enum model_health model_health_parse(const char *text)
{
	for (size_t i = 1; text && i < sizeof health_names / sizeof health_names[0]; i++)
		if (!strcasecmp(text, health_names[i]))
			return (enum model_health)i;
	return MODEL_HEALTH_UNKNOWN;
}

static const char *const mgw_names[] = {
        [MODEL_MGW_DEFAULT] = "",      [MODEL_MGW_NONE] = "none",       [MODEL_MGW_LOCAL] = "local",
        [MODEL_MGW_REMOTE] = "remote", [MODEL_MGW_INVALID] = "invalid",
};

const char *model_mgw_mode_name(enum model_mgw_mode m)
{
	if ((size_t)m >= sizeof mgw_names / sizeof mgw_names[0])
		return "invalid";
	return mgw_names[m];
}

enum model_mgw_mode model_mgw_mode_parse(const char *text)
{
	if (!text || !*text)
		return MODEL_MGW_DEFAULT;
	for (size_t i = 1; i < MODEL_MGW_INVALID; i++)
		if (!strcasecmp(text, mgw_names[i]))
			return (enum model_mgw_mode)i;
	return MODEL_MGW_INVALID;
}

const char *model_token_target_name(enum model_token_target t)
{
	switch (t) {
	case MODEL_TOKEN_TARGET_SERVERS:
		return "servers";
	case MODEL_TOKEN_TARGET_GATEWAYS:
		return "mesh gateways";
	default:
		return "unknown";
	}
}

static const char *const source_states[] = {
        [MODEL_SOURCE_UNKNOWN] = "unknown",     [MODEL_SOURCE_OK] = "ok",
        [MODEL_SOURCE_STALE] = "stale",         [MODEL_SOURCE_ERROR] = "error",
        [MODEL_SOURCE_FORBIDDEN] = "forbidden", [MODEL_SOURCE_UNSUPPORTED] = "unsupported",
};

const char *model_source_state_name(enum model_source_state s)
{
	if ((size_t)s >= sizeof source_states / sizeof source_states[0])
		return "unknown";
	return source_states[s];
}

/* Port of a "host:port" or "[v6]:port" address, or -1. */
static long address_port(const char *addr)
{
	const char *colon = strrchr(addr, ':');
	char *end;
	long port;

	if (!colon || !colon[1])
		return -1;
	port = strtol(colon + 1, &end, 10);
	return *end || port < 1 || port > 65535 ? -1 : port;
}

enum model_token_target model_token_target_guess(const struct model_strv *addresses)
{
	bool servers = false;

	for (size_t i = 0; i < addresses->n; i++) {
		long port = address_port(addresses->v[i]);
		if (port < 0)
			continue;
		if (port < 8500 || port > 8503)
			return MODEL_TOKEN_TARGET_GATEWAYS;
		servers = true;
	}
	return servers ? MODEL_TOKEN_TARGET_SERVERS : MODEL_TOKEN_TARGET_UNKNOWN;
}

/* ================================================================= clears */

void model_cluster_identity_clear(struct model_cluster_identity *id)
{
	if (!id)
		return;
	free(id->datacenter);
	free(id->primary_datacenter);
	free(id->node_name);
	free(id->node_id);
	free(id->partition);
	free(id->version);
	free(id->revision);
	free(id->leader);
	memset(id, 0, sizeof *id);
}

static void locality_clear(struct model_locality *l)
{
	free(l->region);
	free(l->zone);
	l->region = l->zone = NULL;
}

void model_peering_clear(struct model_peering *p)
{
	if (!p)
		return;
	free(p->id);
	free(p->name);
	free(p->partition);
	model_meta_clear(&p->meta);
	free(p->state_text);
	free(p->peer_id);
	model_strv_clear(&p->peer_ca_pems);
	free(p->peer_server_name);
	model_strv_clear(&p->peer_server_addresses);
	model_strv_clear(&p->stream.imported_services);
	model_strv_clear(&p->stream.exported_services);
	free(p->remote.partition);
	free(p->remote.datacenter);
	locality_clear(&p->remote.locality);
	memset(p, 0, sizeof *p);
}

MODEL_LIST_FREE(model_peering_list_free, model_peering_list, model_peering_clear)

int model_peering_copy(struct model_peering *dst, const struct model_peering *src)
{
	bool ok = true;

	*dst = *src;
	dst->id = sdup(src->id, &ok);
	dst->name = sdup(src->name, &ok);
	dst->partition = sdup(src->partition, &ok);
	dst->state_text = sdup(src->state_text, &ok);
	dst->peer_id = sdup(src->peer_id, &ok);
	dst->peer_server_name = sdup(src->peer_server_name, &ok);
	dst->remote.partition = sdup(src->remote.partition, &ok);
	dst->remote.datacenter = sdup(src->remote.datacenter, &ok);
	dst->remote.locality.region = sdup(src->remote.locality.region, &ok);
	dst->remote.locality.zone = sdup(src->remote.locality.zone, &ok);
	if (meta_copy(&dst->meta, &src->meta))
		ok = false;
	if (strv_copy(&dst->peer_ca_pems, &src->peer_ca_pems))
		ok = false;
	if (strv_copy(&dst->peer_server_addresses, &src->peer_server_addresses))
		ok = false;
	if (strv_copy(&dst->stream.imported_services, &src->stream.imported_services))
		ok = false;
	if (strv_copy(&dst->stream.exported_services, &src->stream.exported_services))
		ok = false;
	if (ok)
		return 0;
	model_peering_clear(dst);
	return -1;
}

/* Every field model_peering_copy() copies, but the stream's three times. */
static bool peering_same_but_times(const struct model_peering *a, const struct model_peering *b)
{
	return model_text_same(a->id, b->id) && model_text_same(a->name, b->name) &&
	       model_text_same(a->partition, b->partition) &&
	       a->deleted_at_ns == b->deleted_at_ns && model_meta_same(&a->meta, &b->meta) &&
	       a->state == b->state && model_text_same(a->state_text, b->state_text) &&
	       model_text_same(a->peer_id, b->peer_id) &&
	       model_strv_same(&a->peer_ca_pems, &b->peer_ca_pems) &&
	       model_text_same(a->peer_server_name, b->peer_server_name) &&
	       model_strv_same(&a->peer_server_addresses, &b->peer_server_addresses) &&
	       a->has_stream_status == b->has_stream_status &&
	       model_strv_same(&a->stream.imported_services, &b->stream.imported_services) &&
	       model_strv_same(&a->stream.exported_services, &b->stream.exported_services) &&
	       (a->stream.last_heartbeat_ns != 0) == (b->stream.last_heartbeat_ns != 0) &&
	       (a->stream.last_receive_ns != 0) == (b->stream.last_receive_ns != 0) &&
	       (a->stream.last_send_ns != 0) == (b->stream.last_send_ns != 0) &&
	       a->has_remote == b->has_remote &&
	       model_text_same(a->remote.partition, b->remote.partition) &&
	       model_text_same(a->remote.datacenter, b->remote.datacenter) &&
	       a->remote.has_locality == b->remote.has_locality &&
	       model_text_same(a->remote.locality.region, b->remote.locality.region) &&
	       model_text_same(a->remote.locality.zone, b->remote.locality.zone) &&
	       a->create_index == b->create_index && a->modify_index == b->modify_index &&
	       a->has_counts == b->has_counts &&
	       a->imported_service_count == b->imported_service_count &&
	       a->exported_service_count == b->exported_service_count;
}

bool model_peering_list_same_but_times(const struct model_peering_list *a,
                                       const struct model_peering_list *b)
{
	size_t na = a ? a->n : 0, nb = b ? b->n : 0;

	if (na != nb)
		return false;
	if (na && a->shape && a->shape == b->shape)
		return true;
	for (size_t i = 0; i < na; i++)
		if (!peering_same_but_times(&a->v[i], &b->v[i]))
			return false;
	return true;
}

size_t model_peering_imported_count(const struct model_peering *p)
{
	if (p->has_stream_status || !p->has_counts)
		return p->stream.imported_services.n;
	return (size_t)p->imported_service_count;
}

size_t model_peering_exported_count(const struct model_peering *p)
{
	if (p->has_stream_status || !p->has_counts)
		return p->stream.exported_services.n;
	return (size_t)p->exported_service_count;
}

void model_token_summary_clear(struct model_token_summary *t)
{
	if (!t)
		return;
	model_strv_clear(&t->ca_pems);
	model_strv_clear(&t->server_addresses);
	model_strv_clear(&t->manual_server_addresses);
	free(t->server_name);
	free(t->peer_id);
	free(t->remote_partition);
	free(t->remote_datacenter);
	locality_clear(&t->locality);
	memset(t, 0, sizeof *t);
}

static void links_free(struct model_acl_link *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].name);
	}
	free(v);
}

void model_acl_token_clear(struct model_acl_token *t)
{
	if (!t)
		return;
	free(t->accessor_id);
	free(t->description);
	links_free(t->policies, t->npolicies);
	links_free(t->roles, t->nroles);
	model_strv_clear(&t->service_identities);
	model_strv_clear(&t->node_identities);
	free(t->auth_method);
	memset(t, 0, sizeof *t);
}

void model_acl_check_clear(struct model_acl_check *c)
{
	if (!c)
		return;
	free(c->resource);
	free(c->segment);
	free(c->access);
	memset(c, 0, sizeof *c);
}

void model_service_instance_clear(struct model_service_instance *s)
{
	if (!s)
		return;
	free(s->node);
	free(s->node_address);
	free(s->datacenter);
	free(s->service_id);
	free(s->service_name);
	free(s->partition);
	free(s->kind);
	free(s->address);
	free(s->lan.address);
	free(s->wan.address);
	free(s->peer_name);
	model_strv_clear(&s->tags);
	model_meta_clear(&s->meta);
	model_meta_clear(&s->proxy_config);
	memset(s, 0, sizeof *s);
}

MODEL_LIST_FREE(model_instance_list_free, model_instance_list, model_service_instance_clear)

void model_entry_head_clear(struct model_entry_head *h)
{
	if (!h)
		return;
	free(h->kind);
	free(h->name);
	free(h->partition);
	free(h->ns);
	model_meta_clear(&h->meta);
	memset(h, 0, sizeof *h);
}

void model_export_consumer_clear(struct model_export_consumer *c)
{
	if (!c)
		return;
	free(c->peer);
	free(c->partition);
	free(c->sameness_group);
	memset(c, 0, sizeof *c);
}

void model_export_service_clear(struct model_export_service *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->ns);
	free(s->partition);
	for (size_t i = 0; i < s->nconsumers; i++)
		model_export_consumer_clear(&s->consumers[i]);
	free(s->consumers);
	memset(s, 0, sizeof *s);
}

void model_exported_services_entry_clear(struct model_exported_services_entry *e)
{
	if (!e)
		return;
	model_entry_head_clear(&e->head);
	for (size_t i = 0; i < e->nservices; i++)
		model_export_service_clear(&e->services[i]);
	free(e->services);
	memset(e, 0, sizeof *e);
}

void model_mesh_entry_clear(struct model_mesh_entry *e)
{
	if (!e)
		return;
	model_entry_head_clear(&e->head);
	memset(e, 0, sizeof *e);
}

void model_proxy_defaults_entry_clear(struct model_proxy_defaults_entry *e)
{
	if (!e)
		return;
	model_entry_head_clear(&e->head);
	free(e->protocol);
	memset(e, 0, sizeof *e);
}

void model_upstream_override_clear(struct model_upstream_override *u)
{
	if (!u)
		return;
	free(u->name);
	free(u->peer);
	free(u->ns);
	free(u->partition);
	memset(u, 0, sizeof *u);
}

void model_service_defaults_entry_clear(struct model_service_defaults_entry *e)
{
	if (!e)
		return;
	model_entry_head_clear(&e->head);
	free(e->protocol);
	for (size_t i = 0; i < e->noverrides; i++)
		model_upstream_override_clear(&e->overrides[i]);
	free(e->overrides);
	memset(e, 0, sizeof *e);
}

const char *model_intention_action_name(enum model_intention_action a)
{
	switch (a) {
	case MODEL_INTENTION_ALLOW:
		return "allow";
	case MODEL_INTENTION_DENY:
		return "deny";
	default:
		return "permissions";
	}
}

void model_intention_source_clear(struct model_intention_source *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->peer);
	free(s->ns);
	free(s->partition);
	free(s->sameness_group);
	free(s->description);
	memset(s, 0, sizeof *s);
}

void model_service_intentions_entry_clear(struct model_service_intentions_entry *e)
{
	if (!e)
		return;
	model_entry_head_clear(&e->head);
	for (size_t i = 0; i < e->nsources; i++)
		model_intention_source_clear(&e->sources[i]);
	free(e->sources);
	memset(e, 0, sizeof *e);
}

void model_exported_service_clear(struct model_exported_service *s)
{
	if (!s)
		return;
	free(s->service);
	free(s->partition);
	free(s->ns);
	model_strv_clear(&s->peers);
	model_strv_clear(&s->partitions);
	memset(s, 0, sizeof *s);
}

MODEL_LIST_FREE(model_exported_service_list_free, model_exported_service_list,
                model_exported_service_clear)

void model_service_summary_clear(struct model_service_summary *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->kind);
	free(s->datacenter);
	free(s->peer_name);
	free(s->partition);
	free(s->ns);
	memset(s, 0, sizeof *s);
}

void model_service_summary_list_free(struct model_service_summary_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; !l->blocks && i < l->n; i++)
		model_service_summary_clear(&l->v[i]);
	free(l->v);
	model_blocks_free(l->blocks);
	l->v = NULL;
	l->n = 0;
	l->blocks = NULL;
}

void model_imported_service_clear(struct model_imported_service *s)
{
	if (!s)
		return;
	free(s->service);
	free(s->partition);
	free(s->ns);
	free(s->source_peer);
	free(s->source_partition);
	memset(s, 0, sizeof *s);
}

MODEL_LIST_FREE(model_imported_service_list_free, model_imported_service_list,
                model_imported_service_clear)

void model_source_status_clear(struct model_source_status *s)
{
	if (!s)
		return;
	free(s->last_error);
	memset(s, 0, sizeof *s);
}

int model_source_status_copy(struct model_source_status *dst, const struct model_source_status *src)
{
	bool ok = true;

	*dst = *src;
	dst->last_error = sdup(src->last_error, &ok);
	return ok ? 0 : -1;
}
