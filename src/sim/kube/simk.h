/* peerscope-sim, Kubernetes half: what its files share (names prefixed simk_).
 *
 * A cluster's Kubernetes state is a list of objects (cJSON documents, exactly
 * as they are served) plus a ring of change events that watches and the
 * controllers read. Every object and event carries the cluster-wide
 * resourceVersion counter at the time of the change, as etcd's revision does.
 * All of it is guarded by world->lock.
 *
 * The files, from the bottom up: store.c (objects, resourceVersions, the
 * change log), status.c (Status errors), crds.c (the CRDs and YAML), the
 * pure helpers select.c, patch.c, schema.c, page.c, proto.c, table.c, then
 * watch.c, openapi.c, deploy.c (Deployments' status), gzip.c (the Helm
 * release's gzip), chart_text.c and chart.c (the chart it carries), helm.c,
 * webhooks.c, rbac.c (users, RBAC, the self-subject reviews), api.c (the
 * resource endpoints), kube.c (routing, discovery, the service proxy, the
 * lifecycle); the controllers: reconcile.c (what they share), ctl_peering.c,
 * ctl_entries.c, and controllers.c (the manager: queues, backoff, thread).
 */
#ifndef PEERSCOPE_SIM_SIMK_H
#define PEERSCOPE_SIM_SIMK_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "sim.h"

#define SIMK_GROUP        "consul.hashicorp.com"
#define SIMK_APPS_GROUP   "apps" /* apps/v1: the Deployments of the consul chart */
#define SIMK_CR_VERSION   "v1alpha1"
#define SIMK_MAX_RTYPES   12
#define SIMK_EVENT_RING   1024 /* changes kept per cluster for watches */
#define SIMK_FINALIZER    "finalizers.consul.hashicorp.com"
#define SIMK_TOKEN_LABEL  "consul.hashicorp.com/peering-token"
#define SIMK_VERSION_ANNO "consul.hashicorp.com/peering-version"
#define SIMK_MIGRATE_ANNO "consul.hashicorp.com/migrate-entry"

/* A resource type the API server serves. Core types have group "". */
struct simk_rtype {
	char group[32];
	char version[16];
	char plural[32];
	char singular[32];
	char kind[32];
	char list_kind[40];
	char short_name[32];
	bool namespaced;
	bool has_status;     /* status subresource */
	const cJSON *schema; /* openAPIV3Schema of a CRD, NULL for core types */
	const cJSON *crd;    /* the whole CRD document, NULL for core types */
};

struct simk_obj {
	int rt;   /* index into simk_state.rtypes */
	char *ns; /* "" for cluster-scoped objects */
	char *name;
	cJSON *json;
	uint64_t rv;
	struct simk_obj *next;
};

enum simk_ev_type {
	SIMK_EV_ADDED,
	SIMK_EV_MODIFIED,
	SIMK_EV_DELETED,
};

/* One change. obj is an immutable copy of the object after the change (the
 * last state for DELETED); prev_labels the labels before a MODIFIED (NULL:
 * none), so a label-selected watch sees objects enter and leave its
 * selection as ADDED and DELETED, as the API server's watch cache does. */
struct simk_event {
	uint64_t rv;
	enum simk_ev_type type;
	int rt;
	cJSON *obj;
	cJSON *prev_labels;
};

/* A user of the API server, known by its bearer token. */
struct simk_user {
	char name[64];   /* the username RBAC and the 403 messages use */
	char token[80];  /* never printed, logged or served */
	char role[32];   /* the preset ClusterRole, or "custom" */
	bool masters;    /* group system:masters: every request */
	cJSON *rules;    /* cluster-wide PolicyRules (a ClusterRoleBinding) */
	cJSON *ns_rules; /* {"ns": [PolicyRules]} (RoleBindings) */
};

#define SIMK_MAX_USERS 2 /* the admin, and one restricted user */

/* What a request asks to do, as the authorizer sees it. RESOURCE NULL: a
 * non-resource request to PATH. */
struct simk_attrs {
	const char *verb;  /* get list watch create update patch delete ... */
	const char *group; /* "" for core */
	const char *resource;
	const char *sub; /* "status", "proxy" or NULL */
	const char *ns;  /* NULL or "" at the cluster scope */
	const char *name;
	const char *path;
};

