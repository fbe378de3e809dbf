/* opcmd: the operation subcommands: plan, confirm, run, report. */
#include "autoconfig.h"

#include "peerscope/opcmd.h"

#include "peerscope/config.h"
#include "peerscope/session.h"
#include "peerscope/term.h"
#include "peerscope/worker.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TICK_MS 100

static volatile sig_atomic_t stop_asked;

static void on_stop(int sig)
{
	(void)sig;
	stop_asked = 1;
}

bool opcmd_find(const char *word, enum ops_kind *kind)
{
	return ops_kind_parse(word, kind) == 0;
}

/* ------------------------------------------------------------ printing */

static const char *glyph(enum ops_step_state s)
{
	switch (s) {
	case OPS_STEP_DONE:
		return "done";
	case OPS_STEP_SKIPPED:
		return "already";
	case OPS_STEP_FAILED:
		return "FAILED";
	case OPS_STEP_STOPPED:
		return "stopped";
	case OPS_STEP_TODO:
		return "to do";
	default:
		return ops_step_state_name(s);
	}
}

/* One line per step that ended, on the worker thread. */
static void on_progress(void *ctx, const struct ops_status *st, size_t i)
{
	const struct ops_step *s;

	(void)ctx;
	if (i >= st->nsteps)
		return;
	s = &st->steps[i];
	if (s->state == OPS_STEP_RUNNING || s->state == OPS_STEP_PENDING)
		return;
	term_fprintf(stderr, "peerscope: [%zu/%zu] %s: %s (%.1fs)%s%s\n", i + 1, st->nsteps,
	             s->title, glyph(s->state), (double)s->elapsed_ms / 1000.0,
	             s->note[0] ? ": " : "", s->note);
}

/* DIFF's lines, each after LEAD. */
static void print_diff(FILE *out, const char *lead, const char *diff)
{
	const char *l = diff;

	while (l && *l) {
		size_t n = strcspn(l, "\n");
		/* The lines quote the resources as read: made safe, one by one
		 * (a precision would count characters, not bytes). */
		char *line = strndup(l, n);
		term_fprintf(out, "%s%s\n", lead, line ? line : "");
		free(line);
		l += n + (l[n] == '\n');
	}
}

static void print_plan(const struct ops_plan *p)
{
	term_fprintf(stderr, "peerscope: %s\n", p->title);
	for (size_t i = 0; i < p->preview.n; i++)
		term_fprintf(stderr, "  %s\n", p->preview.v[i]);
	for (size_t i = 0; i < p->notes.n; i++)
		term_fprintf(stderr, "  note: %s\n", p->notes.v[i]);
	for (size_t i = 0; i < p->nsteps; i++)
		term_fprintf(stderr, "  %zu. %s: %s%s%s\n", i + 1, p->steps[i].title,
		             glyph(p->steps[i].state), p->steps[i].note[0] ? ": " : "",
		             p->steps[i].note);
	for (size_t i = 0; i < p->nchanges; i++) {
		if (!p->changes[i].diff)
			continue;
		term_fprintf(stderr, "  %s: %s, before -> after:\n", p->changes[i].cluster,
		             p->changes[i].what);
		print_diff(stderr, "    ", p->changes[i].diff);
	}
}

static void print_changes(const struct ops_plan *p)
{
	if (p->nchanges == 0)
		term_printf("# nothing to change\n");
	for (size_t i = 0; i < p->nchanges; i++) {
		term_printf("# %s: %s\n", p->changes[i].cluster, p->changes[i].what);
		/* The body is this program's JSON; its strings are not. */
		if (p->changes[i].body) {
			term_fputs(p->changes[i].body, stdout, TERM_KEEP_NEWLINE | TERM_KEEP_TAB);
			putchar('\n');
		}
		if (p->changes[i].diff) {
			term_printf("# before -> after:\n");
			print_diff(stdout, "# ", p->changes[i].diff);
		}
	}
}

