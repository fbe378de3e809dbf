/* peerscope-sim: command line, files written at start, signals. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "consul/simc.h"
#include "core.h"
#include "kube/simk.h"

#define SET_MAX 64

struct cli {
	struct sim_options opt;
	const char *sets[SET_MAX]; /* --set CLUSTER:key=value,... */
	int nsets;
	bool verbose;
	bool temp_state_dir;
};

static void usage(FILE *f)
{
	fputs("Usage: peerscope-sim [OPTION]...\n"
	      "       peerscope-sim ctl [--control URL | --state-dir DIR] COMMAND [ARG]...\n"
	      "Simulates N Kubernetes clusters running Consul with cluster peering.\n"
	      "\n"
	      "  -n, --clusters N        clusters to simulate, 1 to 16 (default 2)\n"
	      "  -l, --listen ADDR       address to listen on (default 127.0.0.1)\n"
	      "  -p, --port P            first port; cluster i uses P+2i (Consul) and\n"
	      "                          P+2i+1 (Kubernetes), the control API P+2N;\n"
	      "                          0 picks free ports (default)\n"
	      "  -d, --state-dir DIR     where tokens, values and the CA are written\n"
	      "                          (default: a temporary directory, removed at exit)\n"
	      "      --kubeconfig-out FILE  write a kubeconfig with one context per cluster\n"
	      "      --config-out FILE  write a peerscope configuration file\n"
	      "      --ready-file FILE  write FILE once every listener accepts connections\n"
	      "      --scale services=N,peerings=M,instances=K\n"
	      "                          per cluster: extra services, peerings, instances\n"
	      "      --acl              enable ACLs (default deny) and write tokens\n"
	      "      --tls              serve HTTPS with a generated CA\n"
	      "      --enterprise       every cluster runs Consul Enterprise\n"
	      "      --no-gzip          never compress an answer (the servers gzip\n"
	      "                          when the client accepts it)\n"
	      "      --seed S           seed of the world's random numbers\n"
	      "      --speed F          run timed transitions F times faster (default 1)\n"
	      "      --set CLUSTER:KEY=VALUE[,KEY=VALUE]...\n"
	      "                          install of one cluster (consul_version, ...),\n"
	      "                          kube_user=PRESET for a restricted Kubernetes user\n"
	      "  -v, --verbose           print the event log to stderr\n"
	      "  -h, --help              show this help\n"
	      "  -V, --version           show the version\n",
	      f);
}

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "peerscope-sim: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'peerscope-sim --help'.\n");
	return -1;
}

static int parse_long(const char *opt, const char *v, long lo, long hi, long *out)
{
	char *end;

	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < lo || n > hi) {
		char range[64];
		snprintf(range, sizeof range, "%ld to %ld", lo, hi);
		return bad("%s: expected a number from %s", opt, range);
	}
	*out = n;
	return 0;
}

static int parse_scale(struct sim_options *o, const char *arg)
{
	char *copy = strdup(arg), *save = NULL;
	int rc = 0;

	if (!copy)
		return -1;
	for (char *kv = strtok_r(copy, ",", &save); kv && !rc; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		long n;
		if (!eq) {
			rc = bad("--scale: \"%s\" is not KEY=N%s", kv, "");
			break;
		}
		*eq = '\0';
		int *dst = !strcmp(kv, "services")    ? &o->scale_services
		           : !strcmp(kv, "peerings")  ? &o->scale_peerings
		           : !strcmp(kv, "instances") ? &o->scale_instances
		                                      : NULL;
		if (!dst) {
			rc = bad("--scale: unknown key \"%s\" (services, peerings, instances)%s",
			         kv, "");
			break;
		}
		rc = parse_long(dst == &o->scale_instances ? "--scale instances" : "--scale",
		                eq + 1, dst == &o->scale_instances ? 1 : 0, 100000, &n);
		if (!rc)
			*dst = (int)n;
	}
	free(copy);
	return rc;
}