struct simk_state {
	uint64_t rv; /* last resourceVersion handed out */
	struct simk_obj *objs;
	struct simk_event ring[SIMK_EVENT_RING];
	size_t ev_start; /* index of the oldest event */
	size_t ev_count;
	uint64_t dropped_rv;             /* rv of the newest event dropped from the ring */
	cJSON *crds;                     /* array of the CRD documents, parsed at init */
	char *helm_values;               /* values YAML of the latest Helm revision */
	struct sim_install helm_install; /* the install that revision shows */
	char helm_first_deployed[32];
	bool ca_secret_done;         /* consul-ca-cert written (with --tls) */
	bool injector_down;          /* the connect-injector is down: no webhooks, no controllers */
	uint64_t injector_synced_rv; /* its Deployment's status was written for this version */
	bool injector_synced_down;   /* and this state */
	struct simk_rtype rtypes[SIMK_MAX_RTYPES];
	int nrtypes;
	struct simk_user users[SIMK_MAX_USERS]; /* [0] the admin */
	int nusers;
};

/* Resource type indices of the core types; CRs follow from SIMK_RT_FIRST_CR. */
enum {
	SIMK_RT_NAMESPACES,
	SIMK_RT_SECRETS,
	SIMK_RT_CONFIGMAPS,
	SIMK_RT_SERVICES,
	SIMK_RT_DEPLOYMENTS, /* apps/v1 */
	SIMK_RT_FIRST_CR,
};

/* ------------------------------------------------------------ crds.c */

/* Parses YAML text (one document) into JSON, resolving plain scalars as YAML
 * 1.2's core schema does (null, booleans, integers, floats). On error returns
 * NULL and writes "line N: problem" into err. */
cJSON *simk_yaml_to_json(const char *text, size_t len, char *err, size_t errlen);
/* Parses the embedded CRDs into k->crds and fills k->rtypes. */
int simk_crds_load(struct simk_state *k, char *err, size_t errlen);

/* ---------------------------------------------------------- schema.c */

/* Checks OBJ against a CRD's openAPIV3Schema: wrong types, enums and
 * required fields are appended to CAUSES as Kubernetes StatusCause objects
 * ({"reason","message","field"}). Unknown fields are pruned, as the API
 * server does for structural schemas; when STRICT, each one is instead
 * reported in *UNKNOWN (malloc'd, "unknown field \"spec.x\"", comma-joined). */
void simk_schema_check(const cJSON *schema, cJSON *obj, bool strict, cJSON *causes, char **unknown);

/* ----------------------------------------------------------- patch.c */

/* RFC 7386 JSON merge patch: returns a new document, or NULL on no memory. */
cJSON *simk_merge_patch(const cJSON *target, const cJSON *patch);
/* RFC 6902 JSON patch, applied to a copy of TARGET. Returns the new document
 * or NULL with a message in err (the failing operation and path). */
cJSON *simk_json_patch(const cJSON *target, const cJSON *ops, char *err, size_t errlen);

/* ---------------------------------------------------------- select.c */

/* A parsed label selector: equality (=, ==, !=), set (in, notin) and
 * existence (key, !key) requirements, all of which must hold. */
struct simk_selector;
/* Parses TEXT; NULL with a message in err on a syntax error. An empty or
 * NULL text selects everything. */
struct simk_selector *simk_selector_parse(const char *text, char *err, size_t errlen);
bool simk_selector_match(const struct simk_selector *s, const cJSON *labels);
void simk_selector_free(struct simk_selector *s);
/* fieldSelector: only metadata.name and metadata.namespace, with = == !=.
 * Returns false with a message in err on an unsupported field. */
bool simk_field_selector_ok(const char *text, char *err, size_t errlen);
bool simk_field_selector_match(const char *text, const cJSON *obj);

/* ----------------------------------------------------------- store.c */

const struct simk_rtype *simk_rtype(const struct simk_state *k, int rt);
int simk_rtype_by_plural(const struct simk_state *k, const char *group, const char *plural);

