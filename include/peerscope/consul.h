/* consul: the Consul HTTP API calls the dashboard uses, and their decoders.
 *
 * Three layers, each usable on its own:
 *   - decoders (consul_decode_*): pure functions from a JSON body to model
 *     structs. Keys are looked up exactly first, then case-insensitively;
 *     unknown keys are ignored; missing keys and null give empty values; a
 *     list may be [] or null; times may be null or Go's zero time. A body
 *     that is not JSON, or a key with the wrong type, gives an error naming
 *     the place ("peerings[3].StreamStatus.LastSend: not a time").
 *   - paths (consul_path, consul_request_get): the endpoint with its query
 *     string, built for this server: Enterprise-only parameters (partition)
 *     are only sent to a server known to be Enterprise. A poller puts these
 *     requests into its own http_multi with consul_http() and decodes the
 *     bodies itself.
 *   - calls (everything else): one blocking request through http_do(),
 *     decoded. 0 on success; -1 with err filled (cluster, method, URL, HTTP
 *     status, the server's text; HTTP_ERR_DECODE for a bad body).
 *
 * Peering tokens are secrets: consul_peering_generate_token() hands one to
 * the caller, who frees it with consul_secret_free(); the token decoder
 * reports whether an establishment secret is present, never its value.
 */
#ifndef PEERSCOPE_CONSUL_H
#define PEERSCOPE_CONSUL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peerscope/http.h"
#include "peerscope/model.h"

/* Endpoints (paths without the query string). */
#define CONSUL_PATH_AGENT_SELF      "/v1/agent/self"
#define CONSUL_PATH_AGENT_VERSION   "/v1/agent/version"
#define CONSUL_PATH_LEADER          "/v1/status/leader"
#define CONSUL_PATH_PEERINGS        "/v1/peerings"
#define CONSUL_PATH_PEERING         "/v1/peering/" /* + name */
#define CONSUL_PATH_PEERING_TOKEN   "/v1/peering/token"
#define CONSUL_PATH_PEERING_ESTAB   "/v1/peering/establish"
#define CONSUL_PATH_CONFIG          "/v1/config"          /* PUT; GET/DELETE + /kind[/name] */
#define CONSUL_PATH_HEALTH_SERVICE  "/v1/health/service/" /* + service */
#define CONSUL_PATH_UI_SERVICES     "/v1/internal/ui/services"
#define CONSUL_PATH_UI_EXPORTED     "/v1/internal/ui/exported-services"
#define CONSUL_PATH_EXPORTED        "/v1/exported-services"
#define CONSUL_PATH_IMPORTED        "/v1/imported-services"
#define CONSUL_PATH_ACL_TOKEN_SELF  "/v1/acl/token/self"
#define CONSUL_PATH_ACL_AUTHORIZE   "/v1/internal/acl/authorize"
#define CONSUL_PATH_AGENT_MEMBERS   "/v1/agent/members"
#define CONSUL_PATH_PARTITIONS      "/v1/partitions" /* Enterprise */
#define CONSUL_MESH_GATEWAY_SERVICE "mesh-gateway"
#define CONSUL_AUTHORIZE_MAX        64 /* checks per authorize call */

/* Config entry kinds. */
#define CONSUL_KIND_EXPORTED_SERVICES  "exported-services"
#define CONSUL_KIND_MESH               "mesh"
#define CONSUL_KIND_PROXY_DEFAULTS     "proxy-defaults"
#define CONSUL_KIND_SERVICE_DEFAULTS   "service-defaults"
#define CONSUL_KIND_SERVICE_INTENTIONS "service-intentions"

/* ------------------------------------------------------------------ client */

struct consul_options {
	struct http_options http; /* address, TLS, token, timeouts */
	/* Enterprise admin partition; sent only once the server is known to be
	 * Enterprise (consul_identity() or consul_client_set_enterprise()). */
	const char *partition;
	const char *datacenter; /* ?dc=; NULL: the agent's own */
};

struct consul_client;