static int path_opt(char *dst, size_t cap, const char *opt, const char *v)
{
	if (!*v || strlen(v) >= cap)
		return bad("%s: path is empty or too long: %s", opt, v);
	snprintf(dst, cap, "%s", v);
	return 0;
}

static int parse_args(struct cli *cli, int argc, char **argv)
{
	enum {
		O_KCFG = 256,
		O_CFG,
		O_READY,
		O_SCALE,
		O_ACL,
		O_TLS,
		O_ENT,
		O_NOGZ,
		O_SEED,
		O_SPEED,
		O_SET
	};
	static const struct option longopts[] = {
	        {"clusters", required_argument, NULL, 'n'},
	        {"listen", required_argument, NULL, 'l'},
	        {"port", required_argument, NULL, 'p'},
	        {"state-dir", required_argument, NULL, 'd'},
	        {"kubeconfig-out", required_argument, NULL, O_KCFG},
	        {"config-out", required_argument, NULL, O_CFG},
	        {"ready-file", required_argument, NULL, O_READY},
	        {"scale", required_argument, NULL, O_SCALE},
	        {"acl", no_argument, NULL, O_ACL},
	        {"tls", no_argument, NULL, O_TLS},
	        {"enterprise", no_argument, NULL, O_ENT},
	        {"no-gzip", no_argument, NULL, O_NOGZ},
	        {"seed", required_argument, NULL, O_SEED},
	        {"speed", required_argument, NULL, O_SPEED},
	        {"set", required_argument, NULL, O_SET},
	        {"verbose", no_argument, NULL, 'v'},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0},
	};
	struct sim_options *o = &cli->opt;
	long n;
	int ch;

	o->clusters = 2;
	snprintf(o->listen, sizeof o->listen, "127.0.0.1");
	o->speed = 1.0;
	o->scale_instances = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":n:l:p:d:vhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			if (parse_long("--clusters", optarg, 1, SIM_MAX_CLUSTERS, &n) < 0)
				return -1;
			o->clusters = (int)n;
			break;
		case 'l': {
			unsigned char a[16];
			if (inet_pton(AF_INET, optarg, a) != 1 &&
			    inet_pton(AF_INET6, optarg, a) != 1)
				return bad("--listen %s: not an IPv4 or IPv6 address", optarg);
			snprintf(o->listen, sizeof o->listen, "%s", optarg);
			break;
		}
		case 'p':
			if (parse_long("--port", optarg, 0, 65535 - 2 * SIM_MAX_CLUSTERS - 1, &n) <
			    0)
				return -1;
			o->port = (uint16_t)n;
			break;
		case 'd':
			if (path_opt(o->state_dir, sizeof o->state_dir, "--state-dir", optarg) < 0)
				return -1;
			break;
		case O_KCFG:
			if (path_opt(o->kubeconfig_out, sizeof o->kubeconfig_out,
			             "--kubeconfig-out", optarg) < 0)
				return -1;
			break;
		case O_CFG:
			if (path_opt(o->config_out, sizeof o->config_out, "--config-out", optarg) <
			    0)
				return -1;
			break;
		case O_READY:
			if (path_opt(o->ready_file, sizeof o->ready_file, "--ready-file", optarg) <
			    0)
				return -1;
			break;
		case O_SCALE:
			if (parse_scale(o, optarg) < 0)
				return -1;
			break;
		case O_ACL:
			o->acl = true;
			break;
		case O_ENT:
			o->enterprise = true;
			break;
		case O_TLS:
			o->tls = true;
			break;
		case O_NOGZ:
			o->no_gzip = true;
			break;
		case O_SEED: {
			char *end;
			errno = 0;
			unsigned long long s = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end || optarg[0] == '-')
				return bad("--seed: \"%s\" is not an unsigned number%s", optarg,
				           "");
			o->seed = s;
			break;
		}
		case O_SPEED: {
			char *end;
			double f = strtod(optarg, &end);
			if (end == optarg || *end || !(f >= 0.01 && f <= 10000))
				return bad("--speed: \"%s\" is not a factor from 0.01 to 10000%s",
				           optarg, "");
			o->speed = f;
			break;
		}
		case O_SET:
			if (cli->nsets == SET_MAX)
				return bad("--set: more than 64 given%s%s", "", "");
			cli->sets[cli->nsets++] = optarg;
			break;
		case 'v':
			cli->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("peerscope-sim %s\n", PACKAGE_VERSION);
			exit(0);
		case ':':
			return bad("option %s needs a value%s", argv[optind - 1], "");
		default:
			return bad("unknown option %s%s", argv[optind - 1], "");
		}
	}
	if (optind < argc)
		return bad("unexpected argument \"%s\"%s", argv[optind], "");
	return 0;
}

