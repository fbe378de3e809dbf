/* model: the plain structs everything else passes around.
 *
 * Ownership is always visible: a struct owns every string and array it points
 * to, and the matching model_*_clear() frees them and zeroes the struct (safe
 * on a zeroed struct); model_*_list_free() does the same for a list and its
 * elements. Nothing is reference-counted or shared between structs. Strings
 * are UTF-8 and never NULL after decoding (absent keys become ""), so
 * printing code need not check.
 *
 * Times are nanoseconds since the Unix epoch in an int64_t; 0 means "not
 * set" (JSON null, a missing key, or Go's zero time 0001-01-01T00:00:00Z).
 */
#ifndef PEERSCOPE_MODEL_H
#define PEERSCOPE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ============================================================ shared pieces */

/* A list of strings. */
struct model_strv {
	char **v;
	size_t n;
	bool packed; /* V and its strings are one block: model_strv_pack() */
};

/* Text put together piece by piece, in one buffer that doubles as it
 * fills. NOMEM once an allocation failed: nothing more is put, and the
 * caller frees S and reports it. S is NULL until something is put. */
struct model_text {
	char *s;
	size_t n, cap;
	bool nomem;
};
void model_text_put(struct model_text *t, const char *s);

/* Memory handed out in large blocks and freed all at once: the strings of
 * a list of thousands of items in a few allocations instead of thousands. */
struct model_blocks;
/* N bytes aligned to ALIGN (a power of two up to that of any type; 1 for
 * text) from *B, which grows by a block when full (*B NULL: none yet).
 * NULL when out of memory. */
void *model_blocks_alloc(struct model_blocks **b, size_t n, size_t align);
void model_blocks_free(struct model_blocks *b); /* every block; NULL is fine */

/* A string map (Meta, labels) in the order received. */
struct model_kv {
	char *key;
	char *value;
};
struct model_meta {
	struct model_kv *v;
	size_t n;
};

void model_strv_clear(struct model_strv *sv);
/* Append a copy of s; 0 on success, -1 when out of memory. */
int model_strv_push(struct model_strv *sv, const char *s);
/* Makes *SV the N strings of TEXT, LEN bytes of NUL-terminated strings one
 * after the other, in one block with their pointers: a list of hundreds
 * in one allocation (and one free) rather than one each. What *SV held is
 * freed. 0 on success, -1 when out of memory (*SV empty). */
int model_strv_pack(struct model_strv *sv, const char *text, size_t len, size_t n);
bool model_strv_contains(const struct model_strv *sv, const char *s);
/* Whether two texts say the same: NULL is the same as "", which the
 * decoders leave alike for a field an answer did not carry. Lists and
 * maps: the same texts in the same order. */
bool model_text_same(const char *a, const char *b);
bool model_strv_same(const struct model_strv *a, const struct model_strv *b);
bool model_meta_same(const struct model_meta *a, const struct model_meta *b);
void model_meta_clear(struct model_meta *m);
int model_meta_set(struct model_meta *m, const char *key, const char *value);
/* Value for key, or NULL. */
const char *model_meta_get(const struct model_meta *m, const char *key);

/* Parse an RFC 3339 time ("2024-05-01T10:00:00.123456789Z", "+02:00"
 * offsets) into *out_ns. Go's zero time yields 0. Returns 0, or -1 when the
 * text is not a valid time. */
int model_time_parse(const char *text, int64_t *out_ns);
/* Format as "2024-05-01T10:00:00Z" (UTC, seconds); "" for 0. Returns buf. */
const char *model_time_format(int64_t ns, char *buf, size_t len);
/* An age of MS ms >= 0 as "3s", "4m", "2h", "5d" (the unit below the next
 * one); NONE for a negative age. Returns buf. */
const char *model_age_format(int64_t ms, const char *none, char *buf, size_t len);
/* The widest of those texts for an age under 100 days ("59s", "23h"). */
#define MODEL_AGE_WIDTH 3
/* In how many ms the text model_age_format() gives for an age of MS changes
 * as the age grows (1 to 86,400,000); -1 for a negative age. */
int64_t model_age_next_ms(int64_t ms);

/* ========================================================= cluster identity */

/* Who a Consul endpoint is: /v1/agent/self, /v1/agent/version and
 * /v1/status/leader together. Fields unknown to the caller stay "". */
