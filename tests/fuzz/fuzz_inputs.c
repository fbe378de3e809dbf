/* Fuzz targets for the parsers of outside input that fuzz_consul.c and
 * fuzz_kube.c do not cover: the config file, kubeconfigs, an exec plugin's
 * ExecCredential, themes, durations, response headers, the text rules
 * (redaction, terminal safety, JSON made valid), the report writers on
 * decoded cluster data, the watch stream, and Helm values files.
 *
 * Built with FUZZ_ONE=N (make fuzz-NAME), the target is parser N alone and
 * the first byte of an input is its own choice (a chunk size, a split).
 * Built without it (the replay program of `make check`), the first byte's
 * high bits pick the parser too, so that one program replays the seeds of
 * every parser. Files are handed to the parsers that read files through a
 * memfd: no path outside the process is read or written, and nothing is
 * ever run (kubeconfig contexts with an exec plugin are not resolved). */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

#include "../../src/kubeconfig_internal.h"
#include "peerscope/config.h"
#include "peerscope/consul.h"
#include "peerscope/http.h"
#include "peerscope/join.h"
#include "peerscope/kube.h"
#include "peerscope/kubeconfig.h"
#include "peerscope/preflight.h"
#include "peerscope/redact.h"
#include "peerscope/report.h"
#include "peerscope/store.h"
#include "peerscope/term.h"
#include "peerscope/theme.h"

enum parser {
	P_CONFIG,
	P_KUBECONFIG,
	P_EXEC,
	P_THEME,
	P_DURATION,
	P_HEADERS,
	P_TEXT,
	P_REPORT,
	P_WATCH,
	P_VALUES,
	P_COUNT
};

#ifdef FUZZ_ONE
const char fuzz_name[] = "fuzz_inputs";
const unsigned fuzz_picks = 256;
#else
const char fuzz_name[] = "fuzz_inputs_replay";
const unsigned fuzz_picks = P_COUNT * 4;
#endif

/* A NUL-terminated copy of TEXT. */
static char *text_of(const char *text, size_t len)
{
	char *s = malloc(len + 1);

	if (s) {
		memcpy(s, text, len);
		s[len] = '\0';
	}
	return s;
}

/* TEXT as a file: a memfd, named by /proc/self/fd/N in PATH. -1 on failure. */
static int as_file(const char *text, size_t len, char *path, size_t pathlen)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (len && write(fd, text, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	return fd;
}

static void config_file(const char *text, size_t len)
{
	char path[64], a0[] = "peerscope", a1[] = "--config", a3[] = "--timeout", a4[] = "10ms";
	struct config_diags d = {0};
	struct config_args args;
	struct config *cfg = NULL;
	char *envp[] = {(char *)"HOME=/nonexistent", NULL};
	int fd = as_file(text, len, path, sizeof path);

	if (fd < 0)
		return;
	char *argv[] = {a0, a1, path, a3, a4, NULL};
	if (config_parse_args(5, argv, &args, &d) == 0 && config_load(&args, envp, &cfg, &d) == 0) {
		FILE *null = fopen("/dev/null", "w");
		if (null) {
			config_print(cfg, null);
			config_diags_print(&d, null);
			fclose(null);
		}
	}
	config_free(cfg);
	config_args_free(&args);
	config_diags_free(&d);
	close(fd);
}

static void kubeconfig(const char *text, size_t len)
{
	char path[64], err[512], about[1024];
	int fd = as_file(text, len, path, sizeof path);
	struct kubeconfig *kc;

	if (fd < 0)
		return;
	kc = kubeconfig_load_within(path, true, 10, err, sizeof err);
	for (size_t i = 0; kc && i < kubeconfig_context_count(kc); i++) {
		const char *name = kubeconfig_context_name(kc, i);
		struct kubeconfig_endpoint ep;
		struct http_options o = {0};
		kubeconfig_describe(kc, name, about, sizeof about);
		kubeconfig_context_where(kc, name);
		/* Nothing is ever run: contexts with a plugin are left alone. */
		if (kubeconfig_exec_command(kc, name))
			continue;
		if (kubeconfig_resolve(kc, name, 0, &ep, err, sizeof err) == 0) {
			kubeconfig_http_options(&ep, &o);
			kubeconfig_endpoint_clear(&ep);
		}
	}
	kubeconfig_free(kc);
	close(fd);
}

static void exec_credential(const char *text, size_t len)
{
	char *out = text_of(text, len), err[512];
	struct kc_creds cr = {0};

	if (!out)
		return;
	if (kubeconfig_exec_decode("plugin", "client.authentication.k8s.io/v1", out, &cr, err,
	                           sizeof err) == 0)
		kubeconfig_exec_creds_clear(&cr);
	kubeconfig_exec_decode("plugin", "client.authentication.k8s.io/v1beta1", out, &cr, err,
	                       sizeof err);
	kubeconfig_exec_creds_clear(&cr);
	free(out);
}

static void theme(const char *text, size_t len)
{
	char path[64];
	struct theme t;
	struct theme_diags d = {0};
	int fd = as_file(text, len, path, sizeof path);

	if (fd < 0)
		return;
	theme_load_file(path, &t, &d);
	theme_diags_free(&d);
	close(fd);
}

static void duration(const char *text, size_t len)
{
	char *s = text_of(text, len), out[64];
	long ms;

	if (s && config_parse_duration(s, &ms))
		config_format_duration(ms, out, sizeof out);
	free(s);
}

/* "Name: value" lines as the headers of a response. */
static void headers(const char *text, size_t len)
{
	char *s = text_of(text, len), *save = NULL;
	char *names[64], *values[64];
	struct http_response r = {.status = 200, .header_names = names, .header_values = values};
	struct consul_meta meta;

	if (!s)
		return;
	for (char *line = strtok_r(s, "\r\n", &save); line && r.nheaders < 64;
	     line = strtok_r(NULL, "\r\n", &save)) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		names[r.nheaders] = line;
		values[r.nheaders++] = colon + 1 + strspn(colon + 1, " \t");
	}
	consul_meta_from_response(&r, &meta);
	http_response_header(&r, "Content-Type");
	http_response_header(&r, "Location");
	free(s);
}

