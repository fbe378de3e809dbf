/* preflight: the checks of what Kubernetes says about a cluster: the
 * consul-k8s version and Helm values, the CRDs served, the peering
 * resources' hygiene. */
#include "autoconfig.h"

#include "preflight_internal.h"

#include "peerscope/kube.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ Helm */

static void no_release(const struct store_snapshot *s, struct pf_draft *r)
{
	pf_verdict(r, PREFLIGHT_UNKNOWN, "no deployed Helm release of the consul chart");
	pf_fix(r, "check by hand: helm list -A%s%s", *s->context ? " --kube-context " : "",
	       s->context);
}

/* True when the Helm release can be judged; else r says why not. */
static bool helm_read(const struct store_snapshot *s, struct pf_draft *r)
{
	if (pf_no_kube(s, r))
		return false;
	if (s->has_helm)
		return true;
	if (!pf_unread(s, STORE_SRC_KUBE_HELM, "the consul chart's Helm release", r))
		no_release(s, r);
	return false;
}

/* "Helm release consul/consul (revision 3)" */
static const char *release_name(const struct model_kube_helm *h, char *buf, size_t len)
{
	snprintf(buf, len, "Helm release %s/%s (revision %d)", h->ns, h->release, h->revision);
	return buf;
}

static void helm_bool(const struct pf_cluster *c, struct pf_draft *r, const char *path, bool value)
{
	char rel[200], set[96];

	if (!helm_read(c->s, r))
		return;
	pf_required(r, "true");
	pf_seen(r, "%s", value ? "true" : "false");
	pf_verdict(r, value ? PREFLIGHT_OK : PREFLIGHT_FAIL, "%s values %s=%s",
	           release_name(c->s->helm, rel, sizeof rel), path, value ? "true" : "false");
	if (value)
		return;
	snprintf(set, sizeof set, "%s=true", path);
	pf_helm_fix(r, c->s, set);
}

void pf_helm_peering(const struct pf_cluster *c, struct pf_draft *r)
{
	helm_bool(c, r, "global.peering.enabled", c->s->has_helm && c->s->helm->peering_enabled);
}

void pf_helm_tls(const struct pf_cluster *c, struct pf_draft *r)
{
	helm_bool(c, r, "global.tls.enabled", c->s->has_helm && c->s->helm->tls_enabled);
}

void pf_helm_mesh_gateway(const struct pf_cluster *c, struct pf_draft *r)
{
	helm_bool(c, r, "meshGateway.enabled", c->s->has_helm && c->s->helm->mesh_gateway_enabled);
}

void pf_helm_connect_inject(const struct pf_cluster *c, struct pf_draft *r)
{
	helm_bool(c, r, "connectInject.enabled",
	          c->s->has_helm && c->s->helm->connect_inject_enabled);
}

void pf_helm_replicas(const struct pf_cluster *c, struct pf_draft *r)
{
	const struct model_kube_helm *h = c->s->helm;
	char rel[200];

	if (!helm_read(c->s, r))
		return;
	if (!h->mesh_gateway_enabled) {
		pf_verdict(r, PREFLIGHT_SKIP,
		           "meshGateway.enabled=false: no gateway Deployment "
		           "(helm-mesh-gateway-enabled)");
		return;
	}
	pf_required(r, ">= 1");
	pf_seen(r, "%d", h->mesh_gateway_replicas);
	pf_verdict(r, h->mesh_gateway_replicas >= 1 ? PREFLIGHT_OK : PREFLIGHT_FAIL,
	           "%s values meshGateway.replicas=%d", release_name(h, rel, sizeof rel),
	           h->mesh_gateway_replicas);
	if (r->verdict != PREFLIGHT_OK)
		pf_helm_fix(r, c->s, "meshGateway.replicas=1");
}

/* 1 when the cluster runs Consul Enterprise, as its agent or its Helm
 * values say, 0 when not, -1 when neither was read. */
static int enterprise(const struct store_snapshot *s)
{
	if (s->has_identity && *s->identity->version)
		return s->identity->enterprise;
	if (!s->has_helm)
		return -1;
	return strstr(s->helm->image, "enterprise") || strstr(s->helm->image, "-ent") ||
	       s->helm->admin_partitions_enabled;
}

