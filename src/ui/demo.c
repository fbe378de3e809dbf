/* demo: the dashboard on a simulated world that this process owns.
 *
 * Layout of the temporary folder (removed at the end):
 *   config.yaml  kubeconfig  ready  sim.log  state/
 * Children: peerscope-sim, and a watcher that waits on a pipe; when this
 * process ends without saying goodbye on the pipe (killed, crashed), the
 * watcher stops the simulator and removes the folder. */
#include "config.h"

#include "peerscope/config.h"
#include "peerscope/ui.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READY_TIMEOUT_MS 15000
#define PEER_TIMEOUT_MS  10000
#define STOP_TIMEOUT_MS  3000

struct demo {
	char dir[PATH_MAX];
	char sim[PATH_MAX];
	pid_t sim_pid;
	pid_t watcher_pid;
	int watcher_fd; /* write end; closing it without a byte means "clean up" */
};

/* Set by the signal handler while the simulator starts (the dashboard has
 * its own handlers once it runs). */
static volatile sig_atomic_t demo_stop;

static void on_stop(int sig)
{
	demo_stop = sig;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------ files */

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void remove_tree(const char *dir)
{
	if (*dir)
		nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void path_in(const struct demo *d, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", d->dir, name);
}

/* peerscope-sim next to this program (build tree or bindir), else PATH. */
static void find_sim(const char *argv0, char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	char *slash;

	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/'))) {
			*slash = '\0';
			if (snprintf(out, len, "%s/peerscope-sim", self) < (int)len &&
			    access(out, X_OK) == 0)
				return;
		}
	}
	if (argv0 && strchr(argv0, '/')) {
		snprintf(self, sizeof self, "%s", argv0);
		*strrchr(self, '/') = '\0';
		if (snprintf(out, len, "%s/peerscope-sim", self) < (int)len &&
		    access(out, X_OK) == 0)
			return;
	}
	snprintf(out, len, "peerscope-sim");
}

/* ------------------------------------------------------------ children */

/* Runs the simulator (or its "ctl" command) with output to sim.log. */
static pid_t spawn(const struct demo *d, const char *const argv[])
{
	char log[PATH_MAX + 16];
	pid_t pid;

	path_in(d, "sim.log", log, sizeof log);
	pid = fork();
	if (pid != 0)
		return pid;
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || null < 0)
		_exit(127);
	dup2(null, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	/* Its own process group: a Ctrl-C meant for the dashboard does not
	 * stop the world under it; the dashboard stops it when it ends. */
	setpgid(0, 0);
	execvp(argv[0], (char *const *)argv);
	_exit(127);
}

/* Waits up to TIMEOUT_MS for PID; returns its wait status, or -1. */
static int wait_child(pid_t pid, long timeout_ms)
{
	int status;

	for (long t = 0; t <= timeout_ms; t += 20) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0)
			return -1;
		sleep_ms(20);
	}
	return -1;
}

