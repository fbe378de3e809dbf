/* config: durations, the command line, the load order, validation and the
 * printed configuration. */
#include "unit.h"

#include "peerscope/config.h"
#include "peerscope/http.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------ helpers */

struct loaded {
	struct config_args args;
	struct config_diags diags;
	struct config *cfg;
	int rc;
	char env[16][8500];
	char *envp[17];
	size_t nenv;
};

/* argv entries: the parser never writes to them. */
#define A(s) ((char *)(s))

static void env_add(struct loaded *l, const char *name, const char *value)
{
	snprintf(l->env[l->nenv], sizeof l->env[0], "%s=%s", name, value);
	l->envp[l->nenv] = l->env[l->nenv];
	l->nenv++;
	l->envp[l->nenv] = NULL;
}

/* HOME and XDG_CONFIG_HOME point to an empty folder, so nothing but the
 * fixtures named by the test is read. */
static void loaded_init(struct loaded *l)
{
	memset(l, 0, sizeof *l);
	env_add(l, "HOME", "/nonexistent/home");
	env_add(l, "XDG_CONFIG_HOME", "/nonexistent/xdg");
	env_add(l, "XDG_CONFIG_DIRS", "/nonexistent/xdg-dirs");
}

static int load_argv(struct loaded *l, int argc, char **argv)
{
	ck_assert_int_eq(config_parse_args(argc, argv, &l->args, &l->diags), 0);
	l->rc = config_load(&l->args, l->envp, &l->cfg, &l->diags);
	return l->rc;
}

static int load_file(struct loaded *l, const char *fixture)
{
	static char path[4096];
	char *argv[] = {A("peerscope"), A("--config"), path, NULL};

	snprintf(path, sizeof path, "%s", unit_fixture(fixture));
	return load_argv(l, 3, argv);
}

static void loaded_free(struct loaded *l)
{
	config_free(l->cfg);
	config_diags_free(&l->diags);
	config_args_free(&l->args);
}

/* The diagnostics as text, as printed. */
static char *diag_text(const struct config_diags *d)
{
	static char buf[16384];
	FILE *f = fmemopen(buf, sizeof buf, "w");

	ck_assert_ptr_nonnull(f);
	config_diags_print(d, f);
	fclose(f);
	return buf;
}

static char *print_text(const struct config *cfg)
{
	static char buf[16384];
	FILE *f = fmemopen(buf, sizeof buf, "w");

	ck_assert_ptr_nonnull(f);
	config_print(cfg, f);
	fclose(f);
	return buf;
}

/* ------------------------------------------------------------ durations */

START_TEST(durations)
{
	static const struct {
		const char *text;
		long ms;
	} good[] = {{"5s", 5000},   {"500ms", 500},   {"1m", 60000},  {"1h30m", 5400000},
	            {"1.5s", 1500}, {"1m30s", 90000}, {"0.25s", 250}, {"2h", 7200000}};
	static const char *const bad[] = {"", "5", "s", "5x", "-5s", "5 s", "1m3", "five", ".s"};
	char buf[32];
	long ms;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		ck_assert_msg(config_parse_duration(good[i].text, &ms), "%s", good[i].text);
		ck_assert_int_eq(ms, good[i].ms);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(!config_parse_duration(bad[i], &ms), "'%s' accepted", bad[i]);
	ck_assert_str_eq(config_format_duration(5000, buf, sizeof buf), "5s");
	ck_assert_str_eq(config_format_duration(90000, buf, sizeof buf), "1m30s");
	ck_assert_str_eq(config_format_duration(3600000, buf, sizeof buf), "1h");
	ck_assert_str_eq(config_format_duration(250, buf, sizeof buf), "250ms");
}
END_TEST

/* ------------------------------------------------------------ command line */

START_TEST(args_forms)
{
	char *argv[] = {A("peerscope"), A("config"),      A("--theme=dark"), A("check"),
	                A("--context"), A("a,b"),         A("--readonly"),   A("-h"),
	                A("--"),        A("--not-a-flag")};
	struct config_args args;
	struct config_diags d = {0};

	ck_assert_int_eq(config_parse_args(10, argv, &args, &d), 0);
	ck_assert_str_eq(args.value[CONFIG_KEY_THEME], "dark");
	ck_assert_str_eq(args.value[CONFIG_KEY_CONTEXT], "a,b");
	ck_assert_str_eq(args.value[CONFIG_KEY_READONLY], "");
	ck_assert_ptr_nonnull(args.value[CONFIG_KEY_HELP]);
	ck_assert_uint_eq(args.nwords, 3);
	ck_assert_str_eq(args.words[0], "config");
	ck_assert_str_eq(args.words[1], "check");
	ck_assert_str_eq(args.words[2], "--not-a-flag");
	config_args_free(&args);
	config_diags_free(&d);
}
END_TEST

START_TEST(args_errors)
{
	char *argv[] = {A("peerscope"), A("--readonyl"), A("--readonly=yes"), A("-x"),
	                A("--theme")};
	struct config_args args;
	struct config_diags d = {0};

	ck_assert_int_eq(config_parse_args(5, argv, &args, &d), -1);
	ck_assert_uint_eq(d.errors, 4);
	const char *text = diag_text(&d);
	ck_assert_msg(strstr(text, "unknown option '--readonyl' (did you mean '--readonly'?)"),
	              "%s", text);
	ck_assert_msg(strstr(text, "option '--readonly' takes no value"), "%s", text);
	ck_assert_msg(strstr(text, "unknown option '-x'"), "%s", text);
	ck_assert_msg(strstr(text, "option '--theme' needs a value (NAME)"), "%s", text);
	config_args_free(&args);
	config_diags_free(&d);
}
END_TEST

