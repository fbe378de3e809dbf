/* ops partition: which Consul Enterprise admin partition each side of a
 * peering acts in, and the refusals when it cannot act in the one asked
 * for.
 *
 * consul-k8s's PeeringAcceptor and PeeringDialer have no partition field:
 * their controllers generate the token and establish the peering with the
 * controller's own Consul client (control-plane/connect-inject/controllers/
 * peering/peering_acceptor_controller.go, peering_dialer_controller.go),
 * whose partition is the Helm release's global.adminPartitions.name. So a
 * side reached through Kubernetes acts in that partition and no other. A
 * Consul-only side names the partition in each request: Partition in the
 * body of POST /v1/peering/token and /v1/peering/establish, ?partition= on
 * the reads and the delete (consul agent/peering_endpoint.go, api/
 * peering.go). Consul CE has only the default partition and refuses any
 * other (agent/http_ce.go).
 *
 * The mesh operations act on one cluster the same way: consul-k8s's
 * config-entry controllers write the entries of its custom resources (no
 * partition field either) into the partition it runs in, so a Kubernetes
 * cluster changes that partition's configuration only; a Consul-only one
 * names the partition with ?partition= on each read and write. */
#include "autoconfig.h"

#include "ops_internal.h"

#include "peerscope/join.h"
#include "peerscope/store.h"
#include "peerscope/term.h"

#include <stdio.h>
#include <string.h>

static bool is_default(const char *p)
{
	return !*p || !strcmp(p, "default");
}

/* 1: SD's Consul is Enterprise, 0: CE, -1: not known (its identity was not
 * read). */
static int enterprise(const struct side *sd, const struct store_snapshot *s)
{
	if (s && s->has_identity && s->identity->version && *s->identity->version)
		return s->identity->enterprise;
	if (sd->c->consul && consul_client_enterprise(sd->c->consul))
		return 1;
	return -1;
}

/* The fix when SD's consul-k8s does not run in WANT: the configured
 * cluster whose consul-k8s does, on the same Consul, or what to set up. */
static void fix_for(struct run *r, const struct side *sd, const struct store_snapshot *s,
                    const char *want, char *fix, size_t len)
{
	struct store_snapshot *all[64] = {NULL};
	size_t n = r->env->n < 64 ? r->env->n : 64, at = JOIN_NONE;

	if (s && n == r->env->n && ops_snapshots_all(r, all))
		at = join_kube_cluster_in_partition((const struct store_snapshot *const *)all, n, s,
		                                    want);
	if (at != JOIN_NONE)
		snprintf(fix, len,
		         "act from %s (context %s), whose consul-k8s runs in partition %s of the "
		         "same Consul: name it instead of %s",
		         all[at]->name, all[at]->context, want, sd->c->name);
	else
		snprintf(fix, len,
		         "no configured Kubernetes cluster runs consul-k8s in partition %s of this "
		         "Consul: add the one that does (Helm global.adminPartitions.name: %s) to "
		         "the configuration, or add a Consul-only entry for it (no context, "
		         "consul.address) and name that",
		         want, want);
	for (size_t i = 0; i < n; i++)
		store_snapshot_unref(all[i]);
}

/* Side SD of a Kubernetes cluster asked to act in WANT ("" : its own). */
static int kube_side(struct run *r, const struct side *sd, const struct store_snapshot *s,
                     const char *want, char *out, size_t len)
{
	const char *k;
	char fix[384];

	if (!s || !s->has_helm) {
		const struct store_source *src = s ? &s->sources[STORE_SRC_KUBE_HELM] : NULL;
		if (!*want) { /* as before partitions: the client's own */
			out[0] = '\0';
			return 0;
		}
		snprintf(fix, sizeof fix,
		         "peerscope check %s tells why the release cannot be read; or act through "
		         "a Consul-only entry for this Consul (no context)",
		         sd->c->name);
		return ops_refuse(
		        r, OPS_REFUSE_RULE, fix,
		        "cannot tell which admin partition consul-k8s of %s runs in: its Helm "
		        "release was not read%s%.300s",
		        sd->c->name, src && *src->last_error ? ": " : "",
		        src ? src->last_error : "");
	}
	k = join_kube_partition(s);
	k = *k ? k : "default";
	if (!*want || !strcmp(want, k)) {
		snprintf(out, len, "%s", k);
		return 0;
	}
	fix_for(r, sd, s, want, fix, sizeof fix);
	if (ops_kind_is_mesh(r->plan->req.kind))
		return ops_refuse(r, OPS_REFUSE_RULE, fix,
		                  "consul-k8s on %s runs in admin partition %s (Helm "
		                  "global.adminPartitions.name): its custom resources have no "
		                  "partition field and its controllers write their config entries "
		                  "into that partition, so it cannot change partition %s's "
		                  "configuration",
		                  sd->c->name, k, want);
	return ops_refuse(
	        r, OPS_REFUSE_RULE, fix,
	        "consul-k8s on %s runs in admin partition %s (Helm "
	        "global.adminPartitions.name): its PeeringAcceptor and PeeringDialer have "
	        "no partition field and its controller makes the peering with its own "
	        "Consul client, so it cannot act in partition %s",
	        sd->c->name, k, want);
}

