/* ops run: the helpers the steps of every operation share: names, notes,
 * audited writes, reads, waits, failures with what to do. Planning and
 * running the steps is ops.c, above. */
#include "autoconfig.h"

#include "ops_internal.h"

#include "peerscope/audit.h"
#include "peerscope/codec.h"
#include "peerscope/log.h"
#include "peerscope/monotime.h"
#include "peerscope/store.h"
#include "peerscope/term.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POLL_DEFAULT_MS 100
#define POLL_MAX_MS     1000
#define SLICE_MS        20 /* how often a wait looks at the cancel flag */

/* ------------------------------------------------------------ names */

static const char *const kind_names[OPS_KIND_COUNT] = {
        [OPS_PEER] = "peer",
        [OPS_ACCEPTOR] = "acceptor",
        [OPS_EXCHANGE] = "exchange",
        [OPS_DIALER] = "dialer",
        [OPS_REGENERATE] = "regenerate",
        [OPS_UNPEER] = "unpeer",
        [OPS_GATEWAY_MODE] = "gateway-mode",
        [OPS_PEER_THROUGH_GATEWAYS] = "peer-through-gateways",
        [OPS_EXPORT] = "export",
        [OPS_UNEXPORT] = "unexport",
        [OPS_ALLOW] = "allow",
        [OPS_DENY] = "deny",
};

const char *ops_kind_name(enum ops_kind k)
{
	return (unsigned)k < OPS_KIND_COUNT ? kind_names[k] : "?";
}

int ops_kind_parse(const char *name, enum ops_kind *k)
{
	for (int i = 0; i < OPS_KIND_COUNT; i++)
		if (!strcmp(name, kind_names[i])) {
			*k = (enum ops_kind)i;
			return 0;
		}
	return -1;
}

bool ops_kind_is_mesh(enum ops_kind k)
{
	return k >= OPS_GATEWAY_MODE && k < OPS_KIND_COUNT;
}

const char *ops_step_state_name(enum ops_step_state s)
{
	static const char *const names[] = {"pending", "todo",   "running", "done",
	                                    "skipped", "failed", "stopped"};

	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

const char *ops_outcome_name(enum ops_outcome o)
{
	static const char *const names[] = {"running", "ok",        "failed",
	                                    "timeout", "cancelled", "refused"};

	return (unsigned)o < sizeof names / sizeof names[0] ? names[o] : "?";
}

const struct ops_cluster *ops_find_cluster(const struct ops_env *env, const char *name)
{
	return env->cluster ? env->cluster(env->ctx, name) : NULL;
}

/* ------------------------------------------------------------ notes */

/* Notes, messages and fixes quote the servers' words: term_vsnprintf makes
 * every argument safe to show (term.h) where the text is made, so the
 * dashboard, the command line, the event log and the audit log all get a
 * safe text. */

void ops_note(struct ops_step *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	term_vsnprintf(s->note, sizeof s->note, fmt, ap);
	va_end(ap);
}

void ops_plan_note(struct run *r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!r->planning)
		return;
	va_start(ap, fmt);
	term_vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (!model_strv_contains(&r->plan->notes, buf))
		model_strv_push(&r->plan->notes, buf);
}

/* BODY as indented JSON, two spaces a level (a body that is not JSON as
 * it is); malloc'd. */
char *ops_pretty(const char *body)
{
	cJSON *j = cJSON_Parse(body);
	char *text = j ? cJSON_Print(j) : NULL, *out, *o;
	size_t tabs = 0;

	cJSON_Delete(j);
	if (!text)
		return strdup(body);
	for (const char *c = text; *c; c++)
		tabs += *c == '\t';
	out = malloc(strlen(text) + tabs + 1);
	if (out) {
		o = out;
		for (const char *c = text; *c; c++) {
			if (*c != '\t')
				*o++ = *c;
			else if (c > text && c[-1] == ':')
				*o++ = ' '; /* "key":<tab>value */
			else
				o += sprintf(o, "  ");
		}
		*o = '\0';
	}
	free(text);
	return out;
}

void ops_plan_change(struct run *r, const struct side *sd, const char *body, const char *fmt, ...)
{
	struct ops_plan *p = r->plan;
	struct ops_change *v, *c;
	va_list ap;

	if (!r->planning)
		return;
	v = realloc(p->changes, (p->nchanges + 1) * sizeof *v);
	if (!v)
		return;
	p->changes = v;
	c = &v[p->nchanges];
	memset(c, 0, sizeof *c);
	snprintf(c->cluster, sizeof c->cluster, "%s", sd->c->name);
	va_start(ap, fmt);
	term_vsnprintf(c->what, sizeof c->what, fmt, ap);
	va_end(ap);
	c->body = body ? ops_pretty(body) : NULL;
	p->nchanges++;
}

