/* audit: one JSON line for every request that changes a cluster.
 *
 * The audit log answers "what did peerscope change, where, when, and what
 * did the server say": time, operation id and name, cluster, kube context,
 * verb, kind, namespace/name, the HTTP status and the server's message.
 * Never a token, a Secret's data or a credential: callers pass only names,
 * and every message is cleaned of the secret the operation carries before it
 * is written (audit_record.secret).
 *
 * The file is opened for appending, created 0600 in a directory created 0700;
 * the default is $XDG_STATE_HOME/peerscope/audit.log (else
 * ~/.local/state/peerscope/audit.log). A dry run writes nothing. Lines are
 * written whole with one write(2), so concurrent writers (two peerscope
 * processes) never interleave within a line. Thread-safe. */
#ifndef PEERSCOPE_AUDIT_H
#define PEERSCOPE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

struct audit;

/* The default path into BUF; "" when neither XDG_STATE_HOME nor HOME is set.
 * ENVP: the environment ("NAME=VALUE", NULL-terminated); NULL: environ. */
const char *audit_default_path(char *const *envp, char *buf, size_t len);

/* Opens PATH for appending (creating its directory, 0700, when missing).
 * NULL with a sentence naming the file and the cause in ERR. */
struct audit *audit_open(const char *path, char *err, size_t errlen);
void audit_close(struct audit *a); /* NULL is fine */
const char *audit_path(const struct audit *a);

struct audit_record {
	const char *op_id;     /* "20261204T181101Z-4f2a", shared by an operation's lines */
	const char *operation; /* "peer", "unpeer", ... */
	const char *cluster;
	const char *context; /* kube context; "" or NULL for Consul */
	const char *api;     /* "kubernetes" or "consul" */
	const char *verb;    /* "create", "patch", "delete", "POST", "PUT", "DELETE" */
	const char *kind;    /* "PeeringAcceptor", "Secret", "peering", "config-entry" */
	const char *ns;      /* may be NULL */
	/* Consul Enterprise: the admin partition of a Consul request; "" or
	 * NULL: none (written only when set). */
	const char *partition;
	const char *name;
	long status;         /* HTTP status; 0 when no answer */
	bool ok;             /* the server accepted it */
	const char *message; /* the server's words, or NULL */
	/* A secret the request carried (a peering token): removed from MESSAGE
	 * should the server echo it. NULL: none. */
	const char *secret;
};

/* Appends one line. 0, or -1 with errno set when it could not be written
 * (the caller tells the operator; the change itself went through). NULL A:
 * nothing is written, 0. */
int audit_write(struct audit *a, const struct audit_record *r);

#endif