struct model_cluster_identity {
	char *datacenter;
	char *primary_datacenter;
	char *node_name;
	char *node_id;
	char *partition; /* "" on CE */
	char *version;   /* "1.17.3", with metadata such as "+ent" when present */
	char *revision;
	int64_t build_date_ns;
	bool server;
	bool enterprise; /* version metadata says "ent" */
	bool fips;
	char *leader; /* "10.0.0.5:8300"; "" when the cluster has no leader */
};
void model_cluster_identity_clear(struct model_cluster_identity *id);
/* Whether A and B say the same, field by field (src/model_same.c; the
 * same for the other payloads asked for every identity interval). */
bool model_cluster_identity_same(const struct model_cluster_identity *a,
                                 const struct model_cluster_identity *b);

/* ================================================================== peering */

enum model_peering_state {
	MODEL_PEERING_UNDEFINED = 0, /* unset or a value this build does not know */
	MODEL_PEERING_PENDING,       /* also Consul 1.13's "INITIAL" */
	MODEL_PEERING_ESTABLISHING,
	MODEL_PEERING_ACTIVE,
	MODEL_PEERING_FAILING,
	MODEL_PEERING_DELETING,
	MODEL_PEERING_TERMINATED,
};
/* "PENDING", ...; "UNDEFINED" for MODEL_PEERING_UNDEFINED. */
const char *model_peering_state_name(enum model_peering_state s);
/* Case-insensitive; unknown text gives MODEL_PEERING_UNDEFINED. */
enum model_peering_state model_peering_state_parse(const char *text);

struct model_locality {
	char *region;
	char *zone;
};

struct model_peering_remote {
	char *partition;
	char *datacenter;
	bool has_locality;
	struct model_locality locality;
};

/* Computed on read by the leader; not raft data. */
struct model_stream_status {
	struct model_strv imported_services;
	struct model_strv exported_services;
	int64_t last_heartbeat_ns;
	int64_t last_receive_ns;
	int64_t last_send_ns;
};

struct model_peering {
	char *id;
	char *name; /* the local alias of the remote peer */
	char *partition;
	int64_t deleted_at_ns;
	struct model_meta meta;
	enum model_peering_state state;
	char *state_text; /* as the server sent it */
	char *peer_id;
	struct model_strv peer_ca_pems;
	char *peer_server_name;
	struct model_strv peer_server_addresses;
	bool has_stream_status;
	struct model_stream_status stream;
	bool has_remote;
	struct model_peering_remote remote;
	uint64_t create_index;
	uint64_t modify_index;
	/* Consul 1.13 sent counts instead of StreamStatus and Remote. */
	bool has_counts;
	uint64_t imported_service_count;
	uint64_t exported_service_count;
};

struct model_peering_list {
	struct model_peering *v;
	size_t n;
	/* Lists of the same nonzero shape differ at most in their streams'
	 * times, not in whether each is set: a list gets its own once a
	 * store part holds it (store_part_peerings()), and a copy of it with
	 * an answer's new times keeps it (consul_peerings_with_times()).
	 * 0: not known, compare the fields. */
	uint64_t shape;
};

void model_peering_clear(struct model_peering *p);
void model_peering_list_free(struct model_peering_list *l);
/* Deep copy; 0 or -1 when out of memory (dst is then cleared). */
int model_peering_copy(struct model_peering *dst, const struct model_peering *src);
/* A and B say the same but for the stream's last heartbeat, receive and
 * send, which move on every answer of a live peering: every other field,
 * in order (NULL lists are empty ones); at once when they have the same
 * nonzero shape. */
bool model_peering_list_same_but_times(const struct model_peering_list *a,
                                       const struct model_peering_list *b);
/* Number of imported/exported services, from the lists or the 1.13 counts. */
size_t model_peering_imported_count(const struct model_peering *p);
size_t model_peering_exported_count(const struct model_peering *p);

/* ======================================================== peering token */

/* Where a peering token sends the dialer. */
enum model_token_target {
	MODEL_TOKEN_TARGET_UNKNOWN = 0,
	MODEL_TOKEN_TARGET_SERVERS,  /* Consul servers' gRPC (8502 and friends) */
	MODEL_TOKEN_TARGET_GATEWAYS, /* mesh gateways (443, 8443, ...) */
};

