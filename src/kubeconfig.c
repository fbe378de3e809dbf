/* kubeconfig: parse and merge kubeconfig files, resolve contexts. The exec
 * credential plugins run in kubeconfig_exec.c. */
#include "autoconfig.h"

#include "peerscope/kubeconfig.h"

#include "kubeconfig_internal.h"

#include "peerscope/codec.h"
#include "peerscope/http.h"
#include "peerscope/redact.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

struct kc_user {
	char *name, *where;
	char *token, *token_file, *cert_file, *cert_data, *key_file, *key_data;
	size_t cert_len, key_len;
	char *username, *password, *auth_provider;
	struct kc_exec *exec;
};

struct kc_context {
	char *name, *where;
	char *cluster, *user, *namespace;
};

/* Names to positions, so that merging and looking up stay linear with
 * thousands of contexts: open addressing, at most half full. The names
 * belong to the items; the items' array may move, their names do not. */
struct name_index {
	struct name_slot {
		const char *name; /* NULL: empty */
		size_t at;
	} * slot;
	size_t cap, n;
};

struct kubeconfig {
	pthread_mutex_t lock; /* guards the exec caches */
	pthread_cond_t ran;   /* an exec plugin's run ended */
	struct kc_cluster *clusters;
	size_t nclusters, capclusters;
	struct kc_user *users;
	size_t nusers, capusers;
	struct kc_context *contexts;
	size_t ncontexts, capcontexts;
	struct name_index iclusters, iusers, icontexts;
	char *current_context;
	char *files;
};

/* Parsing state for one file. */
struct kp {
	const char *file;
	char *dir; /* folder of file, for relative paths */
	yaml_document_t doc;
	char *err;
	size_t errlen;
	bool failed;
};

/* ------------------------------------------------------------ utilities */

