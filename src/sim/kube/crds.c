/* peerscope-sim: the CustomResourceDefinitions the Kubernetes half serves,
 * and the YAML reader that loads them.
 *
 * The CRD YAML files under src/sim/crds/ are embedded into the program at
 * build time (crds_data.c, generated); each cluster parses them at start into
 * JSON documents that drive discovery, OpenAPI and schema validation. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "simk.h"

/* Generated from the YAML files in src/sim/crds: one string per file, then NULL. */
extern const char *const simk_crd_texts[];

static cJSON *yaml_node_json(yaml_document_t *doc, yaml_node_t *node, int depth);

static bool is_int_text(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool is_float_text(const char *s)
{
	char *end;

	if (!*s || strspn(s, "+-.0123456789eE") != strlen(s))
		return false;
	errno = 0;
	(void)strtod(s, &end);
	return errno == 0 && *end == '\0';
}

/* Resolves a plain scalar the way YAML 1.2's core schema does. */
static cJSON *plain_scalar(const char *s)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
	static const char *const trues[] = {"true", "True", "TRUE"};
	static const char *const falses[] = {"false", "False", "FALSE"};

	for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
		if (strcmp(s, nulls[i]) == 0)
			return cJSON_CreateNull();
	for (size_t i = 0; i < sizeof trues / sizeof trues[0]; i++)
		if (strcmp(s, trues[i]) == 0)
			return cJSON_CreateTrue();
	for (size_t i = 0; i < sizeof falses / sizeof falses[0]; i++)
		if (strcmp(s, falses[i]) == 0)
			return cJSON_CreateFalse();
	if (is_int_text(s) || is_float_text(s))
		return cJSON_CreateNumber(strtod(s, NULL));
	return cJSON_CreateString(s);
}

/* The document API tags every untagged scalar "!!str", so the style is what
 * tells a plain scalar (resolved by its text) from a quoted one (a string). */
static cJSON *yaml_scalar_json(yaml_node_t *node)
{
	const char *text = (const char *)node->data.scalar.value;

	if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return cJSON_CreateString(text);
	return plain_scalar(text);
}

static cJSON *yaml_mapping_json(yaml_document_t *doc, yaml_node_t *node, int depth)
{
	cJSON *obj = cJSON_CreateObject();

	if (!obj)
		return NULL;
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		cJSON *val;

		if (!k || k->type != YAML_SCALAR_NODE || !v)
			goto fail;
		val = yaml_node_json(doc, v, depth + 1);
		if (!val)
			goto fail;
		cJSON_DeleteItemFromObjectCaseSensitive(obj, (const char *)k->data.scalar.value);
		cJSON_AddItemToObject(obj, (const char *)k->data.scalar.value, val);
	}
	return obj;
fail:
	cJSON_Delete(obj);
	return NULL;
}

static cJSON *yaml_node_json(yaml_document_t *doc, yaml_node_t *node, int depth)
{
	cJSON *arr;

	/* Aliases can make a graph out of a tree; cap the depth. */
	if (depth > 64)
		return NULL;
	switch (node->type) {
	case YAML_SCALAR_NODE:
		return yaml_scalar_json(node);
	case YAML_MAPPING_NODE:
		return yaml_mapping_json(doc, node, depth);
	case YAML_SEQUENCE_NODE:
		arr = cJSON_CreateArray();
		if (!arr)
			return NULL;
		for (yaml_node_item_t *it = node->data.sequence.items.start;
		     it < node->data.sequence.items.top; it++) {
			yaml_node_t *n = yaml_document_get_node(doc, *it);
			cJSON *val = n ? yaml_node_json(doc, n, depth + 1) : NULL;

			if (!val) {
				cJSON_Delete(arr);
				return NULL;
			}
			cJSON_AddItemToArray(arr, val);
		}
		return arr;
	default:
		return NULL;
	}
}

cJSON *simk_yaml_to_json(const char *text, size_t len, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	cJSON *out = NULL;

	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "line %lu: %s", (unsigned long)parser.problem_mark.line + 1,
		         parser.problem ? parser.problem : "invalid YAML");
		yaml_parser_delete(&parser);
		return NULL;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root)
		snprintf(err, errlen, "line 1: empty document");
	else if (!(out = yaml_node_json(&doc, root, 0)))
		snprintf(err, errlen, "line %lu: unsupported YAML structure",
		         (unsigned long)root->start_mark.line + 1);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return out;
}

static void copy_str(char *dst, size_t len, const cJSON *obj, const char *path)
{
	const char *s = simk_str(obj, path);

	snprintf(dst, len, "%s", s ? s : "");
}