static void add_step(cJSON *arr, const struct ops_step *s)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "title", s->title);
	cJSON_AddStringToObject(o, "cluster", s->cluster);
	cJSON_AddStringToObject(o, "state", ops_step_state_name(s->state));
	cJSON_AddStringToObject(o, "note", s->note);
	cJSON_AddNumberToObject(o, "elapsed_ms", (double)s->elapsed_ms);
	cJSON_AddItemToArray(arr, o);
}

static void add_end(cJSON *arr, const struct ops_end *e)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "cluster", e->cluster);
	cJSON_AddStringToObject(o, "partition", e->partition);
	cJSON_AddStringToObject(o, "peer_name", e->name);
	if (e->present)
		cJSON_AddStringToObject(o, "state", e->state);
	else
		cJSON_AddNullToObject(o, "state");
	if (e->heartbeat_age_ms >= 0)
		cJSON_AddNumberToObject(o, "heartbeat_age_ms", (double)e->heartbeat_age_ms);
	else
		cJSON_AddNullToObject(o, "heartbeat_age_ms");
	cJSON_AddNumberToObject(o, "exported", (double)e->exported);
	cJSON_AddNumberToObject(o, "imported", (double)e->imported);
	cJSON_AddItemToArray(arr, o);
}

char *opcmd_json(const struct ops_plan *plan, const struct ops_status *st)
{
	cJSON *o = cJSON_CreateObject(), *steps, *ends;
	char *text;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "operation", ops_kind_name(plan->req.kind));
	cJSON_AddStringToObject(o, "id", st->id);
	if (ops_kind_is_mesh(plan->req.kind)) {
		cJSON_AddStringToObject(o, "cluster", plan->req.a);
		cJSON_AddStringToObject(o, "service", plan->req.service);
		cJSON_AddStringToObject(o, "peer", plan->req.peer);
		cJSON_AddStringToObject(o, "value", plan->req.value);
		/* The admin partition it acted in ("": none named, CE). */
		cJSON_AddStringToObject(o, "partition", plan->partition[0]);
	} else {
		cJSON_AddStringToObject(o, "acceptor", plan->req.a);
		cJSON_AddStringToObject(o, "dialer", plan->req.b);
		cJSON_AddStringToObject(o, "name", plan->req.name);
		cJSON_AddStringToObject(o, "dialer_name", plan->req.dialer_name);
		cJSON_AddStringToObject(o, "secret_name", plan->req.secret_name);
		cJSON_AddStringToObject(o, "partition", plan->partition[0]);
		cJSON_AddStringToObject(o, "dialer_partition", plan->partition[1]);
	}
	cJSON_AddStringToObject(o, "outcome", ops_outcome_name(st->outcome));
	cJSON_AddStringToObject(o, "message", st->message);
	cJSON_AddStringToObject(o, "fix", st->fix);
	cJSON_AddNumberToObject(o, "elapsed_ms", (double)st->elapsed_ms);
	steps = cJSON_AddArrayToObject(o, "steps");
	for (size_t i = 0; i < st->nsteps; i++)
		add_step(steps, &st->steps[i]);
	ends = cJSON_AddArrayToObject(o, "ends");
	for (int i = 0; i < 2; i++)
		if (st->ends[i].cluster[0])
			add_end(ends, &st->ends[i]);
	text = cJSON_Print(o);
	cJSON_Delete(o);
	char *safe = text ? term_json(text) : NULL;
	free(text);
	return safe;
}

static void print_table(const struct ops_status *st)
{
	char hb[32];

	term_printf("%s: %s\n", st->title, ops_outcome_name(st->outcome));
	if (ops_kind_is_mesh(st->kind))
		for (size_t i = 0; i < st->nsteps; i++)
			term_printf("  %-44s %-8s %s\n", st->steps[i].title,
			            ops_step_state_name(st->steps[i].state), st->steps[i].note);
	for (int i = 0; i < 2; i++) {
		const struct ops_end *e = &st->ends[i];
		if (!e->cluster[0])
			continue;
		if (e->heartbeat_age_ms >= 0)
			snprintf(hb, sizeof hb, "%llds ago",
			         (long long)(e->heartbeat_age_ms / 1000));
		else
			snprintf(hb, sizeof hb, "none");
		char where[160];
		snprintf(where, sizeof where, "%s%s%s", e->cluster, *e->partition ? "/" : "",
		         e->partition);
		term_printf(
		        "  %-16s peering %-16s %-12s heartbeat %-9s exported %zu  imported %zu\n",
		        where, e->name, e->present ? e->state : "absent", hb, e->exported,
		        e->imported);
	}
}

