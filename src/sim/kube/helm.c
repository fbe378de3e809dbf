/* peerscope-sim: the Helm release of Consul, as Kubernetes shows it.
 *
 * Helm 3 stores each revision of a release in a Secret of type
 * helm.sh/release.v1 named sh.helm.release.v1.<release>.v<revision>, in the
 * release's namespace, labelled owner=helm, name=<release>, status and
 * version. Its data.release is base64 of gzip of the release JSON, whose
 * "config" member holds the user-supplied values. The simulator keeps the
 * release "consul" in namespace "consul" with the cluster's install as its
 * values, so `helm get values consul -n consul` style readers work, and
 * writes a new revision when the install changes.
 *
 * A release is as large as a real one, so that what reading it costs shows
 * in tests and benchmarks. Helm json.Marshal's the release, gzips it
 * (gzip.BestCompression) and base64s it (helm/helm
 * pkg/storage/driver/util.go encodeRelease), and the release holds the whole
 * chart (213 templates, 1.7 MB, chart.c) and the manifest its templates
 * render to (1.3 MB, the CRDs mostly): some 3.7 MB of JSON, 0.55 MB of
 * gzip, 0.97 MB of data.release on the wire, just under the 1 MiB a Secret
 * may hold, as a consul-k8s release is. */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simk.h"

#define HELM_RELEASE   "consul"
#define HELM_NAMESPACE "consul"
#define SERVER_SERVICE "consul-server"           /* <fullname>-server */
#define INJECTOR       "consul-connect-injector" /* <fullname>-connect-injector */

/* The chart's own defaults for the values peering depends on (consul-k8s
 * charts/consul/values.yaml, API.md §7): a release carries them as
 * chart.values, under the user's "config". */
static const char chart_defaults[] = "global:\n"
                                     "  name: null\n"
                                     "  datacenter: dc1\n"
                                     "  peering:\n"
                                     "    enabled: false\n"
                                     "  tls:\n"
                                     "    enabled: false\n"
                                     "    httpsOnly: true\n"
                                     "    verify: true\n"
                                     "  acls:\n"
                                     "    manageSystemACLs: false\n"
                                     "  adminPartitions:\n"
                                     "    enabled: false\n"
                                     "    name: default\n"
                                     "  enableConsulNamespaces: false\n"
                                     "server:\n"
                                     "  replicas: 1\n"
                                     "connectInject:\n"
                                     "  enabled: true\n"
                                     "  replicas: 1\n"
                                     "meshGateway:\n"
                                     "  enabled: false\n"
                                     "  replicas: 1\n"
                                     "  consulServiceName: mesh-gateway\n"
                                     "  containerPort: 8443\n"
                                     "  service:\n"
                                     "    type: LoadBalancer\n"
                                     "    port: 443\n"
                                     "  wanAddress:\n"
                                     "    source: Service\n"
                                     "    port: 443\n";

/* pkg/release Info; notes are NOTES.txt rendered. */
static cJSON *info_json(int revision, const char *first_deployed, const char *now,
                        const char *notes)
{
	cJSON *info = cJSON_CreateObject();

	cJSON_AddStringToObject(info, "first_deployed", first_deployed);
	cJSON_AddStringToObject(info, "last_deployed", now);
	cJSON_AddStringToObject(info, "deleted", "");
	cJSON_AddStringToObject(info, "description",
	                        revision == 1 ? "Install complete" : "Upgrade complete");
	cJSON_AddStringToObject(info, "status", "deployed");
	cJSON_AddStringToObject(info, "notes", notes);
	return info;
}

/* The chart as Helm keeps it in a release (helm/helm pkg/chart Chart, its
 * members in struct order): metadata, lock (null without dependencies),
 * every template, the default values, schema (null: the chart has no
 * values.schema.json), the other files. */
