/* preflight: the rules of the specification applied to Helm values files,
 * offline. Each result carries the file:line:column of the value seen (or,
 * for a value not written, of the nearest key above it) and the check id of
 * the live check it stands for. Defaults are those of the consul chart's
 * values.yaml (consul-k8s charts/consul/values.yaml). */
#include "autoconfig.h"

#include "preflight_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lint {
	const struct pf_values *v;
	struct preflight_report *out;
	size_t nfiles;
	const char *const *files;
	int failed;        /* out of memory */
	struct pf_draft d; /* the result being filled, when open */
	bool open;
};

/* The result being filled, into the report. */
static void commit(struct lint *l)
{
	if (l->open && !l->failed && pf_report_put(l->out, &l->d) < 0)
		l->failed = -1;
	l->open = false;
}

/* A result of check ID about PATH, located at its value (or what is
 * nearest); NULL when out of memory. *NODE is the value, NULL when absent. */
static struct pf_draft *add(struct lint *l, const char *id, const char *path,
                            const struct pf_vnode **node)
{
	const struct pf_vpair *near = NULL;
	const struct pf_vnode *n = path ? pf_values_get(l->v, path, &near) : NULL;
	const struct preflight_check *c = preflight_check_find(id);
	struct pf_draft *r = &l->d;

	if (node)
		*node = n;
	commit(l);
	if (!c || l->failed) {
		l->failed = -1;
		return NULL;
	}
	pf_draft_init(r, c);
	l->open = true;
	snprintf(r->subject, sizeof r->subject, "values");
	snprintf(r->path, sizeof r->path, "%s", path ? path : "");
	if (n) {
		r->file = n->file;
		r->line = n->line;
		r->column = n->column;
	} else if (near) {
		r->file = near->file;
		r->line = near->line;
		r->column = near->column;
	} else {
		r->file = l->v->root->file;
		r->line = l->v->root->line;
		r->column = l->v->root->column;
	}
	return r;
}

static const char *kind_text(const struct pf_vnode *n)
{
	switch (n->kind) {
	case PF_V_MAP:
		return "a mapping";
	case PF_V_SEQ:
		return "a list";
	case PF_V_INT:
		return "a number";
	case PF_V_BOOL:
		return "a boolean";
	case PF_V_NULL:
		return "null";
	default:
		return "a string";
	}
}

/* The boolean at PATH as the chart reads it; DEFLT when not written.
 * *SURE false when the value is not a plain boolean. */
static bool bool_at(const struct lint *l, const char *path, bool deflt, bool *sure)
{
	const struct pf_vpair *near;
	const struct pf_vnode *n = pf_values_get(l->v, path, &near);

	if (sure)
		*sure = !n || n->kind == PF_V_BOOL;
	if (!n)
		return deflt;
	if (n->kind == PF_V_BOOL)
		return n->b;
	/* Go templates: any non-empty string is true, null is false. */
	return n->kind == PF_V_STR ? *n->text != '\0' : false;
}

static const char *str_at(const struct lint *l, const char *path, const char *deflt)
{
	const struct pf_vpair *near;
	const struct pf_vnode *n = pf_values_get(l->v, path, &near);

	return n && (n->kind == PF_V_STR || n->kind == PF_V_INT) ? n->text : n ? "" : deflt;
}

/* ------------------------------------------------------------- booleans */

/* PATH must be true. DEFLT: the chart's default; INHERIT: the value that
 * "-" stands for, or NULL when "-" means nothing special. */
static void must_be_true(struct lint *l, const char *id, const char *path, bool deflt,
                         const char *inherit)
{
	const struct pf_vnode *n;
	struct pf_draft *r = add(l, id, path, &n);

	if (!r)
		return;
	pf_required(r, "true");
	pf_fix(r, "set %s: true (a boolean, without quotes)", path);
	if (!n) {
		pf_seen(r, "not set");
		pf_verdict(r, deflt ? PREFLIGHT_OK : PREFLIGHT_FAIL,
		           "%s is not set; the chart's default is %s", path,
		           deflt ? "true" : "false");
	} else if (n->kind == PF_V_BOOL) {
		pf_seen(r, "%s", n->b ? "true" : "false");
		pf_verdict(r, n->b ? PREFLIGHT_OK : PREFLIGHT_FAIL, "%s: %s", path, n->text);
	} else if (n->kind == PF_V_STR && inherit && !strcmp(n->text, "-")) {
		bool sure, v = bool_at(l, inherit, true, &sure);
		pf_seen(r, "\"-\" (%s: %s)", inherit, v ? "true" : "false");
		pf_verdict(r, v ? PREFLIGHT_OK : PREFLIGHT_FAIL,
		           "%s: \"-\" follows %s, which is %s", path, inherit,
		           v ? "true" : "false");
	} else if (n->kind == PF_V_STR) {
		pf_seen(r, "\"%s\"", n->text);
		pf_verdict(r, PREFLIGHT_WARN,
		           "%s: \"%s\" is a string, not a boolean: the chart's templates take any "
		           "non-empty string as true",
		           path, n->text);
	} else {
		pf_seen(r, "%s", n->kind == PF_V_NULL ? "null" : n->text);
		pf_verdict(r, PREFLIGHT_FAIL, "%s is %s%s", path, kind_text(n),
		           n->kind == PF_V_NULL
		                   ? ": null drops the chart's default, the chart then "
		                     "reads false"
		                   : ", not a boolean");
	}
	if (r->verdict == PREFLIGHT_OK)
		r->fix[0] = '\0';
}