/* ------------------------------------------------------------ asking */

/* Reads a line from the terminal; false at end of input. */
static bool read_answer(char *buf, size_t len)
{
	if (!fgets(buf, (int)len, stdin))
		return false;
	buf[strcspn(buf, "\r\n")] = '\0';
	return true;
}

/* Asks before something is deleted or replaced. Returns 0 to go on,
 * OPCMD_EXIT_USAGE with no terminal to ask on, OPCMD_EXIT_FAILED when
 * the answer is no. */
static int confirm(const struct config *cfg, const struct ops_plan *p)
{
	char answer[128];

	if (!p->destructive || cfg->yes)
		return 0;
	if (!isatty(STDIN_FILENO)) {
		term_fprintf(stderr,
		             "peerscope: %s deletes or replaces resources: confirm with --yes (no "
		             "terminal to ask on)\n",
		             ops_kind_name(p->req.kind));
		return OPCMD_EXIT_USAGE;
	}
	if (p->req.kind == OPS_UNPEER) {
		term_fprintf(stderr, "Type %s to confirm: ", p->confirm_word);
		if (!read_answer(answer, sizeof answer) || strcmp(answer, p->confirm_word)) {
			term_fprintf(stderr, "peerscope: not confirmed: nothing was changed\n");
			return OPCMD_EXIT_FAILED;
		}
		return 0;
	}
	term_fprintf(stderr, "Go on? [y/N] ");
	if (!read_answer(answer, sizeof answer) || (strcmp(answer, "y") && strcmp(answer, "yes"))) {
		term_fprintf(stderr, "peerscope: not confirmed: nothing was changed\n");
		return OPCMD_EXIT_FAILED;
	}
	return 0;
}

/* ------------------------------------------------------------ running */

/* Waits until the worker leaves PHASE, passing a Ctrl-C on as a cancel. */
static enum worker_phase wait_phase(struct worker *w, enum worker_phase phase)
{
	uint64_t seq;
	enum worker_phase now = worker_state(w, NULL, NULL, &seq);
	bool told = false;

	while (now == phase) {
		worker_wait(w, seq, TICK_MS);
		if (stop_asked && !told) {
			worker_cancel(w);
			if (phase == WORKER_RUNNING)
				term_fprintf(stderr,
				             "peerscope: stopping: what was created stays\n");
			told = true;
		}
		now = worker_state(w, NULL, NULL, &seq);
	}
	return now;
}

/* Copies TEXT into DST (LEN bytes), or says which argument is too long. */
static int take(char *dst, size_t len, const char *text, const char *what)
{
	if (strlen(text) >= len) {
		term_fprintf(stderr, "peerscope: %s: at most %zu characters\n", what, len - 1);
		return -1;
	}
	snprintf(dst, len, "%s", text);
	return 0;
}

/* The mesh operations: the cluster, then the mode, on|off or the service;
 * the peer from --to/--from or as the third word. */