int ops_refuse(struct run *r, enum ops_refusal how, const char *fix, const char *fmt, ...)
{
	va_list ap;

	r->plan->refusal = how;
	va_start(ap, fmt);
	term_vsnprintf(r->plan->reason, sizeof r->plan->reason, fmt, ap);
	va_end(ap);
	term_snprintf(r->plan->fix, sizeof r->plan->fix, "%s", fix ? fix : "");
	return -1;
}

enum step_result ops_fail(struct run *r, struct ops_step *s, const char *fix, const char *fmt, ...)
{
	char *msg = r->st ? r->st->message : r->plan->reason;
	size_t msglen = r->st ? sizeof r->st->message : sizeof r->plan->reason;
	char *fixbuf = r->st ? r->st->fix : r->plan->fix;
	size_t fixlen = r->st ? sizeof r->st->fix : sizeof r->plan->fix;
	va_list ap;

	va_start(ap, fmt);
	term_vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	snprintf(fixbuf, fixlen, "%s", fix ? fix : "");
	term_snprintf(s->note, sizeof s->note, "%s", msg);
	return STEP_FAIL;
}

/* The quoted value after KEY in TEXT ("resource \"secrets\"" -> secrets). */
static void quoted_after(const char *text, const char *key, char *out, size_t len)
{
	const char *p = strstr(text, key), *end;

	out[0] = '\0';
	if (!p)
		return;
	p += strlen(key);
	if (*p == '"' || *p == '\'') {
		char q = *p++;
		end = strchr(p, q);
	} else {
		end = p + strcspn(p, " ,;:");
	}
	if (end && end > p)
		snprintf(out, len, "%.*s", (int)(end - p), p);
}

static void explain(const struct side *sd, const struct http_error *err, bool kube, char *fix,
                    size_t len)
{
	const char *m = err->message, *ctx = sd->c->context ? sd->c->context : "";
	char verb[32], res[96], grp[96], ns[96], perm[96];

	fix[0] = '\0';
	if (err->kind == HTTP_ERR_TIMEOUT || err->kind == HTTP_ERR_TRANSPORT) {
		snprintf(fix, len,
		         "%s did not answer: check that it is up and reachable from here, then run "
		         "the same command again to continue",
		         sd->c->name);
		return;
	}
	if (err->kind != HTTP_ERR_STATUS)
		return;
	if (kube && err->status == 403) {
		quoted_after(m, "cannot ", verb, sizeof verb);
		quoted_after(m, "resource ", res, sizeof res);
		quoted_after(m, "API group ", grp, sizeof grp);
		quoted_after(m, "namespace ", ns, sizeof ns);
		snprintf(fix, len,
		         "Kubernetes RBAC: grant the user of context %.64s '%s' on %s%s%s%s%s (a "
		         "Role and RoleBinding), or use a context that has it",
		         ctx, *verb ? verb : "this verb", *res ? res : "this resource",
		         *grp ? "." : "", grp, *ns ? " in namespace " : "", ns);
	} else if (kube && err->status == 401) {
		snprintf(
		        fix, len,
		        "the credentials of context %s were refused: renew them (kubectl --context "
		        "%s get namespaces tells)",
		        ctx, ctx);
	} else if (kube && strstr(m, "failed calling webhook")) {
		snprintf(fix, len,
		         "the consul-k8s connect-injector serves this webhook and does not answer: "
		         "kubectl --context %s -n %s get pods -l component=connect-injector; once "
		         "it "
		         "runs, run the same command again to continue",
		         ctx, sd->c->ns);
	} else if (kube && strstr(m, "denied the request")) {
		snprintf(fix, len,
		         "the consul-k8s webhook refused it: change what its message names");
	} else if (kube && err->status == 404 && strstr(m, "namespaces")) {
		snprintf(fix, len,
		         "namespace %s does not exist on %s: set the cluster's namespace in the "
		         "configuration to where consul-k8s runs",
		         sd->c->ns, sd->c->name);
	} else if (!kube && err->status == 403 && strstr(m, "new peering token")) {
		/* ops_fail_http() asks the ends (ops_token_refused_fix). */
	} else if (!kube && err->status == 403) {
		quoted_after(m, "permission ", perm, sizeof perm);
		snprintf(fix, len,
		         "Consul ACLs: give the token peerscope uses for %s the permission %s",
		         sd->c->name, *perm ? perm : "peering:write");
	} else if (!kube && strstr(m, "peering must be enabled")) {
		snprintf(fix, len, "set global.peering.enabled=true in the Helm values of %s",
		         sd->c->name);
	} else if (!kube && strstr(m, "within the same cluster")) {
		snprintf(fix, len,
		         "the token went back to the cluster that made it: check the contexts and "
		         "addresses of both clusters in the configuration");
	}
}

