/* actions: the table, key names, the keymap, the bar, help, commands. */
#include "autoconfig.h"

#include "peerscope/actions.h"

#include "peerscope/view.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct action table[ACTION_COUNT] = {
#define ACTION_ROW(id, name, group, flags, arg, keys, bar, help)                                   \
	[ACTION_##id] = {ACTION_##id, name, group, flags, arg, keys, bar, help},
        ACTIONS_TABLE(ACTION_ROW)
#undef ACTION_ROW
};

/* The dashboard focuses pane (id - ACTION_PANE_CLUSTERS) for the actions
 * that name a pane (run_panes in ui.c): they follow enum view_pane, one for
 * one and in its order. */
#define PANE_OF(id) ((int)(id) - (int)ACTION_PANE_CLUSTERS)
_Static_assert(PANE_OF(ACTION_PANE_CLUSTERS) == VIEW_CLUSTERS, "pane actions follow view_pane");
_Static_assert(PANE_OF(ACTION_PANE_PEERINGS) == VIEW_PEERINGS, "pane actions follow view_pane");
_Static_assert(PANE_OF(ACTION_PANE_GATEWAYS) == VIEW_GATEWAYS, "pane actions follow view_pane");
_Static_assert(PANE_OF(ACTION_PANE_EXPORTS) == VIEW_EXPORTS, "pane actions follow view_pane");
_Static_assert(PANE_OF(ACTION_PANE_EXPORTS) + 1 == VIEW_PANE_COUNT, "one pane action per pane");
#undef PANE_OF

static const char *const group_names[ACTION_G_COUNT] = {
        [ACTION_G_GENERAL] = "General",
        [ACTION_G_PANES] = "Panes",
        [ACTION_G_MOVE] = "Moving",
        [ACTION_G_VIEW] = "Views, filter and sort",
        [ACTION_G_OPS] = "Operations (they change clusters; never offered read-only)",
};

const struct action *actions_get(enum action_id id)
{
	return (unsigned)id < ACTION_COUNT ? &table[id] : NULL;
}

enum action_id actions_find(const char *name)
{
	for (int i = 0; i < ACTION_COUNT; i++)
		if (!strcmp(table[i].name, name))
			return (enum action_id)i;
	return ACTION_NONE;
}

const char *actions_group_name(enum action_group g)
{
	return (unsigned)g < ACTION_G_COUNT ? group_names[g] : "";
}

/* ------------------------------------------------------------------ keys */

static const struct {
	const char *name;
	int key;
} named_keys[] = {
        {"Up", KEY_UP},      {"Down", KEY_DOWN},
        {"Left", KEY_LEFT},  {"Right", KEY_RIGHT},
        {"PgUp", KEY_PPAGE}, {"PgDn", KEY_NPAGE},
        {"Home", KEY_HOME},  {"End", KEY_END},
        {"Enter", '\n'},     {"Esc", 27},
        {"Tab", '\t'},       {"S-Tab", KEY_BTAB},
        {"Space", ' '},      {"Backspace", KEY_BACKSPACE},
        {"Del", KEY_DC},     {"Ins", KEY_IC},
};

int actions_key_parse(const char *name)
{
	size_t len = strlen(name);

	if (len == 1 && name[0] > ' ' && name[0] < 127)
		return (unsigned char)name[0];
	for (size_t i = 0; i < sizeof named_keys / sizeof named_keys[0]; i++)
		if (!strcmp(named_keys[i].name, name))
			return named_keys[i].key;
	if (len == 3 && name[0] == 'C' && name[1] == '-' && name[2] >= 'a' && name[2] <= 'z')
		return name[2] - 'a' + 1;
	if ((len == 2 || len == 3) && name[0] == 'F' && name[1] >= '1' && name[1] <= '9') {
		int n = atoi(name + 1);
		if (n >= 1 && n <= 12 && (len == 2 || (name[2] >= '0' && name[2] <= '9')))
			return KEY_F(n);
	}
	return -1;
}

const char *actions_key_name(int key, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof named_keys / sizeof named_keys[0]; i++) {
		if (named_keys[i].key == key) {
			snprintf(buf, len, "%s", named_keys[i].name);
			return buf;
		}
	}
	if (key > ' ' && key < 127)
		snprintf(buf, len, "%c", key);
	else if (key >= 1 && key <= 26)
		snprintf(buf, len, "C-%c", 'a' + key - 1);
	else if (key >= KEY_F(1) && key <= KEY_F(12))
		snprintf(buf, len, "F%d", key - KEY_F0);
	return buf;
}

