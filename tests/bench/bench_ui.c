/* The dashboard end to end (make bench-ui): the real peerscope in tmux at
 * 160x48, its screen read through tmux's control mode, against the worlds of
 * bench_world.h. Each run of a world starts the dashboard and measures:
 *
 *   first frame      from the start until every configured cluster's row is
 *                    on the screen (as many as the clusters pane holds),
 *                    loading or loaded, with the title's cluster count;
 *   all data         until every peering is in the title ACTIVE and nothing
 *                    on the screen reads "waiting" or "loading";
 *   RSS              VmRSS 20 s after the start, and VmHWM (the peak);
 *   idle CPU         the CPU time of the whole process, and of its UI
 *                    thread, over BENCH_IDLE_S seconds (default 30) in which
 *                    nothing changes (from /proc schedstat, in ns), with the
 *                    frames it wrote meanwhile;
 *   change -> screen a mesh gateway's health set through the simulator's
 *                    control API until the gateways pane shows it (10 a run);
 *   key -> screen    Tab until the focus moved (the focused pane's title
 *                    carries the sort mark), 40 a run, then again while
 *                    cluster-02 hangs (connections accepted, never answered).
 *
 * The time of a screen is when the first capture that shows it was asked
 * for: capture-pane runs after every burst of %output notifications and
 * every 5 ms besides, so a time is late by a millisecond or so, never
 * early. BENCH_RUNS (default 3) runs a world; the table gives the
 * medians, the p90s (p99 for keys) and the targets of issue 13. The
 * machine's other load is in every figure: run it on a quiet machine and
 * read medians.
 *
 *   bench_ui [WORLD...]     WORLD: CLUSTERSxSERVICES, as in bench_world.h */
#include "autoconfig.h"

#include "bench_world.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define COLS         160
#define ROWS         48
#define CHANGES      10
#define KEYS         40
#define WAIT_FRAME_S 60
#define WAIT_SCREEN  20.0
#define RSS_AT_S     20.0
#define CAPTURE_MS   5

/* ------------------------------------------------------------ tmux */

struct tmux {
	pid_t pid;
	int in, out;
	char sock[64];
	char *buf;
	size_t len, cap;
	double last_output; /* when the newest %output came */
	unsigned long outputs;
	bool gone;
};

static void pause_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
	nanosleep(&ts, NULL);
}

