/* preflight: the specification's requirements for cluster peering on
 * Kubernetes, each as a check with a verdict, the evidence it rests on and a
 * fix.
 *
 * Every check has a stable id ("consul-version", "mode-none", ...), a title,
 * the sentence of the specification it comes from, and a scope: one cluster,
 * one peering pair, or a set of Helm values files. Running a check gives a
 * result:
 *   verdict   ok, warn, fail, unknown (the data to decide is missing: the
 *             evidence says why), or skip (the check does not apply here:
 *             the evidence says why, e.g. a cluster without Kubernetes);
 *   evidence  the value seen and where it came from ("GET /v1/agent/self
 *             Config.Version=1.13.9"), never a secret;
 *   seen, required   the value in short ("1.13.9", ">= 1.14"), "" when the
 *             check has no single value;
 *   fix       for every verdict but ok and skip: one line saying what to set,
 *             apply or grant; for unknown, how to make the data readable or
 *             how to check by hand what is not fetched yet.
 *
 * Live checks (preflight_run) are pure functions over the store's snapshots
 * and their join: no I/O, no clock (the caller passes NOW), no locks. Data
 * the pollers do not fetch yet (ACL answers, Kubernetes access reviews, the
 * controllers' Deployments, the servers' versions, intentions, the gateways'
 * Proxy.Config) comes in a struct preflight_live per cluster; a check whose
 * data is absent there answers unknown, "not fetched yet: ...".
 *
 * The values linter (preflight_values_*) reads Helm values files offline,
 * merged in order as `helm -f a -f b` does, and reports the same check ids
 * where a check of the values corresponds to a live one, each result with
 * the file:line:column of the value seen.
 *
 * Thread safety: the check table is constant; a report belongs to its
 * caller. */
#ifndef PEERSCOPE_PREFLIGHT_H
#define PEERSCOPE_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "peerscope/join.h"
#include "peerscope/model.h"
#include "peerscope/store.h"

/* ---------------------------------------------------------------- verdicts */

/* In order of severity: a summary shows the worst. */
enum preflight_verdict {
	PREFLIGHT_SKIP = 0, /* does not apply here */
	PREFLIGHT_OK,
	PREFLIGHT_UNKNOWN, /* the data to decide is missing */
	PREFLIGHT_WARN,
	PREFLIGHT_FAIL,
	PREFLIGHT_VERDICT_COUNT
};

/* "skip", "ok", "unknown", "warn", "fail". */
const char *preflight_verdict_name(enum preflight_verdict v);

/* ------------------------------------------------------------------ checks */

enum preflight_scope {
	PREFLIGHT_CLUSTER, /* one result per cluster */
	PREFLIGHT_PAIR,    /* one result per peering pair */
	PREFLIGHT_VALUES,  /* only for Helm values files */
};

/* The operations a check guards: an operation of that kind runs the checks
 * that carry its bit and stops on a fail (preflight_blocking). */
enum preflight_gate {
	PREFLIGHT_GATE_PEER = 1u << 0,       /* acceptor, dialer, token exchange, peer wizard */
	PREFLIGHT_GATE_EXPORT = 1u << 1,     /* exported-services changes */
	PREFLIGHT_GATE_MODE = 1u << 2,       /* mesh gateway mode changes */
	PREFLIGHT_GATE_MESH = 1u << 3,       /* the Mesh resource */
	PREFLIGHT_GATE_UNPEER = 1u << 4,     /* deleting a peering */
	PREFLIGHT_GATE_INTENTIONS = 1u << 5, /* service-intentions changes (allow, deny) */
};

struct preflight_check {
	const char *id;    /* stable, lower-case with '-': "helm-tls-enabled" */
	const char *title; /* "Helm value global.tls.enabled is true" */
	const char *spec;  /* the sentence of the specification it comes from */
	enum preflight_scope scope;
	unsigned gates; /* enum preflight_gate */
	/* What the check reads that is not fetched yet, "" when everything it
	 * needs is in the snapshots (for the documentation and reports). */
	const char *pending;
	/* Operations its fail does not stop but warns (enum preflight_gate):
	 * what they do still happens, later (WARNS_WHY says what waits). */
	unsigned warns;
	const char *warns_why;
};