static int mesh_request(enum ops_kind kind, const char *const *words, size_t n,
                        const struct config *cfg, struct ops_request *req)
{
	static const char *const usage[] = {
	        [OPS_GATEWAY_MODE] = "gateway-mode CLUSTER local|remote [--service SERVICE]",
	        [OPS_PEER_THROUGH_GATEWAYS] = "peer-through-gateways CLUSTER on|off",
	        [OPS_EXPORT] = "export CLUSTER SERVICE --to PEER",
	        [OPS_UNEXPORT] = "unexport CLUSTER SERVICE --to PEER",
	        [OPS_ALLOW] = "allow CLUSTER SERVICE --from PEER",
	        [OPS_DENY] = "deny CLUSTER SERVICE --from PEER",
	};
	bool two = kind == OPS_GATEWAY_MODE || kind == OPS_PEER_THROUGH_GATEWAYS;
	const char *peer = kind == OPS_EXPORT || kind == OPS_UNEXPORT ? cfg->to : cfg->from;

	if (!two && !peer && n == 3) {
		peer = words[2];
		n = 2;
	}
	if (n != 2 || (!two && !peer) || (cfg->service && kind != OPS_GATEWAY_MODE))
		goto usage;
	memset(req, 0, sizeof *req);
	req->kind = kind;
	req->wait_ms = cfg->wait_ms;
	if (take(req->a, sizeof req->a, words[0], "the cluster name") < 0)
		return -1;
	/* --partition: the admin partition whose configuration changes (the
	 * plan refuses --dialer-partition: there is one cluster). */
	if ((cfg->partition &&
	     take(req->partition, sizeof req->partition, cfg->partition, "--partition") < 0) ||
	    (cfg->dialer_partition && take(req->dialer_partition, sizeof req->dialer_partition,
	                                   cfg->dialer_partition, "--dialer-partition") < 0))
		return -1;
	if (two)
		return take(req->value, sizeof req->value, words[1], "the value") < 0 ||
		                       (cfg->service && take(req->service, sizeof req->service,
		                                             cfg->service, "--service") < 0)
		               ? -1
		               : 0;
	return take(req->service, sizeof req->service, words[1], "the service name") < 0 ||
	                       take(req->peer, sizeof req->peer, peer, "the peer name") < 0
	               ? -1
	               : 0;
usage:
	term_fprintf(stderr, "peerscope: usage: peerscope %s\n", usage[kind]);
	return -1;
}

static int words_to_request(enum ops_kind kind, const char *const *words, size_t n,
                            const struct config *cfg, struct ops_request *req)
{
	if (ops_kind_is_mesh(kind))
		return mesh_request(kind, words, n, cfg, req);
	if (n != 2) {
		term_fprintf(stderr, "peerscope: %s needs two cluster names: peerscope %s %s\n",
		             ops_kind_name(kind), ops_kind_name(kind),
		             kind == OPS_DIALER ? "B A" : "A B");
		return -1;
	}
	memset(req, 0, sizeof *req);
	req->kind = kind;
	/* dialer B A: the dialing cluster first, as one says it. */
	const char *a = kind == OPS_DIALER ? words[1] : words[0];
	const char *b = kind == OPS_DIALER ? words[0] : words[1];
	if (strlen(a) >= sizeof req->a || strlen(b) >= sizeof req->b) {
		term_fprintf(stderr, "peerscope: a cluster name is at most %zu characters\n",
		             sizeof req->a - 1);
		return -1;
	}
	snprintf(req->a, sizeof req->a, "%s", a);
	snprintf(req->b, sizeof req->b, "%s", b);
	const char *const opt[] = {cfg->name, cfg->dialer_name, cfg->secret_name, cfg->partition,
	                           cfg->dialer_partition};
	char *const dst[] = {req->name, req->dialer_name, req->secret_name, req->partition,
	                     req->dialer_partition};
	const size_t len[] = {sizeof req->name, sizeof req->dialer_name, sizeof req->secret_name,
	                      sizeof req->partition, sizeof req->dialer_partition};
	const char *const flag[] = {"--name", "--dialer-name", "--secret-name", "--partition",
	                            "--dialer-partition"};
	for (int i = 0; i < 5; i++) {
		if (!opt[i])
			continue;
		if (strlen(opt[i]) >= len[i]) {
			term_fprintf(stderr, "peerscope: %s: at most %zu characters\n", flag[i],
			             len[i] - 1);
			return -1;
		}
		snprintf(dst[i], len[i], "%s", opt[i]);
	}
	req->wait_ms = cfg->wait_ms;
	return 0;
}

