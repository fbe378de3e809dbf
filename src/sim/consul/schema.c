/* peerscope-sim, Consul half: config entries decoded as Consul decodes
 * them and written back as Consul encodes them.
 *
 * Consul's agent/structs/config_entry.go DecodeConfigEntry runs mapstructure
 * over the request: keys match a field's name without regard to case or
 * one of its `alias` tags (snake_case), values are converted weakly (a
 * string for a number or a boolean), and what matches no field is refused
 * by validateUnusedKeys (config_entry_ce.go) as `invalid config key "K"`,
 * nested keys by their path ("Peering.Foo", "Services[0].Bar"). Reads are
 * the structs' JSON: canonical PascalCase names in the struct's order,
 * structs always present, `omitempty` fields only when set
 * (config_entry.go, config_entry_mesh.go, config_entry_exports.go).
 *
 * The tables below cover the kinds peerscope reads and writes; deep,
 * rarely used members (EnvoyExtensions, RateLimits, Limits ...) are taken
 * as given. Kinds without a table are stored as given. */
#include "autoconfig.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "simc.h"

enum sk {
	SK_STR,
	SK_BOOL,
	SK_INT,
	SK_DUR,     /* a Go duration: "10s" or nanoseconds; written as nanoseconds */
	SK_ANY,     /* interface{} or a member taken as given */
	SK_MAP,     /* map[string]...: any keys */
	SK_OBJ,     /* a struct value: always written */
	SK_PTR,     /* a pointer to a struct: written when set */
	SK_ARR_STR, /* []string */
	SK_ARR_OBJ, /* []struct */
	SK_ENT,     /* acl.EnterpriseMeta, squashed: Partition and Namespace (ENT) */
};

struct sfield {
	const char *name;
	const char *alias;
	enum sk kind;
	bool omitempty;
	const struct sfield *sub; /* SK_OBJ, SK_PTR, SK_ARR_OBJ */
};

#define END                                                                                        \
	{                                                                                          \
		NULL, NULL, SK_STR, false, NULL                                                    \
	}

static const struct sfield mgw[] = {{"Mode", NULL, SK_STR, true, NULL}, END};

static const struct sfield tproxy[] = {
        {"OutboundListenerPort", "outbound_listener_port", SK_INT, true, NULL},
        {"DialedDirectly", "dialed_directly", SK_BOOL, true, NULL},
        END};

static const struct sfield expose_path[] = {
        {"ListenerPort", "listener_port", SK_INT, true, NULL},
        {"Path", NULL, SK_STR, true, NULL},
        {"LocalPathPort", "local_path_port", SK_INT, true, NULL},
        {"Protocol", NULL, SK_STR, true, NULL},
        {"ParsedFromCheck", "parsed_from_check", SK_BOOL, true, NULL},
        END};

static const struct sfield expose[] = {
        {"Checks", NULL, SK_BOOL, true, NULL}, {"Paths", NULL, SK_ARR_OBJ, true, expose_path}, END};

static const struct sfield access_logs[] = {
        {"Enabled", NULL, SK_BOOL, true, NULL},
        {"DisableListenerLogs", "disable_listener_logs", SK_BOOL, true, NULL},
        {"Type", NULL, SK_STR, true, NULL},
        {"Path", NULL, SK_STR, true, NULL},
        {"JSONFormat", "json_format", SK_STR, true, NULL},
        {"TextFormat", "text_format", SK_STR, true, NULL},
        END};

static const struct sfield passive_hc[] = {
        {"Interval", NULL, SK_DUR, true, NULL},
        {"MaxFailures", "max_failures", SK_INT, true, NULL},
        {"EnforcingConsecutive5xx", "enforcing_consecutive_5xx", SK_ANY, true, NULL},
        {"MaxEjectionPercent", "max_ejection_percent", SK_ANY, true, NULL},
        {"BaseEjectionTime", "base_ejection_time", SK_ANY, true, NULL},
        END};

/* UpstreamConfig: Name and the squashed EnterpriseMeta, then Peer, which
 * has no omitempty. */