/* Every check, in a fixed order (the order of reports and documents):
 * check I for I below preflight_check_count(), NULL past the end. */
size_t preflight_check_count(void);
const struct preflight_check *preflight_check_at(size_t i);
/* The check whose id is ID, or NULL. */
const struct preflight_check *preflight_check_find(const char *id);

/* ----------------------------------------------------------------- results */

#define PREFLIGHT_NONE ((size_t)-1)

struct preflight_result {
	const struct preflight_check *check;
	enum preflight_verdict verdict;
	/* Whom it is about. Cluster checks: cluster is the snapshot index
	 * and other is PREFLIGHT_NONE. Pair checks: the pair's two clusters
	 * (other is PREFLIGHT_NONE for a peer that is not configured) and
	 * pair its id. Values: both PREFLIGHT_NONE. */
	size_t cluster;
	size_t other;
	/* Values files: where the value seen is written (file borrowed from
	 * the caller's list; NULL for a live check). line and column count
	 * from 1; 0 when the value is not written (a chart default). */
	const char *file;
	unsigned line, column;
	/* The texts, never NULL ("" when there is none). A report's results
	 * keep them in one block each, of their own length (text_, freed with
	 * the report): a report of a thousand results is a thousand short
	 * texts, not a thousand times the longest. */
	const char *subject;  /* cluster name, pair id, or "values" */
	const char *path;     /* the values key, "global.tls.enabled"; "" for live checks */
	const char *seen;     /* at most 159 bytes */
	const char *required; /* at most 95 */
	const char *evidence; /* at most 639 */
	const char *fix;      /* at most 319 */
	char *text_;
};

struct preflight_report {
	struct preflight_result *v;
	size_t n, cap;
};

/* Frees the results' texts and the array. */
void preflight_report_free(struct preflight_report *r);
/* Frees the texts of results V[0..N), for a caller that drops results
 * from a report (the array stays). */
void preflight_results_free(struct preflight_result *v, size_t n);

/* The worst verdict among the results about cluster CLUSTER (its cluster
 * checks only; PREFLIGHT_NONE: every result), and in *count how many have
 * it (count may be NULL). PREFLIGHT_SKIP when there is none. */
enum preflight_verdict preflight_worst(const struct preflight_report *r, size_t cluster,
                                       unsigned *count);
/* How many results have verdict V. */
unsigned preflight_count(const struct preflight_report *r, enum preflight_verdict v);

/* The first result with a fail among the checks that carry one of GATES
 * and are about cluster CLUSTER (its cluster checks and the pairs it is
 * part of); NULL when the operation may go ahead. A check whose warns
 * carries one of GATES does not stop it. */
const struct preflight_result *preflight_blocking(const struct preflight_report *r, unsigned gates,
                                                  size_t cluster);

/* Exit status of a check command: 1 when a result fails (or, STRICT, warns
 * or is unknown), else 0. */
int preflight_exit_status(const struct preflight_report *r, bool strict);

/* ------------------------------------------------------------- live input */

/* One Kubernetes SelfSubjectAccessReview answer. */
struct preflight_access {
	const char *verb;        /* "get", "list", "watch", "create", "update", "delete" */
	const char *group;       /* "consul.hashicorp.com", "" for the core group */
	const char *resource;    /* "peeringacceptors", "secrets", "services" */
	const char *subresource; /* "proxy", or "" */
	bool allowed;
};

/* A Consul ACL token whose rights were asked of Consul. */
struct preflight_principal {
	const char *who; /* "peerscope's token", "mesh gateway token (Secret consul/...)" */
	bool gateway;    /* the token of the mesh gateways */
	const struct model_acl_token *token; /* /v1/acl/token/self; NULL: not read */
	const char *error; /* why /v1/acl/token/self refused the token ("ACL not found"), or NULL */
	/* /v1/internal/acl/authorize answers (resource, segment, access, allow). */
	const struct model_acl_check *checks;
	size_t nchecks;
};