static cJSON *chart_json(const struct sim_cluster *c, const struct simk_chart *ch)
{
	char err[160];
	cJSON *chart = cJSON_CreateObject(), *meta;

	meta = cJSON_AddObjectToObject(chart, "metadata");
	cJSON_AddStringToObject(meta, "name", "consul");
	cJSON_AddStringToObject(meta, "home", "https://www.consul.io");
	cJSON_AddStringToObject(meta, "version", c->install.consul_k8s_version);
	cJSON_AddStringToObject(meta, "description", "Official HashiCorp Consul Chart");
	cJSON_AddStringToObject(meta, "apiVersion", "v2");
	cJSON_AddStringToObject(meta, "appVersion", c->install.consul_version);
	cJSON_AddNullToObject(chart, "lock");
	cJSON_AddItemToObject(chart, "templates", cJSON_CreateRaw(simk_chart_templates(ch)));
	cJSON_AddItemToObject(
	        chart, "values",
	        simk_yaml_to_json(chart_defaults, sizeof chart_defaults - 1, err, sizeof err));
	cJSON_AddNullToObject(chart, "schema");
	cJSON_AddItemToObject(chart, "files", cJSON_CreateRaw(simk_chart_files(ch)));
	return chart;
}

/* The chart's helm test Pod, a hook (pkg/release Hook): not in the
 * manifest, not run yet (Go's zero time.Time for its last run). */
static cJSON *hook_json(const char *manifest)
{
	cJSON *hook = cJSON_CreateObject(), *run, *events;

	cJSON_AddStringToObject(hook, "name", "consul-tests");
	cJSON_AddStringToObject(hook, "kind", "Pod");
	cJSON_AddStringToObject(hook, "path", "consul/templates/tests/test-runner.yaml");
	cJSON_AddStringToObject(hook, "manifest", manifest);
	events = cJSON_AddArrayToObject(hook, "events");
	cJSON_AddItemToArray(events, cJSON_CreateString("test"));
	run = cJSON_AddObjectToObject(hook, "last_run");
	cJSON_AddStringToObject(run, "started_at", "0001-01-01T00:00:00Z");
	cJSON_AddStringToObject(run, "completed_at", "0001-01-01T00:00:00Z");
	cJSON_AddStringToObject(run, "phase", "");
	return hook;
}

/* The release (pkg/release Release, members in struct order), its chart
 * rendered with the cluster's install. */
static cJSON *release_json(struct sim_cluster *c, const struct simk_chart *ch,
                           const char *values_yaml, int revision, const char *first_deployed,
                           const char *now)
{
	char err[160];
	struct simk_rendered r;
	cJSON *rel, *values;

	if (simk_chart_render(ch, &c->install, &r) < 0)
		return NULL;
	rel = cJSON_CreateObject();
	values = simk_yaml_to_json(values_yaml, strlen(values_yaml), err, sizeof err);
	if (!rel || !cJSON_IsObject(values)) {
		cJSON_Delete(rel);
		cJSON_Delete(values);
		simk_rendered_free(&r);
		return NULL;
	}
	cJSON_AddStringToObject(rel, "name", HELM_RELEASE);
	cJSON_AddItemToObject(rel, "info", info_json(revision, first_deployed, now, r.notes));
	cJSON_AddItemToObject(rel, "chart", chart_json(c, ch));
	cJSON_AddItemToObject(rel, "config", values);
	cJSON_AddStringToObject(rel, "manifest", r.manifest);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(rel, "hooks"), hook_json(r.test_hook));
	cJSON_AddNumberToObject(rel, "version", revision);
	cJSON_AddStringToObject(rel, "namespace", HELM_NAMESPACE);
	simk_rendered_free(&r);
	return rel;
}

/* data.release: base64 (Kubernetes) of base64 (Helm) of gzip of the JSON
 * (helm/helm pkg/storage/driver/util.go encodeRelease). */
