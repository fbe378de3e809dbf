/* peerscope-sim, Consul half: what its files share.
 *
 * Each cluster's Consul is a handful of tables (nodes, services, peerings,
 * config entries, ACL tokens) with raft-style indexes. Everything is guarded
 * by world->lock. Data that real Consul replicates between peers (imported
 * services) is computed on read from the peer's tables; a change on one
 * side bumps the catalog index of every cluster peered with it, as the
 * replicated write would. */
#ifndef PEERSCOPE_SIM_CONSUL_H
#define PEERSCOPE_SIM_CONSUL_H

#include <cjson/cJSON.h>

#include "core.h"

#define CS_MAX_NODES  4
#define CS_MAX_TOKENS 8
#define CS_MAX_ADDRS  8
#define CS_MAX_TAGS   4
#define CS_NAME_MAX   64
#define CS_HB_MS      5000 /* nominal heartbeat interval */
#define CS_CONNECT_MS 1000 /* nominal ESTABLISHING -> ACTIVE */
#define CS_DELETE_MS  2000 /* nominal DELETING -> gone */
#define CS_ELECT_MS   5000 /* nominal leaderless window after a restart */

enum cs_level {
	CS_DENY,
	CS_READ,
	CS_WRITE
};

struct cs_svc_rule {
	char name[CS_NAME_MAX];
	enum cs_level level;
};

struct cs_rules {
	bool management;
	enum cs_level peering, mesh, operator_, acl, agent_prefix, node_prefix, service_prefix;
	struct cs_svc_rule svc[2];
	int nsvc;
};

struct cs_token {
	char role[32];
	char accessor[37];
	char secret[37];
	char description[96];
	char policy_id[37];
	char policy_name[64];
	struct cs_rules rules;
	uint64_t create_index;
};

struct cs_node {
	char name[CS_NAME_MAX];
	char id[37];
	char address[48];
};

