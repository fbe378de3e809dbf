/* Unit tests of the admin partition an operation's side acts in
 * (src/ops/partition.c), planned on snapshots built by hand: no request
 * reaches a cluster before the refusals tested here.
 *
 * What they pin: consul-k8s's PeeringAcceptor and PeeringDialer have no
 * partition field, and their controllers make the peering with the
 * controller's own Consul client (consul-k8s control-plane/connect-inject/
 * controllers/peering/peering_acceptor_controller.go generateToken,
 * peering_dialer_controller.go), whose partition is the Helm release's
 * global.adminPartitions.name (charts/consul/templates/
 * connect-inject-deployment.yaml); a Consul-only side names the partition
 * in the request (consul agent/peering_endpoint.go: the body's Partition,
 * else ?partition=; api/peering.go PeeringGenerateTokenRequest.Partition);
 * Consul CE has no partition but default (agent/http_ce.go). */
#include "autoconfig.h"

#include "unit.h"

#include "ops_internal.h"

#include "peerscope/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One configured cluster: what the operations see and what was read. */
struct fake {
	const char *name, *context, *dc, *leader;
	int ent;             /* 1 Enterprise, 0 CE */
	const char *helm_ap; /* Helm global.adminPartitions.name; NULL: not enabled */
	bool no_helm;        /* the release was not read */
	struct ops_cluster oc;
	struct store_snapshot *snap;
};

static struct fake world[] = {
        /* A Kubernetes cluster with the Consul servers: consul-k8s in default. */
        {"east", "east-ctx", "dc1", "10.0.1.5:8300", 1, "default", false, {0}, NULL},
        /* Consul CE. */
        {"west", "west-ctx", "dc2", "10.0.2.5:8300", 0, NULL, false, {0}, NULL},
        /* A Kubernetes cluster whose consul-k8s runs in team-a of east's Consul. */
        {"east-a", "east-a-ctx", "dc1", "10.0.1.5:8300", 1, "team-a", false, {0}, NULL},
        /* Another Consul called dc1, whose consul-k8s runs in team-b. */
        {"other", "other-ctx", "dc1", "10.0.9.5:8300", 1, "team-b", false, {0}, NULL},
        /* Consul-only, Enterprise. */
        {"ops", NULL, "dc3", "10.0.3.5:8300", 1, NULL, false, {0}, NULL},
        /* Enterprise on Kubernetes, its Helm release not read. */
        {"blind", "blind-ctx", "dc4", "10.0.4.5:8300", 1, NULL, true, {0}, NULL},
};
#define NWORLD (sizeof world / sizeof world[0])

static const char *names[NWORLD];
static struct http_client *kube;
static struct consul_client *consul;

static char *dup(const char *s)
{
	char *c = strdup(s ? s : "");
	ck_assert_ptr_nonnull(c);
	return c;
}

static struct store_snapshot *snapshot(size_t i, const struct fake *f)
{
	struct store_snapshot *s =
	        store_snapshot_new(i, f->name, f->context ? f->context : "", "http://127.0.0.1:1");
	struct model_cluster_identity *id = calloc(1, sizeof *id);

	ck_assert(s && id);
	id->datacenter = dup(f->dc);
	id->primary_datacenter = dup(f->dc);
	id->node_name = dup("consul-server-0");
	id->node_id = dup("");
	id->partition = dup(f->ent ? "default" : "");
	id->version = dup(f->ent ? "1.21.2+ent" : "1.21.2");
	id->revision = dup("");
	id->enterprise = f->ent;
	id->leader = dup(f->leader);
	struct store_part *p = store_part_identity(id);
	s->identity = store_hold(s, STORE_SRC_IDENTITY, p);
	store_part_unref(p);
	s->has_identity = true;
	s->kube_configured = f->context != NULL;
	if (f->context && !f->no_helm) {
		struct model_kube_helm *h = calloc(1, sizeof *h);
		ck_assert_ptr_nonnull(h);
		h->release = dup("consul");
		h->ns = dup("consul");
		h->status = dup("deployed");
		h->chart_version = dup("1.4.3");
		h->app_version = dup("1.21.2");
		h->image = dup(f->ent ? "hashicorp/consul-enterprise:1.21.2-ent" : "");
		h->datacenter = dup(f->dc);
		h->mesh_gateway_service_type = dup("LoadBalancer");
		h->peering_enabled = h->connect_inject_enabled = h->mesh_gateway_enabled = true;
		h->admin_partitions_enabled = f->helm_ap != NULL;
		h->admin_partition_name = dup(f->helm_ap ? f->helm_ap : "default");
		h->consul_namespaces_enabled = f->helm_ap != NULL;
		p = store_part_helm(h);
		s->helm = store_hold(s, STORE_SRC_KUBE_HELM, p);
		store_part_unref(p);
		s->has_helm = true;
	}
	if (f->no_helm)
		snprintf(s->sources[STORE_SRC_KUBE_HELM].last_error,
		         sizeof s->sources[STORE_SRC_KUBE_HELM].last_error,
		         "GET secrets: 403 forbidden");
	return s;
}

