/* view: the dashboard's view model, rows made from the join of all
 * snapshots, and the table mechanics every pane shares.
 *
 * Each pane is a table: columns, and rows that carry a stable id. When new
 * data arrives the rows are rebuilt and matched to the old ones by id, so
 * the cursor stays on the same peering when rows re-sort, and rows that
 * appeared or changed are remembered with the time they did (the UI
 * highlights them for a moment). Filtering and sorting give the visible
 * order; nothing else moves the cursor.
 *
 * Pure: no curses, no clock (callers pass the time), no locks. Row texts
 * are copies, so a table outlives the snapshots it was built from. */
#ifndef PEERSCOPE_VIEW_H
#define PEERSCOPE_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peerscope/join.h"
#include "peerscope/model.h"
#include "peerscope/preflight.h"
#include "peerscope/store.h"
#include "peerscope/theme.h"

enum view_pane {
	VIEW_CLUSTERS,
	VIEW_PEERINGS,
	VIEW_GATEWAYS,
	VIEW_EXPORTS,
	VIEW_PANE_COUNT
};

#define VIEW_ID_MAX             200
/* The exports pane has a row for every service a cluster could export while
 * those exported to no peer are at most this many; above, only the exported
 * ones, and a last row that counts the others. */
#define VIEW_EXPORTS_OTHERS_MAX 2000
#define VIEW_MAX_COLS           24

struct view_column {
	const char *title;
	int width;   /* preferred width in cells */
	bool expand; /* takes what room is left (one column per table) */
	bool text;   /* free text (names, messages): cut first, widest first,
	              * when the row is wider than the pane; the others (states,
	              * modes, health) are never cut while one of these can be */
	bool middle; /* a name whose end tells it apart (a pod's): cut in the
	              * middle, not at the end */
};

/* A cell of the exports matrix (service x peer): what the keys that export
 * or allow act on, and what its detail shows. */
struct view_cell_target {
	size_t to;          /* the consumer: the cluster of the cell's column */
	char peer[64];      /* the row's cluster's name for it: a peering's, else TO's name */
	char partition[64]; /* the row's admin partition (Enterprise); "" the default one */
	bool peered;        /* the row's cluster has that peering */
	bool exported;      /* the row's cluster exports the service to it */
	bool allowed;       /* its services may call the service (or it is not known) */
	const char *state;  /* what it shows of the export, a fixed text: see view_cell_status() */
	char *detail;       /* the cell's detail: what it holds, and the traffic path */
};

struct view_cell {
	/* UTF-8, never NULL; the row's, set with view_cell_set() and freed
	 * with the row (an empty one may be shared: never freed nor written
	 * any other way). */
	char *text;
	enum theme_role role;
	struct view_cell_target *cell; /* NULL: not a matrix cell */
	/* An age that moves with every answer (a heartbeat's): a new text
	 * alone does not make the row a changed one; a new role does. */
	bool clock;
};

/* What a row is about, for the actions that act on it: one cluster (a), or
 * the two ends of a peering (a and b) with the peer name each side uses. */
#define VIEW_NO_CLUSTER ((size_t)-1)
struct view_target {
	size_t a, b;     /* cluster indexes; VIEW_NO_CLUSTER: none */
	char a_peer[64]; /* the peer name on a's side, "" when none */
	char b_peer[64];
	int acceptor;      /* 0: a accepts, 1: b accepts, -1: not known */
	char service[128]; /* a row about one service (the exports matrix): its name */
	int ptmg;          /* a cluster's peerThroughMeshGateways: 1 on, 0 off, -1 not known */
	/* The admin partition of a's and b's side (a gateway's, an exported
	 * service's, a peering's ends); "" when none (Consul CE, a cluster
	 * row). */
	char a_partition[64];
	char b_partition[64];
};

struct view_row {
	char id[VIEW_ID_MAX];
	struct view_target target;
	struct view_cell *cells; /* one per column */
	size_t ncells;
	bool problem;       /* drawn with a marker */
	char *reason;       /* one line about the problem, "" when none */
	char *detail;       /* the row's detail text: lines "left\tright"; "" for none */
	char *raw;          /* raw JSON/YAML for 'y'; "" for none */
	int64_t changed_ns; /* when the row appeared or last changed; 0: never */
};

