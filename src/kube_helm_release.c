/* kube: the JSON of a Helm release from the text a release Secret holds,
 * cut down to the members a reader wants.
 *
 * Helm 3 stores base64 of gzip of the release JSON. A release of the consul
 * chart is some 3.7 MB of JSON: the chart whole (its 213 templates, each
 * base64) and the rendered manifest (every CRD) make nearly all of it. Of
 * it a reader wants name, info, the chart's metadata and values, and
 * config. Helm writes the members in the order of its Release struct
 * (helm.sh/helm/v3 pkg/release/release.go: name, info, chart, config,
 * manifest, hooks, version, namespace), so all four are read once the
 * inflated text reaches the manifest, about two thirds of the way.
 * Inflating stops there: the release's top-level members are followed as
 * the text comes out (release_track()), and once the four are whole the
 * text is cut after them. What of version and namespace came before the
 * cut is read; the Secret tells the rest (kube_helm.c). A release written
 * in another order is inflated whole. A gzip stream cut short is not
 * checked against its CRC, which the transfer's TLS already protects.
 *
 * The members read are parsed each on its own; the rest, the templates
 * above all, is only scanned (codec_scan). A release holds every value,
 * secrets included: each buffer of it is wiped before it is freed. */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "kube_internal.h"
#include "peerscope/codec.h"

/* Largest release JSON accepted: releases carry the rendered manifest. */
#define HELM_MAX_JSON ((size_t)64 * 1024 * 1024)

/* Bytes inflated between two looks at the members read whole. */
#define INFLATE_STEP ((size_t)256 * 1024)

/* The top-level members inflating waits for, in Helm's order. */
static const char *const track_names[] = {"name", "info", "chart", "config"};
#define TRACK_ALL ((1u << (sizeof track_names / sizeof track_names[0])) - 1)

/* The release's top-level members, followed byte by byte as the text is
 * inflated: strings are passed over a run at a time, brackets counted. */
struct release_track {
	size_t at;      /* the next byte to read */
	size_t depth;   /* 1 inside the release object */
	bool in_string; /* in a string (a key or a value) */
	bool escape;    /* the string's last byte was a backslash */
	bool want_key;  /* at depth 1, a key comes next */
	bool lost;      /* not an object, or a NUL: no cut */
	int member;     /* the member being read: an index of track_names, or -1 */
	size_t key_at;  /* where that member's key starts, after its quote */
	unsigned whole; /* bit i: track_names[i] read whole */
	size_t cut;     /* once whole is TRACK_ALL: the comma after the last */
};

static int track_name(const char *k, size_t n)
{
	for (size_t i = 0; i < sizeof track_names / sizeof track_names[0]; i++)
		if (strlen(track_names[i]) == n && !memcmp(k, track_names[i], n))
			return (int)i;
	return -1;
}

/* A member ended at depth 1 (a comma, or the release's closing brace). */
static void member_end(struct release_track *t)
{
	if (t->member >= 0)
		t->whole |= 1u << t->member;
	t->member = -1;
	t->want_key = true;
}

/* Reads TEXT[T->at .. LEN) (TEXT[LEN] is a NUL). True once the members
 * waited for are whole: T->cut is then the comma after the last of them. */
static bool release_track(struct release_track *t, const char *text, size_t len)
{
	while (t->at < len && !t->lost) {
		if (t->escape) {
			t->escape = false;
			t->at++;
			continue;
		}
		if (t->in_string) {
			t->at += strcspn(text + t->at, "\"\\");
			if (t->at >= len)
				break;
			if (!text[t->at]) {
				t->lost = true; /* a NUL: not JSON; the parse will say */
				break;
			}
			if (text[t->at++] == '\\') {
				t->escape = true;
				continue;
			}
			t->in_string = false;
			if (t->depth == 1 && t->want_key) {
				t->member = track_name(text + t->key_at, t->at - 1 - t->key_at);
				t->want_key = false;
			}
			continue;
		}
		char c = text[t->at++];
		if (c == '"') {
			t->in_string = true;
			t->key_at = t->at;
		} else if (c == '{' || c == '[') {
			if (t->depth++ == 0) {
				t->lost = c != '{';
				t->want_key = true;
				t->member = -1;
			}
		} else if (c == '}' || c == ']') {
			if (t->depth == 1)
				member_end(t);
			if (t->depth > 0 && --t->depth == 0)
				t->lost = true; /* the release ended: nothing to cut */
		} else if (c == ',' && t->depth == 1) {
			member_end(t);
			if (t->whole == TRACK_ALL) {
				t->cut = t->at - 1;
				return true;
			}
		}
	}
	return false;
}

