/* consul: the stream times of a GET /v1/peerings body, read without
 * decoding the rest. Consul computes each peering's StreamStatus on read
 * (agent/rpc/peering/service.go, reconcilePeering): LastHeartbeat,
 * LastReceive and LastSend move with every heartbeat of a live stream, 15 s
 * apart on each side of each peering, so a cluster's stream poll brings new
 * times most of the time and nothing else new. Its body is lexed here once:
 * the strings and the structure, enough to find those three values in each
 * peering's StreamStatus; every other byte goes into a hash, the body's
 * shape. Two bodies of the same shape say the same but for those times, and
 * the list the first decoded to, with the second's times, is what decoding
 * the second would give (consul_scan_peerings.c). Keys are matched exactly
 * here: a body that spells them otherwise is decoded in full each time,
 * which is only slower. See include/peerscope/consul.h.
 *
 * Lexing every string of the body (some 900 in a cluster's 20 peerings)
 * was a fifth of an idle cluster thread's instructions. Once a body has
 * been lexed, the next one is first read the quick way: its times found by
 * their keys alone ("LastSend": " and the like), every other byte hashed as
 * the lexer hashes it. When that hash is the shape of the body before and
 * the times are as many, the bodies differ in nothing but the times (but
 * for a collision of the hash, which the shape risks already), so the
 * times stand where the lexer found them before; otherwise the body is
 * lexed. A body is read the quick way only when a quick read of the body
 * lexed last found the lexer's own times and shape. */
#include "autoconfig.h"

#include "peerscope/consul.h"

#include "peerscope/codec.h"

#include <stdlib.h>
#include <string.h>

#define DEPTH_MAX 32 /* a peering list nests five deep */
#define TIME_MAX  63 /* the longest time text read here */

enum key {
	K_OTHER,
	K_STREAM,
	K_TIME0
};

struct level {
	bool object;
	bool expect_key;
	bool stream;  /* the StreamStatus object of a peering */
	int key;      /* enum key, or K_TIME0 + the time's consul_stream_time */
	size_t index; /* the peering, for a stream */
};

struct lexer {
	const char *b;
	size_t len, at;
	uint64_t h;
	size_t mark; /* hashed up to here */
	struct level lv[DEPTH_MAX];
	int depth;
	size_t peerings;
	size_t streams; /* the peering of the last StreamStatus, plus one */
};

static const char *const time_keys[] = {
        [CONSUL_TIME_HEARTBEAT] = "LastHeartbeat",
        [CONSUL_TIME_RECEIVE] = "LastReceive",
        [CONSUL_TIME_SEND] = "LastSend",
};

/* The body's bytes from the mark to END into the hash. */
static void hash_to(struct lexer *x, size_t end)
{
	size_t n = end - x->mark;
	uint64_t h = codec_hash_bytes(x->h, x->b + x->mark, n);

	/* Where a time was left out: "a" + "b" is not "ab". */
	x->h = (h ^ n) * 0x9e3779b97f4a7c15ull;
	x->mark = end;
}

/* The index of the quote that ends the string whose text starts at FROM;
 * LEN when there is none. */
static size_t string_end(const struct lexer *x, size_t from)
{
	for (;;) {
		const char *q = memchr(x->b + from, '"', x->len - from);
		if (!q)
			return x->len;
		size_t at = (size_t)(q - x->b), bs = 0;
		while (at - bs > from && x->b[at - bs - 1] == '\\')
			bs++;
		if (bs % 2 == 0)
			return at;
		from = at + 1;
	}
}

static bool is_key(const struct lexer *x, size_t from, size_t end, const char *name)
{
	size_t n = strlen(name);

	return end - from == n && !memcmp(x->b + from, name, n);
}

/* The text of a time, FROM to END, read as the decoder reads it; false for
 * one it would not read the same way (an escape, a control byte) or at all. */
static bool read_time(const struct lexer *x, size_t from, size_t end, int64_t *ns)
{
	char text[TIME_MAX + 1];
	size_t n = end - from;

	*ns = 0;
	if (n > TIME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)x->b[from + i] < 0x20 || x->b[from + i] == '\\')
			return false;
	memcpy(text, x->b + from, n);
	text[n] = '\0';
	return !n || model_time_parse(text, ns) == 0;
}