/* --set CLUSTER:kube_user=PRESET: the cluster's kubeconfig context uses a
 * restricted Kubernetes user with that role. */
static int set_kube_user(struct sim_cluster *c, const char *preset, char *err, size_t errlen)
{
	if (simk_rbac_preset(preset) < 0) {
		snprintf(err, errlen, "kube_user: \"%s\" is not one of %s", preset,
		         simk_rbac_preset_names());
		return -1;
	}
	snprintf(c->kube_user, sizeof c->kube_user, "%s", preset);
	return 0;
}

/* --set cluster-02:consul_version=1.13.9,peering_enabled=false */
static int apply_sets(struct cli *cli, struct sim_world *w)
{
	for (int i = 0; i < cli->nsets; i++) {
		const char *colon = strchr(cli->sets[i], ':');
		char name[32], err[256];
		if (!colon || colon - cli->sets[i] >= (long)sizeof name)
			return bad("--set %s: expected CLUSTER:KEY=VALUE%s", cli->sets[i], "");
		snprintf(name, sizeof name, "%.*s", (int)(colon - cli->sets[i]), cli->sets[i]);
		struct sim_cluster *c = sim_cluster_by_name(w, name);
		if (!c)
			return bad("--set: no cluster named \"%s\"%s", name, "");
		char *copy = strdup(colon + 1), *save = NULL;
		if (!copy)
			return -1;
		for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(kv, '=');
			if (eq)
				*eq = '\0';
			if (eq && !strcmp(kv, "kube_user")) {
				if (set_kube_user(c, eq + 1, err, sizeof err) < 0) {
					bad("--set %s: %s", cli->sets[i], err);
					free(copy);
					return -1;
				}
				continue;
			}
			if (!eq || sim_install_set(&c->install, kv, eq + 1, err, sizeof err) < 0) {
				bad("--set %s: %s", cli->sets[i], eq ? err : "expected KEY=VALUE");
				free(copy);
				return -1;
			}
		}
		free(copy);
	}
	return 0;
}

static int prepare_state_dir(struct cli *cli)
{
	struct sim_options *o = &cli->opt;

	if (!*o->state_dir) {
		const char *tmp = getenv("TMPDIR");
		snprintf(o->state_dir, sizeof o->state_dir, "%s/peerscope-sim.XXXXXX",
		         tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(o->state_dir)) {
			fprintf(stderr, "peerscope-sim: cannot create %s: %s\n", o->state_dir,
			        strerror(errno));
			return -1;
		}
		cli->temp_state_dir = true;
		return 0;
	}
	if (mkdir(o->state_dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "peerscope-sim: --state-dir %s: %s\n", o->state_dir,
		        strerror(errno));
		return -1;
	}
	return 0;
}