/* One source of a service-intentions entry. */
struct preflight_intention {
	const char *destination; /* service name or "*" */
	const char *source;      /* service name or "*" */
	const char *source_peer; /* "" for a local source */
	bool allow;
};

/* The Proxy.Config of one mesh gateway instance. */
struct preflight_gateway_config {
	const char *instance;            /* Service.ID */
	const struct model_meta *config; /* keys with their values as text */
};

/* What the checks of one cluster need beyond the lists of its snapshot.
 * Zeroed: nothing of it is known (the checks that need it answer unknown).
 * preflight_run() derives it from each snapshot's prerequisites (the "acl",
 * "kube_access" and "kube_controllers" sources, the gateways' Proxy.Config)
 * when the caller gives none. Each *_why says why a part is not known ("GET
 * /v1/agent/members: HTTP 403: Permission denied ..."); NULL: "not
 * fetched yet". */
struct preflight_live {
	/* ACLs: acl_known once /v1/acl/token/self answered; acl_enabled false
	 * when it said "ACL support disabled". */
	bool acl_known;
	bool acl_enabled;
	const char *acl_why;
	const char *acl_default_policy; /* "allow", "deny"; NULL or "" unknown */
	const struct preflight_principal *principals;
	size_t nprincipals;
	/* Kubernetes access of peerscope's own credentials. */
	bool access_known;
	const struct preflight_access *access;
	size_t naccess;
	const char *access_why;
	/* The connect-injector Deployments, which run the consul-k8s
	 * controllers: controllers_known once they were listed (none found:
	 * ncontrollers 0); controllers_why says why not (the API server's
	 * words when it refused). */
	bool controllers_known;
	const struct model_kube_deployment *controllers;
	size_t ncontrollers;
	const char *controllers_why;
	/* The image of the consul-k8s controllers (the connect-injector):
	 * NULL not known, "" none found; controller_where names the
	 * Deployment it was read from. */
	const char *controller_image;
	const char *controller_where;
	const char *controller_why;
	/* Every Consul server's version: key the node name, value the version. */
	const struct model_meta *server_versions;
	const char *servers_why;
	/* service-intentions entries. */
	bool intentions_known;
	const struct preflight_intention *intentions;
	size_t nintentions;
	/* The mesh gateways' Proxy.Config. */
	bool gateway_configs_known;
	const struct preflight_gateway_config *gateway_configs;
	size_t ngateway_configs;
};

/* Default time a peering may exist on one side only before one-sided warns. */
#define PREFLIGHT_DEFAULT_ONE_SIDED_MS (10L * 60 * 1000)

struct preflight_options {
	long one_sided_ms; /* 0: PREFLIGHT_DEFAULT_ONE_SIDED_MS */
};

struct preflight_input {
	const struct store_snapshot *const *snaps; /* index i = cluster i; NULL: no data yet */
	size_t n;
	const struct join_view *join;      /* joined from the same snapshots */
	const struct preflight_live *live; /* n entries, or NULL: none known */
	int64_t now_ns;
	const struct preflight_options *opt; /* NULL: defaults */
};

/* Runs every cluster check on every cluster with a snapshot, then every pair
 * check on every pair of the join, appending to OUT (zeroed, or a report to
 * add to). Results come in check order, cluster by cluster, then pair by
 * pair. Returns 0, or -1 when out of memory (OUT keeps what was added). */
int preflight_run(const struct preflight_input *in, struct preflight_report *out);

/* What a reader that checks again and again (the dashboard) keeps from one
 * run to the next. preflight_memo_run() gives the report preflight_run()
 * would, running the cluster checks only of the clusters whose snapshot
 * brought new data (store_snapshot_same) and the pair checks only of the
 * pairs with such a cluster at an end, or whose ends or judgment changed,
 * or whose exports were computed anew, or that lack an end (their checks
 * count time); the other results are those of the last run. The memo holds
 * a reference to the snapshots of its last run. One thread at a time. */