static void stop_child(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	if (wait_child(pid, STOP_TIMEOUT_MS) == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* The watcher: blocks on the pipe. A byte means the dashboard cleaned up
 * itself; end of file without one means it died, so the watcher does it. */
static void watcher_main(int fd, pid_t sim, const char *dir)
{
	char c;
	ssize_t n;

	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1)
		_exit(0);
	kill(sim, SIGTERM);
	for (int i = 0; i < STOP_TIMEOUT_MS / 20 && kill(sim, 0) == 0; i++)
		sleep_ms(20);
	kill(sim, SIGKILL);
	remove_tree(dir);
	_exit(0);
}

static int start_watcher(struct demo *d)
{
	int fds[2];

	if (pipe(fds) < 0)
		return -1;
	d->watcher_pid = fork();
	if (d->watcher_pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (d->watcher_pid == 0) {
		close(fds[1]);
		watcher_main(fds[0], d->sim_pid, d->dir);
	}
	close(fds[0]);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	d->watcher_fd = fds[1];
	return 0;
}

/* ------------------------------------------------------------ start, stop */

static int wait_ready(const struct demo *d)
{
	char ready[PATH_MAX + 16];
	struct stat st;

	path_in(d, "ready", ready, sizeof ready);
	for (long t = 0; t < READY_TIMEOUT_MS && !demo_stop; t += 50) {
		if (stat(ready, &st) == 0 && st.st_size > 0)
			return 0;
		if (waitpid(d->sim_pid, NULL, WNOHANG) == d->sim_pid) {
			fprintf(stderr, "peerscope: peerscope-sim ended early (see %s/sim.log)\n",
			        d->dir);
			return -1;
		}
		sleep_ms(50);
	}
	if (!demo_stop)
		fprintf(stderr, "peerscope: peerscope-sim was not ready within %d s\n",
		        READY_TIMEOUT_MS / 1000);
	return -1;
}

static int start_sim(struct demo *d)
{
	char state[PATH_MAX + 16], kube[PATH_MAX + 16], conf[PATH_MAX + 16], ready[PATH_MAX + 16];

	path_in(d, "state", state, sizeof state);
	path_in(d, "kubeconfig", kube, sizeof kube);
	path_in(d, "config.yaml", conf, sizeof conf);
	path_in(d, "ready", ready, sizeof ready);
	if (mkdir(state, 0700) < 0)
		return -1;
	const char *const argv[] = {d->sim, "--clusters",       "3",   "--state-dir",
	                            state,  "--kubeconfig-out", kube,  "--config-out",
	                            conf,   "--ready-file",     ready, NULL};
	d->sim_pid = spawn(d, argv);
	if (d->sim_pid < 0)
		return -1;
	if (start_watcher(d) < 0)
		return -1;
	return wait_ready(d);
}

/* Peers cluster-01 (acceptor) with cluster-02 (dialer) through the
 * simulator's control API; cluster-03 stays unpeered. */
static int peer_two(const struct demo *d)
{
	char state[PATH_MAX + 16];
	const char *const argv[] = {d->sim, "ctl",        "--state-dir", state,
	                            "peer", "cluster-01", "cluster-02",  NULL};
	pid_t pid;
	int status;

	path_in(d, "state", state, sizeof state);
	pid = spawn(d, argv);
	if (pid < 0)
		return -1;
	status = wait_child(pid, PEER_TIMEOUT_MS);
	if (status == -1) {
		stop_child(pid);
		return -1;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void demo_end(struct demo *d)
{
	stop_child(d->sim_pid);
	remove_tree(d->dir);
	if (d->watcher_fd >= 0) {
		ssize_t w = write(d->watcher_fd, "x", 1);
		(void)w;
		close(d->watcher_fd);
	}
	if (d->watcher_pid > 0)
		waitpid(d->watcher_pid, NULL, 0);
}

static int load_config(const struct demo *d, const struct config_args *args, char *const *envp,
                       struct config **cfg)
{
	struct config_args a = *args;
	struct config_diags diags = {0};
	char conf[PATH_MAX + 16];
	int rc;

	path_in(d, "config.yaml", conf, sizeof conf);
	a.value[CONFIG_KEY_CONFIG] = conf;
	a.flag_used[CONFIG_KEY_CONFIG] = "--config";
	rc = config_load(&a, envp, cfg, &diags);
	config_diags_print(&diags, stderr);
	config_diags_free(&diags);
	return rc;
}

int ui_demo(const struct config_args *args, char *const *envp, const char *argv0,
            struct log_sink *log)
{
	struct demo d = {.sim_pid = -1, .watcher_pid = -1, .watcher_fd = -1};
	struct sigaction sa = {0}, old[3];
	static const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
	const char *tmp = getenv("TMPDIR");
	struct config *cfg = NULL;
	int rc = 1;

	snprintf(d.dir, sizeof d.dir, "%s/peerscope-demo.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(d.dir)) {
		fprintf(stderr, "peerscope: cannot create %s: %s\n", d.dir, strerror(errno));
		return 1;
	}
	find_sim(argv0, d.sim, sizeof d.sim);
	demo_stop = 0;
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	if (start_sim(&d) < 0 || demo_stop)
		goto out;
	if (peer_two(&d) < 0) {
		fprintf(stderr, "peerscope: could not peer the simulated clusters (see %s)\n",
		        "sim.log");
		goto out;
	}
	if (load_config(&d, args, envp, &cfg) < 0 || demo_stop)
		goto out;
	rc = ui_dashboard(cfg, true, cfg->no_mouse, log);
out:
	config_free(cfg);
	demo_end(&d);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	return rc;
}