static int refused(const struct ops_plan *p)
{
	term_fprintf(stderr, "peerscope: %s\n", p->reason);
	if (p->fix[0])
		term_fprintf(stderr, "  fix: %s\n", p->fix);
	return p->refusal == OPS_REFUSE_USAGE ? OPCMD_EXIT_USAGE : OPCMD_EXIT_FAILED;
}

static int report(const struct config *cfg, const struct ops_plan *plan,
                  const struct ops_status *st)
{
	if (st->outcome != OPS_OK) {
		term_fprintf(stderr, "peerscope: %s\n", st->message);
		if (st->fix[0])
			term_fprintf(stderr, "  fix: %s\n", st->fix);
	}
	if (st->audit_failures)
		term_fprintf(
		        stderr,
		        "peerscope: warning: %u line(s) could not be written to the audit log\n",
		        st->audit_failures);
	if (!strcmp(cfg->output, "json")) {
		char *text = opcmd_json(plan, st);
		if (text)
			printf("%s\n", text); /* term_json made it safe */
		free(text);
	} else {
		print_table(st);
	}
	if (fflush(stdout) != 0)
		return OPCMD_EXIT_FAILED;
	return st->outcome == OPS_OK ? OPCMD_EXIT_OK : OPCMD_EXIT_FAILED;
}

static int plan_and_run(const struct config *cfg, struct worker *w, const struct ops_request *req)
{
	struct ops_plan plan;
	struct ops_status st;
	int rc;

	if (!worker_plan(w, req) || wait_phase(w, WORKER_PLANNING) != WORKER_PLANNED) {
		term_fprintf(stderr, "peerscope: out of memory\n");
		return OPCMD_EXIT_FAILED;
	}
	worker_state(w, &plan, NULL, NULL);
	if (plan.refusal != OPS_GO) {
		rc = refused(&plan);
		goto out;
	}
	print_plan(&plan);
	if (cfg->dry_run) {
		print_changes(&plan);
		rc = fflush(stdout) == 0 ? OPCMD_EXIT_OK : OPCMD_EXIT_FAILED;
		goto out;
	}
	rc = stop_asked ? 0 : confirm(cfg, &plan);
	if (rc != 0)
		goto out;
	if (stop_asked) {
		term_fprintf(stderr, "peerscope: stopped before any change\n");
		rc = OPCMD_EXIT_FAILED;
		goto out;
	}
	if (!worker_run(w)) {
		rc = OPCMD_EXIT_FAILED;
		goto out;
	}
	wait_phase(w, WORKER_RUNNING);
	worker_state(w, NULL, &st, NULL);
	rc = report(cfg, &plan, &st);
out:
	ops_plan_free(&plan);
	return rc;
}

int opcmd_main(const struct config *cfg, struct log_sink *log, enum ops_kind kind,
               const char *const *words, size_t nwords)
{
	struct session_options so = {.worker = true, .progress = on_progress};
	struct sigaction sa = {0}, old[2];
	struct ops_request req;
	struct session *s;
	char err[600];
	int rc;

	if (strcmp(cfg->output, "json") && strcmp(cfg->output, "table")) {
		term_fprintf(stderr, "peerscope: --output: expected json or table, found '%s'\n",
		             cfg->output);
		return OPCMD_EXIT_USAGE;
	}
	if (words_to_request(kind, words, nwords, cfg, &req) < 0)
		return OPCMD_EXIT_USAGE;
	if (cfg->dry_run)
		so.audit_path = ""; /* a dry run changes nothing: nothing to log */
	if (session_open(cfg, log, &so, &s, err, sizeof err) < 0) {
		term_fprintf(stderr, "peerscope: %s\n", err);
		return OPCMD_EXIT_USAGE;
	}
	stop_asked = 0;
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old[0]);
	sigaction(SIGTERM, &sa, &old[1]);
	rc = plan_and_run(cfg, session_worker(s), &req);
	sigaction(SIGINT, &old[0], NULL);
	sigaction(SIGTERM, &old[1], NULL);
	session_close(s);
	return rc;
}