static const struct sfield upstream[] = {
        {"Name", NULL, SK_STR, true, NULL},
        {"", NULL, SK_ENT, true, NULL},
        {"Peer", NULL, SK_STR, false, NULL},
        {"EnvoyListenerJSON", "envoy_listener_json", SK_STR, true, NULL},
        {"EnvoyClusterJSON", "envoy_cluster_json", SK_STR, true, NULL},
        {"Protocol", NULL, SK_STR, true, NULL},
        {"ConnectTimeoutMs", "connect_timeout_ms", SK_INT, true, NULL},
        {"Limits", NULL, SK_ANY, true, NULL},
        {"PassiveHealthCheck", "passive_health_check", SK_PTR, true, passive_hc},
        {"MeshGateway", "mesh_gateway", SK_OBJ, true, mgw},
        {"BalanceOutboundConnections", "balance_outbound_connections", SK_STR, true, NULL},
        END};

static const struct sfield upstream_conf[] = {{"Overrides", NULL, SK_ARR_OBJ, true, upstream},
                                              {"Defaults", NULL, SK_PTR, true, upstream},
                                              END};

static const struct sfield destination[] = {
        {"Addresses", NULL, SK_ARR_STR, true, NULL}, {"Port", NULL, SK_INT, true, NULL}, END};

static const struct sfield service_defaults[] = {
        {"Name", NULL, SK_STR, false, NULL},
        {"Protocol", NULL, SK_STR, false, NULL},
        {"Mode", NULL, SK_STR, true, NULL},
        {"TransparentProxy", "transparent_proxy", SK_OBJ, true, tproxy},
        {"MutualTLSMode", "mutual_tls_mode", SK_STR, true, NULL},
        {"MeshGateway", "mesh_gateway", SK_OBJ, true, mgw},
        {"Expose", NULL, SK_OBJ, true, expose},
        {"ExternalSNI", "external_sni", SK_STR, true, NULL},
        {"UpstreamConfig", "upstream_config", SK_PTR, true, upstream_conf},
        {"Destination", NULL, SK_PTR, true, destination},
        {"MaxInboundConnections", "max_inbound_connections", SK_INT, true, NULL},
        {"LocalConnectTimeoutMs", "local_connect_timeout_ms", SK_INT, true, NULL},
        {"LocalRequestTimeoutMs", "local_request_timeout_ms", SK_INT, true, NULL},
        {"BalanceInboundConnections", "balance_inbound_connections", SK_STR, true, NULL},
        {"RateLimits", "rate_limits", SK_ANY, true, NULL},
        {"EnvoyExtensions", "envoy_extensions", SK_ANY, true, NULL},
        {"Meta", NULL, SK_MAP, true, NULL},
        {"", NULL, SK_ENT, true, NULL},
        END};

static const struct sfield proxy_defaults[] = {
        {"Name", NULL, SK_STR, false, NULL},
        {"Config", NULL, SK_MAP, false, NULL},
        {"Mode", NULL, SK_STR, true, NULL},
        {"TransparentProxy", "transparent_proxy", SK_OBJ, true, tproxy},
        {"MutualTLSMode", "mutual_tls_mode", SK_STR, true, NULL},
        {"MeshGateway", "mesh_gateway", SK_OBJ, true, mgw},
        {"Expose", NULL, SK_OBJ, true, expose},
        {"AccessLogs", "access_logs", SK_OBJ, true, access_logs},
        {"EnvoyExtensions", "envoy_extensions", SK_ANY, true, NULL},
        {"FailoverPolicy", "failover_policy", SK_ANY, true, NULL},
        {"PrioritizeByLocality", "prioritize_by_locality", SK_ANY, true, NULL},
        {"Meta", NULL, SK_MAP, true, NULL},
        {"", NULL, SK_ENT, true, NULL},
        END};

static const struct sfield tls_dir[] = {{"TLSMinVersion", "tls_min_version", SK_STR, true, NULL},
                                        {"TLSMaxVersion", "tls_max_version", SK_STR, true, NULL},
                                        {"CipherSuites", "cipher_suites", SK_ARR_STR, true, NULL},
                                        END};

