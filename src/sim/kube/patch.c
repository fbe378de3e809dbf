/* peerscope-sim: JSON merge patch (RFC 7386) and JSON patch (RFC 6902), as
 * the Kubernetes API server applies them to stored objects. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simk.h"

cJSON *simk_merge_patch(const cJSON *target, const cJSON *patch)
{
	cJSON *out;
	const cJSON *p;

	if (!cJSON_IsObject(patch))
		return cJSON_Duplicate(patch, true);
	out = cJSON_IsObject(target) ? cJSON_Duplicate(target, true) : cJSON_CreateObject();
	if (!out)
		return NULL;
	cJSON_ArrayForEach(p, patch)
	{
		cJSON *cur = cJSON_GetObjectItemCaseSensitive(out, p->string);
		cJSON *merged;

		if (cJSON_IsNull(p)) {
			cJSON_DeleteItemFromObjectCaseSensitive(out, p->string);
			continue;
		}
		merged = simk_merge_patch(cur, p);
		if (!merged) {
			cJSON_Delete(out);
			return NULL;
		}
		if (cur)
			cJSON_ReplaceItemViaPointer(out, cur, merged);
		else
			cJSON_AddItemToObject(out, p->string, merged);
	}
	return out;
}

/* One reference token of a JSON pointer, with ~1 and ~0 decoded. */
static const char *pointer_token(const char *p, char *tok, size_t len)
{
	size_t n = 0;

	for (; *p && *p != '/'; p++) {
		char ch = *p;

		if (ch == '~' && (p[1] == '0' || p[1] == '1'))
			ch = *++p == '0' ? '~' : '/';
		if (n + 1 < len)
			tok[n++] = ch;
	}
	tok[n] = '\0';
	return p;
}

/* Resolves POINTER to the parent container and the last token. */
static cJSON *pointer_parent(cJSON *doc, const char *pointer, char *last, size_t len)
{
	cJSON *cur = doc;
	const char *p = pointer;

	if (*p != '/')
		return NULL;
	while (*p == '/') {
		p = pointer_token(p + 1, last, len);
		if (*p != '/')
			return cur;
		if (cJSON_IsObject(cur)) {
			cur = cJSON_GetObjectItemCaseSensitive(cur, last);
		} else if (cJSON_IsArray(cur)) {
			char *end;
			long i = strtol(last, &end, 10);

			cur = *last && !*end && i >= 0 ? cJSON_GetArrayItem(cur, (int)i) : NULL;
		} else {
			cur = NULL;
		}
		if (!cur)
			return NULL;
	}
	return NULL;
}

/* Array index of TOK in ARR; "-" means the end when END_OK. */
static int array_index(const cJSON *arr, const char *tok, bool end_ok)
{
	int n = cJSON_GetArraySize(arr);
	char *end;
	long i;

	if (strcmp(tok, "-") == 0)
		return end_ok ? n : -1;
	i = strtol(tok, &end, 10);
	if (!*tok || *end || i < 0 || i > n || (!end_ok && i == n))
		return -1;
	return (int)i;
}

static cJSON *pointer_get(cJSON *doc, const char *pointer)
{
	char last[256];
	cJSON *parent;

	if (*pointer == '\0')
		return doc;
	parent = pointer_parent(doc, pointer, last, sizeof last);
	if (cJSON_IsObject(parent))
		return cJSON_GetObjectItemCaseSensitive(parent, last);
	if (cJSON_IsArray(parent)) {
		int i = array_index(parent, last, false);

		return i < 0 ? NULL : cJSON_GetArrayItem(parent, i);
	}
	return NULL;
}

static bool op_remove(cJSON *doc, const char *path, cJSON **removed)
{
	char last[256];
	cJSON *parent = pointer_parent(doc, path, last, sizeof last);
	cJSON *item = NULL;

	if (cJSON_IsObject(parent)) {
		item = cJSON_DetachItemFromObjectCaseSensitive(parent, last);
	} else if (cJSON_IsArray(parent)) {
		int i = array_index(parent, last, false);

		item = i < 0 ? NULL : cJSON_DetachItemFromArray(parent, i);
	}
	if (!item)
		return false;
	if (removed)
		*removed = item;
	else
		cJSON_Delete(item);
	return true;
}

