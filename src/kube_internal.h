/* kube module internals shared by its source files (decoders, watch parser,
 * calls). Not part of the public interface. */
#ifndef PEERSCOPE_KUBE_INTERNAL_H
#define PEERSCOPE_KUBE_INTERNAL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "peerscope/codec.h"
#include "peerscope/kube.h"

/* Parses LEN bytes of JSON; NULL with a sentence in ERR naming WHAT and the
 * byte offset of the fault (or that the text is truncated or empty). */
cJSON *kube_json_parse(const char *json, size_t len, const char *what, char *err, size_t errlen);

/* Decodes an already parsed object of KIND into OUT (zeroed on failure). */
int kube_object_from_json(enum kube_kind kind, const cJSON *root, struct kube_object *out,
                          char *err, size_t errlen);
/* Decodes a parsed Status object into OUT. */
int kube_status_from_json(const cJSON *root, struct kube_status *out, char *err, size_t errlen);

/* The service-proxy route to SERVICE's scheme and PORT in NS. */
int kube_route_build(const char *api_url, const char *ns, const char *service, bool tls, int port,
                     struct kube_consul_route *out, char *errbuf, size_t errlen);

/* Whether K, a key as scanned, is NAME exactly (not escaped). */
static inline bool kube_key_is(const struct codec_text *k, const char *name)
{
	return !k->escaped && k->len == strlen(name) && !memcmp(k->p, name, k->len);
}

/* The JSON of a Helm release from RELEASE, the RLEN bytes of base64 of
 * (usually gzipped) JSON a release Secret's data.release holds once
 * Kubernetes' base64 is removed: its name, info, config and chart
 * (metadata and values alone), and its namespace and version when they come
 * before the text is cut (kube_helm_release.c). NULL with a sentence naming
 * the Secret NAME in ERR. */
cJSON *kube_helm_release_json(const char *release, size_t rlen, const char *name, char *err,
                              size_t errlen);

/* printf into ERR when ERR is not NULL; returns -1 for "return kube_fail(...)". */
int kube_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