static size_t name_hash(const char *s)
{
	size_t h = 1469598103934665603u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* Position of NAME, or (size_t)-1. */
static size_t index_find(const struct name_index *x, const char *name)
{
	if (!x->cap || !name)
		return (size_t)-1;
	for (size_t i = name_hash(name) & (x->cap - 1);; i = (i + 1) & (x->cap - 1)) {
		if (!x->slot[i].name)
			return (size_t)-1;
		if (!strcmp(x->slot[i].name, name))
			return x->slot[i].at;
	}
}

static void index_put_slot(struct name_index *x, const char *name, size_t at)
{
	size_t i = name_hash(name) & (x->cap - 1);

	while (x->slot[i].name)
		i = (i + 1) & (x->cap - 1);
	x->slot[i].name = name;
	x->slot[i].at = at;
	x->n++;
}

/* Adds NAME at AT (NAME not present yet). 0, or -1 when out of memory. */
static int index_add(struct name_index *x, const char *name, size_t at)
{
	if (2 * (x->n + 1) > x->cap) {
		struct name_index grown = {.cap = x->cap ? 2 * x->cap : 64};
		grown.slot = calloc(grown.cap, sizeof *grown.slot);
		if (!grown.slot)
			return -1;
		for (size_t i = 0; i < x->cap; i++)
			if (x->slot[i].name)
				index_put_slot(&grown, x->slot[i].name, x->slot[i].at);
		free(x->slot);
		*x = grown;
	}
	index_put_slot(x, name, at);
	return 0;
}

static void wipe_free(char *s, size_t len)
{
	if (!s)
		return;
	codec_wipe(s, len ? len : strlen(s));
	free(s);
}

static void kp_error(struct kp *kp, const yaml_node_t *node, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void kp_error(struct kp *kp, const yaml_node_t *node, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (kp->failed)
		return; /* the first error is the one reported */
	kp->failed = true;
	if (node)
		n = snprintf(kp->err, kp->errlen, "%s:%lu:%lu: ", kp->file,
		             (unsigned long)node->start_mark.line + 1,
		             (unsigned long)node->start_mark.column + 1);
	else
		n = snprintf(kp->err, kp->errlen, "%s: ", kp->file);
	if (n < 0 || (size_t)n >= kp->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(kp->err + n, kp->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static char *where_of(const struct kp *kp, const yaml_node_t *node)
{
	char buf[4200];

	snprintf(buf, sizeof buf, "%s:%lu:%lu", kp->file, (unsigned long)node->start_mark.line + 1,
	         (unsigned long)node->start_mark.column + 1);
	return strdup(buf);
}

static const char *node_type_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a scalar";
	}
}

static yaml_node_t *node_at(struct kp *kp, yaml_node_item_t id)
{
	return yaml_document_get_node(&kp->doc, id);
}

/* True for an empty plain scalar, "~" or "null". */
static bool is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null");
}

static bool expect(struct kp *kp, const yaml_node_t *n, yaml_node_type_t type, const char *what)
{
	if (n->type == type)
		return true;
	kp_error(kp, n, "%s: expected %s, found %s", what,
	         type == YAML_MAPPING_NODE    ? "a mapping"
	         : type == YAML_SEQUENCE_NODE ? "a list"
	                                      : "a scalar",
	         node_type_name(n));
	return false;
}

/* A string field; NULL values leave *out alone. */
static void get_string(struct kp *kp, const yaml_node_t *n, const char *key, char **out)
{
	if (is_null(n))
		return;
	if (!expect(kp, n, YAML_SCALAR_NODE, key))
		return;
	free(*out);
	*out = strdup((const char *)n->data.scalar.value);
	if (!*out)
		kp_error(kp, n, "out of memory");
}

static void get_bool(struct kp *kp, const yaml_node_t *n, const char *key, bool *out)
{
	if (is_null(n))
		return;
	if (!expect(kp, n, YAML_SCALAR_NODE, key))
		return;
	const char *v = (const char *)n->data.scalar.value;
	if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE"))
		*out = false;
	else
		kp_error(kp, n, "%s: expected true or false, found '%s'", key, v);
}

/* Relative paths resolve against the kubeconfig file's folder. */
static void get_path(struct kp *kp, const yaml_node_t *n, const char *key, char **out)
{
	char *raw = NULL;

	get_string(kp, n, key, &raw);
	if (!raw)
		return;
	if (raw[0] == '/' || !*raw) {
		free(*out);
		*out = raw;
		return;
	}
	size_t len = strlen(kp->dir) + strlen(raw) + 2;
	char *full = malloc(len);
	if (!full) {
		free(raw);
		kp_error(kp, n, "out of memory");
		return;
	}
	snprintf(full, len, "%s/%s", kp->dir, raw);
	free(raw);
	free(*out);
	*out = full;
}

static void get_b64(struct kp *kp, const yaml_node_t *n, const char *key, char **out,
                    size_t *outlen)
{
	char *raw = NULL;
	long bad_at;

	get_string(kp, n, key, &raw);
	if (!raw)
		return;
	char *data =
	        (char *)codec_base64_decode(raw, strlen(raw), CODEC_B64_LENIENT, outlen, &bad_at);
	wipe_free(raw, 0);
	if (!data) {
		kp_error(kp, n, bad_at < 0 ? "out of memory" : "%s: expected base64 data", key);
		return;
	}
	/* Caught here, with file:line, rather than by a TLS handshake that
	 * says "unable to get local issuer certificate". */
	bool key_pem = strstr(key, "key") != NULL;
	if (!strstr(data, key_pem ? "-----BEGIN " : "-----BEGIN CERTIFICATE-----") ||
	    (key_pem && !strstr(data, "PRIVATE KEY-----"))) {
		kp_error(kp, n,
		         "%s: not a PEM %s once decoded (expected a -----BEGIN %s----- block)", key,
		         key_pem ? "private key" : "certificate",
		         key_pem ? "... PRIVATE KEY" : "CERTIFICATE");
		wipe_free(data, *outlen);
		return;
	}
	wipe_free(*out, 0);
	*out = data;
}

/* Calls fn for each key/value pair of a mapping. */
typedef void (*kp_field_fn)(struct kp *kp, const char *key, yaml_node_t *val, void *obj);

static void each_field(struct kp *kp, yaml_node_t *map, const char *what, kp_field_fn fn, void *obj)
{
	struct name_index seen = {0};

	if (is_null(map))
		return;
	if (!expect(kp, map, YAML_MAPPING_NODE, what))
		return;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top && !kp->failed; p++) {
		yaml_node_t *k = node_at(kp, p->key), *v = node_at(kp, p->value);
		if (k->type != YAML_SCALAR_NODE) {
			kp_error(kp, k, "%s: expected a string key", what);
			break;
		}
		const char *key = (const char *)k->data.scalar.value;
		/* As kubectl's YAML reader: a key given twice is an error (the
		 * second one replaced the first's value without freeing it). */
		if (index_find(&seen, key) != (size_t)-1) {
			kp_error(kp, k, "%s: '%s' is given twice", what, key);
			break;
		}
		if (index_add(&seen, key, 0) != 0) {
			kp_error(kp, k, "out of memory");
			break;
		}
		fn(kp, key, v, obj);
	}
	free(seen.slot);
}

static yaml_node_t *map_get(struct kp *kp, yaml_node_t *map, const char *key)
{
	if (map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node_at(kp, p->key);
		if (k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key))
			return node_at(kp, p->value);
	}
	return NULL;
}

/* ------------------------------------------------------------ sections */

/* The plain fields of a section's item: each key, how its value reads, and
 * where it goes in the item (len: the size_t beside base64 data). */
enum field_type {
	FIELD_STRING,
	FIELD_PATH,
	FIELD_B64,
	FIELD_BOOL
};

struct field {
	const char *key;
	enum field_type type;
	size_t off, len;
};

#define FIELD(s, key, type, member)                                                                \
	{                                                                                          \
		key, type, offsetof(struct s, member), 0                                           \
	}
#define FIELD_DATA(s, key, member, len_member)                                                     \
	{                                                                                          \
		key, FIELD_B64, offsetof(struct s, member), offsetof(struct s, len_member)         \
	}

/* Reads KEY into OBJ when TABLE (N entries) has it; false when it does not. */
static bool table_field(struct kp *kp, const struct field *table, size_t n, const char *key,
                        yaml_node_t *v, void *obj)
{
	char *base = obj;

	for (const struct field *f = table; f < table + n; f++) {
		if (strcmp(key, f->key))
			continue;
		switch (f->type) {
		case FIELD_STRING:
			get_string(kp, v, key, (char **)(void *)(base + f->off));
			break;
		case FIELD_PATH:
			get_path(kp, v, key, (char **)(void *)(base + f->off));
			break;
		case FIELD_B64:
			get_b64(kp, v, key, (char **)(void *)(base + f->off),
			        (size_t *)(void *)(base + f->len));
			break;
		case FIELD_BOOL:
			get_bool(kp, v, key, (bool *)(void *)(base + f->off));
			break;
		}
		return true;
	}
	return false;
}