static char *encode_release(const cJSON *rel, const struct simk_chart *ch)
{
	char *json = cJSON_PrintUnformatted(rel), *inner = NULL, *outer = NULL;
	const struct simk_deflated *known;
	unsigned char *gz = NULL;
	size_t gz_len, nknown;

	if (!json)
		return NULL;
	known = simk_chart_deflated(ch, &nknown);
	gz = simk_gzip(json, strlen(json), known, nknown, SIMK_HELM_GZIP_LEVEL, &gz_len);
	if (gz)
		inner = sim_b64_encode(gz, gz_len);
	if (inner)
		outer = sim_b64_encode(inner, strlen(inner));
	free(json);
	free(gz);
	free(inner);
	return outer;
}

static cJSON *release_secret(int revision, const char *status, char *data, int64_t now_s)
{
	cJSON *s, *labels;
	char name[96], num[24];

	snprintf(name, sizeof name, "sh.helm.release.v1.%s.v%d", HELM_RELEASE, revision);
	s = simk_secret_new(HELM_NAMESPACE, name, "helm.sh/release.v1", "release", data, &labels);
	if (!s)
		return NULL;
	snprintf(num, sizeof num, "%" PRId64, now_s);
	cJSON_AddStringToObject(labels, "modifiedAt", num);
	cJSON_AddStringToObject(labels, "name", HELM_RELEASE);
	cJSON_AddStringToObject(labels, "owner", "helm");
	cJSON_AddStringToObject(labels, "status", status);
	snprintf(num, sizeof num, "%d", revision);
	cJSON_AddStringToObject(labels, "version", num);
	return s;
}

/* The newest revision's Secret, or NULL. */
static struct simk_obj *latest_release(struct simk_state *k, int *revision)
{
	struct simk_obj *best = NULL;

	*revision = 0;
	for (struct simk_obj *o = k->objs; o; o = o->next) {
		const char *v = simk_label(o->json, "version");

		if (o->rt != SIMK_RT_SECRETS || strcmp(o->ns, HELM_NAMESPACE) != 0 || !v ||
		    !simk_label(o->json, "owner") || strcmp(simk_label(o->json, "owner"), "helm"))
			continue;
		if (atoi(v) > *revision) {
			*revision = atoi(v);
			best = o;
		}
	}
	return best;
}

/* Marks revision O superseded, as helm upgrade does. */
static void supersede(struct sim_cluster *c, struct simk_obj *o)
{
	cJSON *copy = cJSON_Duplicate(o->json, true);
	cJSON *labels = cJSON_GetObjectItem(cJSON_GetObjectItem(copy, "metadata"), "labels");

	if (!labels) {
		cJSON_Delete(copy);
		return;
	}
	cJSON_ReplaceItemInObjectCaseSensitive(labels, "status", cJSON_CreateString("superseded"));
	simk_replace(c, o, copy, NULL);
}

static void add_port(cJSON *ports, const char *name, int port)
{
	cJSON *p = cJSON_CreateObject();

	if (!p)
		return;
	cJSON_AddStringToObject(p, "name", name);
	cJSON_AddStringToObject(p, "protocol", "TCP");
	cJSON_AddNumberToObject(p, "port", port);
	cJSON_AddNumberToObject(p, "targetPort", port);
	cJSON_AddItemToArray(ports, p);
}

/* The chart's headless consul-server Service: HTTP 8500 unless TLS with
 * httpsOnly (the chart's default), HTTPS 8501 with TLS, gRPC 8502, RPC,
 * Serf and DNS. The dashboard finds Consul through it. */