/* Every flag is in the main --help, the operations' one (peerscope peer
 * --help) or the demo's (peerscope --demo --help), with its help text; a
 * flag named inside another's help has its name there. */
START_TEST(usage_lists_every_flag)
{
	char main[8192], ops[8192], demo[8192];
	size_t n;
	FILE *f = fmemopen(main, sizeof main, "w");
	const struct config_option *opts = config_options(&n);

	config_usage(f);
	fclose(f);
	f = fmemopen(ops, sizeof ops, "w");
	config_usage_ops(f);
	fclose(f);
	f = fmemopen(demo, sizeof demo, "w");
	config_usage_demo(f);
	fclose(f);
	for (size_t i = 0; i < n; i++) {
		char flag[64];
		const char *in = opts[i].help_in == CONFIG_HELP_OPS    ? ops
		                 : opts[i].help_in == CONFIG_HELP_DEMO ? demo
		                                                       : main;
		if (!opts[i].flag)
			continue;
		snprintf(flag, sizeof flag, "--%s", opts[i].flag);
		if (opts[i].help_in == CONFIG_HELP_INLINE)
			snprintf(flag, sizeof flag, "--%s ", opts[i].flag);
		ck_assert_msg(strstr(in, flag), "%s missing from its --help", flag);
		if (opts[i].help_in != CONFIG_HELP_INLINE)
			ck_assert_msg(strstr(in, opts[i].help), "help of %s missing", flag);
	}
	ck_assert_ptr_null(strstr(main, "--dry-run"));
	ck_assert_ptr_null(strstr(main, "--tour-auto"));
	ck_assert_ptr_nonnull(strstr(main, "--demo --help"));
	ck_assert_ptr_nonnull(strstr(ops, "peerscope [OPTION]... unpeer A B"));
}
END_TEST

/* ------------------------------------------------------------ loading */

START_TEST(three_mistakes)
{
	struct loaded l;

	loaded_init(&l);
	ck_assert_int_eq(load_file(&l, "config/three-mistakes.yaml"), -1);
	ck_assert_ptr_null(l.cfg);
	ck_assert_uint_eq(l.diags.errors, 3);
	const char *text = diag_text(&l.diags);
	ck_assert_msg(strstr(text, "three-mistakes.yaml:6:5: error: unknown key 'namepsace' in "
	                           "clusters[0] (did you mean 'namespace'?)"),
	              "%s", text);
	ck_assert_msg(strstr(text, "three-mistakes.yaml:9:15: error: 'clusters[0].readonly': "
	                           "expected true or false, found 'maybe'"),
	              "%s", text);
	ck_assert_msg(strstr(text, "three-mistakes.yaml:10:5: error: 'clusters[1]' has no 'name'"),
	              "%s", text);
	loaded_free(&l);
}
END_TEST

START_TEST(full_file)
{
	struct loaded l;

	loaded_init(&l);
	ck_assert_int_eq(load_file(&l, "config/full.yaml"), 0);
	struct config *cfg = l.cfg;
	ck_assert_str_eq(cfg->theme, "solarized");
	ck_assert_int_eq(cfg->refresh_ms, 90000);
	ck_assert_int_eq(cfg->highlight_ms, 3000); /* not in the file: the default */
	ck_assert_int_eq(cfg->origin[CONFIG_KEY_HIGHLIGHT].source, CONFIG_SRC_DEFAULT);
	ck_assert(cfg->ascii);
	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_DEBUG);
	ck_assert_uint_eq(cfg->nclusters, 3);
	ck_assert_ptr_nonnull(cfg->kube);
	const struct config_cluster *c = &cfg->clusters[0];
	ck_assert_str_eq(c->name, "cluster-01");
	ck_assert_str_eq(c->context, "token-ctx");
	ck_assert_str_eq(c->consul.address, "https://127.0.0.1:8501");
	ck_assert_msg(strstr(c->consul.token_file, "/config/consul.token"), "%s",
	              c->consul.token_file);
	ck_assert_str_eq(c->consul.tls_server_name, "server.dc1.consul");
	ck_assert_int_eq(c->origin[CONFIG_CK_NAME].source, CONFIG_SRC_FILE);
	ck_assert_uint_eq(c->origin[CONFIG_CK_NAME].line, 9);
	ck_assert_int_eq(c->origin[CONFIG_CK_NAMESPACE].source, CONFIG_SRC_FILE);
	ck_assert(!config_cluster_readonly(cfg, c));
	ck_assert(config_cluster_readonly(cfg, &cfg->clusters[1]));
	ck_assert_str_eq(cfg->clusters[1].namespace, "consul-system");
	ck_assert_ptr_null(cfg->clusters[1].consul.address);
	c = &cfg->clusters[2];
	ck_assert_str_eq(c->consul.address, "http://127.0.0.1:8500");
	ck_assert_str_eq(c->consul.token, "file-secret-d41c");
	ck_assert(c->consul.insecure_skip_verify);
	ck_assert_int_eq(l.diags.errors, 0);
	ck_assert_uint_eq(l.diags.n, 2); /* the token in the file, insecure */

	const char *out = print_text(cfg);
	ck_assert_msg(!strstr(out, "file-secret-d41c"), "%s", out);
	ck_assert_msg(strstr(out, "token: \"********\""), "%s", out);
	ck_assert_msg(strstr(out, "# file:26:14"), "%s", out);
	ck_assert_msg(strstr(out, "theme: solarized"), "%s", out);
	ck_assert_msg(strstr(out, "keys:\n  quit: x F10"), "%s", out);
	ck_assert_msg(strstr(out, "# file:29:9"), "%s", out);
	loaded_free(&l);
}
END_TEST

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* Loads TEXT as a config file; returns the diagnostics' text. */
static const char *load_text(struct loaded *l, const char *text)
{
	static char path[64];
	char *argv[] = {A("peerscope"), A("--config"), path, NULL};

	snprintf(path, sizeof path, "/tmp/config-test-%ld.yaml", (long)getpid());
	write_file(path, text);
	load_argv(l, 3, argv);
	unlink(path);
	return diag_text(&l->diags);
}