/* ---------------------------------------------------------------- keymap */

static bool may_bind(const struct actions_keymap *km, enum action_id id)
{
	return (unsigned)id < ACTION_COUNT &&
	       !(km->readonly && (table[id].flags & ACTION_F_DANGEROUS));
}

int actions_keymap_bind(struct actions_keymap *km, int key, enum action_id id)
{
	if (!may_bind(km, id) || key < 0)
		return -1;
	for (size_t i = 0; i < km->n; i++) {
		if (km->v[i].key == key) {
			km->v[i].id = id;
			return 0;
		}
	}
	if (km->n == ACTIONS_MAX_BINDINGS)
		return -1;
	km->v[km->n++] = (struct action_binding){key, id};
	return 0;
}

void actions_keymap_default(struct actions_keymap *km, bool readonly)
{
	memset(km, 0, sizeof *km);
	km->readonly = readonly;
	for (int i = 0; i < ACTION_COUNT; i++) {
		char buf[128], *save = NULL;

		if (!may_bind(km, (enum action_id)i))
			continue;
		snprintf(buf, sizeof buf, "%s", table[i].keys);
		for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
			actions_keymap_bind(km, actions_key_parse(w), (enum action_id)i);
	}
}

int actions_keymap_set(struct actions_keymap *km, enum action_id id, const char *keys)
{
	int codes[ACTIONS_MAX_BINDINGS];
	size_t n = 0, kept = 0;
	char buf[256], *save = NULL;

	if (!may_bind(km, id) || (table[id].flags & ACTION_F_NO_KEY_OK) ||
	    strlen(keys) >= sizeof buf)
		return -1;
	snprintf(buf, sizeof buf, "%s", keys);
	for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (n == ACTIONS_MAX_BINDINGS || (codes[n] = actions_key_parse(w)) < 0)
			return -1;
		n++;
	}
	if (!n)
		return -1;
	for (size_t i = 0; i < km->n; i++)
		if (km->v[i].id != id)
			km->v[kept++] = km->v[i];
	km->n = kept;
	for (size_t i = 0; i < n; i++)
		actions_keymap_bind(km, codes[i], id);
	return 0;
}

enum action_id actions_lookup(const struct actions_keymap *km, int key)
{
	for (size_t i = 0; i < km->n; i++)
		if (km->v[i].key == key)
			return km->v[i].id;
	return ACTION_NONE;
}

bool actions_available(const struct actions_keymap *km, enum action_id id)
{
	return may_bind(km, id);
}