static int server_service(struct sim_cluster *c)
{
	cJSON *s = cJSON_CreateObject(), *meta, *labels, *spec, *ports, *sel;
	struct simk_obj *o;

	if (!s)
		return -1;
	cJSON_AddStringToObject(s, "apiVersion", "v1");
	cJSON_AddStringToObject(s, "kind", "Service");
	meta = cJSON_AddObjectToObject(s, "metadata");
	cJSON_AddStringToObject(meta, "name", SERVER_SERVICE);
	cJSON_AddStringToObject(meta, "namespace", HELM_NAMESPACE);
	labels = cJSON_AddObjectToObject(meta, "labels");
	cJSON_AddStringToObject(labels, "app", "consul");
	cJSON_AddStringToObject(labels, "chart", "consul-helm");
	cJSON_AddStringToObject(labels, "component", "server");
	cJSON_AddStringToObject(labels, "heritage", "Helm");
	cJSON_AddStringToObject(labels, "release", HELM_RELEASE);
	spec = cJSON_AddObjectToObject(s, "spec");
	cJSON_AddStringToObject(spec, "type", "ClusterIP");
	cJSON_AddStringToObject(spec, "clusterIP", "None");
	cJSON_AddTrueToObject(spec, "publishNotReadyAddresses");
	ports = cJSON_AddArrayToObject(spec, "ports");
	if (!c->install.tls_enabled)
		add_port(ports, "http", 8500);
	else
		add_port(ports, "https", 8501);
	add_port(ports, "grpc", 8502);
	add_port(ports, "serflan-tcp", 8301);
	add_port(ports, "serfwan-tcp", 8302);
	add_port(ports, "server", 8300);
	add_port(ports, "dns-tcp", 8600);
	sel = cJSON_AddObjectToObject(spec, "selector");
	cJSON_AddStringToObject(sel, "app", "consul");
	cJSON_AddStringToObject(sel, "component", "server");
	cJSON_AddStringToObject(sel, "release", HELM_RELEASE);
	cJSON_AddObjectToObject(cJSON_AddObjectToObject(s, "status"), "loadBalancer");
	o = simk_find(c->kube, SIMK_RT_SERVICES, HELM_NAMESPACE, SERVER_SERVICE);
	if (o) {
		simk_replace(c, o, s, NULL);
		return 0;
	}
	return simk_insert(c, SIMK_RT_SERVICES, HELM_NAMESPACE, s) ? 0 : -1;
}

static void chart_labels(cJSON *labels, const char *component)
{
	cJSON_AddStringToObject(labels, "app", "consul");
	cJSON_AddStringToObject(labels, "chart", "consul-helm");
	cJSON_AddStringToObject(labels, "component", component);
	cJSON_AddStringToObject(labels, "heritage", "Helm");
	cJSON_AddStringToObject(labels, "release", HELM_RELEASE);
}

/* The consul-k8s controllers' Deployment while connectInject.enabled
 * (consul-k8s charts/consul/templates/connect-inject-deployment.yaml: name
 * <fullname>-connect-injector, labels component=connect-injector, replicas
 * connectInject.replicas, container sidecar-injector running
 * global.imageK8S), whose image tag is the consul-k8s version, with the
 * fields the API server defaults (apps/v1 SetDefaults_Deployment: strategy
 * RollingUpdate 25%/25%, revisionHistoryLimit 10, progressDeadlineSeconds
 * 600). Its status is the deployment controller's (deploy.c), written after
 * the spec as kube-controller-manager does. */
