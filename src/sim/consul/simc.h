/* peerscope-sim, Consul half: what its files share (names prefixed simc_).
 *
 * Each cluster's Consul is a handful of tables (nodes, services, peerings,
 * config entries, ACL tokens) with raft-style indexes. Everything is guarded
 * by world->lock. Data that real Consul replicates between peers (imported
 * services) is computed on read from the peer's tables; a change on one
 * side bumps the catalog index of every cluster peered with it, as the
 * replicated write would.
 *
 * The files, from the bottom up: common.c (what every endpoint shares: JSON
 * replies, read headers, blocking queries), acl.c (tokens and rules),
 * schema.c (config entries decoded and written as Consul does), entries.c
 * (the config entry table), peers.c (the peering table), services.c (nodes,
 * services, gateways, what is exported and imported), stream.c (peering
 * streams and each server's stream tracker), then the endpoints
 * agent.c, catalog.c, config.c, partition.c, peering.c, the control API's
 * path.c, and on
 * top consul.c (routing and the cluster's lifecycle). */
#ifndef PEERSCOPE_SIM_SIMC_H
#define PEERSCOPE_SIM_SIMC_H

#include <cjson/cJSON.h>

#include "core.h"

#define SIMC_MAX_NODES     4
#define SIMC_MAX_TOKENS    8
#define SIMC_MAX_ADDRS     8
#define SIMC_MAX_TAGS      4
#define SIMC_NAME_MAX      64
/* Nominal times (divided by --speed). Peering streams follow Consul's
 * agent/grpc-external/services/peerstream/server.go (heartbeats sent every
 * 15 s, a stream with no heartbeat for 2 minutes dropped) and
 * agent/consul/leader_peering.go (the dialer's gRPC keepalive, 30 s then a
 * 10 s timeout; retries after 2, 4, 8 ... 64 s). */
#define SIMC_HB_MS         15000
#define SIMC_HB_TIMEOUT_MS 120000
#define SIMC_KEEPALIVE_MS  40000
#define SIMC_RETRY_MAX_S   64
#define SIMC_CONNECT_MS    1000 /* the leader's peering loop picks a dialer up */
#define SIMC_DELETE_MS     2000 /* DELETING -> gone */
#define SIMC_ELECT_MS      5000 /* leaderless window after a restart */

enum simc_level {
	SIMC_DENY,
	SIMC_READ,
	SIMC_WRITE
};

struct simc_svc_rule {
	char name[SIMC_NAME_MAX];
	enum simc_level level;
};

struct simc_rules {
	bool management;
	enum simc_level peering, mesh, operator_, acl, agent_prefix, node_prefix, service_prefix;
	struct simc_svc_rule svc[2];
	int nsvc;
};

struct simc_token {
	char role[32];
	char accessor[37];
	char secret[37];
	char description[96];
	char policy_id[37];
	char policy_name[64];
	struct simc_rules rules;
	uint64_t create_index;
};

struct simc_node {
	char name[SIMC_NAME_MAX];
	char id[37];
	char address[48];
	uint64_t create_index; /* registered once, at the start: never rewritten */
};

struct simc_inst {
	char id[200];
	int node;
	char address[48];
	int port;
	char wan_addr[48]; /* mesh gateways only */
	int wan_port;
	char status[16]; /* passing, warning, critical, maintenance */
	char pod_uid[37];
	uint64_t create_index, modify_index;
};

struct simc_service {
	char name[SIMC_NAME_MAX];
	char partition[32]; /* "" for default (Enterprise) */
	char kind[16];      /* "" or "mesh-gateway" */
	char tags[SIMC_MAX_TAGS][24];
	int ntags;
	int port;
	struct simc_inst *inst;
	int ninst, cap;
	uint64_t create_index, modify_index;
};

enum simc_role {
	SIMC_ACCEPTOR,
	SIMC_DIALER
};