struct simk_obj *simk_find(struct simk_state *k, int rt, const char *ns, const char *name);
/* Stores OBJ (taken over) as a new object: assigns uid, resourceVersion,
 * creationTimestamp and generation, records an ADDED event. */
struct simk_obj *simk_insert(struct sim_cluster *c, int rt, const char *ns, cJSON *obj);
enum simk_write {
	SIMK_UNCHANGED, /* identical: same resourceVersion, no event */
	SIMK_CHANGED,
	SIMK_GONE, /* the write removed the last finalizer of a deleted object */
};
/* Replaces o->json with OBJ (taken over), keeping the identity fields. A
 * write that changes nothing keeps the resourceVersion and records no event,
 * as the API server does. Bumps metadata.generation when anything but
 * metadata and status changed. When PRINTED is not NULL it receives the
 * stored object as JSON (malloc'd). After SIMK_GONE, O is freed. */
enum simk_write simk_replace(struct sim_cluster *c, struct simk_obj *o, cJSON *obj, char **printed);
/* A DELETE request: objects with finalizers get a deletionTimestamp and stay;
 * others are removed. PRINTED receives the object's last state (malloc'd).
 * Returns true when the object is gone (O is then freed). */
bool simk_delete(struct sim_cluster *c, struct simk_obj *o, char **printed);
/* Namespace NS is being deleted: nothing new may be created in it. */
bool simk_ns_terminating(struct simk_state *k, const char *ns);
/* "2026-11-28T00:43:20Z": Kubernetes timestamps have whole seconds. */
void simk_timestamp(const struct sim_world *w, char *buf, size_t len);
/* The oldest resourceVersion a watch can still start from. */
uint64_t simk_oldest_rv(const struct simk_state *k);
/* Index into the event ring of the first event with rv > AFTER, or
 * ev_count when there is none. */
size_t simk_events_after(const struct simk_state *k, uint64_t after);
const struct simk_event *simk_event_at(const struct simk_state *k, size_t i);

/* Convenience: string member at a dotted path ("metadata.name"), or NULL. */
const char *simk_str(const cJSON *obj, const char *path);
cJSON *simk_path(const cJSON *obj, const char *path);
/* metadata.labels / annotations value, or NULL. */
const char *simk_label(const cJSON *obj, const char *key);
const char *simk_annotation(const cJSON *obj, const char *key);
/* A v1 Secret NS/NAME of TYPE whose data KEY holds VALUE_B64 (base64
 * already); *labels is its empty labels object for the caller to fill. */
cJSON *simk_secret_new(const char *ns, const char *name, const char *type, const char *key,
                       const char *value_b64, cJSON **labels);

/* ---------------------------------------------------------- status.c */

/* Writes a Kubernetes Status error into RESP. CAUSES (may be NULL) is taken
 * over. GROUP/KIND/NAME fill details when non-NULL. */
void simk_status_error(struct sim_resp *resp, int code, const char *reason, const char *message,
                       const char *name, const char *group, const char *kind, cJSON *causes);
/* "peeringacceptors.consul.hashicorp.com" or "secrets". */
void simk_qualified(const struct simk_rtype *t, char *buf, size_t len);
/* OBJ (deleted here) as the JSON body of RESP; 500 on no memory. */
void simk_send_json(struct sim_resp *resp, int status, cJSON *obj);

/* ------------------------------------------------------------ rbac.c */

/* The admin user, and the restricted one --set kube_user asked for. */
int simk_rbac_init(struct sim_cluster *c);
void simk_rbac_free(struct simk_state *k);
/* Index of the preset ClusterRole NAME, or -1; the names, for messages. */
int simk_rbac_preset(const char *name);
const char *simk_rbac_preset_names(void);
/* Whether REQ carries a known token; a 401 Status in RESP otherwise. */
bool simk_rbac_authenticated(struct sim_cluster *c, const struct sim_req *req,
                             struct sim_resp *resp);
/* Whether REQ's user may do A; a 401 or the API server's 403 in RESP
 * otherwise. Takes the lock. */
bool simk_rbac_allow(struct sim_cluster *c, const struct sim_req *req, const struct simk_attrs *a,
                     struct sim_resp *resp);
