/* actions: every user action of the dashboard, declared once.
 *
 * The table below is the single description of what the user can do: the
 * enum, the default key bindings, the help screen, the function-key bar, the
 * ':' command line with its completion, and the key section of
 * peerscope-ui(7) (checked by the unit tests) are all made from it.
 *
 * Actions that change a cluster carry ACTION_F_DANGEROUS. In read-only mode
 * they are never bound to a key, never on the bar, never accepted on the
 * command line: not being offered is how read-only works. Destructive ones
 * also carry ACTION_F_CONFIRM and ask first.
 *
 * Key codes are ncurses' (KEY_F(1), KEY_UP, ...) and plain characters; a
 * key has a name for the docs and the help ("F1", "C-l", "S-Tab", "PgDn").
 * Nothing here draws: pure functions over the table. */
#ifndef PEERSCOPE_ACTIONS_H
#define PEERSCOPE_ACTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "peerscope/model.h"

enum action_group {
	ACTION_G_GENERAL,
	ACTION_G_PANES,
	ACTION_G_MOVE,
	ACTION_G_VIEW,
	ACTION_G_OPS,
	ACTION_G_COUNT
};

/* Flags. */
enum {
	ACTION_F_DANGEROUS = 1u << 0,    /* changes a cluster: never bound when read-only */
	ACTION_F_CONFIRM = 1u << 1,      /* destructive: asks before running */
	ACTION_F_SELECTION = 1u << 2,    /* needs a selected row */
	ACTION_F_NO_KEY_OK = 1u << 3,    /* only on the command line (takes an argument) */
	ACTION_F_ARG_OPTIONAL = 1u << 4, /* the argument may be left out: the selection */
};

/* What a command's argument names, for completion. */
enum action_arg {
	ACTION_ARG_NONE,
	ACTION_ARG_THEME,
	ACTION_ARG_PEER,
	ACTION_ARG_CLUSTER,
	ACTION_ARG_CLUSTERS,     /* two cluster names: "A B" */
	ACTION_ARG_SIM,          /* a simulator command and its words */
	ACTION_ARG_MODE,         /* "CLUSTER local|remote [SERVICE]" */
	ACTION_ARG_ONOFF,        /* "CLUSTER on|off" */
	ACTION_ARG_SERVICE_PEER, /* "CLUSTER SERVICE PEER" */
	ACTION_ARG_SERVICE,      /* completion only: a service name */
	ACTION_ARG_WORD,         /* completion only: the fixed words of the position */
	ACTION_ARG_COUNT
};

/* X(id, name, group, flags, arg, default keys, bar label, help)
 * keys: names separated by spaces, the first shown on the bar; bar label:
 * NULL when the action is not on the function-key bar. */
