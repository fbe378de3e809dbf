/* kubeconfig: the acceptance matrix (token, tokenFile, certificate data and
 * files, exec plugins, merged files, missing files, bad YAML) and the rule
 * that secrets never reach an error text. */
#include "unit.h"

#include "peerscope/http.h"
#include "peerscope/kubeconfig.h"
#include "peerscope/monotime.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NOW ((time_t)1800000000) /* 2027-01-15, before the plugin's expiry */

static char err[2048];

static struct kubeconfig *load(const char *name)
{
	struct kubeconfig *kc;

	err[0] = '\0';
	kc = kubeconfig_load(unit_fixture(name), true, err, sizeof err);
	ck_assert_msg(kc != NULL, "loading %s: %s", name, err);
	return kc;
}

/* Fixture path relative to the fixtures root, as an absolute path. */
static const char *fixture_path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s", unit_fixture(name));
	return buf;
}

static void assert_no_secret(const char *text)
{
	static const char *const secrets[] = {"bearer-secret-91c2",   "tokenfile-secret-7f3a",
	                                      "exec-secret-0b7d",     "EXECKEYSECRET",
	                                      "MIIEfixtureKEYSECRET", "basic-secret-55e1",
	                                      "merge-a-secret",       "merge-b-secret"};

	for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
		ck_assert_msg(!strstr(text, secrets[i]), "secret %s in: %s", secrets[i], text);
}

START_TEST(token_user)
{
	struct kubeconfig *kc = load("kubeconfig/token.yaml");
	struct kubeconfig_endpoint ep;
	char ca[4096];

	ck_assert_str_eq(kubeconfig_current_context(kc), "token-ctx");
	ck_assert_int_eq(kubeconfig_resolve(kc, NULL, NOW, &ep, err, sizeof err), 0);
	ck_assert_str_eq(ep.context, "token-ctx");
	ck_assert_str_eq(ep.server, "https://127.0.0.1:6443");
	ck_assert_str_eq(ep.ca_file, fixture_path("kubeconfig/ca.pem", ca, sizeof ca));
	ck_assert_str_eq(ep.token, "bearer-secret-91c2");
	ck_assert_str_eq(ep.tls_server_name, "kubernetes.default.svc");
	ck_assert_str_eq(ep.proxy_url, "http://127.0.0.1:3128");
	ck_assert_str_eq(ep.namespace, "consul");
	ck_assert(!ep.insecure);
	ck_assert(!ep.from_exec);
	ck_assert_int_eq(access(ep.ca_file, R_OK), 0);
	kubeconfig_endpoint_clear(&ep);
	ck_assert_ptr_null(ep.token);
	kubeconfig_free(kc);
}
END_TEST

START_TEST(token_file_user)
{
	struct kubeconfig *kc = load("kubeconfig/tokenfile.yaml");
	struct kubeconfig_endpoint ep;

	ck_assert_ptr_null(kubeconfig_current_context(kc));
	ck_assert_int_eq(kubeconfig_resolve(kc, NULL, NOW, &ep, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "no current-context"), "%s", err);
	ck_assert_int_eq(kubeconfig_resolve(kc, "tf-ctx", NOW, &ep, err, sizeof err), 0);
	ck_assert_str_eq(ep.token, "tokenfile-secret-7f3a"); /* newline trimmed */
	ck_assert(ep.insecure);
	kubeconfig_endpoint_clear(&ep);
	ck_assert_int_eq(kubeconfig_resolve(kc, "tf-missing-ctx", NOW, &ep, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "no-such-token.txt"), "%s", err);
	ck_assert_int_eq(kubeconfig_resolve(kc, "both-ctx", NOW, &ep, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "tokenfile.yaml:10:5): a certificate authority and "
	                          "insecure-skip-tls-verify exclude each other"),
	              "%s", err);
	ck_assert_int_eq(kubeconfig_resolve(kc, "bare-ctx", NOW, &ep, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "server '127.0.0.1:6444' is not a URL"), "%s", err);
	kubeconfig_free(kc);
}
END_TEST