/* The verb of REQ on a resource (NAMED: an object, else a collection). */
const char *simk_rbac_verb(const struct sim_req *req, bool named);
/* POST /apis/authorization.k8s.io/v1/{selfsubjectaccessreviews,
 * selfsubjectrulesreviews}. Takes the lock. */
void simk_rbac_review(struct sim_cluster *c, const struct sim_req *req, const char *plural,
                      struct sim_resp *resp);
/* Control API: gives C's restricted user a preset or rules (SPEC: {"preset"}
 * or {"rules", "namespaces"}, and "name"); *CREATED tells it is new. Lock
 * held. 0, or -1 with the fault in ERR. */
int simk_rbac_set(struct sim_cluster *c, const cJSON *spec, bool *created, char *err, size_t len);
/* C's users, without their tokens. Lock held. */
cJSON *simk_rbac_json(const struct sim_cluster *c);
/* How many users C has (1 or 2), and user I's bearer token; lock held. */
int simk_rbac_users(const struct sim_cluster *c);
const char *simk_rbac_token(const struct sim_cluster *c, int i);
/* The kubeconfig's entry name of user I of C. */
void simk_rbac_kubeconfig_entry(const struct sim_cluster *c, int i, char *buf, size_t len);

/* ------------------------------------------------------------- api.c */

/* Serves a request for a resource collection or object. PARTS are the path
 * segments after the group/version ("namespaces", ns, plural, name, sub). */
void simk_api_resource(struct sim_cluster *c, const struct sim_req *req, struct sim_resp *resp,
                       int rt, const char *ns, const char *name, const char *sub);
/* One page of a list: at most LIMIT items (0: all) after the key of a
 * continue token (RV 0: from the start). */
struct simk_page {
	size_t limit;
	uint64_t rv; /* the first page's resourceVersion, from the token */
	char start_ns[64];
	char start_name[256];
	bool count_remaining; /* remainingItemCount: only without selectors */
};
/* The list JSON (kind List) of type RT in NS (NULL: all) matching the
 * selectors, one page of it when PG is not NULL (metadata.continue then
 * names the rest); caller holds the lock. NULL on no memory. */
cJSON *simk_api_list(struct sim_cluster *c, int rt, const char *ns, const struct simk_selector *sel,
                     const char *fsel, const struct simk_page *pg);

/* ------------------------------------------------------------ page.c */

/* Reads ?limit= and ?continue= into PG. Returns 0, or the HTTP status of
 * the error in ERR: 400 (a bad limit or token) or 410 (an expired token). */
int simk_page_parse(const struct simk_state *k, const char *limit, const char *cont,
                    struct simk_page *pg, char *err, size_t errlen);
/* Whether the object NS/NAME comes after PG's continue key. */
bool simk_page_after_start(const struct simk_page *pg, const char *ns, const char *name);
/* The continue token for a list at RV whose last item sent is NS/NAME. */
char *simk_continue_token(uint64_t rv, const char *ns, const char *name);

/* Whether cluster C serves type RT now: the consul.hashicorp.com CRDs exist
 * only with connectInject.enabled, the peering ones also need
 * global.peering.enabled, as the Helm chart installs them. Lock held. */
bool simk_served(const struct sim_cluster *c, int rt);

/* ----------------------------------------------------------- proto.c */

/* A core/v1 object from an application/vnd.kubernetes.protobuf body; NULL
 * with a message in err when it cannot be decoded. */
cJSON *simk_proto_decode(const struct simk_rtype *t, const char *body, size_t len, char *err,
                         size_t errlen);
/* A SelfSubjectAccessReview (ACCESS) or SelfSubjectRulesReview from a
 * protobuf body, as {"spec": {...}}; NULL with a message in err. */
cJSON *simk_proto_decode_review(bool access, const char *body, size_t len, char *err,
                                size_t errlen);

/* ----------------------------------------------------------- table.c */

