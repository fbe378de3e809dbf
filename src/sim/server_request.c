/* peerscope-sim: what a request goes through whatever protocol brought it
 * (server.c's HTTP/1.1, server_h2.c's HTTP/2): the request log, the fault
 * plan and its delay, the handler of its listener, and the check that its
 * cluster still runs; the garbling of a malformed body, and the answer
 * compressed as the real server would (encode.c). */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server_internal.h"

void sim_server_sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void sim_server_garble(char **body, size_t *len, bool line)
{
	static const char junk[] = "#!malformed\n";
	size_t jn = sizeof junk - (line ? 1 : 2);
	size_t keep = *len / 2;
	char *g = malloc(keep + jn + 1);

	if (!g)
		return;
	if (keep)
		memcpy(g, *body, keep);
	memcpy(g + keep, junk, jn);
	g[keep + jn] = '\0';
	free(*body);
	*body = g;
	*len = keep + jn;
}

static void run_handler(struct listener *l, const struct sim_req *req, struct sim_resp *resp)
{
	switch (l->kind) {
	case SIM_LISTEN_CONSUL:
		l->srv->consul_fn(l->c, req, resp);
		break;
	case SIM_LISTEN_KUBE:
		l->srv->kube_fn(l->c, req, resp);
		break;
	case SIM_LISTEN_CONTROL:
		l->srv->control_fn(l->srv->control_ctx, req, resp);
		break;
	}
}

int sim_server_dispatch(struct listener *l, const struct sim_req *req, bool too_big,
                        struct sim_fault_plan *fp, struct sim_resp *resp)
{
	uint64_t seq = 0;

	memset(fp, 0, sizeof *fp);
	if (l->c) {
		seq = sim_reqlog_add(l->srv->reqlog, l->c, l->kind, req);
		sim_faults_plan(l->c, l->kind, req->method, req->path,
		                sim_req_arg(req, "watch", NULL) || strstr(req->path, "/watch/"),
		                fp);
	}
	if (fp->delay_ms > 0)
		sim_server_sleep_ms(fp->delay_ms);
	if (fp->reset)
		return -1;
	if (too_big)
		sim_resp_text(resp, 413, "Request body too large");
	else if (fp->error_code)
		sim_faults_error(l->kind, fp->error_code, resp);
	else
		run_handler(l, req, resp);

	/* A cluster stopped while the request waited: drop the connection as a
	 * dying server would. */
	bool running = true;
	if (l->c) {
		pthread_mutex_lock(&l->srv->world->lock);
		running = l->c->running;
		pthread_mutex_unlock(&l->srv->world->lock);
	}
	if (!running)
		return -1;
	/* A malformed body is garbled before it is compressed: the client
	 * inflates it whole and finds it does not parse. */
	if (fp->malformed && !resp->stream.next && resp->body_len)
		sim_server_garble(&resp->body, &resp->body_len, false);
	if (l->c) {
		size_t plain = resp->stream.next ? 0 : resp->body_len;
		bool gz = !l->srv->world->opt.no_gzip && sim_encode(l->kind, req, resp);
		sim_reqlog_answered(l->srv->reqlog, seq, plain, gz ? resp->body_len : 0);
	}
	return 0;
}