/* Loads LINE (a global setting, or "" for none) above a file of one
 * cluster into L, fresh; returns the diagnostics. */
static const char *load_setting(struct loaded *l, const char *line)
{
	char text[256];

	loaded_init(l);
	snprintf(text, sizeof text,
	         "%s%sclusters:\n"
	         "  - name: a\n"
	         "    consul:\n"
	         "      address: http://127.0.0.1:1\n",
	         line, *line ? "\n" : "");
	return load_text(l, text);
}

/* How long a changed row stays highlighted: a duration from 0s (never) to
 * 1m, from the file only. */
START_TEST(highlight_setting)
{
	struct loaded l;

	load_setting(&l, "highlight: 500ms");
	ck_assert_int_eq(l.rc, 0);
	ck_assert_int_eq(l.cfg->highlight_ms, 500);
	ck_assert_int_eq(l.cfg->origin[CONFIG_KEY_HIGHLIGHT].source, CONFIG_SRC_FILE);
	loaded_free(&l);

	load_setting(&l, "highlight: 0s");
	ck_assert_int_eq(l.rc, 0);
	ck_assert_int_eq(l.cfg->highlight_ms, 0);
	loaded_free(&l);

	const char *diags = load_setting(&l, "highlight: 2m");
	ck_assert_int_eq(l.rc, -1);
	ck_assert_msg(strstr(diags, ":1:12: error: 'highlight': expected a duration between 0s and "
	                            "1m, found 120000ms"),
	              "%s", diags);
	loaded_free(&l);
}
END_TEST

/* A duration K, the field at offset AT of struct config, read from the
 * file: DEF_MS unless the file says otherwise, OK ("key: value") read as
 * OK_MS, BAD refused with WANT among the diagnostics. */
static void duration_setting(enum config_key k, size_t at, long def_ms, const char *ok, long ok_ms,
                             const char *bad, const char *want)
{
	struct loaded l;

	load_setting(&l, "");
	ck_assert_int_eq(l.rc, 0);
	ck_assert_int_eq(*(const long *)((const char *)l.cfg + at), def_ms);
	ck_assert_int_eq(l.cfg->origin[k].source, CONFIG_SRC_DEFAULT);
	loaded_free(&l);

	load_setting(&l, ok);
	ck_assert_int_eq(l.rc, 0);
	ck_assert_int_eq(*(const long *)((const char *)l.cfg + at), ok_ms);
	ck_assert_int_eq(l.cfg->origin[k].source, CONFIG_SRC_FILE);
	loaded_free(&l);

	const char *diags = load_setting(&l, bad);
	ck_assert_int_eq(l.rc, -1);
	ck_assert_msg(strstr(diags, want), "%s", diags);
	loaded_free(&l);
}

/* How often a Kubernetes API server that answers is probed: 30 s unless
 * the file says otherwise, 100ms to 1h like refresh. */
START_TEST(kube_probe_setting)
{
	duration_setting(CONFIG_KEY_KUBE_PROBE, offsetof(struct config, kube_probe_ms), 30000,
	                 "kube_probe: 10s", 10000, "kube_probe: 50ms",
	                 ":1:13: error: 'kube_probe': expected a duration between 100ms and 1h, "
	                 "found 50ms");
}
END_TEST

/* How often a steady cluster's stream health is polled: 15 s, Consul's
 * heartbeat interval, unless the file says otherwise; 100ms to 1h like
 * refresh. */
START_TEST(steady_refresh_setting)
{
	duration_setting(CONFIG_KEY_STEADY_REFRESH, offsetof(struct config, steady_refresh_ms),
	                 15000, "steady_refresh: 5s", 5000, "steady_refresh: 2h",
	                 ":1:17: error: 'steady_refresh': expected a duration between 100ms and "
	                 "1h, found 7200000ms");
}
END_TEST