struct view_table {
	const struct view_column *cols;
	size_t ncols;
	struct view_row *rows; /* as built */
	size_t nrows;
	uint64_t rows_gen;  /* changes whenever the rows are replaced */
	uint64_t clock_gen; /* changes when only clock cells were set again */
	size_t *order;      /* rows visible after the filter, in sort order */
	size_t nvisible;
	size_t cursor; /* index into order */
	size_t top;    /* first visible line, for scrolling */
	char cursor_id[VIEW_ID_MAX];
	int sort_col; /* -1: as built */
	bool sort_desc;
	char filter[128]; /* case-insensitive substring of any cell; "" for all */
	/* The selected cell's column in a matrix (a cell with a target); -1
	 * for a table whose rows are selected whole. */
	int cell;
	/* Columns that depend on the data (one per cluster, say); cols points
	 * here when the pane has them. */
	struct view_column dyn[VIEW_MAX_COLS];
	char dyn_title[VIEW_MAX_COLS][64];
};

void view_table_init(struct view_table *t, const struct view_column *cols, size_t ncols);
void view_table_free(struct view_table *t);

/* Replaces the rows with ROWS (taken over, also on failure), keeping the
 * cursor on the row with the same id, and stamping new and changed rows
 * with NOW_NS. Returns 0, or -1 when out of memory (the table is then
 * empty). */
int view_table_set_rows(struct view_table *t, struct view_row *rows, size_t n, int64_t now_ns);
/* The rows' texts were changed in place: their widths, filter and order
 * again, the cursor kept on its row. */
void view_table_touched(struct view_table *t);
/* The same, when only clock cells' texts were set again: the widths of
 * the other columns stand (clock_gen moves, rows_gen does not). */
void view_table_clocks_touched(struct view_table *t);

/* The row under the cursor, or NULL. */
const struct view_row *view_table_selected(const struct view_table *t);
/* The Ith visible row. */
const struct view_row *view_table_visible(const struct view_table *t, size_t i);

/* Moves the cursor by DELTA visible rows, clamped. */
void view_table_move(struct view_table *t, long delta);
void view_table_home(struct view_table *t);
void view_table_end(struct view_table *t);
/* Puts the cursor on the visible row I (a mouse click). */
void view_table_select(struct view_table *t, size_t i);
/* Moves the cursor to the first visible row whose id or any cell equals
 * NAME (else contains it); false when none does. */
bool view_table_find(struct view_table *t, const char *name);
/* Keeps the cursor line within a window of HEIGHT lines. */
void view_table_scroll(struct view_table *t, size_t height);
/* The selected matrix cell's target, or NULL. */
const struct view_cell_target *view_table_cell(const struct view_table *t);
/* The status line of cell T of row R of the exports pane into BUF: the
 * export it shows, whether its consumer's services may call the service,
 * and the keys that change them. NAMES: the clusters' names. */
void view_cell_status(const struct view_row *r, const struct view_cell_target *t,
                      const char *const *names, char *buf, size_t len);
/* Moves the cell cursor DELTA matrix cells left (< 0) or right along the
 * selected row; false when there is none that way. With no cell selected,
 * selects the first. */
bool view_table_cell_move(struct view_table *t, int delta);

void view_table_set_filter(struct view_table *t, const char *filter);
/* Sorts by the next column (after the last, back to the built order). */
void view_table_sort_next(struct view_table *t);
void view_table_sort_reverse(struct view_table *t);

/* ---------------------------------------------------------- row building */

/* What rows are built from: one snapshot per cluster (NULL: no data yet),
 * the configured names, and the join of the snapshots. */
struct view_input {
	const struct store_snapshot *const *snaps;
	const char *const *names;
	size_t n;
	const struct join_view *join;
	int64_t now_ns;
	bool ascii; /* markers and arrows in ASCII */
	/* The prerequisite checks of the same snapshots; NULL: the model runs
	 * them (without live data the pollers do not fetch). */
	const struct preflight_report *checks;
	/* Whose detail and raw texts to build: NULL, every row's; else only
	 * the row of pane detail_pane whose id is detail_id ("": no row's).
	 * They cost more than the cells, and the dashboard shows one at a
	 * time. */
	const char *detail_id;
	enum view_pane detail_pane;
};

/* Whether IN asks for the detail and raw texts of row ID of pane P. */
bool view_want_detail(const struct view_input *in, enum view_pane p, const char *id);