struct cs_inst {
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

struct cs_service {
	char name[CS_NAME_MAX];
	char kind[16]; /* "" or "mesh-gateway" */
	char tags[CS_MAX_TAGS][24];
	int ntags;
	int port;
	struct cs_inst *inst;
	int ninst, cap;
	uint64_t create_index, modify_index;
};

enum cs_role {
	CS_ACCEPTOR,
	CS_DIALER
};

struct cs_peering {
	char id[37];
	char name[CS_NAME_MAX];
	enum cs_role role;
	char state[16]; /* stored: PENDING ESTABLISHING ACTIVE DELETING TERMINATED or "" */
	cJSON *meta;
	char secret[37]; /* acceptor: establishment secret not yet used ("" none) */
	/* Dialer side: what the token said. */
	char peer_id[37];
	char *peer_ca; /* PEM */
	char peer_server_name[160];
	char peer_addrs[CS_MAX_ADDRS][64];
	int npeer_addrs;
	bool via_gateways; /* peer_addrs are the acceptor's mesh gateways */
	char remote_dc[64];
	char remote_partition[32];
	/* The other end: cluster index and its peering ID (-1: none). */
	int link_cluster;
	char link_id[37];
	/* Stream. */
	bool connected;
	bool ever_connected;
	int64_t connected_ms, disconnected_ms;
	int64_t last_send_ms, last_recv_ms; /* resources replicated over the stream */
	int64_t connect_due_ms;             /* 0: nothing scheduled */
	char disconnect_err[256];
	int64_t deleted_ms, delete_due_ms;
	uint64_t create_index, modify_index;
};

struct cs_config {
	char kind[32];
	char name[256];
	cJSON *entry; /* as served, without the indexes */
	uint64_t create_index, modify_index;
};

#define CS_NKINDS 12

struct sim_consul {
	uint64_t index; /* raft index: last write */
	uint64_t peerings_idx, catalog_idx, acl_idx;
	uint64_t config_idx[CS_NKINDS];
	uint64_t abandon;      /* bumped on a restore: every blocking query returns */
	int64_t leader_due_ms; /* sim_now_ms when a leader is elected; 0: one is */
	char node_id[37];
	char revision[16];
	char *connect_ca;
	struct cs_node nodes[CS_MAX_NODES];
	int nnodes;
	struct cs_service *svcs; /* sorted by name */
	int nsvcs, svcs_cap;
	struct cs_peering **peerings;
	int npeerings, peerings_cap;
	struct cs_config *cfg;
	int ncfg, cfg_cap;
	struct cs_token tokens[CS_MAX_TOKENS];
	int ntokens;
	int gw_seq; /* names new gateway pods */
};

/* What a request may do: the token it carries. */
struct cs_auth {
	bool enabled;
	const struct cs_token *tok; /* NULL: anonymous */
	bool sent;                  /* the client sent a token */
	bool filtered;              /* set by readers that dropped something */
};

/* ------------------------------------------------------------ consul.c */

uint64_t cs_write(struct sim_consul *cs); /* bumps and returns the raft index */
void cs_set_read_headers(struct sim_cluster *c, const struct cs_auth *a, struct sim_resp *resp,
                         uint64_t index);
/* A reader for a blocking query: fills RESP, lock held. */
typedef void (*cs_render_fn)(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                             struct sim_resp *resp, const char *arg);
typedef uint64_t (*cs_index_fn)(struct sim_cluster *c, const struct sim_req *req, const char *arg);
/* Serves a read that honours ?index and ?wait (API.md §5). Lock NOT held. */
void cs_blocking(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                 struct sim_resp *resp, cs_index_fn index, cs_render_fn render, const char *arg);
/* Body of a JSON response from an item (deleted here). */
void cs_json(struct sim_resp *resp, int status, cJSON *item);
/* Go-style JSON decoding error text for BODY. */
void cs_body_error(const char *body, char *buf, size_t len);
bool cs_version_at_least(const struct sim_cluster *c, int major, int minor);
/* False in the window after a restart while the server elects itself. */
bool cs_has_leader(const struct sim_cluster *c);

/* ------------------------------------------------------- consul_acl.c */

int cs_acl_init(struct sim_cluster *c);
/* Resolves the request's token. Fills RESP (403 ACL not found) and
 * returns -1 for an unknown one. Lock held. */
int cs_auth(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
            struct sim_resp *resp);
bool cs_allowed(const struct cs_auth *a, const char *resource, const char *segment,
                enum cs_level need);
/* 403 Permission denied naming what was lacking. */
void cs_denied(struct sim_resp *resp, const struct cs_auth *a, const char *resource,
               const char *segment, enum cs_level need);
void cs_acl_route(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                  struct sim_resp *resp, const char *rest);

/* --------------------------------------------------- consul_catalog.c */

int cs_catalog_init(struct sim_cluster *c);
void cs_catalog_free(struct sim_consul *cs);
struct cs_service *cs_service_find(struct sim_consul *cs, const char *name);
/* Adds (or grows) service NAME with N more instances; lock held. */
struct cs_service *cs_service_add(struct sim_cluster *c, const char *name, const char *kind, int n,
                                  const char *status);
int cs_service_remove(struct sim_cluster *c, const char *name);
/* Registers or removes mesh gateway instances to match the install. */
void cs_gateways_sync(struct sim_cluster *c);
/* Sets every gateway instance's check status; false if there is none. */
bool cs_gateways_set_status(struct sim_cluster *c, const char *status);
/* Gateways registered / passing. */
int cs_gateways_count(const struct sim_cluster *c, bool passing_only);
/* Catalog changed on C: bump it and every cluster peered with C. */
void cs_catalog_changed(struct sim_cluster *c);
/* Names of the services C exports to its peer PEER (JSON array of strings). */
cJSON *cs_exported_names(struct sim_cluster *c, const char *peer);
void cs_catalog_route(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                      struct sim_resp *resp, const char *path);
/* The cross-peer path from C to service SVC imported from PEER (control API). */
cJSON *cs_path_probe(struct sim_cluster *c, const char *peer, const char *svc, const char *from);

/* --------------------------------------------------- consul_peering.c */

struct cs_peering *cs_peering_find(struct sim_consul *cs, const char *name);
struct cs_peering *cs_peering_by_id(struct sim_consul *cs, const char *id);
const char *cs_peering_state(const struct sim_cluster *c, const struct cs_peering *p);
/* The other end of P, or NULL. */
struct cs_peering *cs_peering_other(struct sim_cluster *c, const struct cs_peering *p,
                                    struct sim_cluster **other);
void cs_peering_route(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                      struct sim_resp *resp, const char *path);
int64_t cs_peering_tick(struct sim_cluster *c, int64_t now);
/* Re-evaluates which streams can be up after a cluster or gateway changed. */
void cs_peering_recheck(struct sim_world *w);
void cs_peering_free_all(struct sim_consul *cs);
/* A peering between A and B made directly, connected (scale, control API). */
int cs_peering_make(struct sim_cluster *a, const char *name_on_a, struct sim_cluster *b,
                    const char *name_on_b, bool connected);

/* ---------------------------------------------------- consul_config.c */

const struct cs_config *cs_config_find(const struct sim_consul *cs, const char *kind,
                                       const char *name);
/* Writes ENTRY (taken over) directly, as a controller or the world does. */
int cs_config_put(struct sim_cluster *c, cJSON *entry);
void cs_config_route(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                     struct sim_resp *resp, const char *path);
void cs_config_free_all(struct sim_consul *cs);
/* Mesh gateway mode in effect for upstream SVC from PEER called by FROM. */
const char *cs_config_gateway_mode(struct sim_cluster *c, const char *from, const char *svc,
                                   const char *peer);
bool cs_config_peer_through_gateways(const struct sim_cluster *c);

#endif