const char *actions_keys_text(const struct actions_keymap *km, enum action_id id, char *buf,
                              size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < km->n && used < len; i++) {
		char name[32];
		if (km->v[i].id != id || !*actions_key_name(km->v[i].key, name, sizeof name))
			continue;
		int w = snprintf(buf + used, len - used, "%s%s", used ? " " : "", name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}

/* ------------------------------------------------------------------- bar */

static int first_key(const struct actions_keymap *km, enum action_id id)
{
	for (size_t i = 0; i < km->n; i++)
		if (km->v[i].id == id)
			return km->v[i].key;
	return -1;
}

/* Order on the bar: function keys by number, then the rest, quit last. */
static int bar_rank(int key, enum action_id id)
{
	if (id == ACTION_QUIT)
		return 1000;
	if (key >= KEY_F(1) && key <= KEY_F(12))
		return key - KEY_F0;
	return 100;
}

size_t actions_bar(const struct actions_keymap *km, struct action_bar_item *out, size_t max)
{
	struct {
		int rank, key;
		enum action_id id;
	} c[ACTION_COUNT] = {{0}};
	size_t nc = 0, n = 0;

	/* The bound actions with a label, by rank, then in the table's order
	 * (an insertion sort: a few dozen, once a frame). */
	for (int i = 0; i < ACTION_COUNT; i++) {
		int key;
		if (!table[i].bar || !may_bind(km, (enum action_id)i) ||
		    (key = first_key(km, (enum action_id)i)) < 0)
			continue;
		size_t j = nc++;
		int rank = bar_rank(key, (enum action_id)i);
		for (; j > 0 && c[j - 1].rank > rank; j--)
			c[j] = c[j - 1];
		c[j].rank = rank;
		c[j].key = key;
		c[j].id = (enum action_id)i;
	}
	for (size_t k = 0; k < nc && n < max; k++, n++) {
		out[n].id = c[k].id;
		actions_key_name(c[k].key, out[n].key, sizeof out[n].key);
		out[n].label = table[c[k].id].bar;
	}
	return n;
}

/* ------------------------------------------------------------------ help */

int actions_help(const struct actions_keymap *km, struct model_strv *out)
{
	char line[512], keys[128];

	for (int g = 0; g < ACTION_G_COUNT; g++) {
		if (g > 0 && model_strv_push(out, "") < 0)
			return -1;
		if (model_strv_push(out, group_names[g]) < 0)
			return -1;
		for (int i = 0; i < ACTION_COUNT; i++) {
			if (table[i].group != (enum action_group)g ||
			    !may_bind(km, (enum action_id)i))
				continue;
			actions_keys_text(km, (enum action_id)i, keys, sizeof keys);
			snprintf(line, sizeof line, "  %-14s :%-14s %s", keys, table[i].name,
			         table[i].help);
			if (model_strv_push(out, line) < 0)
				return -1;
		}
	}
	return 0;
}

static int man_action(const struct actions_keymap *km, int i, struct model_strv *out)
{
	char line[512], keys[128];
	const char *argname =
	        table[i].arg == ACTION_ARG_NONE    ? ""
	        : table[i].arg == ACTION_ARG_SIM   ? " \\fICOMMAND\\fR ..."
	        : table[i].arg == ACTION_ARG_MODE  ? " [\\fICLUSTER MODE\\fR [\\fISERVICE\\fR]]"
	        : table[i].arg == ACTION_ARG_ONOFF ? " [\\fICLUSTER\\fR on|off]"
	        : table[i].arg == ACTION_ARG_SERVICE_PEER ? " [\\fICLUSTER SERVICE PEER\\fR]"
	        : table[i].arg != ACTION_ARG_CLUSTERS     ? " \\fINAME\\fR"
	        : i == ACTION_OP_DIALER                   ? " [\\fIB A\\fR]"
	                                                  : " [\\fIA B\\fR]";

	actions_keys_text(km, (enum action_id)i, keys, sizeof keys);
	if (*keys)
		snprintf(line, sizeof line, "\\fB%s\\fR  (:%s%s)", keys, table[i].name, argname);
	else
		snprintf(line, sizeof line, "\\fB:%s\\fR%s", table[i].name, argname);
	if (model_strv_push(out, ".TP") < 0 || model_strv_push(out, line) < 0 ||
	    model_strv_push(out, table[i].help) < 0)
		return -1;
	return 0;
}

int actions_man(const struct actions_keymap *km, struct model_strv *out)
{
	char line[128];

	for (int g = 0; g < ACTION_G_COUNT; g++) {
		snprintf(line, sizeof line, ".SS %s", group_names[g]);
		if (model_strv_push(out, line) < 0)
			return -1;
		for (int i = 0; i < ACTION_COUNT; i++)
			if (table[i].group == (enum action_group)g &&
			    may_bind(km, (enum action_id)i) && man_action(km, i, out) < 0)
				return -1;
	}
	return 0;
}

/* ---------------------------------------------------------- command line */

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Finds the action named by the LEN bytes at NAME among those KM offers
 * (all of them when KM is NULL): an exact name, else a unique prefix.
 * Returns the id, ACTION_NONE, or -2 when ambiguous. */
static int match_name(const struct actions_keymap *km, const char *name, size_t len)
{
	int found = ACTION_NONE;

	for (int i = 0; i < ACTION_COUNT; i++) {
		if ((km && !may_bind(km, (enum action_id)i)) || strncmp(table[i].name, name, len))
			continue;
		if (strlen(table[i].name) == len)
			return i;
		found = found == ACTION_NONE ? i : -2;
	}
	return found;
}

static int command_word(const struct actions_keymap *km, const char *word, size_t len, char *err,
                        size_t errlen)
{
	int id = match_name(km, word, len), exact = match_name(NULL, word, len);

	/* The whole name of an action that is not offered is not a prefix of
	 * the ones that are. */
	if (exact >= 0 && strlen(table[exact].name) == len &&
	    !may_bind(km, (enum action_id)exact)) {
		snprintf(err, errlen, "':%.*s' is not available in read-only mode", (int)len, word);
		return ACTION_NONE;
	}
	if (id >= 0)
		return id;
	if (id == -2)
		snprintf(err, errlen, "':%.*s' is ambiguous (Tab lists the commands)", (int)len,
		         word);
	else if (match_name(NULL, word, len) >= 0)
		snprintf(err, errlen, "':%.*s' is not available in read-only mode", (int)len, word);
	else
		snprintf(err, errlen, "unknown command ':%.*s' (Tab lists the commands)", (int)len,
		         word);
	return ACTION_NONE;
}

/* How many blank-separated words the first LEN bytes of S hold. */
static size_t words(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t'))
			n++;
	return n;
}

/* How many words the argument of kind A may have (when given at all). */
/* N words fit the argument A; the mesh operations' may add --partition P. */
static bool words_fit(enum action_arg a, size_t n)
{
	switch (a) {
	case ACTION_ARG_MODE:
		return n >= 2 && n <= 5;
	case ACTION_ARG_ONOFF:
		return n == 2 || n == 4;
	case ACTION_ARG_SERVICE_PEER:
		return n == 3 || n == 5;
	default:
		return true;
	}
}

static const char *arg_name(enum action_arg a)
{
	switch (a) {
	case ACTION_ARG_THEME:
		return "a theme name";
	case ACTION_ARG_PEER:
		return "a cluster or peer name";
	case ACTION_ARG_CLUSTER:
		return "a cluster name";
	case ACTION_ARG_CLUSTERS:
		return "two cluster names";
	case ACTION_ARG_SIM:
		return "a simulator command (stop, start, gateway, ...)";
	case ACTION_ARG_MODE:
		return "a cluster, local or remote, and a service or none (then --partition P)";
	case ACTION_ARG_ONOFF:
		return "a cluster and on or off (then --partition P)";
	case ACTION_ARG_SERVICE_PEER:
		return "a cluster, a service and a peer (then --partition P)";
	default:
		return "nothing";
	}
}

int actions_parse_command(const struct actions_keymap *km, const char *line,
                          struct action_command *out, char *err, size_t errlen)
{
	const char *p = skip_blanks(line), *word, *arg;
	size_t len, arglen;
	int id;

	memset(out, 0, sizeof *out);
	out->id = ACTION_NONE;
	if (*p == ':')
		p = skip_blanks(p + 1);
	word = p;
	len = strcspn(word, " \t");
	if (len == 0) {
		snprintf(err, errlen, "no command given");
		return -1;
	}
	id = command_word(km, word, len, err, errlen);
	if (id < 0)
		return -1;
	arg = skip_blanks(word + len);
	arglen = strlen(arg);
	while (arglen && (arg[arglen - 1] == ' ' || arg[arglen - 1] == '\t'))
		arglen--;
	if (table[id].arg != ACTION_ARG_NONE && arglen == 0 &&
	    !(table[id].flags & ACTION_F_ARG_OPTIONAL)) {
		snprintf(err, errlen, "':%s' needs %s", table[id].name, arg_name(table[id].arg));
		return -1;
	}
	/* Two cluster names, each partition flag with its value after them. */
	if (table[id].arg == ACTION_ARG_CLUSTERS && arglen &&
	    (words(arg, arglen) % 2 || words(arg, arglen) < 2 || words(arg, arglen) > 6)) {
		snprintf(
		        err, errlen,
		        "':%s' needs two cluster names (then --partition P, --dialer-partition P), "
		        "or none for the selection",
		        table[id].name);
		return -1;
	}
	if (arglen && !words_fit(table[id].arg, words(arg, arglen))) {
		snprintf(err, errlen, "':%s' needs %s, or nothing for the selection",
		         table[id].name, arg_name(table[id].arg));
		return -1;
	}
	if (table[id].arg == ACTION_ARG_NONE && arglen) {
		snprintf(err, errlen, "':%s' takes no argument", table[id].name);
		return -1;
	}
	if (arglen >= sizeof out->arg) {
		snprintf(err, errlen, "':%s': the argument is too long", table[id].name);
		return -1;
	}
	memcpy(out->arg, arg, arglen);
	out->arg[arglen] = '\0';
	out->id = (enum action_id)id;
	return 0;
}

/* Length of the common prefix of every string of M. */
static size_t common_prefix(const struct model_strv *m)
{
	size_t len = m->n ? strlen(m->v[0]) : 0;

	for (size_t i = 1; i < m->n; i++) {
		size_t j = 0;
		while (j < len && m->v[i][j] == m->v[0][j])
			j++;
		len = j;
	}
	return len;
}

/* Replaces LINE from offset AT with the common prefix of MATCHES (and a
 * space when FINAL and there is exactly one). */
static void extend(char *line, size_t linelen, size_t at, const struct model_strv *m, bool space)
{
	size_t len = common_prefix(m);

	if (m->n == 0 || at + len + 2 > linelen)
		return;
	memcpy(line + at, m->v[0], len);
	line[at + len] = '\0';
	if (space && m->n == 1)
		strcat(line + at + len, " ");
}

static int complete_name(const struct actions_keymap *km, char *line, size_t linelen, size_t at,
                         struct model_strv *matches)
{
	const char *prefix = line + at;
	size_t len = strlen(prefix);
	bool takes_arg = false;

	for (int i = 0; i < ACTION_COUNT; i++) {
		if (!may_bind(km, (enum action_id)i) || strncmp(table[i].name, prefix, len))
			continue;
		if (model_strv_push(matches, table[i].name) < 0)
			return -1;
		takes_arg = table[i].arg != ACTION_ARG_NONE;
	}
	extend(line, linelen, at, matches, takes_arg);
	return (int)matches->n;
}

/* An argument whose words each name something of their own. */
static bool positional(enum action_arg a)
{
	return a == ACTION_ARG_MODE || a == ACTION_ARG_ONOFF || a == ACTION_ARG_SERVICE_PEER;
}

/* What the word at POS (from 0) of an argument of kind A names. */
static const struct model_strv *position(enum action_arg a, size_t pos, actions_args_fn args,
                                         void *ctx)
{
	static char local[] = "local", remote[] = "remote", on[] = "on", off[] = "off";
	static char *modes[] = {local, remote}, *onoff[] = {on, off};
	static const struct model_strv mv = {modes, 2}, ov = {onoff, 2};

	if (pos == 0 || a == ACTION_ARG_CLUSTERS)
		return args(ctx, ACTION_ARG_CLUSTER);
	switch (a) {
	case ACTION_ARG_MODE:
		return pos == 1 ? &mv : args(ctx, ACTION_ARG_SERVICE);
	case ACTION_ARG_ONOFF:
		return pos == 1 ? &ov : NULL;
	case ACTION_ARG_SERVICE_PEER:
		return args(ctx, pos == 1 ? ACTION_ARG_SERVICE : ACTION_ARG_PEER);
	default:
		return NULL;
	}
}

static int complete_arg(const struct actions_keymap *km, char *line, size_t linelen, size_t at,
                        actions_args_fn args, void *ctx, struct model_strv *matches)
{
	const char *word = line + at;
	size_t wlen = strcspn(word, " \t");
	int id = match_name(km, word, wlen);
	const struct model_strv *cand;
	size_t argat;

	if (id < 0 || table[id].arg == ACTION_ARG_NONE || !args)
		return 0;
	cand = args(ctx, table[id].arg);
	argat = (size_t)(skip_blanks(word + wlen) - line);
	/* Several words: the word being typed is the last one; for the mesh
	 * operations, what it names depends on where it is. */
	if (table[id].arg == ACTION_ARG_CLUSTERS || table[id].arg == ACTION_ARG_SIM ||
	    positional(table[id].arg)) {
		size_t before = words(line + argat, strlen(line + argat));
		const char *last = strrchr(line + argat, ' ');
		if (last)
			argat = (size_t)(last + 1 - line);
		if (*(line + argat))
			before--; /* the word being typed is counted */
		if (positional(table[id].arg))
			cand = position(table[id].arg, before, args, ctx);
	}
	for (size_t i = 0; cand && i < cand->n; i++) {
		if (strncmp(cand->v[i], line + argat, strlen(line + argat)))
			continue;
		if (model_strv_push(matches, cand->v[i]) < 0)
			return -1;
	}
	extend(line, linelen, argat, matches, false);
	return (int)matches->n;
}

int actions_complete(const struct actions_keymap *km, char *line, size_t linelen,
                     actions_args_fn args, void *ctx, struct model_strv *matches)
{
	size_t at = (size_t)(skip_blanks(line) - line);

	model_strv_clear(matches);
	if (line[at] == ':')
		at = (size_t)(skip_blanks(line + at + 1) - line);
	if (!strpbrk(line + at, " \t"))
		return complete_name(km, line, linelen, at, matches);
	return complete_arg(km, line, linelen, at, args, ctx, matches);
}