/* Other cluster fields (extensions, disable-compression) do not matter here. */
static const struct field cluster_fields[] = {
        FIELD(kc_cluster, "server", FIELD_STRING, server),
        FIELD(kc_cluster, "certificate-authority", FIELD_PATH, ca_file),
        FIELD_DATA(kc_cluster, "certificate-authority-data", ca_data, ca_len),
        FIELD(kc_cluster, "insecure-skip-tls-verify", FIELD_BOOL, insecure),
        FIELD(kc_cluster, "tls-server-name", FIELD_STRING, tls_server_name),
        FIELD(kc_cluster, "proxy-url", FIELD_STRING, proxy_url),
};

static void cluster_field(struct kp *kp, const char *key, yaml_node_t *v, void *obj)
{
	table_field(kp, cluster_fields, sizeof cluster_fields / sizeof cluster_fields[0], key, v,
	            obj);
}

static void exec_env(struct kp *kp, yaml_node_t *seq, struct kc_exec *e)
{
	if (is_null(seq) || !expect(kp, seq, YAML_SEQUENCE_NODE, "exec.env"))
		return;
	size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	e->env = calloc(n + 1, sizeof *e->env);
	if (!e->env) {
		kp_error(kp, seq, "out of memory");
		return;
	}
	for (size_t i = 0; i < n && !kp->failed; i++) {
		yaml_node_t *item = node_at(kp, seq->data.sequence.items.start[i]);
		char *name = NULL, *value = NULL;
		if (!expect(kp, item, YAML_MAPPING_NODE, "exec.env item"))
			break;
		yaml_node_t *nn = map_get(kp, item, "name"), *vn = map_get(kp, item, "value");
		if (!nn || !vn) {
			kp_error(kp, item, "exec.env item: expected 'name' and 'value'");
			break;
		}
		get_string(kp, nn, "name", &name);
		get_string(kp, vn, "value", &value);
		if (name) {
			size_t len = strlen(name) + (value ? strlen(value) : 0) + 2;
			e->env[e->nenv] = malloc(len);
			if (e->env[e->nenv])
				snprintf(e->env[e->nenv++], len, "%s=%s", name, value ? value : "");
			else
				kp_error(kp, item, "out of memory");
		}
		free(name);
		wipe_free(value, 0);
	}
}

static void exec_args(struct kp *kp, yaml_node_t *seq, struct kc_exec *e)
{
	if (is_null(seq) || !expect(kp, seq, YAML_SEQUENCE_NODE, "exec.args"))
		return;
	size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	char **args = calloc(n + 2, sizeof *args);
	if (!args) {
		kp_error(kp, seq, "out of memory");
		return;
	}
	for (size_t i = 0; i < n && !kp->failed; i++)
		get_string(kp, node_at(kp, seq->data.sequence.items.start[i]), "exec.args item",
		           &args[i + 1]);
	e->args = args;
	e->nargs = n + 1;
}

static void exec_field(struct kp *kp, const char *key, yaml_node_t *v, void *obj)
{
	struct kc_exec *e = obj;
	char *mode = NULL;

	if (!strcmp(key, "apiVersion")) {
		get_string(kp, v, key, &e->api_version);
	} else if (!strcmp(key, "command")) {
		get_string(kp, v, key, &e->command);
		/* kubectl resolves a command with a '/' against the file's folder. */
		if (e->command && e->command[0] != '/' && strchr(e->command, '/')) {
			free(e->command);
			e->command = NULL;
			get_path(kp, v, key, &e->command);
		}
	} else if (!strcmp(key, "args")) {
		exec_args(kp, v, e);
	} else if (!strcmp(key, "env")) {
		exec_env(kp, v, e);
	} else if (!strcmp(key, "installHint")) {
		get_string(kp, v, key, &e->install_hint);
	} else if (!strcmp(key, "provideClusterInfo")) {
		get_bool(kp, v, key, &e->provide_cluster_info);
	} else if (!strcmp(key, "interactiveMode")) {
		get_string(kp, v, key, &mode);
		if (mode && strcmp(mode, "Never") && strcmp(mode, "IfAvailable") &&
		    strcmp(mode, "Always"))
			kp_error(kp, v, "interactiveMode: expected Never, IfAvailable or Always");
		e->interactive_always = mode && !strcmp(mode, "Always");
		free(mode);
	}
}

static void parse_exec(struct kp *kp, yaml_node_t *v, struct kc_user *u)
{
	if (is_null(v))
		return;
	u->exec = calloc(1, sizeof *u->exec);
	if (!u->exec) {
		kp_error(kp, v, "out of memory");
		return;
	}
	each_field(kp, v, "exec", exec_field, u->exec);
	if (kp->failed)
		return;
	if (!u->exec->command) {
		kp_error(kp, v, "exec: expected a 'command'");
		return;
	}
	if (!u->exec->api_version ||
	    (strcmp(u->exec->api_version, "client.authentication.k8s.io/v1") &&
	     strcmp(u->exec->api_version, "client.authentication.k8s.io/v1beta1"))) {
		kp_error(kp, v,
		         "exec: apiVersion must be client.authentication.k8s.io/v1 or "
		         "client.authentication.k8s.io/v1beta1");
		return;
	}
	if (!u->exec->args) {
		u->exec->args = calloc(2, sizeof *u->exec->args);
		u->exec->nargs = 1;
		if (!u->exec->args) {
			kp_error(kp, v, "out of memory");
			return;
		}
	}
	u->exec->args[0] = u->exec->command;
}