#define ACTIONS_TABLE(X)                                                                           \
	X(HELP, "help", ACTION_G_GENERAL, 0, ACTION_ARG_NONE, "F1 ?", "Help",                      \
	  "show this help: every key and command")                                                 \
	X(COMMAND, "command", ACTION_G_GENERAL, 0, ACTION_ARG_NONE, ":", "Cmd",                    \
	  "open the command line (Tab completes)")                                                 \
	X(EVENTS, "events", ACTION_G_GENERAL, 0, ACTION_ARG_NONE, "F9 L", "Log",                   \
	  "show the event log: state changes across all clusters")                                 \
	X(FREEZE, "freeze", ACTION_G_GENERAL, 0, ACTION_ARG_NONE, "Z", NULL,                       \
	  "freeze the screen: stop showing updates until pressed again")                           \
	X(REFRESH, "refresh", ACTION_G_GENERAL, 0, ACTION_ARG_NONE, "F5 C-r", "Refresh",           \
	  "fetch everything from every cluster again now")                                         \
	X(REDRAW, "redraw", ACTION_G_GENERAL, 0, ACTION_ARG_NONE, "C-l", NULL,                     \
	  "redraw the whole screen")                                                               \
	X(THEME, "theme", ACTION_G_GENERAL, ACTION_F_NO_KEY_OK, ACTION_ARG_THEME, "", NULL,        \
	  "switch to the colour theme NAME")                                                       \
	X(MAP, "map", ACTION_G_GENERAL, 0, ACTION_ARG_NONE, "m", NULL,                             \
	  "the topology map: clusters as boxes, peerings as lines by state")                       \
	X(TOUR, "tour", ACTION_G_GENERAL, ACTION_F_NO_KEY_OK, ACTION_ARG_NONE, "", NULL,           \
	  "in a demo: the guided tour (Space goes on, Backspace again, q leaves it)")              \
	X(SIM, "sim", ACTION_G_GENERAL, ACTION_F_NO_KEY_OK, ACTION_ARG_SIM, "", NULL,              \
	  "in a demo: drive its simulator (stop C, start C, gateway C critical, ...)")             \
	X(QUIT, "quit", ACTION_G_GENERAL, 0, ACTION_ARG_NONE, "F10 q", "Quit", "quit peerscope")   \
	X(PANE_NEXT, "pane-next", ACTION_G_PANES, 0, ACTION_ARG_NONE, "Tab", NULL,                 \
	  "focus the next pane")                                                                   \
	X(PANE_PREV, "pane-prev", ACTION_G_PANES, 0, ACTION_ARG_NONE, "S-Tab", NULL,               \
	  "focus the previous pane")                                                               \
	X(PANE_CLUSTERS, "clusters", ACTION_G_PANES, 0, ACTION_ARG_NONE, "1", NULL,                \
	  "focus the clusters pane")                                                               \
	X(PANE_PEERINGS, "peerings", ACTION_G_PANES, 0, ACTION_ARG_NONE, "2", NULL,                \
	  "focus the peerings pane")                                                               \
	X(PANE_GATEWAYS, "gateways", ACTION_G_PANES, 0, ACTION_ARG_NONE, "3", NULL,                \
	  "focus the mesh gateways pane")                                                          \
	X(PANE_EXPORTS, "exports", ACTION_G_PANES, 0, ACTION_ARG_NONE, "4", NULL,                  \
	  "focus the exported services pane")                                                      \
	X(UP, "up", ACTION_G_MOVE, 0, ACTION_ARG_NONE, "Up k", NULL, "move up one row")            \
	X(DOWN, "down", ACTION_G_MOVE, 0, ACTION_ARG_NONE, "Down j", NULL, "move down one row")    \
	X(PAGE_UP, "page-up", ACTION_G_MOVE, 0, ACTION_ARG_NONE, "PgUp C-b", NULL,                 \
	  "move up one page")                                                                      \
	X(PAGE_DOWN, "page-down", ACTION_G_MOVE, 0, ACTION_ARG_NONE, "PgDn C-f", NULL,             \
	  "move down one page")                                                                    \
	X(TOP, "top", ACTION_G_MOVE, 0, ACTION_ARG_NONE, "g Home", NULL, "go to the first row")    \
	X(BOTTOM, "bottom", ACTION_G_MOVE, 0, ACTION_ARG_NONE, "G End", NULL,                      \
	  "go to the last row")                                                                    \
	X(LEFT, "left", ACTION_G_MOVE, 0, ACTION_ARG_NONE, "Left h", NULL,                         \
	  "scroll the columns left")                                                               \
	X(RIGHT, "right", ACTION_G_MOVE, 0, ACTION_ARG_NONE, "Right l", NULL,                      \
	  "scroll the columns right (the first column stays)")                                     \
	X(PEERING, "peering", ACTION_G_MOVE, ACTION_F_NO_KEY_OK, ACTION_ARG_PEER, "", NULL,        \
	  "go to the peering with the cluster or peer NAME")                                       \
	X(CLUSTER, "cluster", ACTION_G_MOVE, ACTION_F_NO_KEY_OK, ACTION_ARG_CLUSTER, "", NULL,     \
	  "go to the cluster NAME")                                                                \
	X(DETAIL, "detail", ACTION_G_VIEW, ACTION_F_SELECTION, ACTION_ARG_NONE, "Enter", NULL,     \
	  "show everything known about the selected row")                                          \
	X(RAW, "raw", ACTION_G_VIEW, ACTION_F_SELECTION, ACTION_ARG_NONE, "y", NULL,               \
	  "in the detail view: switch between the summary and raw JSON/YAML")                      \
	X(BACK, "back", ACTION_G_VIEW, 0, ACTION_ARG_NONE, "Esc", NULL,                            \
	  "close the detail, help or log view; clear the filter")                                  \
	X(FILTER, "filter", ACTION_G_VIEW, 0, ACTION_ARG_NONE, "F4 /", "Filter",                   \
	  "filter the pane's rows as you type (Enter keeps it, Esc clears it)")                    \
	X(SORT, "sort", ACTION_G_VIEW, 0, ACTION_ARG_NONE, "F6 s", "Sort",                         \
	  "sort the pane by its next column")                                                      \
	X(SORT_REVERSE, "sort-reverse", ACTION_G_VIEW, 0, ACTION_ARG_NONE, "S", NULL,              \
	  "reverse the sort order")                                                                \
	X(OP_PEER, "peer", ACTION_G_OPS, ACTION_OPS_FLAGS, ACTION_ARG_CLUSTERS, "p", "Peer",       \
	  "peer the selected cluster with one you choose, or finish the selected peering (A B)")   \
	X(OP_ACCEPTOR, "acceptor", ACTION_G_OPS, ACTION_OPS_FLAGS, ACTION_ARG_CLUSTERS, "a",       \
	  "Acc",                                                                                   \
	  "the PeeringAcceptor on the selected cluster for a peer you choose, and its token (A "   \
	  "B)")                                                                                    \
	X(OP_EXCHANGE, "exchange", ACTION_G_OPS, ACTION_OPS_FLAGS, ACTION_ARG_CLUSTERS, "t",       \
	  "Token", "copy the selected peering's token Secret to the dialing cluster (A B)")        \
	X(OP_DIALER, "dialer", ACTION_G_OPS, ACTION_OPS_FLAGS, ACTION_ARG_CLUSTERS, "d", "Dial",   \
	  "the PeeringDialer on the selected cluster for a peer you choose (B A)")                 \
	X(OP_REGENERATE, "regenerate", ACTION_G_OPS, ACTION_OPS_FLAGS, ACTION_ARG_CLUSTERS, "R",   \
	  NULL, "a new token for the selected peering, moved and dialed again (A B)")              \
	X(OP_UNPEER, "unpeer", ACTION_G_OPS, ACTION_OPS_FLAGS | ACTION_F_CONFIRM,                  \
	  ACTION_ARG_CLUSTERS, "D", NULL,                                                          \
	  "delete the selected peering, after showing what goes away (A B)")                       \
	X(OP_GATEWAY_MODE, "gateway-mode", ACTION_G_OPS, ACTION_OPS_FLAGS, ACTION_ARG_MODE, "M",   \
	  NULL,                                                                                    \
	  "the mesh gateway mode (local or remote) of the selected cluster, or of the selected "   \
	  "row's service in the exports pane")                                                     \
	X(OP_PTMG, "peer-through-gateways", ACTION_G_OPS, ACTION_OPS_FLAGS, ACTION_ARG_ONOFF, "w", \
	  NULL, "turn peering through mesh gateways on or off for the selected cluster")           \
	X(OP_EXPORT, "export", ACTION_G_OPS, ACTION_OPS_FLAGS, ACTION_ARG_SERVICE_PEER, "e", NULL, \
	  "export the selected cell's service to the peer of its column (on an exported cell: "    \
	  "unexport it)")                                                                          \
	X(OP_UNEXPORT, "unexport", ACTION_G_OPS, ACTION_OPS_FLAGS, ACTION_ARG_SERVICE_PEER, "u",   \
	  NULL, "stop exporting the selected cell's service to the peer of its column")            \
	X(OP_ALLOW, "allow", ACTION_G_OPS, ACTION_OPS_FLAGS, ACTION_ARG_SERVICE_PEER, "i", NULL,   \
	  "let the services of the selected cell's peer call its service, an intention (on an "    \
	  "allowed cell: deny)")                                                                   \
	X(OP_DENY, "deny", ACTION_G_OPS, ACTION_OPS_FLAGS, ACTION_ARG_SERVICE_PEER, "I", NULL,     \
	  "stop the services of the selected cell's peer from calling its service")