/* The client asked for server-side printing (Accept ...;as=Table;g=meta.k8s.io). */
bool simk_wants_table(const struct sim_req *req);
/* A meta.k8s.io/v1 Table of a list or of one object of type RT. */
cJSON *simk_table(struct sim_cluster *c, int rt, const cJSON *list_or_obj, bool headers);
/* The object's metadata alone the client asked for (Accept
 * ...;as=PartialObjectMetadata[List];g=meta.k8s.io, as client-go's metadata
 * client sends): SIMK_META_NONE, or which of the two. */
enum simk_meta {
	SIMK_META_NONE,
	SIMK_META_OBJECT,
	SIMK_META_LIST
};
enum simk_meta simk_wants_metadata(const struct sim_req *req);
/* A meta.k8s.io/v1 PartialObjectMetadataList of LIST, or the
 * PartialObjectMetadata of one object (k8s.io/apiserver
 * pkg/endpoints/handlers/response.go, asPartialObjectMetadata[List]). */
cJSON *simk_metadata(const cJSON *list_or_obj, bool list);

/* ----------------------------------------------------------- watch.c */

/* Starts a watch stream on RESP. Caller does not hold the lock. */
void simk_watch_start(struct sim_cluster *c, const struct sim_req *req, struct sim_resp *resp,
                      int rt, const char *ns);

/* --------------------------------------------------------- openapi.c */

void simk_openapi_v2(struct sim_cluster *c, struct sim_resp *resp);
void simk_openapi_v3(struct sim_cluster *c, const char *rest, struct sim_resp *resp);

/* -------------------------------------------------------- webhooks.c */

/* The consul-k8s admission webhooks (API.md §6.7). Runs with the lock held on
 * a CREATE (OLD == NULL) or UPDATE of OBJ. Returns true when allowed; else
 * fills RESP with the denial. */
bool simk_webhook_admit(struct sim_cluster *c, int rt, const char *ns, const cJSON *obj,
                        const cJSON *old, struct sim_resp *resp);
/* Takes the connect-injector down or up (control API): while it is down,
 * every create or update of a consul.hashicorp.com resource fails as its
 * webhook cannot be called, the controllers it runs reconcile nothing, and
 * its Deployment's status says its pod is not ready. Lock held. */
void simk_set_injector(struct sim_cluster *c, bool up);
bool simk_injector_up(const struct sim_cluster *c);

/* ---------------------------------------------------------- deploy.c */

/* The pod-template-hash of Deployment DEPLOY (the name of its ReplicaSet
 * after "<deployment>-"), as the deployment controller computes it. */
void simk_deploy_template_hash(const cJSON *deploy, char *buf, size_t len);
/* Writes O's status as the deployment controller would with its pods all
 * READY or all running but not ready; nothing when it is so already. Lock
 * held. */
void simk_deploy_sync(struct sim_cluster *c, struct simk_obj *o, bool ready);

/* ------------------------------------------------------------ gzip.c */

/* Text deflated on its own, to be joined into a gzip member (gzip.c). */
struct simk_deflated {
	const char *text; /* the text (not owned) */
	size_t len;
	unsigned char *data; /* raw deflate, ending on a byte boundary, not final */
	size_t data_len;
	uint32_t crc; /* CRC-32 of the text */
};
int simk_deflate(const char *text, size_t len, int level, struct simk_deflated *out);
void simk_deflated_free(struct simk_deflated *d);
/* gzip (malloc'd) of LEN bytes at TEXT at LEVEL, the KNOWN pieces (in
 * the order they appear in TEXT) reused where they are found, not deflated
 * again. NULL on no memory. */
unsigned char *simk_gzip(const char *text, size_t len, const struct simk_deflated *known,
                         size_t nknown, int level, size_t *out_len);

/* ------------------------------------------------------------ chart_text.c */

/* The consul-k8s chart's templates: as many, named and sized as the real
 * chart's, their text generated (chart_text.c). */
#define SIMK_CHART_TEMPLATES 213
#define SIMK_TPL_ORDERS      24 /* places in Helm's install order */

/* What a template's rendering is in a release. */
enum simk_tpl_role {
	SIMK_TPL_OBJECT,  /* objects of the manifest (none when disabled) */
	SIMK_TPL_CRD,     /* a CRD of the manifest, the same for every install */
	SIMK_TPL_PARTIAL, /* _helpers.tpl: never rendered on its own */
	SIMK_TPL_NOTES,   /* NOTES.txt: the release's info.notes */
	SIMK_TPL_TEST,    /* the helm test Pod: the release's hook */
};