static const struct field user_fields[] = {
        FIELD(kc_user, "token", FIELD_STRING, token),
        FIELD(kc_user, "tokenFile", FIELD_PATH, token_file),
        FIELD(kc_user, "client-certificate", FIELD_PATH, cert_file),
        FIELD_DATA(kc_user, "client-certificate-data", cert_data, cert_len),
        FIELD(kc_user, "client-key", FIELD_PATH, key_file),
        FIELD_DATA(kc_user, "client-key-data", key_data, key_len),
        FIELD(kc_user, "username", FIELD_STRING, username),
        FIELD(kc_user, "password", FIELD_STRING, password),
};

static void user_field(struct kp *kp, const char *key, yaml_node_t *v, void *obj)
{
	struct kc_user *u = obj;

	if (table_field(kp, user_fields, sizeof user_fields / sizeof user_fields[0], key, v, obj)) {
		if (!strcmp(key, "token") && u->token && !http_header_safe(u->token))
			kp_error(kp, v,
			         "token: holds a line break or another control character: refused "
			         "(it would be sent as request headers of its own)");
		return;
	}
	if (!strcmp(key, "exec")) {
		parse_exec(kp, v, u);
	} else if (!strcmp(key, "auth-provider")) {
		yaml_node_t *name = map_get(kp, v, "name");
		get_string(kp, name ? name : v, "auth-provider.name", &u->auth_provider);
	}
}

static const struct field context_fields[] = {
        FIELD(kc_context, "cluster", FIELD_STRING, cluster),
        FIELD(kc_context, "user", FIELD_STRING, user),
        FIELD(kc_context, "namespace", FIELD_STRING, namespace),
};

static void context_field(struct kp *kp, const char *key, yaml_node_t *v, void *obj)
{
	table_field(kp, context_fields, sizeof context_fields / sizeof context_fields[0], key, v,
	            obj);
}

static void cluster_free(struct kc_cluster *c)
{
	free(c->name);
	free(c->where);
	free(c->server);
	free(c->ca_file);
	free(c->ca_data);
	free(c->tls_server_name);
	free(c->proxy_url);
}

static void user_free(struct kc_user *u)
{
	free(u->name);
	free(u->where);
	wipe_free(u->token, 0);
	free(u->token_file);
	free(u->cert_file);
	free(u->cert_data);
	free(u->key_file);
	wipe_free(u->key_data, u->key_len);
	free(u->username);
	wipe_free(u->password, 0);
	free(u->auth_provider);
	kubeconfig_exec_free(u->exec);
}

static void context_free(struct kc_context *c)
{
	free(c->name);
	free(c->where);
	free(c->cluster);
	free(c->user);
	free(c->namespace);
}

/* One list section (clusters, users, contexts): items are {name, <inner>}.
 * Names already defined by an earlier file are skipped (first file wins). */
struct section {
	const char *key;   /* "clusters" */
	const char *inner; /* "cluster" */
	kp_field_fn field;
	bool (*exists)(const struct kubeconfig *kc, const char *name);
	/* Appends an element owning name and where, zeroed otherwise, and
	 * returns it; NULL when out of memory. */
	void *(*grow)(struct kubeconfig *kc, char *name, char *where);
};

static bool has_cluster(const struct kubeconfig *kc, const char *name)
{
	return index_find(&kc->iclusters, name) != (size_t)-1;
}

static bool has_user(const struct kubeconfig *kc, const char *name)
{
	return index_find(&kc->iusers, name) != (size_t)-1;
}

bool kubeconfig_has_context(const struct kubeconfig *kc, const char *name)
{
	return index_find(&kc->icontexts, name) != (size_t)-1;
}

/* Appends an item to ARRAY (growing its capacity geometrically) and indexes
 * its name. */
#define GROW_FN(fn, type, array, count, capacity, index)                                           \
	static void *fn(struct kubeconfig *kc, char *name, char *where)                            \
	{                                                                                          \
		if (kc->count == kc->capacity) {                                                   \
			size_t cap = kc->capacity ? 2 * kc->capacity : 8;                          \
			type *grown = realloc(kc->array, cap * sizeof *grown);                     \
			if (!grown)                                                                \
				return NULL;                                                       \
			kc->array = grown;                                                         \
			kc->capacity = cap;                                                        \
		}                                                                                  \
		if (index_add(&kc->index, name, kc->count) != 0)                                   \
			return NULL;                                                               \
		type *item = &kc->array[kc->count++];                                              \
		memset(item, 0, sizeof *item);                                                     \
		item->name = name;                                                                 \
		item->where = where;                                                               \
		return item;                                                                       \
	}
GROW_FN(grow_cluster, struct kc_cluster, clusters, nclusters, capclusters, iclusters)
GROW_FN(grow_user, struct kc_user, users, nusers, capusers, iusers)
GROW_FN(grow_context, struct kc_context, contexts, ncontexts, capcontexts, icontexts)

