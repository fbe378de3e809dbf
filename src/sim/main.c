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
	      "      --seed S           seed of the world's random numbers\n"
	      "      --speed F          run timed transitions F times faster (default 1)\n"
	      "      --set CLUSTER:KEY=VALUE[,KEY=VALUE]...\n"
	      "                          install of one cluster (consul_version, ...)\n"
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
		case O_TLS:
			o->tls = true;
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

/* ----------------------------------------------------------- outputs */

/* A double-quoted YAML scalar. */
static void yq(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* A file being written: its text goes to a memory stream first. */
struct text_out {
	char host[80]; /* the listen address as it goes in a URL */
	char *buf;
	size_t len;
	FILE *f;
};

static FILE *text_open(const struct sim_world *w, struct text_out *t)
{
	sim_url_host(w->opt.listen, t->host, sizeof t->host);
	t->buf = NULL;
	t->f = open_memstream(&t->buf, &t->len);
	return t->f;
}

/* "KEY: VALUE" with VALUE quoted for YAML. */
static void yq_line(FILE *f, const char *key, const char *value)
{
	fprintf(f, "%s: ", key);
	yq(f, value);
	fputc('\n', f);
}

/* Closes T's memory stream (which sets its buffer) and writes its text. */
static int write_text(const char *path, struct text_out *t, int mode)
{
	char err[1200];
	int closed = fclose(t->f);
	char *buf = t->buf;

	if (closed != 0 || !buf) {
		free(buf);
		fprintf(stderr, "peerscope-sim: %s: out of memory\n", path);
		return -1;
	}
	int rc = sim_write_file(path, buf, mode, err, sizeof err);
	free(buf);
	if (rc < 0)
		fprintf(stderr, "peerscope-sim: cannot write %s\n", err);
	return rc;
}

static int write_kubeconfig(const struct sim_world *w, const struct sim_server *s,
                            const struct sim_tls *tls)
{
	const char *path = w->opt.kubeconfig_out;
	struct text_out t;
	char *ca = NULL;
	FILE *f;

	if (!*path)
		return 0;
	if (tls->ca_pem && !(ca = sim_b64_encode(tls->ca_pem, strlen(tls->ca_pem))))
		return -1;
	if (!(f = text_open(w, &t))) {
		free(ca);
		return -1;
	}
	fprintf(f, "apiVersion: v1\nkind: Config\npreferences: {}\nclusters:\n");
	for (int i = 0; i < w->nclusters; i++) {
		const struct sim_cluster *c = &w->clusters[i];
		fprintf(f, "- name: %s\n  cluster:\n    server: %s://%s:%u\n", c->name,
		        sim_server_scheme(s), t.host, (unsigned)c->kube_port);
		if (ca)
			fprintf(f, "    certificate-authority-data: %s\n", ca);
	}
	fprintf(f, "contexts:\n");
	for (int i = 0; i < w->nclusters; i++)
		fprintf(f, "- name: %s\n  context:\n    cluster: %s\n    user: %s-admin\n",
		        w->clusters[i].name, w->clusters[i].name, w->clusters[i].name);
	fprintf(f, "current-context: %s\nusers:\n", w->clusters[0].name);
	for (int i = 0; i < w->nclusters; i++)
		fprintf(f, "- name: %s-admin\n  user:\n    token: %s\n", w->clusters[i].name,
		        w->clusters[i].kube_token);
	free(ca);
	return write_text(path, &t, 0600);
}

static int write_config(const struct sim_world *w, const struct sim_server *s)
{
	const char *path = w->opt.config_out, *dir = w->opt.state_dir;
	struct text_out t;
	FILE *f;

	if (!*path)
		return 0;
	if (!(f = text_open(w, &t)))
		return -1;
	fprintf(f, "# peerscope configuration for the clusters of peerscope-sim\n"
	           "theme: default\nrefresh: 5s\n");
	if (*w->opt.kubeconfig_out)
		yq_line(f, "kubeconfig", w->opt.kubeconfig_out);
	fprintf(f, "clusters:\n");
	for (int i = 0; i < w->nclusters; i++) {
		const struct sim_cluster *c = &w->clusters[i];
		fprintf(f,
		        "  - name: %s\n    context: %s\n    namespace: consul\n    consul:\n"
		        "      address: %s://%s:%u\n",
		        c->name, c->name, sim_server_scheme(s), t.host, (unsigned)c->consul_port);
		if (w->opt.acl) {
			char p[1200];
			snprintf(p, sizeof p, "%s/%s-dashboard.token", dir, c->name);
			yq_line(f, "      token_file", p);
		}
		if (w->opt.tls) {
			char p[1200];
			snprintf(p, sizeof p, "%s/ca.pem", dir);
			yq_line(f, "      ca_file", p);
		}
		fprintf(f, "    readonly: false\n");
	}
	return write_text(path, &t, 0644);
}

static int write_state(const struct sim_world *w, const struct sim_tls *tls, uint16_t ctl_port)
{
	char host[80];
	static const char *roles[] = {"management", "dashboard-readonly", "dashboard", "gateway",
	                              "gateway-no-mesh-write"};
	const char *dir = w->opt.state_dir;
	char path[1200], err[1300], text[256];

	sim_url_host(w->opt.listen, host, sizeof host);
	for (int i = 0; i < w->nclusters; i++) {
		const struct sim_cluster *c = &w->clusters[i];
		for (size_t r = 0; w->opt.acl && r < sizeof roles / sizeof roles[0]; r++) {
			const char *secret = simc_token(c, roles[r]);
			snprintf(path, sizeof path, "%s/%s-%s.token", dir, c->name, roles[r]);
			snprintf(text, sizeof text, "%s\n", secret ? secret : "");
			if (sim_write_file(path, text, 0600, err, sizeof err) < 0)
				goto fail;
		}
		char *values = sim_values_yaml(c);
		snprintf(path, sizeof path, "%s/%s-values.yaml", dir, c->name);
		int rc = values ? sim_write_file(path, values, 0644, err, sizeof err) : -1;
		free(values);
		if (rc < 0)
			goto fail;
	}
	if (tls->ca_pem) {
		snprintf(path, sizeof path, "%s/ca.pem", dir);
		if (sim_write_file(path, tls->ca_pem, 0644, err, sizeof err) < 0)
			goto fail;
	}
	snprintf(path, sizeof path, "%s/control.url", dir);
	snprintf(text, sizeof text, "http://%s:%u\n", host, (unsigned)ctl_port);
	if (sim_write_file(path, text, 0644, err, sizeof err) < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "peerscope-sim: cannot write %s\n", err);
	return -1;
}

static int write_ready(const struct sim_world *w, const struct sim_server *s, uint16_t ctl_port)
{
	const char *path = w->opt.ready_file;
	struct text_out t;
	FILE *f;

	if (!*path)
		return 0;
	if (!(f = text_open(w, &t)))
		return -1;
	fprintf(f, "control=http://%s:%u\nstate_dir=%s\n", t.host, (unsigned)ctl_port,
	        w->opt.state_dir);
	for (int i = 0; i < w->nclusters; i++) {
		const struct sim_cluster *c = &w->clusters[i];
		fprintf(f, "%s.consul=%s://%s:%u\n%s.kube=%s://%s:%u\n", c->name,
		        sim_server_scheme(s), t.host, (unsigned)c->consul_port, c->name,
		        sim_server_scheme(s), t.host, (unsigned)c->kube_port);
	}
	return write_text(path, &t, 0644);
}

/* Removes what this run wrote to a temporary state directory. */
static void remove_temp_state(const struct sim_world *w)
{
	static const char *roles[] = {"management", "dashboard-readonly",    "dashboard",
	                              "gateway",    "gateway-no-mesh-write", "values"};
	char path[1200];

	for (int i = 0; i < w->nclusters; i++) {
		for (size_t r = 0; r < sizeof roles / sizeof roles[0]; r++) {
			snprintf(path, sizeof path, "%s/%s-%s.%s", w->opt.state_dir,
			         w->clusters[i].name, roles[r], r == 5 ? "yaml" : "token");
			unlink(path);
		}
	}
	snprintf(path, sizeof path, "%s/ca.pem", w->opt.state_dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/control.url", w->opt.state_dir);
	unlink(path);
	rmdir(w->opt.state_dir);
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
	if (cli->opt.tls && (tls_hosts(&world, hosts, sizeof hosts) < 0 ||
	                     sim_tls_generate(&tls, hosts, err, sizeof err) < 0)) {
		fprintf(stderr, "peerscope-sim: %s\n", err);
		goto out;
	}
	srv = sim_server_new(&world, &tls, simc_handle, simk_handle);
	app = (struct sim_app){&world, srv};
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
	pthread_mutex_lock(&world.lock);
	int wrc = write_state(&world, &tls, ctl_port);
	pthread_mutex_unlock(&world.lock);
	if (wrc < 0 || write_kubeconfig(&world, srv, &tls) < 0 || write_config(&world, srv) < 0 ||
	    write_ready(&world, srv, ctl_port) < 0)
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
		remove_temp_state(&world);
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
