/* dashboard: the interactive program on a loaded configuration: a session
 * with pollers and the operations worker, the terminal UI on it (ui.h),
 * and the session closed when the UI ends. */
#ifndef PEERSCOPE_DASHBOARD_H
#define PEERSCOPE_DASHBOARD_H

#include <stdbool.h>

struct config;
struct log_sink;

/* DEMO shows the DEMO badge. Returns the exit status. */
int dashboard_run(const struct config *cfg, bool demo, struct log_sink *log);

#endif
