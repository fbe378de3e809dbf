/* dash_start: the dashboard (dashboard_run) on a configuration, with the
 * start of its pollers (poller_start, wrapped: -Wl,--wrap=poller_start)
 * under the test's control, for the terminal tests of its start-up.
 *
 *   dash_start --config FILE
 *
 * PS_HOLD_POLLERS=PATH: the pollers start only once PATH exists (at most
 * 30 s later); PS_FAIL_POLLERS=1: they cannot start. Exits with
 * dashboard_run's status. */
#include "autoconfig.h"

#include "peerscope/config.h"
#include "peerscope/dashboard.h"
#include "peerscope/monotime.h"
#include "peerscope/poller.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct poller *__real_poller_start(struct store *st, const struct poller_cluster *clusters,
                                   size_t n, const struct poller_options *opt);
struct poller *__wrap_poller_start(struct store *st, const struct poller_cluster *clusters,
                                   size_t n, const struct poller_options *opt);

struct poller *__wrap_poller_start(struct store *st, const struct poller_cluster *clusters,
                                   size_t n, const struct poller_options *opt)
{
	const char *hold = getenv("PS_HOLD_POLLERS");
	const char *fail = getenv("PS_FAIL_POLLERS");
	int64_t deadline = monotime_ms() + 30000;

	if (fail && *fail)
		return NULL;
	while (hold && *hold && access(hold, F_OK) != 0 && monotime_ms() < deadline)
		nanosleep(&(struct timespec){.tv_nsec = 20 * 1000000}, NULL);
	return __real_poller_start(st, clusters, n, opt);
}

int main(int argc, char **argv)
{
	struct config_diags diags = {0};
	struct config_args args;
	struct config *cfg = NULL;
	int rc = 2;

	if (config_parse_args(argc, argv, &args, &diags) != 0 ||
	    config_load(&args, environ, &cfg, &diags) != 0) {
		fprintf(stderr, "dash_start: the configuration does not load\n");
		goto out;
	}
	rc = dashboard_run(cfg, NULL, NULL);
out:
	config_free(cfg);
	config_args_free(&args);
	config_diags_free(&diags);
	return rc;
}