static cJSON *injector_json(struct sim_cluster *c, const cJSON *old)
{
	cJSON *d = cJSON_CreateObject(), *meta, *spec, *sel, *tmpl, *pod, *ctr, *one, *strategy,
	      *ru;
	char image[96];

	if (!d)
		return NULL;
	snprintf(image, sizeof image, "hashicorp/consul-k8s-control-plane:%s",
	         c->install.consul_k8s_version);
	cJSON_AddStringToObject(d, "apiVersion", "apps/v1");
	cJSON_AddStringToObject(d, "kind", "Deployment");
	meta = cJSON_AddObjectToObject(d, "metadata");
	cJSON_AddStringToObject(meta, "name", INJECTOR);
	cJSON_AddStringToObject(meta, "namespace", HELM_NAMESPACE);
	chart_labels(cJSON_AddObjectToObject(meta, "labels"), "connect-injector");
	if (simk_path(old, "metadata.annotations"))
		cJSON_AddItemToObject(
		        meta, "annotations",
		        cJSON_Duplicate(simk_path(old, "metadata.annotations"), true));
	spec = cJSON_AddObjectToObject(d, "spec");
	cJSON_AddNumberToObject(spec, "replicas", 1);
	sel = cJSON_AddObjectToObject(cJSON_AddObjectToObject(spec, "selector"), "matchLabels");
	cJSON_AddStringToObject(sel, "app", "consul");
	cJSON_AddStringToObject(sel, "component", "connect-injector");
	cJSON_AddStringToObject(sel, "release", HELM_RELEASE);
	tmpl = cJSON_AddObjectToObject(spec, "template");
	chart_labels(cJSON_AddObjectToObject(cJSON_AddObjectToObject(tmpl, "metadata"), "labels"),
	             "connect-injector");
	pod = cJSON_AddObjectToObject(tmpl, "spec");
	cJSON_AddStringToObject(pod, "serviceAccountName", INJECTOR);
	ctr = cJSON_AddArrayToObject(pod, "containers");
	if ((one = cJSON_CreateObject())) {
		cJSON_AddStringToObject(one, "name", "sidecar-injector");
		cJSON_AddStringToObject(one, "image", image);
		cJSON_AddItemToArray(ctr, one);
	}
	strategy = cJSON_AddObjectToObject(spec, "strategy");
	cJSON_AddStringToObject(strategy, "type", "RollingUpdate");
	ru = cJSON_AddObjectToObject(strategy, "rollingUpdate");
	cJSON_AddStringToObject(ru, "maxUnavailable", "25%");
	cJSON_AddStringToObject(ru, "maxSurge", "25%");
	cJSON_AddNumberToObject(spec, "revisionHistoryLimit", 10);
	cJSON_AddNumberToObject(spec, "progressDeadlineSeconds", 600);
	/* The status stays the controller's: a spec write keeps it. */
	if (simk_path(old, "status"))
		cJSON_AddItemToObject(d, "status", cJSON_Duplicate(simk_path(old, "status"), true));
	return d;
}

static int injector_deployment(struct sim_cluster *c)
{
	struct simk_obj *o = simk_find(c->kube, SIMK_RT_DEPLOYMENTS, HELM_NAMESPACE, INJECTOR);
	cJSON *d;

	if (!c->install.connect_inject_enabled) {
		char *gone = NULL;
		if (o)
			simk_delete(c, o, &gone);
		free(gone);
		return 0;
	}
	if (!(d = injector_json(c, o ? o->json : NULL)))
		return -1;
	if (o)
		simk_replace(c, o, d, NULL);
	else if (!simk_insert(c, SIMK_RT_DEPLOYMENTS, HELM_NAMESPACE, d))
		return -1;
	simk_injector_sync(c);
	return 0;
}

void simk_injector_sync(struct sim_cluster *c)
{
	struct simk_state *k = c->kube;
	struct simk_obj *o = k ? simk_find(k, SIMK_RT_DEPLOYMENTS, HELM_NAMESPACE, INJECTOR) : NULL;

	if (!o || (o->rv == k->injector_synced_rv && k->injector_down == k->injector_synced_down))
		return;
	simk_deploy_sync(c, o, !k->injector_down);
	k->injector_synced_rv = o->rv;
	k->injector_synced_down = k->injector_down;
}

int simk_helm_release(struct sim_cluster *c)
{
	struct simk_state *k = c->kube;
	int revision;
	struct simk_obj *prev = latest_release(k, &revision);
	char *yaml = sim_values_yaml(c), *data = NULL;
	char now[32];
	const struct simk_chart *ch;
	cJSON *rel = NULL, *secret;
	int rc = -1;

	if (!yaml)
		return -1;
	/* Unchanged values (and versions) make no new revision. */
	if (prev && k->helm_values && strcmp(k->helm_values, yaml) == 0) {
		k->helm_install = c->install;
		free(yaml);
		return 0;
	}
	simk_timestamp(c->world, now, sizeof now);
	if (!prev)
		snprintf(k->helm_first_deployed, sizeof k->helm_first_deployed, "%s", now);
	ch = simk_chart(c->install.consul_k8s_version, c->world->opt.seed);
	rel = ch ? release_json(c, ch, yaml, revision + 1, k->helm_first_deployed, now) : NULL;
	data = rel ? encode_release(rel, ch) : NULL;
	secret = data ? release_secret(revision + 1, "deployed", data, sim_now_ms(c->world) / 1000)
	              : NULL;
	if (!secret || !simk_insert(c, SIMK_RT_SECRETS, HELM_NAMESPACE, secret))
		goto out;
	if (prev)
		supersede(c, prev);
	if (server_service(c) < 0 || injector_deployment(c) < 0)
		goto out;
	free(k->helm_values);
	k->helm_values = yaml;
	yaml = NULL;
	k->helm_install = c->install;
	rc = 0;
out:
	cJSON_Delete(rel);
	free(data);
	free(yaml);
	return rc;
}