START_TEST(certificate_data)
{
	struct kubeconfig *kc = load("kubeconfig/certdata.yaml");
	struct kubeconfig_endpoint ep;

	ck_assert_int_eq(kubeconfig_resolve(kc, "data-ctx", NOW, &ep, err, sizeof err), 0);
	ck_assert_ptr_null(ep.ca_file);
	ck_assert_str_eq(ep.ca_data, "-----BEGIN CERTIFICATE-----\nMIIBfixtureCA\n"
	                             "-----END CERTIFICATE-----\n");
	ck_assert_uint_eq(ep.ca_data_len, strlen(ep.ca_data));
	ck_assert_msg(strstr(ep.cert_data, "MIIBfixtureClient"), "cert");
	ck_assert_msg(strstr(ep.key_data, "MIIEfixtureKEYSECRET"), "key");
	ck_assert_uint_eq(ep.key_data_len, strlen(ep.key_data));
	ck_assert_ptr_null(ep.token);
	kubeconfig_endpoint_clear(&ep);
	kubeconfig_free(kc);
}
END_TEST

START_TEST(certificate_files)
{
	struct kubeconfig *kc = load("kubeconfig/certfiles.yaml");
	struct kubeconfig_endpoint ep;
	char path[4096];

	ck_assert_int_eq(kubeconfig_resolve(kc, "files-ctx", NOW, &ep, err, sizeof err), 0);
	ck_assert_str_eq(ep.cert_file,
	                 fixture_path("kubeconfig/certs/client.pem", path, sizeof path));
	ck_assert_str_eq(ep.key_file,
	                 fixture_path("kubeconfig/certs/client-key.pem", path, sizeof path));
	ck_assert_ptr_null(ep.cert_data);
	kubeconfig_endpoint_clear(&ep);

	ck_assert_int_eq(kubeconfig_resolve(kc, "half-ctx", NOW, &ep, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "needs a client key"), "%s", err);
	ck_assert_msg(strstr(err, "certfiles.yaml:"), "error names the file: %s", err);

	ck_assert_int_eq(kubeconfig_resolve(kc, "basic-ctx", NOW, &ep, err, sizeof err), 0);
	ck_assert_str_eq(ep.username, "admin");
	ck_assert_str_eq(ep.password, "basic-secret-55e1");
	kubeconfig_endpoint_clear(&ep);
	kubeconfig_free(kc);
}
END_TEST

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int n = 0, c;

	if (!f)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

START_TEST(exec_plugin_token)
{
	char runs[] = "/tmp/kc-runs-XXXXXX", info[] = "/tmp/kc-info-XXXXXX";
	int fd1 = mkstemp(runs), fd2 = mkstemp(info);
	struct kubeconfig_endpoint ep;

	ck_assert(fd1 >= 0 && fd2 >= 0);
	close(fd1);
	close(fd2);
	setenv("PLUGIN_RUNS", runs, 1);
	setenv("PLUGIN_INFO", info, 1);
	setenv("PLUGIN_EXPIRES", "2027-01-15T09:00:00Z", 1); /* NOW + 1 h */

	struct kubeconfig *kc = load("kubeconfig/exec.yaml");
	ck_assert_int_eq(kubeconfig_resolve(kc, "exec-token-ctx", NOW, &ep, err, sizeof err), 0);
	ck_assert_str_eq(ep.token, "exec-secret-0b7d"); /* from the plugin's env entry */
	ck_assert(ep.from_exec);
	ck_assert_int_eq((long)ep.expires, (long)NOW + 3600);
	kubeconfig_endpoint_clear(&ep);

	/* Cached until shortly before the expiry. */
	ck_assert_int_eq(kubeconfig_resolve(kc, "exec-token-ctx", NOW + 60, &ep, err, sizeof err),
	                 0);
	ck_assert_str_eq(ep.token, "exec-secret-0b7d");
	kubeconfig_endpoint_clear(&ep);
	ck_assert_int_eq(count_lines(runs), 1);

	ck_assert_int_eq(kubeconfig_resolve(kc, "exec-token-ctx", NOW + 3600, &ep, err, sizeof err),
	                 0);
	kubeconfig_endpoint_clear(&ep);
	ck_assert_int_eq(count_lines(runs), 2);

	/* KUBERNETES_EXEC_INFO carries the apiVersion and the cluster. */
	FILE *f = fopen(info, "r");
	char line[2048] = "";
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
	fclose(f);
	ck_assert_msg(strstr(line, "\"apiVersion\":\"client.authentication.k8s.io/v1\""), "%s",
	              line);
	ck_assert_msg(strstr(line, "\"server\":\"https://127.0.0.1:6447\""), "%s", line);
	ck_assert_msg(strstr(line, "\"interactive\":false"), "%s", line);
	/* client-go sends the CA as data even when the kubeconfig names a file. */
	ck_assert_msg(strstr(line,
	                     "\"certificate-authority-data\":\"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0"
	                     "tLS0tCk1JSUJmaXh0dXJlQ0EKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=\""),
	              "%s", line);

	kubeconfig_free(kc);
	unlink(runs);
	unlink(info);
	unsetenv("PLUGIN_RUNS");
	unsetenv("PLUGIN_INFO");
	unsetenv("PLUGIN_EXPIRES");
}
END_TEST

