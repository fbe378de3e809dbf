/* preflight: what the files of the module share. Not a public header. */
#ifndef PEERSCOPE_PREFLIGHT_INTERNAL_H
#define PEERSCOPE_PREFLIGHT_INTERNAL_H

#include "peerscope/preflight.h"

/* What a cluster check reads. */
struct pf_cluster {
	const struct store_snapshot *s;
	const struct preflight_live *live; /* never NULL: zeroed when nothing is known */
	const struct join_gateways *gw;    /* NULL when the join has none for it */
	const struct preflight_input *in;
};

/* What a pair check reads. */
struct pf_pair {
	const struct join_pair *p;
	const struct preflight_live *la, *lb; /* of p->a and p->b; never NULL */
	const struct preflight_input *in;
	/* The exports of the join that cross this pair (from one end's
	 * cluster to the other's, under the name that end gives the peering),
	 * as indexes into in->join->exports in their order. */
	const size_t *exports;
	size_t nexports;
};

/* The exported rows of a join sorted by exporting cluster, importing
 * cluster, peer name and then their own order: the exports that cross a
 * pair one way are a run of it. */
struct pf_cross {
	const struct join_export *x;
	size_t *v; /* indexes into x */
	size_t n;
};
/* 0, or -1 when out of memory; free(bp->v) when done. */
int pf_cross_init(struct pf_cross *bp, const struct join_view *j);
/* The exports crossing P both ways, merged back into the join's order, in
 * *out (malloc'd, NULL when none): what P's checks read of the exports. 0,
 * or -1 when out of memory. */
int pf_pair_exports(const struct pf_cross *bp, const struct join_pair *p, size_t **out, size_t *n);

/* Every cluster check of cluster I, every pair check of pair P, appended
 * to OUT (preflight.c). 0, or -1 when out of memory. */
int pf_run_cluster(const struct preflight_input *in, size_t i, struct preflight_report *out);
int pf_run_pair(const struct preflight_input *in, const struct join_pair *p,
                const struct pf_cross *bp, struct preflight_report *out);

/* A result while its check fills it: the texts in buffers of fixed
 * length, which pf_report_put() copies into the report at their own
 * length. */
struct pf_draft {
	const struct preflight_check *check;
	enum preflight_verdict verdict;
	size_t cluster, other;
	const char *file;
	unsigned line, column;
	char subject[200];
	char path[128];
	char seen[160];
	char required[96];
	char evidence[640];
	char fix[320];
};

/* D empty, of check C, about no cluster. */
void pf_draft_init(struct pf_draft *d, const struct preflight_check *c);
/* Appends D to R. 0, or -1 when out of memory (R unchanged). */
int pf_report_put(struct preflight_report *r, const struct pf_draft *d);

typedef void pf_cluster_fn(const struct pf_cluster *c, struct pf_draft *r);
typedef void pf_pair_fn(const struct pf_pair *p, struct pf_draft *r);

/* ------------------------------------------------------- filling a result */

__attribute__((format(printf, 3, 4))) void pf_verdict(struct pf_draft *r, enum preflight_verdict v,
                                                      const char *fmt, ...);
/* Appends to the evidence. */
__attribute__((format(printf, 2, 3))) void pf_more(struct pf_draft *r, const char *fmt, ...);
__attribute__((format(printf, 2, 3))) void pf_fix(struct pf_draft *r, const char *fmt, ...);
__attribute__((format(printf, 2, 3))) void pf_seen(struct pf_draft *r, const char *fmt, ...);
__attribute__((format(printf, 2, 3))) void pf_required(struct pf_draft *r, const char *fmt, ...);

/* ---------------------------------------------------- reading a snapshot */

/* The source answered successfully at least once. */
bool pf_has_data(const struct store_snapshot *s, enum store_src src);
/* When SRC never answered: sets r to unknown, saying why ("WHAT was not
 * read: <the source's error>"), and returns true. */
bool pf_unread(const struct store_snapshot *s, enum store_src src, const char *what,
               struct pf_draft *r);
/* When the cluster has no Kubernetes context: sets r to skip and returns
 * true. */
bool pf_no_kube(const struct store_snapshot *s, struct pf_draft *r);
/* Namespace and release of the consul chart, for the fixes. */
const char *pf_ns(const struct store_snapshot *s);
const char *pf_release(const struct store_snapshot *s);
/* "kubectl --context CTX -n NS" for the fixes. */
const char *pf_kubectl(const struct store_snapshot *s, char *buf, size_t len);
/* Sets the fix to a helm upgrade that sets SETTING ("a.b=c"). */
void pf_helm_fix(struct pf_draft *r, const struct store_snapshot *s, const char *setting);

/* The exported services of a cluster: Consul's entry, else its CR. */
struct pf_exports {
	const struct model_export_service *v;
	size_t n;
	const char *where; /* "exported-services entry default", "ExportedServices CR ns/name" */
	bool known;        /* some source of exports was read */
};
void pf_exports_of(const struct store_snapshot *s, struct pf_exports *out, char *buf, size_t len);
/* Peerings of the cluster that are not being deleted or terminated. */
size_t pf_live_peerings(const struct store_snapshot *s);
/* A consumer of an exported service names PEER (any peer when NULL). */
bool pf_exports_to(const struct pf_exports *e, const char *peer);
/* The peering named NAME, or NULL. */
const struct model_peering *pf_peering(const struct store_snapshot *s, const char *name);