static const struct sfield mesh_tls[] = {
        {"Incoming", NULL, SK_PTR, true, tls_dir}, {"Outgoing", NULL, SK_PTR, true, tls_dir}, END};

static const struct sfield req_norm[] = {
        {"InsecureDisablePathNormalization", "insecure_disable_path_normalization", SK_BOOL, true,
         NULL},
        {"MergeSlashes", "merge_slashes", SK_BOOL, true, NULL},
        {"PathWithEscapedSlashesAction", "path_with_escaped_slashes_action", SK_STR, true, NULL},
        {"HeadersWithUnderscoresAction", "headers_with_underscores_action", SK_STR, true, NULL},
        END};

static const struct sfield http_dir[] = {
        {"RequestNormalization", "request_normalization", SK_PTR, true, req_norm}, END};

static const struct sfield mesh_http[] = {
        {"SanitizeXForwardedClientCert", "sanitize_x_forwarded_client_cert", SK_BOOL, false, NULL},
        {"Incoming", NULL, SK_PTR, true, http_dir},
        END};

static const struct sfield mesh_peering[] = {
        {"PeerThroughMeshGateways", "peer_through_mesh_gateways", SK_BOOL, true, NULL}, END};

static const struct sfield mesh_tproxy[] = {
        {"MeshDestinationsOnly", "mesh_destinations_only", SK_BOOL, false, NULL}, END};

/* MeshConfigEntry has no Name: the entry is always "mesh". */
static const struct sfield mesh[] = {
        {"TransparentProxy", "transparent_proxy", SK_OBJ, false, mesh_tproxy},
        {"AllowEnablingPermissiveMutualTLS", "allow_enabling_permissive_mutual_tls", SK_BOOL, true,
         NULL},
        {"ValidateClusters", "validate_clusters", SK_BOOL, true, NULL},
        {"TLS", NULL, SK_PTR, true, mesh_tls},
        {"HTTP", NULL, SK_PTR, true, mesh_http},
        {"Peering", NULL, SK_PTR, true, mesh_peering},
        {"Meta", NULL, SK_MAP, true, NULL},
        {"", NULL, SK_ENT, true, NULL},
        END};

static const struct sfield consumer[] = {{"Partition", NULL, SK_STR, true, NULL},
                                         {"Peer", "peer_name", SK_STR, true, NULL},
                                         {"SamenessGroup", "sameness_group", SK_STR, true, NULL},
                                         END};

static const struct sfield exported[] = {{"Name", NULL, SK_STR, false, NULL},
                                         {"Namespace", NULL, SK_STR, true, NULL},
                                         {"Consumers", NULL, SK_ARR_OBJ, false, consumer},
                                         END};

static const struct sfield exports[] = {{"Name", NULL, SK_STR, false, NULL},
                                        {"Services", NULL, SK_ARR_OBJ, true, exported},
                                        {"Meta", NULL, SK_MAP, true, NULL},
                                        {"", NULL, SK_ENT, true, NULL},
                                        END};

static const struct sfield intention_perm_http_header[] = {
        {"Name", NULL, SK_STR, false, NULL},
        {"Present", NULL, SK_BOOL, true, NULL},
        {"Exact", NULL, SK_STR, true, NULL},
        {"Prefix", NULL, SK_STR, true, NULL},
        {"Suffix", NULL, SK_STR, true, NULL},
        {"Contains", NULL, SK_STR, true, NULL},
        {"Regex", NULL, SK_STR, true, NULL},
        {"Invert", NULL, SK_BOOL, true, NULL},
        {"IgnoreCase", "ignore_case", SK_BOOL, true, NULL},
        END};

static const struct sfield intention_perm_http[] = {
        {"PathExact", "path_exact", SK_STR, true, NULL},
        {"PathPrefix", "path_prefix", SK_STR, true, NULL},
        {"PathRegex", "path_regex", SK_STR, true, NULL},
        {"Header", NULL, SK_ARR_OBJ, true, intention_perm_http_header},
        {"Methods", NULL, SK_ARR_STR, true, NULL},
        END};

