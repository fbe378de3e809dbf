/* ops secret: the token Secret of a peering. Reading the token out of the
 * acceptor's Secret, and writing it into the dialer's cluster: created with
 * the peering-token label (the dialer's controller watches only labelled
 * Secrets) and peerscope's own label (unpeer deletes only what peerscope
 * wrote), or an existing Secret brought up to date under its
 * resourceVersion. The token is in memory only; bodies holding it are wiped.
 */
#include "autoconfig.h"

#include "ops_secret.h"

#include "peerscope/codec.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ops_secret_clear(struct ops_secret *s)
{
	if (s->value) {
		codec_wipe(s->value, s->len);
		free(s->value);
	}
	memset(s, 0, sizeof *s);
}

int ops_secret_read(const struct side *sd, const char *name, struct ops_secret *out,
                    struct http_error *err)
{
	char *json = NULL, why[256];
	size_t len = 0;
	struct kube_object o;
	int rc;

	memset(out, 0, sizeof *out);
	if (kube_get_raw(sd->c->kube, KUBE_SECRET, sd->c->ns, name, &json, &len, err) < 0) {
		if (!kube_not_found(err))
			return -1;
		http_error_clear(err);
		return 0;
	}
	rc = kube_object_decode(KUBE_SECRET, json, len, &o, why, sizeof why);
	if (rc == 0) {
		out->exists = true;
		snprintf(out->rv, sizeof out->rv, "%s", o.u.secret.meta.resource_version);
		snprintf(out->uid, sizeof out->uid, "%s",
		         o.u.secret.meta.uid ? o.u.secret.meta.uid : "");
		out->token_label = o.u.secret.token_label;
		out->managed = o.u.secret.managed;
		out->deleting = o.u.secret.meta.deleting_ns != 0;
		out->has_key = model_kube_secret_find(&o.u.secret, OPS_TOKEN_KEY) != NULL;
		kube_object_clear(&o);
		if (out->has_key && kube_secret_value(json, len, OPS_TOKEN_KEY, &out->value,
		                                      &out->len, why, sizeof why) < 0)
			rc = -1;
	}
	codec_wipe(json, len);
	free(json);
	if (rc < 0) {
		http_error_setf(err, HTTP_ERR_DECODE, "Secret %s/%s: %s", sd->c->ns, name, why);
		ops_secret_clear(out);
		return -1;
	}
	return 1;
}

bool ops_secret_same(const struct ops_secret *s, const char *token, size_t len)
{
	unsigned char diff = 0;

	if (!s->value || !token || s->len != len)
		return false;
	/* Constant time: nothing about the token leaks through timing. */
	for (size_t i = 0; i < len; i++)
		diff |= (unsigned char)(s->value[i] ^ token[i]);
	return diff == 0;
}

static cJSON *labels_of(bool managed)
{
	cJSON *l = cJSON_CreateObject();

	cJSON_AddStringToObject(l, MODEL_KUBE_TOKEN_LABEL, "true");
	if (managed)
		cJSON_AddStringToObject(l, OPS_MANAGED_LABEL, OPS_MANAGED_VALUE);
	return l;
}

/* TOKEN NULL: the data shown as REDACTED (a plan). */
static char *data_value(const char *token, size_t len)
{
	return token ? codec_base64_encode(token, len) : strdup("REDACTED");
}

char *ops_secret_body(const char *ns, const char *name, const char *source, const char *token,
                      size_t len, bool pretty)
{
	cJSON *s = cJSON_CreateObject(), *md, *data;
	char *b64 = data_value(token, len), *out = NULL;

	if (!s || !b64)
		goto out;
	cJSON_AddStringToObject(s, "apiVersion", "v1");
	cJSON_AddStringToObject(s, "kind", "Secret");
	md = cJSON_AddObjectToObject(s, "metadata");
	cJSON_AddStringToObject(md, "name", name);
	cJSON_AddStringToObject(md, "namespace", ns);
	cJSON_AddItemToObject(md, "labels", labels_of(true));
	if (source && *source)
		cJSON_AddStringToObject(cJSON_AddObjectToObject(md, "annotations"),
		                        OPS_COPIED_ANNOTATION, source);
	cJSON_AddStringToObject(s, "type", "Opaque");
	data = cJSON_AddObjectToObject(s, "data");
	cJSON_AddStringToObject(data, OPS_TOKEN_KEY, b64);
	out = pretty ? cJSON_Print(s) : cJSON_PrintUnformatted(s);
out:
	codec_wipe_free(b64);
	/* The tree holds the token's base64 too: wipe its strings. */
	if (s && token) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(s, "data"),
		                                            OPS_TOKEN_KEY);
		if (cJSON_IsString(v))
			codec_wipe(v->valuestring, strlen(v->valuestring));
	}
	cJSON_Delete(s);
	return out;
}

char *ops_secret_patch(const char *rv, const char *token, size_t len)
{
	cJSON *p = cJSON_CreateObject(), *md;
	char *b64 = data_value(token, len), *out = NULL;

	if (!p || !b64)
		goto out;
	md = cJSON_AddObjectToObject(p, "metadata");
	/* Applies only to the version just read: a concurrent change is a 409. */
	if (rv && *rv)
		cJSON_AddStringToObject(md, "resourceVersion", rv);
	cJSON_AddItemToObject(md, "labels", labels_of(false));
	cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "data"), OPS_TOKEN_KEY, b64);
	out = cJSON_PrintUnformatted(p);
out:
	codec_wipe_free(b64);
	if (p && token) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(p, "data"),
		                                            OPS_TOKEN_KEY);
		if (cJSON_IsString(v))
			codec_wipe(v->valuestring, strlen(v->valuestring));
	}
	cJSON_Delete(p);
	return out;
}

int ops_secret_put(struct run *r, const struct side *sd, const char *name, const char *source,
                   struct ops_secret *now, struct http_error *err)
{
	bool created;
	char *body;
	int rc;

	for (int attempt = 0; attempt < 2; attempt++) {
		bool creating = !now->exists;

		if (creating) {
			body = ops_secret_body(sd->c->ns, name, source, r->token, r->token_len,
			                       false);
			if (!body) {
				http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
				return -1;
			}
			rc = ops_kube_create(r, sd, KUBE_SECRET, name, body, &created, err);
		} else {
			body = ops_secret_patch(now->rv, r->token, r->token_len);
			if (!body) {
				http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
				return -1;
			}
			rc = ops_kube_patch(r, sd, KUBE_SECRET, name, body, err);
			created = true;
		}
		codec_wipe_free(body);
		bool conflict = rc < 0 && err->kind == HTTP_ERR_STATUS && err->status == 409;
		if (rc == 0 && created)
			return 0;
		if (rc < 0 && !conflict)
			return -1;
		/* Created meanwhile (409 on create, or "exists" from the create
		 * helper), or changed meanwhile (409 on the patch): read it again;
		 * the same token is fine (a retry after a lost answer). */
		ops_secret_clear(now);
		if (ops_secret_read(sd, name, now, err) < 0)
			return -1;
		if (ops_secret_same(now, r->token, r->token_len))
			return 0;
		/* A Secret created since the check was never vetted (who reads
		 * it): it is not replaced. */
		if (creating) {
			http_error_setf(err, HTTP_ERR_STATUS,
			                "Secret %s/%s was created by another writer since it was "
			                "checked: run the operation again",
			                sd->c->ns, name);
			return -1;
		}
	}
	http_error_setf(err, HTTP_ERR_STATUS,
	                "Secret %s/%s kept changing while it was written: another writer is "
	                "at work",
	                sd->c->ns, name);
	return -1;
}
