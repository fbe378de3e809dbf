/* ui_world: runs the dashboard on a store filled from fixture files, for
 * the terminal tests that need fixed, known data.
 *
 *   ui_world DIR FIFO [--ascii] [--no-color] [--readonly] [--theme NAME]
 *            [--highlight DURATION]
 *
 * NO_COLOR in the environment works as it does for peerscope.
 *
 * DIR holds one folder per cluster (cluster-01, ...) with Consul answers
 * as JSON: self.json, leader.json, peerings.json, gateways.json,
 * exports.json (optional), services.json. Heartbeats are moved to "two
 * seconds ago" so that ACTIVE peerings look alive.
 *
 * FIFO takes commands, one per line, as a poller would publish them:
 *   stale NAME    NAME's Consul stops answering (its data goes stale)
 *   fresh NAME    NAME answers again
 *   state NAME PEER STATE   the peering PEER on NAME changes state
 *   again NAME    NAME answers again with the same data (only the times
 *                 of success move: store_snapshot_same)
 *   beat NAME [AGO]  NAME's ACTIVE peerings have a heartbeat now, or AGO
 *                 seconds ago (only stream times move:
 *                 store_snapshot_same_but_times)
 *   wakes         writes how many times the store woke the UI so far
 *                 (store_wakeups) to the file FIFO.wakes
 *   painted       writes how many cells of text the paints so far wrote
 *                 (ui_cells_painted) to the file FIFO.painted */
#include "autoconfig.h"

#include "peerscope/config.h"
#include "peerscope/consul.h"
#include "peerscope/store.h"
#include "peerscope/ui.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NCLUSTERS 3

static const char *const names[NCLUSTERS] = {"cluster-01", "cluster-02", "cluster-03"};