/* A decoded peering token without its establishment secret: the secret's
 * value is never copied out of the decoder, only whether it was present. */
struct model_token_summary {
	struct model_strv ca_pems;
	struct model_strv server_addresses;
	struct model_strv manual_server_addresses;
	char *server_name;
	char *peer_id;
	char *remote_partition;
	char *remote_datacenter;
	bool has_locality;
	struct model_locality locality;
	bool has_secret;
	enum model_token_target target;
};
void model_token_summary_clear(struct model_token_summary *t);
/* Guess the target from the address ports: 8502/8503 (or any port in
 * 8500..8503) means servers, anything else gateways. */
enum model_token_target model_token_target_guess(const struct model_strv *addresses);
const char *model_token_target_name(enum model_token_target t);

/* ============================================================== ACL token */

struct model_acl_link {
	char *id;
	char *name;
};

/* /v1/acl/token/self without the SecretID. */
struct model_acl_token {
	char *accessor_id;
	char *description;
	struct model_acl_link *policies;
	size_t npolicies;
	struct model_acl_link *roles;
	size_t nroles;
	struct model_strv service_identities; /* service names */
	struct model_strv node_identities;    /* node names */
	bool local;
	char *auth_method;
	int64_t expiration_time_ns;
	int64_t create_time_ns;
	uint64_t create_index;
	uint64_t modify_index;
};
void model_acl_token_clear(struct model_acl_token *t);

/* One check for /v1/internal/acl/authorize. */
struct model_acl_check {
	char *resource; /* "peering", "mesh", "service", ... */
	char *segment;  /* service or node name; "" for none */
	char *access;   /* "read" or "write" */
	bool allow;     /* filled from the response */
};
void model_acl_check_clear(struct model_acl_check *c);

/* ====================================================== service instances */

enum model_health {
	MODEL_HEALTH_UNKNOWN = 0, /* no checks */
	MODEL_HEALTH_PASSING,
	MODEL_HEALTH_WARNING,
	MODEL_HEALTH_CRITICAL,
	MODEL_HEALTH_MAINTENANCE,
};
const char *model_health_name(enum model_health h);
/* "passing", ... (case-insensitive); unknown text gives UNKNOWN. */
enum model_health model_health_parse(const char *text);

struct model_address {
	char *address;
	int port; /* 0 when absent */
};

/* One entry of /v1/health/service/<name>: a mesh gateway instance, or an
 * instance of a service imported from a peer. */
struct model_service_instance {
	char *node;
	char *node_address;
	char *datacenter;
	char *service_id; /* the pod name for consul-k8s registrations */
	char *service_name;
	char *kind; /* "mesh-gateway", "connect-proxy", "" for a plain service */
	char *address;
	int port;
	struct model_address lan; /* Service.TaggedAddresses.lan, "" if absent */
	struct model_address wan;
	char *peer_name; /* "" for local instances */
	char *partition; /* Service.Partition (Enterprise); "" on CE */
	struct model_strv tags;
	struct model_meta meta; /* pod-name, k8s-namespace, ... */
	/* Service.Proxy.Config: each key with its value as text (a string as
	 * it is, anything else as compact JSON). */
	struct model_meta proxy_config;
	enum model_health health; /* worst of the checks */
	unsigned checks_passing;
	unsigned checks_warning;
	unsigned checks_critical;
};
struct model_instance_list {
	struct model_service_instance *v;
	size_t n;
};
void model_service_instance_clear(struct model_service_instance *s);
void model_instance_list_free(struct model_instance_list *l);

/* ========================================================== config entries */

/* MeshGateway.Mode. */
enum model_mgw_mode {
	MODEL_MGW_DEFAULT = 0, /* "" or absent: inherit */
	MODEL_MGW_NONE,
	MODEL_MGW_LOCAL,
	MODEL_MGW_REMOTE,
	MODEL_MGW_INVALID, /* a value this build does not know */
};
/* "", "none", "local", "remote"; "invalid" for MODEL_MGW_INVALID. */
const char *model_mgw_mode_name(enum model_mgw_mode m);
enum model_mgw_mode model_mgw_mode_parse(const char *text);