/* The operations change clusters; their argument (two cluster names) may be
 * left out for the selection. */
#define ACTION_OPS_FLAGS (ACTION_F_DANGEROUS | ACTION_F_ARG_OPTIONAL)

enum action_id {
	ACTION_NONE = -1,
#define ACTION_ENUM(id, name, group, flags, arg, keys, bar, help) ACTION_##id,
	ACTIONS_TABLE(ACTION_ENUM)
#undef ACTION_ENUM
	ACTION_COUNT
};

struct action {
	enum action_id id;
	const char *name; /* config and command-line name */
	enum action_group group;
	unsigned flags;
	enum action_arg arg;
	const char *keys; /* default key names, space-separated */
	const char *bar;  /* label on the function-key bar, or NULL */
	const char *help;
};

/* The table; NULL for an id out of range. */
const struct action *actions_get(enum action_id id);
/* The action named NAME, or ACTION_NONE. */
enum action_id actions_find(const char *name);
const char *actions_group_name(enum action_group g);

/* ------------------------------------------------------------------ keys */

/* Key code for a name ("q", "F1", "C-l", "S-Tab", "Enter", "Esc", "Up",
 * "PgDn", "Space", ...), or -1. */
int actions_key_parse(const char *name);
/* Name of a key code; "" for one without a name. Returns buf. */
const char *actions_key_name(int key, char *buf, size_t len);

