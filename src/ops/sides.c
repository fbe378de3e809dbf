/* ops sides: which clusters an operation acts on, under which names, and
 * the refusals that come before any step: an unknown, read-only or
 * unreachable cluster, a name Consul would refuse, an existing pair found
 * the other way round. */
#include "autoconfig.h"

#include "ops_internal.h"

#include <stdio.h>
#include <string.h>

static void cluster_list(const struct ops_env *env, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < env->n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
		                         env->names[i]);
}

static int find(struct run *r, const char *name, const struct ops_cluster **out)
{
	char names[512], fix[640];

	*out = ops_find_cluster(r->env, name);
	if (*out)
		return 0;
	cluster_list(r->env, names, sizeof names);
	snprintf(fix, sizeof fix, "the configured clusters are: %s", names);
	return ops_refuse(r, OPS_REFUSE_USAGE, fix, "no cluster named '%s' in the configuration",
	                  name);
}

/* A side that cannot be reached refuses the operation, naming why. */
static int usable(struct run *r, const struct side *sd)
{
	const struct ops_cluster *c = sd->c;

	if (sd->kube && !c->kube)
		return ops_refuse(
		        r, OPS_REFUSE_RULE,
		        "check the cluster's context in the kubeconfig (kubectl --context "
		        "CONTEXT get namespaces)",
		        "cannot use the Kubernetes API of %s: %s", c->name,
		        c->kube_error && *c->kube_error ? c->kube_error : "no client");
	if (!c->consul)
		return ops_refuse(r, OPS_REFUSE_RULE,
		                  "check the cluster's consul settings (peerscope config check)",
		                  "cannot reach Consul on %s: %s", c->name,
		                  c->consul_error && *c->consul_error ? c->consul_error
		                                                      : "no client");
	return 0;
}

static int readonly(struct run *r, const struct side *sd)
{
	return ops_refuse(r, OPS_REFUSE_USAGE,
	                  "remove readonly from the configuration (or --readonly from the command "
	                  "line) to change it",
	                  "%s is read-only: peerscope changes nothing there", sd->c->name);
}

static bool valid_kube_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '-' || s[0] == '.' || s[n - 1] == '-' || s[n - 1] == '.')
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '.'))
			return false;
	return true;
}

static int check_name(struct run *r, const char *name, const char *on, const char *flag)
{
	char fix[256];

	if (consul_peer_name_valid(name))
		return 0;
	snprintf(fix, sizeof fix,
	         "choose a peer name of lower-case letters, digits and '-', at most 63, with %s",
	         flag);
	return ops_refuse(r, OPS_REFUSE_USAGE, fix,
	                  "'%s' is not a valid peer name on %s: Consul accepts a lower-case DNS "
	                  "label of at most 63 characters",
	                  name, on);
}

int ops_resolve_sides(struct run *r, bool write_a, bool write_b)
{
	struct ops_request *q = &r->plan->req;
	const struct ops_cluster *a, *b;

	if (find(r, q->a, &a) < 0 || find(r, q->b, &b) < 0)
		return -1;
	if (a == b)
		return ops_refuse(r, OPS_REFUSE_USAGE, "name two different clusters",
		                  "%s cannot peer with itself", a->name);
	if (!q->name[0])
		snprintf(q->name, sizeof q->name, "%s", b->name);
	if (!q->dialer_name[0])
		snprintf(q->dialer_name, sizeof q->dialer_name, "%s", a->name);
	r->secret_chosen = q->secret_name[0] != '\0';
	if (!q->secret_name[0])
		snprintf(q->secret_name, sizeof q->secret_name, "%s%s", OPS_SECRET_PREFIX, q->name);
	r->a = (struct side){a, q->name, a->context && *a->context};
	r->b = (struct side){b, q->dialer_name, b->context && *b->context};
	if ((write_a && a->readonly) || (write_b && b->readonly))
		return readonly(r, write_a && a->readonly ? &r->a : &r->b);
	if (check_name(r, q->name, a->name, "--name") < 0 ||
	    check_name(r, q->dialer_name, b->name, "--dialer-name") < 0)
		return -1;
	if (!valid_kube_name(q->secret_name))
		return ops_refuse(r, OPS_REFUSE_USAGE,
		                  "a Secret name is lower-case letters, digits, '-' and '.'",
		                  "'%s' is not a valid Secret name", q->secret_name);
	snprintf(r->plan->confirm_word, sizeof r->plan->confirm_word, "%s", q->name);
	if (usable(r, &r->a) < 0 || usable(r, &r->b) < 0)
		return -1;
	return ops_resolve_partitions(r);
}