/* What gzip data of N bytes at IN says it holds (RFC 1952: the last four
 * bytes, ISIZE, the input's length modulo 2^32), as a first size for the
 * buffer, or a guess where that is not to be believed. */
static size_t gunzip_cap(const unsigned char *in, size_t n)
{
	if (n >= 18) {
		const unsigned char *t = in + n - 4;
		size_t isize =
		        (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 | (size_t)t[3] << 24;
		if (isize >= n / 2 && isize < HELM_MAX_JSON)
			return isize + 1;
	}
	return n * 4 + 1024;
}

/* The release JSON gzipped in IN, into a malloc'd, NUL-terminated buffer:
 * sized once by what the data says it holds (a release's 3 MB grew through
 * doublings to 4), and inflated only until the members a reader wants are
 * whole, where it is cut and closed. */
static char *gunzip(const unsigned char *in, size_t n, size_t *outlen, char *err, size_t errlen)
{
	struct release_track track = {.member = -1};
	z_stream zs;
	size_t cap = gunzip_cap(in, n), len = 0;
	char *out = malloc(cap);
	int zrc = Z_OK;
	bool cut = false;

	memset(&zs, 0, sizeof zs);
	if (!out || inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		free(out);
		kube_fail(err, errlen, "out of memory");
		return NULL;
	}
	zs.next_in = (unsigned char *)(uintptr_t)in;
	zs.avail_in = (uInt)n;
	while (zrc == Z_OK && !cut) {
		if (cap - len < 2) {
			/* Not realloc: the old buffer is wiped before it is freed. */
			char *bigger = cap < HELM_MAX_JSON ? malloc(cap * 2) : NULL;
			if (!bigger)
				break;
			memcpy(bigger, out, len + 1);
			codec_wipe(out, len);
			free(out);
			out = bigger;
			cap *= 2;
		}
		size_t room = cap - len - 1;
		zs.next_out = (unsigned char *)out + len;
		zs.avail_out = (uInt)(room < INFLATE_STEP ? room : INFLATE_STEP);
		size_t asked = zs.avail_out;
		zrc = inflate(&zs, Z_NO_FLUSH);
		len += asked - zs.avail_out;
		out[len] = 0;
		cut = release_track(&track, out, len);
	}
	inflateEnd(&zs);
	if (cut) {
		codec_wipe(out + track.cut + 1, len - track.cut);
		out[track.cut] = '}';
		len = track.cut + 1;
	} else if (zrc != Z_STREAM_END) {
		codec_wipe(out, len);
		free(out);
		kube_fail(err, errlen, "the release is not valid gzip data%s",
		          zrc == Z_OK ? " or is too large" : "");
		return NULL;
	}
	*outlen = len;
	return out;
}

/* base64 text of length N into malloc'd bytes (NUL-terminated). */
static unsigned char *unbase64(const char *in, size_t n, size_t *outlen)
{
	long bad_at;

	return codec_base64_decode(in, n, CODEC_B64_STRICT, outlen, &bad_at);
}

/* A member of the release (or of its chart), RAW, parsed on its own into
 * PARENT under KEY. What cJSON refuses of what S let through (nesting
 * deeper than it goes) is S's fault to tell. */
static bool add_parsed(struct codec_scan *s, cJSON *parent, const char *key,
                       const struct codec_text *raw)
{
	cJSON *v = cJSON_ParseWithLength(raw->p, raw->len);

	if (!v) {
		s->failed = true;
		snprintf(s->why, sizeof s->why, "its %s could not be parsed", key);
		return false;
	}
	cJSON_AddItemToObject(parent, key, v);
	return true;
}

static bool take_members(struct codec_scan *s, const char *const *names, size_t n, cJSON *out);

/* The chart's metadata and values into a "chart" object of OUT, from the
 * value S is at (FIRST, its first token). Another chart than the first, or
 * one that is not an object, is passed over. */
static bool take_chart(struct codec_scan *s, enum codec_tok first, cJSON *out)
{
	static const char *const chart_names[] = {"metadata", "values"};
	cJSON *chart;

	if (first != CODEC_T_OBJECT || cJSON_GetObjectItemCaseSensitive(out, "chart"))
		return codec_scan_skip(s, first);
	return (chart = cJSON_AddObjectToObject(out, "chart")) &&
	       take_members(s, chart_names, sizeof chart_names / sizeof chart_names[0], chart);
}

/* The members of the object S is in, up to its end: those named in
 * NAMES[0..N) parsed into OUT ("chart" by take_chart()), the first of two
 * of one name as cJSON finds it; any other passed over. */
static bool take_members(struct codec_scan *s, const char *const *names, size_t n, cJSON *out)
{
	struct codec_text k, raw;
	enum codec_tok t;

	while ((t = codec_scan_next(s, &k)) == CODEC_T_KEY) {
		size_t i = 0;
		while (i < n && !kube_key_is(&k, names[i]))
			i++;
		if (i < n && !strcmp(names[i], "chart")) {
			if (!take_chart(s, codec_scan_next(s, &raw), out))
				return false;
			continue;
		}
		if (codec_scan_value(s, &raw) == CODEC_T_ERROR)
			return false;
		if (i < n && !cJSON_GetObjectItemCaseSensitive(out, names[i]) &&
		    !add_parsed(s, out, names[i], &raw))
			return false;
	}
	return t == CODEC_T_OBJECT_END;
}

/* The members of release JSON a reader wants (name, namespace, version,
 * info, config, chart's metadata and values), parsed each on its own: its
 * other bytes, nearly all of them, are only scanned. */
static cJSON *release_parts(const char *json, size_t len, char *err, size_t errlen)
{
	static const char *const names[] = {"name", "namespace", "version",
	                                    "info", "config",    "chart"};
	struct codec_scan s;
	struct codec_text t;
	cJSON *rel = cJSON_CreateObject();

	if (!rel) {
		kube_fail(err, errlen, "out of memory");
		return NULL;
	}
	codec_scan_init(&s, json, len);
	enum codec_tok first = codec_scan_next(&s, &t);
	if (first != CODEC_T_OBJECT && !s.failed)
		kube_fail(err, errlen, "the release is %s, not an object", codec_tok_name(first));
	else if (!take_members(&s, names, sizeof names / sizeof names[0], rel) ||
	         codec_scan_next(&s, &t) != CODEC_T_END)
		kube_fail(err, errlen, "%s", s.failed ? s.why : "out of memory");
	else
		return rel;
	cJSON_Delete(rel);
	return NULL;
}

cJSON *kube_helm_release_json(const char *release, size_t rlen, const char *name, char *err,
                              size_t errlen)
{
	unsigned char *inner = NULL, *gz = NULL;
	char *json = NULL, why[256];
	size_t inner_len, gz_len, json_len = 0;
	cJSON *root = NULL;

	inner = unbase64(release, rlen, &inner_len);
	gz = inner ? unbase64((const char *)inner, inner_len, &gz_len) : NULL;
	if (inner)
		codec_wipe(inner, inner_len);
	free(inner);
	if (!gz) {
		kube_fail(err, errlen, "Secret %s: data.release is not base64 of base64", name);
		goto out;
	}
	/* Helm gzips releases; it reads plain JSON too. */
	if (gz_len >= 2 && gz[0] == 0x1f && gz[1] == 0x8b) {
		json = gunzip(gz, gz_len, &json_len, why, sizeof why);
		if (!json) {
			kube_fail(err, errlen, "Secret %s: %s", name, why);
			goto out;
		}
		codec_wipe(gz, gz_len);
		free(gz);
		gz = NULL;
	}
	root = release_parts(json ? json : (const char *)gz, json ? json_len : gz_len, why,
	                     sizeof why);
	if (!root)
		kube_fail(err, errlen, "Secret %s: Helm release: %s", name, why);
out:
	if (gz)
		codec_wipe(gz, gz_len);
	free(gz);
	if (json)
		codec_wipe(json, json_len);
	free(json);
	return root;
}
