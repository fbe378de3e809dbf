/* kube module internals shared by its source files (decoders, watch parser,
 * calls). Not part of the public interface. */
#ifndef PEERSCOPE_KUBE_INTERNAL_H
#define PEERSCOPE_KUBE_INTERNAL_H

#include <cjson/cJSON.h>
#include <stddef.h>

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

/* printf into ERR when ERR is not NULL; returns -1 for "return kube_fail(...)". */
int kube_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