START_TEST(type_errors)
{
	struct loaded l;

	loaded_init(&l);
	const char *text = load_text(&l, "theme: [a, b]\n"
	                                 "refresh: 10\n"
	                                 "log_level: loud\n"
	                                 "clusters: many\n"
	                                 "theme: again\n"
	                                 "colour: red\n");
	ck_assert_int_eq(l.rc, -1);
	ck_assert_msg(strstr(text, ":1:8: error: 'theme': expected a string, found a list"), "%s",
	              text);
	ck_assert_msg(strstr(text, ":2:10: error: 'refresh': expected a duration such as 5s, "
	                           "500ms or 1m, found '10'"),
	              "%s", text);
	ck_assert_msg(strstr(text, ":3:12: error: 'log_level': expected one of error, warn"), "%s",
	              text);
	ck_assert_msg(strstr(text, ":4:11: error: 'clusters': expected a list of clusters, found a "
	                           "scalar"),
	              "%s", text);
	ck_assert_msg(strstr(text, ":5:1: error: the configuration: key 'theme' is given twice"),
	              "%s", text);
	ck_assert_msg(strstr(text, ":6:1: error: unknown key 'colour'"), "%s", text);
	ck_assert_uint_eq(l.diags.errors, 6);
	loaded_free(&l);
}
END_TEST

START_TEST(keys_rebind_actions)
{
	struct loaded l;

	loaded_init(&l);
	ck_assert_int_eq(load_file(&l, "config/full.yaml"), 0);
	const struct config *cfg = l.cfg;
	ck_assert_uint_eq(cfg->nbindings, 2);
	ck_assert_str_eq(cfg->bindings[0].action, "quit");
	ck_assert_str_eq(cfg->bindings[0].keys, "x F10");
	ck_assert_int_eq(cfg->bindings[0].origin.source, CONFIG_SRC_FILE);
	ck_assert_uint_eq(cfg->bindings[0].origin.line, 29);
	ck_assert_uint_eq(cfg->bindings[0].origin.column, 9);
	ck_assert_str_eq(cfg->bindings[1].action, "help");
	ck_assert_str_eq(cfg->bindings[1].keys, "q");
	ck_assert_int_eq(cfg->origin[CONFIG_KEY_KEYS].source, CONFIG_SRC_FILE);
	loaded_free(&l);

	/* "keys:" alone is no binding at all. */
	loaded_init(&l);
	const char *text =
	        load_text(&l, "keys:\nclusters: [{name: a, consul: {address: 'h:1'}}]\n");
	ck_assert_msg(l.rc == 0, "%s", text);
	ck_assert_uint_eq(l.cfg->nbindings, 0);
	loaded_free(&l);
}
END_TEST

START_TEST(keys_errors)
{
	struct loaded l;

	loaded_init(&l);
	const char *text = load_text(&l, "keys:\n"
	                                 "  refrsh: q\n"
	                                 "  help: \"F1 F13\"\n"
	                                 "  quit: x Hyper\n"
	                                 "  sort: ''\n"
	                                 "  theme: t\n"
	                                 "  help: z\n"
	                                 "  refresh: [F5]\n"
	                                 "clusters: [{name: a, consul: {address: 'h:1'}}]\n");
	ck_assert_int_eq(l.rc, -1);
	ck_assert_msg(strstr(text, ":2:3: error: unknown action 'refrsh' in keys (did you mean "
	                           "'refresh'?)"),
	              "%s", text);
	/* The column is the unknown key's, inside the quotes or not. */
	ck_assert_msg(strstr(text, ":3:13: error: 'keys.help': unknown key 'F13'"), "%s", text);
	ck_assert_msg(strstr(text, ":4:11: error: 'keys.quit': unknown key 'Hyper'"), "%s", text);
	ck_assert_msg(strstr(text, ":5:9: error: 'keys.sort': expected key names separated by "
	                           "spaces"),
	              "%s", text);
	ck_assert_msg(strstr(text, ":6:10: error: 'keys.theme': theme takes an argument"), "%s",
	              text);
	ck_assert_msg(strstr(text, ":7:3: error: keys: action 'help' is given twice"), "%s", text);
	ck_assert_msg(strstr(text, ":8:12: error: 'keys.refresh': expected key names separated by "
	                           "spaces, such as \"q F10\", found a list"),
	              "%s", text);
	ck_assert_uint_eq(l.diags.errors, 7);
	loaded_free(&l);

	loaded_init(&l);
	text = load_text(&l, "keys: q\n");
	ck_assert_msg(strstr(text, ":1:7: error: 'keys': expected a mapping of action names to "
	                           "key names"),
	              "%s", text);
	loaded_free(&l);
}
END_TEST

/* A key given to two actions goes to the later one, with a warning. */
START_TEST(keys_given_twice_warn)
{
	struct loaded l;

	loaded_init(&l);
	const char *text = load_text(&l, "keys:\n"
	                                 "  help: \"q F1\"\n"
	                                 "  refresh: q\n"
	                                 "clusters: [{name: a, consul: {address: 'h:1'}}]\n");
	ck_assert_msg(l.rc == 0, "%s", text);
	ck_assert_msg(strstr(text, ":3:12: warning: 'keys.refresh': key 'q' is given to help too; "
	                           "refresh gets it"),
	              "%s", text);
	ck_assert_uint_eq(l.diags.errors, 0);
	loaded_free(&l);
}
END_TEST