struct preflight_memo;
struct preflight_memo *preflight_memo_new(void);    /* NULL when out of memory */
void preflight_memo_free(struct preflight_memo *m); /* NULL is fine */
/* The report for IN (its live must be NULL: derived from the snapshots),
 * valid until the next run with M; NULL when out of memory. */
const struct preflight_report *preflight_memo_run(struct preflight_memo *m,
                                                  const struct preflight_input *in);
/* How many results the runs with M computed (not reused), for tests. */
size_t preflight_memo_reran(const struct preflight_memo *m);

/* ------------------------------------------------------- Helm values files */

/* A problem that stops the linting of a file: missing, unreadable, not
 * YAML, not a mapping. The text names the file (and line:column). */
struct preflight_values_error {
	char text[600];
};

/* Lints the Helm values files FILES[0..N-1] for cluster peering, merged as
 * Helm merges `-f` files: later files win, mappings merge key by key,
 * anything else is replaced. Aliases are resolved and "<<" merge keys
 * applied as Helm's YAML reader does; a file's documents after the first
 * are ignored by Helm, and a warning says so. Appends one result per check
 * of the values to OUT. Returns 0; -1 with ERR filled when a file cannot be
 * linted (nothing is appended then), or when out of memory. */
int preflight_values_lint(const char *const *files, size_t n, struct preflight_report *out,
                          struct preflight_values_error *err);

/* ---------------------------------------------------------------- output */

enum preflight_format {
	PREFLIGHT_TABLE,
	PREFLIGHT_JSON,
};

/* The results as a table: one line per result (location or subject,
 * verdict, check, what was seen, what is required), the fix under each
 * result that has one, and a summary line. */
void preflight_print_table(FILE *out, const struct preflight_report *r);
/* The results as the JSON document of doc/peerscope-check-json.md. KIND:
 * "values" or "clusters"; FILES: the values files read (for "values").
 * malloc'd text, NULL when out of memory. */
char *preflight_json(const struct preflight_report *r, const char *kind, const char *const *files,
                     size_t nfiles, bool strict);

/* The results of live checks as that document, kind "clusters": CLUSTERS
 * the names checked, COMPLETE false when a source had not answered by the
 * deadline. */
char *preflight_json_clusters(const struct preflight_report *r, const char *const *clusters,
                              size_t n, bool complete, bool strict);

/* `peerscope check values FILE...`: lints FILES and prints the report to
 * OUT in FORMAT ("table", "json"; NULL: table), errors to ERR. Returns the
 * exit status: 0 when nothing fails (warnings and unknowns fail only when
 * STRICT), 1 when something fails, 2 when FORMAT is wrong or a file cannot
 * be linted. */
int preflight_values_main(const char *const *files, size_t n, const char *format, bool strict,
                          FILE *out, FILE *err);

/* ----------------------------------------------------- shared small rules */

/* True when VERSION ("1.14.1", "v1.0.0-rc1", "1.17.3+ent") is at least
 * MAJOR.MINOR.PATCH; *ok false when it is not a version. */
bool preflight_version_at_least(const char *version, int major, int minor, int patch, bool *ok);
/* True when NAME is a peer name Consul accepts: a lower-case DNS label of
 * at most 63 characters. */
bool preflight_peer_name_valid(const char *name);
/* NULL when ADDRESS (an IP or a host name) can be dialled from another
 * network as far as its text tells; else why not: "loopback",
 * "link-local", "unspecified", "empty". */
const char *preflight_address_unroutable(const char *address);
/* The tag of an image reference ("hashicorp/consul:1.14.1" -> "1.14.1",
 * "registry:5000/consul" -> ""), "" for none or a digest. */
const char *preflight_image_tag(const char *image, char *buf, size_t len);

#endif
