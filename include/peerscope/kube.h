/* kube: the Kubernetes API client of peerscope (doc/api-contract.md §7, §8).
 *
 * Reads and writes the consul.hashicorp.com custom resources that peering
 * uses (PeeringAcceptor, PeeringDialer, Mesh, ExportedServices,
 * ProxyDefaults, ServiceDefaults) and token Secrets; reads the Deployment
 * that runs the consul-k8s controllers (apps/v1); checks by discovery that
 * the CRDs are served; follows watch streams; turns Status errors into one
 * clear line; and reaches Consul through the API server's service proxy when
 * a cluster has no direct Consul address.
 *
 * Three layers, usable on their own:
 *   - pure decoders and body builders (text in, model structs or JSON out),
 *     unit-tested on fixtures;
 *   - an incremental watch-stream parser, fed chunks cut anywhere;
 *   - calls, each one request on an http client (include/peerscope/http.h)
 *     whose base URL is the API server, with the context's TLS and
 *     credentials (kubeconfig_http_options()).
 *
 * Strings in the structs below are malloc'd, owned by the struct and never
 * NULL after decoding ("" when absent), as in the model. Token bytes never
 * reach a struct: kube_secret_value() hands them to an action that needs
 * them, and no error text ever contains them.
 */
#ifndef PEERSCOPE_KUBE_H
#define PEERSCOPE_KUBE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peerscope/http.h"
#include "peerscope/model.h"

/* ------------------------------------------------------------------ kinds */

/* The resources the client reads and writes. The first seven are the
 * consul.hashicorp.com custom resources; Secrets carry peering tokens;
 * Services are read to reach Consul through the API server's proxy;
 * Deployments (apps/v1) to tell whether the consul-k8s controllers run. */
enum kube_kind {
	KUBE_PEERING_ACCEPTOR,
	KUBE_PEERING_DIALER,
	KUBE_MESH,
	KUBE_EXPORTED_SERVICES,
	KUBE_PROXY_DEFAULTS,
	KUBE_SERVICE_DEFAULTS,
	KUBE_SERVICE_INTENTIONS,
	KUBE_SECRET,
	KUBE_SERVICE,
	KUBE_DEPLOYMENT,
	KUBE_KIND_COUNT,
};

#define KUBE_GROUP   "consul.hashicorp.com"
#define KUBE_VERSION "v1alpha1"

/* The label selector of the Deployment that runs the consul-k8s
 * controllers and webhooks (consul-k8s
 * charts/consul/templates/connect-inject-deployment.yaml: component is
 * fixed, app follows nameOverride). */
#define KUBE_INJECTOR_SELECTOR "component=connect-injector"

/* "PeeringAcceptor", "Secret", ... */
const char *kube_kind_name(enum kube_kind kind);
/* The REST plural: "peeringacceptors", "secrets", ... */
const char *kube_kind_plural(enum kube_kind kind);
/* True for the six custom resources of consul.hashicorp.com. */
bool kube_kind_is_consul(enum kube_kind kind);

/* The most the API server's answers may hold once decompressed, sized to
 * what it sends with room to spare: an object is at most about 1.5 MiB
 * (etcd's limit), so one object or one watch event 4 MiB, a list 16 MiB
 * (the label-selected token Secrets, the CRs of one namespace, the deployed
 * Helm releases), discovery 1 MiB, /version 64 KiB. */
#define KUBE_MAX_OBJECT    ((size_t)4 << 20)
#define KUBE_MAX_LIST      ((size_t)16 << 20)
#define KUBE_MAX_DISCOVERY ((size_t)1 << 20)
#define KUBE_MAX_VERSION   ((size_t)64 << 10)
#define KUBE_MAX_EVENT     KUBE_MAX_OBJECT

/* Builds the request path of KIND: the collection when NAME is NULL, one
 * object otherwise, all namespaces when NS is NULL (collections only).
 * QUERY (escaped, without '?') may be NULL. Names and
 * namespaces must be Kubernetes names (lower-case letters, digits, '-', '.');
 * anything else, or a path that does not fit, returns -1 with a reason in ERR. */