static const struct sfield intention_perm[] = {{"Action", NULL, SK_STR, false, NULL},
                                               {"HTTP", NULL, SK_PTR, false, intention_perm_http},
                                               {"JWT", NULL, SK_ANY, true, NULL},
                                               END};

/* SourceIntention (agent/structs/config_entry_intentions.go): the
 * squashed EnterpriseMeta, Peer and SamenessGroup. */
static const struct sfield intention_source[] = {
        {"Name", NULL, SK_STR, false, NULL},
        {"", NULL, SK_ENT, true, NULL},
        {"Peer", NULL, SK_STR, true, NULL},
        {"SamenessGroup", "sameness_group", SK_STR, true, NULL},
        {"Action", NULL, SK_STR, true, NULL},
        {"Permissions", NULL, SK_ARR_OBJ, true, intention_perm},
        {"Precedence", NULL, SK_INT, false, NULL},
        {"LegacyID", "legacy_id", SK_STR, true, NULL},
        {"Type", NULL, SK_STR, false, NULL},
        {"Description", NULL, SK_STR, true, NULL},
        {"LegacyMeta", "legacy_meta", SK_MAP, true, NULL},
        {"LegacyCreateTime", "legacy_create_time", SK_ANY, true, NULL},
        {"LegacyUpdateTime", "legacy_update_time", SK_ANY, true, NULL},
        END};

static const struct sfield intentions[] = {
        {"Name", NULL, SK_STR, false, NULL}, {"Sources", NULL, SK_ARR_OBJ, false, intention_source},
        {"JWT", NULL, SK_ANY, true, NULL},   {"Meta", NULL, SK_MAP, true, NULL},
        {"", NULL, SK_ENT, true, NULL},      END};

static const struct {
	const char *kind;
	const struct sfield *fields;
} schemas[] = {
        {"service-defaults", service_defaults}, {"proxy-defaults", proxy_defaults}, {"mesh", mesh},
        {"exported-services", exports},         {"service-intentions", intentions},
};

/* ------------------------------------------------------------ decode */

struct dec {
	bool ent;
	char unused[16][200];
	int nunused;
	char type_err[256];
};

static const struct sfield *match(const struct sfield *fs, const char *key, bool ent)
{
	for (const struct sfield *f = fs; f->name; f++) {
		if (f->kind == SK_ENT) {
			if (ent && (!strcasecmp(key, "Partition") || !strcasecmp(key, "Namespace")))
				return f;
			continue;
		}
		if (!strcasecmp(key, f->name) || (f->alias && !strcasecmp(key, f->alias)))
			return f;
	}
	return NULL;
}

static const char *json_type(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "string";
	if (cJSON_IsNumber(v))
		return "float64";
	if (cJSON_IsBool(v))
		return "bool";
	if (cJSON_IsArray(v))
		return "[]interface {}";
	if (cJSON_IsObject(v))
		return "map[string]interface {}";
	return "<nil>";
}

static void type_error(struct dec *d, const char *path, const char *want, const cJSON *v)
{
	if (!d->type_err[0])
		snprintf(
		        d->type_err, sizeof d->type_err,
		        "1 error(s) decoding:\n\n* '%s' expected type '%s', got unconvertible type "
		        "'%s'",
		        path, want, json_type(v));
}

static cJSON *decode_obj(struct dec *d, const cJSON *in, const struct sfield *fs, const char *path,
                         bool top);

