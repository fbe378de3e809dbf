/* consul module internals shared by its source files (decoders, encoders).
 * Not part of the public interface. */
#ifndef PEERSCOPE_CONSUL_INTERNAL_H
#define PEERSCOPE_CONSUL_INTERNAL_H

#include <cjson/cJSON.h>

/* Member KEY of OBJ, looked up exactly and then without regard to case
 * (Consul's own clients decode keys that way); NULL when OBJ is not an
 * object or has no such member. */
const cJSON *consul_json_get(const cJSON *obj, const char *key);

/* GET /v1/peerings decoded through a cJSON tree: what
 * consul_decode_peerings() (a scanner, consul_scan_peerings.c) gives for
 * every body whose keys each appear once. Kept for the tests that compare
 * the two. */
struct model_peering_list;
int consul_decode_peerings_tree(const char *json, size_t len, struct model_peering_list *out,
                                char *err, size_t errlen);

#endif
