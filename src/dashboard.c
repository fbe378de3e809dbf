/* dashboard: configuration -> session -> ui_run. */
#include "autoconfig.h"

#include "peerscope/dashboard.h"

#include "peerscope/config.h"
#include "peerscope/session.h"
#include "peerscope/ui.h"

#include <stdio.h>

static void refetch(void *ctx)
{
	session_refresh(ctx);
}

int dashboard_run(const struct config *cfg, bool demo, struct log_sink *log)
{
	struct session_options so = {
	        .pollers = true,
	        .worker = true,
	        .poll = {.stream_interval_ms = cfg->refresh_ms},
	};
	struct session *s;
	char err[600];
	int rc;

	if (session_open(cfg, log, &so, &s, err, sizeof err) < 0) {
		fprintf(stderr, "peerscope: %s\n", err);
		return 1;
	}
	struct ui_options opt = {
	        .store = session_store(s),
	        .names = session_names(s),
	        .nclusters = session_count(s),
	        .session = s,
	        .worker = session_worker(s),
	        .theme = cfg->theme,
	        .readonly = cfg->readonly,
	        .bindings = cfg->bindings,
	        .nbindings = cfg->nbindings,
	        .no_color = cfg->no_color,
	        .ascii = cfg->ascii,
	        .no_mouse = cfg->no_mouse,
	        .demo = demo,
	        .wait_ms = cfg->wait_ms,
	        .log = log,
	        .refetch = refetch,
	        .refetch_ctx = s,
	};
	rc = ui_run(&opt);
	session_close(s);
	return rc;
}