void pf_helm_admin_partitions(const struct pf_cluster *c, struct pf_draft *r)
{
	const struct store_snapshot *s = c->s;
	const struct model_kube_helm *h = s->helm;
	char rel[200];
	int ent = enterprise(s);

	if (pf_no_kube(s, r))
		return;
	if (ent < 0) {
		if (!pf_unread(s, STORE_SRC_IDENTITY, "the Consul agent (/v1/agent/self)", r))
			helm_read(s, r);
		return;
	}
	if (!ent) {
		pf_verdict(r, PREFLIGHT_SKIP, "not Consul Enterprise: no admin partitions");
		return;
	}
	if (!helm_read(s, r))
		return;
	release_name(h, rel, sizeof rel);
	pf_seen(r, "%s", h->admin_partitions_enabled ? "true" : "false");
	if (!h->admin_partitions_enabled) {
		pf_verdict(r, PREFLIGHT_OK,
		           "%s values global.adminPartitions.enabled=false: the mesh gateway, the "
		           "exported services and their entry are all in the default partition",
		           rel);
		return;
	}
	pf_required(r, "global.enableConsulNamespaces=true");
	pf_verdict(r, h->consul_namespaces_enabled ? PREFLIGHT_OK : PREFLIGHT_FAIL,
	           "%s values global.adminPartitions.enabled=true, name=%s, "
	           "global.enableConsulNamespaces=%s",
	           rel, h->admin_partition_name, h->consul_namespaces_enabled ? "true" : "false");
	if (!h->consul_namespaces_enabled)
		pf_helm_fix(r, s,
		            "global.enableConsulNamespaces=true (the chart requires it with "
		            "admin partitions)");
}

/* ---------------------------------------------------------------- version */

void pf_consul_k8s_version(const struct pf_cluster *c, struct pf_draft *r)
{
	const struct store_snapshot *s = c->s;
	const char *v, *image = c->live->controller_image;
	char from[300], tag[128], ctx[160] = "", kc[200];
	bool ok, recent;

	pf_required(r, ">= 1.0.0");
	if (pf_no_kube(s, r))
		return;
	if (s->has_helm) {
		v = s->helm->chart_version;
		release_name(s->helm, from, sizeof from);
		snprintf(from + strlen(from), sizeof from - strlen(from), " chart consul-%s", v);
	} else if (image && *image) {
		v = preflight_image_tag(image, tag, sizeof tag);
		snprintf(from, sizeof from, "consul-k8s controllers' image %s%s%s", image,
		         c->live->controller_where && *c->live->controller_where ? " in " : "",
		         c->live->controller_where ? c->live->controller_where : "");
	} else {
		const char *why = c->live->controller_why;
		if (!pf_unread(s, STORE_SRC_KUBE_HELM, "the consul chart's Helm release", r))
			no_release(s, r);
		if (image)
			pf_more(r,
			        "; no connect-injector Deployment (labels " KUBE_INJECTOR_SELECTOR
			        ") was found");
		else if (why && *why)
			pf_more(r, "; the consul-k8s controllers' image: %s", why);
		else
			pf_more(r, "; not fetched yet: the consul-k8s controllers' image");
		pf_fix(r,
		       "check by hand: %s get deployments -l " KUBE_INJECTOR_SELECTOR " -o "
		       "jsonpath='{..image}'",
		       pf_kubectl(s, kc, sizeof kc));
		return;
	}
	pf_seen(r, "%s", v);
	recent = preflight_version_at_least(v, 1, 0, 0, &ok);
	if (!ok) {
		pf_verdict(r, PREFLIGHT_UNKNOWN, "%s: \"%s\" is not a version", from, v);
		pf_fix(r, "check by hand: helm list -A%s%s (the chart's version)",
		       *s->context ? " --kube-context " : "", s->context);
		return;
	}
	pf_verdict(r, recent ? PREFLIGHT_OK : PREFLIGHT_FAIL, "%s", from);
	if (recent)
		return;
	if (*s->context)
		snprintf(ctx, sizeof ctx, " --kube-context %s", s->context);
	pf_fix(r,
	       "helm upgrade %s hashicorp/consul%s -n %s --reuse-values --version 1.0.0 (or a "
	       "newer consul-k8s)",
	       pf_release(s), ctx, pf_ns(s));
}

/* ------------------------------------------------------------ controllers */

#define NOT_RUNNING                                                                                \
	"the consul-k8s controllers are not running: PeeringAcceptor, PeeringDialer and config "   \
	"entry resources are not reconciled"

/* "Deployment consul/consul-connect-injector: 0/1 ready, 0 available,
 * Available=False (MinimumReplicasUnavailable: Deployment does not have
 * minimum availability.)", after "; " unless FIRST. */