struct consul_client *consul_client_new(const struct consul_options *opts, struct http_error *err);
void consul_client_free(struct consul_client *c);
/* The underlying HTTP client (owned by c), for http_multi_add(). */
struct http_client *consul_http(struct consul_client *c);
void consul_client_set_enterprise(struct consul_client *c, bool enterprise);
bool consul_client_enterprise(const struct consul_client *c);

/* ---------------------------------------------------------- blocking queries */

struct consul_query {
	uint64_t index; /* with wait_ms > 0 and index > 0: a blocking query */
	long wait_ms;
	const char *peer;   /* ?peer= (health, ui exported-services) */
	const char *filter; /* ?filter= (bexpr) */
	bool passing;       /* ?passing (health) */
	bool stale;         /* ?stale */
	/* ?partition= for this request instead of the client's; sent only to
	 * an Enterprise server, like the client's. */
	const char *partition;
};

/* What the response headers say about the read. */
struct consul_meta {
	uint64_t index;        /* X-Consul-Index; 0 when absent */
	bool has_known_leader; /* X-Consul-KnownLeader present */
	bool known_leader;
	uint64_t last_contact_ms;
	bool results_filtered;      /* X-Consul-Results-Filtered-By-ACLs: true */
	char default_acl_policy[8]; /* "allow", "deny" or "" */
};
void consul_meta_from_response(const struct http_response *resp, struct consul_meta *meta);

/* The index to send next after a response carrying got, when prev was sent:
 * 0 (start over, no blocking) if the index went backwards, else at least 1,
 * so that a blocking loop never turns into a busy loop. */
uint64_t consul_next_index(uint64_t prev, uint64_t got);

/* "300s" or "1500ms", for ?wait=. */
void consul_format_wait(long wait_ms, char *buf, size_t len);

/* endpoint (already escaped) + query string for this server: index/wait,
 * peer, filter, passing, stale, dc, and partition on Enterprise. q may be
 * NULL. malloc'd, NULL when out of memory. */
char *consul_path(const struct consul_client *c, const char *endpoint,
                  const struct consul_query *q);

/* The most a response of ENDPOINT (a path as above, without query) may
 * hold once decompressed, sized to what Consul sends there with room to
 * spare: 64 KiB for the leader and the version, 1 MiB for agent/self and
 * the ACL endpoints, 2 MiB for one config entry or peering, 8 MiB for the
 * peerings, a service's health, a list of config entries or the exported
 * and imported services, 16 MiB for the UI's service summary (every
 * service of the catalog), 8 MiB for anything else. The requests of this
 * module carry it (http_request.max_body). */
size_t consul_max_body(const char *endpoint);

/* A GET of endpoint with q as a request for http_multi_add(): the path from
 * consul_path() (returned in *path, for the caller to free once the request
 * has been added; the multi copies it), for a blocking query wait_ms so
 * that the timeout covers the wait, and the endpoint's consul_max_body().
 * 0, or -1 when out of memory. */
int consul_request_get(const struct consul_client *c, const char *endpoint,
                       const struct consul_query *q, struct http_request *req, char **path);

/* Consul's rule for peer names: a lower-case DNS label of at most 63
 * characters (^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$). Kubernetes accepts names
 * Consul refuses, so check before creating a peering resource. */
bool consul_peer_name_valid(const char *name);

/* ------------------------------------------------------------------ decoders */

/* Each returns 0, or -1 with a message naming the place at fault in err
 * (out is then cleared). json need not be NUL-terminated. */
int consul_decode_agent_self(const char *json, size_t len, struct model_cluster_identity *out,
                             char *err, size_t errlen);
/* /v1/agent/version; fills version, revision, build date and fips of out
 * and leaves the rest. */
int consul_decode_agent_version(const char *json, size_t len, struct model_cluster_identity *out,
                                char *err, size_t errlen);
int consul_decode_leader(const char *json, size_t len, char **out, char *err, size_t errlen);
int consul_decode_peering(const char *json, size_t len, struct model_peering *out, char *err,
                          size_t errlen);
int consul_decode_peerings(const char *json, size_t len, struct model_peering_list *out, char *err,
                           size_t errlen);

