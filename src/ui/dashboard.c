/* dashboard: configuration -> connections (conn) -> pollers -> store -> ui_run. */
#include "autoconfig.h"

#include "peerscope/config.h"
#include "peerscope/conn.h"
#include "peerscope/poller.h"
#include "peerscope/store.h"
#include "peerscope/ui.h"

#include <stdio.h>
#include <stdlib.h>

static void refetch_all(void *ctx)
{
	poller_refresh(ctx);
}

int ui_dashboard(const struct config *cfg, bool demo, bool no_mouse, struct log_sink *log)
{
	size_t n = cfg->nclusters;
	struct conn *conns = calloc(n ? n : 1, sizeof *conns);
	struct poller_cluster *clusters = calloc(n ? n : 1, sizeof *clusters);
	const char **names = calloc(n ? n : 1, sizeof *names);
	struct poller_options popt = {.stream_interval_ms = cfg->refresh_ms, .log = log};
	struct store *st = NULL;
	struct poller *p = NULL;
	size_t opened = 0;
	int rc = 1;

	if (!conns || !clusters || !names || !(st = store_new(n, 0))) {
		fprintf(stderr, "peerscope: out of memory\n");
		goto out;
	}
	for (; opened < n; opened++) {
		conn_open(&conns[opened], cfg, &cfg->clusters[opened], log);
		clusters[opened] = conns[opened].cluster;
		names[opened] = cfg->clusters[opened].name;
	}
	p = poller_start(st, clusters, n, &popt);
	if (!p) {
		fprintf(stderr, "peerscope: cannot start the pollers\n");
		goto out;
	}
	struct ui_options opt = {
	        .store = st,
	        .names = names,
	        .nclusters = n,
	        .theme = cfg->theme,
	        .readonly = cfg->readonly,
	        .no_color = cfg->no_color,
	        .ascii = cfg->ascii,
	        .no_mouse = no_mouse,
	        .demo = demo,
	        .log = log,
	        .refetch = refetch_all,
	        .refetch_ctx = p,
	};
	rc = ui_run(&opt);
out:
	poller_stop(p);
	for (size_t i = 0; i < opened; i++)
		conn_close(&conns[i]);
	store_free(st);
	free(names);
	free(clusters);
	free(conns);
	return rc;
}