static void deployment_evidence(struct pf_draft *r, const struct model_kube_deployment *d,
                                bool first)
{
	pf_more(r, "%sDeployment %s/%s: %lld/%lld ready, %lld available", first ? "" : "; ",
	        d->meta.ns, d->meta.name, (long long)d->ready, (long long)d->replicas,
	        (long long)d->available);
	if (d->available_status == MODEL_COND_UNSET)
		pf_more(r, ", no Available condition yet");
	else
		pf_more(r, ", Available=%s (%s%s%s)", model_cond_name(d->available_status),
		        d->available_reason, *d->available_message ? ": " : "",
		        d->available_message);
	if (d->observed_generation < d->meta.generation)
		pf_more(r, " (status of generation %lld, the spec is at %lld)",
		        (long long)d->observed_generation, (long long)d->meta.generation);
}

/* No connect-injector Deployment in the namespace read: a fail when the
 * Helm release there says the chart installs one, else unknown (the chart
 * may live in another namespace). */
static void no_controllers(const struct pf_cluster *c, struct pf_draft *r)
{
	const struct store_snapshot *s = c->s;
	char rel[200], kc[200];

	pf_seen(r, "none");
	if (s->has_helm && !s->helm->connect_inject_enabled) {
		pf_verdict(r, PREFLIGHT_SKIP,
		           "connectInject.enabled=false: no controllers "
		           "(helm-connect-inject-enabled)");
		return;
	}
	if (s->has_helm) {
		pf_verdict(r, PREFLIGHT_FAIL,
		           NOT_RUNNING "; %s installs the connect-injector, but no Deployment "
		                       "labelled " KUBE_INJECTOR_SELECTOR " is in namespace %s",
		           release_name(s->helm, rel, sizeof rel), s->helm->ns);
		pf_fix(r,
		       "%s get deployments,replicasets -l " KUBE_INJECTOR_SELECTOR
		       " (helm upgrade with --reuse-values installs it again)",
		       pf_kubectl(s, kc, sizeof kc));
		return;
	}
	pf_verdict(r, PREFLIGHT_UNKNOWN,
	           "no Deployment labelled " KUBE_INJECTOR_SELECTOR
	           " in the namespace read, and no Helm release of the consul chart there");
	pf_fix(r,
	       "check by hand: kubectl%s%s get deployments -A -l " KUBE_INJECTOR_SELECTOR
	       " (and set the cluster's namespace to the chart's)",
	       *s->context ? " --context " : "", s->context);
}

/* The consul-k8s controllers and webhooks run in the connect-injector
 * Deployment, on one manager (consul-k8s
 * control-plane/subcommand/inject-connect/v1controllers.go): one available
 * replica runs them all (they elect a leader). */
void pf_controllers_ready(const struct pf_cluster *c, struct pf_draft *r)
{
	const struct store_snapshot *s = c->s;
	const struct preflight_live *l = c->live;
	const struct model_kube_deployment *down = NULL;
	long long want = 0, ready = 0, avail = 0;
	bool unavailable = false;
	char kc[320];

	pf_required(r, ">= 1 available");
	if (pf_no_kube(s, r))
		return;
	if (!l->controllers_known) {
		pf_verdict(r, PREFLIGHT_UNKNOWN, "%s",
		           l->controllers_why
		                   ? l->controllers_why
		                   : "not fetched yet: the connect-injector Deployments");
		pf_fix(r,
		       "grant peerscope's Kubernetes user list and watch on deployments.apps in "
		       "namespace %s, or check by hand: %s get deployments "
		       "-l " KUBE_INJECTOR_SELECTOR,
		       pf_ns(s), pf_kubectl(s, kc, sizeof kc));
		return;
	}
	if (l->ncontrollers == 0) {
		no_controllers(c, r);
		return;
	}
	for (size_t i = 0; i < l->ncontrollers; i++) {
		const struct model_kube_deployment *d = &l->controllers[i];
		want += d->replicas;
		ready += d->ready;
		avail += d->available;
		unavailable |= d->available_status == MODEL_COND_FALSE;
		if (!down && (d->available < 1 || d->available_status == MODEL_COND_FALSE))
			down = d;
	}
	pf_seen(r, "%lld/%lld ready", ready, want);
	if (avail >= 1) {
		pf_verdict(r, unavailable ? PREFLIGHT_WARN : PREFLIGHT_OK, "%s",
		           unavailable ? "the consul-k8s controllers run, below the minimum "
		                         "availability of their Deployment: "
		                       : "");
		for (size_t i = 0; i < l->ncontrollers; i++)
			deployment_evidence(r, &l->controllers[i], i == 0);
	} else {
		pf_verdict(r, PREFLIGHT_FAIL, NOT_RUNNING);
		for (size_t i = 0; i < l->ncontrollers; i++)
			deployment_evidence(r, &l->controllers[i], false);
	}
	if (r->verdict == PREFLIGHT_OK || !down)
		return;
	if (*s->context)
		snprintf(kc, sizeof kc, "kubectl --context %s -n %s", s->context, down->meta.ns);
	else
		snprintf(kc, sizeof kc, "kubectl -n %s", down->meta.ns);
	if (down->replicas == 0)
		pf_fix(r,
		       "%s scale deployment %s --replicas=1 (or helm upgrade --set "
		       "connectInject.replicas=1)",
		       kc, down->meta.name);
	else
		pf_fix(r,
		       "%s describe deployment %s (its events and pods say why), then %s rollout "
		       "status deployment %s",
		       kc, down->meta.name, kc, down->meta.name);
}