static const struct ops_cluster *find_cluster(void *ctx, const char *name)
{
	(void)ctx;
	for (size_t i = 0; i < NWORLD; i++)
		if (!strcmp(world[i].name, name))
			return &world[i].oc;
	return NULL;
}

static unsigned snapshot_calls, all_calls;

static void snapshots(void *ctx, const char *const *want, size_t n, long timeout_ms,
                      const atomic_bool *cancel, struct store_snapshot **out)
{
	(void)ctx;
	(void)timeout_ms;
	(void)cancel;
	snapshot_calls++;
	all_calls += n == NWORLD;
	for (size_t k = 0; k < n; k++) {
		out[k] = NULL;
		for (size_t i = 0; i < NWORLD; i++)
			if (!strcmp(world[i].name, want[k]))
				out[k] = store_snapshot_ref(world[i].snap);
	}
}

static struct ops_env env = {
        .cluster = find_cluster,
        .names = names,
        .n = NWORLD,
        .snapshots = snapshots,
};

static void setup(void)
{
	struct http_options ho = {
	        .cluster = "k", .base_url = "https://127.0.0.1:1", .proxy_url = ""};
	struct consul_options co = {.http = {.cluster = "c",
	                                     .base_url = "http://127.0.0.1:1",
	                                     .proxy_url = "",
	                                     .connect_timeout_ms = 200,
	                                     .timeout_ms = 500}};
	struct http_error err;

	ho.connect_timeout_ms = 200;
	ho.timeout_ms = 500;
	kube = http_client_new(&ho, &err);
	consul = consul_client_new(&co, &err);
	ck_assert(kube && consul);
	for (size_t i = 0; i < NWORLD; i++) {
		struct fake *f = &world[i];
		names[i] = f->name;
		f->oc = (struct ops_cluster){
		        .name = f->name,
		        .context = f->context ? f->context : "",
		        .ns = "consul",
		        .kube = f->context ? kube : NULL,
		        .consul = consul,
		};
		f->snap = snapshot(i, f);
	}
	snapshot_calls = all_calls = 0;
}

static void teardown(void)
{
	for (size_t i = 0; i < NWORLD; i++) {
		store_snapshot_unref(world[i].snap);
		world[i].snap = NULL;
	}
	consul_client_free(consul);
	http_client_free(kube);
}

/* Plans KIND from A to B with partitions PA and PB into P. */
static void plan(struct ops_plan *p, enum ops_kind kind, const char *a, const char *b,
                 const char *pa, const char *pb)
{
	struct ops_request q = {.kind = kind, .wait_ms = 1000};

	snprintf(q.a, sizeof q.a, "%s", a);
	snprintf(q.b, sizeof q.b, "%s", b);
	snprintf(q.partition, sizeof q.partition, "%s", pa);
	snprintf(q.dialer_partition, sizeof q.dialer_partition, "%s", pb);
	ck_assert_int_eq(ops_plan(&env, &q, p), 0);
}

#define has(s, x) ck_assert_msg(strstr((s), (x)) != NULL, "'%s' lacks '%s'", (s), (x))

/* A Kubernetes side acts in its consul-k8s's partition: another one is
 * refused, naming the cluster whose consul-k8s runs there. */