int kube_path(char *buf, size_t len, enum kube_kind kind, const char *ns, const char *name,
              const char *query, char *err, size_t errlen);

/* ----------------------------------------------------------------- objects */

/* A Service, read to find the Consul servers' ports. */
struct kube_service_port {
	char *name;
	int port;
};

struct kube_service {
	struct model_kube_meta meta;
	char *component; /* label "component" ("server" for Consul servers) */
	char *app;       /* label "app" */
	size_t nports;
	struct kube_service_port *ports;
};

/* One decoded object of any kind the client handles; KIND says which
 * member of the union is filled. */
struct kube_object {
	enum kube_kind kind;
	union {
		struct model_kube_peering peering; /* acceptor and dialer */
		struct model_kube_mesh mesh;
		struct model_kube_exported_services exported;
		struct model_kube_proxy_defaults proxy_defaults;
		struct model_kube_service_defaults service_defaults;
		struct model_kube_service_intentions intentions;
		struct model_kube_secret secret;
		struct kube_service service;
		struct model_kube_deployment deployment;
	} u;
};

/* Metadata of any object, whatever its kind. */
const struct model_kube_meta *kube_object_meta(const struct kube_object *obj);
/* Frees what OBJ holds and zeroes it, keeping its kind. */
void kube_object_clear(struct kube_object *obj);

struct kube_list {
	enum kube_kind kind;
	char *resource_version; /* of the list: where a watch starts */
	char *continue_token;   /* metadata.continue, "" on the last page */
	size_t n;
	struct kube_object *items;
};

void kube_list_clear(struct kube_list *list);

/* ------------------------------------------------------------------ Status */

struct kube_status_cause {
	char *reason;
	char *message;
	char *field;
};

/* A Kubernetes Status object: what every non-2xx response carries. */
struct kube_status {
	int code;      /* HTTP code it stands for; 0 when absent */
	char *status;  /* "Failure" / "Success" */
	char *reason;  /* "NotFound", "Expired", ... */
	char *message; /* the server's sentence */
	char *name;    /* details.name */
	char *kind;    /* details.kind */
	size_t ncauses;
	struct kube_status_cause *causes;
};

void kube_status_clear(struct kube_status *st);

/* ---------------------------------------------------------------- decoders
 *
 * Pure: text in, structs out. On failure they return -1 and write a sentence
 * naming what is wrong (and where, for invalid JSON) to ERR; OUT is then left
 * zeroed. Unknown fields are ignored, null is treated as absent. */

/* An object of KIND; the text's "kind", when present, must match. */
int kube_object_decode(enum kube_kind kind, const char *json, size_t len, struct kube_object *out,
                       char *err, size_t errlen);
/* A list of KIND ("items": [] or null are both empty). */
int kube_list_decode(enum kube_kind kind, const char *json, size_t len, struct kube_list *out,
                     char *err, size_t errlen);
/* A Status object. */
int kube_status_decode(const char *json, size_t len, struct kube_status *out, char *err,
                       size_t errlen);
/* One line for an operator: "NotFound (404): peeringacceptors ... not found",
 * plus the first causes' fields. */
void kube_status_format(const struct kube_status *st, char *buf, size_t len);
/* Turns a non-2xx response body into one line: the Status message when the
 * body is a Status, else the start of the body as text. */
void kube_error_text(int http_status, const char *body, size_t len, char *buf, size_t buflen);

/* Discovery of the consul.hashicorp.com group: whether it is served, its
 * preferred version and which of the six kinds that version serves. */
struct kube_discovery {
	bool group_served;
	char *preferred_version; /* "v1alpha1"; "" when not served */
	size_t nversions;
	char **versions;
	bool served[KUBE_KIND_COUNT]; /* by kind, custom resources only */
};

void kube_discovery_clear(struct kube_discovery *d);
/* GET /apis/consul.hashicorp.com (an APIGroup). */
int kube_discovery_decode_group(const char *json, size_t len, struct kube_discovery *out, char *err,
                                size_t errlen);