/* ------------------------------------------------------------------- CRDs */

struct crd {
	const char *plural;
	bool served;
};

static void crds(const struct pf_cluster *c, struct pf_draft *r, const struct crd *want, size_t n,
                 const char *setting)
{
	const struct store_snapshot *s = c->s;
	const struct store_crds *d = &s->crds;
	size_t missing = 0;

	if (pf_no_kube(s, r))
		return;
	if (pf_unread(s, STORE_SRC_KUBE_CRDS, "the consul.hashicorp.com API group", r))
		return;
	pf_required(r, "served at " KUBE_VERSION);
	if (!d->group_served) {
		pf_seen(r, "not served");
		pf_verdict(r, PREFLIGHT_FAIL,
		           "GET /apis/consul.hashicorp.com: the group is not served (consul-k8s's "
		           "CRDs are not installed)");
		pf_helm_fix(r, s, setting);
		return;
	}
	pf_seen(r, "%s", d->version);
	pf_verdict(r, PREFLIGHT_OK, "GET /apis/consul.hashicorp.com/%s serves", d->version);
	for (size_t i = 0; i < n; i++)
		if (want[i].served)
			pf_more(r, " %s", want[i].plural);
	for (size_t i = 0; i < n; i++)
		if (!want[i].served)
			pf_more(r, "%s %s", missing++ ? "," : "; not", want[i].plural);
	if (missing) {
		r->verdict = PREFLIGHT_FAIL;
		pf_helm_fix(r, s, setting);
		return;
	}
	if (strcmp(d->version, KUBE_VERSION)) {
		r->verdict = PREFLIGHT_WARN;
		pf_more(r, " (the preferred version; peerscope speaks " KUBE_VERSION ")");
		pf_fix(r,
		       "use a consul-k8s release that serves consul.hashicorp.com/" KUBE_VERSION);
	}
}

void pf_crds_peering(const struct pf_cluster *c, struct pf_draft *r)
{
	const struct crd want[] = {{"peeringacceptors", c->s->crds.peering_acceptors},
	                           {"peeringdialers", c->s->crds.peering_dialers}};

	crds(c, r, want, 2,
	     "global.peering.enabled=true,connectInject.enabled=true (they install "
	     "the peering CRDs)");
}

void pf_crds_config_entries(const struct pf_cluster *c, struct pf_draft *r)
{
	const struct crd want[] = {{"meshes", c->s->crds.meshes},
	                           {"proxydefaults", c->s->crds.proxy_defaults},
	                           {"exportedservices", c->s->crds.exported_services}};

	crds(c, r, want, 3, "connectInject.enabled=true (it installs the config entry CRDs)");
}

/* -------------------------------------------------------------- hygiene */

void pf_acceptor_secret_shared(const struct pf_cluster *c, struct pf_draft *r)
{
	const struct store_snapshot *s = c->s;
	const struct store_kube_peerings *a = s->acceptors;
	char kc[200];

	if (pf_no_kube(s, r))
		return;
	if (pf_unread(s, STORE_SRC_KUBE_ACCEPTORS, "the PeeringAcceptors", r))
		return;
	if (a->n == 0) {
		pf_verdict(r, PREFLIGHT_SKIP, "no PeeringAcceptor");
		return;
	}
	pf_required(r, "one Secret per acceptor");
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = i + 1; j < a->n; j++) {
			const struct model_kube_peering *x = &a->v[i], *y = &a->v[j];
			if (!*x->spec_secret.name || strcmp(x->meta.ns, y->meta.ns) ||
			    strcmp(x->spec_secret.name, y->spec_secret.name))
				continue;
			pf_seen(r, "%s", x->spec_secret.name);
			pf_verdict(r, PREFLIGHT_FAIL,
			           "PeeringAcceptors %s and %s (namespace %s) both write Secret %s",
			           x->meta.name, y->meta.name, x->meta.ns, x->spec_secret.name);
			pf_fix(r,
			       "%s edit peeringacceptor %s: give it its own spec.peer.secret.name "
			       "(each "
			       "acceptor overwrites the Secret with its own token)",
			       pf_kubectl(s, kc, sizeof kc), y->meta.name);
			return;
		}
	pf_seen(r, "%zu", a->n);
	pf_verdict(r, PREFLIGHT_OK, "%zu PeeringAcceptor%s, each with its own Secret", a->n,
	           a->n == 1 ? "" : "s");
}