/* The stream times of a GET /v1/peerings body, read without decoding the
 * rest (src/consul_peering_times.c): each peering's StreamStatus
 * LastHeartbeat, LastReceive and LastSend, keys exactly so, and SHAPE, a
 * hash of every other byte. Two bodies of the same shape say the same but
 * for those times: the list consul_decode_peerings() made of the first,
 * with the second's times (consul_peerings_with_times()), is the list it
 * would make of the second. USABLE is false when a time is not read as the
 * decoder reads it (an escape, a bad time, a key twice): decode that body.
 * consul_peerings_times_read() returns 0, or -1 when out of memory; it does
 * not check the body's syntax, which a body of a decoded one's shape has.
 * T is kept from one read to the next: QUICK says the next body may be
 * read by its time keys alone, found where the last read found them (the
 * body has its shape and as many times), and not lexed. */
enum consul_stream_time {
	CONSUL_TIME_HEARTBEAT,
	CONSUL_TIME_RECEIVE,
	CONSUL_TIME_SEND
};
struct consul_peering_time {
	size_t peering; /* its index in the list */
	enum consul_stream_time which;
	int64_t ns; /* 0: "" */
};
struct consul_peerings_times {
	uint64_t shape;
	bool usable;
	bool quick;
	unsigned long lexed; /* bodies read by lexing them */
	struct consul_peering_time *v;
	size_t n, cap;
};
int consul_peerings_times_read(const char *json, size_t len, struct consul_peerings_times *t);
void consul_peerings_times_free(struct consul_peerings_times *t);
/* BASE with the times of T: OUT's entries borrow every string and list
 * of BASE's, so BASE must outlive OUT, which is freed with free(out->v)
 * (store_part_peerings_over() holds both). 0, or -1 (out of memory, T not
 * usable or naming a peering BASE has no stream status for). */
int consul_peerings_with_times(const struct model_peering_list *base,
                               const struct consul_peerings_times *t,
                               struct model_peering_list *out);

/* A peering token string (base64 of JSON). The establishment secret is
 * wiped from memory before returning; only has_secret says it was there. */
int consul_decode_peering_token(const char *token, struct model_token_summary *out, char *err,
                                size_t errlen);
int consul_decode_exported_services_entry(const char *json, size_t len,
                                          struct model_exported_services_entry *out, char *err,
                                          size_t errlen);
int consul_decode_mesh_entry(const char *json, size_t len, struct model_mesh_entry *out, char *err,
                             size_t errlen);
int consul_decode_proxy_defaults_entry(const char *json, size_t len,
                                       struct model_proxy_defaults_entry *out, char *err,
                                       size_t errlen);
int consul_decode_service_defaults_entry(const char *json, size_t len,
                                         struct model_service_defaults_entry *out, char *err,
                                         size_t errlen);
/* GET /v1/config/service-defaults: every entry. */
int consul_decode_service_defaults_list(const char *json, size_t len,
                                        struct model_service_defaults_entry **out, size_t *n,
                                        char *err, size_t errlen);
void consul_service_defaults_list_free(struct model_service_defaults_entry *v, size_t n);
/* GET /v1/agent/members: every server (Tags.role "consul") that has not
 * left, key its node name, value its version (Tags.build up to the ':'). */
int consul_decode_members(const char *json, size_t len, struct model_meta *servers, char *err,
                          size_t errlen);
/* GET /v1/partitions (Enterprise): the partitions' names, in order. */
int consul_decode_partitions(const char *json, size_t len, struct model_strv *names, char *err,
                             size_t errlen);
/* service-intentions: one entry, or GET /v1/config/service-intentions. */
int consul_decode_service_intentions_entry(const char *json, size_t len,
                                           struct model_service_intentions_entry *out, char *err,
                                           size_t errlen);
int consul_decode_service_intentions_list(const char *json, size_t len,
                                          struct model_service_intentions_entry **out, size_t *n,
                                          char *err, size_t errlen);
void consul_service_intentions_list_free(struct model_service_intentions_entry *v, size_t n);
int consul_decode_health_service(const char *json, size_t len, struct model_instance_list *out,
                                 char *err, size_t errlen);
