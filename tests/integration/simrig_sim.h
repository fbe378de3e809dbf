/* The one way the C tests and benchmarks start peerscope-sim.
 *
 * simrig_sim_start() runs the simulator as a child process with its files in
 * a new temporary folder:
 *
 *   DIR/state/        --state-dir (CA, tokens, Helm values)
 *   DIR/kubeconfig    --kubeconfig-out
 *   DIR/config.yaml   --config-out, a peerscope configuration
 *   DIR/ready         --ready-file: control=URL, cluster-NN.consul=URL, ...
 *
 * and waits until it is ready; simrig_sim_stop() ends it and removes the
 * folder. The child never outlives the test program, and in a
 * ThreadSanitizer build its own reports do not stop it (it is tested on its
 * own; here it only serves). Start it before the program starts threads
 * (the child sets its environment between fork and exec). Only libc and the
 * monotonic clock, so that
 * programs not linked with libpeerscope can use it. Functions return 0 on
 * success, -1 with a message on stderr otherwise. */
#ifndef PEERSCOPE_TESTS_SIMRIG_SIM_H
#define PEERSCOPE_TESTS_SIMRIG_SIM_H

#include <stddef.h>
#include <sys/types.h>

struct simrig_sim {
	pid_t pid;
	char dir[256];
	char control[256]; /* the control API's URL, from the ready file */
};

/* Starts BIN (NULL: $top_builddir/peerscope-sim) with the file options
 * above, then ARGS (NULL-terminated: "-n", "2", "--tls", ...), and waits
 * until its ready file names the control API (at most 20 s, or until the
 * child exits). */
int simrig_sim_start(struct simrig_sim *sim, const char *bin, const char *const *args);

/* SIGTERM, then SIGKILL after 5 s; removes the folder. Returns the
 * simulator's exit status, or -1 when it had to be killed or was not
 * running. Safe on a simrig_sim that never started, and twice. */
int simrig_sim_stop(struct simrig_sim *sim);

/* DIR/NAME in BUF ("kubeconfig", "state/ca.pem"); BUF. */
const char *simrig_sim_path(const struct simrig_sim *sim, const char *name, char *buf, size_t len);

/* The value of KEY= in the ready file ("cluster-01.kube") in BUF; 0, or -1
 * when it has none. */
int simrig_sim_ready_value(const struct simrig_sim *sim, const char *key, char *buf, size_t len);

#endif