/* A name Consul would take instead of NAME, for the fix. */
static const char *suggest_name(const char *name, char *buf, size_t len)
{
	size_t n = 0;

	for (const char *p = name; *p && n + 1 < len && n < 63; p++) {
		char ch = (char)tolower((unsigned char)*p);
		if (!isalnum((unsigned char)ch))
			ch = '-';
		if (ch == '-' && (n == 0 || buf[n - 1] == '-'))
			continue;
		buf[n++] = ch;
	}
	while (n && buf[n - 1] == '-')
		n--;
	buf[n] = '\0';
	return n ? buf : "cluster-02";
}

struct names {
	size_t checked;
	const char *bad;
	const char *what;
	const char *ns;
};

static void name_check(struct names *nm, const char *name, const char *what, const char *ns)
{
	nm->checked++;
	if (nm->bad || preflight_peer_name_valid(name))
		return;
	nm->bad = name;
	nm->what = what;
	nm->ns = ns;
}

void pf_peer_name(const struct pf_cluster *c, struct pf_draft *r)
{
	const struct store_snapshot *s = c->s;
	struct names nm = {0};
	struct pf_exports e;
	char where[160], good[64], kc[200];
	bool crs = s->kube_configured && pf_has_data(s, STORE_SRC_KUBE_ACCEPTORS) &&
	           pf_has_data(s, STORE_SRC_KUBE_DIALERS);

	pf_exports_of(s, &e, where, sizeof where);
	for (size_t i = 0; crs && i < s->acceptors->n; i++)
		name_check(&nm, s->acceptors->v[i].meta.name, "PeeringAcceptor",
		           s->acceptors->v[i].meta.ns);
	for (size_t i = 0; crs && i < s->dialers->n; i++)
		name_check(&nm, s->dialers->v[i].meta.name, "PeeringDialer",
		           s->dialers->v[i].meta.ns);
	for (size_t i = 0; i < e.n; i++)
		for (size_t k = 0; k < e.v[i].nconsumers; k++)
			if (e.v[i].consumers[k].peer && *e.v[i].consumers[k].peer)
				name_check(&nm, e.v[i].consumers[k].peer, "consumer peer of", "");
	pf_required(r, "a lower-case DNS label of at most 63 characters");
	if (nm.bad) {
		pf_seen(r, "%s", nm.bad);
		if (*nm.ns) {
			pf_verdict(r, PREFLIGHT_FAIL, "%s %s/%s: Consul refuses this peer name",
			           nm.what, nm.ns, nm.bad);
			pf_fix(r, "%s: recreate %s %s as %s (lower-case letters, digits and '-')",
			       pf_kubectl(s, kc, sizeof kc), nm.what, nm.bad,
			       suggest_name(nm.bad, good, sizeof good));
		} else {
			pf_verdict(r, PREFLIGHT_FAIL, "%s %s: Consul refuses this peer name (%s)",
			           nm.what, where, nm.bad);
			pf_fix(r,
			       "use the peer's name as Consul knows it (lower-case letters, digits "
			       "and '-'), e.g. %s",
			       suggest_name(nm.bad, good, sizeof good));
		}
		return;
	}
	if (nm.checked) {
		pf_seen(r, "%zu names", nm.checked);
		pf_verdict(r, PREFLIGHT_OK,
		           "%zu peer name%s (PeeringAcceptors, PeeringDialers, "
		           "exported-services consumers) Consul accepts",
		           nm.checked, nm.checked == 1 ? "" : "s");
		return;
	}
	if (s->kube_configured && !crs) {
		if (!pf_unread(s, STORE_SRC_KUBE_ACCEPTORS, "the PeeringAcceptors", r))
			pf_unread(s, STORE_SRC_KUBE_DIALERS, "the PeeringDialers", r);
		return;
	}
	pf_verdict(r, PREFLIGHT_SKIP,
	           "no PeeringAcceptor, PeeringDialer or exported-services "
	           "consumer names a peer");
}