struct resolver {
	struct kubeconfig *kc;
	int rc;
	bool token_ok;
	char err[1024];
};

static void *resolve_thread(void *arg)
{
	struct resolver *r = arg;
	struct kubeconfig_endpoint ep;

	r->rc = kubeconfig_resolve(r->kc, "exec-token-ctx", NOW, &ep, r->err, sizeof r->err);
	r->token_ok = r->rc == 0 && ep.token && !strcmp(ep.token, "exec-secret-0b7d");
	kubeconfig_endpoint_clear(&ep);
	return NULL;
}

/* Pollers resolve at the same time: the plugin runs once, all get its token. */
START_TEST(exec_plugin_shared_by_threads)
{
	char runs[] = "/tmp/kc-runs-XXXXXX";
	int fd = mkstemp(runs);
	struct resolver r[4];
	pthread_t t[4];

	ck_assert(fd >= 0);
	close(fd);
	setenv("PLUGIN_RUNS", runs, 1);
	struct kubeconfig *kc = load("kubeconfig/exec.yaml");
	for (int i = 0; i < 4; i++) {
		r[i] = (struct resolver){.kc = kc};
		ck_assert_int_eq(pthread_create(&t[i], NULL, resolve_thread, &r[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(r[i].rc == 0, "thread %d: %s", i, r[i].err);
		ck_assert(r[i].token_ok);
	}
	ck_assert_int_eq(count_lines(runs), 1);
	kubeconfig_free(kc);
	unlink(runs);
	unsetenv("PLUGIN_RUNS");
}
END_TEST

START_TEST(exec_plugin_cert)
{
	struct kubeconfig *kc = load("kubeconfig/exec.yaml");
	struct kubeconfig_endpoint ep;

	/* The caller's buffer may hold anything beforehand. */
	memset(err, 'x', sizeof err - 1);
	err[sizeof err - 1] = '\0';
	ck_assert_int_eq(kubeconfig_resolve(kc, "exec-cert-ctx", NOW, &ep, err, sizeof err), 0);
	ck_assert_msg(strstr(ep.cert_data, "EXECCERT"), "cert data");
	char about[512], cmd[4096];
	snprintf(cmd, sizeof cmd, "https://127.0.0.1:6447, user exec-cert (exec plugin %s)",
	         unit_fixture("kubeconfig/./exec-plugin.sh"));
	ck_assert_str_eq(kubeconfig_describe(kc, "exec-cert-ctx", about, sizeof about), cmd);
	ck_assert_msg(strstr(ep.key_data, "EXECKEYSECRET"), "key data");
	ck_assert_uint_eq(ep.key_data_len, strlen(ep.key_data));
	ck_assert_int_eq((long)ep.expires, 0);
	kubeconfig_endpoint_clear(&ep);
	kubeconfig_free(kc);
}
END_TEST

/* Credentials without an expiry are kept until the server refuses them. */
START_TEST(exec_plugin_forget)
{
	char runs[] = "/tmp/kc-runs-XXXXXX";
	int fd = mkstemp(runs);
	struct kubeconfig_endpoint ep;

	ck_assert(fd >= 0);
	close(fd);
	setenv("PLUGIN_RUNS", runs, 1);
	struct kubeconfig *kc = load("kubeconfig/exec.yaml");
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(kubeconfig_resolve(kc, "exec-cert-ctx", NOW + i * 86400, &ep, err,
		                                    sizeof err),
		                 0);
		kubeconfig_endpoint_clear(&ep);
	}
	ck_assert_int_eq(count_lines(runs), 1);
	kubeconfig_forget_credentials(kc, "exec-cert-ctx");
	kubeconfig_forget_credentials(kc, "no-such-ctx");
	ck_assert_int_eq(kubeconfig_resolve(kc, "exec-cert-ctx", NOW, &ep, err, sizeof err), 0);
	kubeconfig_endpoint_clear(&ep);
	ck_assert_int_eq(count_lines(runs), 2);
	kubeconfig_free(kc);
	unlink(runs);
	unsetenv("PLUGIN_RUNS");
}
END_TEST

START_TEST(exec_plugin_failure)
{
	struct kubeconfig *kc = load("kubeconfig/exec.yaml");
	struct kubeconfig_endpoint ep;

	ck_assert_int_eq(kubeconfig_resolve(kc, "exec-fail-ctx", NOW, &ep, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "exit status 1"), "%s", err);
	ck_assert_msg(strstr(err, "the identity provider refused the login"), "stderr: %s", err);
	ck_assert_msg(strstr(err, "Install the fixture plugin"), "installHint: %s", err);
	assert_no_secret(err);

	ck_assert_int_eq(kubeconfig_resolve(kc, "exec-absent-ctx", NOW, &ep, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "no-such-credential-plugin"), "%s", err);
	ck_assert_msg(strstr(err, "example.invalid/install"), "installHint: %s", err);
	kubeconfig_free(kc);
}
END_TEST

START_TEST(merged_files)
{
	char list[8400], a[4096], b[4096];
	struct kubeconfig_endpoint ep;

	snprintf(list, sizeof list, "%s:/nonexistent/kubeconfig:%s",
	         fixture_path("kubeconfig/merge-a.yaml", a, sizeof a),
	         fixture_path("kubeconfig/merge-b.yaml", b, sizeof b));
	struct kubeconfig *kc = kubeconfig_load(list, false, err, sizeof err);
	ck_assert_msg(kc != NULL, "%s", err);
	ck_assert_uint_eq(kubeconfig_context_count(kc), 3);
	ck_assert_str_eq(kubeconfig_context_name(kc, 0), "shared");
	ck_assert_str_eq(kubeconfig_context_name(kc, 1), "a-only");
	ck_assert_str_eq(kubeconfig_context_name(kc, 2), "b-only");
	/* current-context from the first file that sets it: the second. */
	ck_assert_str_eq(kubeconfig_current_context(kc), "b-only");
	/* The first file's "shared" context and cluster win. */
	ck_assert_int_eq(kubeconfig_resolve(kc, "shared", NOW, &ep, err, sizeof err), 0);
	ck_assert_str_eq(ep.server, "https://a.example:6443");
	ck_assert_str_eq(ep.namespace, "from-a");
	ck_assert_str_eq(ep.token, "merge-a-secret");
	kubeconfig_endpoint_clear(&ep);
	ck_assert_int_eq(kubeconfig_resolve(kc, NULL, NOW, &ep, err, sizeof err), 0);
	ck_assert_str_eq(ep.server, "https://b-only.example:6443");
	kubeconfig_endpoint_clear(&ep);
	ck_assert_msg(strstr(kubeconfig_context_where(kc, "shared"), "merge-a.yaml:11:5"), "%s",
	              kubeconfig_context_where(kc, "shared"));
	ck_assert_msg(!strstr(kubeconfig_files(kc), "nonexistent"), "%s", kubeconfig_files(kc));
	kubeconfig_free(kc);
}
END_TEST

START_TEST(missing_files)
{
	ck_assert_ptr_null(kubeconfig_load("/nonexistent/kube.yaml", true, err, sizeof err));
	ck_assert_str_eq(err, "/nonexistent/kube.yaml: No such file or directory");
	ck_assert_ptr_null(
	        kubeconfig_load("/nonexistent/a:/nonexistent/b", false, err, sizeof err));
	ck_assert_msg(strstr(err, "none of the files exist: /nonexistent/a:/nonexistent/b"), "%s",
	              err);
}
END_TEST

START_TEST(bad_yaml)
{
	char path[4096];

	fixture_path("kubeconfig/bad.yaml", path, sizeof path);
	ck_assert_ptr_null(kubeconfig_load(path, true, err, sizeof err));
	ck_assert_msg(strstr(err, "bad.yaml:8:1: invalid YAML"), "%s", err);
	ck_assert_msg(strstr(err, "starts at line 6, column 15"), "%s", err);

	fixture_path("kubeconfig/wrongtype.yaml", path, sizeof path);
	ck_assert_ptr_null(kubeconfig_load(path, true, err, sizeof err));
	ck_assert_msg(strstr(err, "wrongtype.yaml:4:3: clusters: expected a list, found a mapping"),
	              "%s", err);
}
END_TEST

START_TEST(dangling_references)
{
	struct kubeconfig *kc = load("kubeconfig/token.yaml");
	struct kubeconfig_endpoint ep;

	ck_assert_int_eq(kubeconfig_resolve(kc, "missing-user-ctx", NOW, &ep, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "user 'nobody', which is not defined"), "%s", err);
	ck_assert_msg(strstr(err, "token.yaml:22:5"), "%s", err);
	ck_assert_int_eq(kubeconfig_resolve(kc, "missing-cluster-ctx", NOW, &ep, err, sizeof err),
	                 -1);
	ck_assert_msg(strstr(err, "cluster 'nowhere'"), "%s", err);
	ck_assert_int_eq(kubeconfig_resolve(kc, "no-such-ctx", NOW, &ep, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "context 'no-such-ctx' is not defined"), "%s", err);
	assert_no_secret(err);
	ck_assert(kubeconfig_has_context(kc, "token-ctx"));

	char about[512];
	ck_assert_str_eq(kubeconfig_describe(kc, "token-ctx", about, sizeof about),
	                 "https://127.0.0.1:6443, user token-user (bearer token)");
	ck_assert_str_eq(kubeconfig_describe(kc, "missing-user-ctx", about, sizeof about),
	                 "https://127.0.0.1:6443, user nobody (undefined)");
	ck_assert_str_eq(kubeconfig_describe(kc, "missing-cluster-ctx", about, sizeof about),
	                 "undefined cluster nowhere, user token-user (bearer token)");
	ck_assert_ptr_null(kubeconfig_describe(kc, "no-such-ctx", about, sizeof about));
	ck_assert(!kubeconfig_has_context(kc, "no-such-ctx"));
	kubeconfig_free(kc);
}
END_TEST

START_TEST(inline_errors_keep_secrets)
{
	char path[] = "/tmp/kc-secret-XXXXXX";
	int fd = mkstemp(path);
	const char *text = "users:\n"
	                   "  - name: u\n"
	                   "    user:\n"
	                   "      token: [planted-secret-71aa]\n"
	                   "      client-key-data: planted-secret-71aa!!\n";

	ck_assert(fd >= 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	ck_assert_ptr_null(kubeconfig_load(path, true, err, sizeof err));
	ck_assert_msg(strstr(err, ":4:14: token: expected a scalar, found a list"), "%s", err);
	ck_assert_msg(!strstr(err, "planted-secret"), "%s", err);
	unlink(path);
}
END_TEST

START_TEST(http_mapping)
{
	struct kubeconfig *kc = load("kubeconfig/certdata.yaml");
	struct kubeconfig_endpoint ep;
	struct http_options opts = {0};

	ck_assert_int_eq(kubeconfig_resolve(kc, NULL, NOW, &ep, err, sizeof err), 0);
	kubeconfig_http_options(&ep, &opts);
	ck_assert_str_eq(opts.base_url, "https://127.0.0.1:6445");
	ck_assert_ptr_eq(opts.tls.ca_data, ep.ca_data);
	ck_assert_uint_eq(opts.tls.ca_data_len, ep.ca_data_len);
	ck_assert_ptr_eq(opts.tls.cert_data, ep.cert_data);
	ck_assert_ptr_eq(opts.tls.key_data, ep.key_data);
	ck_assert_uint_eq(opts.tls.key_data_len, ep.key_data_len);
	ck_assert_ptr_null(opts.auth.bearer_token);
	ck_assert_ptr_null(opts.proxy_url); /* libcurl's environment handling */
	ck_assert(!opts.tls.insecure);
	kubeconfig_endpoint_clear(&ep);
	kubeconfig_free(kc);
}
END_TEST

/* Mutated kubeconfigs never crash the parser; each either loads or gives an
 * error naming the file. Seeded, so a failure repeats. */
START_TEST(mutations_are_handled)
{
	static const char *const names[] = {"kubeconfig/token.yaml", "kubeconfig/exec.yaml",
	                                    "kubeconfig/certdata.yaml"};
	static const char junk[] = ":-[]{}#&*!|>'\"%@ \n\t\\x0";
	char path[] = "/tmp/kc-mutant-XXXXXX", orig[8192], text[8192];
	unsigned seed = 12345;
	int fd = mkstemp(path);

	ck_assert(fd >= 0);
	close(fd);
	for (size_t f = 0; f < sizeof names / sizeof names[0]; f++) {
		FILE *in = fopen(unit_fixture(names[f]), "r");
		ck_assert_ptr_nonnull(in);
		size_t len = fread(orig, 1, sizeof orig - 1, in);
		fclose(in);
		for (int round = 0; round < 300; round++) {
			memcpy(text, orig, len);
			size_t n = len;
			for (int k = 0, edits = 1 + rand_r(&seed) % 4; k < edits; k++) {
				size_t at = (size_t)rand_r(&seed) % n;
				if (rand_r(&seed) % 3 == 0)
					n = at + 1; /* truncate */
				else
					text[at] = junk[(size_t)rand_r(&seed) % (sizeof junk - 1)];
			}
			FILE *out = fopen(path, "w");
			ck_assert_ptr_nonnull(out);
			fwrite(text, 1, n, out);
			fclose(out);
			struct kubeconfig *kc = kubeconfig_load(path, true, err, sizeof err);
			if (!kc) {
				ck_assert_msg(!strncmp(err, path, strlen(path)), "%s", err);
				continue;
			}
			/* Exec plugins are not run: a mutant could name any command. */
			for (size_t i = 0; f != 1 && i < kubeconfig_context_count(kc); i++) {
				struct kubeconfig_endpoint ep;
				const char *ctx = kubeconfig_context_name(kc, i);
				if (kubeconfig_resolve(kc, ctx, NOW, &ep, err, sizeof err) == 0)
					kubeconfig_endpoint_clear(&ep);
			}
			kubeconfig_free(kc);
		}
	}
	unlink(path);
}
END_TEST

/* Like kubectl, a kubeconfig may come through a pipe, as with
 * KUBECONFIG=<(...); a file over the limit is refused with the limit named. */
START_TEST(read_file_pipes_and_limits)
{
	static const char text[] = "apiVersion: v1\nkind: Config\n";
	char path[64], why[128];
	size_t len = 0;
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], text, sizeof text - 1), (ssize_t)(sizeof text - 1));
	close(fds[1]);
	snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
	char *got = kubeconfig_read_file(path, 1024, 2000, &len, why, sizeof why);
	close(fds[0]);
	ck_assert_msg(got != NULL, "%s", why);
	ck_assert_uint_eq(len, sizeof text - 1);
	ck_assert_str_eq(got, text);
	free(got);

	ck_assert_ptr_null(kubeconfig_read_file(unit_fixture("kubeconfig/merge-a.yaml"), 8, 0, &len,
	                                        why, sizeof why));
	ck_assert_str_eq(why, "larger than 8 bytes");
	ck_assert_ptr_null(
	        kubeconfig_read_file("/nonexistent/kubeconfig", 8, 0, &len, why, sizeof why));
	ck_assert_str_eq(why, "No such file or directory");

	/* Never a wait: a FIFO nobody writes, within the deadline; not at all
	 * where a regular file is wanted; a folder says so. */
	char fifo[] = "/tmp/peerscope-fifo-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(fifo));
	char fpath[64];
	snprintf(fpath, sizeof fpath, "%s/f", fifo);
	ck_assert_int_eq(mkfifo(fpath, 0600), 0);
	int64_t t0 = monotime_ms();
	ck_assert_ptr_null(kubeconfig_read_file(fpath, 1024, 300, &len, why, sizeof why));
	ck_assert_str_eq(why, "nothing arrived within 1 s (a pipe that did not end)");
	ck_assert_int_lt(monotime_ms() - t0, 2000);
	ck_assert_ptr_null(kubeconfig_read_file(fpath, 1024, 0, &len, why, sizeof why));
	ck_assert_str_eq(why, "is not a regular file (a FIFO or pipe)");
	ck_assert_ptr_null(kubeconfig_read_file(fifo, 1024, 0, &len, why, sizeof why));
	ck_assert_str_eq(why, "is a directory");
	unlink(fpath);
	rmdir(fifo);
}
END_TEST

static Suite *kubeconfig_suite(void)
{
	Suite *s = suite_create("kubeconfig");
	TCase *tc = tcase_create("matrix");

	tcase_add_test(tc, token_user);
	tcase_add_test(tc, token_file_user);
	tcase_add_test(tc, certificate_data);
	tcase_add_test(tc, certificate_files);
	tcase_add_test(tc, exec_plugin_token);
	tcase_add_test(tc, exec_plugin_shared_by_threads);
	tcase_add_test(tc, exec_plugin_cert);
	tcase_add_test(tc, exec_plugin_forget);
	tcase_add_test(tc, exec_plugin_failure);
	tcase_add_test(tc, merged_files);
	tcase_add_test(tc, missing_files);
	tcase_add_test(tc, bad_yaml);
	tcase_add_test(tc, dangling_references);
	tcase_add_test(tc, inline_errors_keep_secrets);
	tcase_add_test(tc, http_mapping);
	tcase_add_test(tc, mutations_are_handled);
	tcase_add_test(tc, read_file_pipes_and_limits);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(kubeconfig_suite)