START_TEST(kube_side_other_partition_names_the_cluster)
{
	struct ops_plan p;

	plan(&p, OPS_PEER, "east", "west", "team-a", "");
	ck_assert_int_eq(p.refusal, OPS_REFUSE_RULE);
	has(p.reason, "consul-k8s on east runs in admin partition default");
	has(p.reason, "cannot act in partition team-a");
	has(p.fix, "act from east-a (context east-a-ctx), whose consul-k8s runs in partition "
	           "team-a of the same Consul");
	ck_assert_uint_eq(all_calls, 1); /* the other clusters read for the fix only */
	ops_plan_free(&p);

	/* team-b's consul-k8s is on another Consul that is also called dc1:
	 * not a fix. */
	plan(&p, OPS_PEER, "east", "west", "team-b", "");
	ck_assert_int_eq(p.refusal, OPS_REFUSE_RULE);
	has(p.fix, "no configured Kubernetes cluster runs consul-k8s in partition team-b of this "
	           "Consul");
	has(p.fix, "global.adminPartitions.name: team-b");
	has(p.fix, "Consul-only entry");
	ops_plan_free(&p);

	/* The dialer's side the same. */
	plan(&p, OPS_DIALER, "west", "east", "", "team-a");
	ck_assert_int_eq(p.refusal, OPS_REFUSE_RULE);
	has(p.reason, "consul-k8s on east runs in admin partition default");
	has(p.fix, "act from east-a");
	ops_plan_free(&p);
}
END_TEST

/* The partition consul-k8s runs in is the side's, asked for or not. */
START_TEST(kube_side_its_own_partition)
{
	struct ops_plan p;

	plan(&p, OPS_PEER, "east-a", "east", "team-a", "default");
	/* Whatever the steps say later (nothing answers here), the sides
	 * were resolved without a partition refusal. */
	ck_assert_msg(!strstr(p.reason, "partition"), "%s", p.reason);
	ck_assert_str_eq(p.partition[0], "team-a");
	ck_assert_str_eq(p.partition[1], "default");
	ops_plan_free(&p);

	plan(&p, OPS_PEER, "east-a", "east", "", "");
	ck_assert_str_eq(p.partition[0], "team-a");
	ck_assert_str_eq(p.partition[1], "default");
	ck_assert_uint_eq(all_calls, 0);
	/* The snapshots were read once, for the partitions and the
	 * prerequisites both. */
	ck_assert_uint_eq(snapshot_calls, 2);
	ops_plan_free(&p);
}
END_TEST

/* Consul CE: default only; nothing is sent, and nothing changes without
 * partitions. */
START_TEST(ce_side)
{
	struct ops_plan p;

	plan(&p, OPS_PEER, "west", "east", "team-a", "");
	ck_assert_int_eq(p.refusal, OPS_REFUSE_RULE);
	has(p.reason, "west runs Consul CE, which has no admin partitions: it cannot act in "
	              "partition team-a");
	has(p.fix, "leave the partition out");
	ops_plan_free(&p);

	plan(&p, OPS_PEER, "west", "east", "default", "");
	ck_assert_msg(!strstr(p.reason, "partition"), "%s", p.reason);
	ck_assert_str_eq(p.partition[0], "");
	ops_plan_free(&p);
}
END_TEST

/* A Consul-only Enterprise side takes the partition asked for, sent with
 * its requests; the resume hint and the title carry it. */
START_TEST(consul_only_side)
{
	struct ops_plan p;
	char hint[256];

	plan(&p, OPS_PEER, "ops", "east", "payments", "");
	ck_assert_str_eq(p.partition[0], "payments");
	ck_assert_str_eq(p.partition[1], "default");
	ck_assert_str_eq(p.title, "Peer ops/payments with east");
	ck_assert_str_eq(ops_resume_hint(&p, hint, sizeof hint),
	                 "peerscope peer ops east --partition payments");
	ops_plan_free(&p);

	plan(&p, OPS_PEER, "ops", "east", "", "");
	ck_assert_str_eq(p.partition[0], ""); /* the token's own: nothing sent */
	ops_plan_free(&p);
}
END_TEST

START_TEST(refusals_before_anything)
{
	struct ops_plan p;

	plan(&p, OPS_PEER, "ops", "east", "Team_A", "");
	ck_assert_int_eq(p.refusal, OPS_REFUSE_USAGE);
	has(p.reason, "'Team_A' is not an admin partition name");
	has(p.fix, "--partition");
	ops_plan_free(&p);

	/* Which partition consul-k8s runs in is not known. */
	plan(&p, OPS_PEER, "blind", "east", "team-a", "");
	ck_assert_int_eq(p.refusal, OPS_REFUSE_RULE);
	has(p.reason, "cannot tell which admin partition consul-k8s of blind runs in: its Helm "
	              "release was not read: GET secrets: 403 forbidden");
	ops_plan_free(&p);
}
END_TEST