static void text_rules(unsigned pick, const char *text, size_t len)
{
	char *s = text_of(text, len), out[256];
	FILE *null = fopen("/dev/null", "w");

	if (!s || !null)
		goto out;
	redact_url(s, out, sizeof out);
	redact_param_is_secret(s, len);
	size_t k = len < 8 ? len : 8;
	char secret[9];
	memcpy(secret, s, k);
	secret[k] = '\0';
	free(redact_secret_dup(s, secret));
	term_sanitize(s, out, (size_t)pick % sizeof out + 1, pick & 1 ? TERM_KEEP_NEWLINE : 0);
	free(term_sanitize_dup(s, TERM_KEEP_TAB));
	term_width(s);
	term_is_safe(s, 0);
	free(term_json(s));
	term_fprintf(null, "%-12.5s|%*s|%c\n", s, (int)(pick % 40), s, s[0]);
	term_snprintf(out, (size_t)pick % sizeof out + 1, "%s %s", s, s);
out:
	if (null)
		fclose(null);
	free(s);
}

/* Two clusters from the input: its first half as peerings and names, its
 * second as mesh gateways; joined and written as JSON and as a table. */
static void report(const char *text, size_t len)
{
	char err[256];
	size_t half = len / 2;
	struct store_snapshot *s[2] = {0};
	char *name = text_of(text, len < 24 ? len : 24);

	if (!name)
		return;
	for (int i = 0; i < 2; i++) {
		s[i] = store_snapshot_new((size_t)i, i ? "b" : name, name, i ? "" : name);
		if (!s[i])
			goto out;
	}
	struct model_peering_list *pl = calloc(1, sizeof *pl);
	if (pl && consul_decode_peerings(text, half, pl, err, sizeof err) == 0) {
		struct store_part *p = store_part_peerings(pl);
		if (p) {
			s[0]->peerings = store_hold(s[0], STORE_SRC_PEERINGS, p);
			s[1]->peerings = store_hold(s[1], STORE_SRC_PEERINGS, p);
			store_part_unref(p);
		}
	} else {
		free(pl);
	}
	struct model_instance_list *gl = calloc(1, sizeof *gl);
	if (gl && consul_decode_health_service(text + half, len - half, gl, err, sizeof err) == 0) {
		struct store_part *p = store_part_instances(gl);
		if (p) {
			s[0]->gateways = store_hold(s[0], STORE_SRC_GATEWAYS, p);
			store_part_unref(p);
		}
	} else {
		free(gl);
	}
	const struct store_snapshot *cs[2] = {s[0], s[1]};
	struct join_view v;
	if (join_build(cs, 2, 0, NULL, &v) == 0) {
		free(report_json(cs, 2, &v, 0, true));
		FILE *null = fopen("/dev/null", "w");
		if (null) {
			report_table(null, cs, 2, &v, 0);
			fclose(null);
		}
		join_view_free(&v);
	}
out:
	store_snapshot_unref(s[0]);
	store_snapshot_unref(s[1]);
	free(name);
}

static int drop(struct kube_event *ev, void *ctx)
{
	(void)ev;
	(void)ctx;
	return 0;
}

static void watch(unsigned pick, const char *text, size_t len)
{
	char err[256];
	enum kube_kind kind = (enum kube_kind)(pick % KUBE_KIND_COUNT);
	size_t chunk = pick % 37 + 1;
	struct kube_watch_parser *p = kube_watch_parser_new(kind, 4096);

	if (!p)
		return;
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		if (kube_watch_parser_feed(p, text + off, n, drop, NULL, err, sizeof err))
			break;
	}
	kube_watch_parser_finish(p, drop, NULL, err, sizeof err);
	kube_watch_parser_resource_version(p);
	kube_watch_parser_free(p);
}

static void values(const char *text, size_t len)
{
	char path[64];
	struct preflight_report r = {0};
	struct preflight_values_error e;
	int fd = as_file(text, len, path, sizeof path);

	if (fd < 0)
		return;
	const char *files[] = {path};
	if (preflight_values_lint(files, 1, &r, &e) == 0) {
		free(preflight_json(&r, "values", files, 1, false));
		FILE *null = fopen("/dev/null", "w");
		if (null) {
			preflight_print_table(null, &r);
			fclose(null);
		}
	}
	preflight_report_free(&r);
	close(fd);
}

static void run(enum parser which, unsigned pick, const char *text, size_t len)
{
	switch (which) {
	case P_CONFIG:
		config_file(text, len);
		break;
	case P_KUBECONFIG:
		kubeconfig(text, len);
		break;
	case P_EXEC:
		exec_credential(text, len);
		break;
	case P_THEME:
		theme(text, len);
		break;
	case P_DURATION:
		duration(text, len);
		break;
	case P_HEADERS:
		headers(text, len);
		break;
	case P_TEXT:
		text_rules(pick, text, len);
		break;
	case P_REPORT:
		report(text, len);
		break;
	case P_WATCH:
		watch(pick, text, len);
		break;
	default:
		values(text, len);
		break;
	}
}

void fuzz_decode(unsigned pick, const char *text, size_t len)
{
#ifdef FUZZ_ONE
	run((enum parser)FUZZ_ONE, pick, text, len);
#else
	run((enum parser)(pick % P_COUNT), pick / P_COUNT, text, len);
#endif
}