/* One value of field F at PATH, converted weakly; NULL when absent. */
static cJSON *decode_value(struct dec *d, const struct sfield *f, const cJSON *v, const char *path)
{
	char buf[64];

	if (cJSON_IsNull(v))
		return NULL;
	switch (f->kind) {
	case SK_STR:
	case SK_ENT:
		if (cJSON_IsString(v))
			return cJSON_CreateString(v->valuestring);
		if (cJSON_IsBool(v))
			return cJSON_CreateString(cJSON_IsTrue(v) ? "1" : "0");
		if (cJSON_IsNumber(v)) {
			snprintf(buf, sizeof buf, "%.17g", v->valuedouble);
			return cJSON_CreateString(buf);
		}
		type_error(d, path, "string", v);
		return NULL;
	case SK_BOOL:
		if (cJSON_IsBool(v))
			return cJSON_CreateBool(cJSON_IsTrue(v));
		if (cJSON_IsNumber(v))
			return cJSON_CreateBool(v->valuedouble != 0);
		if (cJSON_IsString(v)) {
			const char *s = v->valuestring;
			if (!*s || !strcmp(s, "0") || !strcasecmp(s, "false") || !strcmp(s, "f"))
				return cJSON_CreateBool(false);
			if (!strcmp(s, "1") || !strcasecmp(s, "true") || !strcmp(s, "t"))
				return cJSON_CreateBool(true);
		}
		type_error(d, path, "bool", v);
		return NULL;
	case SK_INT:
		if (cJSON_IsNumber(v))
			return cJSON_CreateNumber(trunc(v->valuedouble));
		if (cJSON_IsBool(v))
			return cJSON_CreateNumber(cJSON_IsTrue(v) ? 1 : 0);
		if (cJSON_IsString(v)) {
			char *end;
			long long n = strtoll(v->valuestring, &end, 0);
			if (*v->valuestring && !*end)
				return cJSON_CreateNumber((double)n);
		}
		type_error(d, path, "int", v);
		return NULL;
	case SK_DUR:
		if (cJSON_IsNumber(v))
			return cJSON_CreateNumber(v->valuedouble);
		if (cJSON_IsString(v)) {
			int64_t ms = sim_parse_duration_ms(v->valuestring);
			if (ms >= 0)
				return cJSON_CreateNumber((double)ms * 1e6);
		}
		type_error(d, path, "time.Duration", v);
		return NULL;
	case SK_ANY:
		return cJSON_Duplicate(v, true);
	case SK_MAP:
		if (cJSON_IsObject(v))
			return cJSON_Duplicate(v, true);
		type_error(d, path, "map[string]interface {}", v);
		return NULL;
	case SK_OBJ:
	case SK_PTR:
		if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 1)
			v = v->child; /* HookWeakDecodeFromSlice: HCL's one-element lists */
		if (cJSON_IsObject(v))
			return decode_obj(d, v, f->sub, path, false);
		type_error(d, path, "struct", v);
		return NULL;
	case SK_ARR_STR:
	case SK_ARR_OBJ: {
		if (!cJSON_IsArray(v)) {
			type_error(d, path, "slice", v);
			return NULL;
		}
		cJSON *arr = cJSON_CreateArray(), *it;
		int i = 0;
		struct sfield elem = {f->name, NULL, f->kind == SK_ARR_STR ? SK_STR : SK_PTR, false,
		                      f->sub};
		cJSON_ArrayForEach(it, v)
		{
			char p[200];
			snprintf(p, sizeof p, "%s[%d]", path, i++);
			cJSON *e = decode_value(d, &elem, it, p);
			cJSON_AddItemToArray(arr, e ? e : cJSON_CreateNull());
		}
		return arr;
	}
	}
	return NULL;
}

static bool is_zero(const cJSON *v)
{
	return !v || cJSON_IsNull(v) || cJSON_IsFalse(v) ||
	       (cJSON_IsString(v) && !*v->valuestring) ||
	       (cJSON_IsNumber(v) && v->valuedouble == 0) ||
	       ((cJSON_IsArray(v) || cJSON_IsObject(v)) && !v->child);
}