static int tmux_write(struct tmux *t, const char *cmd)
{
	size_t n = strlen(cmd), off = 0;

	while (off < n) {
		ssize_t w = write(t->in, cmd + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

/* The next line from tmux (NUL-terminated, valid until the next call), or
 * NULL at DEADLINE or when tmux went away. */
static char *tmux_line(struct tmux *t, double deadline)
{
	static char *line;
	static size_t linecap;

	for (;;) {
		char *nl = t->len ? memchr(t->buf, '\n', t->len) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - t->buf);
			if (n + 1 > linecap) {
				char *l = realloc(line, n + 1);
				if (!l)
					return NULL;
				line = l;
				linecap = n + 1;
			}
			memcpy(line, t->buf, n);
			line[n] = '\0';
			memmove(t->buf, nl + 1, t->len - n - 1);
			t->len -= n + 1;
			if (!strncmp(line, "%output ", 8)) {
				t->last_output = bench_now_s();
				t->outputs++;
			} else if (!strncmp(line, "%exit", 5)) {
				t->gone = true;
			}
			return line;
		}
		if (t->gone)
			return NULL;
		double left = deadline - bench_now_s();
		if (left <= 0)
			return NULL;
		struct pollfd p = {t->out, POLLIN, 0};
		int rc = poll(&p, 1, (int)(left * 1000) + 1);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return NULL;
		if (t->cap - t->len < 65536) {
			char *b = realloc(t->buf, t->cap = t->cap * 2 + 65536);
			if (!b)
				return NULL;
			t->buf = b;
		}
		ssize_t r = read(t->out, t->buf + t->len, t->cap - t->len);
		if (r <= 0) {
			t->gone = true;
			return NULL;
		}
		t->len += (size_t)r;
	}
}

/* Runs CMD (a tmux command) and returns its output block (malloc'd, lines
 * joined with '\n'), or NULL on an error or a timeout. */
static char *tmux_cmd(struct tmux *t, const char *cmd)
{
	char line_cmd[1200];
	double deadline = bench_now_s() + 20;
	char *out = NULL, *l;
	size_t len = 0;
	bool in_block = false;

	snprintf(line_cmd, sizeof line_cmd, "%s\n", cmd);
	if (tmux_write(t, line_cmd) < 0)
		return NULL;
	while ((l = tmux_line(t, deadline))) {
		if (!in_block) {
			if (!strncmp(l, "%begin ", 7)) {
				in_block = true;
				out = calloc(1, 1);
				len = 0;
				if (!out)
					return NULL;
			}
			continue;
		}
		if (!strncmp(l, "%end ", 5))
			return out;
		if (!strncmp(l, "%error ", 7)) {
			fprintf(stderr, "bench_ui: tmux %s: %s\n", cmd, out);
			free(out);
			return NULL;
		}
		size_t n = strlen(l);
		char *o = realloc(out, len + n + 2);
		if (!o) {
			free(out);
			return NULL;
		}
		out = o;
		memcpy(out + len, l, n);
		len += n;
		out[len++] = '\n';
		out[len] = '\0';
	}
	free(out);
	return NULL;
}

static int tmux_ok(struct tmux *t, const char *cmd)
{
	char *o = tmux_cmd(t, cmd);

	free(o);
	return o ? 0 : -1;
}

static int tmux_start(struct tmux *t)
{
	int in[2], out[2];
	char size[32];

	memset(t, 0, sizeof *t);
	snprintf(t->sock, sizeof t->sock, "peerscope-bench-%d", (int)getpid());
	snprintf(size, sizeof size, "%dx%d", COLS, ROWS);
	if (pipe(in) < 0 || pipe(out) < 0)
		return -1;
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (t->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		unsetenv("TMUX");
		execlp("tmux", "tmux", "-L", t->sock, "-f", "/dev/null", "-C", "new-session", "-x",
		       "160", "-y", "48", "-s", "b", "exec sleep 2147483647", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	t->in = in[1];
	t->out = out[0];
	fcntl(t->in, F_SETFD, FD_CLOEXEC);
	fcntl(t->out, F_SETFD, FD_CLOEXEC);
	/* The new session's own block comes first: skip it. */
	char *l;
	while ((l = tmux_line(t, bench_now_s() + 10)) && strncmp(l, "%end ", 5))
		;
	if (!l) {
		fprintf(stderr, "bench_ui: tmux did not start in control mode\n");
		return -1;
	}
	char cmd[64];
	snprintf(cmd, sizeof cmd, "refresh-client -C %s", size);
	if (tmux_ok(t, cmd) < 0 || tmux_ok(t, "set -g status off") < 0 ||
	    tmux_ok(t, "set -g remain-on-exit on") < 0)
		return -1;
	return 0;
}

static void tmux_stop(struct tmux *t)
{
	if (t->pid <= 0)
		return;
	tmux_write(t, "kill-server\n");
	close(t->in);
	for (int i = 0; i < 100 && waitpid(t->pid, NULL, WNOHANG) == 0; i++)
		pause_s(0.05);
	if (waitpid(t->pid, NULL, WNOHANG) == 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
	}
	close(t->out);
	free(t->buf);
	t->pid = 0;
}

/* ------------------------------------------------------------ the screen */

typedef bool (*screen_pred)(const char *screen, const void *arg);

/* Captures the screen until PRED holds: after every burst of output, and
 * every CAPTURE_MS besides (tmux may answer a command before it sends the
 * output that changed the screen). The time the first capture that holds
 * was asked for in *WHEN: never early, late by at most the time a capture
 * takes plus the time from the change to the next one. False at the
 * timeout. */
static bool wait_screen(struct tmux *t, screen_pred pred, const void *arg, double start,
                        double timeout, double *when, char **last)
{
	double deadline = start + timeout;

	for (;;) {
		double asked = bench_now_s();
		char *s = tmux_cmd(t, "capture-pane -p -t b");
		if (!s)
			return false;
		if (pred(s, arg)) {
			*when = asked;
			if (last) {
				free(*last);
				*last = s;
			} else {
				free(s);
			}
			return true;
		}
		free(s);
		if (bench_now_s() > deadline)
			return false;
		/* Output, or CAPTURE_MS, whichever comes first; then the rest
		 * of the burst. */
		unsigned long seen = t->outputs;
		double next = bench_now_s() + CAPTURE_MS / 1000.0;
		while (t->outputs == seen && tmux_line(t, next))
			;
		if (t->gone)
			return false;
		if (t->outputs != seen)
			while (tmux_line(t, bench_now_s() + 0.001))
				;
	}
}

/* The line of SCREEN that starts at P, copied into BUF. */
static const char *line_at(const char *p, char *buf, size_t len)
{
	size_t n = strcspn(p, "\n");

	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

struct frame_arg {
	const struct bench_world *w;
};

/* The title counts the clusters, and the clusters pane has a row for each
 * of them (or is full). */
static bool first_frame(const char *s, const void *arg)
{
	const struct bench_world *w = ((const struct frame_arg *)arg)->w;
	char title[64], line[1024];
	const char *p = strstr(s, "\xe2\x94\x8c Clusters");
	int rows = 0, capacity = -1;

	snprintf(title, sizeof title, " %d clusters ", w->clusters);
	if (!strstr(line_at(s, line, sizeof line), title) || !p)
		return false;
	/* The lines of the box, its header and its bottom border. */
	for (p = strchr(p, '\n'); p && *++p; p = strchr(p, '\n')) {
		line_at(p, line, sizeof line);
		if (!strncmp(line, "\xe2\x94\x94", 3))
			break;
		capacity++;
		if (!strncmp(line, "\xe2\x94\x82", 3) && (line[3] == ' ' || line[3] == '>') &&
		    !strncmp(line + 4, "cluster-", 8))
			rows++;
	}
	return rows > 0 && rows >= (w->clusters < capacity ? w->clusters : capacity);
}

static bool all_data(const char *s, const void *arg)
{
	const struct bench_world *w = ((const struct frame_arg *)arg)->w;
	char want[64], line[1024];

	snprintf(want, sizeof want, " peerings %d/%d ACTIVE ", w->pairs, w->pairs);
	return strstr(line_at(s, line, sizeof line), want) && !strstr(s, "waiting") &&
	       !strstr(s, "loading");
}

struct gw_arg {
	regex_t re;
};

static bool gateway_shows(const char *s, const void *arg)
{
	return regexec(&((const struct gw_arg *)arg)->re, s, 0, NULL, 0) == 0;
}

/* The focused pane's name, from its title: the one with the focus mark. */
static void focused(const char *s, char *buf, size_t len)
{
	const char *mark = strstr(s, " \xe2\x96\xb2"), *p;

	buf[0] = '\0';
	if (!mark)
		return;
	for (p = mark; p > s && strncmp(p, "\xe2\x94\x8c ", 4); p--)
		;
	if (p == s && strncmp(p, "\xe2\x94\x8c ", 4))
		return;
	p += 4;
	snprintf(buf, len, "%.*s", (int)(mark - p), p);
	/* The pane's name only: what the title adds after two spaces (a
	 * filter, a sort, "STALE cluster-02 7s") moves by itself, and a
	 * cluster's age in it, which ticks while one hangs, read as a move
	 * of the focus within a millisecond of the key. */
	char *extra = strstr(buf, "  ");
	if (extra)
		*extra = '\0';
}

static bool focus_moved(const char *s, const void *arg)
{
	char now[64];

	focused(s, now, sizeof now);
	return now[0] && strcmp(now, arg);
}

/* ------------------------------------------------------------ the process */

static long vm_kib(pid_t pid, const char *key)
{
	char path[64], line[256];
	long v = -1;
	size_t klen = strlen(key);

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = atol(line + klen + 1);
			break;
		}
	fclose(f);
	return v;
}

static double task_cpu_ns(pid_t pid, const char *tid)
{
	char path[128];
	unsigned long long ns = 0;

	snprintf(path, sizeof path, "/proc/%d/task/%s/schedstat", (int)pid, tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &ns) != 1)
		ns = 0;
	fclose(f);
	return (double)ns;
}

/* The CPU time of PID's threads, and of its main (UI) thread, in ns. */
static void cpu_ns(pid_t pid, double *all, double *ui)
{
	char dir[64], tid[32];
	struct dirent *e;

	*all = 0;
	snprintf(tid, sizeof tid, "%d", (int)pid);
	*ui = task_cpu_ns(pid, tid);
	snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
	DIR *d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d)))
		if (isdigit((unsigned char)e->d_name[0]))
			*all += task_cpu_ns(pid, e->d_name);
	closedir(d);
}

