/* peerscope-sim as a child process of a test or a benchmark. */
#include "autoconfig.h"

#include "simrig_sim.h"

#include "peerscope/monotime.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SIMRIG_SIM_READY_MS 20000
#define SIMRIG_SIM_STOP_MS  5000
#define SIMRIG_SIM_POLL_MS  10
#define SIMRIG_SIM_ARGS_MAX 40

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

const char *simrig_sim_path(const struct simrig_sim *sim, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", sim->dir, name);
	return buf;
}

int simrig_sim_ready_value(const struct simrig_sim *sim, const char *key, char *buf, size_t len)
{
	char path[300], line[512];
	size_t klen = strlen(key);
	FILE *f = fopen(simrig_sim_path(sim, "ready", path, sizeof path), "r");
	int rc = -1;

	if (!f)
		return -1;
	while (rc < 0 && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, key, klen) && line[klen] == '=') {
			snprintf(buf, len, "%s", line + klen + 1);
			rc = 0;
		}
	}
	fclose(f);
	return rc;
}

/* In the child: the simulator with the folder's files, then ARGS. */
static void exec_sim(const struct simrig_sim *sim, const char *bin, const char *const *args)
{
	char state[300], kc[300], cfg[300], ready[300];
	const char *argv[SIMRIG_SIM_ARGS_MAX + 10] = {
	        bin,
	        "--state-dir",
	        simrig_sim_path(sim, "state", state, sizeof state),
	        "--kubeconfig-out",
	        simrig_sim_path(sim, "kubeconfig", kc, sizeof kc),
	        "--config-out",
	        simrig_sim_path(sim, "config.yaml", cfg, sizeof cfg),
	        "--ready-file",
	        simrig_sim_path(sim, "ready", ready, sizeof ready),
	};
	size_t n = 9;
	int devnull = open("/dev/null", O_RDWR);

	/* Never outlive the test program, however it ends. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
	}
	setenv("TSAN_OPTIONS", "report_bugs=0:exitcode=0", 1);
	for (size_t i = 0; args && args[i] && i < SIMRIG_SIM_ARGS_MAX; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	/* execv does not change the strings; its prototype predates const. */
	execv(bin, (char *const *)argv);
	fprintf(stderr, "cannot run %s: %s\n", bin, strerror(errno));
	_exit(127);
}

static int wait_ready(struct simrig_sim *sim, const char *bin)
{
	int64_t end = monotime_ms() + SIMRIG_SIM_READY_MS;
	int status;

	while (simrig_sim_ready_value(sim, "control", sim->control, sizeof sim->control) < 0) {
		if (waitpid(sim->pid, &status, WNOHANG) == sim->pid) {
			sim->pid = 0;
			fprintf(stderr, "%s exited before it was ready (status %d)\n", bin, status);
			return -1;
		}
		if (monotime_ms() >= end) {
			fprintf(stderr, "%s was not ready within %d s\n", bin,
			        SIMRIG_SIM_READY_MS / 1000);
			return -1;
		}
		pause_ms(SIMRIG_SIM_POLL_MS);
	}
	return 0;
}

int simrig_sim_start(struct simrig_sim *sim, const char *bin, const char *const *args)
{
	char path[256];
	const char *top = getenv("top_builddir"), *tmp = getenv("TMPDIR");

	memset(sim, 0, sizeof *sim);
	if (!bin) {
		snprintf(path, sizeof path, "%s/peerscope-sim", top ? top : ".");
		bin = path;
	}
	snprintf(sim->dir, sizeof sim->dir, "%s/ps-sim-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(sim->dir)) {
		fprintf(stderr, "mkdtemp %s: %s\n", sim->dir, strerror(errno));
		sim->dir[0] = '\0';
		return -1;
	}
	sim->pid = fork();
	if (sim->pid < 0) {
		fprintf(stderr, "fork: %s\n", strerror(errno));
		sim->pid = 0;
		return -1;
	}
	if (sim->pid == 0)
		exec_sim(sim, bin, args);
	return wait_ready(sim, bin);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int simrig_sim_stop(struct simrig_sim *sim)
{
	int status = -1;

	if (sim->pid > 0) {
		int64_t end = monotime_ms() + SIMRIG_SIM_STOP_MS;
		pid_t done;
		kill(sim->pid, SIGTERM);
		while ((done = waitpid(sim->pid, &status, WNOHANG)) == 0 && monotime_ms() < end)
			pause_ms(SIMRIG_SIM_POLL_MS);
		if (done == 0) {
			kill(sim->pid, SIGKILL);
			waitpid(sim->pid, NULL, 0);
			status = -1;
		} else if (done != sim->pid || !WIFEXITED(status)) {
			status = -1;
		}
	}
	if (sim->dir[0] && nftw(sim->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "could not remove %s: %s\n", sim->dir, strerror(errno));
	memset(sim, 0, sizeof *sim);
	return status < 0 ? -1 : WEXITSTATUS(status);
}
