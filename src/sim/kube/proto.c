/* peerscope-sim: Kubernetes protobuf request bodies.
 *
 * client-go sends built-in types (kubectl create secret, create namespace)
 * as application/vnd.kubernetes.protobuf: the magic "k8s\0", then a
 * runtime.Unknown message whose raw bytes are the object. This decodes the
 * core/v1 types the simulator serves (Secret, ConfigMap, Namespace) into the
 * JSON the rest of the API server works on, and so the authorization/v1
 * reviews (kubectl auth can-i). Field numbers are those of
 * k8s.io/api/core/v1/generated.proto, k8s.io/api/authorization/v1/
 * generated.proto and apimachinery's meta/v1. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simk.h"

#define PROTO_MAX_DEPTH 8

struct pb {
	const unsigned char *p, *end;
};

struct pb_field {
	unsigned num;
	unsigned wire;
	uint64_t varint;
	struct pb sub; /* wire type 2 */
};

static bool pb_varint(struct pb *b, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 64 && b->p < b->end; shift += 7) {
		unsigned char byte = *b->p++;

		*v |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80))
			return true;
	}
	return false;
}

/* Reads the next field; false at the end or on malformed input (*bad). */
static bool pb_next(struct pb *b, struct pb_field *f, bool *bad)
{
	uint64_t key, len;

	if (b->p >= b->end)
		return false;
	if (!pb_varint(b, &key))
		goto bad;
	f->num = (unsigned)(key >> 3);
	f->wire = (unsigned)(key & 7);
	switch (f->wire) {
	case 0:
		if (!pb_varint(b, &f->varint))
			goto bad;
		return true;
	case 1:
	case 5:
		len = f->wire == 1 ? 8 : 4;
		if ((uint64_t)(b->end - b->p) < len)
			goto bad;
		b->p += len;
		return true;
	case 2:
		if (!pb_varint(b, &len) || (uint64_t)(b->end - b->p) < len)
			goto bad;
		f->sub.p = b->p;
		f->sub.end = b->p + len;
		b->p += len;
		return true;
	default:
		goto bad;
	}
bad:
	*bad = true;
	return false;
}

static char *pb_string(const struct pb *s)
{
	size_t n = (size_t)(s->end - s->p);
	char *out = malloc(n + 1);

	if (out) {
		memcpy(out, s->p, n);
		out[n] = '\0';
	}
	return out;
}

/* Adds a non-empty string: protobuf carries empty strings that JSON omits. */
static void add_string(cJSON *obj, const char *key, const struct pb *s)
{
	char *v = s->p < s->end ? pb_string(s) : NULL;

	if (v)
		cJSON_AddStringToObject(obj, key, v);
	free(v);
}

/* A map entry {1: key, 2: value} added to MAP; BYTES values become base64. */
static bool map_entry(cJSON *map, const struct pb *entry, bool bytes, bool *bad)
{
	struct pb b = *entry;
	struct pb_field f;
	struct pb key = {0}, val = {0};
	char *k, *v;

	while (pb_next(&b, &f, bad))
		if (f.wire == 2 && f.num == 1)
			key = f.sub;
		else if (f.wire == 2 && f.num == 2)
			val = f.sub;
	if (*bad || !key.p)
		return false;
	k = pb_string(&key);
	v = !val.p  ? strdup("")
	    : bytes ? sim_b64_encode(val.p, (size_t)(val.end - val.p))
	            : pb_string(&val);
	if (k && v) {
		cJSON_DeleteItemFromObjectCaseSensitive(map, k);
		cJSON_AddStringToObject(map, k, v);
	}
	free(k);
	free(v);
	return k && v;
}

static cJSON *object_meta(const struct pb *m, bool *bad)
{
	static const char *const strings[] = {NULL,       "name", "generateName",   "namespace",
	                                      "selfLink", "uid",  "resourceVersion"};
	cJSON *meta = cJSON_CreateObject(), *labels = NULL, *annos = NULL, *fins = NULL;
	struct pb b = *m;
	struct pb_field f;

	if (!meta)
		return NULL;
	while (pb_next(&b, &f, bad)) {
		if (f.wire == 2 && f.num >= 1 && f.num <= 6)
			add_string(meta, strings[f.num], &f.sub);
		else if (f.wire == 2 && f.num == 11) {
			if (!labels)
				labels = cJSON_AddObjectToObject(meta, "labels");
			map_entry(labels, &f.sub, false, bad);
		} else if (f.wire == 2 && f.num == 12) {
			if (!annos)
				annos = cJSON_AddObjectToObject(meta, "annotations");
			map_entry(annos, &f.sub, false, bad);
		} else if (f.wire == 2 && f.num == 14) {
			char *s = pb_string(&f.sub);

			if (!fins)
				fins = cJSON_AddArrayToObject(meta, "finalizers");
			cJSON_AddItemToArray(fins, cJSON_CreateString(s ? s : ""));
			free(s);
		}
		/* Server-set fields (generation, timestamps, owner references,
		 * managedFields) are ignored on writes anyway. */
	}
	return meta;
}

