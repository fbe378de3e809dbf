/* demo: peerscope on a simulated world that this process owns.
 *
 * demo_run() starts peerscope-sim as a child (three clusters; cluster-01
 * and cluster-02 peered, cluster-03 not), loads the configuration the
 * simulator writes, with the command line's other flags on top, and runs
 * the dashboard on it. The simulator is stopped and the temporary files
 * removed on every exit: normally, on a signal, and (by a watcher process)
 * even when this process is killed. */
#ifndef PEERSCOPE_DEMO_H
#define PEERSCOPE_DEMO_H

struct config_args;
struct log_sink;

/* ARGV0 helps find the simulator: next to this program, else on PATH.
 * Returns the exit status. */
int demo_run(const struct config_args *args, char *const *envp, const char *argv0,
             struct log_sink *log);

#endif