/* A server's stream tracker entry for one peering (Consul's
 * peerstream/stream_tracker.go MutableStatus): in memory, so a restarted
 * server has none until the stream comes back. Times are simulated ms, 0
 * for never. */
struct simc_tracker {
	bool tracked;
	bool connected;
	char err[256];       /* DisconnectErrorMessage: FAILING while not connected */
	int64_t up_ms;       /* the current stream came up (heartbeats count from it) */
	int64_t silent_ms;   /* the network to the peer went (0: it is there) */
	int64_t lost_due_ms; /* silent: when this end gives up on the stream */
	int64_t hb_ms;       /* last heartbeat received, up to the last event */
	int64_t recv_ok_ms, recv_err_ms, send_ok_ms, send_err_ms;
};

struct simc_peering {
	char id[37];
	char name[SIMC_NAME_MAX];
	enum simc_role role;
	char state[16]; /* stored: PENDING ESTABLISHING DELETING TERMINATED */
	cJSON *meta;
	char secret[37]; /* acceptor: establishment secret not yet used ("" none) */
	/* Dialer side: what the token said, and what the acceptor pushed since. */
	char peer_id[37];
	char *peer_ca; /* PEM */
	char peer_server_name[160];
	char peer_addrs[SIMC_MAX_ADDRS][64];
	int npeer_addrs;
	char manual_addrs[SIMC_MAX_ADDRS][64]; /* stored, dialed first, never served */
	int nmanual_addrs;
	bool stream_secret; /* dialer: the exchange succeeded, so it is dialed */
	char conn_addr[64]; /* dialer: the address its stream runs through */
	bool conn_local_gw; /* … and whether through its own mesh gateways */
	char remote_dc[64];
	char remote_partition[32];
	char partition[32]; /* the local partition ("" in Consul CE) */
	/* The other end: cluster index and its peering ID (-1: none). */
	int link_cluster;
	char link_id[37];
	bool synced; /* data replicated once: imports exist until it is gone */
	struct simc_tracker tr;
	/* Dialer: its retry loop. */
	unsigned fails;
	int64_t retry_due_ms; /* 0: no attempt scheduled */
	int64_t deleted_ms, delete_due_ms;
	uint64_t create_index, modify_index;
};

struct simc_config {
	char kind[32];
	char name[256];
	char partition[32]; /* "" for default */
	cJSON *entry;       /* as served, without the indexes */
	uint64_t create_index, modify_index;
};

#define SIMC_NKINDS 12

/* An admin partition (Consul Enterprise; api/partition.go). */
struct simc_partition {
	char name[32];
	char description[64];
	uint64_t create_index, modify_index;
};

struct simc_state {
	uint64_t index; /* raft index: last write */
	uint64_t peerings_idx, catalog_idx, acl_idx;
	uint64_t svc_gone_idx; /* the last service deregistered (0: none) */
	uint64_t config_idx[SIMC_NKINDS];
	uint64_t abandon;      /* bumped on a restore: every blocking query returns */
	int64_t leader_due_ms; /* sim_now_ms when a leader is elected; 0: one is */
	int64_t resync_due_ms; /* the leader's peering loop runs again (0: no) */
	char node_id[37];
	char revision[16];
	char *connect_ca;
	struct simc_node nodes[SIMC_MAX_NODES];
	int nnodes;
	struct simc_service *svcs; /* sorted by name */
	int nsvcs, svcs_cap;
	struct simc_peering **peerings;
	int npeerings, peerings_cap;
	struct simc_config *cfg;
	int ncfg, cfg_cap;
	struct simc_token tokens[SIMC_MAX_TOKENS];
	int ntokens;
	struct simc_partition parts[SIM_MAX_PARTITIONS + 1]; /* [0] is default */
	int nparts;
	uint64_t parts_idx;
	int gw_seq; /* names new gateway pods */
};