START_TEST(second_document)
{
	struct loaded l;

	loaded_init(&l);
	const char *text = load_text(&l, "theme: a\n---\ntheme: b\n");
	ck_assert_int_eq(l.rc, -1);
	ck_assert_msg(strstr(text, ":2:1: error: a second YAML document"), "%s", text);
	loaded_free(&l);

	loaded_init(&l);
	text = load_text(&l, "clusters: [{name: a, consul: {address: 'h:1'}}]\n---\n");
	ck_assert_msg(l.rc == 0, "an empty second document is harmless: %s", text);
	loaded_free(&l);
}
END_TEST

START_TEST(cluster_errors)
{
	struct loaded l;

	loaded_init(&l);
	const char *text =
	        load_text(&l, "clusters:\n"
	                      "  - name: a\n"
	                      "    namespace: Consul_NS\n"
	                      "    consul: {address: 'ftp://x', token: t, token_file: /f}\n"
	                      "  - name: a\n"
	                      "    consul: {adress: http://x:1}\n"
	                      "  - just-a-string\n");
	ck_assert_int_eq(l.rc, -1);
	ck_assert_msg(strstr(text, ":3:16: error: 'clusters[0].namespace': expected a Kubernetes "
	                           "namespace name"),
	              "%s", text);
	ck_assert_msg(strstr(text, "'clusters[0].consul.address': expected an address"), "%s",
	              text);
	ck_assert_msg(strstr(text, ":4:41: error: 'clusters[0].consul': give either token or "
	                           "token_file, not both"),
	              "%s", text);
	ck_assert_msg(strstr(text, "unknown key 'adress' in clusters[1].consul (did you mean "
	                           "'address'?)"),
	              "%s", text);
	ck_assert_msg(strstr(text, ":5:11: error: cluster name 'a' is used twice"), "%s", text);
	ck_assert_msg(strstr(text, ":7:5: error: 'clusters[2]': expected a cluster"), "%s", text);
	ck_assert_msg(!strstr(text, ": t,"), "the token is not quoted: %s", text);
	loaded_free(&l);
}
END_TEST

START_TEST(partitions_key)
{
	struct loaded l;

	loaded_init(&l);
	const char *text = load_text(&l, "clusters:\n"
	                                 "  - name: a\n"
	                                 "    partitions: [default, team-a]\n"
	                                 "    consul: {address: http://x:1}\n"
	                                 "  - name: b\n"
	                                 "    partitions: all\n"
	                                 "    consul: {address: http://y:1}\n"
	                                 "  - name: c\n"
	                                 "    consul: {address: http://z:1}\n");
	ck_assert_msg(l.rc == 0, "%s", text);
	ck_assert_uint_eq(l.cfg->clusters[0].npartitions, 2);
	ck_assert_str_eq(l.cfg->clusters[0].partitions[1], "team-a");
	ck_assert(!l.cfg->clusters[0].partitions_all);
	ck_assert(l.cfg->clusters[1].partitions_all);
	ck_assert_uint_eq(l.cfg->clusters[1].npartitions, 0);
	ck_assert_uint_eq(l.cfg->clusters[2].npartitions, 0);
	ck_assert(!l.cfg->clusters[2].partitions_all);
	loaded_free(&l);
}
END_TEST

START_TEST(partitions_errors)
{
	struct loaded l;

	loaded_init(&l);
	const char *text = load_text(&l, "clusters:\n"
	                                 "  - name: a\n"
	                                 "    partitions: some\n"
	                                 "  - name: b\n"
	                                 "    partitions: [Team_A, ok, ok, all, [x]]\n"
	                                 "  - name: c\n"
	                                 "    partitions: []\n"
	                                 "  - name: d\n"
	                                 "    partitions: {a: b}\n");
	ck_assert_int_eq(l.rc, -1);
	ck_assert_msg(strstr(text, ":3:17: error: 'clusters[0].partitions': expected a list of "
	                           "admin partition names"),
	              "%s", text);
	ck_assert_msg(strstr(text, "found 'some'"), "%s", text);
	ck_assert_msg(strstr(text, ":5:18: error: 'clusters[1].partitions[0]': 'Team_A' is not a "
	                           "partition name"),
	              "%s", text);
	ck_assert_msg(strstr(text, ":5:30: error: 'clusters[1].partitions': partition 'ok' is "
	                           "given twice"),
	              "%s", text);
	ck_assert_msg(strstr(text, ":5:34: error: 'clusters[1].partitions[3]': 'all' stands alone"),
	              "%s", text);
	ck_assert_msg(strstr(text,
	                     ":5:39: error: 'clusters[1].partitions[4]': expected a partition "
	                     "name, found a list"),
	              "%s", text);
	ck_assert_msg(strstr(text, ":7:17: error: 'clusters[2].partitions' is empty"), "%s", text);
	ck_assert_msg(strstr(text, ":9:17: error: 'clusters[3].partitions': expected a list of "
	                           "admin partition names"),
	              "%s", text);
	ck_assert_msg(strstr(text, "found a mapping"), "%s", text);
	ck_assert_uint_eq(l.diags.errors, 11); /* 4 more: no address */
	loaded_free(&l);
}
END_TEST