void simk_install_changed(struct sim_cluster *c)
{
	/* Without memory for a new revision the old one stays, which is what
	 * a failed helm upgrade leaves behind too. */
	if (c->kube && simk_helm_release(c) < 0)
		sim_event(c->world, c, "kube: could not write a new Helm release revision");
}

/* Field by field: the struct has padding that assignment need not copy. */
static bool install_equal(const struct sim_install *a, const struct sim_install *b)
{
	return strcmp(a->consul_version, b->consul_version) == 0 &&
	       strcmp(a->consul_k8s_version, b->consul_k8s_version) == 0 &&
	       strcmp(a->datacenter, b->datacenter) == 0 &&
	       a->peering_enabled == b->peering_enabled && a->tls_enabled == b->tls_enabled &&
	       a->mesh_gateway_enabled == b->mesh_gateway_enabled &&
	       a->connect_inject_enabled == b->connect_inject_enabled &&
	       a->acls_enabled == b->acls_enabled &&
	       a->mesh_gateway_replicas == b->mesh_gateway_replicas &&
	       a->enterprise == b->enterprise && a->consul_namespaces == b->consul_namespaces &&
	       strcmp(a->partitions, b->partitions) == 0;
}

void simk_helm_refresh(struct sim_cluster *c)
{
	if (c->kube && !install_equal(&c->kube->helm_install, &c->install))
		simk_install_changed(c);
}

/* Reads PATH whole (malloc'd, NUL-terminated), or NULL. */
static char *read_small_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n < 1 << 20 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, f) == (size_t)n) {
			buf[n] = '\0';
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

static cJSON *ca_secret_json(const char *pem)
{
	char *enc = sim_b64_encode(pem, strlen(pem));
	cJSON *labels, *s = enc ? simk_secret_new(HELM_NAMESPACE, "consul-ca-cert", "Opaque",
	                                          "tls.crt", enc, &labels)
	                        : NULL;

	free(enc);
	if (!s)
		return NULL;
	cJSON_AddStringToObject(labels, "app", "consul");
	cJSON_AddStringToObject(labels, "component", "consul-ca-cert");
	cJSON_AddStringToObject(labels, "release", HELM_RELEASE);
	return s;
}

void simk_ca_secret(struct sim_cluster *c)
{
	struct sim_world *w = c->world;
	char path[1100], *pem;
	cJSON *secret;
	bool wanted;

	pthread_mutex_lock(&w->lock);
	wanted = c->kube && !c->kube->ca_secret_done && w->opt.tls && w->opt.state_dir[0];
	snprintf(path, sizeof path, "%s/ca.pem", w->opt.state_dir);
	pthread_mutex_unlock(&w->lock);
	if (!wanted || !(pem = read_small_file(path)))
		return;
	secret = ca_secret_json(pem);
	free(pem);
	pthread_mutex_lock(&w->lock);
	if (secret && !c->kube->ca_secret_done &&
	    !simk_find(c->kube, SIMK_RT_SECRETS, HELM_NAMESPACE, "consul-ca-cert")) {
		c->kube->ca_secret_done =
		        simk_insert(c, SIMK_RT_SECRETS, HELM_NAMESPACE, secret) != NULL;
		secret = NULL;
	}
	pthread_mutex_unlock(&w->lock);
	cJSON_Delete(secret);
}