#define ACTIONS_MAX_BINDINGS 128

struct action_binding {
	int key;
	enum action_id id;
};

/* Which key runs which action. Built from the defaults; dangerous actions
 * are left out when read-only. */
struct actions_keymap {
	struct action_binding v[ACTIONS_MAX_BINDINGS];
	size_t n;
	bool readonly;
};

void actions_keymap_default(struct actions_keymap *km, bool readonly);
/* Binds KEY to ID, replacing KEY's binding. -1 when ID may not be bound
 * (dangerous while read-only) or the map is full. */
int actions_keymap_bind(struct actions_keymap *km, int key, enum action_id id);
/* Gives ID the keys named in KEYS (space-separated, as in the table) in
 * place of the ones it has; each key is taken from the action it had.
 * -1, changing nothing, when a name is unknown, KEYS names none, or ID may
 * not be bound: dangerous while read-only, or an action that takes an
 * argument (ACTION_F_NO_KEY_OK). */
int actions_keymap_set(struct actions_keymap *km, enum action_id id, const char *keys);
/* The action bound to KEY, or ACTION_NONE. */
enum action_id actions_lookup(const struct actions_keymap *km, int key);
/* True when ID is offered at all (bound or on the command line). */
bool actions_available(const struct actions_keymap *km, enum action_id id);
/* The key names bound to ID, in binding order, separated by spaces ("F1 ?");
 * "" when none. Returns buf. */
const char *actions_keys_text(const struct actions_keymap *km, enum action_id id, char *buf,
                              size_t len);

/* -------------------------------------------------------- function-key bar */

struct action_bar_item {
	enum action_id id;
	char key[16];      /* "F1" */
	const char *label; /* "Help" */
};

/* The bar: actions with a bar label and a bound key, showing their first
 * key; function keys in their order, then the others in table order, quit
 * last. Returns how many were written. */
size_t actions_bar(const struct actions_keymap *km, struct action_bar_item *out, size_t max);

/* ------------------------------------------------------------------- help */

/* The help screen as lines of text: per group a heading, then one line per
 * available action: keys, command name and help. Lines are appended to
 * OUT. 0, or -1 when out of memory. */
int actions_help(const struct actions_keymap *km, struct model_strv *out);

/* The KEYS section of peerscope-ui(7), in roff, one line per element:
 * per group a .SS heading, per action a .TP paragraph with its keys, its
 * command name and help. The unit tests compare it with the page. */
int actions_man(const struct actions_keymap *km, struct model_strv *out);

/* ---------------------------------------------------------- command line */

struct action_command {
	enum action_id id;
	char arg[256]; /* "" when none */
};

/* Parses ":name [arg]" (the colon is optional; a unique prefix of a name
 * is accepted). Returns 0, or -1 with a message in err (unknown command,
 * ambiguous, missing or unexpected argument, not available read-only). */
int actions_parse_command(const struct actions_keymap *km, const char *line,
                          struct action_command *out, char *err, size_t errlen);

/* Candidates for an argument of KIND; NULL when there are none. */
typedef const struct model_strv *(*actions_args_fn)(void *ctx, enum action_arg kind);

/* Completes LINE (":" optional) in place: the command name while the line
 * has no space, else the argument from ARGS. The line grows to the longest
 * common prefix of the matches, plus a space after a complete command name
 * that takes an argument. The matches are put in MATCHES (cleared first).
 * Returns how many there are; -1 when out of memory. */
int actions_complete(const struct actions_keymap *km, char *line, size_t linelen,
                     actions_args_fn args, void *ctx, struct model_strv *matches);

#endif
