/* dashboard: the interactive program on a loaded configuration: a session
 * with pollers and the operations worker, the terminal UI on it (ui.h),
 * and the session closed when the UI ends. */
#ifndef PEERSCOPE_DASHBOARD_H
#define PEERSCOPE_DASHBOARD_H

#include <stdbool.h>

struct config;
struct log_sink;
struct script;
struct simctl;

/* What the demo and --script add to the dashboard. */
struct dashboard_extras {
	bool demo;             /* the DEMO badge */
	struct script *script; /* played from the start; taken over (NULL: none) */
	bool tour;             /* the script is the tour */
	long tour_auto_ms;     /* the tour's pauses end by themselves; 0: never */
	struct simctl *simctl; /* the demo's simulator (:sim); borrowed, NULL: none */
	const char *tour_file; /* the demo's tour (:tour); NULL: none */
};

/* X may be NULL (none of it). Returns the exit status. */
int dashboard_run(const struct config *cfg, const struct dashboard_extras *x, struct log_sink *log);
/* --script FILE outside a demo: loads it (errors with file:line on stderr,
 * status 2) and runs the dashboard with it. */
int dashboard_run_script(const struct config *cfg, struct log_sink *log);

#endif
