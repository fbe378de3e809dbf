/* model: whether two texts, lists of texts and maps say the same (the
 * peerings' comparison in model.c uses them too), and whether two of the
 * payloads a cluster asks for again every identity interval (the agent's
 * identity, the ACL facts, the access reviews, the Helm release) do, field
 * by field. A poller whose answers say what the part it holds says keeps
 * that part, so that nothing downstream takes the refresh for a change
 * (poller_consul.c, poller_kube.c, poller_checks.c). A field added to one
 * of these structs belongs here too: test_model's same_payloads changes
 * each field in turn. */
#include "autoconfig.h"

#include <string.h>

#include "peerscope/model.h"

bool model_text_same(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

bool model_strv_same(const struct model_strv *a, const struct model_strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!model_text_same(a->v[i], b->v[i]))
			return false;
	return true;
}

bool model_meta_same(const struct model_meta *a, const struct model_meta *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!model_text_same(a->v[i].key, b->v[i].key) ||
		    !model_text_same(a->v[i].value, b->v[i].value))
			return false;
	return true;
}

static bool links_same(const struct model_acl_link *a, size_t na, const struct model_acl_link *b,
                       size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!model_text_same(a[i].id, b[i].id) || !model_text_same(a[i].name, b[i].name))
			return false;
	return true;
}

bool model_cluster_identity_same(const struct model_cluster_identity *a,
                                 const struct model_cluster_identity *b)
{
	return model_text_same(a->datacenter, b->datacenter) &&
	       model_text_same(a->primary_datacenter, b->primary_datacenter) &&
	       model_text_same(a->node_name, b->node_name) &&
	       model_text_same(a->node_id, b->node_id) &&
	       model_text_same(a->partition, b->partition) &&
	       model_text_same(a->version, b->version) &&
	       model_text_same(a->revision, b->revision) && a->build_date_ns == b->build_date_ns &&
	       a->server == b->server && a->enterprise == b->enterprise && a->fips == b->fips &&
	       model_text_same(a->leader, b->leader);
}

static bool token_same(const struct model_acl_token *a, const struct model_acl_token *b)
{
	return model_text_same(a->accessor_id, b->accessor_id) &&
	       model_text_same(a->description, b->description) &&
	       links_same(a->policies, a->npolicies, b->policies, b->npolicies) &&
	       links_same(a->roles, a->nroles, b->roles, b->nroles) &&
	       model_strv_same(&a->service_identities, &b->service_identities) &&
	       model_strv_same(&a->node_identities, &b->node_identities) && a->local == b->local &&
	       model_text_same(a->auth_method, b->auth_method) &&
	       a->expiration_time_ns == b->expiration_time_ns &&
	       a->create_time_ns == b->create_time_ns && a->create_index == b->create_index &&
	       a->modify_index == b->modify_index;
}

static bool principal_same(const struct model_acl_principal *a, const struct model_acl_principal *b)
{
	if (!model_text_same(a->who, b->who) || a->gateway != b->gateway ||
	    a->has_token != b->has_token || (a->has_token && !token_same(&a->token, &b->token)) ||
	    !model_text_same(a->error, b->error) || a->nchecks != b->nchecks)
		return false;
	for (size_t i = 0; i < a->nchecks; i++) {
		const struct model_acl_check *x = &a->checks[i], *y = &b->checks[i];
		if (!model_text_same(x->resource, y->resource) ||
		    !model_text_same(x->segment, y->segment) ||
		    !model_text_same(x->access, y->access) || x->allow != y->allow)
			return false;
	}
	return true;
}

bool model_acl_facts_same(const struct model_acl_facts *a, const struct model_acl_facts *b)
{
	if (a->acl_known != b->acl_known || a->acl_enabled != b->acl_enabled ||
	    a->nprincipals != b->nprincipals || a->servers_known != b->servers_known ||
	    !model_meta_same(&a->servers, &b->servers) ||
	    !model_text_same(a->servers_error, b->servers_error))
		return false;
	for (size_t i = 0; i < a->nprincipals; i++)
		if (!principal_same(&a->principals[i], &b->principals[i]))
			return false;
	return true;
}

bool model_kube_access_same(const struct model_kube_access *a, const struct model_kube_access *b)
{
	if (a->reviews_known != b->reviews_known || a->nreviews != b->nreviews ||
	    !model_text_same(a->reviews_error, b->reviews_error))
		return false;
	for (size_t i = 0; i < a->nreviews; i++) {
		const struct model_access_review *x = &a->reviews[i], *y = &b->reviews[i];
		if (!model_text_same(x->verb, y->verb) || !model_text_same(x->group, y->group) ||
		    !model_text_same(x->resource, y->resource) ||
		    !model_text_same(x->subresource, y->subresource) ||
		    !model_text_same(x->ns, y->ns) || x->allowed != y->allowed)
			return false;
	}
	return true;
}

bool model_kube_helm_same(const struct model_kube_helm *a, const struct model_kube_helm *b)
{
	return model_text_same(a->release, b->release) && model_text_same(a->ns, b->ns) &&
	       a->revision == b->revision && model_text_same(a->status, b->status) &&
	       model_text_same(a->chart_version, b->chart_version) &&
	       model_text_same(a->app_version, b->app_version) &&
	       model_text_same(a->image, b->image) &&
	       model_text_same(a->datacenter, b->datacenter) &&
	       a->peering_enabled == b->peering_enabled && a->tls_enabled == b->tls_enabled &&
	       a->tls_https_only == b->tls_https_only &&
	       a->mesh_gateway_enabled == b->mesh_gateway_enabled &&
	       a->connect_inject_enabled == b->connect_inject_enabled &&
	       a->manage_system_acls == b->manage_system_acls &&
	       a->mesh_gateway_replicas == b->mesh_gateway_replicas &&
	       model_text_same(a->mesh_gateway_service_type, b->mesh_gateway_service_type) &&
	       a->admin_partitions_enabled == b->admin_partitions_enabled &&
	       model_text_same(a->admin_partition_name, b->admin_partition_name) &&
	       a->consul_namespaces_enabled == b->consul_namespaces_enabled;
}