static char *slurp(const char *dir, const char *cluster, const char *file, size_t *len)
{
	char path[4096];
	FILE *f;
	char *buf;

	snprintf(path, sizeof path, "%s/%s/%s", dir, cluster, file);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	buf = malloc(1 << 20);
	*len = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
	if (buf)
		buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* Holds part P in snapshot S and drops the builder's own reference. */
static const void *keep(struct store_snapshot *s, enum store_src slot, struct store_part *p)
{
	const void *d;

	if (!p)
		return NULL;
	d = store_hold(s, slot, p);
	store_part_unref(p);
	return d;
}

static void die(const char *what, const char *err)
{
	fprintf(stderr, "ui_world: %s: %s\n", what, err);
	exit(2);
}

static void mark_ok(struct store_snapshot *s, enum store_src src, int64_t now)
{
	s->sources[src] = (struct store_source){
	        .state = MODEL_SOURCE_OK, .enabled = true, .last_ok_ns = now, .http_status = 200};
}

static void load_identity(struct store_snapshot *s, const char *dir, int64_t now)
{
	struct model_cluster_identity *id = calloc(1, sizeof *id);
	char err[256] = "", *json = NULL, *leader = NULL;
	size_t len = 0;

	if (!id || !(json = slurp(dir, s->name, "self.json", &len)))
		die(s->name, "self.json");
	if (consul_decode_agent_self(json, len, id, err, sizeof err) < 0)
		die("self.json", err);
	free(json);
	if (!(json = slurp(dir, s->name, "leader.json", &len)) ||
	    consul_decode_leader(json, len, &leader, err, sizeof err) < 0)
		die("leader.json", err);
	free(json);
	free(id->leader);
	id->leader = leader;
	s->identity = keep(s, STORE_SRC_IDENTITY, store_part_identity(id));
	s->has_identity = s->identity != NULL;
	mark_ok(s, STORE_SRC_IDENTITY, now);
}

static void load_peerings(struct store_snapshot *s, const char *dir, int64_t now)
{
	struct model_peering_list *l = calloc(1, sizeof *l);
	char err[256] = "", *json = NULL;
	size_t len = 0;

	if (!l || !(json = slurp(dir, s->name, "peerings.json", &len)))
		die(s->name, "peerings.json");
	if (consul_decode_peerings(json, len, l, err, sizeof err) < 0)
		die("peerings.json", err);
	free(json);
	for (size_t i = 0; i < l->n; i++) {
		struct model_stream_status *st = &l->v[i].stream;
		if (l->v[i].state == MODEL_PEERING_ACTIVE)
			st->last_heartbeat_ns = st->last_receive_ns = st->last_send_ns =
			        now - 2000000000LL;
	}
	s->peerings = keep(s, STORE_SRC_PEERINGS, store_part_peerings(l));
	mark_ok(s, STORE_SRC_PEERINGS, now);
	mark_ok(s, STORE_SRC_STREAM, now);
}

static void load_rest(struct store_snapshot *s, const char *dir, int64_t now)
{
	struct model_instance_list *gw = calloc(1, sizeof *gw);
	struct model_service_summary_list *sv = calloc(1, sizeof *sv);
	struct model_exported_services_entry *ex = calloc(1, sizeof *ex);
	char err[256] = "", *json = NULL;
	size_t len = 0;

	if (!gw || !sv || !ex || !(json = slurp(dir, s->name, "gateways.json", &len)) ||
	    consul_decode_health_service(json, len, gw, err, sizeof err) < 0)
		die(s->name, "gateways.json");
	free(json);
	s->gateways = keep(s, STORE_SRC_GATEWAYS, store_part_instances(gw));
	mark_ok(s, STORE_SRC_GATEWAYS, now);
	if (!(json = slurp(dir, s->name, "services.json", &len)) ||
	    consul_decode_ui_services(json, len, sv, err, sizeof err) < 0)
		die(s->name, "services.json");
	free(json);
	s->services = keep(s, STORE_SRC_SERVICES, store_part_services(sv));
	mark_ok(s, STORE_SRC_SERVICES, now);
	json = slurp(dir, s->name, "exports.json", &len);
	if (json && consul_decode_exported_services_entry(json, len, ex, err, sizeof err) < 0)
		die("exports.json", err);
	s->has_exports = json != NULL;
	free(json);
	s->exports = keep(s, STORE_SRC_EXPORTS, store_part_exports(ex));
	mark_ok(s, STORE_SRC_EXPORTS, now);
}

static void publish_all(struct store *st, const char *dir)
{
	int64_t now = store_now_ns();

	for (size_t i = 0; i < NCLUSTERS; i++) {
		char addr[64];
		snprintf(addr, sizeof addr, "http://127.0.0.1:85%02zu", i);
		struct store_snapshot *s = store_snapshot_new(i, names[i], "", addr);
		if (!s)
			die("snapshot", "out of memory");
		s->consul_reachable = true;
		load_identity(s, dir, now);
		load_peerings(s, dir, now);
		load_rest(s, dir, now);
		store_publish(st, s);
	}
}

/* ------------------------------------------------------------ commands */

struct feeder {
	struct store *st;
	int fd;
	atomic_bool stop;
};

static int cluster_index(const char *name)
{
	for (int i = 0; i < NCLUSTERS; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

static void set_stale(struct store *st, int i, bool stale)
{
	struct store_snapshot *old = store_get(st, (size_t)i), *s;
	int64_t now = store_now_ns();

	if (!old || !(s = store_snapshot_derive(old))) {
		store_snapshot_unref(old);
		return;
	}
	store_snapshot_unref(old);
	s->consul_reachable = !stale;
	for (int k = 0; k < STORE_SRC_COUNT; k++) {
		struct store_source *src = &s->sources[k];
		if (!src->enabled)
			continue;
		src->stale = stale;
		src->state = stale ? MODEL_SOURCE_STALE : MODEL_SOURCE_OK;
		src->failures = stale ? 3 : 0;
		if (stale) {
			src->last_error_ns = now;
			snprintf(src->last_error, sizeof src->last_error, "%s: connection refused",
			         names[i]);
		} else {
			src->last_ok_ns = now;
		}
	}
	store_publish(st, s);
	store_event(st, stale ? STORE_EV_ERROR : STORE_EV_INFO, names[i], "consul", "%s",
	            stale ? "unreachable: connection refused" : "reachable again");
}

/* A poll answered with the body it had: a new snapshot, the same data. */
static void answer_again(struct store *st, int i)
{
	struct store_snapshot *old = store_get(st, (size_t)i), *s;
	int64_t now = store_now_ns();

	if (!old || !(s = store_snapshot_derive(old))) {
		store_snapshot_unref(old);
		return;
	}
	store_snapshot_unref(old);
	for (int k = 0; k < STORE_SRC_COUNT; k++)
		if (s->sources[k].enabled && s->sources[k].last_ok_ns)
			s->sources[k].last_ok_ns = now;
	store_publish(st, s);
}

/* What is done to each peering of a cluster published again. */
struct edit {
	struct store *st;
	int i;
	const char *peer, *state; /* set_state() */
	int64_t now;              /* beat() */
};

/* Cluster I's peerings published again, each copied and passed to EDIT. */
static void peerings_again(struct store *st, int i,
                           void (*edit)(struct model_peering *p, const struct edit *e),
                           const struct edit *e)
{
	struct store_snapshot *old = store_get(st, (size_t)i), *s;
	struct model_peering_list *l = calloc(1, sizeof *l);

	if (!old || !l || !(s = store_snapshot_derive(old)))
		goto out;
	l->v = calloc(old->peerings->n ? old->peerings->n : 1, sizeof *l->v);
	for (size_t k = 0; l->v && k < old->peerings->n; k++) {
		model_peering_copy(&l->v[k], &old->peerings->v[k]);
		l->n++;
		edit(&l->v[k], e);
	}
	s->peerings = keep(s, STORE_SRC_PEERINGS, store_part_peerings(l));
	l = NULL;
	store_publish(st, s);
out:
	free(l);
	store_snapshot_unref(old);
}

static void edit_state(struct model_peering *p, const struct edit *e)
{
	if (strcmp(p->name, e->peer))
		return;
	store_event(e->st, STORE_EV_INFO, names[e->i], e->peer, "%s -> %s",
	            model_peering_state_name(p->state), e->state);
	p->state = model_peering_state_parse(e->state);
}

static void set_state(struct store *st, int i, const char *peer, const char *state)
{
	struct edit e = {.st = st, .i = i, .peer = peer, .state = state};

	peerings_again(st, i, edit_state, &e);
}

static void edit_times(struct model_peering *p, const struct edit *e)
{
	struct model_stream_status *ss = &p->stream;

	if (p->state == MODEL_PEERING_ACTIVE)
		ss->last_heartbeat_ns = ss->last_receive_ns = ss->last_send_ns = e->now;
}

/* A stream poll's answer with newer times: a new list, the same data. The
 * heartbeat AGO seconds before now. */
static void beat(struct store *st, int i, int ago)
{
	struct edit e = {.st = st, .i = i, .now = store_now_ns() - (int64_t)ago * 1000000000};

	peerings_again(st, i, edit_times, &e);
}

static const char *fifo_path;

/* V in the file FIFO.WHAT, written aside and renamed: the reader waits for
 * the file to appear. */
static void write_count(const char *what, unsigned long long v)
{
	char path[4200], tmp[4300];
	FILE *f;

	snprintf(path, sizeof path, "%s.%s", fifo_path, what);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (!(f = fopen(tmp, "w")))
		die(tmp, strerror(errno));
	fprintf(f, "%llu\n", v);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		die(path, strerror(errno));
}

static void command(struct store *st, char *line)
{
	char verb[16], name[64], peer[64], state[32];
	int n = sscanf(line, "%15s %63s %63s %31s", verb, name, peer, state);
	int i = n >= 2 ? cluster_index(name) : -1;

	if (n == 1 && !strcmp(verb, "wakes"))
		write_count("wakes", store_wakeups(st));
	if (n == 1 && !strcmp(verb, "painted"))
		write_count("painted", ui_cells_painted());
	if (i < 0)
		return;
	if (!strcmp(verb, "stale") || !strcmp(verb, "fresh"))
		set_stale(st, i, !strcmp(verb, "stale"));
	else if (!strcmp(verb, "state") && n == 4)
		set_state(st, i, peer, state);
	else if (!strcmp(verb, "again"))
		answer_again(st, i);
	else if (!strcmp(verb, "beat"))
		beat(st, i, n >= 3 ? atoi(peer) : 0);
}

static void *feed(void *arg)
{
	struct feeder *f = arg;
	char buf[512];
	size_t used = 0;

	while (!atomic_load(&f->stop)) {
		struct pollfd p = {f->fd, POLLIN, 0};
		if (poll(&p, 1, 100) <= 0)
			continue;
		ssize_t n = read(f->fd, buf + used, sizeof buf - used - 1);
		if (n <= 0)
			continue;
		used += (size_t)n;
		buf[used] = '\0';
		char *nl;
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			command(f->st, buf);
			used -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, used + 1);
		}
		if (used == sizeof buf - 1)
			used = 0;
	}
	return NULL;
}

/* F5: what a refresh would fetch is fixed here; the event shows it came. */
static void refetch(void *ctx)
{
	store_event(ctx, STORE_EV_INFO, "", "", "refresh requested");
}

int main(int argc, char **argv)
{
	struct ui_options opt = {.names = names, .nclusters = NCLUSTERS};
	struct feeder f = {0};
	pthread_t th;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: ui_world DIR FIFO [--ascii] [--no-color] [--readonly] "
		                "[--theme NAME] [--highlight DURATION]\n");
		return 2;
	}
	/* As the configuration does (no-color.org): set and not empty. */
	opt.no_color = getenv("NO_COLOR") && *getenv("NO_COLOR");
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--ascii"))
			opt.ascii = true;
		else if (!strcmp(argv[i], "--no-color"))
			opt.no_color = true;
		else if (!strcmp(argv[i], "--readonly"))
			opt.readonly = true;
		else if (!strcmp(argv[i], "--theme") && i + 1 < argc)
			opt.theme = argv[++i];
		else if (!strcmp(argv[i], "--highlight") && i + 1 < argc) {
			/* As the config file's highlight: 0s highlights nothing. */
			if (!config_parse_duration(argv[++i], &opt.highlight_ms))
				die("--highlight: not a duration", argv[i]);
			if (!opt.highlight_ms)
				opt.highlight_ms = -1;
		}
	}
	fifo_path = argv[2];
	f.st = store_new(NCLUSTERS, 0);
	if (!f.st)
		die("store", "cannot create");
	opt.store = f.st;
	opt.refetch = refetch;
	opt.refetch_ctx = f.st;
	publish_all(f.st, argv[1]);
	store_event(f.st, STORE_EV_INFO, "cluster-02", "cluster-01", "ESTABLISHING -> ACTIVE");
	/* Read-write, so that opening never waits for a writer. */
	f.fd = open(argv[2], O_RDWR | O_NONBLOCK);
	if (f.fd < 0)
		die(argv[2], strerror(errno));
	if (pthread_create(&th, NULL, feed, &f) != 0)
		die("thread", "cannot start");
	rc = ui_run(&opt);
	atomic_store(&f.stop, true);
	pthread_join(th, NULL);
	close(f.fd);
	store_free(f.st);
	return rc;
}
