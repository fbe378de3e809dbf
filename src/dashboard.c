/* dashboard: configuration -> session -> ui_run. */
#include "autoconfig.h"

#include "peerscope/dashboard.h"
#include "peerscope/term.h"

#include "peerscope/config.h"
#include "peerscope/script.h"
#include "peerscope/session.h"
#include "peerscope/ui.h"

#include <stdio.h>
#include <unistd.h>

static void refetch(void *ctx)
{
	session_refresh(ctx);
}

int dashboard_run(const struct config *cfg, const struct dashboard_extras *x, struct log_sink *log)
{
	static const struct dashboard_extras none = {0};
	struct session_options so = {
	        .pollers = true,
	        .worker = true,
	        .poll = {.stream_interval_ms = cfg->refresh_ms},
	};
	struct session *s;
	char err[600];
	int rc;

	if (!x)
		x = &none;
	if (session_open(cfg, log, &so, &s, err, sizeof err) < 0) {
		term_fprintf(stderr, "peerscope: %s\n", err);
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
	        .demo = x->demo,
	        .script = x->script,
	        .tour = x->tour,
	        .tour_auto_ms = x->tour_auto_ms,
	        .simctl = x->simctl,
	        .tour_file = x->tour_file,
	        .wait_ms = cfg->wait_ms,
	        .highlight_ms = cfg->highlight_ms > 0 ? cfg->highlight_ms : -1,
	        .log = log,
	        .refetch = refetch,
	        .refetch_ctx = s,
	};
	rc = ui_run(&opt);
	session_close(s);
	return rc;
}

int dashboard_run_script(const struct config *cfg, struct log_sink *log)
{
	struct dashboard_extras x = {0};
	struct script sc;
	char err[600];
	int rc;

	if (script_load(cfg->script, &sc, err, sizeof err) < 0) {
		term_fprintf(stderr, "peerscope: %s\n", err);
		return 2;
	}
	for (size_t i = 0; i < sc.n; i++)
		if (sc.v[i].op == SCRIPT_SIM) {
			fprintf(stderr,
			        "peerscope: %s:%u: sim works only in a demo (peerscope --demo)\n",
			        sc.file, sc.v[i].line);
			script_free(&sc);
			return 2;
		}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr,
		        "peerscope: --script plays on the dashboard, which needs a terminal\n");
		script_free(&sc);
		return 2;
	}
	x.script = &sc;
	rc = dashboard_run(cfg, &x, log);
	script_free(&sc); /* empty when the dashboard took it */
	return rc;
}
