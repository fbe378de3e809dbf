/* peerscope-sim: bringing the clusters' halves up and down, and the ticker
 * thread that runs their timed transitions. The one file of the core that
 * knows both halves by name, so the world and the server stay below them. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>

#include "consul/simc.h"
#include "core.h"
#include "kube/simk.h"

struct sim_ticker {
	pthread_t thread;
};

/* ------------------------------------------------------------ clusters */

int sim_world_populate(struct sim_world *w, char *err, size_t errlen)
{
	pthread_mutex_lock(&w->lock);
	for (int i = 0; i < w->nclusters; i++) {
		struct sim_cluster *c = &w->clusters[i];
		if (sim_faults_new(c) < 0 || simc_init(c) < 0) {
			snprintf(err, errlen, "%s: cannot set up its Consul state", c->name);
			goto fail;
		}
		if (simk_init(c) < 0) {
			snprintf(err, errlen, "%s: cannot set up its Kubernetes state", c->name);
			goto fail;
		}
	}
	simc_world_ready(w);
	sim_event(w, NULL, "world of %d clusters created", w->nclusters);
	pthread_mutex_unlock(&w->lock);
	return 0;
fail:
	pthread_mutex_unlock(&w->lock);
	return -1;
}

void sim_world_depopulate(struct sim_world *w)
{
	for (int i = 0; i < w->nclusters; i++) {
		struct sim_cluster *c = &w->clusters[i];
		simk_free(c);
		simc_free(c);
		sim_faults_free(c);
	}
}

/* -------------------------------------------------------------- ticker */

int64_t sim_run_due(struct sim_world *w)
{
	int64_t now = sim_now_ms(w), next = INT64_MAX;

	for (int i = 0; i < w->nclusters; i++) {
		int64_t n = simc_tick(&w->clusters[i], now);
		if (n < next)
			next = n;
	}
	return next;
}

static void *ticker_main(void *arg)
{
	struct sim_world *w = arg;

	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		int64_t next = sim_run_due(w);
		/* Due items run above; wait for the next one or for a change
		 * that may schedule something sooner. Idle: no wake-ups. */
		int64_t deadline = INT64_MAX;
		if (next != INT64_MAX) {
			int64_t delta = next - sim_now_ms(w);
			deadline = sim_mono_ms() + (delta > 0 ? delta : 0) + 1;
		}
		sim_wait(w, deadline);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int sim_ticker_start(struct sim_world *w)
{
	struct sim_ticker *t = calloc(1, sizeof *t);

	if (!t)
		return -1;
	if (pthread_create(&t->thread, NULL, ticker_main, w) != 0) {
		free(t);
		return -1;
	}
	w->ticker = t;
	return 0;
}

void sim_ticker_stop(struct sim_world *w)
{
	if (!w->ticker)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	sim_changed(w);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->ticker->thread, NULL);
	free(w->ticker);
	w->ticker = NULL;
}