START_TEST(no_file_uses_kubeconfig)
{
	struct loaded l;
	char *argv[] = {A("peerscope"), NULL};
	char list[8400], a[4096];

	loaded_init(&l);
	snprintf(a, sizeof a, "%s", unit_fixture("kubeconfig/merge-a.yaml"));
	snprintf(list, sizeof list, "%s:%s", a, unit_fixture("kubeconfig/merge-b.yaml"));
	env_add(&l, "KUBECONFIG", list);
	ck_assert_int_eq(load_argv(&l, 1, argv), 0);
	ck_assert_ptr_null(l.cfg->config_file);
	ck_assert_uint_eq(l.cfg->nclusters, 3);
	for (size_t i = 0; i < 3; i++) {
		const struct config_cluster *c = &l.cfg->clusters[i];
		ck_assert_str_eq(c->name, c->context);
		ck_assert_str_eq(c->namespace, "consul");
		ck_assert_ptr_null(c->consul.address);
		ck_assert_int_eq(c->origin[CONFIG_CK_NAME].source, CONFIG_SRC_KUBECONFIG);
	}
	ck_assert_int_eq(l.cfg->origin[CONFIG_KEY_KUBECONFIG].source, CONFIG_SRC_ENV);
	loaded_free(&l);
}
END_TEST

START_TEST(context_selection)
{
	struct loaded l;
	char path[4096];
	char *argv[] = {A("peerscope"), A("--config"), path, A("--context"), A("token-ctx"), NULL};

	loaded_init(&l);
	snprintf(path, sizeof path, "%s", unit_fixture("config/full.yaml"));
	ck_assert_int_eq(load_argv(&l, 5, argv), 0);
	ck_assert_uint_eq(l.cfg->nclusters, 2); /* both clusters on context token-ctx */
	ck_assert_str_eq(l.cfg->clusters[0].name, "cluster-01");
	ck_assert_str_eq(l.cfg->clusters[1].name, "cluster-02");
	loaded_free(&l);

	loaded_init(&l);
	argv[4] = A("lab,ghost");
	ck_assert_int_eq(load_argv(&l, 5, argv), -1);
	ck_assert_msg(strstr(diag_text(&l.diags),
	                     "--context: error: no cluster or kubeconfig context is named 'ghost'"),
	              "%s", diag_text(&l.diags));
	loaded_free(&l);
}
END_TEST

START_TEST(consul_env_single_cluster)
{
	struct loaded l;
	char ca[4096];

	loaded_init(&l);
	snprintf(ca, sizeof ca, "%s", unit_fixture("kubeconfig/ca.pem"));
	env_add(&l, "CONSUL_HTTP_ADDR", "https://10.1.2.3:8501");
	env_add(&l, "CONSUL_HTTP_TOKEN", "env-secret-6c1f");
	env_add(&l, "CONSUL_CACERT", ca);
	env_add(&l, "CONSUL_TLS_SERVER_NAME", "server.east.consul");
	env_add(&l, "CONSUL_HTTP_SSL_VERIFY", "true");
	ck_assert_int_eq(load_file(&l, "config/single.yaml"), 0);
	const struct config_cluster *c = &l.cfg->clusters[0];
	ck_assert_str_eq(c->consul.address, "https://10.1.2.3:8501");
	ck_assert_int_eq(c->origin[CONFIG_CK_ADDRESS].source, CONFIG_SRC_ENV);
	ck_assert_str_eq(c->origin[CONFIG_CK_ADDRESS].name, "CONSUL_HTTP_ADDR");
	ck_assert_str_eq(c->consul.token, "env-secret-6c1f");
	ck_assert_ptr_null(c->consul.token_file); /* replaced by the variable's token */
	ck_assert_str_eq(c->consul.ca_file, ca);
	ck_assert_str_eq(c->consul.tls_server_name, "server.east.consul");
	ck_assert(!c->consul.insecure_skip_verify);
	const char *out = print_text(l.cfg);
	ck_assert_msg(!strstr(out, "env-secret-6c1f"), "%s", out);
	ck_assert_msg(strstr(out, "# env CONSUL_HTTP_TOKEN"), "%s", out);
	loaded_free(&l);
}
END_TEST

START_TEST(consul_env_token_precedence)
{
	struct loaded l;
	char tokfile[4096];

	snprintf(tokfile, sizeof tokfile, "%s", unit_fixture("config/consul.token"));

	/* A token file from the environment replaces the file's token. */
	loaded_init(&l);
	env_add(&l, "CONSUL_HTTP_TOKEN_FILE", tokfile);
	load_text(&l, "clusters: [{name: a, consul: {address: 'h:1', token: file-tok}}]\n");
	ck_assert_int_eq(l.rc, 0);
	ck_assert_ptr_null(l.cfg->clusters[0].consul.token);
	ck_assert_str_eq(l.cfg->clusters[0].consul.token_file, tokfile);
	ck_assert_int_eq(l.cfg->clusters[0].origin[CONFIG_CK_TOKEN].source, CONFIG_SRC_DEFAULT);
	loaded_free(&l);

	/* Both variables: the token wins. */
	loaded_init(&l);
	env_add(&l, "CONSUL_HTTP_TOKEN_FILE", tokfile);
	env_add(&l, "CONSUL_HTTP_TOKEN", "env-tok");
	load_text(&l, "clusters: [{name: a, consul: {address: 'h:1'}}]\n");
	ck_assert_int_eq(l.rc, 0);
	ck_assert_str_eq(l.cfg->clusters[0].consul.token, "env-tok");
	ck_assert_ptr_null(l.cfg->clusters[0].consul.token_file);
	loaded_free(&l);
}
END_TEST