/* The partition side SD acts in, asked WANT, into OUT (LEN bytes). */
static int resolve_side(struct run *r, const struct side *sd, const char *want, char *out,
                        size_t len)
{
	const struct store_snapshot *s = ops_snapshot(r, sd->c->name);
	int ent = enterprise(sd, s);

	out[0] = '\0';
	if (ent == 0) { /* Consul CE: the default partition only */
		if (is_default(want))
			return 0;
		return ops_refuse(
		        r, OPS_REFUSE_RULE,
		        "Consul CE has only the default partition: leave the partition out, "
		        "or name a cluster that runs Consul Enterprise",
		        "%s runs Consul CE, which has no admin partitions: it cannot act in "
		        "partition %s",
		        sd->c->name, want);
	}
	if (sd->kube && ent == 1)
		return kube_side(r, sd, s, want, out, len);
	if (ent < 0 && !is_default(want))
		return ops_refuse(
		        r, OPS_REFUSE_RULE,
		        "check that its Consul answers (peerscope check names what fails), "
		        "then run the same command again",
		        "cannot tell whether %s runs Consul Enterprise (its agent was not "
		        "read): partition %s is only known there",
		        sd->c->name, want);
	snprintf(out, len, "%s", want);
	return 0;
}

/* A partition name is a lower-case DNS label, as a peer name is. */
static int check_name(struct run *r, const char *want, const char *flag)
{
	if (!*want || consul_peer_name_valid(want))
		return 0;
	r->plan->refusal = OPS_REFUSE_USAGE;
	snprintf(r->plan->reason, sizeof r->plan->reason,
	         "'%.100s' is not an admin partition name: Consul Enterprise names a partition "
	         "with a lower-case DNS label of at most 63 characters",
	         want);
	snprintf(r->plan->fix, sizeof r->plan->fix, "give %s a partition's name", flag);
	return -1;
}

int ops_resolve_partitions(struct run *r)
{
	struct ops_plan *p = r->plan;
	const struct ops_request *q = &p->req;

	if (r->planning && (check_name(r, q->partition, "--partition") < 0 ||
	                    check_name(r, q->dialer_partition, "--dialer-partition") < 0))
		return -1;
	if (r->planning &&
	    (resolve_side(r, &r->a, q->partition, p->partition[0], sizeof p->partition[0]) < 0 ||
	     resolve_side(r, &r->b, q->dialer_partition, p->partition[1], sizeof p->partition[1]) <
	             0))
		return -1;
	r->a.partition = p->partition[0];
	r->b.partition = p->partition[1];
	return 0;
}

int ops_resolve_partition_one(struct run *r)
{
	struct ops_plan *p = r->plan;

	if (r->planning &&
	    (check_name(r, p->req.partition, "--partition") < 0 ||
	     resolve_side(r, &r->a, p->req.partition, p->partition[0], sizeof p->partition[0]) < 0))
		return -1;
	r->a.partition = p->partition[0];
	return 0;
}

const char *ops_req_label(const struct ops_request *q, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", q->a, *q->partition ? "/" : "", q->partition);
	return buf;
}

const char *ops_side_label(const struct side *sd, char *buf, size_t len)
{
	if (sd->partition && *sd->partition)
		snprintf(buf, len, "%s/%s", sd->c->name, sd->partition);
	else
		snprintf(buf, len, "%s", sd->c->name);
	return buf;
}