/* Keys every config entry carries. */
struct model_entry_head {
	char *kind;
	char *name;
	char *partition; /* ENT; "" on CE */
	char *ns;        /* ENT Namespace; "" on CE */
	struct model_meta meta;
	uint64_t create_index;
	uint64_t modify_index;
};
void model_entry_head_clear(struct model_entry_head *h);

struct model_export_consumer {
	char *peer;
	char *partition;      /* ENT */
	char *sameness_group; /* ENT */
};

void model_export_consumer_clear(struct model_export_consumer *c);

struct model_export_service {
	char *name; /* "*" exports all services */
	char *ns;
	struct model_export_consumer *consumers;
	size_t nconsumers;
	/* Not a key of the entry: the partition of the entry that lists the
	 * service, set when the entries of several admin partitions are read
	 * into one; NULL or "" otherwise. */
	char *partition;
};
void model_export_service_clear(struct model_export_service *s);

/* exported-services (name "default" on CE). */
struct model_exported_services_entry {
	struct model_entry_head head;
	struct model_export_service *services;
	size_t nservices;
};
void model_exported_services_entry_clear(struct model_exported_services_entry *e);

/* mesh (name "mesh"). */
struct model_mesh_entry {
	struct model_entry_head head;
	bool peer_through_mesh_gateways;
	bool mesh_destinations_only;
	bool allow_enabling_permissive_mtls;
};
void model_mesh_entry_clear(struct model_mesh_entry *e);

/* proxy-defaults (name "global"). */
struct model_proxy_defaults_entry {
	struct model_entry_head head;
	enum model_mgw_mode mgw_mode;
	char *protocol; /* Config.protocol, "" if unset */
};
void model_proxy_defaults_entry_clear(struct model_proxy_defaults_entry *e);

struct model_upstream_override {
	char *name;
	char *peer;
	char *ns;
	char *partition;
	enum model_mgw_mode mgw_mode;
};
void model_upstream_override_clear(struct model_upstream_override *u);

/* service-defaults for one service. */
struct model_service_defaults_entry {
	struct model_entry_head head;
	char *protocol;
	enum model_mgw_mode mgw_mode;
	struct model_upstream_override *overrides;
	size_t noverrides;
	bool has_upstream_defaults;
	enum model_mgw_mode upstream_defaults_mgw_mode;
};
void model_service_defaults_entry_clear(struct model_service_defaults_entry *e);

/* service-intentions: who may call the destination (the entry's name). */
enum model_intention_action {
	MODEL_INTENTION_L7 = 0, /* no Action: L7 Permissions decide */
	MODEL_INTENTION_ALLOW,
	MODEL_INTENTION_DENY,
};
/* "allow", "deny"; "permissions" for MODEL_INTENTION_L7. */
const char *model_intention_action_name(enum model_intention_action a);

struct model_intention_source {
	char *name; /* a service or "*" */
	char *peer; /* "" for a local source */
	char *ns;
	char *partition;
	char *sameness_group;
	enum model_intention_action action;
	size_t npermissions; /* L7 permissions, not kept */
	char *description;
};
void model_intention_source_clear(struct model_intention_source *s);

struct model_service_intentions_entry {
	struct model_entry_head head; /* name: the destination, or "*" */
	struct model_intention_source *sources;
	size_t nsources;
};
void model_service_intentions_entry_clear(struct model_service_intentions_entry *e);

/* ======================================================= exports, imports */

/* One exported service with its consumers resolved: from /v1/exported-services
 * (Consul 1.17+) or, for one peer, /v1/internal/ui/exported-services. */
struct model_exported_service {
	char *service;
	char *partition;
	char *ns;
	struct model_strv peers;
	struct model_strv partitions;
};
struct model_exported_service_list {
	struct model_exported_service *v;
	size_t n;
};
void model_exported_service_clear(struct model_exported_service *s);
void model_exported_service_list_free(struct model_exported_service_list *l);

/* One service summary from /v1/internal/ui/services: local services, and
 * imported ones with peer_name set. */