static void raise_fd_limit(void)
{
	struct rlimit rl;

	/* Thousands of long polls need thousands of descriptors. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int tls_hosts(const struct sim_world *w, char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "localhost,127.0.0.1,::1,%s", w->opt.listen);

	for (int i = 0; i < w->nclusters && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, ",server.%s.consul",
		                        w->clusters[i].install.datacenter);
	return off < len ? 0 : -1;
}

static int start_listeners(struct sim_world *w, struct sim_server *s, uint16_t *ctl_port)
{
	char err[256];

	for (int i = 0; i < w->nclusters; i++) {
		struct sim_cluster *c = &w->clusters[i];
		if (w->opt.port) {
			c->consul_port = (uint16_t)(w->opt.port + 2 * i);
			c->kube_port = (uint16_t)(w->opt.port + 2 * i + 1);
		}
		if (sim_server_start_cluster(s, c, err, sizeof err) < 0) {
			fprintf(stderr, "peerscope-sim: %s: %s\n", c->name, err);
			return -1;
		}
	}
	*ctl_port = w->opt.port ? (uint16_t)(w->opt.port + 2 * w->nclusters) : 0;
	return 0;
}

static int run(struct cli *cli, sigset_t *sigs)
{
	static struct sim_world world; /* large; lives for the whole run */
	struct sim_tls tls = {0};
	struct sim_server *srv = NULL;
	struct sim_app app;
	char err[1300], hosts[1024];
	uint16_t ctl_port = 0;
	bool controllers = false;
	int rc = 1;

	if (sim_world_init(&world, &cli->opt, err, sizeof err) < 0) {
		fprintf(stderr, "peerscope-sim: %s\n", err);
		return 1;
	}
	sim_events_echo(&world, cli->verbose);
	if (apply_sets(cli, &world) < 0) {
		rc = 2;
		goto out;
	}
	if (sim_world_populate(&world, err, sizeof err) < 0) {
		fprintf(stderr, "peerscope-sim: %s\n", err);
		goto out;
	}
	/* The Kubernetes listeners always serve HTTPS; with --tls, Consul's
	 * too. */
	if (tls_hosts(&world, hosts, sizeof hosts) < 0 ||
	    sim_tls_generate(&tls, hosts, err, sizeof err) < 0) {
		fprintf(stderr, "peerscope-sim: %s\n", err);
		goto out;
	}
	srv = sim_server_new(&world, &tls, simc_handle, simk_handle);
	app = (struct sim_app){&world, srv, &tls, 0};
	if (!srv || start_listeners(&world, srv, &ctl_port) < 0 ||
	    sim_server_start_control(srv, &ctl_port, sim_control_handle, &app, err, sizeof err) <
	            0) {
		if (srv)
			fprintf(stderr, "peerscope-sim: control API: %s\n", err);
		goto out;
	}
	if (sim_ticker_start(&world) < 0 || simk_controllers_start(&world) < 0) {
		fprintf(stderr, "peerscope-sim: cannot start its threads\n");
		goto out;
	}
	controllers = true;
	app.control_port = ctl_port;
	if (sim_write_state(&app) < 0 || sim_write_kubeconfig(&app) < 0 ||
	    sim_write_config(&app) < 0 || sim_write_ready(&app) < 0)
		goto out;
	sim_url_host(world.opt.listen, hosts, sizeof hosts);
	fprintf(stderr, "peerscope-sim: %d clusters ready; control API on http://%s:%u\n",
	        world.nclusters, hosts, (unsigned)ctl_port);
	int sig = 0;
	sigwait(sigs, &sig);
	if (cli->verbose)
		fprintf(stderr, "peerscope-sim: signal %d, stopping\n", sig);
	rc = 0;
out:
	if (controllers)
		simk_controllers_stop(&world);
	pthread_mutex_lock(&world.lock);
	world.stopping = true;
	sim_changed(&world);
	pthread_mutex_unlock(&world.lock);
	sim_server_free(srv);
	sim_ticker_stop(&world);
	sim_world_depopulate(&world);
	if (*cli->opt.ready_file && rc == 0)
		unlink(cli->opt.ready_file);
	if (cli->temp_state_dir)
		sim_remove_temp_state(&world);
	sim_world_free(&world);
	sim_tls_free(&tls);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli cli;
	sigset_t sigs;

	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return sim_ctl_main(argc - 1, argv + 1);
	memset(&cli, 0, sizeof cli);
	if (parse_args(&cli, argc, argv) < 0)
		return 2;
	raise_fd_limit();
	/* Signals go to the main thread's sigwait only; every other thread
	 * inherits this mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (prepare_state_dir(&cli) < 0)
		return 1;
	return run(&cli, &sigs);
}