static bool alive(pid_t pid)
{
	return pid > 0 && kill(pid, 0) == 0;
}

/* ------------------------------------------------------------ one run */

struct results {
	struct bench_series first, full, rss, hwm, idle, idle_ui, idle_frames, change, key,
	        key_hung;
};

static void results_free(struct results *r)
{
	struct bench_series *all[] = {&r->first, &r->full,    &r->rss,         &r->hwm,
	                              &r->idle,  &r->idle_ui, &r->idle_frames, &r->change,
	                              &r->key,   &r->key_hung};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		bench_series_free(all[i]);
}

static pid_t start_dashboard(struct tmux *t, const struct bench_world *w, double *t0)
{
	char bin[300], cmd[1500];
	char *pid;

	snprintf(cmd, sizeof cmd,
	         "respawn-pane -k -t b \"exec env TERM=tmux-256color LC_ALL=C.UTF-8 TZ=UTC "
	         "XDG_STATE_HOME='%s' XDG_CONFIG_HOME='%s' '%s' --config '%s'\"",
	         w->dir, w->dir, bench_bin("peerscope", bin, sizeof bin), w->config);
	*t0 = bench_now_s();
	if (tmux_ok(t, cmd) < 0)
		return -1;
	pid = tmux_cmd(t, "display-message -p -t b '#{pane_pid}'");
	pid_t p = pid ? (pid_t)atol(pid) : -1;
	free(pid);
	return p;
}

