/* peerscope-sim: validation of custom resources against the structural
 * OpenAPI v3 schema of their CRD, with the API server's pruning of unknown
 * fields and its error texts. */
#include "autoconfig.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simk.h"

struct schema_walk {
	bool strict;
	cJSON *causes;
	char *unknown; /* comma-joined, malloc'd */
};

static const char *value_type(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "string";
	if (cJSON_IsBool(v))
		return "boolean";
	if (cJSON_IsNumber(v))
		return v->valuedouble == floor(v->valuedouble) ? "integer" : "number";
	if (cJSON_IsArray(v))
		return "array";
	if (cJSON_IsObject(v))
		return "object";
	return "null";
}

static void add_cause(struct schema_walk *w, const char *reason, const char *field,
                      const char *message)
{
	cJSON *c = cJSON_CreateObject();

	if (!c)
		return;
	cJSON_AddStringToObject(c, "reason", reason);
	cJSON_AddStringToObject(c, "message", message);
	cJSON_AddStringToObject(c, "field", field);
	cJSON_AddItemToArray(w->causes, c);
}

static void add_unknown(struct schema_walk *w, const char *path)
{
	size_t old = w->unknown ? strlen(w->unknown) : 0;
	size_t add = strlen(path) + 20;
	char *p = realloc(w->unknown, old + add);

	if (!p)
		return;
	snprintf(p + old, add, "%sunknown field \"%s\"", old ? ", " : "", path);
	w->unknown = p;
}

static bool type_ok(const char *want, const cJSON *v, bool int_or_string)
{
	const char *have = value_type(v);

	if (int_or_string)
		return strcmp(have, "integer") == 0 || strcmp(have, "string") == 0;
	if (!want)
		return true;
	if (strcmp(want, "number") == 0)
		return cJSON_IsNumber(v);
	return strcmp(want, have) == 0;
}

static void check_enum(struct schema_walk *w, const cJSON *schema, const cJSON *v, const char *path)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(schema, "enum"), *it;
	char msg[512];
	size_t len;

	if (!cJSON_IsArray(e))
		return;
	cJSON_ArrayForEach(it, e)
	{
		if (cJSON_Compare(it, v, true))
			return;
	}
	len = (size_t)snprintf(msg, sizeof msg, "Unsupported value: \"%.64s\": supported values: ",
	                       cJSON_IsString(v) ? v->valuestring : value_type(v));
	cJSON_ArrayForEach(it, e)
	{
		if (len < sizeof msg && cJSON_IsString(it))
			len += (size_t)snprintf(msg + len, sizeof msg - len, "%s\"%.64s\"",
			                        it == e->child ? "" : ", ", it->valuestring);
	}
	add_cause(w, "FieldValueNotSupported", path, msg);
}

static void walk(struct schema_walk *w, const cJSON *schema, cJSON *v, const char *path);

static void walk_object(struct schema_walk *w, const cJSON *schema, cJSON *v, const char *path)
{
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
	const cJSON *addl = cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties");
	bool preserve = cJSON_IsTrue(
	        cJSON_GetObjectItemCaseSensitive(schema, "x-kubernetes-preserve-unknown-fields"));
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(schema, "required"), *r;
	cJSON *m = v->child;
	char sub[512];

	while (m) {
		cJSON *next = m->next;
		const cJSON *ps = cJSON_GetObjectItemCaseSensitive(props, m->string);

		snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", m->string);
		if (!ps && cJSON_IsObject(addl))
			ps = addl;
		if (ps) {
			/* Nulls in fields that are not nullable are dropped. */
			if (cJSON_IsNull(m) &&
			    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ps, "nullable")))
				cJSON_Delete(cJSON_DetachItemViaPointer(v, m));
			else
				walk(w, ps, m, sub);
		} else if (!preserve && !cJSON_IsTrue(addl)) {
			if (w->strict)
				add_unknown(w, sub);
			cJSON_Delete(cJSON_DetachItemViaPointer(v, m));
		}
		m = next;
	}
	cJSON_ArrayForEach(r, req)
	{
		if (!cJSON_IsString(r) || cJSON_GetObjectItemCaseSensitive(v, r->valuestring))
			continue;
		snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", r->valuestring);
		add_cause(w, "FieldValueRequired", sub, "Required value");
	}
}

static void walk(struct schema_walk *w, const cJSON *schema, cJSON *v, const char *path)
{
	const char *type = simk_str(schema, "type");
	bool ios = cJSON_IsTrue(
	        cJSON_GetObjectItemCaseSensitive(schema, "x-kubernetes-int-or-string"));
	char msg[600], sub[512];
	int i = 0;
	cJSON *it;

	if (!type_ok(type, v, ios)) {
		snprintf(msg, sizeof msg,
		         "Invalid value: \"%s\": %s in body must be of type %s: \"%s\"",
		         value_type(v), path, ios ? "int-or-string" : type, value_type(v));
		add_cause(w, "FieldValueTypeInvalid", path, msg);
		return;
	}
	check_enum(w, schema, v, path);
	if (cJSON_IsObject(v) && type && strcmp(type, "object") == 0) {
		walk_object(w, schema, v, path);
	} else if (cJSON_IsArray(v)) {
		const cJSON *items = cJSON_GetObjectItemCaseSensitive(schema, "items");

		cJSON_ArrayForEach(it, v)
		{
			snprintf(sub, sizeof sub, "%s[%d]", path, i++);
			if (cJSON_IsObject(items))
				walk(w, items, it, sub);
		}
	}
}

void simk_schema_check(const cJSON *schema, cJSON *obj, bool strict, cJSON *causes, char **unknown)
{
	struct schema_walk w = {.strict = strict, .causes = causes};
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
	cJSON *m = obj->child;

	/* The root is checked member by member: metadata is the API server's
	 * ObjectMeta, never pruned by a CRD schema. */
	while (m) {
		cJSON *next = m->next;
		const cJSON *ps = cJSON_GetObjectItemCaseSensitive(props, m->string);

		if (strcmp(m->string, "metadata") == 0 || strcmp(m->string, "apiVersion") == 0 ||
		    strcmp(m->string, "kind") == 0) {
			m = next;
			continue;
		}
		if (ps && !(cJSON_IsNull(m)))
			walk(&w, ps, m, m->string);
		else if (ps)
			cJSON_Delete(cJSON_DetachItemViaPointer(obj, m));
		else {
			if (strict)
				add_unknown(&w, m->string);
			cJSON_Delete(cJSON_DetachItemViaPointer(obj, m));
		}
		m = next;
	}
	*unknown = w.unknown;
}
