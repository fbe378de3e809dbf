/* peerscope-sim: the files it writes for its clients — the kubeconfig, the
 * peerscope configuration, the state directory (tokens, Helm values, CA,
 * control URL) and the ready file — and their removal. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "consul/simc.h"
#include "core.h"
#include "kube/simk.h"

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

/* The users and contexts of the kubeconfig: context <cluster> uses the
 * cluster's restricted user when it has one, else its admin; a cluster with
 * a restricted user also has the context <cluster>-admin. Lock held. */
static void kubeconfig_users(const struct sim_world *w, FILE *f)
{
	char entry[128];

	fprintf(f, "contexts:\n");
	for (int i = 0; i < w->nclusters; i++) {
		const struct sim_cluster *c = &w->clusters[i];
		int n = simk_rbac_users(c);
		simk_rbac_kubeconfig_entry(c, n - 1, entry, sizeof entry);
		fprintf(f, "- name: %s\n  context:\n    cluster: %s\n    user: %s\n", c->name,
		        c->name, entry);
		if (n < 2)
			continue;
		simk_rbac_kubeconfig_entry(c, 0, entry, sizeof entry);
		fprintf(f, "- name: %s-admin\n  context:\n    cluster: %s\n    user: %s\n", c->name,
		        c->name, entry);
	}
	fprintf(f, "current-context: %s\nusers:\n", w->clusters[0].name);
	for (int i = 0; i < w->nclusters; i++) {
		const struct sim_cluster *c = &w->clusters[i];
		for (int u = 0; u < simk_rbac_users(c); u++) {
			simk_rbac_kubeconfig_entry(c, u, entry, sizeof entry);
			fprintf(f, "- name: %s\n  user:\n    token: %s\n", entry,
			        simk_rbac_token(c, u));
		}
	}
}

int sim_write_kubeconfig(const struct sim_app *app)
{
	struct sim_world *w = app->world;
	const char *path = w->opt.kubeconfig_out;
	struct text_out t;
	char *ca;
	FILE *f;

	if (!*path)
		return 0;
	if (!app->tls->ca_pem || !(ca = sim_b64_encode(app->tls->ca_pem, strlen(app->tls->ca_pem))))
		return -1;
	if (!(f = text_open(w, &t))) {
		free(ca);
		return -1;
	}
	/* The API servers serve HTTPS with the simulator's CA, as a real one
	 * does, so kubectl sends them the bearer tokens. */
	fprintf(f, "apiVersion: v1\nkind: Config\npreferences: {}\nclusters:\n");
	for (int i = 0; i < w->nclusters; i++)
		fprintf(f,
		        "- name: %s\n  cluster:\n    server: %s://%s:%u\n"
		        "    certificate-authority-data: %s\n",
		        w->clusters[i].name, sim_server_scheme(app->server, SIM_LISTEN_KUBE),
		        t.host, (unsigned)w->clusters[i].kube_port, ca);
	free(ca);
	pthread_mutex_lock(&w->lock);
	kubeconfig_users(w, f);
	pthread_mutex_unlock(&w->lock);
	return write_text(path, &t, 0600);
}

int sim_write_config(const struct sim_app *app)
{
	const struct sim_world *w = app->world;
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
		        c->name, c->name, sim_server_scheme(app->server, SIM_LISTEN_CONSUL), t.host,
		        (unsigned)c->consul_port);
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

int sim_write_state(const struct sim_app *app)
{
	struct sim_world *w = app->world;
	const struct sim_tls *tls = app->tls;
	uint16_t ctl_port = app->control_port;
	char host[80];
	static const char *roles[] = {"management", "dashboard-readonly", "dashboard", "gateway",
	                              "gateway-no-mesh-write"};
	const char *dir = w->opt.state_dir;
	char path[1200], err[1300], text[256];

	sim_url_host(w->opt.listen, host, sizeof host);
	pthread_mutex_lock(&w->lock);
	for (int i = 0; i < w->nclusters; i++) {
		const struct sim_cluster *c = &w->clusters[i];
		for (size_t r = 0; w->opt.acl && r < sizeof roles / sizeof roles[0]; r++) {
			const char *secret = simc_token(c, roles[r]);
			snprintf(path, sizeof path, "%s/%s-%s.token", dir, c->name, roles[r]);
			snprintf(text, sizeof text, "%s\n", secret ? secret : "");
			if (sim_write_file(path, text, 0600, err, sizeof err) < 0)
				goto fail_locked;
		}
		char *values = sim_values_yaml(c);
		snprintf(path, sizeof path, "%s/%s-values.yaml", dir, c->name);
		int rc = values ? sim_write_file(path, values, 0644, err, sizeof err) : -1;
		free(values);
		if (rc < 0)
			goto fail_locked;
	}
	pthread_mutex_unlock(&w->lock);
	/* The CA of the Kubernetes listeners, and with --tls of Consul's. */
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
fail_locked:
	pthread_mutex_unlock(&w->lock);
fail:
	fprintf(stderr, "peerscope-sim: cannot write %s\n", err);
	return -1;
}

int sim_write_ready(const struct sim_app *app)
{
	const struct sim_world *w = app->world;
	uint16_t ctl_port = app->control_port;
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
		        sim_server_scheme(app->server, SIM_LISTEN_CONSUL), t.host,
		        (unsigned)c->consul_port, c->name,
		        sim_server_scheme(app->server, SIM_LISTEN_KUBE), t.host,
		        (unsigned)c->kube_port);
	}
	return write_text(path, &t, 0644);
}

/* Removes what this run wrote to a temporary state directory. */
void sim_remove_temp_state(const struct sim_world *w)
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