int consul_decode_ui_services(const char *json, size_t len, struct model_service_summary_list *out,
                              char *err, size_t errlen);
/* consul_decode_ui_services() appending to OUT (zeroed, or a list this
 * decoder filled: its blocks take the new strings), the summaries that
 * name no partition named PARTITION (NULL or "": left empty), for one list
 * of several admin partitions. On failure OUT is as it was. */
int consul_decode_ui_services_into(const char *json, size_t len, const char *partition,
                                   struct model_service_summary_list *out, char *err,
                                   size_t errlen);
/* /v1/internal/ui/exported-services?peer=PEER: each service gets peers =
 * {PEER}. */
int consul_decode_ui_exported_services(const char *json, size_t len, const char *peer,
                                       struct model_exported_service_list *out, char *err,
                                       size_t errlen);
int consul_decode_exported_services(const char *json, size_t len,
                                    struct model_exported_service_list *out, char *err,
                                    size_t errlen);
int consul_decode_imported_services(const char *json, size_t len,
                                    struct model_imported_service_list *out, char *err,
                                    size_t errlen);
int consul_decode_acl_token(const char *json, size_t len, struct model_acl_token *out, char *err,
                            size_t errlen);
/* Sets checks[i].allow from the i-th answer; the answers must match the
 * checks in number and order. */
int consul_decode_authorize(const char *json, size_t len, struct model_acl_check *checks, size_t n,
                            char *err, size_t errlen);

/* ------------------------------------------------------------------ encoders */

/* JSON bodies for PUT /v1/config. base, when not NULL, is the entry as read
 * from the server: keys this build does not model are kept, the modelled
 * ones replaced. Empty partition/namespace keys are left out (CE). malloc'd,
 * NULL when out of memory or base is not a JSON object. */
/* The body of POST /v1/internal/acl/authorize for CHECKS[0..N-1]
 * ({Resource, Segment, Access} each); NULL when out of memory. */
char *consul_encode_authorize(const struct model_acl_check *checks, size_t n);
char *consul_encode_exported_services_entry(const struct model_exported_services_entry *e,
                                            const char *base);
char *consul_encode_mesh_entry(const struct model_mesh_entry *e, const char *base);
char *consul_encode_proxy_defaults_entry(const struct model_proxy_defaults_entry *e,
                                         const char *base);
char *consul_encode_service_defaults_entry(const struct model_service_defaults_entry *e,
                                           const char *base);

/* --------------------------------------------------------------------- calls */

/* agent/self (falling back to agent/version when the token lacks agent:read)
 * and status/leader; also records whether the server is Enterprise. */
int consul_identity(struct consul_client *c, struct model_cluster_identity *out,
                    struct http_error *err);
int consul_agent_self(struct consul_client *c, struct model_cluster_identity *out,
                      struct http_error *err);
int consul_agent_version(struct consul_client *c, struct model_cluster_identity *out,
                         struct http_error *err);
int consul_leader(struct consul_client *c, char **out, struct http_error *err);

int consul_peerings_list(struct consul_client *c, const struct consul_query *q,
                         struct model_peering_list *out, struct consul_meta *meta,
                         struct http_error *err);
/* A missing peering is an error with status 404: see consul_not_found(). */
int consul_peering_read(struct consul_client *c, const char *name, const struct consul_query *q,
                        struct model_peering *out, struct consul_meta *meta,
                        struct http_error *err);

struct consul_token_request {
	const char *peer_name;
	const struct model_meta *meta;                  /* NULL: none */
	const struct model_strv *server_external_addrs; /* NULL: none */
	/* Enterprise: the admin partition the token is for, the body's
	 * Partition (Consul's api.PeeringGenerateTokenRequest); NULL or "":
	 * the client's. Sent only to an Enterprise server. */
	const char *partition;
};
/* *token receives the peering token: a secret, for consul_secret_free(). */
int consul_peering_generate_token(struct consul_client *c, const struct consul_token_request *req,
                                  char **token, struct http_error *err);