/* What a request may do: the token it carries. */
struct simc_auth {
	bool enabled;
	const struct simc_token *tok; /* NULL: anonymous */
	bool sent;                    /* the client sent a token */
	bool filtered;                /* set by readers that dropped something */
	char error[160];              /* a reader's message for a 400 */
	char part[32];                /* the request's partition: "" default, "*" all */
	bool part_known;              /* it exists */
};

/* ------------------------------------------------------------ common.c */

uint64_t simc_write(struct simc_state *cs); /* bumps and returns the raft index */
/* Partitions are kept as "" for default: PART as stored, or NULL. */
const char *simc_part(const char *part);
/* The name to show: "default" for "". */
const char *simc_part_name(const char *part);
bool simc_part_eq(const char *a, const char *b);
/* Partition PART of C's Consul ("" is default, always there in Enterprise
 * and in CE), or NULL. */
const struct simc_partition *simc_partition_find(const struct simc_state *cs, const char *part);
void simc_set_read_headers(struct sim_cluster *c, const struct simc_auth *a, struct sim_resp *resp,
                           uint64_t index);
/* A reader for a blocking query: fills RESP, lock held. */
typedef void (*simc_render_fn)(struct sim_cluster *c, const struct sim_req *req,
                               struct simc_auth *a, struct sim_resp *resp, const char *arg);
/* The index a blocking query waits to pass: lock held. */
typedef uint64_t (*simc_index_fn)(struct sim_cluster *c, const struct sim_req *req,
                                  const struct simc_auth *a, const char *arg);
/* Serves a read that honours ?index and ?wait (API.md §5). Lock NOT held. */
void simc_blocking(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                   struct sim_resp *resp, simc_index_fn index, simc_render_fn render,
                   const char *arg);
/* Body of a JSON response from an item (deleted here). */
void simc_json(struct sim_resp *resp, int status, cJSON *item);
/* Go-style JSON decoding error text for BODY. */
void simc_body_error(const char *body, char *buf, size_t len);
bool simc_version_at_least(const struct sim_cluster *c, int major, int minor);
bool simc_version_at_least3(const struct sim_cluster *c, int major, int minor, int patch);
/* False in the window after a restart while the server elects itself. */
bool simc_has_leader(const struct sim_cluster *c);
/* Without a leader, every request but the agent's and status endpoints and
 * ?stale reads fails with 500 "No cluster leader" (structs.ErrNoLeader,
 * agent/structs/errors.go): true with RESP filled. Lock held. */
bool simc_no_leader(const struct sim_cluster *c, const struct sim_req *req, struct sim_resp *resp);
/* "10.10N.0.10": the address of cluster C's Consul server. */
void simc_server_addr(const struct sim_cluster *c, char *buf, size_t len);

/* --------------------------------------------------------------- acl.c */

int simc_acl_init(struct sim_cluster *c);
/* The secret of a pre-made ACL token of C: "management", "dashboard-readonly",
 * "dashboard" (actions), "gateway", "gateway-no-mesh-write"; NULL if none. */
const char *simc_token(const struct sim_cluster *c, const char *role);
/* Resolves the request's token. Fills RESP (403 ACL not found) and
 * returns -1 for an unknown one. Lock held. */
int simc_auth(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
              struct sim_resp *resp);
bool simc_allowed(const struct simc_auth *a, const char *resource, const char *segment,
                  enum simc_level need);
/* 403 Permission denied naming what was lacking. */
void simc_denied(struct sim_resp *resp, const struct simc_auth *a, const char *resource,
                 const char *segment, enum simc_level need);
void simc_acl_route(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                    struct sim_resp *resp, const char *rest);

/* ------------------------------------------------------------ schema.c */

/* Entry IN of KIND decoded as Consul decodes it (case-insensitive keys,
 * snake_case aliases, weak types, unknown keys refused), returned in the
 * canonical form Consul reads back; NULL with Consul's message in ERR.
 * ENTERPRISE: Partition and Namespace are known keys. */