struct simk_tpl {
	char name[80]; /* under templates/: "crd-meshes.yaml", "_helpers.tpl" */
	enum simk_tpl_role role;
	int order;     /* of its objects in Helm's install order: by kind */
	int kind;      /* what chart_text.c writes */
	int crd, comp; /* of chart_text.c's tables, or -1 */
	size_t target; /* the size it is written to */
	uint64_t seed;
};

/* The chart's SIMK_CHART_TEMPLATES templates, sorted by name, drawn from
 * SEED; -1 if the tables do not make that many. */
int simk_chart_list(struct simk_tpl *tpls, uint64_t seed);
/* The text of template P (RENDER false, IN NULL), or P rendered with IN's
 * values (RENDER true; IN may be NULL for a CRD). Malloc'd, NULL on no
 * memory. */
char *simk_tpl_text(const struct simk_tpl *p, bool render, const struct sim_install *in);
/* The chart's I-th file outside templates/ (malloc'd text) and its *NAME;
 * NULL after the last. */
char *simk_chart_other_file(int i, uint64_t seed, const char **name);

/* ------------------------------------------------------------ chart.c */

/* The chart a Helm release carries (chart.c). */
struct simk_chart;
/* What an install renders of the chart (malloc'd strings). */
struct simk_rendered {
	char *manifest;  /* the templates it enables, as helm install writes them */
	char *notes;     /* NOTES.txt: the release's info.notes */
	char *test_hook; /* tests/test-runner.yaml: the release's one hook, a helm test Pod */
};
/* The chart of VERSION, made from SEED on first use and kept for the
 * process's life (every cluster of that version shares it); NULL on no
 * memory. Takes its own lock. */
const struct simk_chart *simk_chart(const char *version, uint64_t seed);
/* chart.templates and chart.files of a release: JSON arrays of
 * {"name", "data"}, the bytes in base64 as Go marshals []byte. */
const char *simk_chart_templates(const struct simk_chart *ch);
const char *simk_chart_files(const struct simk_chart *ch);
/* What every release of the chart carries, as it appears in the release
 * JSON (chart.templates, the CRDs in the manifest), deflated at
 * SIMK_HELM_GZIP_LEVEL: *N pieces, in that order. */
const struct simk_deflated *simk_chart_deflated(const struct simk_chart *ch, size_t *n);
/* The chart rendered with IN's values; -1 on no memory. */
int simk_chart_render(const struct simk_chart *ch, const struct sim_install *in,
                      struct simk_rendered *out);
void simk_rendered_free(struct simk_rendered *r);

/* ------------------------------------------------------------ helm.c */

/* The deflate level of the Helm release. Helm's is 9 (Go's
 * gzip.BestCompression). Deflating a whole release (3.7 MB) takes some
 * 150 ms at 9, 47 ms at 6 and 18 ms at 1, and at 1 the release would not fit
 * in a Secret (1.28 MB on the wire). What every release of a chart carries
 * is deflated once (gzip.c): at 6 that takes 58 ms per process, then 2 ms
 * a release, where 9 takes 153 ms and 5 ms. So 6: the wire is some 1.5%
 * larger than Helm's, the inflated release (what a reader's cost follows)
 * is the same. */
#define SIMK_HELM_GZIP_LEVEL 6

/* Writes the cluster's Helm release Secret (a new revision when the values
 * changed since the last one) and the objects the chart installs that the
 * simulator shows (the consul-server Service). Lock held. */
int simk_helm_release(struct sim_cluster *c);
/* A new revision when the cluster's install changed since the last one
 * (the controller manager looks after this). Lock held. */
void simk_helm_refresh(struct sim_cluster *c);
/* The install of C changed (control API): a new revision of the Helm
 * release Secret. Lock held. */
void simk_install_changed(struct sim_cluster *c);
/* The connect-injector Deployment's status follows whether the injector is
 * up and its spec (as the deployment controller keeps it); nothing when
 * neither changed since the last call. Lock held. */
