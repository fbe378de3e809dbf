/* consul module internals shared by its source files (decoders, encoders).
 * Not part of the public interface. */
#ifndef PEERSCOPE_CONSUL_INTERNAL_H
#define PEERSCOPE_CONSUL_INTERNAL_H

#include <cjson/cJSON.h>

/* Member KEY of OBJ, looked up exactly and then without regard to case
 * (Consul's own clients decode keys that way); NULL when OBJ is not an
 * object or has no such member. */
const cJSON *consul_json_get(const cJSON *obj, const char *key);

#endif