/* GET /apis/consul.hashicorp.com/<version> (an APIResourceList): marks the
 * kinds served. */
int kube_discovery_decode_resources(const char *json, size_t len, struct kube_discovery *d,
                                    char *err, size_t errlen);

/* The value of data[KEY] of a Secret, base64-decoded into *OUT (malloc'd,
 * NUL-terminated, *OUTLEN bytes). The caller wipes and frees it: this is
 * where token bytes leave the JSON, for an action that needs them. Errors
 * name the Secret and key, never the value. */
int kube_secret_value(const char *secret_json, size_t len, const char *key, char **out,
                      size_t *outlen, char *err, size_t errlen);

/* ------------------------------------------------------------ watch stream */

enum kube_event_type {
	KUBE_EVENT_ADDED,
	KUBE_EVENT_MODIFIED,
	KUBE_EVENT_DELETED,
	KUBE_EVENT_BOOKMARK,
	KUBE_EVENT_ERROR,
};

struct kube_event {
	enum kube_event_type type;
	struct kube_object object; /* ADDED, MODIFIED, DELETED */
	char *resource_version;    /* of the object or the bookmark */
	struct kube_status status; /* ERROR */
};

/* Called for each complete event; the event is cleared when it returns, so
 * move out what you keep (memcpy the object, then zero it). A non-zero
 * return stops the feed, which then returns that value. */
typedef int (*kube_event_fn)(struct kube_event *ev, void *ctx);

/* Incremental parser of a watch body: newline-delimited JSON events, fed in
 * chunks cut anywhere. Keeps the last resourceVersion seen and whether the
 * server said the version is too old (ERROR 410), which calls for a relist. */
struct kube_watch_parser;

/* MAX_LINE bounds one event (0: 16 MiB). NULL on allocation failure. */
struct kube_watch_parser *kube_watch_parser_new(enum kube_kind kind, size_t max_line);
void kube_watch_parser_free(struct kube_watch_parser *p);
/* Feeds a chunk. Returns 0, the callback's non-zero value, or -1 with ERR
 * set (invalid event, line too long, allocation failure). */
int kube_watch_parser_feed(struct kube_watch_parser *p, const char *data, size_t len,
                           kube_event_fn fn, void *ctx, char *err, size_t errlen);
/* End of the stream: an event left without its newline is still decoded;
 * half an event is an error naming it truncated. */
int kube_watch_parser_finish(struct kube_watch_parser *p, kube_event_fn fn, void *ctx, char *err,
                             size_t errlen);
/* Last resourceVersion seen (NULL before any). */
const char *kube_watch_parser_resource_version(const struct kube_watch_parser *p);
/* True once an ERROR event with code 410 arrived: relist, then watch again. */
bool kube_watch_parser_expired(const struct kube_watch_parser *p);
/* Number of events decoded. */
size_t kube_watch_parser_events(const struct kube_watch_parser *p);

/* ------------------------------------------------------------ bodies
 *
 * Request bodies, malloc'd JSON text; NULL with ERR set on bad input or
 * allocation failure. */

/* A PeeringAcceptor or PeeringDialer (ROLE) named NAME in NS, whose token
 * is SECRET_NAME[SECRET_KEY] with the kubernetes backend. */
char *kube_body_peering(enum model_peering_role role, const char *ns, const char *name,
                        const char *secret_name, const char *secret_key, char *err, size_t errlen);
/* Merge patch setting the peering-version annotation to VERSION; with
 * RESOURCE_VERSION (may be NULL) it applies only to that version of the
 * object, else the server answers 409 Conflict. */
char *kube_body_version_bump(uint64_t version, const char *resource_version, char *err,
                             size_t errlen);