cJSON *simc_entry_decode(const cJSON *in, const char *kind, bool enterprise, char *err, size_t len);
/* A decoded service-intentions entry as Consul stores it: source Type and
 * Precedence set, sources sorted by precedence. */
void simc_intentions_normalize(cJSON *entry);

/* ----------------------------------------------------------- entries.c */

/* The kinds Consul knows, index 0 exported-services; -1 for another. */
int simc_config_kind(const char *kind);
const char *simc_config_kind_name(int k);
/* The entry KIND/NAME of partition PART ("" default). */
const struct simc_config *simc_config_find(const struct simc_state *cs, const char *part,
                                           const char *kind, const char *name);
/* Kind and Name of entry E normalised, the indexes a client sent dropped;
 * returns the kind, or NULL with Consul's message in ERR. */
const char *simc_config_normalise(cJSON *e, char *err, size_t len);
/* Whether ENTRY (normalised) is what OLD holds, raft indexes aside: Consul
 * skips such an upsert (agent/consul/config_endpoint.go,
 * shouldSkipUpsertOperation). */
bool simc_config_same(const struct simc_config *old, const cJSON *entry);
/* Stores ENTRY (taken over; Kind and Name normalised) as the cluster's entry
 * of its kind and name, bumping the indexes; one equal to the stored entry
 * is dropped with no write, the indexes unmoved. Callers that change what is
 * exported also call simc_catalog_changed (config.c does). */
int simc_config_store(struct sim_cluster *c, cJSON *entry);
/* Removes the entry at E (from simc_config_find). */
void simc_config_remove(struct sim_cluster *c, const struct simc_config *e);
void simc_config_free_all(struct simc_state *cs);
/* OBJ's MeshGateway.Mode, or NULL. */
const char *simc_config_mode_of(const cJSON *obj);
/* Mesh gateway mode in effect for upstream SVC from PEER called by FROM,
 * in partition PART. */
const char *simc_config_gateway_mode(struct sim_cluster *c, const char *part, const char *from,
                                     const char *svc, const char *peer);
bool simc_config_peer_through_gateways(const struct sim_cluster *c);

/* ------------------------------------------------------------- peers.c */

/* The peering NAME in partition PART ("" default). */
struct simc_peering *simc_peering_find(struct simc_state *cs, const char *part, const char *name);
struct simc_peering *simc_peering_by_id(struct simc_state *cs, const char *id);
const char *simc_peering_state(const struct sim_cluster *c, const struct simc_peering *p);
/* The other end of P, or NULL. */
struct simc_peering *simc_peering_other(struct sim_cluster *c, const struct simc_peering *p,
                                        struct sim_cluster **other);
/* A lower-case RFC 1123 label of at most 63 characters. */
bool simc_peering_valid_name(const char *name);
/* A new record NAME of ROLE in C (stored state ""), or NULL on no memory. */
struct simc_peering *simc_peering_new(struct sim_cluster *c, const char *name, enum simc_role role);
/* Removes P from C and frees it. */
void simc_peering_remove(struct sim_cluster *c, struct simc_peering *p);
void simc_peering_free_all(struct simc_state *cs);
/* Whether P's stream is up and its peer hears what P sends now. */
bool simc_peering_live(struct sim_cluster *c, struct simc_peering *p);
/* P was written: its ModifyIndex and the peerings index move. */
void simc_peering_touch(struct sim_cluster *c, struct simc_peering *p);
/* "server.<dc>.peering.<trust domain>": the name peering tokens carry. */
void simc_server_name(const struct sim_cluster *c, char *buf, size_t len);

/* ---------------------------------------------------------- services.c */

int simc_catalog_init(struct sim_cluster *c);
void simc_catalog_free(struct simc_state *cs);
/* Service NAME of the default partition / of partition PART. */
struct simc_service *simc_service_find(struct simc_state *cs, const char *name);
struct simc_service *simc_service_find_in(struct simc_state *cs, const char *part,
                                          const char *name);
