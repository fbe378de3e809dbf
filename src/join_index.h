/* join: the indexes behind join_build_cached(), private to the module.
 *
 * join.c matches and judges; this file finds. Every lookup that join.c
 * would otherwise make by scanning a list (a service imported from a peer,
 * the candidate whose peering ID is a dialer's PeerID, the pair end of a
 * cluster's peer name, an export already listed) goes through a hash table
 * here, so a build costs time in proportion to the peerings and exports,
 * not to the services of every cluster multiplied by the exports.
 *
 * The per-cluster import index is kept in the cache between builds, keyed
 * by the services list it was built from: a cluster whose services did not
 * change reuses it. The cache holds a reference to the snapshots of its
 * last build, so a list it keys on cannot be freed and its address handed
 * to a new one while the key is in use.
 */
#ifndef PEERSCOPE_JOIN_INDEX_H
#define PEERSCOPE_JOIN_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peerscope/join.h"

/* An open-addressing table of (hash, value) slots. A lookup yields every
 * value stored under a hash; the caller compares the real keys. */
struct join_tab {
	struct join_slot {
		uint64_t h; /* 0: empty (hashes are never 0) */
		size_t v;
	} * s;
	size_t cap, n;
};

/* The import index of one cluster's services list. */
struct join_cl {
	const struct model_service_summary_list *svc; /* what was indexed; NULL: none */
	struct join_tab imports;                      /* (service, peer) -> index in svc */
	size_t *imported;                             /* indexes of services from a peer */
	size_t nimported;
};

struct join_cache {
	bool once; /* join_build(): used for one build, keeps nothing */
	struct join_cl *cl;
	size_t ncl;
	/* The snapshots of the last build, one reference each. */
	const struct store_snapshot **held;
	size_t nheld;
	/* The exports of the last build and what they were made from. */
	bool have_exports;
	uint64_t exports_key;
	struct join_export *exports;
	size_t nexports;
	char **peers; /* the peer names of their "not exported" rows */
	size_t npeers;
	uint64_t exports_gen;
	/* The group of each row (join.c, group_keys()): the rows one cluster
	 * exports towards one pair end, or towards a peer no pair has, under
	 * a key of all they are made from; 0 for the rows of imports nobody
	 * exports. A build whose lists moved makes again only the groups
	 * whose keys are new, and keeps the rows of the others. */
	uint64_t *groups;
	struct join_tab group_keys; /* every group of the last build */
	size_t groups_n;            /* the clusters of the last build */
	/* The pairs of the last build, sorted and named (NULL: none kept): a
	 * build whose snapshots differ from the held ones only in the
	 * peerings' stream times judges them again rather than matching
	 * every end anew. */
	struct join_pair *pairs;
	bool pairs_fresh; /* kept by the build whose snapshots the next hold takes */
	size_t npairs;
	/* Their ends' part of the exports' key, which a build that judges
	 * them again takes as it is (0: none kept). */
	uint64_t pairs_key;
	struct join_cache_stats stats;
};

uint64_t join_hash_str(uint64_t h, const char *s);
uint64_t join_hash_u64(uint64_t h, uint64_t v);
#define JOIN_HASH_SEED 1469598103934665603ull

/* Adds V under H (0 is replaced by 1). 0, or -1 when out of memory. */
int join_tab_put(struct join_tab *t, uint64_t h, size_t v);
/* The first slot at or after *POS holding H; false when none. Start with
 * *pos = 0 and pass the slot back to continue. */
bool join_tab_next(const struct join_tab *t, uint64_t h, size_t *pos, size_t *v);
void join_tab_free(struct join_tab *t);

/* Cluster I's import index for the services list SVC, built when it was
 * made for another list. NULL when out of memory. */
const struct join_cl *join_cache_imports(struct join_cache *c, size_t i,
                                         const struct model_service_summary_list *svc);
/* The imported service SERVICE of PARTITION from PEER in the index X (the
 * first in the list's order), or NULL. */
const struct model_service_summary *join_cl_find(const struct join_cl *x, const char *service,
                                                 const char *partition, const char *peer);

/* Makes room for N clusters. 0, or -1 when out of memory. */
int join_cache_reserve(struct join_cache *c, size_t n);
/* Holds SNAPS[0..N) (one reference each) in place of the last build's,
 * and drops the import indexes of lists they do not have, and the pairs
 * unless the build just made kept them for SNAPS. 0, or -1 when out of
 * memory: nothing is held, and everything the cache kept is dropped. */
int join_cache_hold(struct join_cache *c, const struct store_snapshot *const *snaps, size_t n);
/* Drops the exports kept (the next build makes them again). */
void join_cache_forget_exports(struct join_cache *c);
/* Drops the pairs kept (the next build matches the ends again). */
void join_cache_forget_pairs(struct join_cache *c);
/* Drops every index, the exports and the pairs: after a failed build, whose
 * keys may name lists of snapshots no longer held. */
void join_cache_forget(struct join_cache *c);

#endif