static void replicas(struct lint *l)
{
	const struct pf_vnode *n;
	struct pf_draft *r = add(l, "helm-mesh-gateway-replicas", "meshGateway.replicas", &n);
	char *end;

	if (!r)
		return;
	if (!bool_at(l, "meshGateway.enabled", false, NULL)) {
		pf_verdict(r, PREFLIGHT_SKIP,
		           "meshGateway.enabled is not true: no gateway Deployment "
		           "(helm-mesh-gateway-enabled)");
		return;
	}
	pf_required(r, ">= 1");
	if (!n) {
		pf_seen(r, "not set");
		pf_verdict(r, PREFLIGHT_OK,
		           "meshGateway.replicas is not set; the chart's default is 1");
		return;
	}
	pf_seen(r, "%s", n->text);
	pf_fix(r, "set meshGateway.replicas: 1 (or more)");
	if (n->kind == PF_V_INT) {
		pf_verdict(r, n->i >= 1 ? PREFLIGHT_OK : PREFLIGHT_FAIL,
		           "meshGateway.replicas: %lld", n->i);
	} else if (n->kind == PF_V_STR && strtol(n->text, &end, 10) >= 1 && !*end) {
		pf_verdict(r, PREFLIGHT_WARN,
		           "meshGateway.replicas: \"%s\" is a string, not a number", n->text);
	} else {
		pf_verdict(r, PREFLIGHT_FAIL,
		           "meshGateway.replicas is %s, not a number of at least 1", kind_text(n));
	}
	if (r->verdict == PREFLIGHT_OK)
		r->fix[0] = '\0';
}

/* --------------------------------------------------------------- images */

/* An image at PATH must carry a version of at least MAJOR.MINOR.PATCH. */
static void image_version(struct lint *l, const char *id, const char *path, int major, int minor,
                          int patch, const char *unset, const char *fix)
{
	const struct pf_vnode *n;
	struct pf_draft *r = add(l, id, path, &n);
	char tag[128];
	bool ok;

	if (!r)
		return;
	if (!n || n->kind == PF_V_NULL) {
		pf_verdict(r, PREFLIGHT_SKIP, "%s is not set: %s", path, unset);
		return;
	}
	pf_required(r, ">= %d.%d.%d", major, minor, patch);
	pf_fix(r, "%s", fix);
	pf_seen(r, "%s", n->text);
	if (n->kind != PF_V_STR) {
		pf_verdict(r, PREFLIGHT_FAIL, "%s is %s, not an image", path, kind_text(n));
		return;
	}
	preflight_image_tag(n->text, tag, sizeof tag);
	if (!*tag) {
		pf_verdict(r, PREFLIGHT_WARN,
		           "%s: %s has no tag (or only a digest): its version cannot be told", path,
		           n->text);
		return;
	}
	bool recent = preflight_version_at_least(tag, major, minor, patch, &ok);
	if (!ok) {
		pf_verdict(r, PREFLIGHT_WARN, "%s: tag %s is not a version; pin one", path, tag);
		return;
	}
	pf_verdict(r, recent ? PREFLIGHT_OK : PREFLIGHT_FAIL, "%s: %s (version %s)", path, n->text,
	           tag);
	if (recent)
		r->fix[0] = '\0';
}

/* ------------------------------------------------------------ Enterprise */

static bool enterprise(const struct lint *l, char *why, size_t len)
{
	const char *image = str_at(l, "global.image", "");
	char tag[128];

	preflight_image_tag(image, tag, sizeof tag);
	if (strstr(image, "consul-enterprise") || strstr(tag, "-ent") || strstr(tag, "+ent")) {
		snprintf(why, len, "global.image %s", image);
		return true;
	}
	if (*str_at(l, "global.enterpriseLicense.secretName", "")) {
		snprintf(why, len, "global.enterpriseLicense.secretName is set");
		return true;
	}
	if (bool_at(l, "global.adminPartitions.enabled", false, NULL)) {
		snprintf(why, len, "global.adminPartitions.enabled is true");
		return true;
	}
	return false;
}

