/* dashboard: configuration -> session -> ui_run; the pollers start once
 * the first frame is on the screen. */
#include "autoconfig.h"

#include "peerscope/dashboard.h"
#include "peerscope/term.h"

#include "peerscope/config.h"
#include "peerscope/log.h"
#include "peerscope/script.h"
#include "peerscope/session.h"
#include "peerscope/ui.h"

#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#define NO_POLLERS "cannot start the pollers"

static void refetch(void *ctx)
{
	session_refresh(ctx);
}

static void state_shown(void *ctx)
{
	session_state_shown(ctx);
}

struct first_frame {
	struct session *s;
	bool failed; /* the pollers did not start */
};

/* The first frame is drawn: the pollers start. A dashboard that cannot
 * watch its clusters ends, saying so, rather than showing them waiting. */
static int first_frame_drawn(void *ctx)
{
	struct first_frame *f = ctx;

	if (session_start_pollers(f->s) == 0)
		return 0;
	f->failed = true;
	log_error(session_log(f->s), NO_POLLERS);
	return -1;
}

int dashboard_run(const struct config *cfg, const struct dashboard_extras *x, struct log_sink *log)
{
	static const struct dashboard_extras none = {0};
	struct session_options so = {
	        .pollers = true,
	        .defer_pollers = true, /* the first frame does not wait for them */
	        .worker = true,
	        /* The checks' requests wait for the frame that shows the
	         * state (state_shown). */
	        .poll = {.stream_interval_ms = cfg->refresh_ms,
	                 .steady_interval_ms = cfg->steady_refresh_ms,
	                 .probe_interval_ms = cfg->kube_probe_ms,
	                 .hold_for_reader = true},
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
	struct first_frame ff = {.s = s};
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
	        .drawn = first_frame_drawn,
	        .drawn_ctx = &ff,
	        .state_shown = state_shown,
	        .state_shown_ctx = s,
	};
	rc = ui_run(&opt);
	if (ff.failed) /* the terminal is restored: say it there too */
		term_fprintf(stderr, "peerscope: %s\n", NO_POLLERS);
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
