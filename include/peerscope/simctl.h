/* simctl: the demo's own simulator, driven from the dashboard without
 * waiting: one `peerscope-sim ctl ...` at a time runs as a child process,
 * and the caller polls for its answer.
 *
 * Only the demo makes one (it knows the simulator it started); nothing here
 * can reach a real cluster. Not thread-safe: one thread (the UI's) uses it. */
#ifndef PEERSCOPE_SIMCTL_H
#define PEERSCOPE_SIMCTL_H

#include <stdbool.h>
#include <stddef.h>

struct simctl;

/* SIM: the peerscope-sim program; CONTROL: its control API's URL. NULL when
 * out of memory. */
struct simctl *simctl_new(const char *sim, const char *control);
/* Ends a command still running and frees everything. NULL is fine. */
void simctl_free(struct simctl *c);

/* The commands a presenter may use, for completion and checks. */
extern const char *const simctl_commands[];
extern const size_t simctl_ncommands;

/* Starts `ctl ARGV...`. False with a reason in ERR when one runs already,
 * the command is not one of simctl_commands, or the child cannot start. */
bool simctl_start(struct simctl *c, char *const *argv, size_t argc, char *err, size_t errlen);
bool simctl_busy(const struct simctl *c);
/* A descriptor to poll() for the running command (-1 when none). */
int simctl_fd(const struct simctl *c);
/* Reads what the running command wrote; true once it ended, with *OK and
 * in MSG one line naming the command: "sim gateway C critical: done", or
 * the simulator's error after the colon. */
bool simctl_poll(struct simctl *c, bool *ok, char *msg, size_t len);

#endif