START_TEST(consul_env_several_clusters)
{
	struct loaded l;

	loaded_init(&l);
	env_add(&l, "CONSUL_HTTP_ADDR", "https://10.1.2.3:8501");
	env_add(&l, "CONSUL_HTTP_TOKEN", "env-secret-6c1f");
	ck_assert_int_eq(load_file(&l, "config/full.yaml"), 0);
	for (size_t i = 0; i < l.cfg->nclusters; i++) {
		const char *addr = l.cfg->clusters[i].consul.address;
		ck_assert_msg(!addr || !strstr(addr, "10.1.2.3"), "cluster %zu took it", i);
		ck_assert_int_ne(l.cfg->clusters[i].origin[CONFIG_CK_TOKEN].source, CONFIG_SRC_ENV);
	}
	const char *text = diag_text(&l.diags);
	ck_assert_msg(strstr(text, "warning: CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN ignored"), "%s",
	              text);
	ck_assert_msg(!strstr(text, "env-secret-6c1f"), "%s", text);
	loaded_free(&l);
}
END_TEST

START_TEST(consul_only_from_env)
{
	struct loaded l;
	char *argv[] = {A("peerscope"), NULL};

	loaded_init(&l);
	env_add(&l, "CONSUL_HTTP_ADDR", "127.0.0.1:8500");
	ck_assert_int_eq(load_argv(&l, 1, argv), 0);
	ck_assert_uint_eq(l.cfg->nclusters, 1);
	ck_assert_str_eq(l.cfg->clusters[0].name, "consul");
	ck_assert_ptr_null(l.cfg->clusters[0].context);
	ck_assert_str_eq(l.cfg->clusters[0].consul.address, "http://127.0.0.1:8500");
	loaded_free(&l);

	loaded_init(&l);
	ck_assert_int_eq(load_argv(&l, 1, argv), -1);
	ck_assert_msg(strstr(diag_text(&l.diags), "no clusters are configured"), "%s",
	              diag_text(&l.diags));
	loaded_free(&l);
}
END_TEST

START_TEST(flags_override_file_and_env)
{
	struct loaded l;
	char path[4096];
	char *argv[] = {A("peerscope"),
	                A("--config"),
	                path,
	                A("--theme"),
	                A("mono"),
	                A("--no-color"),
	                A("--ascii"),
	                A("--log-file"),
	                A("/tmp/x.log"),
	                NULL};

	loaded_init(&l);
	env_add(&l, "NO_COLOR", "");
	snprintf(path, sizeof path, "%s", unit_fixture("config/single.yaml"));
	ck_assert_int_eq(load_argv(&l, 9, argv), 0);
	ck_assert_str_eq(l.cfg->theme, "mono");
	ck_assert_int_eq(l.cfg->origin[CONFIG_KEY_THEME].source, CONFIG_SRC_FLAG);
	ck_assert(l.cfg->no_color);
	ck_assert_int_eq(l.cfg->origin[CONFIG_KEY_NO_COLOR].source, CONFIG_SRC_FLAG);
	ck_assert(l.cfg->ascii);
	ck_assert_str_eq(l.cfg->log_file, "/tmp/x.log");
	loaded_free(&l);

	/* An empty NO_COLOR does not count; a non-empty one does. */
	loaded_init(&l);
	env_add(&l, "NO_COLOR", "");
	ck_assert_int_eq(load_file(&l, "config/single.yaml"), 0);
	ck_assert(!l.cfg->no_color);
	loaded_free(&l);
	loaded_init(&l);
	env_add(&l, "NO_COLOR", "1");
	ck_assert_int_eq(load_file(&l, "config/single.yaml"), 0);
	ck_assert(l.cfg->no_color);
	loaded_free(&l);
}
END_TEST

START_TEST(kubeconfig_precedence)
{
	struct loaded l;
	char path[4096], other[4096];
	char *argv[] = {A("peerscope"), A("--config"), path, A("--kubeconfig"), other, NULL};

	snprintf(path, sizeof path, "%s", unit_fixture("config/full.yaml"));
	snprintf(other, sizeof other, "%s", unit_fixture("kubeconfig/token.yaml"));

	/* The file's kubeconfig beats KUBECONFIG. */
	loaded_init(&l);
	env_add(&l, "KUBECONFIG", "/nonexistent/kube");
	ck_assert_int_eq(load_argv(&l, 3, argv), 0);
	ck_assert_int_eq(l.cfg->origin[CONFIG_KEY_KUBECONFIG].source, CONFIG_SRC_FILE);
	ck_assert_msg(strstr(diag_text(&l.diags), "KUBECONFIG is ignored"), "%s",
	              diag_text(&l.diags));
	loaded_free(&l);

	/* --kubeconfig beats both. */
	loaded_init(&l);
	ck_assert_int_eq(load_argv(&l, 5, argv), 0);
	ck_assert_int_eq(l.cfg->origin[CONFIG_KEY_KUBECONFIG].source, CONFIG_SRC_FLAG);
	ck_assert_str_eq(l.cfg->kubeconfig, other);
	ck_assert(l.cfg->kubeconfig_explicit);
	loaded_free(&l);
}
END_TEST