/* Inserts ITEM before index I of ARR. (The cJSON release this was written
 * against does not insert reliably with cJSON_InsertItemInArray.) */
static bool array_insert(cJSON *arr, int i, cJSON *item)
{
	cJSON *tail = cJSON_CreateArray();

	if (!tail)
		return false;
	while (cJSON_GetArraySize(arr) > i)
		cJSON_AddItemToArray(tail, cJSON_DetachItemFromArray(arr, i));
	cJSON_AddItemToArray(arr, item);
	while (tail->child)
		cJSON_AddItemToArray(arr, cJSON_DetachItemFromArray(tail, 0));
	cJSON_Delete(tail);
	return true;
}

/* Adds VALUE (taken over) at PATH. */
static bool op_add(cJSON *doc, const char *path, cJSON *value)
{
	char last[256];
	cJSON *parent = pointer_parent(doc, path, last, sizeof last);

	if (cJSON_IsObject(parent)) {
		cJSON_DeleteItemFromObjectCaseSensitive(parent, last);
		cJSON_AddItemToObject(parent, last, value);
		return true;
	}
	if (cJSON_IsArray(parent)) {
		int i = array_index(parent, last, true);

		if (i >= 0 && i == cJSON_GetArraySize(parent)) {
			cJSON_AddItemToArray(parent, value);
			return true;
		}
		if (i >= 0 && array_insert(parent, i, value))
			return true;
	}
	cJSON_Delete(value);
	return false;
}

static bool apply_op(cJSON *doc, const cJSON *op, char *err, size_t errlen)
{
	const char *name = simk_str(op, "op"), *path = simk_str(op, "path");
	const char *from = simk_str(op, "from");
	const cJSON *value = cJSON_GetObjectItemCaseSensitive(op, "value");
	cJSON *moved = NULL;

	if (!name || !path) {
		snprintf(err, errlen, "a JSON patch operation needs \"op\" and \"path\"");
		return false;
	}
	if ((strcmp(name, "add") == 0 || strcmp(name, "replace") == 0 ||
	     strcmp(name, "test") == 0) &&
	    !value) {
		snprintf(err, errlen, "%s operation on %.200s has no \"value\"", name, path);
		return false;
	}
	if (strcmp(name, "add") == 0 && op_add(doc, path, cJSON_Duplicate(value, true)))
		return true;
	if (strcmp(name, "remove") == 0 && op_remove(doc, path, NULL))
		return true;
	if (strcmp(name, "replace") == 0 && pointer_get(doc, path) && op_remove(doc, path, NULL) &&
	    op_add(doc, path, cJSON_Duplicate(value, true)))
		return true;
	if (strcmp(name, "test") == 0 && cJSON_Compare(pointer_get(doc, path), value, true))
		return true;
	if ((strcmp(name, "move") == 0 || strcmp(name, "copy") == 0) && from) {
		if (strcmp(name, "copy") == 0) {
			const cJSON *src = pointer_get(doc, from);

			moved = src ? cJSON_Duplicate(src, true) : NULL;
		} else if (!op_remove(doc, from, &moved)) {
			moved = NULL;
		}
		if (moved && op_add(doc, path, moved))
			return true;
	}
	if (strcmp(name, "test") == 0)
		snprintf(err, errlen, "testing value %.200s failed", path);
	else if (strstr("add remove replace move copy", name))
		snprintf(err, errlen,
		         "the server rejected our request due to an error in our request: %s "
		         "operation does not apply: doc is missing path: \"%.200s\"",
		         name, path);
	else
		snprintf(err, errlen, "Unexpected kind: %.64s", name);
	return false;
}

cJSON *simk_json_patch(const cJSON *target, const cJSON *ops, char *err, size_t errlen)
{
	cJSON *doc = cJSON_Duplicate(target, true);
	const cJSON *op;

	if (!doc) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	cJSON_ArrayForEach(op, ops)
	{
		if (!apply_op(doc, op, err, errlen)) {
			cJSON_Delete(doc);
			return NULL;
		}
	}
	return doc;
}