static void quit_dashboard(struct tmux *t, pid_t pid)
{
	tmux_ok(t, "send-keys -t b q");
	for (int i = 0; i < 200 && alive(pid); i++)
		pause_s(0.05);
	if (alive(pid))
		kill(pid, SIGKILL);
}

static int keys(struct tmux *t, struct bench_series *out)
{
	char *s = tmux_cmd(t, "capture-pane -p -t b"), before[64];
	double when;

	if (!s)
		return -1;
	focused(s, before, sizeof before);
	free(s);
	for (int i = 0; i < KEYS; i++) {
		double t0 = bench_now_s();
		char *last = NULL;
		if (tmux_ok(t, "send-keys -t b Tab") < 0 ||
		    !wait_screen(t, focus_moved, before, t0, WAIT_SCREEN, &when, &last)) {
			free(last);
			fprintf(stderr, "bench_ui: the focus did not move from %s\n", before);
			return -1;
		}
		bench_add(out, (when - t0) * 1000);
		focused(last, before, sizeof before);
		free(last);
		pause_s(0.05);
	}
	return 0;
}

static int changes(struct tmux *t, const struct bench_world *w, struct bench_series *out)
{
	static const char *const health[2] = {"critical", "passing"};
	char body[64], re[160];

	for (int i = 0; i < CHANGES; i++) {
		struct gw_arg g;
		double when;
		const char *h = health[i % 2];
		snprintf(re, sizeof re, "\xe2\x94\x82[ >]%s +[^ ]+ +[^ ]+ +%s ", w->names[0], h);
		if (regcomp(&g.re, re, REG_EXTENDED | REG_NOSUB | REG_NEWLINE) != 0)
			return -1;
		snprintf(body, sizeof body, "{\"status\":\"%s\"}", h);
		double t0 = bench_now_s();
		bool ok = bench_world_ctl(w, 0, "gateway", body) == 0 &&
		          wait_screen(t, gateway_shows, &g, t0, WAIT_SCREEN, &when, NULL);
		regfree(&g.re);
		if (!ok) {
			fprintf(stderr, "bench_ui: %s's gateway %s did not show\n", w->names[0], h);
			return -1;
		}
		bench_add(out, (when - t0) * 1000);
		pause_s(0.3);
	}
	return 0;
}