/* What each pane provides. One file per pane (src/view/pane_*.c) fills one
 * constant table; src/view/panes.c registers them in screen order. The
 * generic table code scrolls, filters, sorts and the terminal draws, so a
 * pane only says what its columns are and how its rows are made. */
struct view_pane_ops {
	enum view_pane id;
	const char *title; /* "Mesh gateways" */
	const char *tab;   /* short, for the tabs of a small terminal: "Gateways" */
	const struct view_column *(*columns)(size_t *n);
	/* Rows from the joined snapshots (the pane's update). */
	int (*rows)(const struct view_input *in, struct view_row **rows, size_t *n);
	/* NULL, or sets the table's columns from the data (t->dyn), before
	 * rows() is called with the same input. */
	void (*columns_for)(const struct view_input *in, struct view_table *t);
	/* What the pane shows when it has no rows. */
	const char *empty;
	/* NULL, or what the rows are made from, summed up: while it returns
	 * the same non-zero key, view_model_update() keeps the rows it has
	 * (their texts are copies) instead of building them again. */
	uint64_t (*key)(const struct view_input *in);
	/* For view_model_update_times(): the rows read no time, neither the
	 * streams' nor an age, so they stay as they are (timeless); or NULL,
	 * or the rows' clock cells set again from IN in place (clock: 0, or 1
	 * when the rows are not IN's to patch, -1 when out of memory). */
	bool timeless;
	int (*clock)(const struct view_input *in, struct view_table *t);
};

/* The pane P, in screen order; NULL out of range. */
const struct view_pane_ops *view_pane_get(enum view_pane p);
/* Columns of each pane. */
const struct view_column *view_columns(enum view_pane p, size_t *ncols);
const char *view_pane_title(enum view_pane p);

/* The traffic path of SERVICE exported by cluster FROM to cluster TO (FROM's
 * peer PEER): one short picture, a line per hop with its address and
 * health, the first broken hop marked with why (path.c). Appended to *OUT;
 * -1 when out of memory. */
int view_path(const struct view_input *in, size_t from, size_t to, const char *service,
              const char *peer, char **out);
/* Whether the path works: the first broken hop's reason into WHY ("" when
 * none). */
bool view_path_ok(const struct view_input *in, size_t from, size_t to, const char *service,
                  const char *peer, char *why, size_t len);

/* Helpers for the builders. */
/* A row with NCELLS empty cells and id ID; NULL when out of memory. */
int view_row_init(struct view_row *r, const char *id, size_t ncells);
void view_row_clear(struct view_row *r);
void view_rows_free(struct view_row *rows, size_t n);
/* COUNT rows, row I filled by FILL(row, in, I). On success *rows and *n
 * hold them; on failure (-1) nothing is left allocated. */
int view_rows_build(const struct view_input *in, size_t count,
                    int (*fill)(struct view_row *r, const struct view_input *in, size_t i),
                    struct view_row **rows, size_t *n);
/* Consul Enterprise: some cluster's identity says so. The panes then show
 * a PARTITION column, and only then. */
bool view_any_enterprise(const struct view_input *in);
/* The PARTITION cell of a record of cluster S (NULL: not configured):
 * its partition; "default" for an Enterprise record that names none; the
 * none mark ("\u2014", "-" in ASCII) for Consul CE, which has no
 * partitions. */
const char *view_partition_text(const struct store_snapshot *s, const char *partition, bool ascii);
/* The table's columns are COLS[0..N) without column DROP (none when DROP
 * >= N), in t->dyn: for a column shown only on some data. */
void view_columns_without(struct view_table *t, const struct view_column *cols, size_t n,
                          size_t drop);