/* Plans the mesh operation KIND on cluster A in partition PART (and
 * --dialer-partition DPART) into P. */
static void mesh_plan(struct ops_plan *p, enum ops_kind kind, const char *a, const char *part,
                      const char *dpart)
{
	struct ops_request q = {.kind = kind, .wait_ms = 1000};

	snprintf(q.a, sizeof q.a, "%s", a);
	snprintf(q.service, sizeof q.service, "web");
	snprintf(q.peer, sizeof q.peer, "west");
	snprintf(q.value, sizeof q.value, "%s", kind == OPS_PEER_THROUGH_GATEWAYS ? "on" : "local");
	snprintf(q.partition, sizeof q.partition, "%s", part);
	snprintf(q.dialer_partition, sizeof q.dialer_partition, "%s", dpart);
	ck_assert_int_eq(ops_plan(&env, &q, p), 0);
}

/* The mesh operations resolve their one cluster's partition as the peering
 * operations do: consul-k8s's config-entry controllers write the entries of
 * its CRs (no partition field) into the partition it runs in (consul-k8s
 * control-plane/api/v1alpha1/exportedservices_types.go: the CR is named
 * after that partition), so another is refused with the cluster whose
 * consul-k8s runs there; CE refuses any partition but default. */
START_TEST(mesh_partitions)
{
	static const enum ops_kind kinds[] = {OPS_GATEWAY_MODE, OPS_EXPORT, OPS_UNEXPORT, OPS_ALLOW,
	                                      OPS_DENY};
	struct ops_plan p;
	char hint[256];

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		mesh_plan(&p, kinds[i], "east", "team-a", "");
		ck_assert_int_eq(p.refusal, OPS_REFUSE_RULE);
		has(p.reason, "consul-k8s on east runs in admin partition default");
		has(p.fix, "act from east-a (context east-a-ctx), whose consul-k8s runs in "
		           "partition team-a");
		ops_plan_free(&p);

		mesh_plan(&p, kinds[i], "west", "team-a", "");
		ck_assert_int_eq(p.refusal, OPS_REFUSE_RULE);
		has(p.reason, "west runs Consul CE, which has no admin partitions");
		ops_plan_free(&p);

		mesh_plan(&p, kinds[i], "ops", "team-a", "ops");
		ck_assert_int_eq(p.refusal, OPS_REFUSE_USAGE);
		has(p.reason, "does not take --dialer-partition");
		ops_plan_free(&p);
	}

	/* Consul-only: the partition is the plan's, in its title and hint. */
	mesh_plan(&p, OPS_EXPORT, "ops", "team-a", "");
	ck_assert_str_eq(p.partition[0], "team-a");
	ck_assert_str_eq(p.title, "Export web from ops/team-a to west");
	ck_assert_str_eq(ops_resume_hint(&p, hint, sizeof hint),
	                 "peerscope export ops web --to west --partition team-a");
	ops_plan_free(&p);

	/* consul-k8s's own partition. */
	mesh_plan(&p, OPS_GATEWAY_MODE, "east-a", "", "");
	ck_assert_str_eq(p.partition[0], "team-a");
	ops_plan_free(&p);

	/* Peering through mesh gateways is the default partition's setting. */
	mesh_plan(&p, OPS_PEER_THROUGH_GATEWAYS, "ops", "team-a", "");
	ck_assert_int_eq(p.refusal, OPS_REFUSE_RULE);
	has(p.reason, "set in the default partition's mesh entry only");
	ops_plan_free(&p);
	mesh_plan(&p, OPS_PEER_THROUGH_GATEWAYS, "east-a", "", "");
	ck_assert_int_eq(p.refusal, OPS_REFUSE_RULE);
	has(p.reason, "it cannot be set in partition team-a");
	ops_plan_free(&p);
}
END_TEST

static Suite *ops_partition_suite(void)
{
	Suite *s = suite_create("ops_partition");
	TCase *tc = tcase_create("partition");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, kube_side_other_partition_names_the_cluster);
	tcase_add_test(tc, kube_side_its_own_partition);
	tcase_add_test(tc, ce_side);
	tcase_add_test(tc, consul_only_side);
	tcase_add_test(tc, refusals_before_anything);
	tcase_add_test(tc, mesh_partitions);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(ops_partition_suite)