/* Decodes IN by FS; writes the canonical object in the struct's order. */
static cJSON *decode_obj(struct dec *d, const cJSON *in, const struct sfield *fs, const char *path,
                         bool top)
{
	cJSON *vals[64] = {0}, *ent_part = NULL, *ent_ns = NULL;
	const cJSON *it;
	int n = 0;

	while (n < 64 && fs[n].name)
		n++;
	cJSON_ArrayForEach(it, in)
	{
		char p[200];
		const struct sfield *f = match(fs, it->string, d->ent);
		if (top && (!strcmp(it->string, "Kind") || !strcmp(it->string, "kind") ||
		            !strcmp(it->string, "CreateIndex") ||
		            !strcmp(it->string, "ModifyIndex") || !strcasecmp(it->string, "Hash")))
			continue;
		snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", it->string);
		if (!f) {
			if (d->nunused < 16)
				snprintf(d->unused[d->nunused++], sizeof d->unused[0], "%s", p);
			continue;
		}
		cJSON *v = decode_value(d, f, it, p);
		if (f->kind == SK_ENT) {
			cJSON **slot = !strcasecmp(it->string, "Partition") ? &ent_part : &ent_ns;
			cJSON_Delete(*slot);
			*slot = v;
			continue;
		}
		int k = (int)(f - fs);
		cJSON_Delete(vals[k]);
		vals[k] = v;
	}
	cJSON *out = cJSON_CreateObject();
	for (int k = 0; out && k < n; k++) {
		const struct sfield *f = &fs[k];
		cJSON *v = vals[k];
		vals[k] = NULL;
		if (f->kind == SK_ENT) {
			if (ent_part && *cJSON_GetStringValue(ent_part))
				cJSON_AddItemToObject(out, "Partition", ent_part);
			else
				cJSON_Delete(ent_part);
			if (ent_ns && *cJSON_GetStringValue(ent_ns))
				cJSON_AddItemToObject(out, "Namespace", ent_ns);
			else
				cJSON_Delete(ent_ns);
			ent_part = ent_ns = NULL;
			continue;
		}
		if (f->kind == SK_OBJ && !v)
			v = decode_obj(d, NULL, f->sub, "", false);
		if (f->kind == SK_PTR && !v)
			continue;
		if (!v && !f->omitempty) {
			switch (f->kind) {
			case SK_STR:
				v = cJSON_CreateString("");
				break;
			case SK_BOOL:
				v = cJSON_CreateFalse();
				break;
			case SK_INT:
			case SK_DUR:
				v = cJSON_CreateNumber(0);
				break;
			default:
				v = cJSON_CreateNull();
			}
		}
		if (!v || (f->omitempty && f->kind != SK_OBJ && is_zero(v))) {
			cJSON_Delete(v);
			continue;
		}
		cJSON_AddItemToObject(out, f->name, v);
	}
	for (int k = 0; k < n; k++)
		cJSON_Delete(vals[k]);
	cJSON_Delete(ent_part);
	cJSON_Delete(ent_ns);
	return out;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

cJSON *simc_entry_decode(const cJSON *in, const char *kind, bool enterprise, char *err, size_t len)
{
	const struct sfield *fs = NULL;
	struct dec d = {.ent = enterprise};

	for (size_t i = 0; i < sizeof schemas / sizeof schemas[0]; i++)
		if (!strcmp(schemas[i].kind, kind))
			fs = schemas[i].fields;
	if (!fs) {
		cJSON *o = cJSON_Duplicate(in, true);
		cJSON_DeleteItemFromObjectCaseSensitive(o, "Kind");
		cJSON_DeleteItemFromObjectCaseSensitive(o, "kind");
		cJSON_DeleteItemFromObjectCaseSensitive(o, "CreateIndex");
		cJSON_DeleteItemFromObjectCaseSensitive(o, "ModifyIndex");
		cJSON_DeleteItemFromObjectCaseSensitive(o, "Hash");
		if (o)
			cJSON_AddItemToObject(o, "Kind", cJSON_CreateString(kind));
		return o;
	}
	cJSON *body = decode_obj(&d, in, fs, "", true);
	if (d.type_err[0]) {
		snprintf(err, len, "%s", d.type_err);
		cJSON_Delete(body);
		return NULL;
	}
	if (d.nunused) {
		/* Go's multierror; the order is the simulator's (sorted). */
		size_t off = 0;
		qsort(d.unused, (size_t)d.nunused, sizeof d.unused[0], cmp_str);
		off += (size_t)snprintf(err + off, len - off, "%d error%s occurred:\n", d.nunused,
		                        d.nunused == 1 ? "" : "s");
		for (int i = 0; i < d.nunused && off < len; i++) {
			const char *k = d.unused[i];
			size_t kl = strlen(k);
			bool ns = kl >= 9 && !strcasecmp(k + kl - 9, "namespace");
			off += (size_t)snprintf(
			        err + off, len - off, "\t* invalid config key \"%s\"%s\n", k,
			        ns ? ", namespaces are a consul enterprise feature" : "");
		}
		if (off < len)
			snprintf(err + off, len - off, "\n");
		cJSON_Delete(body);
		return NULL;
	}
	/* Kind first, as the structs' MarshalJSON writes it. */
	cJSON *out = cJSON_CreateObject();
	if (!out || !body) {
		cJSON_Delete(out);
		cJSON_Delete(body);
		return NULL;
	}
	cJSON_AddStringToObject(out, "Kind", kind);
	while (body->child) {
		cJSON *it = cJSON_DetachItemViaPointer(body, body->child);
		cJSON_AddItemToObject(out, it->string, it);
	}
	cJSON_Delete(body);
	return out;
}

/* ServiceIntentionsConfigEntry.Normalize (agent/structs/config_entry_intentions.go):
 * each source's Type is "consul", its Precedence computed from how exact
 * the destination and the source are (9 down to 8 for an exact destination,
 * 6 down to 5 for "*"), HTTP methods upper-cased, and the sources sorted by
 * precedence, highest first (stable). */
void simc_intentions_normalize(cJSON *entry)
{
	const char *dest = cJSON_GetStringValue(cJSON_GetObjectItem(entry, "Name"));
	cJSON *srcs = cJSON_GetObjectItem(entry, "Sources"), *src;
	int max = dest && !strcmp(dest, "*") ? 6 : 9;

	cJSON_ArrayForEach(src, srcs)
	{
		const char *sn = cJSON_GetStringValue(cJSON_GetObjectItem(src, "Name"));
		int prec = max - (sn && !strcmp(sn, "*") ? 1 : 0);
		if (cJSON_GetObjectItem(src, "Precedence"))
			cJSON_ReplaceItemInObject(src, "Precedence", cJSON_CreateNumber(prec));
		else
			cJSON_AddNumberToObject(src, "Precedence", prec);
		const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(src, "Type"));
		if (!type || !*type) {
			if (cJSON_GetObjectItem(src, "Type"))
				cJSON_ReplaceItemInObject(src, "Type",
				                          cJSON_CreateString("consul"));
			else
				cJSON_AddStringToObject(src, "Type", "consul");
		}
		const cJSON *perm;
		cJSON_ArrayForEach(perm, cJSON_GetObjectItem(src, "Permissions"))
		{
			cJSON *m;
			cJSON_ArrayForEach(m, cJSON_GetObjectItem(cJSON_GetObjectItem(perm, "HTTP"),
			                                          "Methods"))
			{
				for (char *q = cJSON_IsString(m) ? m->valuestring : NULL; q && *q;
				     q++)
					*q = (char)toupper((unsigned char)*q);
			}
		}
	}
	int n = cJSON_GetArraySize(srcs);
	cJSON **v = n > 1 ? calloc((size_t)n, sizeof *v) : NULL;
	if (!v)
		return;
	for (int i = 0; i < n; i++)
		v[i] = cJSON_DetachItemFromArray(srcs, 0);
	/* Insertion sort: stable, and the lists are short. */
	for (int i = 1; i < n; i++) {
		cJSON *x = v[i];
		double px = cJSON_GetNumberValue(cJSON_GetObjectItem(x, "Precedence"));
		int j = i;
		while (j > 0 &&
		       cJSON_GetNumberValue(cJSON_GetObjectItem(v[j - 1], "Precedence")) < px) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(srcs, v[i]);
	free(v);
}