/* Removes cell I of R (the rows of such a table). */
void view_row_drop_cell(struct view_row *r, size_t i);
/* Sets cell I to a formatted text; -1 when out of memory. */
int view_cell_set(struct view_row *r, size_t i, enum theme_role role, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* Sets cell I to TEXT, over its last text when that is as long (an age
 * set again at every review of new times); -1 when out of memory. */
int view_cell_set_text(struct view_row *r, size_t i, enum theme_role role, const char *text);
/* Appends to a malloc'd string (*s may be NULL); -1 when out of memory. */
int view_append(char **s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "3s", "4m", "2h", "5d"; "—" ("-" in ASCII) for a negative age. */
const char *view_age(int64_t ms, bool ascii, char *buf, size_t len);
/* In how many ms the text view_age() gives for an age of MS changes as the
 * age grows (1 to 86,400,000); -1 for a negative age, whose text never
 * changes. */
int64_t view_age_next_ms(int64_t ms);
/* The role of a peering state: ok for ACTIVE, warn for PENDING and
 * ESTABLISHING, bad for the rest. */
enum theme_role view_state_role(enum model_peering_state s);

/* ------------------------------------------------------------ the model */

/* ------------------------------------------------------------ the map */

/* The topology map's content: a node per configured cluster, a link per
 * peering pair; the terminal lays them out. */
struct view_map_node {
	char name[64];
	bool loaded; /* a snapshot came */
	unsigned gw_total, gw_healthy;
	char mode[16];        /* the cluster-wide gateway mode */
	enum theme_role role; /* ok: gateways passing; bad: none passing */
};

struct view_map_link {
	size_t a, b;          /* node indexes; b VIEW_NO_CLUSTER: the peer is not configured */
	char peer[64];        /* b's name, or the unknown peer's */
	char label[64];       /* "ACTIVE", "PENDING / ESTABLISHING", "PENDING, one-sided" */
	enum theme_role role; /* by state */
	char id[VIEW_ID_MAX]; /* the peerings pane's row */
	char note[160];       /* the pair's problem, "" when healthy */
};

struct view_map {
	struct view_map_node *nodes;
	size_t nnodes;
	struct view_map_link *links;
	size_t nlinks;
};

/* Builds the map from IN (0, or -1 when out of memory: OUT empty). */
int view_map_build(const struct view_input *in, struct view_map *out);
void view_map_free(struct view_map *m);

struct view_model {
	struct view_table table[VIEW_PANE_COUNT];
	struct view_map map;
	unsigned clusters;
	unsigned pairs;
	unsigned pairs_active;
	unsigned problems;
	unsigned stale;       /* clusters with a side that stopped answering */
	char stale_note[160]; /* "cluster-03 42s, ...": those clusters, data ages */
	int64_t newest_ns;    /* the newest publish among the snapshots; 0: none */
	bool enterprise;      /* some cluster runs Consul Enterprise (view_any_enterprise) */
	/* When an age shown (a stale side's, the stale note's) next changes
	 * its text, in the clock of now_ns; 0: no age shown counts. */
	int64_t ages_change_ns;
	/* The newest row change stamp (view_row.changed_ns) of every table;
	 * 0: none. */
	int64_t newest_change_ns;
	/* Private: the checks of the last update, what each pane's rows were
	 * made from (view_pane_ops.key), and how often each pane's rows were
	 * built (for tests). */
	struct preflight_report checks_;
	uint64_t key_[VIEW_PANE_COUNT];
	int64_t newest_[VIEW_PANE_COUNT];
	unsigned builds_[VIEW_PANE_COUNT];
};

void view_model_init(struct view_model *vm);
void view_model_free(struct view_model *vm);
/* Rebuilds every table from IN, running the prerequisite checks first when
 * IN carries none. Returns 0, or -1 when out of memory (the tables that
 * could not be rebuilt keep their rows). */
int view_model_update(struct view_model *vm, const struct view_input *in);
/* Only the time moved: IN holds the snapshots and join of the last update,
 * at a later now_ns. Rebuilds what shows an age that counts (the clusters
 * pane, the stale note) with the checks of the last update; every other
 * pane keeps its rows. 0, or -1 when out of memory. */
int view_model_update_ages(struct view_model *vm, const struct view_input *in);
/* Only the streams' times and the sources' success times moved: IN's
 * snapshots say what the last update's said but for them, and IN's join has
 * the same pairs, with the same flags, health and problems (the caller
 * compared them). Rebuilds the title's counts and the panes that read a
 * time, sets the clock cells of the others that have them (their rows'
 * details wanted again), and keeps the timeless panes and the map, with
 * the checks of the last update when IN carries none. What it leaves is
 * what view_model_update() would have made. 0, or -1 when out of memory. */
int view_model_update_times(struct view_model *vm, const struct view_input *in);
/* How many times the rows of pane P were built (a pane whose key did not
 * change keeps its rows). */
unsigned view_model_builds(const struct view_model *vm, enum view_pane p);

#endif
