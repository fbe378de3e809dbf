/* peerscope-sim, Consul half: peering streams. A dialer's stream to its
 * acceptor connects after a delay, heartbeats while both ends are up, and
 * fails when the other end or its gateways are gone. */
#include "autoconfig.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "simc.h"

/* Can dialer D (peering P) reach acceptor A now? WHY gets the error. */
static bool reachable(struct sim_cluster *d, const struct simc_peering *p, struct sim_cluster *a,
                      char *why, size_t len)
{
	const char *addr = p->npeer_addrs ? p->peer_addrs[0] : a->grpc_addr;

	if (!a->running || !d->running || (p->via_gateways && simc_gateways_count(a, true) == 0)) {
		snprintf(why, len,
		         "rpc error: code = Unavailable desc = connection error: desc = "
		         "\"transport: Error while dialing: dial tcp %s: connect: connection "
		         "refused\"",
		         addr);
		return false;
	}
	return true;
}

static void stream_down(struct simc_peering *p, int64_t now, const char *why)
{
	p->connected = false;
	p->disconnected_ms = now;
	snprintf(p->disconnect_err, sizeof p->disconnect_err, "%s", why);
}

/* The stream ends without an error (deleted, terminated): heartbeats stop. */
void simc_stream_end(struct simc_peering *p, int64_t now)
{
	if (p->connected)
		p->disconnected_ms = now;
	p->connected = false;
}

static void stream_up(struct sim_cluster *c, struct simc_peering *p, int64_t now)
{
	p->connected = true;
	p->ever_connected = true;
	p->connected_ms = now;
	p->connect_due_ms = 0;
	p->disconnect_err[0] = '\0';
	if (strcmp(p->state, "ACTIVE")) {
		snprintf(p->state, sizeof p->state, "ACTIVE");
		simc_peering_touch(c, p);
	}
}

/* The dialer's stream to its acceptor comes up (both ends), if it can. */
void simc_stream_connect(struct sim_cluster *d, struct simc_peering *p, int64_t now)
{
	struct sim_cluster *a;
	struct simc_peering *q = simc_peering_other(d, p, &a);
	char why[256];

	p->connect_due_ms = 0;
	if (!q || !reachable(d, p, a, why, sizeof why))
		return;
	bool first = !p->ever_connected;
	stream_up(d, p, now);
	snprintf(q->remote_dc, sizeof q->remote_dc, "%s", d->install.datacenter);
	snprintf(q->remote_partition, sizeof q->remote_partition, "default");
	stream_up(a, q, now);
	q->connect_due_ms = 0;
	sim_event(d->world, d, "peering %s: stream to %s connected%s", p->name, a->name,
	          first ? " (ACTIVE)" : " again");
	simc_catalog_changed(d);
	simc_catalog_changed(a);
}

int64_t simc_stream_tick(struct sim_cluster *c, int64_t now)
{
	struct simc_state *cs = c->consul;
	int64_t next = INT64_MAX;

	for (int i = 0; i < cs->npeerings; i++) {
		struct simc_peering *p = cs->peerings[i];
		if (p->delete_due_ms && now >= p->delete_due_ms) {
			sim_event(c->world, c, "peering %s deleted", p->name);
			simc_peering_remove(c, p);
			simc_catalog_changed(c);
			i--;
			continue;
		}
		if (p->connect_due_ms && now >= p->connect_due_ms) {
			if (p->role == SIMC_DIALER)
				simc_stream_connect(c, p, now);
			else
				p->connect_due_ms = 0; /* the dialer side drives it */
		}
		if (p->delete_due_ms && p->delete_due_ms < next)
			next = p->delete_due_ms;
		if (p->connect_due_ms && p->connect_due_ms < next)
			next = p->connect_due_ms;
	}
	return next;
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
			char why[256];
			if (p->role != SIMC_DIALER || !(q = simc_peering_other(d, p, &a)) ||
			    !strcmp(p->state, "DELETING") || !strcmp(p->state, "TERMINATED"))
				continue;
			bool up = reachable(d, p, a, why, sizeof why);
			if (p->connected && !up) {
				stream_down(p, now, why);
				stream_down(q, now, "stream ended unexpectedly: peer unreachable");
				sim_event(w, d, "peering %s: stream to %s lost", p->name, a->name);
			} else if (!p->connected && up && !p->connect_due_ms) {
				p->connect_due_ms = now + sim_scaled_ms(w, SIMC_CONNECT_MS);
			}
		}
	}
	sim_changed(w);
}

int simc_peering_make(struct sim_cluster *a, const char *name_on_a, struct sim_cluster *b,
                      const char *name_on_b, bool connected)
{
	struct sim_world *w = a->world;

	if (a == b || simc_peering_find(a->consul, name_on_a) ||
	    simc_peering_find(b->consul, name_on_b) || !simc_peering_valid_name(name_on_a) ||
	    !simc_peering_valid_name(name_on_b))
		return -1;
	struct simc_peering *p = simc_peering_new(a, name_on_a, SIMC_ACCEPTOR);
	struct simc_peering *q = p ? simc_peering_new(b, name_on_b, SIMC_DIALER) : NULL;
	if (!q)
		return -1;
	int64_t now = sim_now_ms(w);
	snprintf(p->state, sizeof p->state, "PENDING");
	snprintf(q->state, sizeof q->state, "ESTABLISHING");
	snprintf(q->peer_id, sizeof q->peer_id, "%s", p->id);
	q->peer_ca = strdup(a->consul->connect_ca);
	simc_server_name(a, q->peer_server_name, sizeof q->peer_server_name);
	snprintf(q->peer_addrs[0], sizeof q->peer_addrs[0], "%s", a->grpc_addr);
	q->npeer_addrs = 1;
	snprintf(q->remote_dc, sizeof q->remote_dc, "%s", a->install.datacenter);
	snprintf(q->remote_partition, sizeof q->remote_partition, "default");
	p->link_cluster = b->index;
	snprintf(p->link_id, sizeof p->link_id, "%s", q->id);
	q->link_cluster = a->index;
	snprintf(q->link_id, sizeof q->link_id, "%s", p->id);
	if (connected)
		simc_stream_connect(b, q, now);
	else
		q->connect_due_ms = now + sim_scaled_ms(w, SIMC_CONNECT_MS);
	return 0;
}
