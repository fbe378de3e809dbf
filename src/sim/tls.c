/* peerscope-sim: certificates made at start with GnuTLS — the CA and server
 * certificate of --tls, and each cluster's Connect CA that peering tokens
 * carry. Keys are ECDSA P-256; nothing is written to disk but the CA. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"

#define TEN_YEARS (10L * 365 * 24 * 3600)

/* The PEM text an export2 call (status RC) left in D, as a malloc'd string. */
static char *pem_text(int rc, gnutls_datum_t *d)
{
	char *out;

	if (rc < 0)
		return NULL;
	out = strndup((const char *)d->data, d->size);
	gnutls_free(d->data);
	return out;
}

static char *export_crt(gnutls_x509_crt_t crt)
{
	gnutls_datum_t d = {NULL, 0};
	int rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d);

	return pem_text(rc, &d);
}

static char *export_key(gnutls_x509_privkey_t key)
{
	gnutls_datum_t d = {NULL, 0};
	int rc = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d);

	return pem_text(rc, &d);
}

/* A certificate for KEY with common name CN and a random serial, valid
 * from an hour ago for ten years. */
static int crt_base(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, const char *cn, bool ca)
{
	unsigned char serial[16];
	time_t now = time(NULL);

	if (gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial) < 0)
		return -1;
	serial[0] &= 0x7f; /* positive */
	if (gnutls_x509_crt_set_version(crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(crt, serial, sizeof serial) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, now - 3600) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, now + TEN_YEARS) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn, strlen(cn)) <
	            0 ||
	    gnutls_x509_crt_set_key(crt, key) < 0 ||
	    gnutls_x509_crt_set_basic_constraints(crt, ca ? 1 : 0, -1) < 0)
		return -1;
	unsigned usage = ca ? GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN
	                    : GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_ENCIPHERMENT;
	if (gnutls_x509_crt_set_key_usage(crt, usage) < 0)
		return -1;
	unsigned char id[64];
	size_t idlen = sizeof id;
	if (gnutls_x509_crt_get_key_id(crt, 0, id, &idlen) < 0 ||
	    gnutls_x509_crt_set_subject_key_id(crt, id, idlen) < 0)
		return -1;
	return 0;
}

static int add_san(gnutls_x509_crt_t crt, const char *host)
{
	unsigned char ip[16];

	if (inet_pton(AF_INET, host, ip) == 1)
		return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 4,
		                                            GNUTLS_FSAN_APPEND);
	if (inet_pton(AF_INET6, host, ip) == 1)
		return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 16,
		                                            GNUTLS_FSAN_APPEND);
	return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, host,
	                                            (unsigned)strlen(host), GNUTLS_FSAN_APPEND);
}

static int add_sans(gnutls_x509_crt_t crt, const char *hosts)
{
	char *copy = strdup(hosts), *save = NULL;
	int rc = 0;

	if (!copy)
		return -1;
	for (char *h = strtok_r(copy, ",", &save); h && rc >= 0; h = strtok_r(NULL, ",", &save))
		rc = add_san(crt, h);
	free(copy);
	return rc < 0 ? -1 : 0;
}

int sim_tls_generate(struct sim_tls *t, const char *hosts, char *err, size_t errlen)
{
	gnutls_x509_privkey_t cakey = NULL, key = NULL;
	gnutls_x509_crt_t ca = NULL, crt = NULL;
	int rc = -1;
	unsigned char caid[64];
	size_t caidlen = sizeof caid;

	memset(t, 0, sizeof *t);
	if (gnutls_x509_privkey_init(&cakey) < 0 || gnutls_x509_privkey_init(&key) < 0 ||
	    gnutls_x509_crt_init(&ca) < 0 || gnutls_x509_crt_init(&crt) < 0)
		goto out;
	if (gnutls_x509_privkey_generate(cakey, GNUTLS_PK_ECDSA,
	                                 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
	    gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	                                 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0)
		goto out;
	if (crt_base(ca, cakey, "peerscope-sim CA", true) < 0 ||
	    gnutls_x509_crt_sign2(ca, ca, cakey, GNUTLS_DIG_SHA256, 0) < 0)
		goto out;
	if (crt_base(crt, key, "server.dc1.consul", false) < 0 || add_sans(crt, hosts) < 0 ||
	    gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0) < 0 ||
	    gnutls_x509_crt_get_subject_key_id(ca, caid, &caidlen, NULL) < 0 ||
	    gnutls_x509_crt_set_authority_key_id(crt, caid, caidlen) < 0 ||
	    gnutls_x509_crt_sign2(crt, ca, cakey, GNUTLS_DIG_SHA256, 0) < 0)
		goto out;
	t->ca_pem = export_crt(ca);
	t->cert_pem = export_crt(crt);
	t->key_pem = export_key(key);
	if (t->ca_pem && t->cert_pem && t->key_pem)
		rc = 0;
out:
	if (rc < 0) {
		snprintf(err, errlen, "cannot make the TLS certificates with GnuTLS");
		sim_tls_free(t);
	}
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (ca)
		gnutls_x509_crt_deinit(ca);
	if (key)
		gnutls_x509_privkey_deinit(key);
	if (cakey)
		gnutls_x509_privkey_deinit(cakey);
	return rc;
}

char *sim_tls_connect_ca(const char *trust_domain)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	char *pem = NULL, uri[128], cn[160];

	snprintf(uri, sizeof uri, "spiffe://%s", trust_domain);
	snprintf(cn, sizeof cn, "pri-%.8s.consul.ca.%.8s.consul", trust_domain, trust_domain);
	if (gnutls_x509_privkey_init(&key) < 0 || gnutls_x509_crt_init(&crt) < 0)
		goto out;
	if (gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	                                 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
	    crt_base(crt, key, cn, true) < 0 ||
	    gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_URI, uri, (unsigned)strlen(uri),
	                                         GNUTLS_FSAN_APPEND) < 0 ||
	    gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0)
		goto out;
	pem = export_crt(crt);
out:
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	return pem;
}

void sim_tls_free(struct sim_tls *t)
{
	free(t->ca_pem);
	free(t->cert_pem);
	free(t->key_pem);
	memset(t, 0, sizeof *t);
}
