/* consul decoders on damaged input: every fixture cut at many lengths and
 * mutated at random (fixed seed) goes through every decoder. Each call must
 * either succeed or fail with a message, and leave nothing behind; run under
 * ASan or valgrind this finds overreads, leaks and crashes. */
#include "autoconfig.h"

#include "unit.h"

#include "peerscope/consul.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

typedef int (*decode_fn)(const char *json, size_t len, char *err, size_t errlen);

#define DECODER(name, type, call, clear)                                                           \
	static int name(const char *json, size_t len, char *err, size_t errlen)                    \
	{                                                                                          \
		type out;                                                                          \
		int rc = call;                                                                     \
		clear;                                                                             \
		return rc;                                                                         \
	}

DECODER(d_peerings, struct model_peering_list, consul_decode_peerings(json, len, &out, err, errlen),
        model_peering_list_free(&out))
DECODER(d_peering, struct model_peering, consul_decode_peering(json, len, &out, err, errlen),
        model_peering_clear(&out))
DECODER(d_self, struct model_cluster_identity,
        consul_decode_agent_self(json, len, &out, err, errlen), model_cluster_identity_clear(&out))
DECODER(d_exported_entry, struct model_exported_services_entry,
        consul_decode_exported_services_entry(json, len, &out, err, errlen),
        model_exported_services_entry_clear(&out))
DECODER(d_mesh, struct model_mesh_entry, consul_decode_mesh_entry(json, len, &out, err, errlen),
        model_mesh_entry_clear(&out))
DECODER(d_proxy, struct model_proxy_defaults_entry,
        consul_decode_proxy_defaults_entry(json, len, &out, err, errlen),
        model_proxy_defaults_entry_clear(&out))
DECODER(d_sd, struct model_service_defaults_entry,
        consul_decode_service_defaults_entry(json, len, &out, err, errlen),
        model_service_defaults_entry_clear(&out))
DECODER(d_health, struct model_instance_list,
        consul_decode_health_service(json, len, &out, err, errlen), model_instance_list_free(&out))
DECODER(d_ui, struct model_service_summary_list,
        consul_decode_ui_services(json, len, &out, err, errlen),
        model_service_summary_list_free(&out))
DECODER(d_ui_exported, struct model_exported_service_list,
        consul_decode_ui_exported_services(json, len, "p", &out, err, errlen),
        model_exported_service_list_free(&out))
DECODER(d_exported, struct model_exported_service_list,
        consul_decode_exported_services(json, len, &out, err, errlen),
        model_exported_service_list_free(&out))
DECODER(d_imported, struct model_imported_service_list,
        consul_decode_imported_services(json, len, &out, err, errlen),
        model_imported_service_list_free(&out))
DECODER(d_acl, struct model_acl_token, consul_decode_acl_token(json, len, &out, err, errlen),
        model_acl_token_clear(&out))

static int d_leader(const char *json, size_t len, char *err, size_t errlen)
{
	char *out = NULL;
	int rc = consul_decode_leader(json, len, &out, err, errlen);
	free(out);
	return rc;
}

static int d_version(const char *json, size_t len, char *err, size_t errlen)
{
	struct model_cluster_identity out = {0};
	int rc = consul_decode_agent_version(json, len, &out, err, errlen);
	model_cluster_identity_clear(&out);
	return rc;
}

static int d_sd_list(const char *json, size_t len, char *err, size_t errlen)
{
	struct model_service_defaults_entry *v = NULL;
	size_t n = 0;
	int rc = consul_decode_service_defaults_list(json, len, &v, &n, err, errlen);
	consul_service_defaults_list_free(v, n);
	return rc;
}

static int d_authorize(const char *json, size_t len, char *err, size_t errlen)
{
	char r[] = "peering", s[] = "", a[] = "read";
	struct model_acl_check c[3] = {{r, s, a, false}, {r, s, a, false}, {r, s, a, false}};
	return consul_decode_authorize(json, len, c, 3, err, errlen);
}