/* The Mesh CR "mesh" with spec.peering.peerThroughMeshGateways. */
char *kube_body_mesh(const char *ns, bool peer_through_mesh_gateways, char *err, size_t errlen);
/* Merge patch of the Mesh CR's peerThroughMeshGateways. */
char *kube_body_mesh_patch(bool peer_through_mesh_gateways, char *err, size_t errlen);
/* The ProxyDefaults CR "global" with spec.meshGateway.mode. */
char *kube_body_proxy_defaults(const char *ns, enum model_mgw_mode mode, char *err, size_t errlen);
/* Merge patch of spec.meshGateway.mode (ProxyDefaults, ServiceDefaults);
 * MODEL_MGW_DEFAULT removes the key so the value is inherited. */
char *kube_body_gateway_mode_patch(enum model_mgw_mode mode, char *err, size_t errlen);
/* An ExportedServices CR named NAME from a list of services and consumers. */
char *kube_body_exported_services(const char *ns, const char *name,
                                  const struct model_export_service *services, size_t n, char *err,
                                  size_t errlen);
/* Merge patch replacing spec.services with the given list. */
char *kube_body_exported_services_patch(const struct model_export_service *services, size_t n,
                                        char *err, size_t errlen);
/* A ServiceDefaults CR NAME with PROTOCOL (NULL or "": none) and MODE. */
char *kube_body_service_defaults(const char *ns, const char *name, const char *protocol,
                                 enum model_mgw_mode mode, char *err, size_t errlen);
/* A copy of the Secret in SRC_JSON for namespace NS of another cluster:
 * resourceVersion, uid, creationTimestamp, managedFields, ownerReferences,
 * generation, selfLink, deletion fields and status are dropped; name,
 * labels (the peering-token label above all), annotations, type and data
 * are kept. */
char *kube_body_secret_copy(const char *src_json, size_t len, const char *ns, char *err,
                            size_t errlen);
/* Merge patch bringing an existing copy up to date with the Secret in
 * SRC_JSON: its labels and data (keys the source lacks are kept). */
char *kube_body_secret_copy_patch(const char *src_json, size_t len, char *err, size_t errlen);

/* ------------------------------------------------------------------- calls
 *
 * Each call runs one request on C and blocks until it ends. 0 on success;
 * -1 with ERR filled otherwise. For an answer other than 2xx, err->status is
 * the HTTP status and err->message the Status object in one line
 * (kube_status_format); a body that cannot be decoded gives
 * HTTP_ERR_TRANSPORT with a message naming what is wrong. */

/* Discovery: 0 also when the group is not served (d->group_served false);
 * -1 only when the API server could not be asked. */
int kube_discover(struct http_client *c, struct kube_discovery *out, struct http_error *err);

int kube_get(struct http_client *c, enum kube_kind kind, const char *ns, const char *name,
             struct kube_object *out, struct http_error *err);
/* The object's JSON as the server sent it (*JSON malloc'd, NUL-terminated).
 * For a Secret this holds the token: wipe it before freeing. */
int kube_get_raw(struct http_client *c, enum kube_kind kind, const char *ns, const char *name,
                 char **json, size_t *len, struct http_error *err);
/* All objects of KIND in NS (NULL: every namespace) matching LABEL_SELECTOR
 * (NULL: all), following continue tokens page by page. */
int kube_list(struct http_client *c, enum kube_kind kind, const char *ns,
              const char *label_selector, struct kube_list *out, struct http_error *err);
/* POST BODY to the collection; the created object into OUT (may be NULL).
 * An existing name fails with status 409 (AlreadyExists). */
int kube_create(struct http_client *c, enum kube_kind kind, const char *ns, const char *body,
                struct kube_object *out, struct http_error *err);
/* PATCH with application/merge-patch+json; the result into OUT (may be NULL). */
int kube_merge_patch(struct http_client *c, enum kube_kind kind, const char *ns, const char *name,
                     const char *patch, struct kube_object *out, struct http_error *err);
/* DELETE; an object with finalizers stays, Terminating, until they go. */
int kube_delete(struct http_client *c, enum kube_kind kind, const char *ns, const char *name,
                struct http_error *err);
/* kube_delete() of the object as it was read: DeleteOptions.preconditions
 * with UID and RV (each NULL or "": not sent). An object changed or
 * replaced since fails with status 409 (Conflict). */