START_TEST(consul_token_and_http_options)
{
	struct loaded l;
	struct http_options opts = {0};
	char *token = NULL, err[512];

	loaded_init(&l);
	ck_assert_int_eq(load_file(&l, "config/full.yaml"), 0);
	const struct config_cluster *c = &l.cfg->clusters[0];
	ck_assert_int_eq(config_consul_token(c, &token, err, sizeof err), 0);
	ck_assert_str_eq(token, "consul-file-secret-2e9b"); /* the file, newline removed */
	config_consul_http_options(c, token, &opts);
	ck_assert_str_eq(opts.cluster, "cluster-01");
	ck_assert_str_eq(opts.base_url, "https://127.0.0.1:8501");
	ck_assert_str_eq(opts.tls.ca_file, c->consul.ca_file);
	ck_assert_str_eq(opts.tls.cert_file, c->consul.client_cert_file);
	ck_assert_str_eq(opts.tls.key_file, c->consul.client_key_file);
	ck_assert_str_eq(opts.tls.server_name, "server.dc1.consul");
	ck_assert_ptr_eq(opts.auth.consul_token, token);
	ck_assert(!opts.tls.insecure);
	config_token_free(token);

	ck_assert_int_eq(config_consul_token(&l.cfg->clusters[1], &token, err, sizeof err), 0);
	ck_assert_ptr_null(token);
	ck_assert_int_eq(config_consul_token(&l.cfg->clusters[2], &token, err, sizeof err), 0);
	ck_assert_str_eq(token, "file-secret-d41c");
	config_token_free(token);

	struct config_cluster gone = *c;
	gone.consul.token_file = (char *)"/nonexistent/token";
	ck_assert_int_eq(config_consul_token(&gone, &token, err, sizeof err), -1);
	ck_assert_str_eq(err, "cluster 'cluster-01': token file /nonexistent/token: No such file "
	                      "or directory");
	loaded_free(&l);
}
END_TEST

START_TEST(options_table_is_consistent)
{
	size_t n, m;
	const struct config_option *o = config_options(&n);
	const struct config_option *c = config_cluster_options(&m);

	ck_assert_uint_eq(n, CONFIG_KEY_COUNT);
	ck_assert_uint_eq(m, CONFIG_CK_COUNT);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(o[i].key || o[i].flag, "option %zu has neither key nor flag", i);
		ck_assert_msg(o[i].help && *o[i].help, "option %zu has no help", i);
		for (size_t j = 0; j < i; j++) {
			if (o[i].flag && o[j].flag)
				ck_assert_str_ne(o[i].flag, o[j].flag);
			if (o[i].key && o[j].key)
				ck_assert_str_ne(o[i].key, o[j].key);
		}
	}
	for (size_t i = 0; i < m; i++)
		ck_assert_msg(c[i].key && c[i].help, "cluster option %zu", i);
}
END_TEST

/* Mutated config files never crash the loader, and a refusal always comes
 * with at least one error. Seeded, so a failure repeats. */
START_TEST(mutations_are_handled)
{
	static const char junk[] = ":-[]{}#&*!|>'\"%@ \n\t\\x0";
	char orig[8192], text[8192];
	unsigned seed = 4242;
	FILE *in = fopen(unit_fixture("config/full.yaml"), "r");

	ck_assert_ptr_nonnull(in);
	size_t len = fread(orig, 1, sizeof orig - 1, in);
	fclose(in);
	for (int round = 0; round < 400; round++) {
		struct loaded l;
		memcpy(text, orig, len);
		size_t n = len;
		for (int k = 0, edits = 1 + rand_r(&seed) % 4; k < edits; k++) {
			size_t at = (size_t)rand_r(&seed) % n;
			if (rand_r(&seed) % 3 == 0)
				n = at + 1;
			else
				text[at] = junk[(size_t)rand_r(&seed) % (sizeof junk - 1)];
		}
		text[n] = '\0';
		loaded_init(&l);
		load_text(&l, text);
		ck_assert(l.rc == 0 || l.diags.errors > 0);
		ck_assert(l.rc != 0 || l.cfg != NULL);
		loaded_free(&l);
	}
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_test(tc, durations);
	tcase_add_test(tc, args_forms);
	tcase_add_test(tc, args_errors);
	tcase_add_test(tc, usage_lists_every_flag);
	tcase_add_test(tc, three_mistakes);
	tcase_add_test(tc, full_file);
	tcase_add_test(tc, keys_rebind_actions);
	tcase_add_test(tc, keys_errors);
	tcase_add_test(tc, keys_given_twice_warn);
	tcase_add_test(tc, highlight_setting);
	tcase_add_test(tc, kube_probe_setting);
	tcase_add_test(tc, steady_refresh_setting);
	tcase_add_test(tc, type_errors);
	tcase_add_test(tc, second_document);
	tcase_add_test(tc, cluster_errors);
	tcase_add_test(tc, partitions_key);
	tcase_add_test(tc, partitions_errors);
	tcase_add_test(tc, no_file_uses_kubeconfig);
	tcase_add_test(tc, context_selection);
	tcase_add_test(tc, consul_env_single_cluster);
	tcase_add_test(tc, consul_env_token_precedence);
	tcase_add_test(tc, consul_env_several_clusters);
	tcase_add_test(tc, consul_only_from_env);
	tcase_add_test(tc, flags_override_file_and_env);
	tcase_add_test(tc, kubeconfig_precedence);
	tcase_add_test(tc, consul_token_and_http_options);
	tcase_add_test(tc, options_table_is_consistent);
	tcase_add_test(tc, mutations_are_handled);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(config_suite)