void simk_injector_sync(struct sim_cluster *c);
/* With --tls, the chart's CA Secret consul-ca-cert (tls.crt) from the CA the
 * simulator wrote to its state dir, once that file exists. Takes the lock;
 * the file is read without it. */
void simk_ca_secret(struct sim_cluster *c);

/* ------------------------------------------------------- reconcile.c */

/* A copy of the object, or NULL when it does not exist. Takes the lock. */
cJSON *simk_ctl_get(struct sim_cluster *c, int rt, const char *ns, const char *name);
/* Writes OBJ (taken over) as the new state of an existing object, or
 * creates it. Returns the stored resourceVersion (0 on failure). */
uint64_t simk_ctl_put(struct sim_cluster *c, int rt, const char *ns, cJSON *obj);
void simk_ctl_delete(struct sim_cluster *c, int rt, const char *ns, const char *name);
/* Records an event, taking the lock (the controllers run without it). */
void simk_ctl_event(struct sim_cluster *c, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* Adds or removes finalizers.consul.hashicorp.com on the live object. */
void simk_ctl_set_finalizer(struct sim_cluster *c, int rt, const char *ns, const char *name,
                            bool add);
bool simk_ctl_has_finalizer(const cJSON *obj);
/* Applies EDIT to the live object's status, as Status().Update does. */
void simk_ctl_put_status(struct sim_cluster *c, int rt, const char *ns, const char *name,
                         void (*edit)(cJSON *status, void *ctx), void *ctx);
/* What simk_ctl_edit_condition writes into a status. */
struct simk_cond {
	struct sim_world *w;
	bool ok;
	bool unknown; /* Synced "Unknown" (config entries while a write is pending) */
	const char *reason;
	const char *message;
	bool synced_time;        /* also set lastSyncedTime */
	const cJSON *secret_ref; /* status.secret to write, or NULL */
	const char *secret_rv;
	bool set_version;
	uint64_t version;
};
void simk_ctl_edit_condition(cJSON *status, void *ctx);
/* Synced=False with REASON and MESSAGE, and an event saying so. */
void simk_ctl_status_error(struct sim_cluster *c, int rt, const char *ns, const char *name,
                           const char *reason, const char *message);
/* Calls the cluster's Consul with the controller token; on failure writes
 * the Go API client's error text into ERR. Returns the HTTP status. */
int simk_ctl_consul(struct sim_cluster *c, const char *method, const char *path, const char *body,
                    char **out, char *err, size_t errlen);

/* ----------------------------------------------------- ctl_peering.c */

/* One reconcile of the PeeringAcceptor or PeeringDialer NS/NAME of type RT;
 * false when it is to be retried. Lock NOT held. */
bool simk_reconcile_peering(struct sim_cluster *c, int rt, const char *ns, const char *name);

/* ----------------------------------------------------- ctl_entries.c */

/* One reconcile of the config-entry CR NS/NAME of type RT (Mesh,
 * ExportedServices, ProxyDefaults, ServiceDefaults); false when it is to be
 * retried. Lock NOT held. */
bool simk_reconcile_entry(struct sim_cluster *c, int rt, const char *ns, const char *name);

/* ----------------------------------------------------- controllers.c */

/* One thread for the whole world that reconciles PeeringAcceptor,
 * PeeringDialer and the config-entry CRs of every cluster whenever
 * something changed, as consul-k8s's controller manager does. */
int simk_controllers_start(struct sim_world *w);
/* The nominal delay before the retry after FAILURES earlier failures of one
 * item: the peering controllers' or (CONFIG_ENTRY) the config-entry ones'. */
int64_t simk_controller_backoff_ms(bool config_entry, int failures);
void simk_controllers_stop(struct sim_world *w);

/* ------------------------------------------------------------ kube.c */

/* Kubernetes API of one cluster. Caller does NOT hold the lock. */
void simk_handle(struct sim_cluster *c, const struct sim_req *req, struct sim_resp *resp);
/* Lifecycle, lock held: after the cluster's Consul half (seeds the
 * namespaces and the Helm release), and its end. */
int simk_init(struct sim_cluster *c);
void simk_free(struct sim_cluster *c);

#endif
