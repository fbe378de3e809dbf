/* peerscope-sim, Consul half: peering streams, as Consul's leader runs them
 * (agent/consul/leader_peering.go) and its peerstream server tracks them
 * (agent/grpc-external/services/peerstream/: server.go, stream_resources.go,
 * stream_tracker.go).
 *
 * The dialer dials; each failed attempt is tracked as a send error and
 * retried after 2, 4, 8 ... 64 s. Once up, both ends heartbeat every 15 s.
 * A peer whose process is gone is noticed at once; one whose network is
 * gone only when the dialer's keepalive gives up (40 s after the last thing
 * it heard) or the acceptor's heartbeat timer runs out (2 minutes). Each
 * server keeps its tracker in memory: a restarted one knows no stream until
 * the dialer is back. What a read shows is computed from the tracker as
 * agent/rpc/peering/service.go reconcilePeering does (peering.c). */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "simc.h"

#define ERR_RECV_EOF                                                                               \
	"unexpected error receiving from the stream: rpc error: code = Unavailable desc = "        \
	"error reading from server: EOF"
#define ERR_ACCEPTOR_EOF "stream ended unexpectedly"

static int64_t scaled(const struct sim_cluster *c, int64_t ms)
{
	return sim_scaled_ms(c->world, ms);
}

static bool deleted(const struct simc_peering *p)
{
	return !strcmp(p->state, "DELETING") || !strcmp(p->state, "TERMINATED");
}

/* The last heartbeat time of the current stream at or before UNTIL (0: none
 * yet): the peer sends one every interval from the time the stream came up. */