/* The token decoder takes a NUL-terminated string. */
static int d_token(const char *json, size_t len, char *err, size_t errlen)
{
	struct model_token_summary t;
	char *s = strndup(json, len);
	int rc;

	ck_assert_ptr_nonnull(s);
	rc = consul_decode_peering_token(s, &t, err, errlen);
	model_token_summary_clear(&t);
	free(s);
	return rc;
}

static const decode_fn decoders[] = {
        d_peerings,    d_peering,  d_self,     d_version, d_leader,    d_exported_entry,
        d_mesh,        d_proxy,    d_sd,       d_sd_list, d_health,    d_ui,
        d_ui_exported, d_exported, d_imported, d_acl,     d_authorize, d_token,
};

static size_t runs;

/* Every decoder on buf[0..len): 0, or -1 with a message. The buffer is
 * copied to an exact-size allocation so that ASan sees any overread. */
static void all_decoders(const char *buf, size_t len)
{
	char *copy = malloc(len ? len : 1), err[512];

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, buf, len);
	for (size_t i = 0; i < sizeof decoders / sizeof decoders[0]; i++) {
		err[0] = '\0';
		int rc = decoders[i](copy, len, err, sizeof err);
		ck_assert_msg(rc == 0 || (rc == -1 && err[0]), "decoder %zu: rc=%d err=\"%s\"", i,
		              rc, err);
		runs++;
	}
	free(copy);
}

/* Calls fn on each fixture of tests/fixtures/consul. */
static void each_fixture(void (*fn)(const char *name, const char *buf, size_t len))
{
	char dir[4096], path[8192];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof dir, "%s", unit_fixture("consul"));
	d = opendir(dir);
	ck_assert_msg(d != NULL, "cannot open %s", dir);
	while ((de = readdir(d))) {
		size_t len;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		char *buf = unit_slurp(path, &len);
		fn(de->d_name, buf, len);
		free(buf);
		n++;
	}
	closedir(d);
	ck_assert_int_ge(n, 20);
}

static void cut_everywhere(const char *name, const char *buf, size_t len)
{
	size_t step = len > 1200 ? 3 : 1;

	(void)name;
	for (size_t cut = 0; cut <= len; cut += step)
		all_decoders(buf, cut);
}

START_TEST(truncated_everywhere)
{
	runs = 0;
	each_fixture(cut_everywhere);
	ck_assert_uint_gt(runs, 10000);
}
END_TEST

static uint64_t rng = 0x2545F4914F6CDD1DULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void mutate(const char *name, const char *buf, size_t len)
{
	static const char alphabet[] = "{}[]\":,\\0123456789.eE-+ntfaulrs \x80\xff\xc3\x00";
	char *m = malloc(len + 1);

	(void)name;
	ck_assert_ptr_nonnull(m);
	for (int round = 0; round < 150 && len; round++) {
		memcpy(m, buf, len);
		int edits = 1 + (int)(next_rand() % 4);
		for (int e = 0; e < edits; e++)
			m[next_rand() % len] = alphabet[next_rand() % (sizeof alphabet - 1)];
		all_decoders(m, len);
	}
	free(m);
}

START_TEST(mutated)
{
	runs = 0;
	each_fixture(mutate);
	ck_assert_uint_gt(runs, 50000);
}
END_TEST

START_TEST(deep_nesting)
{
	size_t n = 100000;
	char *deep = malloc(2 * n + 1);

	ck_assert_ptr_nonnull(deep);
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	all_decoders(deep, 2 * n);
	memset(deep, '{', n);
	all_decoders(deep, n);
	free(deep);
}
END_TEST

static Suite *robust_suite(void)
{
	Suite *s = suite_create("consul_robust");
	TCase *tc = tcase_create("robust");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, truncated_everywhere);
	tcase_add_test(tc, mutated);
	tcase_add_test(tc, deep_nesting);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(robust_suite)