int kube_delete_if(struct http_client *c, enum kube_kind kind, const char *ns, const char *name,
                   const char *uid, const char *rv, struct http_error *err);
/* True when the last call failed because the object does not exist. */
bool kube_not_found(const struct http_error *err);

/* Path of a watch of KIND in NS (NULL: all namespaces) from
 * RESOURCE_VERSION (NULL or "": the current state, as ADDED events), with
 * bookmarks, ending after TIMEOUT_S seconds (0: the server's default). For
 * callers that drive transfers themselves (http_multi) and feed the body to
 * a kube_watch_parser. */
int kube_watch_path(char *buf, size_t len, enum kube_kind kind, const char *ns,
                    const char *resource_version, const char *label_selector, int timeout_s,
                    char *errbuf, size_t errlen);

enum kube_watch_end {
	KUBE_WATCH_CLOSED = 0, /* the server ended the stream: watch again from *rv */
	KUBE_WATCH_EXPIRED,    /* ERROR 410: list again, then watch from the list */
	KUBE_WATCH_STOPPED,    /* the callback returned non-zero */
};

#define KUBE_WATCH_DEFAULT_TIMEOUT_S 300

/* Runs one watch to its end, calling FN for every event; TIMEOUT_S <= 0
 * means KUBE_WATCH_DEFAULT_TIMEOUT_S. *RV holds the
 * version to start from (may be NULL) and, on return, the last one seen
 * (malloc'd; the caller frees it). CANCEL (may be NULL) stops it from
 * another thread. Returns a kube_watch_end, or -1 with ERR filled. */
int kube_watch(struct http_client *c, enum kube_kind kind, const char *ns,
               const char *label_selector, int timeout_s, char **rv, const atomic_bool *cancel,
               kube_event_fn fn, void *ctx, struct http_error *err);

/* ------------------------------------------------------------ peering steps */

/* The peering version that makes the controller act again: one above both
 * the annotation (when it is a number) and status.latestPeeringVersion. */
uint64_t kube_peering_next_version(const struct model_kube_peering *p);
/* Sets the peering-version annotation of a PeeringAcceptor (new token) or
 * PeeringDialer (establish again) to TARGET, computed by the caller from
 * what it saw (kube_peering_next_version). Idempotent: when the CR is
 * already there, nothing is written; the patch is tied to the version just
 * read, so a concurrent change fails with 409 Conflict rather than bumping
 * twice. */
int kube_peering_bump_version(struct http_client *c, enum kube_kind kind, const char *ns,
                              const char *name, uint64_t target, struct http_error *err);

/* ------------------------------------------------------------ Helm values */

/* The Consul chart's values from a Helm release Secret's JSON (pure). Fails,
 * naming the Secret, when it is not a release of the consul chart. */
int kube_helm_decode(const char *secret_json, size_t len, struct model_kube_helm *out, char *errbuf,
                     size_t errlen);
/* The newest release of the consul chart in a list of release Secrets
 * (GET .../secrets?labelSelector=owner=helm,status=deployed answers with
 * every Secret whole): one request where a list of names and a read of each
 * took one more per release. OUT is empty (release NULL) when none is of
 * that chart; -1 only when the list is not JSON (pure).
 * KEY, when not NULL, tells the list from the one decoded last: in, that
 * list's key (0: none); out, this one's, from each Secret's name, uid and
 * resourceVersion (0 when one lacks them). When the two are the same, the
 * Secrets are the ones decoded last and nothing is decoded: 1, OUT empty.
 * A Secret's resourceVersion changes with every write to it. */
int kube_helm_decode_list(const char *list_json, size_t len, uint64_t *key,
                          struct model_kube_helm *out, char *errbuf, size_t errlen);
/* The key kube_helm_decode_list() gives a list of release Secrets, from the
 * list whole or from their metadata alone (a PartialObjectMetadataList:
 * Accept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1).
 * -1 when it is not a list (pure). */
int kube_helm_list_key(const char *list_json, size_t len, uint64_t *key, char *errbuf,
                       size_t errlen);