/* PARTITION (Enterprise): the admin partition the dialing peering is made
 * in, the body's Partition; NULL or "": the client's. Sent only to an
 * Enterprise server. */
int consul_peering_establish(struct consul_client *c, const char *peer_name, const char *token,
                             const struct model_meta *meta, const char *partition,
                             struct http_error *err);
/* Idempotent: also succeeds for a missing or already deleting peering.
 * Q: only its partition is used (?partition=, Enterprise). */
int consul_peering_delete(struct consul_client *c, const char *name, const struct consul_query *q,
                          struct http_error *err);

/* The raw JSON of one entry (for consul_encode_*'s base), or a 404 error. */
int consul_config_get_raw(struct consul_client *c, const char *kind, const char *name,
                          const struct consul_query *q, char **json, struct consul_meta *meta,
                          struct http_error *err);
int consul_config_exported_services(struct consul_client *c, const struct consul_query *q,
                                    struct model_exported_services_entry *out,
                                    struct consul_meta *meta, struct http_error *err);
int consul_config_mesh(struct consul_client *c, const struct consul_query *q,
                       struct model_mesh_entry *out, struct consul_meta *meta,
                       struct http_error *err);
int consul_config_proxy_defaults(struct consul_client *c, const struct consul_query *q,
                                 struct model_proxy_defaults_entry *out, struct consul_meta *meta,
                                 struct http_error *err);
int consul_config_service_defaults(struct consul_client *c, const char *service,
                                   const struct consul_query *q,
                                   struct model_service_defaults_entry *out,
                                   struct consul_meta *meta, struct http_error *err);
int consul_config_service_defaults_list(struct consul_client *c, const struct consul_query *q,
                                        struct model_service_defaults_entry **out, size_t *n,
                                        struct consul_meta *meta, struct http_error *err);

#define CONSUL_NO_CAS UINT64_MAX
/* PUT an entry (JSON with "Kind"). cas: CONSUL_NO_CAS for a plain write, 0
 * to create only, otherwise the ModifyIndex the stored entry must have.
 * *applied tells whether the server wrote it (false: the CAS check failed).
 * Q (may be NULL): only its partition is used (?partition=, Enterprise):
 * the admin partition the entry is written in or deleted from. */
int consul_config_put(struct consul_client *c, const char *entry_json, uint64_t cas,
                      const struct consul_query *q, bool *applied, struct http_error *err);
int consul_config_delete(struct consul_client *c, const char *kind, const char *name, uint64_t cas,
                         const struct consul_query *q, bool *applied, struct http_error *err);

int consul_health_service(struct consul_client *c, const char *service,
                          const struct consul_query *q, struct model_instance_list *out,
                          struct consul_meta *meta, struct http_error *err);
int consul_ui_services(struct consul_client *c, const struct consul_query *q,
                       struct model_service_summary_list *out, struct consul_meta *meta,
                       struct http_error *err);
/* q->peer names the peer and is required. */
int consul_ui_exported_services(struct consul_client *c, const struct consul_query *q,
                                struct model_exported_service_list *out, struct consul_meta *meta,
                                struct http_error *err);
int consul_exported_services(struct consul_client *c, const struct consul_query *q,
                             struct model_exported_service_list *out, struct consul_meta *meta,
                             struct http_error *err);
int consul_imported_services(struct consul_client *c, const struct consul_query *q,
                             struct model_imported_service_list *out, struct consul_meta *meta,
                             struct http_error *err);
/* 401 "ACL support disabled" when the cluster runs without ACLs. */
int consul_acl_token_self(struct consul_client *c, struct model_acl_token *out,
                          struct http_error *err);
int consul_acl_authorize(struct consul_client *c, struct model_acl_check *checks, size_t n,
                         struct http_error *err);

/* The error is a 404 from the server (a missing peering or entry). */
bool consul_not_found(const struct http_error *err);
/* The error says ACLs are off (401 "ACL support disabled"). */
bool consul_acl_disabled(const struct http_error *err);
/* Wipe and free a secret string. */
void consul_secret_free(char *secret);

#endif