/* ------------------------------------------- live data (preflight_live.c) */

/* A struct preflight_live derived from a snapshot, with the storage its
 * pointers need (the rest points into the snapshot). */
struct pf_live_buf {
	struct preflight_live live;
	struct preflight_principal *principals;
	struct preflight_access *access;
	struct preflight_gateway_config *configs;
	char acl_why[480], servers_why[480], access_why[480], controllers_why[560];
	char image_where[320];
};
/* 0, or -1 when out of memory (B is then empty). */
int pf_live_from_snapshot(const struct store_snapshot *s, struct pf_live_buf *b);
void pf_live_buf_free(struct pf_live_buf *b);

/* ------------------------------------------------------------- the checks */

/* Consul (preflight_consul.c). */
pf_cluster_fn pf_consul_version;
pf_cluster_fn pf_gateway_registered;
pf_cluster_fn pf_gateway_passing;
pf_cluster_fn pf_gateway_wan_address;
pf_cluster_fn pf_gateway_proxy_config;
pf_cluster_fn pf_mesh_ptmg;
pf_cluster_fn pf_mode_none;
pf_cluster_fn pf_mode_local_gateway;
pf_cluster_fn pf_mode_per_service;
pf_cluster_fn pf_exports_consumer_peer;
pf_cluster_fn pf_exports_partition;
pf_cluster_fn pf_exports_intentions;

/* Kubernetes and Helm (preflight_kube.c). */
pf_cluster_fn pf_consul_k8s_version;
pf_cluster_fn pf_controllers_ready;
pf_cluster_fn pf_helm_peering;
pf_cluster_fn pf_helm_tls;
pf_cluster_fn pf_helm_mesh_gateway;
pf_cluster_fn pf_helm_replicas;
pf_cluster_fn pf_helm_connect_inject;
pf_cluster_fn pf_helm_admin_partitions;
pf_cluster_fn pf_crds_peering;
pf_cluster_fn pf_crds_config_entries;
pf_cluster_fn pf_acceptor_secret_shared;
pf_cluster_fn pf_peer_name;

/* ACLs and Kubernetes access (preflight_access.c). */
pf_cluster_fn pf_acl_token;
pf_cluster_fn pf_acl_service_write;
pf_cluster_fn pf_acl_service_read;
pf_cluster_fn pf_acl_mesh_write;
pf_cluster_fn pf_rbac_peering;
pf_cluster_fn pf_rbac_config_entries;
pf_cluster_fn pf_rbac_service_proxy;

/* Pairs (preflight_pair.c). */
pf_pair_fn pf_pair_versions;
pf_pair_fn pf_pair_ptmg;
pf_pair_fn pf_exports_imported;
pf_pair_fn pf_dialer_secret;
pf_pair_fn pf_one_sided;

/* The facts a cluster check and its values twin share (preflight_util.c). */
extern const char *const pf_envoy_keys[]; /* Proxy.Config keys Consul reads; NULL-ended */
bool pf_envoy_key_known(const char *key);

/* ------------------------------------------- Helm values (preflight_yaml.c) */

/* A value of a Helm values file, typed as Helm's YAML reader types it
 * (YAML 1.1: yes/no/on/off are booleans). */
enum pf_vkind {
	PF_V_NULL,
	PF_V_BOOL,
	PF_V_INT,
	PF_V_STR, /* quoted, tagged !!str, or a plain scalar that is nothing else */
	PF_V_MAP,
	PF_V_SEQ,
};

struct pf_vnode;

struct pf_vpair {
	char *key;
	const char *file; /* where the key is written */
	unsigned line, column;
	struct pf_vnode *val;
};

struct pf_vnode {
	enum pf_vkind kind;
	char *text; /* a scalar as written; "" for others */
	bool b;
	long long i;
	const char *file; /* borrowed from the caller's list of files */
	unsigned line, column;
	struct pf_vpair *pairs; /* PF_V_MAP */
	size_t n, cap;
	struct pf_vnode **items; /* PF_V_SEQ */
	size_t nitems, capitems;
};

/* A remark about how a file reads (a later document, a repeated key). */
struct pf_vnote {
	const char *file;
	unsigned line, column;
	char text[240];
};

/* Every file read so far, merged. */
struct pf_values {
	struct pf_vnode *root; /* a mapping once a file was read */
	struct pf_vnote *notes;
	size_t nnotes, capnotes;
	size_t nodes; /* made so far, against alias bombs */
};

/* Reads FILE (the pointer is kept in the nodes) and merges it over what V
 * holds. Returns 0; -1 with ERR naming the file (and line:column) when it
 * cannot be read, is not YAML or is not a mapping, or when out of memory. */
int pf_values_read(struct pf_values *v, const char *file, char *err, size_t errlen);
void pf_values_free(struct pf_values *v);
/* The value at dotted PATH ("global.tls.enabled"), or NULL; *NEAR is then
 * the deepest key of PATH that is written (NULL: none). */
const struct pf_vnode *pf_values_get(const struct pf_values *v, const char *path,
                                     const struct pf_vpair **near);
/* The pair whose value is at PATH, or NULL. */
const struct pf_vpair *pf_values_pair(const struct pf_values *v, const char *path);

#endif
