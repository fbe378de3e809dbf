/* The token Secret helpers of the ops module (secret.c). */
#ifndef PEERSCOPE_OPS_SECRET_H
#define PEERSCOPE_OPS_SECRET_H

#include "ops_internal.h"

/* A token Secret as read: its identity and, when it has the key, the token
 * (secret: wiped by ops_secret_clear). */
struct ops_secret {
	bool exists;
	bool has_key;
	bool token_label; /* consul.hashicorp.com/peering-token: "true" */
	bool managed;     /* written by peerscope */
	bool deleting;
	char rv[128];
	char uid[64];
	char *value;
	size_t len;
};

void ops_secret_clear(struct ops_secret *s);
/* Reads Secret NAME of the side: 0 absent, 1 read, -1 with ERR. */
int ops_secret_read(const struct side *sd, const char *name, struct ops_secret *out,
                    struct http_error *err);
/* True when S holds exactly TOKEN (compared in constant time). */
bool ops_secret_same(const struct ops_secret *s, const char *token, size_t len);
/* The Secret peerscope creates on the dialing side: the token (NULL: data
 * shown as REDACTED, for a plan), the peering-token label and peerscope's,
 * and SOURCE ("cluster/ns/name", may be NULL) in an annotation. */
char *ops_secret_body(const char *ns, const char *name, const char *source, const char *token,
                      size_t len, bool pretty);
/* Merge patch bringing an existing Secret (at resourceVersion RV) to TOKEN,
 * adding the peering-token label and keeping its other labels. */
char *ops_secret_patch(const char *rv, const char *token, size_t len);
/* Writes the run's token into Secret NAME of the side: created when NOW
 * says it is absent, else patched at NOW's resourceVersion; a 409 reads it
 * again (a writer that put the same token there is fine): a patch decides
 * again once, a create fails (a Secret created since was not checked). NOW
 * is updated. 0, or -1 with ERR. */
int ops_secret_put(struct run *r, const struct side *sd, const char *name, const char *source,
                   struct ops_secret *now, struct http_error *err);

#endif