struct model_service_summary {
	char *name;
	char *kind;
	char *datacenter;
	char *peer_name; /* "" for a local service */
	char *partition;
	char *ns;
	/* Tags: checked, not kept (consul_scan.c). */
	unsigned instance_count;
	unsigned checks_passing;
	unsigned checks_warning;
	unsigned checks_critical;
	bool connected_with_proxy;
	bool connected_with_gateway;
};
struct model_service_summary_list {
	struct model_service_summary *v;
	size_t n;
	/* NULL, or the blocks that hold every string of v (and the tags'
	 * arrays): then they are freed with the list, never one by one, and
	 * model_service_summary_clear() must not be called on an element. */
	struct model_blocks *blocks;
};
void model_service_summary_clear(struct model_service_summary *s);
void model_service_summary_list_free(struct model_service_summary_list *l);

/* One service received from a peer: /v1/imported-services on the newest
 * servers, or a summary with a peer_name. */
struct model_imported_service {
	char *service;
	char *partition;
	char *ns;
	char *source_peer;
	char *source_partition;
};
struct model_imported_service_list {
	struct model_imported_service *v;
	size_t n;
};
void model_imported_service_clear(struct model_imported_service *s);
void model_imported_service_list_free(struct model_imported_service_list *l);

/* ============================================================ source status */

/* How fresh one source of data is (one endpoint, watch or poll loop), kept
 * by its poller and shown when it goes stale. */
enum model_source_state {
	MODEL_SOURCE_UNKNOWN = 0, /* not fetched yet */
	MODEL_SOURCE_OK,
	MODEL_SOURCE_STALE,       /* data kept from an earlier fetch; the last one failed */
	MODEL_SOURCE_ERROR,       /* no data at all */
	MODEL_SOURCE_FORBIDDEN,   /* the token may not read it: 401/403 */
	MODEL_SOURCE_UNSUPPORTED, /* the server lacks the endpoint (404/405) */
};
const char *model_source_state_name(enum model_source_state s);

struct model_source_status {
	enum model_source_state state;
	int64_t last_ok_ns;      /* end of the last successful fetch */
	int64_t last_attempt_ns; /* end of the last fetch, good or bad */
	uint64_t index;          /* X-Consul-Index or resourceVersion as a number */
	long http_status;        /* of the last fetch, 0 for no response */
	unsigned failures;       /* consecutive */
	char *last_error;        /* "" when the last fetch succeeded; no secrets */
};
void model_source_status_clear(struct model_source_status *s);
/* Deep copy; 0 or -1 when out of memory. */
int model_source_status_copy(struct model_source_status *dst,
                             const struct model_source_status *src);

/* ========================================================= Kubernetes side */

/* What the kube module decodes from a cluster's Kubernetes API: the two
 * peering custom resources, the config-entry custom resources peering needs,
 * and token Secrets by name and keys only (token bytes never enter the
 * model). Same rules as above: strings are never NULL after decoding, times
 * are nanoseconds, model_kube_*_clear() frees and zeroes. */

/* A condition's status as Kubernetes spells it; UNSET when absent. */
enum model_cond {
	MODEL_COND_UNSET = 0,
	MODEL_COND_TRUE,
	MODEL_COND_FALSE,
	MODEL_COND_UNKNOWN,
};
/* "True", "False", "Unknown"; "" for UNSET. */
const char *model_cond_name(enum model_cond c);

/* The Synced condition consul-k8s writes on its custom resources. */
struct model_kube_synced {
	enum model_cond status;
	char *reason;  /* when False: consulAgentError, ConsulAgentError, ... */
	char *message; /* when False: the controller's error text */
	int64_t last_transition_ns;
};

/* The parts of metadata the dashboard uses. */
struct model_kube_meta {
	char *name;
	char *ns;
	char *uid;
	char *resource_version; /* opaque: compare for equality only */
	int64_t generation;
	int64_t created_ns;
	int64_t deleting_ns;   /* deletionTimestamp: Terminating when set */
	bool has_finalizer;    /* finalizers.consul.hashicorp.com */
	char *peering_version; /* consul.hashicorp.com/peering-version, raw */
};
void model_kube_meta_clear(struct model_kube_meta *m);

#define MODEL_KUBE_TOKEN_LABEL        "consul.hashicorp.com/peering-token"
#define MODEL_KUBE_VERSION_ANNOTATION "consul.hashicorp.com/peering-version"
/* The label peerscope puts on the token Secrets it writes. */
#define MODEL_KUBE_MANAGED_LABEL      "app.kubernetes.io/managed-by"
#define MODEL_KUBE_MANAGED_VALUE      "peerscope"