enum step_result ops_fail_http(struct run *r, struct ops_step *s, const struct side *sd,
                               const char *doing, const struct http_error *err)
{
	char fix[640], text[1024];
	bool kube = sd->kube && err->url[0] && !strstr(err->url, "/v1/");

	explain(sd, err, kube, fix, sizeof fix);
	if (!kube && err->kind == HTTP_ERR_STATUS && err->status == 403 &&
	    strstr(err->message, "new peering token"))
		ops_token_refused_fix(r, fix, sizeof fix); /* reads the ends */
	http_error_format(err, text, sizeof text);
	return ops_fail(r, s, fix, "%s on %s: %s", doing, sd->c->name, text);
}

static bool transient(const struct http_error *err)
{
	return err->kind == HTTP_ERR_TRANSPORT || err->kind == HTTP_ERR_TIMEOUT ||
	       (err->kind == HTTP_ERR_STATUS && (err->status >= 500 || err->status == 429));
}

int ops_wait_read_failed(struct run *r, struct ops_step *s, const struct side *sd,
                         const char *doing, const struct http_error *err, char *seen, size_t len)
{
	char text[768];

	if (!transient(err)) {
		ops_fail_http(r, s, sd, doing, err);
		return -1;
	}
	http_error_format(err, text, sizeof text);
	snprintf(seen, len, "%s on %s failed: %s", doing, sd->c->name, text);
	ops_progress_note(r, s, "%s; still waiting", seen);
	return 0;
}

/* ------------------------------------------------------------ audit */

void ops_audit(struct run *r, const struct side *sd, const char *verb, const char *kind,
               const char *name, int rc, const struct http_error *err)
{
	const char *op = r->env->operation ? r->env->operation : ops_kind_name(r->def->kind);
	/* Kubernetes kinds are CamelCase ("PeeringAcceptor"), Consul's are not
	 * ("peering", "proxy-defaults"). */
	bool kube = *kind >= 'A' && *kind <= 'Z';
	struct audit_record rec = {
	        .op_id = r->st ? r->st->id : "",
	        .operation = op,
	        .cluster = sd->c->name,
	        .context = kube ? sd->c->context : "",
	        .api = kube ? "kubernetes" : "consul",
	        .verb = verb,
	        .kind = kind,
	        .ns = kube ? sd->c->ns : "",
	        /* A mesh operation's CR is written into consul-k8s's
	         * partition: the line names it. */
	        .partition = kube && !ops_kind_is_mesh(r->def->kind) ? "" : sd->partition,
	        .name = name,
	        /* The server's answer (0: none came), never a guess. */
	        .status = err ? err->status : 0,
	        .ok = rc == 0,
	        .message = err ? err->message : "",
	        .secret = r->token,
	};

	if (rc != 0 && err && !err->message[0])
		rec.message = err->curl_text;
	if (audit_write(r->env->audit, &rec) < 0 && r->st)
		r->st->audit_failures++;
	if (r->env->store)
		store_event(r->env->store, rc == 0 ? STORE_EV_INFO : STORE_EV_WARN, sd->c->name,
		            name, "%s %s %s%s%s%s", op, verb, kind, kube ? " " : "",
		            kube ? sd->c->ns : "", rc == 0 ? "" : ": failed");
	log_msg(r->env->log, rc == 0 ? LOG_LEVEL_INFO : LOG_LEVEL_WARN, "%s %s: %s %s %s%s%s: %s",
	        op, sd->c->name, verb, kind, kube ? sd->c->ns : "", kube ? "/" : " ", name,
	        rc == 0 ? "ok" : "failed");
}

/* ------------------------------------------------------------ writes */