static void admin_partitions(struct lint *l)
{
	const struct pf_vnode *n;
	struct pf_draft *r = add(l, "helm-admin-partitions", "global.adminPartitions.enabled", &n);
	char why[300];

	if (!r)
		return;
	if (!enterprise(l, why, sizeof why)) {
		pf_verdict(r, PREFLIGHT_SKIP,
		           "nothing says Consul Enterprise (global.image, "
		           "global.enterpriseLicense, global.adminPartitions)");
		return;
	}
	if (!bool_at(l, "global.adminPartitions.enabled", false, NULL)) {
		pf_seen(r, "false");
		pf_verdict(r, PREFLIGHT_OK,
		           "Enterprise (%s); global.adminPartitions.enabled is false: the mesh "
		           "gateway, "
		           "the exported services and their entry are all in the default partition",
		           why);
		return;
	}
	const char *name = str_at(l, "global.adminPartitions.name", "default");
	pf_seen(r, "true, partition %s", name);
	pf_required(r, "global.enableConsulNamespaces: true");
	if (!bool_at(l, "global.enableConsulNamespaces", false, NULL)) {
		pf_verdict(
		        r, PREFLIGHT_FAIL,
		        "global.adminPartitions.enabled is true but global.enableConsulNamespaces "
		        "is not (the chart refuses it)");
		pf_fix(r, "set global.enableConsulNamespaces: true");
		return;
	}
	if (strcmp(name, "default") && !bool_at(l, "externalServers.enabled", false, NULL)) {
		pf_required(r, "externalServers.enabled: true");
		pf_verdict(
		        r, PREFLIGHT_FAIL,
		        "partition %s is not the default partition, and externalServers.enabled is "
		        "not true (the chart refuses it: the servers run in the default "
		        "partition's "
		        "cluster)",
		        name);
		pf_fix(r, "set externalServers.enabled: true and externalServers.hosts to the "
		          "servers");
		return;
	}
	pf_verdict(r, PREFLIGHT_OK,
	           "partition %s with Consul namespaces: its mesh gateway, exported services and "
	           "exported-services entry go in it",
	           name);
}

/* ---------------------------------------------------------- WAN address */

static void wan_address(struct lint *l)
{
	const struct pf_vnode *n;
	struct pf_draft *r = add(l, "gateway-wan-address", "meshGateway.wanAddress.source", &n);
	const char *source, *why;

	if (!r)
		return;
	if (!bool_at(l, "meshGateway.enabled", false, NULL)) {
		pf_verdict(r, PREFLIGHT_SKIP, "meshGateway.enabled is not true: no gateway");
		return;
	}
	source = str_at(l, "meshGateway.wanAddress.source", "Service");
	pf_seen(r, "%s", source);
	pf_required(r, "an address peers can reach");
	if (strcmp(source, "Service") && strcmp(source, "NodeIP") && strcmp(source, "NodeName") &&
	    strcmp(source, "Static")) {
		pf_verdict(r, PREFLIGHT_FAIL,
		           "meshGateway.wanAddress.source: %s is not Service, NodeIP, NodeName or "
		           "Static",
		           source);
		pf_fix(r,
		       "set meshGateway.wanAddress.source: Service (or NodeIP, NodeName, Static)");
		return;
	}
	if (!strcmp(source, "Static")) {
		const struct pf_vpair *near;
		const struct pf_vnode *st =
		        pf_values_get(l->v, "meshGateway.wanAddress.static", &near);
		const char *addr = st && st->kind == PF_V_STR ? st->text : "";
		if (st) {
			r->file = st->file;
			r->line = st->line;
			r->column = st->column;
			snprintf(r->path, sizeof r->path, "meshGateway.wanAddress.static");
		}
		why = preflight_address_unroutable(addr);
		pf_seen(r, "Static %s", *addr ? addr : "\"\"");
		pf_verdict(r, why ? PREFLIGHT_FAIL : PREFLIGHT_OK,
		           "meshGateway.wanAddress.static: \"%s\"%s%s", addr, why ? " is " : "",
		           why ? why : "");
		if (why)
			pf_fix(r, "set meshGateway.wanAddress.static to an address or DNS name the "
			          "peers "
			          "reach");
		return;
	}
	if (strcmp(source, "Service")) {
		pf_verdict(r, PREFLIGHT_OK, "meshGateway.wanAddress.source: %s", source);
		return;
	}
	const char *type = str_at(l, "meshGateway.service.type", "LoadBalancer");
	const struct pf_vpair *near;
	const struct pf_vnode *port = pf_values_get(l->v, "meshGateway.service.nodePort", &near);
	pf_seen(r, "Service (%s)", type);
	if (!strcmp(type, "NodePort") && (!port || port->kind == PF_V_NULL)) {
		pf_verdict(r, PREFLIGHT_FAIL,
		           "meshGateway.wanAddress.source Service with meshGateway.service.type "
		           "NodePort needs meshGateway.service.nodePort (the chart refuses it)");
		pf_fix(r, "set meshGateway.service.nodePort (e.g. 30100)");
	} else if (!strcmp(type, "ClusterIP")) {
		pf_verdict(r, PREFLIGHT_WARN,
		           "meshGateway.service.type ClusterIP: the cluster IP is seldom reachable "
		           "from "
		           "another cluster");
		pf_fix(r, "set meshGateway.service.type: LoadBalancer (or NodePort with "
		          "meshGateway.service.nodePort)");
	} else {
		pf_verdict(r, PREFLIGHT_OK,
		           "meshGateway.wanAddress.source Service, service type %s", type);
	}
}