/* spec.peer.secret or status.secret of a peering CR. */
struct model_kube_secret_ref {
	char *name; /* "" in status: no token Secret yet */
	char *key;
	char *backend;
	char *resource_version; /* status of a dialer: the Secret version it used */
};

enum model_peering_role {
	MODEL_PEERING_ACCEPTOR = 0,
	MODEL_PEERING_DIALER,
};

/* A PeeringAcceptor or PeeringDialer (one shape); metadata.name is the
 * Consul peer name. */
struct model_kube_peering {
	enum model_peering_role role;
	struct model_kube_meta meta;
	struct model_kube_secret_ref spec_secret;
	bool has_status;
	struct model_kube_secret_ref status_secret;
	bool has_latest_version;
	uint64_t latest_version; /* status.latestPeeringVersion */
	struct model_kube_synced synced;
	int64_t last_synced_ns;
	/* consul-k8s before 0.47: status.reconcileError{error,message} and
	 * lastReconcileTime (kept in last_synced_ns) instead of conditions. */
	bool legacy_status;
	bool legacy_error;
	char *legacy_message;
};
void model_kube_peering_clear(struct model_kube_peering *p);

/* One key of a Secret's data: its name and decoded size, never its value. */
struct model_kube_secret_key {
	char *key;
	size_t size;
};

struct model_kube_secret {
	struct model_kube_meta meta;
	char *type;
	bool token_label; /* consul.hashicorp.com/peering-token: "true" */
	bool managed;     /* app.kubernetes.io/managed-by: peerscope */
	struct model_kube_secret_key *keys;
	size_t nkeys;
};
void model_kube_secret_clear(struct model_kube_secret *s);
/* The key named KEY, or NULL. */
const struct model_kube_secret_key *model_kube_secret_find(const struct model_kube_secret *s,
                                                           const char *key);

/* Metadata and Synced status of a config-entry custom resource. */
struct model_kube_entry_head {
	struct model_kube_meta meta;
	struct model_kube_synced synced;
	int64_t last_synced_ns;
};

struct model_kube_mesh {
	struct model_kube_entry_head head;
	bool peer_through_mesh_gateways; /* spec.peering.peerThroughMeshGateways */
};
void model_kube_mesh_clear(struct model_kube_mesh *m);

/* spec.services reuses the Consul entry's shape. */
struct model_kube_exported_services {
	struct model_kube_entry_head head;
	struct model_export_service *services;
	size_t nservices;
};
void model_kube_exported_services_clear(struct model_kube_exported_services *e);

struct model_kube_proxy_defaults {
	struct model_kube_entry_head head;
	enum model_mgw_mode mgw_mode; /* spec.meshGateway.mode */
};
void model_kube_proxy_defaults_clear(struct model_kube_proxy_defaults *p);

struct model_kube_service_defaults {
	struct model_kube_entry_head head;
	char *protocol;
	enum model_mgw_mode mgw_mode;
	bool has_upstream_defaults;
	enum model_mgw_mode upstream_defaults_mgw_mode;
	struct model_upstream_override *overrides; /* spec.upstreamConfig.overrides */
	size_t noverrides;
};
void model_kube_service_defaults_clear(struct model_kube_service_defaults *s);

/* A ServiceIntentions CR: spec.destination and spec.sources (the Consul
 * entry's shape, camelCase). */
struct model_kube_service_intentions {
	struct model_kube_entry_head head;
	char *destination; /* spec.destination.name */
	char *destination_ns;
	struct model_intention_source *sources;
	size_t nsources;
};
void model_kube_service_intentions_clear(struct model_kube_service_intentions *s);
/* A Deployment (apps/v1) as far as the checks read one: the connect-injector,
 * the pod of the consul-k8s controllers (doc/api-contract.md §8.11). Counts
 * Kubernetes leaves out when they are 0 (omitempty) are 0 here. */