/* After a refused create: is NAME there now? */
static bool exists_now(const struct side *sd, enum kube_kind kind, const char *name)
{
	struct http_error err = {0};
	struct kube_object o;

	memset(&o, 0, sizeof o);
	if (kube_get(sd->c->kube, kind, sd->c->ns, name, &o, &err) < 0)
		return false;
	kube_object_clear(&o);
	return true;
}

int ops_kube_create(struct run *r, const struct side *sd, enum kube_kind kind, const char *name,
                    const char *body, bool *created, struct http_error *err)
{
	int rc = kube_create(sd->c->kube, kind, sd->c->ns, body, NULL, err);
	/* A name taken is 409 from the API server, but consul-k8s's webhooks
	 * answer first for their resources, with a 400 of their own words: any
	 * refusal is read again, and what exists now is what was asked for. */
	bool exists = rc < 0 && err->kind == HTTP_ERR_STATUS &&
	              (err->status == 409 || exists_now(sd, kind, name));

	*created = rc == 0;
	ops_audit(r, sd, "create", kube_kind_name(kind), name, exists ? 0 : rc, err);
	if (exists) {
		http_error_clear(err);
		return 0;
	}
	return rc;
}

int ops_kube_patch(struct run *r, const struct side *sd, enum kube_kind kind, const char *name,
                   const char *patch, struct http_error *err)
{
	int rc = kube_merge_patch(sd->c->kube, kind, sd->c->ns, name, patch, NULL, err);

	ops_audit(r, sd, "patch", kube_kind_name(kind), name, rc, err);
	return rc;
}

int ops_kube_delete(struct run *r, const struct side *sd, enum kube_kind kind, const char *name,
                    struct http_error *err)
{
	return ops_kube_delete_if(r, sd, kind, name, NULL, NULL, err);
}

int ops_kube_delete_if(struct run *r, const struct side *sd, enum kube_kind kind, const char *name,
                       const char *uid, const char *rv, struct http_error *err)
{
	int rc = kube_delete_if(sd->c->kube, kind, sd->c->ns, name, uid, rv, err);

	/* Already gone is what was asked for: logged so, with the 404. */
	if (rc < 0 && kube_not_found(err)) {
		snprintf(err->message, sizeof err->message, "already gone");
		ops_audit(r, sd, "delete", kube_kind_name(kind), name, 0, err);
		http_error_clear(err);
		return 0;
	}
	ops_audit(r, sd, "delete", kube_kind_name(kind), name, rc, err);
	return rc;
}

int ops_consul_token(struct run *r, const struct side *sd, struct http_error *err)
{
	struct consul_token_request req = {.peer_name = sd->peer, .partition = sd->partition};
	char *token = NULL;
	int rc = consul_peering_generate_token(sd->c->consul, &req, &token, err);

	if (rc == 0)
		ops_token_set(r, token, strlen(token));
	ops_audit(r, sd, "POST", "peering", sd->peer, rc, err);
	return rc;
}

int ops_consul_establish(struct run *r, const struct side *sd, struct http_error *err)
{
	int rc = consul_peering_establish(sd->c->consul, sd->peer, r->token, NULL, sd->partition,
	                                  err);

	ops_audit(r, sd, "POST", "peering", sd->peer, rc, err);
	return rc;
}

int ops_consul_delete(struct run *r, const struct side *sd, struct http_error *err)
{
	struct consul_query q = {.partition = sd->partition};
	int rc = consul_peering_delete(sd->c->consul, sd->peer, &q, err);

	ops_audit(r, sd, "DELETE", "peering", sd->peer, rc, err);
	return rc;
}

/* ------------------------------------------------------------ reads */

int ops_read_peering(const struct side *sd, struct model_peering *out, struct http_error *err)
{
	struct consul_query q = {.partition = sd->partition};

	memset(out, 0, sizeof *out);
	if (!sd->c->consul) {
		http_error_setf(err, HTTP_ERR_USAGE, "%s",
		                sd->c->consul_error ? sd->c->consul_error : "no Consul client");
		return -1;
	}
	if (consul_peering_read(sd->c->consul, sd->peer, &q, out, NULL, err) == 0)
		return out->deleted_at_ns && out->state == MODEL_PEERING_UNDEFINED ? 0 : 1;
	if (consul_not_found(err)) {
		http_error_clear(err);
		return 0;
	}
	return -1;
}