static int one_run(struct tmux *t, const struct bench_world *w, struct results *r, double idle_s)
{
	struct frame_arg fa = {w};
	double t0, when, all0, ui0, all1, ui1;
	pid_t pid = start_dashboard(t, w, &t0);
	int rc = -1;

	if (pid <= 0)
		return -1;
	if (!wait_screen(t, first_frame, &fa, t0, WAIT_FRAME_S, &when, NULL)) {
		fprintf(stderr, "bench_ui: %s: no first frame\n", w->label);
		goto out;
	}
	bench_add(&r->first, (when - t0) * 1000);
	if (!wait_screen(t, all_data, &fa, t0, WAIT_FRAME_S, &when, NULL)) {
		fprintf(stderr, "bench_ui: %s: the data did not all come\n", w->label);
		goto out;
	}
	bench_add(&r->full, (when - t0) * 1000);
	while (bench_now_s() < t0 + RSS_AT_S)
		tmux_line(t, t0 + RSS_AT_S);
	bench_add(&r->rss, (double)vm_kib(pid, "VmRSS") / 1024);
	bench_add(&r->hwm, (double)vm_kib(pid, "VmHWM") / 1024);

	/* Idle: nothing changes; count the frames written meanwhile. */
	unsigned long frames = t->outputs;
	double end = bench_now_s() + idle_s;
	cpu_ns(pid, &all0, &ui0);
	while (bench_now_s() < end)
		tmux_line(t, end);
	cpu_ns(pid, &all1, &ui1);
	bench_add(&r->idle, (all1 - all0) / 1e6 * 30 / idle_s);
	bench_add(&r->idle_ui, (ui1 - ui0) / 1e6 * 30 / idle_s);
	bench_add(&r->idle_frames, (double)(t->outputs - frames));

	if (changes(t, w, &r->change) < 0)
		goto out;
	/* Back to all passing, every peering ACTIVE again. */
	if (!wait_screen(t, all_data, &fa, bench_now_s(), WAIT_FRAME_S, &when, NULL)) {
		fprintf(stderr, "bench_ui: %s: not back to all ACTIVE after the changes\n",
		        w->label);
		goto out;
	}
	if (keys(t, &r->key) < 0)
		goto out;
	if (w->clusters > 1) {
		if (bench_world_ctl(w, 1, "stop", "{\"hang\":true}") < 0)
			goto out;
		pause_s(2);
		rc = keys(t, &r->key_hung);
		bench_world_ctl(w, 1, "start", "{}");
		if (rc < 0)
			goto out;
	}
	rc = 0;
out:
	quit_dashboard(t, pid);
	return rc;
}

/* ------------------------------------------------------------ the table */

static bool is(const struct bench_world *w, int clusters, int services)
{
	return w->clusters == clusters && w->services == services;
}

