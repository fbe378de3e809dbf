/* peerscope-sim: requests and responses as the handlers see them — query
 * arguments, headers, JSON and plain-text bodies. No world, no I/O. */
#include "autoconfig.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core.h"
#include "sim.h"

/* ------------------------------------------------------ request helpers */

const char *sim_req_arg(const struct sim_req *req, const char *name, bool *present)
{
	if (present)
		*present = false;
	for (size_t i = 0; i < req->nargs; i++) {
		if (strcmp(req->args[i].key, name) == 0) {
			if (present)
				*present = true;
			return req->args[i].value ? req->args[i].value : "";
		}
	}
	return NULL;
}

const char *sim_req_header(const struct sim_req *req, const char *name)
{
	for (size_t i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].key, name) == 0)
			return req->headers[i].value;
	return NULL;
}

/* ----------------------------------------------------- response helpers */

void sim_resp_header(struct sim_resp *resp, const char *name, const char *fmt, ...)
{
	char *v = NULL;
	va_list ap;

	if (resp->nheaders >= sizeof resp->headers / sizeof resp->headers[0])
		return;
	va_start(ap, fmt);
	int n = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	char *k = strdup(name);
	if (!k) {
		free(v);
		return;
	}
	resp->headers[resp->nheaders].key = k;
	resp->headers[resp->nheaders].value = v;
	resp->nheaders++;
}

/* A body set now replaces a deferred one. */
static void drop_tree(struct sim_resp *resp)
{
	void (*render_free)(void *) = resp->render_free;
	void *ctx = resp->render_ctx;

	cJSON_Delete(resp->tree);
	resp->tree = NULL;
	resp->render = NULL;
	resp->render_free = NULL;
	resp->render_ctx = NULL;
	if (render_free)
		render_free(ctx);
}

void sim_resp_json(struct sim_resp *resp, int status, char *json)
{
	drop_tree(resp);
	free(resp->body);
	resp->status = json ? status : 500;
	resp->body = json;
	resp->body_len = json ? strlen(json) : 0;
	resp->content_type[0] = '\0';
	if (!json)
		sim_resp_text(resp, 500, "out of memory");
}

void sim_resp_text(struct sim_resp *resp, int status, const char *fmt, ...)
{
	char *t = NULL;
	va_list ap;

	va_start(ap, fmt);
	int n = vasprintf(&t, fmt, ap);
	va_end(ap);
	drop_tree(resp);
	free(resp->body);
	resp->status = status;
	resp->body = n < 0 ? NULL : t;
	resp->body_len = n < 0 ? 0 : (size_t)n;
	snprintf(resp->content_type, sizeof resp->content_type, "text/plain; charset=utf-8");
}

void sim_resp_print_deferred(struct sim_resp *resp)
{
	if (resp->render) {
		void (*render)(void *, struct sim_resp *) = resp->render;
		void (*render_free)(void *) = resp->render_free;
		void *ctx = resp->render_ctx;
		resp->render = NULL;
		resp->render_free = NULL;
		resp->render_ctx = NULL;
		render(ctx, resp);
		if (render_free)
			render_free(ctx);
	}

	cJSON *tree = resp->tree;

	if (!tree)
		return;
	resp->tree = NULL;
	char *s = sim_json_print(tree, NULL);
	int status = resp->status;

	cJSON_Delete(tree);
	sim_resp_json(resp, status, s);
}

void sim_resp_free(struct sim_resp *resp)
{
	drop_tree(resp);
	free(resp->body);
	resp->body = NULL;
	for (size_t i = 0; i < resp->nheaders; i++) {
		free(resp->headers[i].key);
		free(resp->headers[i].value);
	}
	resp->nheaders = 0;
	if (resp->stream.next && resp->stream.done)
		resp->stream.done(resp->stream.ctx);
	resp->stream.next = NULL;
}
