/* model, prerequisites: releasing what the structs of the checks' data
 * own. */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "peerscope/model.h"

void model_acl_principal_clear(struct model_acl_principal *p)
{
	if (!p)
		return;
	free(p->who);
	model_acl_token_clear(&p->token);
	free(p->error);
	for (size_t i = 0; i < p->nchecks; i++)
		model_acl_check_clear(&p->checks[i]);
	free(p->checks);
	memset(p, 0, sizeof *p);
}

void model_acl_facts_clear(struct model_acl_facts *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nprincipals; i++)
		model_acl_principal_clear(&f->principals[i]);
	free(f->principals);
	model_meta_clear(&f->servers);
	free(f->servers_error);
	memset(f, 0, sizeof *f);
}

void model_access_review_clear(struct model_access_review *a)
{
	if (!a)
		return;
	free(a->verb);
	free(a->group);
	free(a->resource);
	free(a->subresource);
	free(a->ns);
	memset(a, 0, sizeof *a);
}

void model_kube_access_clear(struct model_kube_access *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nreviews; i++)
		model_access_review_clear(&a->reviews[i]);
	free(a->reviews);
	free(a->reviews_error);
	memset(a, 0, sizeof *a);
}