static void table(struct bench_world *w, struct results *r, int n, int runs, double idle_s)
{
	struct bench_table t = {.ncols = n};
	struct bench_row *row;

	for (int c = 0; c < n; c++)
		snprintf(t.col[c], sizeof t.col[c], "%s", w[c].label);
	row = bench_row(&t, "first frame, median (ms)", "<= 50");
	for (int c = 0; c < n; c++)
		bench_cell(row, c, bench_pct(&r[c].first, 50), 0, true, 50, false);
	row = bench_row(&t, "first frame, p90 (ms)", "");
	for (int c = 0; c < n; c++)
		bench_cell(row, c, bench_pct(&r[c].first, 90), 0, false, 0, false);
	row = bench_row(&t, "all data on screen, median (ms)", "<= 150 at 8 x 2,000");
	for (int c = 0; c < n; c++)
		bench_cell(row, c, bench_pct(&r[c].full, 50), 0, is(&w[c], 8, 2000), 150, false);
	row = bench_row(&t, "all data on screen, p90 (ms)", "");
	for (int c = 0; c < n; c++)
		bench_cell(row, c, bench_pct(&r[c].full, 90), 0, false, 0, false);
	row = bench_row(&t, "RSS after 20 s, median (MiB)",
	                "<= 24 at 8 x 2,000, <= 64 at 16 x 10,000");
	for (int c = 0; c < n; c++)
		bench_cell(row, c, bench_pct(&r[c].rss, 50), 1,
		           is(&w[c], 8, 2000) || is(&w[c], 16, 10000), is(&w[c], 8, 2000) ? 24 : 64,
		           false);
	row = bench_row(&t, "RSS peak (VmHWM), median (MiB)", "");
	for (int c = 0; c < n; c++)
		bench_cell(row, c, bench_pct(&r[c].hwm, 50), 1, false, 0, false);
	row = bench_row(&t, "idle CPU per 30 s, process, median (ms)", "<= 30 (0.1 % of a core)");
	for (int c = 0; c < n; c++)
		bench_cell(row, c, bench_pct(&r[c].idle, 50), 1, true, 30, false);
	row = bench_row(&t, "idle CPU per 30 s, UI thread, median (ms)", "");
	for (int c = 0; c < n; c++)
		bench_cell(row, c, bench_pct(&r[c].idle_ui, 50), 1, false, 0, false);
	row = bench_row(&t, "frames written while idle, median", "");
	for (int c = 0; c < n; c++)
		bench_cell(row, c, bench_pct(&r[c].idle_frames, 50), 0, false, 0, false);
	row = bench_row(&t, "change -> screen, median (ms)",
	                "<= 20 at 8 x 2,000, <= 50 at 16 x 10,000");
	for (int c = 0; c < n; c++)
		bench_cell(row, c, bench_pct(&r[c].change, 50), 0,
		           is(&w[c], 8, 2000) || is(&w[c], 16, 10000), is(&w[c], 8, 2000) ? 20 : 50,
		           false);
	row = bench_row(&t, "change -> screen, p90 (ms)", "");
	for (int c = 0; c < n; c++)
		bench_cell(row, c, bench_pct(&r[c].change, 90), 0, false, 0, false);
	row = bench_row(&t, "key -> screen, median (ms)", "");
	for (int c = 0; c < n; c++)
		bench_cell(row, c, bench_pct(&r[c].key, 50), 1, false, 0, false);
	row = bench_row(&t, "key -> screen, p99 (ms)", "<= 16");
	for (int c = 0; c < n; c++)
		bench_cell(row, c, bench_pct(&r[c].key, 99), 1, true, 16, false);
	row = bench_row(&t, "key -> screen, a cluster hung, median (ms)", "");
	for (int c = 0; c < n; c++)
		bench_cell(row, c, bench_pct(&r[c].key_hung, 50), 1, false, 0, false);
	row = bench_row(&t, "key -> screen, a cluster hung, p99 (ms)", "<= 16");
	for (int c = 0; c < n; c++)
		bench_cell(row, c, bench_pct(&r[c].key_hung, 99), 1, true, 16, false);

	printf("\nbench-ui: the dashboard in tmux %dx%d (control mode), peerscope-sim --tls, "
	       "%d peerings a cluster; %d run(s) a world, idle windows of %.0f s, %d changes "
	       "and %d keys (%d with cluster-02 hung) a run\n\n",
	       COLS, ROWS, BENCH_PEERINGS, runs, idle_s, CHANGES, KEYS, KEYS);
	bench_table_report(&t, w, n);
}

int main(int argc, char **argv)
{
	struct bench_world w[BENCH_COLS_MAX];
	struct results r[BENCH_COLS_MAX] = {0};
	int runs = bench_runs(3), n, failed = 0;
	double idle_s = getenv("BENCH_IDLE_S") && atof(getenv("BENCH_IDLE_S")) > 0
	                        ? atof(getenv("BENCH_IDLE_S"))
	                        : 30;
	struct tmux t;

	if ((n = bench_worlds(argc, argv, w, BENCH_COLS_MAX)) <= 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	for (int c = 0; c < n; c++) {
		fprintf(stderr, "bench_ui: %s: starting the simulator(s)\n", w[c].label);
		if (bench_world_start(&w[c]) < 0 || tmux_start(&t) < 0) {
			bench_world_stop(&w[c]);
			failed = 1;
			continue;
		}
		for (int i = 0; i < runs; i++) {
			fprintf(stderr, "bench_ui: %s: run %d of %d\n", w[c].label, i + 1, runs);
			if (one_run(&t, &w[c], &r[c], idle_s) < 0)
				failed = 1;
		}
		tmux_stop(&t);
		bench_world_stop(&w[c]);
	}
	table(w, r, n, runs, idle_s);
	for (int c = 0; c < n; c++)
		results_free(&r[c]);
	return failed;
}