/* Adds (or grows) service NAME with N more instances; lock held. */
struct simc_service *simc_service_add(struct sim_cluster *c, const char *name, const char *kind,
                                      int n, const char *status);
struct simc_service *simc_service_add_in(struct sim_cluster *c, const char *part, const char *name,
                                         const char *kind, int n, const char *status);
int simc_service_remove(struct sim_cluster *c, const char *part, const char *name);
/* Registers or removes mesh gateway instances to match the install. */
void simc_gateways_sync(struct sim_cluster *c);
/* Sets every gateway instance's check status in partition PART; false if
 * there is none. */
bool simc_gateways_set_status(struct sim_cluster *c, const char *part, const char *status);
/* Gateways registered / passing (of the default partition / of PART). */
int simc_gateways_count(const struct sim_cluster *c, bool passing_only);
int simc_gateways_count_in(const struct sim_cluster *c, const char *part, bool passing_only);
/* C's catalog changed: bump it, and the peers the change is replicated to
 * (services.c): every peer; the peers of partition PART, for its mesh
 * gateways; the peers service NAME of partition PART is exported to. */
void simc_catalog_changed(struct sim_cluster *c);
void simc_gateways_changed(struct sim_cluster *c, const char *part);
void simc_service_changed(struct sim_cluster *c, const char *part, const char *name);
/* Services with sidecars that may be exported: not consul, not gateways. */
bool simc_service_exportable(const struct simc_service *s);
/* Whether the JSON array of strings ARR holds NAME. */
bool simc_names_has(const cJSON *arr, const char *name);
/* Names of the services partition PART of C exports to its peer PEER
 * (all peers: NULL), as a JSON array of strings. */
cJSON *simc_exported_names(struct sim_cluster *c, const char *part, const char *peer);
/* The names of the services partition PART of C imports from its peer PEER
 * (a malloc'd array, in *SRC the cluster they come from); NULL before the
 * peering replicated anything. */
cJSON *simc_imported_names(struct sim_cluster *c, const char *part, const char *peer,
                           struct sim_cluster **src);
/* The cluster and its service that partition PART of C imports as SVC from
 * its peer PEER; NULL when it does not. */
const struct simc_service *simc_imported(struct sim_cluster *c, const char *part, const char *peer,
                                         const char *svc, struct sim_cluster **src);
/* The cluster whose Consul gRPC (peering) address or mesh-gateway WAN
 * address is ADDR ("host:port"), or NULL: how an establish call finds the
 * acceptor, so a token used on the wrong cluster fails as it would for real. */
struct sim_cluster *simc_cluster_by_peering_addr(struct sim_world *w, const char *addr);

/* ------------------------------------------------------------ stream.c */

int64_t simc_stream_tick(struct sim_cluster *c, int64_t now);
/* Re-evaluates the streams after gateways or the mesh entry changed:
 * streams through gone gateways drop, connected dialers get the acceptor's
 * current addresses. */
void simc_stream_recheck(struct sim_world *w);
/* The stream of P ends without an error (deleted, terminated). */
void simc_stream_end(struct sim_cluster *c, struct simc_peering *p, int64_t now);
/* The dialer P is picked up by the leader's loop: it dials after the
 * connect delay, its retry count starting over. */
void simc_stream_dial_soon(struct sim_cluster *d, struct simc_peering *p, int64_t now);
/* C's Consul stops (REFUSE: the process is gone, its tracker with it;
 * else its network is gone), starts again, or restarts. */
void simc_stream_stopped(struct sim_cluster *c, bool refuse, int64_t now);
void simc_stream_started(struct sim_cluster *c, bool was_hung, int64_t now);
void simc_stream_restarted(struct sim_cluster *c, int64_t now);
/* Stream status times as Consul reconciles them (0: none). */
int64_t simc_stream_last_heartbeat(const struct sim_cluster *c, const struct simc_peering *p,
                                   int64_t now);