static int add_time(struct consul_peerings_times *t, size_t peering, int which, int64_t ns)
{
	for (size_t i = t->n; i-- > 0 && t->v[i].peering == peering;)
		if ((int)t->v[i].which == which)
			t->usable = false; /* twice in one object: decode it */
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct consul_peering_time *v = realloc(t->v, cap * sizeof *v);
		if (!v)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = (struct consul_peering_time){peering, (enum consul_stream_time)which, ns};
	return 0;
}

/* A string whose text is FROM to END: a key names what the value after it
 * is; a time's text is left out of the hash and read. */
static int string(struct lexer *x, size_t from, size_t end, struct consul_peerings_times *t)
{
	struct level *l = x->depth ? &x->lv[x->depth - 1] : NULL;

	if (l && l->object && l->expect_key) {
		l->expect_key = false;
		l->key = K_OTHER;
		if (x->depth == 2 && is_key(x, from, end, "StreamStatus"))
			l->key = K_STREAM;
		for (int i = 0; l->stream && i < 3; i++)
			if (is_key(x, from, end, time_keys[i]))
				l->key = K_TIME0 + i;
		return 0;
	}
	if (!l || !l->stream || l->key < K_TIME0)
		return 0;
	int64_t ns;
	hash_to(x, from);
	x->mark = end;
	if (!read_time(x, from, end, &ns)) {
		t->usable = false;
		return 0;
	}
	return add_time(t, l->index, l->key - K_TIME0, ns);
}

static bool open_level(struct lexer *x, bool object, struct consul_peerings_times *t)
{
	struct level *parent = x->depth ? &x->lv[x->depth - 1] : NULL;

	if (x->depth == DEPTH_MAX)
		return false;
	struct level *l = &x->lv[x->depth++];
	*l = (struct level){.object = object, .expect_key = object, .key = K_OTHER};
	if (object && x->depth == 2 && !parent->object)
		x->peerings++;
	if (object && x->depth == 3 && parent->object && parent->key == K_STREAM) {
		l->stream = true;
		l->index = x->peerings - 1;
		if (x->streams == x->peerings)
			t->usable = false; /* a second one in a peering: decode it */
		x->streams = x->peerings;
	}
	return true;
}

/* The time keys' ends after "\"Last", closing quote included. */
static const struct {
	const char *s;
	size_t n;
} time_tails[] = {
        [CONSUL_TIME_HEARTBEAT] = {"Heartbeat\"", sizeof "Heartbeat\"" - 1},
        [CONSUL_TIME_RECEIVE] = {"Receive\"", sizeof "Receive\"" - 1},
        [CONSUL_TIME_SEND] = {"Send\"", sizeof "Send\"" - 1},
};

static bool json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The time key whose "\"Last" starts at AT, or -1; *from: its value's
 * text, after the colon and the opening quote. Space may stand around the
 * colon, as in the indented JSON of ?pretty or of an agent in dev mode
 * (agent/http.go, marshalJSON). */
static int time_key_at(const struct lexer *x, size_t at, size_t *from)
{
	size_t rest = x->len - at - 5, i = at + 5;
	int which = -1;

	for (int k = 0; k < 3 && which < 0; k++)
		if (rest >= time_tails[k].n && !memcmp(x->b + i, time_tails[k].s, time_tails[k].n))
			which = k;
	if (which < 0)
		return -1;
	for (i += time_tails[which].n; i < x->len && json_space(x->b[i]); i++)
		;
	if (i == x->len || x->b[i++] != ':')
		return -1;
	while (i < x->len && json_space(x->b[i]))
		i++;
	if (i == x->len || x->b[i] != '"')
		return -1;
	*from = i + 1;
	return which;
}

/* The quick read: every time found by its key is, in order, T's next one,
 * of the same kind (time_keys), and the bytes around them hash to T's
 * shape. FILL: the times read go into T; else each must be T's already
 * (a check of the body T was lexed from). False when the body is not read
 * this way: lex it. */