/* Fills one resource type from a CRD document. */
static int rtype_from_crd(struct simk_rtype *t, const cJSON *crd, char *err, size_t errlen)
{
	const cJSON *versions = simk_path(crd, "spec.versions");
	const cJSON *v = cJSON_GetArrayItem(versions, 0);
	const cJSON *shorts = simk_path(crd, "spec.names.shortNames");
	const char *scope = simk_str(crd, "spec.scope");

	if (!v || !simk_str(crd, "spec.names.plural") || !simk_str(crd, "spec.names.kind")) {
		snprintf(err, errlen, "CRD %s: spec.names or spec.versions missing",
		         simk_str(crd, "metadata.name") ? simk_str(crd, "metadata.name") : "?");
		return -1;
	}
	memset(t, 0, sizeof *t);
	copy_str(t->group, sizeof t->group, crd, "spec.group");
	copy_str(t->version, sizeof t->version, v, "name");
	copy_str(t->plural, sizeof t->plural, crd, "spec.names.plural");
	copy_str(t->singular, sizeof t->singular, crd, "spec.names.singular");
	copy_str(t->kind, sizeof t->kind, crd, "spec.names.kind");
	copy_str(t->list_kind, sizeof t->list_kind, crd, "spec.names.listKind");
	if (cJSON_IsString(cJSON_GetArrayItem(shorts, 0)))
		snprintf(t->short_name, sizeof t->short_name, "%s",
		         cJSON_GetArrayItem(shorts, 0)->valuestring);
	t->namespaced = scope && strcmp(scope, "Namespaced") == 0;
	t->has_status = simk_path(v, "subresources.status") != NULL;
	t->schema = simk_path(v, "schema.openAPIV3Schema");
	t->crd = crd;
	return 0;
}

static void core_rtype(struct simk_rtype *t, const char *plural, const char *singular,
                       const char *kind, const char *short_name, bool namespaced)
{
	memset(t, 0, sizeof *t);
	snprintf(t->version, sizeof t->version, "v1");
	snprintf(t->plural, sizeof t->plural, "%s", plural);
	snprintf(t->singular, sizeof t->singular, "%s", singular);
	snprintf(t->kind, sizeof t->kind, "%s", kind);
	snprintf(t->list_kind, sizeof t->list_kind, "%sList", kind);
	snprintf(t->short_name, sizeof t->short_name, "%s", short_name);
	t->namespaced = namespaced;
	t->has_status = strcmp(plural, "namespaces") == 0 || strcmp(plural, "services") == 0;
}

int simk_crds_load(struct simk_state *k, char *err, size_t errlen)
{
	k->crds = cJSON_CreateArray();
	if (!k->crds) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	core_rtype(&k->rtypes[SIMK_RT_NAMESPACES], "namespaces", "namespace", "Namespace", "ns",
	           false);
	core_rtype(&k->rtypes[SIMK_RT_SECRETS], "secrets", "secret", "Secret", "", true);
	core_rtype(&k->rtypes[SIMK_RT_CONFIGMAPS], "configmaps", "configmap", "ConfigMap", "cm",
	           true);
	core_rtype(&k->rtypes[SIMK_RT_SERVICES], "services", "service", "Service", "svc", true);
	core_rtype(&k->rtypes[SIMK_RT_DEPLOYMENTS], "deployments", "deployment", "Deployment",
	           "deploy", true);
	snprintf(k->rtypes[SIMK_RT_DEPLOYMENTS].group, sizeof k->rtypes[0].group, "%s",
	         SIMK_APPS_GROUP);
	k->nrtypes = SIMK_RT_FIRST_CR;
	for (size_t i = 0; simk_crd_texts[i]; i++) {
		char yerr[160];
		cJSON *crd = simk_yaml_to_json(simk_crd_texts[i], strlen(simk_crd_texts[i]), yerr,
		                               sizeof yerr);

		if (!crd) {
			snprintf(err, errlen, "embedded CRD #%zu: %s", i + 1, yerr);
			return -1;
		}
		cJSON_AddItemToArray(k->crds, crd);
		if (k->nrtypes >= SIMK_MAX_RTYPES) {
			snprintf(err, errlen, "too many CRDs (at most %d types)", SIMK_MAX_RTYPES);
			return -1;
		}
		if (rtype_from_crd(&k->rtypes[k->nrtypes], crd, err, errlen) < 0)
			return -1;
		k->nrtypes++;
	}
	return 0;
}