/* ------------------------------------------------------------ existing */

/* What one side holds under its peer name: the role it plays. */
struct found {
	bool acceptor_cr, dialer_cr, peering;
	bool dials; /* the Consul peering has server addresses: it dialed */
	char secret[OPS_SECRET_NAME_MAX];
};

static int look(struct run *r, const struct side *sd, struct found *f)
{
	struct http_error err = {0};
	struct model_peering p;
	struct kube_object o;
	int rc;

	memset(f, 0, sizeof *f);
	if (sd->kube) {
		for (int k = 0; k < 2; k++) {
			enum kube_kind kind = k ? KUBE_PEERING_DIALER : KUBE_PEERING_ACCEPTOR;
			rc = ops_read_cr(sd, kind, &o, &err);
			if (rc < 0)
				goto fail;
			if (rc > 0) {
				*(k ? &f->dialer_cr : &f->acceptor_cr) = true;
				snprintf(f->secret, sizeof f->secret, "%s",
				         o.u.peering.spec_secret.name);
				kube_object_clear(&o);
			}
		}
	}
	rc = ops_read_peering(sd, &p, &err);
	if (rc < 0)
		goto fail;
	f->peering = rc > 0;
	f->dials = rc > 0 && p.peer_server_addresses.n > 0;
	model_peering_clear(&p);
	return 0;
fail : {
	char text[768], fix[384];
	http_error_format(&err, text, sizeof text);
	snprintf(fix, sizeof fix, "check that %s is reachable; then run the same command again",
	         sd->c->name);
	return ops_refuse(r, OPS_REFUSE_RULE, fix, "cannot read %s: %s", sd->c->name, text);
}
}

static bool is_dialer(const struct found *f)
{
	return f->dialer_cr || (!f->acceptor_cr && f->dials);
}

/* Peers of the two sides matched by IDs, when the names did not match:
 * B's PeerID is A's ID (A accepts) or the other way round. Fills the
 * names; true when found. */
static bool match_ids(struct run *r, bool *swap)
{
	struct model_peering_list la = {0}, lb = {0};
	struct http_error err = {0};
	bool found = false;

	struct consul_query qa = {.partition = r->a.partition}, qb = {.partition = r->b.partition};

	if (consul_peerings_list(r->a.c->consul, &qa, &la, NULL, &err) < 0 ||
	    consul_peerings_list(r->b.c->consul, &qb, &lb, NULL, &err) < 0)
		goto out;
	for (size_t i = 0; i < la.n && !found; i++)
		for (size_t j = 0; j < lb.n && !found; j++) {
			const struct model_peering *x = &la.v[i], *y = &lb.v[j];
			bool a_accepts = *x->id && !strcmp(y->peer_id, x->id);
			bool b_accepts = *y->id && !strcmp(x->peer_id, y->id);
			if (!a_accepts && !b_accepts)
				continue;
			snprintf(r->plan->req.name, sizeof r->plan->req.name, "%s", x->name);
			snprintf(r->plan->req.dialer_name, sizeof r->plan->req.dialer_name, "%s",
			         y->name);
			*swap = !a_accepts;
			found = true;
		}
out:
	model_peering_list_free(&la);
	model_peering_list_free(&lb);
	return found;
}