static bool quick_read(struct lexer *x, struct consul_peerings_times *t, bool fill)
{
	size_t k = 0;

	while (x->at + 5 <= x->len) {
		/* An 'L' is rare in a peerings list: memchr() finds it a
		 * vector at a time, where memmem() goes byte by byte. */
		const char *l = memchr(x->b + x->at + 1, 'L', x->len - x->at - 1);
		if (!l)
			break;
		size_t at = (size_t)(l - x->b) - 1, from = 0;
		int which = x->b[at] == '"' && x->len - at >= 5 && !memcmp(l, "Last", 4)
		                    ? time_key_at(x, at, &from)
		                    : -1;
		if (which < 0) {
			x->at = at + 1;
			continue;
		}
		/* After a backslash the quote may be a string's text. */
		if (at && x->b[at - 1] == '\\')
			return false;
		const char *e = memchr(x->b + from, '"', x->len - from);
		int64_t ns;
		if (!e || k == t->n || (int)t->v[k].which != which)
			return false;
		size_t end = (size_t)(e - x->b);
		if (!read_time(x, from, end, &ns))
			return false;
		if (fill)
			t->v[k].ns = ns;
		else if (t->v[k].ns != ns)
			return false;
		k++;
		hash_to(x, from);
		x->mark = end;
		x->at = end + 1;
	}
	hash_to(x, x->len);
	return k == t->n && x->h == t->shape;
}

int consul_peerings_times_read(const char *json, size_t len, struct consul_peerings_times *t)
{
	struct lexer x = {
	        .b = json ? json : "", .len = json ? len : 0, .h = 1469598103934665603ull};
	struct lexer q = x;

	if (t->quick && quick_read(&q, t, true)) {
		t->usable = true;
		return 0;
	}
	t->quick = false;
	t->lexed++;
	t->n = 0;
	t->usable = true;
	while (x.at < x.len) {
		char ch = x.b[x.at];
		if (ch == '"') {
			size_t end = string_end(&x, x.at + 1);
			if (end == x.len) {
				t->usable = false;
				break;
			}
			if (string(&x, x.at + 1, end, t) < 0)
				return -1;
			x.at = end + 1;
			continue;
		}
		if (ch == '{' || ch == '[') {
			if (!open_level(&x, ch == '{', t)) {
				t->usable = false;
				break;
			}
		} else if ((ch == '}' || ch == ']') && x.depth) {
			x.depth--;
		} else if (ch == ',' && x.depth && x.lv[x.depth - 1].object) {
			x.lv[x.depth - 1].expect_key = true;
		}
		x.at++;
	}
	hash_to(&x, x.len);
	t->shape = x.h;
	q = (struct lexer){.b = x.b, .len = x.len, .h = 1469598103934665603ull};
	t->quick = t->usable && quick_read(&q, t, false);
	return 0;
}

void consul_peerings_times_free(struct consul_peerings_times *t)
{
	free(t->v);
	memset(t, 0, sizeof *t);
}

int consul_peerings_with_times(const struct model_peering_list *base,
                               const struct consul_peerings_times *t,
                               struct model_peering_list *out)
{
	out->v = NULL;
	out->n = 0;
	out->shape = base->shape;
	if (!t->usable)
		return -1;
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].peering >= base->n || !base->v[t->v[i].peering].has_stream_status)
			return -1;
	/* The entries as they are: every string and list is BASE's. A deep
	 * copy was a tenth of an idle cluster thread's instructions, and its
	 * frees as much on the UI thread. */
	if (base->n && !(out->v = malloc(base->n * sizeof *out->v)))
		return -1;
	if (base->n)
		memcpy(out->v, base->v, base->n * sizeof *out->v);
	out->n = base->n;
	for (size_t i = 0; i < t->n; i++) {
		struct model_stream_status *s = &out->v[t->v[i].peering].stream;
		int64_t *to[] = {[CONSUL_TIME_HEARTBEAT] = &s->last_heartbeat_ns,
		                 [CONSUL_TIME_RECEIVE] = &s->last_receive_ns,
		                 [CONSUL_TIME_SEND] = &s->last_send_ns};
		/* A time set or unset is more than a time that moved. */
		if ((*to[t->v[i].which] != 0) != (t->v[i].ns != 0))
			out->shape = 0;
		*to[t->v[i].which] = t->v[i].ns;
	}
	return 0;
}
