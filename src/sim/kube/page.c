/* peerscope-sim, Kubernetes half: list pagination (limit and continue).
 * A continue token is, as the API server makes it, unpadded URL-safe base64
 * of {"v":"meta.k8s.io/v1","rv":N,"start":"<key>"}: the resourceVersion of
 * the first page and the key ("<namespace>/<name>") of the last item sent.
 * A token older than the changes kept for watches is expired (410). */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simk.h"

#define TOKEN_VERSION "meta.k8s.io/v1"

char *simk_continue_token(uint64_t rv, const char *ns, const char *name)
{
	cJSON *o = cJSON_CreateObject();
	char key[300], *json, *b64;

	snprintf(key, sizeof key, "%s/%s", ns, name);
	if (!o || !cJSON_AddStringToObject(o, "v", TOKEN_VERSION) ||
	    !cJSON_AddNumberToObject(o, "rv", (double)rv) ||
	    !cJSON_AddStringToObject(o, "start", key)) {
		cJSON_Delete(o);
		return NULL;
	}
	json = sim_json_print(o, NULL);
	cJSON_Delete(o);
	b64 = json ? sim_b64_encode(json, strlen(json)) : NULL;
	free(json);
	if (!b64)
		return NULL;
	/* base64.RawURLEncoding */
	for (char *p = b64; *p; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
		else if (*p == '=')
			*p = '\0';
	}
	return b64;
}

/* The token's JSON, or NULL when it is not the URL-safe base64 of one. */
static cJSON *token_json(const char *token)
{
	size_t n = strlen(token), len;
	char *std = malloc(n + 4), *text;
	cJSON *o;

	if (!std)
		return NULL;
	for (size_t i = 0; i < n; i++)
		std[i] = token[i] == '-' ? '+' : token[i] == '_' ? '/' : token[i];
	while (n % 4)
		std[n++] = '=';
	std[n] = '\0';
	text = sim_b64_decode(std, &len);
	free(std);
	o = text ? cJSON_ParseWithLength(text, len) : NULL;
	free(text);
	return o;
}

static int parse_token(const char *token, struct simk_page *pg, char *err, size_t errlen)
{
	cJSON *o = token_json(token);
	const cJSON *rv = cJSON_GetObjectItem(o, "rv");
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(o, "v"));
	const char *start = cJSON_GetStringValue(cJSON_GetObjectItem(o, "start"));
	const char *slash = start ? strchr(start, '/') : NULL;
	int rc = -1;

	if (!o)
		snprintf(err, errlen, "continue key is not valid: illegal base64 data");
	else if (!v || strcmp(v, TOKEN_VERSION))
		snprintf(err, errlen,
		         "continue key is not valid: incorrect encoded start "
		         "resourceVersion (version meta.k8s.io/v1)");
	else if (!cJSON_IsNumber(rv) || rv->valuedouble < 1 || !slash || !slash[1])
		snprintf(err, errlen,
		         "continue key is not valid: incorrect encoded start "
		         "resourceVersion (version meta.k8s.io/v1)");
	else if ((size_t)(slash - start) >= sizeof pg->start_ns ||
	         strlen(slash + 1) >= sizeof pg->start_name)
		snprintf(err, errlen, "continue key is not valid: key too long");
	else {
		pg->rv = (uint64_t)rv->valuedouble;
		snprintf(pg->start_ns, sizeof pg->start_ns, "%.*s", (int)(slash - start), start);
		snprintf(pg->start_name, sizeof pg->start_name, "%s", slash + 1);
		rc = 0;
	}
	cJSON_Delete(o);
	return rc;
}

int simk_page_parse(const struct simk_state *k, const char *limit, const char *cont,
                    struct simk_page *pg, char *err, size_t errlen)
{
	char *end;

	memset(pg, 0, sizeof *pg);
	if (limit && *limit) {
		long long n = strtoll(limit, &end, 10);
		if (*end || n < 0) {
			snprintf(err, errlen,
			         "limit: Invalid value: \"%s\": must be a non-negative "
			         "integer",
			         limit);
			return 400;
		}
		pg->limit = (size_t)n;
	}
	if (!cont || !*cont)
		return 0;
	if (parse_token(cont, pg, err, errlen) < 0)
		return 400;
	if (pg->rv < simk_oldest_rv(k)) {
		snprintf(err, errlen,
		         "The provided continue parameter is too old to display a consistent list "
		         "result. You can start a new list without the continue parameter.");
		return 410;
	}
	return 0;
}

bool simk_page_after_start(const struct simk_page *pg, const char *ns, const char *name)
{
	int cmp;

	if (!pg || !pg->rv)
		return true;
	cmp = strcmp(ns, pg->start_ns);
	return cmp ? cmp > 0 : strcmp(name, pg->start_name) > 0;
}
