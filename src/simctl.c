/* simctl: `peerscope-sim ctl` as a child process (simctl.h). */
#include "autoconfig.h"

#include "peerscope/simctl.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 24

const char *const simctl_commands[] = {"stop",     "start", "restart-consul", "gateway",
                                       "injector", "fault", "clear-faults"};
const size_t simctl_ncommands = sizeof simctl_commands / sizeof simctl_commands[0];

struct simctl {
	char *sim, *control;
	pid_t pid; /* running command, -1: none */
	int fd;    /* its output */
	char out[4096];
	size_t used;
	char what[256]; /* the running command's words, for its answer */
};

struct simctl *simctl_new(const char *sim, const char *control)
{
	struct simctl *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->sim = strdup(sim);
	c->control = strdup(control);
	c->pid = -1;
	c->fd = -1;
	if (!c->sim || !c->control) {
		simctl_free(c);
		return NULL;
	}
	return c;
}

static void reap(struct simctl *c, int *status)
{
	if (c->pid > 0)
		waitpid(c->pid, status, 0);
	if (c->fd >= 0)
		close(c->fd);
	c->pid = -1;
	c->fd = -1;
}

void simctl_free(struct simctl *c)
{
	if (!c)
		return;
	if (c->pid > 0)
		kill(c->pid, SIGTERM);
	reap(c, NULL);
	free(c->sim);
	free(c->control);
	free(c);
}

static bool known(const char *word)
{
	for (size_t i = 0; i < simctl_ncommands; i++)
		if (!strcmp(word, simctl_commands[i]))
			return true;
	return false;
}

bool simctl_start(struct simctl *c, char *const *argv, size_t argc, char *err, size_t errlen)
{
	const char *args[MAX_ARGS + 6];
	int fds[2];
	size_t n = 0;

	if (c->pid > 0) {
		snprintf(err, errlen, "a simulator command is still running");
		return false;
	}
	if (argc == 0 || !known(argv[0]) || argc > MAX_ARGS) {
		snprintf(err, errlen,
		         "sim takes one of: stop C [hang], start C, restart-consul C, gateway C "
		         "passing|warning|critical|remove|add, injector C up|down, fault C "
		         "KEY=VALUE, "
		         "clear-faults C");
		return false;
	}
	if (pipe(fds) < 0) {
		snprintf(err, errlen, "cannot make a pipe: %s", strerror(errno));
		return false;
	}
	args[n++] = c->sim;
	args[n++] = "ctl";
	args[n++] = "--control";
	args[n++] = c->control;
	for (size_t i = 0; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	size_t w = 0;
	for (size_t i = 0; i < argc && w < sizeof c->what; i++)
		w += (size_t)snprintf(c->what + w, sizeof c->what - w, "%s%s", i ? " " : "",
		                      argv[i]);
	c->pid = fork();
	if (c->pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, STDIN_FILENO);
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		execv(c->sim, (char *const *)args);
		_exit(127);
	}
	close(fds[1]);
	if (c->pid < 0) {
		close(fds[0]);
		snprintf(err, errlen, "cannot start %s: %s", c->sim, strerror(errno));
		return false;
	}
	fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	c->fd = fds[0];
	c->used = 0;
	return true;
}

bool simctl_busy(const struct simctl *c)
{
	return c && c->pid > 0;
}

int simctl_fd(const struct simctl *c)
{
	return c ? c->fd : -1;
}

bool simctl_poll(struct simctl *c, bool *ok, char *msg, size_t len)
{
	int status = 0;
	ssize_t r;

	if (c->pid <= 0)
		return false;
	while ((r = read(c->fd, c->out + c->used, sizeof c->out - 1 - c->used)) > 0)
		c->used += (size_t)r;
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	/* End of the output: the command is done. */
	reap(c, &status);
	c->out[c->used] = '\0';
	*ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	/* "sim gateway cluster-01 critical: done", or the simulator's error
	 * ({"error": "..."}) or what ctl wrote, on one line. */
	char answer[sizeof c->out];
	size_t o = 0;
	cJSON *j = cJSON_Parse(c->out);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
	const char *text = cJSON_IsString(e) ? e->valuestring : c->out;
	for (size_t i = 0; text[i] && o + 1 < sizeof answer; i++) {
		char ch = text[i] == '\n' || text[i] == '\t' ? ' ' : text[i];
		if ((unsigned char)ch < ' ' || (ch == ' ' && (o == 0 || answer[o - 1] == ' ')))
			continue;
		answer[o++] = ch;
	}
	while (o && answer[o - 1] == ' ')
		o--;
	answer[o] = '\0';
	cJSON_Delete(j);
	if (*ok)
		snprintf(msg, len, "sim %s: done", c->what);
	else
		snprintf(msg, len, "sim %s: %s", c->what,
		         *answer             ? answer
		         : WIFEXITED(status) ? "failed"
		                             : "ended by a signal");
	return true;
}