/* The object message of type RT. */
static cJSON *core_object(const struct simk_rtype *t, const struct pb *raw, bool *bad)
{
	cJSON *obj = cJSON_CreateObject(), *data = NULL, *sdata = NULL, *bdata = NULL;
	bool secret = strcmp(t->plural, "secrets") == 0;
	bool configmap = strcmp(t->plural, "configmaps") == 0;
	struct pb b = *raw;
	struct pb_field f;

	if (!obj)
		return NULL;
	cJSON_AddStringToObject(obj, "apiVersion", "v1");
	cJSON_AddStringToObject(obj, "kind", t->kind);
	while (pb_next(&b, &f, bad)) {
		if (f.wire == 2 && f.num == 1) {
			cJSON_DeleteItemFromObjectCaseSensitive(obj, "metadata");
			cJSON_AddItemToObject(obj, "metadata", object_meta(&f.sub, bad));
		} else if ((secret || configmap) && f.wire == 2 && f.num == 2) {
			if (!data)
				data = cJSON_AddObjectToObject(obj, "data");
			map_entry(data, &f.sub, secret, bad);
		} else if (secret && f.wire == 2 && f.num == 3) {
			add_string(obj, "type", &f.sub);
		} else if (secret && f.wire == 2 && f.num == 4) {
			if (!sdata)
				sdata = cJSON_AddObjectToObject(obj, "stringData");
			map_entry(sdata, &f.sub, false, bad);
		} else if (configmap && f.wire == 2 && f.num == 3) {
			if (!bdata)
				bdata = cJSON_AddObjectToObject(obj, "binaryData");
			map_entry(bdata, &f.sub, true, bad);
		} else if ((secret && f.num == 5) || (configmap && f.num == 4)) {
			if (f.wire == 0)
				cJSON_AddBoolToObject(obj, "immutable", f.varint != 0);
		}
		/* Namespace spec and status are the server's to set. */
	}
	if (!cJSON_GetObjectItemCaseSensitive(obj, "metadata"))
		cJSON_AddObjectToObject(obj, "metadata");
	return obj;
}

/* The raw object of the runtime.Unknown envelope after the "k8s\0" magic. */
static bool envelope(const char *body, size_t len, struct pb *raw, char *err, size_t errlen)
{
	struct pb b = {(const unsigned char *)body, (const unsigned char *)body + len};
	struct pb_field f;
	bool bad = false;

	if (len < 4 || memcmp(body, "k8s\0", 4) != 0) {
		snprintf(err, errlen, "the protobuf body lacks the \"k8s\\0\" prefix");
		return false;
	}
	b.p += 4;
	raw->p = NULL;
	while (pb_next(&b, &f, &bad))
		if (f.wire == 2 && f.num == 2)
			*raw = f.sub;
	if (bad || !raw->p) {
		snprintf(err, errlen, "malformed protobuf envelope");
		return false;
	}
	return true;
}

/* The strings of message M at field numbers 1..N named by NAMES. */
static cJSON *string_fields(const struct pb *m, const char *const *names, unsigned n, bool *bad)
{
	cJSON *o = cJSON_CreateObject();
	struct pb b = *m;
	struct pb_field f;

	while (o && pb_next(&b, &f, bad))
		if (f.wire == 2 && f.num >= 1 && f.num <= n && names[f.num - 1])
			add_string(o, names[f.num - 1], &f.sub);
	return o;
}

cJSON *simk_proto_decode_review(bool access, const char *body, size_t len, char *err, size_t errlen)
{
	static const char *const res[] = {"namespace", "verb",        "group", "version",
	                                  "resource",  "subresource", "name"};
	static const char *const nonres[] = {"path", "verb"};
	static const char *const rules[] = {"namespace"};
	struct pb raw, b;
	struct pb_field f, g;
	bool bad = false;
	cJSON *obj = cJSON_CreateObject(),
	      *spec = obj ? cJSON_AddObjectToObject(obj, "spec") : NULL;

	if (!spec || !envelope(body, len, &raw, err, errlen)) {
		if (!spec)
			snprintf(err, errlen, "out of memory");
		cJSON_Delete(obj);
		return NULL;
	}
	b = raw;
	while (pb_next(&b, &f, &bad)) {
		if (f.wire != 2 || f.num != 2)
			continue;
		if (!access) {
			cJSON_Delete(cJSON_DetachItemViaPointer(obj, spec));
			spec = string_fields(&f.sub, rules, 1, &bad);
			cJSON_AddItemToObject(obj, "spec", spec);
			continue;
		}
		struct pb s = f.sub;
		while (pb_next(&s, &g, &bad))
			if (g.wire == 2 && (g.num == 1 || g.num == 2))
				cJSON_AddItemToObject(
				        spec,
				        g.num == 1 ? "resourceAttributes" : "nonResourceAttributes",
				        string_fields(&g.sub, g.num == 1 ? res : nonres,
				                      g.num == 1 ? 7 : 2, &bad));
	}
	if (bad) {
		cJSON_Delete(obj);
		snprintf(err, errlen, "malformed protobuf %s",
		         access ? "SelfSubjectAccessReview" : "SelfSubjectRulesReview");
		return NULL;
	}
	return obj;
}

cJSON *simk_proto_decode(const struct simk_rtype *t, const char *body, size_t len, char *err,
                         size_t errlen)
{
	struct pb raw;
	bool bad = false;
	cJSON *obj;

	if (*t->group || strcmp(t->plural, "services") == 0) {
		snprintf(err, errlen, "protobuf bodies are not decoded for %s", t->plural);
		return NULL;
	}
	if (!envelope(body, len, &raw, err, errlen))
		return NULL;
	obj = core_object(t, &raw, &bad);
	if (bad) {
		cJSON_Delete(obj);
		snprintf(err, errlen, "malformed protobuf %s", t->kind);
		return NULL;
	}
	if (!obj)
		snprintf(err, errlen, "out of memory");
	return obj;
}