/* The newest deployed release of the consul chart in NS. None: -1 with
 * err->status 404, so kube_not_found() is true. */
int kube_helm_read(struct http_client *c, const char *ns, struct model_kube_helm *out,
                   struct http_error *err);

/* ------------------------------------------------------ Consul via proxy */

/* Where Consul is reached through the API server's service proxy. */
struct kube_consul_route {
	char *service; /* "consul-server" */
	char *scheme;  /* "https" when TLS is on, else "http" */
	int port;      /* 8501 / 8500 */
	/* API server URL + "/api/v1/namespaces/<ns>/services/<scheme>:<service>:
	 * <port>/proxy": the base_url of an http client for Consul that keeps
	 * the Kubernetes credentials and adds the Consul token. */
	char *base_url;
};
void kube_consul_route_clear(struct kube_consul_route *r);

#define KUBE_CONSUL_SERVER_SERVICE "consul-server"
#define KUBE_CONSUL_HTTP_PORT      8500
#define KUBE_CONSUL_HTTPS_PORT     8501

/* Finds the Consul server Service in NS (label component=server, else the
 * Helm chart's name "consul-server") and its https port (TLS) or http port,
 * and builds the proxy route. The dashboard's RBAC need not cover Services:
 * when they may not be read (403) or are not served (404), the route uses
 * the chart's name and port, and the first proxied call tells whether it
 * is right. */
int kube_consul_route(struct http_client *c, const char *ns, bool tls,
                      struct kube_consul_route *out, struct http_error *err);
/* The same from a Service already decoded (pure; used by the call above). */
int kube_consul_route_from_service(const char *api_url, const struct kube_service *svc, bool tls,
                                   struct kube_consul_route *out, char *errbuf, size_t errlen);

/* ------------------------------------------------------------ access */

/* The body of POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews
 * asking whether the caller may VERB RESOURCE[/SUBRESOURCE] of GROUP ("" the
 * core group) in NS ("" cluster-wide). malloc'd; NULL when out of memory. */
char *kube_body_access_review(const char *ns, const char *verb, const char *group,
                              const char *resource, const char *subresource);
/* Its answer's status.allowed (absent: false). 0, or -1 with ERR. */
int kube_access_review_decode(const char *json, size_t len, bool *allowed, char *err,
                              size_t errlen);

/* ------------------------------------------------------------ rules */

/* One PolicyRule of a SelfSubjectRulesReview's status.resourceRules, as
 * the RBAC authorizer matches it: "*" stands for any verb, group or
 * resource, and a resource "*" before "/SUB" for any resource's
 * subresource SUB. */
struct kube_rule {
	char **verbs, **groups, **resources;
	size_t nverbs, ngroups, nresources;
};

/* The caller's rules in one namespace: those granted there and those
 * granted cluster-wide. INCOMPLETE when the server says they may not be all
 * (status.incomplete, or an evaluationError: an authorizer that cannot list
 * what it allows, such as a webhook), and then they cannot deny. */
struct kube_rules {
	struct kube_rule *r;
	size_t n;
	bool incomplete;
};

/* The body of POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews
 * for NS (which the API server requires). malloc'd; NULL when out of
 * memory. */
char *kube_body_rules_review(const char *ns);
/* Its answer into OUT (kube_rules_clear() it). A rule that names objects
 * (resourceNames) is left out: it never allows a request without a name,
 * the only kind peerscope asks about. 0, or -1 with ERR. */
int kube_rules_review_decode(const char *json, size_t len, struct kube_rules *out, char *err,
                             size_t errlen);
void kube_rules_clear(struct kube_rules *r);
/* Whether a rule of R allows VERB on RESOURCE[/SUBRESOURCE] of GROUP, by
 * no name (k8s.io/kubernetes pkg/apis/rbac/v1/evaluation_helpers.go). */
bool kube_rules_allow(const struct kube_rules *r, const char *verb, const char *group,
                      const char *resource, const char *subresource);

#endif