int64_t simc_stream_last_receive(const struct sim_cluster *c, const struct simc_peering *p,
                                 int64_t now);
int64_t simc_stream_last_send(const struct sim_cluster *c, const struct simc_peering *p,
                              int64_t now);
/* A peering between partition PART_A of A and PART_B of B made directly,
 * connected (scale, control API). */
int simc_peering_make(struct sim_cluster *a, const char *part_a, const char *name_on_a,
                      struct sim_cluster *b, const char *part_b, const char *name_on_b,
                      bool connected);

/* ----------------------------------------------------------- peering.c */

void simc_peering_route(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                        struct sim_resp *resp, const char *path);

/* ------------------------------------------------------------ config.c */

/* Writes ENTRY (taken over) directly, as a controller or the world does. */
int simc_config_put(struct sim_cluster *c, cJSON *entry);
void simc_config_route(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                       struct sim_resp *resp, const char *path);

/* --------------------------------------------------------- partition.c */

/* The partitions of an Enterprise cluster's install exist (default first). */
void simc_partitions_sync(struct sim_cluster *c);
/* GET /v1/partitions, GET|PUT|DELETE /v1/partition[/NAME]. */
void simc_partition_route(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                          struct sim_resp *resp, const char *path);

/* ----------------------------------------------------------- catalog.c */

void simc_catalog_route(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                        struct sim_resp *resp, const char *path);

/* ------------------------------------------------------------- agent.c */

/* GET /v1/agent/self, /v1/agent/version, /v1/status/leader|peers,
 * /v1/catalog/datacenters. Lock held. */
void simc_agent_route(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                      struct sim_resp *resp);

/* -------------------------------------------------------------- path.c */

/* The cross-peer path from partition PART of C to service SVC imported from
 * PEER, called by FROM (control API). */
cJSON *simc_path_probe(struct sim_cluster *c, const char *part, const char *peer, const char *svc,
                       const char *from);

/* ------------------------------------------------------------ consul.c */

/* Consul HTTP API of one cluster. Caller does NOT hold the lock; the handler
 * takes it. Used by the server for the Consul listener, by the Kubernetes
 * API server's service proxy, and by the controllers, which talk to Consul
 * through its HTTP API exactly as consul-k8s does. */
void simc_handle(struct sim_cluster *c, const struct sim_req *req, struct sim_resp *resp);
/* In-process call of the Consul HTTP API as a client would make it. TOKEN is
 * sent as X-Consul-Token (NULL: none). Returns the HTTP status; *resp_body is
 * malloc'd (may be empty). Caller does NOT hold the lock. */
int simc_call(struct sim_cluster *c, const char *method, const char *path_and_query,
              const char *token, const char *body, char **resp_body);
/* Lifecycle, lock held: the state of cluster C (before its Kubernetes half)
 * and its end. */
int simc_init(struct sim_cluster *c);
void simc_free(struct sim_cluster *c);
/* The token the controllers use to reach Consul. */
const char *simc_controller_token(const struct sim_cluster *c);
/* Consul-side timed work of cluster C at simulated time NOW: runs what is due
 * and returns the simulated time of the next due item (INT64_MAX: none).
 * Lock held. */
int64_t simc_tick(struct sim_cluster *c, int64_t now);
/* Stopping and starting a cluster, restarting its Consul (raft index reset):
 * what the Consul half does about it. Lock held. */
void simc_set_running(struct sim_cluster *c, bool running, bool refuse);
void simc_restart(struct sim_cluster *c);
/* After every cluster's Consul exists: peerings that span clusters (--scale
 * peerings=M). Lock held. */
void simc_world_ready(struct sim_world *w);
/* The install of C changed (control API): gateways follow. Lock held. */
void simc_install_changed(struct sim_cluster *c);

#endif