struct model_kube_deployment {
	struct model_kube_meta meta;
	int64_t replicas;            /* spec.replicas (absent: 1, the API server's default) */
	int64_t observed_generation; /* status.observedGeneration */
	int64_t status_replicas;     /* status.replicas: pods of its ReplicaSets */
	int64_t updated;             /* status.updatedReplicas */
	int64_t ready;               /* status.readyReplicas */
	int64_t available;           /* status.availableReplicas */
	int64_t unavailable;         /* status.unavailableReplicas */
	/* The Available condition: UNSET when the controller wrote none yet. */
	enum model_cond available_status;
	char *available_reason;  /* "MinimumReplicasUnavailable" */
	char *available_message; /* "Deployment does not have minimum availability." */
	char *image;             /* the first container's image, "" when none */
};
void model_kube_deployment_clear(struct model_kube_deployment *d);

/* The Helm values that decide whether peering can work (doc/api-contract.md §8.10), read from
 * the release Secret Helm keeps (sh.helm.release.v1.<release>.v<revision>):
 * the user's values over the chart's defaults. */
struct model_kube_helm {
	char *release;
	char *ns;
	int revision;
	char *status;                    /* "deployed", "failed", ... */
	char *chart_version;             /* consul-k8s chart version */
	char *app_version;               /* Consul version the chart ships */
	char *image;                     /* global.image; "" when the chart default is used */
	char *datacenter;                /* global.datacenter */
	bool peering_enabled;            /* global.peering.enabled */
	bool tls_enabled;                /* global.tls.enabled */
	bool tls_https_only;             /* global.tls.httpsOnly */
	bool mesh_gateway_enabled;       /* meshGateway.enabled */
	bool connect_inject_enabled;     /* connectInject.enabled */
	bool manage_system_acls;         /* global.acls.manageSystemACLs */
	int mesh_gateway_replicas;       /* meshGateway.replicas */
	char *mesh_gateway_service_type; /* meshGateway.service.type */
	bool admin_partitions_enabled;   /* global.adminPartitions.enabled (Enterprise) */
	char *admin_partition_name;      /* global.adminPartitions.name */
	bool consul_namespaces_enabled;  /* global.enableConsulNamespaces (Enterprise) */
};
void model_kube_helm_clear(struct model_kube_helm *h);
bool model_kube_helm_same(const struct model_kube_helm *a, const struct model_kube_helm *b);

/* ========================================================= prerequisites */

/* What the prerequisites checks need beyond the rest of a snapshot, read
 * rarely by the pollers (src/poller_checks.c). A question a server refused
 * is an answer too: its error says why, never a secret. */

/* One ACL token and what Consul says it may do. */
struct model_acl_principal {
	char *who;    /* "peerscope's token" */
	bool gateway; /* the mesh gateways' token */
	bool has_token;
	struct model_acl_token token;   /* GET /v1/acl/token/self, when has_token */
	char *error;                    /* why the token or its answers are missing; NULL */
	struct model_acl_check *checks; /* POST /v1/internal/acl/authorize answers */
	size_t nchecks;
};
void model_acl_principal_clear(struct model_acl_principal *p);

/* Consul's side: the ACL system and the servers' versions. */
struct model_acl_facts {
	bool acl_known;   /* GET /v1/acl/token/self answered */
	bool acl_enabled; /* false: it said "ACL support disabled" */
	struct model_acl_principal *principals;
	size_t nprincipals;
	/* GET /v1/agent/members: each server (Tags.role "consul") that has
	 * not left, key its node name, value its version (Tags.build up to
	 * the ':'). servers_error: why it is not known. */
	bool servers_known;
	struct model_meta servers;
	char *servers_error;
};
void model_acl_facts_clear(struct model_acl_facts *f);
bool model_acl_facts_same(const struct model_acl_facts *a, const struct model_acl_facts *b);

/* One SelfSubjectAccessReview of peerscope's own credentials. */
struct model_access_review {
	char *verb;        /* "get", "create", ... */
	char *group;       /* "" for the core group */
	char *resource;    /* "peeringacceptors", "services" */
	char *subresource; /* "proxy", or "" */
	char *ns;          /* "" for cluster-wide */
	bool allowed;
};
void model_access_review_clear(struct model_access_review *a);

/* Kubernetes' side: the access reviews. */
struct model_kube_access {
	bool reviews_known;
	struct model_access_review *reviews;
	size_t nreviews;
	char *reviews_error; /* why reviews_known is false */
};
void model_kube_access_clear(struct model_kube_access *a);
bool model_kube_access_same(const struct model_kube_access *a, const struct model_kube_access *b);

#endif