static int64_t cadence(const struct sim_cluster *c, const struct simc_peering *p, int64_t until)
{
	int64_t hb = scaled(c, SIMC_HB_MS);

	if (!p->tr.connected || hb <= 0 || until < p->tr.up_ms + hb)
		return 0;
	return p->tr.up_ms + (until - p->tr.up_ms) / hb * hb;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

int64_t simc_stream_last_heartbeat(const struct sim_cluster *c, const struct simc_peering *p,
                                   int64_t now)
{
	int64_t until = p->tr.silent_ms && p->tr.silent_ms < now ? p->tr.silent_ms : now;

	return max64(p->tr.hb_ms, cadence(c, p, until));
}

int64_t simc_stream_last_receive(const struct sim_cluster *c, const struct simc_peering *p,
                                 int64_t now)
{
	return max64(simc_stream_last_heartbeat(c, p, now),
	             max64(p->tr.recv_ok_ms, p->tr.recv_err_ms));
}

int64_t simc_stream_last_send(const struct sim_cluster *c, const struct simc_peering *p,
                              int64_t now)
{
	/* Heartbeats are sent into the connection also while the peer does not
	 * hear them: the kernel buffers them until the stream is given up. */
	return max64(cadence(c, p, now), max64(p->tr.send_ok_ms, p->tr.send_err_ms));
}

/* Heartbeats received and sent up to NOW become plain values. */
static void settle(const struct sim_cluster *c, struct simc_peering *p, int64_t now)
{
	p->tr.hb_ms = simc_stream_last_heartbeat(c, p, now);
	p->tr.send_ok_ms = max64(p->tr.send_ok_ms, cadence(c, p, now));
}

static void schedule_retry(struct sim_cluster *d, struct simc_peering *p, int64_t now)
{
	/* peeringRetryTimeout: (1 << failedAttempts) s, at most 64 s. */
	if (p->fails < 100)
		p->fails++;
	int64_t s = p->fails >= 7 ? SIMC_RETRY_MAX_S : (int64_t)1 << p->fails;
	if (s > SIMC_RETRY_MAX_S)
		s = SIMC_RETRY_MAX_S;
	p->retry_due_ms = now + scaled(d, s * 1000);
}

/* End E of a stream (on cluster C) gives it up with ERR. */
static void lose(struct sim_cluster *c, struct simc_peering *p, int64_t now, const char *err)
{
	if (!p->tr.connected)
		return;
	settle(c, p, now);
	p->tr.connected = false;
	p->tr.silent_ms = p->tr.lost_due_ms = 0;
	p->tr.recv_err_ms = now;
	snprintf(p->tr.err, sizeof p->tr.err, "%s", err);
	if (p->role == SIMC_DIALER && !deleted(p)) {
		p->tr.send_err_ms = now; /* the retry loop's errFn: TrackSendError */
		schedule_retry(c, p, now);
	}
}

void simc_stream_end(struct sim_cluster *c, struct simc_peering *p, int64_t now)
{
	if (p->tr.connected)
		settle(c, p, now);
	p->tr.connected = false; /* gracefully: no error */
	p->tr.silent_ms = p->tr.lost_due_ms = 0;
	p->tr.err[0] = '\0';
	p->retry_due_ms = 0;
}

/* The addresses the dialer tries: the manual ones, else those the acceptor
 * gave (agent/consul/peering_backend.go GetDialAddresses). */
static void dial_list(const struct simc_peering *p, const char (**list)[64], int *n)
{
	if (p->nmanual_addrs) {
		*list = (const char(*)[64])p->manual_addrs;
		*n = p->nmanual_addrs;
	} else {
		*list = (const char(*)[64])p->peer_addrs;
		*n = p->npeer_addrs;
	}
}

/* Can dialer D reach cluster A at ADDR now? WHY gets the dial error. */
static bool reach(struct sim_cluster *d, struct sim_cluster *a, const char *addr, bool local_gw,
                  char *why, size_t len)
{
	bool gw = a && strcmp(a->grpc_addr, addr) != 0;
	const char *fail = NULL;

	if (d->hung || (a && a->hung))
		fail = "i/o timeout";
	else if (!a || !a->running || (gw && simc_gateways_count(a, true) == 0) ||
	         (local_gw && simc_gateways_count(d, true) == 0))
		fail = "connect: connection refused";
	if (!fail)
		return true;
	snprintf(why, len,
	         "rpc error: code = Unavailable desc = connection error: desc = \"transport: Error "
	         "while dialing: dial tcp %s: %s\"",
	         addr, fail);
	return false;
}

/* The addresses acceptor A pushes to its dialers once connected: its mesh
 * gateways' WAN addresses with PeerThroughMeshGateways, else its servers'
 * (peerstream/subscription_manager.go, the server addresses resource). */
static int acceptor_addrs(struct sim_cluster *a, char out[][64], int max)
{
	int n = 0;

	if (simc_config_peer_through_gateways(a)) {
		struct simc_service *g = simc_service_find(a->consul, "mesh-gateway");
		for (int i = 0; g && i < g->ninst && n < max; i++)
			snprintf(out[n++], 64, "%s:%d", g->inst[i].wan_addr, g->inst[i].wan_port);
		if (n)
			return n;
	}
	snprintf(out[n++], 64, "%s", a->grpc_addr);
	return n;
}

static void push_addrs(struct sim_cluster *d, struct simc_peering *p, struct sim_cluster *a)
{
	char addrs[SIMC_MAX_ADDRS][64];
	int n = acceptor_addrs(a, addrs, SIMC_MAX_ADDRS);
	bool same = n == p->npeer_addrs;

	for (int i = 0; same && i < n; i++)
		same = !strcmp(addrs[i], p->peer_addrs[i]);
	if (same)
		return;
	memcpy(p->peer_addrs, addrs, (size_t)n * sizeof addrs[0]);
	p->npeer_addrs = n;
	simc_peering_touch(d, p);
}

static void open_end(struct simc_peering *p, int64_t now)
{
	p->tr.tracked = true;
	p->tr.connected = true;
	p->tr.err[0] = '\0';
	p->tr.up_ms = now;
	p->tr.silent_ms = p->tr.lost_due_ms = 0;
	/* The first messages: subscriptions, the trust bundle, the server
	 * addresses, the exported services. */
	p->tr.recv_ok_ms = p->tr.send_ok_ms = now;
	p->synced = true;
}

static void stream_open(struct sim_cluster *d, struct simc_peering *p, struct sim_cluster *a,
                        struct simc_peering *q, const char *addr, int64_t now)
{
	bool first = !p->synced;

	snprintf(p->conn_addr, sizeof p->conn_addr, "%s", addr);
	p->conn_local_gw = simc_config_peer_through_gateways(d);
	open_end(p, now);
	open_end(q, now);
	p->retry_due_ms = 0;
	snprintf(q->remote_dc, sizeof q->remote_dc, "%s", d->install.datacenter);
	snprintf(q->remote_partition, sizeof q->remote_partition, "%s",
	         p->partition[0] ? p->partition : "default");
	p->link_cluster = a->index;
	snprintf(p->link_id, sizeof p->link_id, "%s", q->id);
	q->link_cluster = d->index;
	snprintf(q->link_id, sizeof q->link_id, "%s", p->id);
	push_addrs(d, p, a);
	sim_event(d->world, d, "peering %s: stream to %s connected%s", p->name, a->name,
	          first ? " (ACTIVE)" : " again");
	simc_catalog_changed(d);
	simc_catalog_changed(a);
}

/* One turn of the dialer's retry loop. */
static void attempt(struct sim_cluster *d, struct simc_peering *p, int64_t now)
{
	const char(*list)[64];
	int n;
	char why[512] = "";

	p->retry_due_ms = 0;
	/* A stopped process dials nothing; one cut off by its network keeps
	 * trying and failing. */
	if (p->role != SIMC_DIALER || !p->stream_secret || deleted(p) || p->tr.connected ||
	    (!d->running && !d->hung))
		return;
	p->tr.tracked = true; /* establishStream registers it first */
	dial_list(p, &list, &n);
	struct sim_cluster *a = NULL;
	const char *addr = NULL;
	for (int i = 0; i < n; i++) {
		struct sim_cluster *x = simc_cluster_by_peering_addr(d->world, list[i]);
		char w1[512];
		if (reach(d, x, list[i], simc_config_peer_through_gateways(d), w1, sizeof w1)) {
			a = x;
			addr = list[i];
			break;
		}
		if (!why[0])
			snprintf(why, sizeof why, "%s", w1);
	}
	if (!a) {
		p->tr.send_err_ms = now;
		schedule_retry(d, p, now);
		return;
	}
	if (!simc_has_leader(a)) {
		/* FailedPrecondition from a server that is not the leader: retried
		 * every few ms until one is (peeringRetryTimeout's fast path). */
		p->tr.send_err_ms = now;
		p->retry_due_ms = a->consul->leader_due_ms;
		return;
	}
	struct simc_peering *q = simc_peering_by_id(a->consul, p->peer_id);
	if (!q || q->role != SIMC_ACCEPTOR || deleted(q)) {
		/* The stream opens and the acceptor refuses the subscription
		 * (peerstream/server.go StreamResources: Aborted for a peering
		 * that is not active, TERMINATED included); the dialer stays
		 * FAILING, retrying. */
		p->tr.send_ok_ms = now;
		p->tr.recv_err_ms = now;
		p->tr.send_err_ms = now;
		if (q && q->role == SIMC_ACCEPTOR)
			snprintf(p->tr.err, sizeof p->tr.err,
			         "unexpected error receiving from the stream: rpc error: code = "
			         "Aborted desc = peering is marked as deleted: %s",
			         p->peer_id);
		else
			snprintf(p->tr.err, sizeof p->tr.err,
			         "unexpected error receiving from the stream: rpc error: code = "
			         "InvalidArgument desc = initial subscription for unknown PeerID: "
			         "%s",
			         p->peer_id);
		schedule_retry(d, p, now);
		return;
	}
	stream_open(d, p, a, q, addr, now);
}

void simc_stream_dial_soon(struct sim_cluster *d, struct simc_peering *p, int64_t now)
{
	if (p->role != SIMC_DIALER || !p->stream_secret || deleted(p) || p->tr.connected)
		return;
	p->fails = 0;
	p->retry_due_ms = now + scaled(d, SIMC_CONNECT_MS);
}

int64_t simc_stream_tick(struct sim_cluster *c, int64_t now)
{
	struct simc_state *cs = c->consul;
	int64_t next = INT64_MAX;

	if (cs->resync_due_ms && now >= cs->resync_due_ms) {
		/* The leader's loop runs again after a peering write: dialers that
		 * are not connected start over (syncPeeringsAndBlock). */
		cs->resync_due_ms = c->running && !simc_has_leader(c) ? cs->leader_due_ms : 0;
		for (int i = 0; c->running && !cs->resync_due_ms && i < cs->npeerings; i++) {
			struct simc_peering *p = cs->peerings[i];
			if (p->role == SIMC_DIALER && p->stream_secret && !deleted(p) &&
			    !p->tr.connected) {
				p->fails = 0;
				attempt(c, p, now);
			}
		}
	}
	for (int i = 0; i < cs->npeerings; i++) {
		struct simc_peering *p = cs->peerings[i];
		if (p->delete_due_ms && now >= p->delete_due_ms) {
			sim_event(c->world, c, "peering %s deleted", p->name);
			simc_peering_remove(c, p);
			simc_catalog_changed(c);
			i--;
			continue;
		}
		if (p->tr.connected && p->tr.lost_due_ms && now >= p->tr.lost_due_ms) {
			lose(c, p, p->tr.lost_due_ms,
			     p->role == SIMC_DIALER ? "unexpected error receiving from the stream: "
			                              "rpc error: code = "
			                              "Unavailable desc = keepalive ping failed to "
			                              "receive ACK within "
			                              "timeout"
			                            : "heartbeat timeout");
			sim_event(c->world, c, "peering %s: stream given up (peer silent)",
			          p->name);
		}
		if (p->retry_due_ms && now >= p->retry_due_ms)
			attempt(c, p, now);
		if (p->delete_due_ms && p->delete_due_ms < next)
			next = p->delete_due_ms;
		if (p->retry_due_ms && p->retry_due_ms < next)
			next = p->retry_due_ms;
		if (p->tr.connected && p->tr.lost_due_ms && p->tr.lost_due_ms < next)
			next = p->tr.lost_due_ms;
	}
	if (cs->resync_due_ms && cs->resync_due_ms < next)
		next = cs->resync_due_ms;
	return next;
}

/* Both ends of every live stream of C: the other end gives up at once, as
 * when a process is gone or a connection is reset. */
static void drop_peers_of(struct sim_cluster *c, int64_t now)
{
	for (int i = 0; i < c->consul->npeerings; i++) {
		struct simc_peering *p = c->consul->peerings[i];
		struct sim_cluster *oc;
		struct simc_peering *q = simc_peering_other(c, p, &oc);
		if (q && q->tr.connected) {
			lose(oc, q, now, q->role == SIMC_DIALER ? ERR_RECV_EOF : ERR_ACCEPTOR_EOF);
			sim_event(c->world, oc, "peering %s: stream to %s lost", q->name, c->name);
		}
	}
}

/* C's server forgets every stream (a new process). */
static void forget_all(struct sim_cluster *c)
{
	for (int i = 0; i < c->consul->npeerings; i++) {
		struct simc_peering *p = c->consul->peerings[i];
		memset(&p->tr, 0, sizeof p->tr);
		p->fails = 0;
		p->retry_due_ms = 0;
	}
}

void simc_stream_stopped(struct sim_cluster *c, bool refuse, int64_t now)
{
	struct sim_world *w = c->world;

	if (refuse) {
		drop_peers_of(c, now);
		forget_all(c);
		return;
	}
	/* The network is gone: nothing more is heard either way; each end
	 * gives up on its own clock. */
	for (int i = 0; i < c->consul->npeerings; i++) {
		struct simc_peering *p = c->consul->peerings[i];
		struct sim_cluster *oc;
		struct simc_peering *q = simc_peering_other(c, p, &oc);
		struct simc_peering *ends[2] = {p, q};
		struct sim_cluster *cls[2] = {c, oc};
		for (int k = 0; k < 2; k++) {
			struct simc_peering *e = ends[k];
			if (!e || !e->tr.connected || e->tr.silent_ms)
				continue;
			int64_t heard = max64(simc_stream_last_heartbeat(cls[k], e, now),
			                      max64(e->tr.up_ms, e->tr.recv_ok_ms));
			e->tr.silent_ms = now;
			e->tr.lost_due_ms =
			        heard + scaled(cls[k], e->role == SIMC_DIALER ? SIMC_KEEPALIVE_MS
			                                                      : SIMC_HB_TIMEOUT_MS);
			if (e->tr.lost_due_ms <= now)
				e->tr.lost_due_ms = now + 1;
		}
	}
	sim_changed(w);
}

void simc_stream_started(struct sim_cluster *c, bool was_hung, int64_t now)
{
	if (!was_hung) {
		/* A new process: its leader dials what it should. */
		for (int i = 0; i < c->consul->npeerings; i++)
			simc_stream_dial_soon(c, c->consul->peerings[i], now);
		return;
	}
	/* The network is back: streams neither end gave up on carry on (the
	 * buffered heartbeats arrive now); where one end gave up, the other's
	 * connection is reset. */
	for (int i = 0; i < c->consul->npeerings; i++) {
		struct simc_peering *p = c->consul->peerings[i];
		struct sim_cluster *oc;
		struct simc_peering *q = simc_peering_other(c, p, &oc);
		if (q && p->tr.connected && q->tr.connected) {
			struct simc_peering *ends[2] = {p, q};
			struct sim_cluster *cls[2] = {c, oc};
			for (int k = 0; k < 2; k++) {
				if (!ends[k]->tr.silent_ms)
					continue;
				bool sent = cadence(cls[k], ends[k], now) > ends[k]->tr.silent_ms;
				settle(cls[k], ends[k], ends[k]->tr.silent_ms);
				if (sent)
					ends[k]->tr.hb_ms = now;
				ends[k]->tr.silent_ms = ends[k]->tr.lost_due_ms = 0;
			}
		} else if (q && p->tr.connected) {
			lose(c, p, now, p->role == SIMC_DIALER ? ERR_RECV_EOF : ERR_ACCEPTOR_EOF);
		} else if (q && q->tr.connected) {
			lose(oc, q, now, q->role == SIMC_DIALER ? ERR_RECV_EOF : ERR_ACCEPTOR_EOF);
		}
	}
}

void simc_stream_restarted(struct sim_cluster *c, int64_t now)
{
	drop_peers_of(c, now);
	forget_all(c);
	/* Once elected, the leader dials what it should. */
	for (int i = 0; i < c->consul->npeerings; i++) {
		struct simc_peering *p = c->consul->peerings[i];
		simc_stream_dial_soon(c, p, now);
		if (p->retry_due_ms && p->retry_due_ms < c->consul->leader_due_ms)
			p->retry_due_ms = c->consul->leader_due_ms;
	}
}

void simc_stream_recheck(struct sim_world *w)
{
	int64_t now = sim_now_ms(w);

	for (int i = 0; i < w->nclusters; i++) {
		struct sim_cluster *d = &w->clusters[i];
		for (int k = 0; d->consul && k < d->consul->npeerings; k++) {
			struct simc_peering *p = d->consul->peerings[k];
			struct sim_cluster *a;
			struct simc_peering *q;
			if (p->role != SIMC_DIALER || !p->tr.connected ||
			    !(q = simc_peering_other(d, p, &a)))
				continue;
			/* The stream runs through the address it was opened on: a gateway
			 * of the acceptor's (all gone: reset), or a local gateway. */
			char why[512];
			bool up = reach(d, a, p->conn_addr, p->conn_local_gw, why, sizeof why);
			if (!up && (d->hung || a->hung))
				continue; /* silent: each end gives up on its own clock */
			if (!up) {
				lose(d, p, now, ERR_RECV_EOF);
				if (q->tr.connected)
					lose(a, q, now, ERR_ACCEPTOR_EOF);
				sim_event(w, d, "peering %s: stream to %s lost", p->name, a->name);
				continue;
			}
			push_addrs(d, p, a);
		}
	}
	sim_changed(w);
}

int simc_peering_make(struct sim_cluster *a, const char *part_a, const char *name_on_a,
                      struct sim_cluster *b, const char *part_b, const char *name_on_b,
                      bool connected)
{
	struct sim_world *w = a->world;

	part_a = simc_part(part_a);
	part_b = simc_part(part_b);
	if (a == b || simc_peering_find(a->consul, part_a, name_on_a) ||
	    simc_peering_find(b->consul, part_b, name_on_b) ||
	    !simc_peering_valid_name(name_on_a) || !simc_peering_valid_name(name_on_b) ||
	    !simc_partition_find(a->consul, part_a) || !simc_partition_find(b->consul, part_b))
		return -1;
	struct simc_peering *p = simc_peering_new(a, name_on_a, SIMC_ACCEPTOR);
	struct simc_peering *q = p ? simc_peering_new(b, name_on_b, SIMC_DIALER) : NULL;
	if (!q)
		return -1;
	snprintf(p->partition, sizeof p->partition, "%s", part_a);
	snprintf(q->partition, sizeof q->partition, "%s", part_b);
	int64_t now = sim_now_ms(w);
	snprintf(p->state, sizeof p->state, "PENDING");
	snprintf(q->state, sizeof q->state, "ESTABLISHING");
	snprintf(q->peer_id, sizeof q->peer_id, "%s", p->id);
	q->peer_ca = strdup(a->consul->connect_ca);
	simc_server_name(a, q->peer_server_name, sizeof q->peer_server_name);
	q->npeer_addrs = acceptor_addrs(a, q->peer_addrs, SIMC_MAX_ADDRS);
	q->stream_secret = true;
	snprintf(q->remote_dc, sizeof q->remote_dc, "%s", a->install.datacenter);
	snprintf(q->remote_partition, sizeof q->remote_partition, "%s", simc_part_name(part_a));
	p->link_cluster = b->index;
	snprintf(p->link_id, sizeof p->link_id, "%s", q->id);
	q->link_cluster = a->index;
	snprintf(q->link_id, sizeof q->link_id, "%s", p->id);
	if (connected && !a->hung && !b->hung && a->running && b->running)
		stream_open(b, q, a, p, q->peer_addrs[0], now);
	else
		simc_stream_dial_soon(b, q, now);
	return 0;
}