static void parse_item(struct kp *kp, struct kubeconfig *kc, struct section *s, yaml_node_t *item)
{
	char *name = NULL;

	if (!expect(kp, item, YAML_MAPPING_NODE, s->key))
		return;
	yaml_node_t *nn = map_get(kp, item, "name");
	if (!nn) {
		kp_error(kp, item, "%s item: expected a 'name'", s->key);
		return;
	}
	get_string(kp, nn, "name", &name);
	if (!name || kp->failed) {
		if (!kp->failed)
			kp_error(kp, nn, "%s item: 'name' is empty", s->key);
		free(name);
		return;
	}
	if (s->exists(kc, name)) {
		free(name);
		return;
	}
	char *where = where_of(kp, item);
	void *obj = where ? s->grow(kc, name, where) : NULL;
	if (!obj) {
		free(name);
		free(where);
		kp_error(kp, item, "out of memory");
		return;
	}
	yaml_node_t *inner = map_get(kp, item, s->inner);
	if (inner)
		each_field(kp, inner, s->inner, s->field, obj);
}

static void parse_section(struct kp *kp, struct kubeconfig *kc, struct section *s, yaml_node_t *seq)
{
	if (is_null(seq) || !expect(kp, seq, YAML_SEQUENCE_NODE, s->key))
		return;
	for (yaml_node_item_t *i = seq->data.sequence.items.start;
	     i < seq->data.sequence.items.top && !kp->failed; i++)
		parse_item(kp, kc, s, node_at(kp, *i));
}

static void parse_root(struct kp *kp, struct kubeconfig *kc, yaml_node_t *root)
{
	struct section sections[] = {
	        {"clusters", "cluster", cluster_field, has_cluster, grow_cluster},
	        {"users", "user", user_field, has_user, grow_user},
	        {"contexts", "context", context_field, kubeconfig_has_context, grow_context},
	};

	if (!root || is_null(root))
		return; /* an empty file is an empty kubeconfig */
	if (root->type != YAML_MAPPING_NODE) {
		kp_error(kp, root, "expected a kubeconfig (a mapping), found %s",
		         node_type_name(root));
		return;
	}
	for (size_t i = 0; i < sizeof sections / sizeof sections[0] && !kp->failed; i++) {
		yaml_node_t *seq = map_get(kp, root, sections[i].key);
		if (seq)
			parse_section(kp, kc, &sections[i], seq);
	}
	yaml_node_t *cur = map_get(kp, root, "current-context");
	if (cur && !kp->failed && !kc->current_context) {
		get_string(kp, cur, "current-context", &kc->current_context);
		if (kc->current_context && !*kc->current_context) {
			free(kc->current_context);
			kc->current_context = NULL;
		}
	}
}

/* ------------------------------------------------------------ loading */