/* ----------------------------------------------------------------- mode */

static void global_mode(struct lint *l)
{
	const struct pf_vnode *n;
	struct pf_draft *r = add(l, "mode-none", "meshGateway.globalMode", &n);

	if (!r)
		return;
	if (!n || n->kind == PF_V_NULL) {
		pf_verdict(r, PREFLIGHT_SKIP,
		           "meshGateway.globalMode is not set: the mode is a ProxyDefaults "
		           "resource's, "
		           "not a Helm value");
		return;
	}
	pf_seen(r, "%s", n->text);
	pf_required(r, "not set");
	pf_verdict(r, PREFLIGHT_FAIL,
	           "meshGateway.globalMode: %s is no longer a Helm value (the chart refuses it)%s",
	           n->text,
	           !strcmp(n->text, "none") ? "; none is invalid with cluster peering" : "");
	pf_fix(r, "remove meshGateway.globalMode and apply a ProxyDefaults global with "
	          "spec.meshGateway.mode: remote or local");
}

/* ------------------------------------------------------------ the files */

static void files_note(struct lint *l)
{
	for (size_t i = 0; i < l->v->nnotes; i++) {
		const struct pf_vnote *x = &l->v->notes[i];
		struct pf_draft *r = add(l, "values-file", NULL, NULL);
		if (!r)
			return;
		r->file = x->file;
		r->line = x->line;
		r->column = x->column;
		pf_verdict(r, PREFLIGHT_WARN, "%s", x->text);
		pf_fix(r, "keep one document per values file, each key once");
	}
	if (l->v->nnotes)
		return;
	struct pf_draft *r = add(l, "values-file", NULL, NULL);
	if (!r)
		return;
	pf_verdict(r, PREFLIGHT_OK, "%zu file%s read as Helm reads them:", l->nfiles,
	           l->nfiles == 1 ? "" : "s");
	for (size_t i = 0; i < l->nfiles; i++)
		pf_more(r, " %s", l->files[i]);
}

int preflight_values_lint(const char *const *files, size_t n, struct preflight_report *out,
                          struct preflight_values_error *err)
{
	struct pf_values v = {0};
	struct lint l = {.v = &v, .out = out, .nfiles = n, .files = files};
	size_t before = out->n;

	err->text[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (pf_values_read(&v, files[i], err->text, sizeof err->text) < 0) {
			pf_values_free(&v);
			return -1;
		}
	if (!v.root) {
		snprintf(err->text, sizeof err->text, "no values file to read");
		return -1;
	}
	image_version(&l, "consul-version", "global.image", 1, 14, 0,
	              "the chart's own Consul image (consul-k8s 1.0.0 and later ship Consul 1.14 "
	              "or later)",
	              "set global.image to hashicorp/consul:1.14.1 or newer");
	image_version(
	        &l, "consul-k8s-version", "global.imageK8S", 1, 0, 0,
	        "the chart's own controller image (deploy chart 1.0.0 or later)",
	        "set global.imageK8S to hashicorp/consul-k8s-control-plane:1.0.0 or newer, or "
	        "leave it to the chart");
	must_be_true(&l, "helm-peering-enabled", "global.peering.enabled", false, NULL);
	must_be_true(&l, "helm-tls-enabled", "global.tls.enabled", false, NULL);
	must_be_true(&l, "helm-mesh-gateway-enabled", "meshGateway.enabled", false, NULL);
	replicas(&l);
	must_be_true(&l, "helm-connect-inject-enabled", "connectInject.enabled", true,
	             "global.enabled");
	admin_partitions(&l);
	wan_address(&l);
	global_mode(&l);
	files_note(&l);
	commit(&l);
	pf_values_free(&v);
	if (l.failed) {
		if (out->v)
			preflight_results_free(&out->v[before], out->n - before);
		out->n = before;
		snprintf(err->text, sizeof err->text, "out of memory");
		return -1;
	}
	return 0;
}