bool ops_peering_dead(const struct model_peering *p)
{
	return p->state == MODEL_PEERING_DELETING || p->state == MODEL_PEERING_TERMINATED ||
	       p->deleted_at_ns != 0;
}

void ops_token_refused_fix(struct run *r, char *fix, size_t len)
{
	const struct side *ends[2] = {&r->a, &r->b};

	for (size_t k = 0; k < 2; k++) {
		struct model_peering p = {0};
		struct http_error err = {0};
		char state[32] = "";
		if (ops_read_peering(ends[k], &p, &err) > 0 && ops_peering_dead(&p))
			snprintf(state, sizeof state, "%s", model_peering_state_name(p.state));
		model_peering_clear(&p);
		if (!*state)
			continue;
		snprintf(fix, len,
		         "the peering %s on %s is %s, which a new token cannot revive: peerscope "
		         "unpeer %s %s, then peerscope peer %s %s",
		         ends[k]->peer, ends[k]->c->name, state, r->a.c->name, r->b.c->name,
		         r->a.c->name, r->b.c->name);
		return;
	}
	snprintf(fix, len,
	         "the token was used before or replaced since: peerscope regenerate %s %s",
	         r->a.c->name, r->b.c->name);
}

int ops_read_cr(const struct side *sd, enum kube_kind kind, struct kube_object *out,
                struct http_error *err)
{
	memset(out, 0, sizeof *out);
	if (kube_get(sd->c->kube, kind, sd->c->ns, sd->peer, out, err) == 0)
		return 1;
	if (kube_not_found(err)) {
		http_error_clear(err);
		return 0;
	}
	return -1;
}

/* ------------------------------------------------------------ token */

void ops_token_set(struct run *r, char *buf, size_t len)
{
	ops_token_clear(r);
	r->token = buf;
	r->token_len = len;
}

void ops_token_clear(struct run *r)
{
	if (r->token) {
		codec_wipe(r->token, r->token_len);
		free(r->token);
	}
	r->token = NULL;
	r->token_len = 0;
}

/* ------------------------------------------------------------ waits */

bool ops_cancelled(const struct run *r)
{
	return r->cancel && atomic_load(r->cancel);
}

void ops_progress(struct run *r, size_t step)
{
	if (r->st && r->fn)
		r->fn(r->ctx, r->st, step);
}

void ops_progress_note(struct run *r, struct ops_step *s, const char *fmt, ...)
{
	char buf[sizeof s->note];
	va_list ap;

	va_start(ap, fmt);
	term_vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (!strcmp(buf, s->note))
		return;
	memcpy(s->note, buf, sizeof buf);
	if (r->st)
		ops_progress(r, (size_t)(s - r->st->steps));
}

/* Sleeps MS, waking early on a cancel. */
static void nap(const struct run *r, long ms)
{
	for (long left = ms; left > 0 && !ops_cancelled(r); left -= SLICE_MS) {
		struct timespec ts = {0, (left < SLICE_MS ? left : SLICE_MS) * 1000000L};
		nanosleep(&ts, NULL);
	}
}

enum step_result ops_wait(struct run *r, struct ops_step *s, const char *what, ops_wait_fn check)
{
	int64_t start = monotime_ms(), deadline = start + r->wait_ms;
	long interval = r->env->poll_ms > 0 ? r->env->poll_ms : POLL_DEFAULT_MS;
	char seen[512] = "nothing yet";

	for (;;) {
		int rc = check(r, s, seen, sizeof seen);

		if (rc > 0)
			return STEP_OK;
		if (rc < 0)
			return STEP_FAIL;
		if (ops_cancelled(r)) {
			ops_note(s, "stopped waiting; last seen: %s", seen);
			return STEP_CANCEL;
		}
		if (monotime_ms() >= deadline)
			break;
		nap(r, interval);
		interval = interval * 2 > POLL_MAX_MS ? POLL_MAX_MS : interval * 2;
	}
	term_snprintf(r->st->message, sizeof r->st->message,
	              "%s on %s: not done within %ld s; last seen: %s", what,
	              s->cluster[0] ? s->cluster : "both clusters", (r->wait_ms + 999) / 1000,
	              seen);
	snprintf(r->st->fix, sizeof r->st->fix,
	         "what was created stays; run '%s' again to keep waiting (--wait sets the "
	         "deadline), or look at what the last seen state names",
	         r->resume);
	term_snprintf(s->note, sizeof s->note, "timed out; last seen: %s", seen);
	return STEP_TIMEOUT;
}