/* kubeconfig_read_file with PATH named in the error. */
static char *read_file(const char *path, size_t max, long pipe_timeout_ms, size_t *len, char *err,
                       size_t errlen)
{
	char why[128];
	char *text = kubeconfig_read_file(path, max, pipe_timeout_ms, len, why, sizeof why);

	if (!text)
		snprintf(err, errlen, "%s: %s", path, why);
	return text;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static int load_file(struct kubeconfig *kc, const char *path, long pipe_timeout_ms, char *err,
                     size_t errlen)
{
	struct kp kp = {.file = path, .err = err, .errlen = errlen};
	size_t len = 0;
	char *text = read_file(path, KC_MAX_FILE, pipe_timeout_ms, &len, err, errlen);

	if (!text)
		return -1;
	kp.dir = dir_of(path);
	if (!kp.dir) {
		snprintf(err, errlen, "%s: out of memory", path);
		wipe_free(text, len);
		return -1;
	}
	if (codec_yaml_load(path, text, len, &kp.doc, NULL, err, errlen) != 0) {
		kp.failed = true;
	} else {
		parse_root(&kp, kc, yaml_document_get_root_node(&kp.doc));
		codec_yaml_free(&kp.doc);
	}
	free(kp.dir);
	wipe_free(text, len);
	return kp.failed ? -1 : 0;
}

static int add_file_name(struct kubeconfig *kc, const char *path)
{
	size_t old = kc->files ? strlen(kc->files) : 0;
	char *grown = realloc(kc->files, old + strlen(path) + 2);

	if (!grown)
		return -1;
	kc->files = grown;
	snprintf(grown + old, strlen(path) + 2, "%s%s", old ? ":" : "", path);
	return 0;
}

struct kubeconfig *kubeconfig_load(const char *paths, bool explicit_file, char *err, size_t errlen)
{
	return kubeconfig_load_within(paths, explicit_file, KUBECONFIG_PIPE_TIMEOUT_MS, err,
	                              errlen);
}

struct kubeconfig *kubeconfig_load_within(const char *paths, bool explicit_file,
                                          long pipe_timeout_ms, char *err, size_t errlen)
{
	struct kubeconfig *kc = calloc(1, sizeof *kc);
	char *list = strdup(paths ? paths : "");
	char *save = NULL;
	bool any = false;

	if (errlen)
		err[0] = '\0'; /* tells "failed with a message" from "out of memory" */
	if (!kc || !list || pthread_mutex_init(&kc->lock, NULL) != 0 ||
	    pthread_cond_init(&kc->ran, NULL) != 0) {
		snprintf(err, errlen, "kubeconfig: out of memory");
		free(kc);
		free(list);
		return NULL;
	}
	for (char *p = strtok_r(list, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		if (!explicit_file && access(p, F_OK) != 0)
			continue; /* kubectl skips missing files of a list */
		any = true;
		if (load_file(kc, p, pipe_timeout_ms, err, errlen) != 0 ||
		    add_file_name(kc, p) != 0)
			goto fail;
	}
	if (!any) {
		snprintf(err, errlen, "kubeconfig: none of the files exist: %s",
		         paths && *paths ? paths : "(empty list)");
		goto fail;
	}
	free(list);
	return kc;
fail:
	if (errlen && !*err)
		snprintf(err, errlen, "kubeconfig: out of memory");
	free(list);
	kubeconfig_free(kc);
	return NULL;
}

void kubeconfig_free(struct kubeconfig *kc)
{
	if (!kc)
		return;
	for (size_t i = 0; i < kc->nclusters; i++)
		cluster_free(&kc->clusters[i]);
	for (size_t i = 0; i < kc->nusers; i++)
		user_free(&kc->users[i]);
	for (size_t i = 0; i < kc->ncontexts; i++)
		context_free(&kc->contexts[i]);
	free(kc->clusters);
	free(kc->users);
	free(kc->contexts);
	free(kc->iclusters.slot);
	free(kc->iusers.slot);
	free(kc->icontexts.slot);
	free(kc->current_context);
	free(kc->files);
	pthread_cond_destroy(&kc->ran);
	pthread_mutex_destroy(&kc->lock);
	free(kc);
}

char *kubeconfig_default_path(const char *home, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/.kube/config", home && *home ? home : ".");
	return out;
}

const char *kubeconfig_files(const struct kubeconfig *kc)
{
	return kc->files ? kc->files : "";
}

const char *kubeconfig_current_context(const struct kubeconfig *kc)
{
	return kc->current_context;
}

size_t kubeconfig_context_count(const struct kubeconfig *kc)
{
	return kc->ncontexts;
}

const char *kubeconfig_context_name(const struct kubeconfig *kc, size_t i)
{
	return i < kc->ncontexts ? kc->contexts[i].name : NULL;
}

static struct kc_context *find_context(const struct kubeconfig *kc, const char *name)
{
	size_t i = index_find(&kc->icontexts, name);

	return i == (size_t)-1 ? NULL : &kc->contexts[i];
}

const char *kubeconfig_context_where(const struct kubeconfig *kc, const char *name)
{
	const struct kc_context *c = find_context(kc, name);

	return c ? c->where : NULL;
}

/* ------------------------------------------------------------ resolving */

static struct kc_cluster *find_cluster(const struct kubeconfig *kc, const char *name)
{
	size_t i = index_find(&kc->iclusters, name);

	return i == (size_t)-1 ? NULL : &kc->clusters[i];
}

static struct kc_user *find_user(const struct kubeconfig *kc, const char *name)
{
	size_t i = index_find(&kc->iusers, name);

	return i == (size_t)-1 ? NULL : &kc->users[i];
}

/* strdup that tolerates NULL; sets *oom on failure. */
static char *dup_or_null(const char *s, bool *oom)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

static char *dup_bytes(const char *s, size_t len, bool *oom)
{
	if (!s)
		return NULL;
	char *d = malloc(len + 1);
	if (!d) {
		*oom = true;
		return NULL;
	}
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

/* The TLS files are read by libcurl: a FIFO there would block it. */
static int check_regular(const char *what, const char *path, const char *where, char *err,
                         size_t errlen)
{
	struct stat st;

	if (!path || stat(path, &st) != 0 || S_ISREG(st.st_mode))
		return 0; /* missing: libcurl says so, naming the file */
	snprintf(err, errlen, "%s (%s): %s %s is not a regular file%s", what, where,
	         strstr(what, "user") ? "client certificate or key" : "certificate-authority", path,
	         S_ISDIR(st.st_mode) ? " (a directory)" : "");
	return -1;
}

static int read_token_file(const char *path, char **out, char *err, size_t errlen)
{
	size_t len = 0;
	/* A regular file only: a FIFO would block every request. */
	char *text = read_file(path, 1024 * 1024, 0, &len, err, errlen);

	if (!text)
		return -1;
	/* Blanks around the token go, as kubectl trims a tokenFile. */
	while (len && strchr(" \t\r\n\v\f", text[len - 1]))
		text[--len] = '\0';
	size_t lead = strspn(text, " \t\r\n\v\f");
	if (!len || !http_header_safe(text + lead)) {
		snprintf(err, errlen, "%s: %s", path,
		         !len ? "the token file is empty"
		              : "the token file holds a line break or another control character "
		                "within the token: refused (it would be sent as request headers "
		                "of its own)");
		wipe_free(text, len);
		return -1;
	}
	memmove(text, text + lead, len - lead + 1);
	*out = text;
	return 0;
}

/* Credentials from the exec plugin: pollers resolving the same user
 * together share one run (kubeconfig_exec.c). */
static int fill_exec(struct kubeconfig *kc, struct kc_exec *e, const struct kc_cluster *c,
                     time_t now, const struct kubeconfig_wait *w, struct kubeconfig_endpoint *ep,
                     char *err, size_t errlen)
{
	pthread_mutex_lock(&kc->lock);
	int rc = kubeconfig_exec_fill(e, c, now, w, &kc->lock, &kc->ran, ep, err, errlen);
	pthread_mutex_unlock(&kc->lock);
	return rc;
}

static int fill_user(struct kubeconfig *kc, struct kc_user *u, const struct kc_cluster *c,
                     time_t now, const struct kubeconfig_wait *w, struct kubeconfig_endpoint *ep,
                     char *err, size_t errlen)
{
	bool oom = false;

	if (u->auth_provider && !u->exec) {
		snprintf(err, errlen,
		         "user '%s' (%s): auth-provider '%s' is not supported; "
		         "use an exec credential plugin",
		         u->name, u->where, u->auth_provider);
		return -1;
	}
	ep->cert_file = dup_or_null(u->cert_file, &oom);
	ep->key_file = dup_or_null(u->key_file, &oom);
	ep->cert_data = dup_bytes(u->cert_data, u->cert_len, &oom);
	ep->cert_data_len = u->cert_len;
	ep->key_data = dup_bytes(u->key_data, u->key_len, &oom);
	ep->key_data_len = u->key_len;
	ep->username = dup_or_null(u->username, &oom);
	ep->password = dup_or_null(u->password, &oom);
	if (u->token_file) {
		if (read_token_file(u->token_file, &ep->token, err, errlen) != 0)
			return -1;
	} else {
		ep->token = dup_or_null(u->token, &oom);
	}
	if (oom) {
		snprintf(err, errlen, "kubeconfig: out of memory");
		return -1;
	}
	char what[300];
	snprintf(what, sizeof what, "user '%s'", u->name);
	if (check_regular(what, u->cert_file, u->where, err, errlen) ||
	    check_regular(what, u->key_file, u->where, err, errlen))
		return -1;
	if (!!(ep->cert_file || ep->cert_data) != !!(ep->key_file || ep->key_data)) {
		snprintf(err, errlen, "user '%s' (%s): a client certificate needs a client key too",
		         u->name, u->where);
		return -1;
	}
	return u->exec ? fill_exec(kc, u->exec, c, now, w, ep, err, errlen) : 0;
}

static bool has_credentials(const struct kc_user *u)
{
	return u->token || u->token_file || u->cert_file || u->cert_data || u->key_file ||
	       u->key_data || u->username || u->password || u->exec || u->auth_provider;
}

static int fill_cluster(const struct kc_cluster *c, struct kubeconfig_endpoint *ep)
{
	bool oom = false;

	ep->server = dup_or_null(c->server, &oom);
	ep->ca_file = dup_or_null(c->ca_file, &oom);
	ep->ca_data = dup_bytes(c->ca_data, c->ca_len, &oom);
	ep->ca_data_len = c->ca_len;
	ep->tls_server_name = dup_or_null(c->tls_server_name, &oom);
	ep->proxy_url = dup_or_null(c->proxy_url, &oom);
	ep->insecure = c->insecure;
	return oom ? -1 : 0;
}

/* What kubectl refuses too: no server, a server that is not an http(s)
 * URL, and a CA together with insecure-skip-tls-verify. */
static int check_cluster(const struct kc_cluster *c, char *err, size_t errlen)
{
	if (!c->server || !*c->server) {
		snprintf(err, errlen, "cluster '%s' (%s) has no server", c->name, c->where);
		return -1;
	}
	if (strncmp(c->server, "https://", 8) && strncmp(c->server, "http://", 7)) {
		char shown[512];
		redact_url(c->server, shown, sizeof shown);
		snprintf(err, errlen,
		         "cluster '%s' (%s): server '%s' is not a URL such as https://host:6443",
		         c->name, c->where, shown);
		return -1;
	}
	char what[300];
	snprintf(what, sizeof what, "cluster '%s'", c->name);
	if (check_regular(what, c->ca_file, c->where, err, errlen))
		return -1;
	if (c->insecure && (c->ca_file || c->ca_data)) {
		snprintf(err, errlen,
		         "cluster '%s' (%s): a certificate authority and insecure-skip-tls-verify "
		         "exclude each other",
		         c->name, c->where);
		return -1;
	}
	return 0;
}

int kubeconfig_resolve(struct kubeconfig *kc, const char *context, time_t now,
                       struct kubeconfig_endpoint *ep, char *err, size_t errlen)
{
	return kubeconfig_resolve_within(kc, context, now, NULL, ep, err, errlen);
}

const char *kubeconfig_exec_command(const struct kubeconfig *kc, const char *context)
{
	const struct kc_context *ctx = find_context(kc, context ? context : kc->current_context);
	const struct kc_user *u = ctx ? find_user(kc, ctx->user) : NULL;
	const struct kc_cluster *c = ctx ? find_cluster(kc, ctx->cluster) : NULL;

	/* None runs for an http:// server. */
	if (!u || !u->exec || (c && c->server && !strncmp(c->server, "http://", 7)))
		return NULL;
	return u->exec->command;
}

int kubeconfig_resolve_within(struct kubeconfig *kc, const char *context, time_t now,
                              const struct kubeconfig_wait *w, struct kubeconfig_endpoint *ep,
                              char *err, size_t errlen)
{
	bool oom = false;

	memset(ep, 0, sizeof *ep);
	if (!context)
		context = kc->current_context;
	if (!context) {
		snprintf(err, errlen, "%s: no current-context is set; name a context",
		         kubeconfig_files(kc));
		return -1;
	}
	struct kc_context *ctx = find_context(kc, context);
	if (!ctx) {
		snprintf(err, errlen, "context '%s' is not defined in %s", context,
		         kubeconfig_files(kc));
		return -1;
	}
	struct kc_cluster *c = ctx->cluster ? find_cluster(kc, ctx->cluster) : NULL;
	if (!c) {
		snprintf(err, errlen,
		         "context '%s' (%s) refers to cluster '%s', which is not defined",
		         ctx->name, ctx->where, ctx->cluster ? ctx->cluster : "");
		return -1;
	}
	if (check_cluster(c, err, errlen) != 0)
		return -1;
	ep->context = dup_or_null(ctx->name, &oom);
	ep->cluster = dup_or_null(c->name, &oom);
	ep->user = dup_or_null(ctx->user, &oom);
	ep->namespace = dup_or_null(ctx->namespace, &oom);
	if (oom || fill_cluster(c, ep) != 0) {
		snprintf(err, errlen, "kubeconfig: out of memory");
		goto fail;
	}
	if (ctx->user && *ctx->user) {
		struct kc_user *u = find_user(kc, ctx->user);
		if (!u) {
			snprintf(err, errlen,
			         "context '%s' (%s) refers to user '%s', which is not defined",
			         ctx->name, ctx->where, ctx->user);
			goto fail;
		}
		/* As kubectl: a user's identification only over TLS. */
		if (!strncmp(c->server, "http://", 7))
			ep->credentials_withheld = has_credentials(u);
		else if (fill_user(kc, u, c, now, w, ep, err, errlen) != 0)
			goto fail;
	}
	return 0;
fail:
	kubeconfig_endpoint_clear(ep);
	return -1;
}

static const char *auth_kind(const struct kc_user *u)
{
	if (u->exec)
		return "exec plugin";
	if (u->auth_provider)
		return "unsupported auth-provider";
	if (u->token_file)
		return "token file";
	if (u->token)
		return "bearer token";
	if (u->cert_file || u->cert_data)
		return "client certificate";
	if (u->username)
		return "basic auth";
	return "no credentials";
}

char *kubeconfig_describe(const struct kubeconfig *kc, const char *context, char *out,
                          size_t outlen)
{
	const struct kc_context *ctx = find_context(kc, context);

	if (!ctx)
		return NULL;
	const struct kc_cluster *c = find_cluster(kc, ctx->cluster);
	const struct kc_user *u = find_user(kc, ctx->user);
	char server[512];
	redact_url(c && c->server ? c->server : "", server, sizeof server);
	snprintf(out, outlen, "%s%s, user %s (%s%s%s)",
	         c ? (c->server ? server : "no server") : "undefined cluster ",
	         c ? "" : (ctx->cluster ? ctx->cluster : ""), ctx->user ? ctx->user : "none",
	         u ? auth_kind(u) : (ctx->user ? "undefined" : "anonymous"),
	         u && u->exec ? " " : "", u && u->exec ? u->exec->command : "");
	return out;
}

void kubeconfig_forget_credentials(struct kubeconfig *kc, const char *context)
{
	struct kc_context *ctx = context ? find_context(kc, context) : NULL;
	struct kc_user *u = ctx && ctx->user ? find_user(kc, ctx->user) : NULL;

	if (!u || !u->exec)
		return;
	pthread_mutex_lock(&kc->lock);
	u->exec->cached = false;
	pthread_mutex_unlock(&kc->lock);
}

void kubeconfig_endpoint_clear(struct kubeconfig_endpoint *ep)
{
	if (!ep)
		return;
	free(ep->context);
	free(ep->cluster);
	free(ep->user);
	free(ep->namespace);
	free(ep->server);
	free(ep->ca_file);
	free(ep->ca_data);
	free(ep->cert_file);
	free(ep->cert_data);
	free(ep->key_file);
	wipe_free(ep->key_data, ep->key_data_len);
	wipe_free(ep->token, 0);
	free(ep->username);
	wipe_free(ep->password, 0);
	free(ep->tls_server_name);
	free(ep->proxy_url);
	memset(ep, 0, sizeof *ep);
}

void kubeconfig_http_options(const struct kubeconfig_endpoint *ep, struct http_options *opts)
{
	opts->base_url = ep->server;
	opts->tls.ca_file = ep->ca_file;
	opts->tls.ca_data = ep->ca_data;
	opts->tls.ca_data_len = ep->ca_data_len;
	opts->tls.cert_file = ep->cert_file;
	opts->tls.cert_data = ep->cert_data;
	opts->tls.cert_data_len = ep->cert_data_len;
	opts->tls.key_file = ep->key_file;
	opts->tls.key_data = ep->key_data;
	opts->tls.key_data_len = ep->key_data_len;
	opts->tls.server_name = ep->tls_server_name;
	opts->tls.insecure = ep->insecure;
	opts->auth.bearer_token = ep->token;
	opts->auth.username = ep->username;
	opts->auth.password = ep->password;
	opts->proxy_url = ep->proxy_url;
	if (ep->credentials_withheld)
		opts->unauthorized_hint =
		        "the kubeconfig's credentials are not sent to a plain http:// server, as "
		        "kubectl does not send them: use https://";
}