static void swap_sides(struct run *r)
{
	struct ops_request *q = &r->plan->req;
	char t[sizeof q->a];

	memcpy(t, q->a, sizeof t);
	memcpy(q->a, q->b, sizeof t);
	memcpy(q->b, t, sizeof t);
	memcpy(t, q->name, sizeof q->name);
	memcpy(q->name, q->dialer_name, sizeof q->name);
	memcpy(q->dialer_name, t, sizeof q->name);
	memcpy(t, q->partition, sizeof q->partition);
	memcpy(q->partition, q->dialer_partition, sizeof q->partition);
	memcpy(q->dialer_partition, t, sizeof q->partition);
	memcpy(t, r->plan->partition[0], sizeof t);
	memcpy(r->plan->partition[0], r->plan->partition[1], sizeof t);
	memcpy(r->plan->partition[1], t, sizeof t);
	q->secret_name[0] = '\0';
	r->plan->swapped = !r->plan->swapped;
}

int ops_resolve_existing(struct run *r, bool missing_ok)
{
	struct ops_request *q = &r->plan->req;
	bool swap = false, named = q->name[0] || q->dialer_name[0];
	struct found fa, fb;

	if (ops_resolve_sides(r, true, true) < 0)
		return -1;
	if (look(r, &r->a, &fa) < 0 || look(r, &r->b, &fb) < 0)
		return -1;
	if (!fa.acceptor_cr && !fa.dialer_cr && !fa.peering && !fb.acceptor_cr && !fb.dialer_cr &&
	    !fb.peering) {
		if ((named || !match_ids(r, &swap)) && missing_ok) {
			ops_plan_note(r,
			              "no peering between %s and %s (looked for '%s' on %s and "
			              "'%s' on %s): nothing to delete",
			              q->a, q->b, q->name, q->a, q->dialer_name, q->b);
			return 0;
		}
		if (named || !match_ids(r, &swap))
			return ops_refuse(
			        r, OPS_REFUSE_RULE,
			        "name the peering as each side calls it: --name (on the "
			        "first cluster) and --dialer-name (on the second)",
			        "no peering between %s and %s: looked for '%s' on %s and '%s' "
			        "on %s, and for matching peering IDs",
			        q->a, q->b, q->name, q->a, q->dialer_name, q->b);
		/* The names now come from the peerings: look again by them. */
		if (swap)
			swap_sides(r);
		q->secret_name[0] = '\0';
		return ops_resolve_existing(r, missing_ok);
	}
	if (is_dialer(&fa) || fb.acceptor_cr ||
	    (!fa.acceptor_cr && !fb.dialer_cr && fb.peering && !fb.dials && fa.peering &&
	     fa.dials)) {
		swap_sides(r);
		ops_plan_note(r, "%s accepts this peering and %s dials: the steps run that way",
		              q->a, q->b);
		if (ops_resolve_sides(r, true, true) < 0)
			return -1;
		struct found t = fa;
		fa = fb;
		fb = t;
	}
	/* The token Secret is the one the CRs name. */
	if (fb.dialer_cr && fb.secret[0])
		snprintf(q->secret_name, sizeof q->secret_name, "%s", fb.secret);
	else if (fa.acceptor_cr && fa.secret[0])
		snprintf(q->secret_name, sizeof q->secret_name, "%s", fa.secret);
	snprintf(r->plan->confirm_word, sizeof r->plan->confirm_word, "%s", q->name);
	return 0;
}

/* ------------------------------------------------------------ one cluster */

int ops_resolve_one(struct run *r)
{
	const struct ops_cluster *c;

	if (find(r, r->plan->req.a, &c) < 0)
		return -1;
	/* One cluster: one partition, --partition's. */
	if (*r->plan->req.dialer_partition)
		return ops_refuse(r, OPS_REFUSE_USAGE,
		                  "name the partition with --partition: the operation changes one "
		                  "cluster's configuration",
		                  "%s does not take --dialer-partition",
		                  ops_kind_name(r->plan->req.kind));
	r->a = (struct side){c, r->plan->req.peer, c->context && *c->context};
	if (c->readonly)
		return readonly(r, &r->a);
	if (usable(r, &r->a) < 0)
		return -1;
	return ops_resolve_partition_one(r);
}
