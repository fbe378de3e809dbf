/* actions: the table, key names, keymap, bar, help, commands, the man page. */
#include "autoconfig.h"

#include "unit.h"

#include "peerscope/actions.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

START_TEST(table_is_consistent)
{
	struct actions_keymap km;

	actions_keymap_default(&km, false);
	for (int i = 0; i < ACTION_COUNT; i++) {
		const struct action *a = actions_get((enum action_id)i);
		char buf[128], *save = NULL;

		ck_assert_int_eq(a->id, i);
		ck_assert_msg(a->name && *a->name && a->help && *a->help, "action %d", i);
		ck_assert_int_eq(actions_find(a->name), i);
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(a->name, actions_get((enum action_id)j)->name);
		/* Every default key has a name that parses and is bound to it. */
		snprintf(buf, sizeof buf, "%s", a->keys);
		for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
			int key = actions_key_parse(w);
			ck_assert_msg(key >= 0, "%s: key \"%s\"", a->name, w);
			ck_assert_msg(actions_lookup(&km, key) == (enum action_id)i,
			              "%s: key %s is taken by %s", a->name, w,
			              actions_get(actions_lookup(&km, key))->name);
		}
		/* An action with no key must be reachable from the command line. */
		if (!*a->keys)
			ck_assert(a->flags & ACTION_F_NO_KEY_OK);
	}
	ck_assert_ptr_null(actions_get(ACTION_COUNT));
	ck_assert_int_eq(actions_find("nonesuch"), ACTION_NONE);
}
END_TEST

START_TEST(key_names)
{
	static const struct {
		const char *name;
		int key;
	} keys[] = {
	        {"q", 'q'},         {"?", '?'},  {"F1", KEY_F(1)},    {"F10", KEY_F(10)},
	        {"F12", KEY_F(12)}, {"C-l", 12}, {"Tab", '\t'},       {"S-Tab", KEY_BTAB},
	        {"Enter", '\n'},    {"Esc", 27}, {"PgDn", KEY_NPAGE}, {"Up", KEY_UP},
	        {"Space", ' '},
	};
	char buf[32];

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		ck_assert_int_eq(actions_key_parse(keys[i].name), keys[i].key);
		ck_assert_str_eq(actions_key_name(keys[i].key, buf, sizeof buf), keys[i].name);
	}
	ck_assert_int_eq(actions_key_parse("F13"), -1);
	ck_assert_int_eq(actions_key_parse("F0"), -1);
	ck_assert_int_eq(actions_key_parse("F1x"), -1);
	ck_assert_int_eq(actions_key_parse("C-"), -1);
	ck_assert_int_eq(actions_key_parse(""), -1);
	ck_assert_int_eq(actions_key_parse("Hyper"), -1);
	ck_assert_str_eq(actions_key_name(KEY_MOUSE, buf, sizeof buf), "");
}
END_TEST

START_TEST(default_bindings)
{
	struct actions_keymap km;
	char buf[64];

	actions_keymap_default(&km, false);
	ck_assert_int_eq(actions_lookup(&km, 'q'), ACTION_QUIT);
	ck_assert_int_eq(actions_lookup(&km, KEY_F(10)), ACTION_QUIT);
	ck_assert_int_eq(actions_lookup(&km, '?'), ACTION_HELP);
	ck_assert_int_eq(actions_lookup(&km, KEY_BTAB), ACTION_PANE_PREV);
	ck_assert_int_eq(actions_lookup(&km, '3'), ACTION_PANE_GATEWAYS);
	ck_assert_int_eq(actions_lookup(&km, 'j'), ACTION_DOWN);
	ck_assert_int_eq(actions_lookup(&km, 'G'), ACTION_BOTTOM);
	ck_assert_int_eq(actions_lookup(&km, '/'), ACTION_FILTER);
	ck_assert_int_eq(actions_lookup(&km, 'Z'), ACTION_FREEZE);
	ck_assert_int_eq(actions_lookup(&km, 12), ACTION_REDRAW);
	ck_assert_int_eq(actions_lookup(&km, KEY_F(5)), ACTION_REFRESH);
	ck_assert_int_eq(actions_lookup(&km, 'x'), ACTION_NONE);
	ck_assert_str_eq(actions_keys_text(&km, ACTION_HELP, buf, sizeof buf), "F1 ?");
	ck_assert_str_eq(actions_keys_text(&km, ACTION_THEME, buf, sizeof buf), "");

	/* Rebinding a key moves it; the other keys stay. */
	ck_assert_int_eq(actions_keymap_bind(&km, 'q', ACTION_HELP), 0);
	ck_assert_int_eq(actions_lookup(&km, 'q'), ACTION_HELP);
	ck_assert_str_eq(actions_keys_text(&km, ACTION_QUIT, buf, sizeof buf), "F10");
	ck_assert_int_eq(actions_keymap_bind(&km, -1, ACTION_HELP), -1);
	ck_assert_int_eq(actions_keymap_bind(&km, 'x', ACTION_COUNT), -1);
}
END_TEST

/* The keys: setting of the config file: an action's keys replace its
 * defaults, and a key it takes leaves the action that had it. */
START_TEST(keymap_set_replaces_an_actions_keys)
{
	struct actions_keymap km, before;
	char buf[64];

	actions_keymap_default(&km, false);
	ck_assert_int_eq(actions_keymap_set(&km, ACTION_QUIT, "x F12"), 0);
	ck_assert_int_eq(actions_lookup(&km, 'x'), ACTION_QUIT);
	ck_assert_int_eq(actions_lookup(&km, KEY_F(12)), ACTION_QUIT);
	ck_assert_int_eq(actions_lookup(&km, 'q'), ACTION_NONE);
	ck_assert_int_eq(actions_lookup(&km, KEY_F(10)), ACTION_NONE);
	ck_assert_str_eq(actions_keys_text(&km, ACTION_QUIT, buf, sizeof buf), "x F12");
	/* The bar shows the new first key. */
	struct action_bar_item bar[16];
	size_t n = actions_bar(&km, bar, 16);
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(bar[n - 1].id, ACTION_QUIT);
	ck_assert_str_eq(bar[n - 1].key, "x");

	/* Taking another action's key: help gets '?' and keeps nothing else,
	 * F1 is free. */
	ck_assert_int_eq(actions_keymap_set(&km, ACTION_HELP, "?"), 0);
	ck_assert_int_eq(actions_keymap_set(&km, ACTION_REFRESH, "? r"), 0);
	ck_assert_int_eq(actions_lookup(&km, '?'), ACTION_REFRESH);
	ck_assert_int_eq(actions_lookup(&km, KEY_F(1)), ACTION_NONE);
	ck_assert_str_eq(actions_keys_text(&km, ACTION_HELP, buf, sizeof buf), "");

	/* Refused, changing nothing: an unknown key name, no key at all, an
	 * action that takes an argument, no action. */
	before = km;
	ck_assert_int_eq(actions_keymap_set(&km, ACTION_SORT, "s Hyper"), -1);
	ck_assert_int_eq(actions_keymap_set(&km, ACTION_SORT, " "), -1);
	ck_assert_int_eq(actions_keymap_set(&km, ACTION_THEME, "t"), -1);
	ck_assert_int_eq(actions_keymap_set(&km, ACTION_NONE, "t"), -1);
	ck_assert_uint_eq(km.n, before.n);
	ck_assert_int_eq(memcmp(km.v, before.v, km.n * sizeof km.v[0]), 0);
	ck_assert_int_eq(actions_lookup(&km, 's'), ACTION_SORT);
}
END_TEST

START_TEST(readonly_unbinds_only_dangerous)
{
	static const enum action_id ops[] = {ACTION_OP_PEER,       ACTION_OP_ACCEPTOR,
	                                     ACTION_OP_EXCHANGE,   ACTION_OP_DIALER,
	                                     ACTION_OP_REGENERATE, ACTION_OP_UNPEER};
	struct actions_keymap rw, ro;

	actions_keymap_default(&rw, false);
	actions_keymap_default(&ro, true);
	/* The operations, and only they (the group of each action says),
	 * change clusters: read-only mode leaves their keys unbound. */
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		ck_assert_msg(actions_get(ops[i])->flags & ACTION_F_DANGEROUS, "%s",
		              actions_get(ops[i])->name);
	ck_assert_int_eq(actions_lookup(&rw, 'p'), ACTION_OP_PEER);
	ck_assert_int_eq(actions_lookup(&ro, 'p'), ACTION_NONE);
	ck_assert_int_eq(actions_lookup(&rw, 'D'), ACTION_OP_UNPEER);
	ck_assert_int_eq(actions_lookup(&ro, 'D'), ACTION_NONE);
	for (int i = 0; i < ACTION_COUNT; i++) {
		const struct action *a = actions_get((enum action_id)i);
		bool dangerous = a->flags & ACTION_F_DANGEROUS;
		char k1[64], k2[64];

		ck_assert_msg(dangerous == (a->group == ACTION_G_OPS), "%s", a->name);
		ck_assert(actions_available(&rw, a->id));
		ck_assert_int_eq(actions_available(&ro, a->id), !dangerous);
		actions_keys_text(&rw, a->id, k1, sizeof k1);
		actions_keys_text(&ro, a->id, k2, sizeof k2);
		if (dangerous)
			ck_assert_str_eq(k2, "");
		else
			ck_assert_str_eq(k1, k2);
	}
}
END_TEST

START_TEST(function_key_bar)
{
	struct actions_keymap km;
	struct action_bar_item bar[16];
	size_t n;

	actions_keymap_default(&km, false);
	n = actions_bar(&km, bar, 16);
	ck_assert_uint_eq(n, 11);
	ck_assert_str_eq(bar[0].key, "F1");
	ck_assert_str_eq(bar[0].label, "Help");
	ck_assert_str_eq(bar[1].key, "F4");
	ck_assert_str_eq(bar[2].key, "F5");
	ck_assert_str_eq(bar[2].label, "Refresh");
	ck_assert_str_eq(bar[3].key, "F6");
	ck_assert_str_eq(bar[4].key, "F9");
	ck_assert_str_eq(bar[5].key, ":");
	ck_assert_str_eq(bar[6].key, "p");
	ck_assert_str_eq(bar[6].label, "Peer");
	ck_assert_str_eq(bar[9].key, "d");
	ck_assert_str_eq(bar[10].key, "F10");
	ck_assert_int_eq(bar[10].id, ACTION_QUIT);
	/* Read-only: the operations are not on the bar. */
	struct actions_keymap ro;
	actions_keymap_default(&ro, true);
	ck_assert_uint_eq(actions_bar(&ro, bar, 16), 7);
	ck_assert_int_eq(bar[6].id, ACTION_QUIT);
	/* The bar follows the bindings. */
	ck_assert_int_eq(actions_keymap_bind(&km, KEY_F(4), ACTION_SORT), 0);
	ck_assert_int_eq(actions_keymap_bind(&km, KEY_F(6), ACTION_HELP), 0);
	n = actions_bar(&km, bar, 3);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(bar[0].key, "F1");
	ck_assert_str_eq(bar[1].key, "F4");
	ck_assert_str_eq(bar[1].label, "Sort");
	ck_assert_str_eq(bar[2].key, "F5");
}
END_TEST

static bool has_line(const struct model_strv *v, const char *text)
{
	for (size_t i = 0; i < v->n; i++)
		if (strstr(v->v[i], text))
			return true;
	return false;
}

START_TEST(help_screen)
{
	struct actions_keymap km;
	struct model_strv lines = {0};

	actions_keymap_default(&km, false);
	ck_assert_int_eq(actions_help(&km, &lines), 0);
	ck_assert_str_eq(lines.v[0], "General");
	ck_assert(has_line(&lines, "Panes"));
	ck_assert(has_line(&lines, "  F10 q          :quit           quit peerscope"));
	ck_assert(has_line(&lines, ":theme"));
	for (int i = 0; i < ACTION_COUNT; i++) {
		char name[64];
		snprintf(name, sizeof name, ":%s ", actions_get((enum action_id)i)->name);
		ck_assert_msg(has_line(&lines, name), "%s is not in the help", name);
	}
	model_strv_clear(&lines);
}
END_TEST

static void parses(const char *line, enum action_id id, const char *arg)
{
	struct actions_keymap km;
	struct action_command cmd;
	char err[256] = "";

	actions_keymap_default(&km, false);
	ck_assert_msg(actions_parse_command(&km, line, &cmd, err, sizeof err) == 0, "%s: %s", line,
	              err);
	ck_assert_int_eq(cmd.id, id);
	ck_assert_str_eq(cmd.arg, arg);
}

static void rejects(const char *line, const char *msg)
{
	struct actions_keymap km;
	struct action_command cmd;
	char err[256] = "";

	actions_keymap_default(&km, false);
	ck_assert_int_eq(actions_parse_command(&km, line, &cmd, err, sizeof err), -1);
	ck_assert_int_eq(cmd.id, ACTION_NONE);
	ck_assert_msg(strstr(err, msg), "%s: got \"%s\"", line, err);
}

START_TEST(command_line)
{
	parses(":quit", ACTION_QUIT, "");
	parses("quit", ACTION_QUIT, "");
	parses(":q", ACTION_QUIT, "");
	parses(":theme light", ACTION_THEME, "light");
	parses("  :  peering   cluster-02  ", ACTION_PEERING, "cluster-02");
	/* The operations: two cluster names, or none for the selection. */
	parses(":peer cluster-01 cluster-03", ACTION_OP_PEER, "cluster-01 cluster-03");
	parses(":dialer b a", ACTION_OP_DIALER, "b a");
	parses(":unpeer", ACTION_OP_UNPEER, "");
	parses(":regenerate  x   y ", ACTION_OP_REGENERATE, "x   y");
	/* With the partitions (Consul Enterprise), as on the command line. */
	parses(":peer a b --partition team-a --dialer-partition ops", ACTION_OP_PEER,
	       "a b --partition team-a --dialer-partition ops");
	/* The mesh operations: a cluster and their own words, or none. */
	parses(":gateway-mode cluster-01 local", ACTION_OP_GATEWAY_MODE, "cluster-01 local");
	parses(":gateway-mode cluster-01 remote web", ACTION_OP_GATEWAY_MODE,
	       "cluster-01 remote web");
	parses(":peer-through-gateways c on", ACTION_OP_PTMG, "c on");
	parses(":export cluster-01 payments west", ACTION_OP_EXPORT, "cluster-01 payments west");
	/* The mesh operations take --partition P as the command line does. */
	parses(":export cluster-01 payments west --partition team-a", ACTION_OP_EXPORT,
	       "cluster-01 payments west --partition team-a");
	parses(":peer-through-gateways cluster-01 on --partition default", ACTION_OP_PTMG,
	       "cluster-01 on --partition default");
	parses(":deny", ACTION_OP_DENY, "");
}
END_TEST

START_TEST(command_line_errors)
{
	rejects(":theme", "':theme' needs a theme name");
	rejects(":quit now", "':quit' takes no argument");
	rejects(":nosuch", "unknown command ':nosuch'");
	rejects(":pe", "':pe' is ambiguous");
	rejects(":", "no command given");
	rejects(":peering  ", "':peering' needs a cluster or peer name");
	rejects(":peer cluster-01", "':peer' needs two cluster names (then --partition P");
	rejects(":unpeer a b c", "':unpeer' needs two cluster names (then --partition P");
	rejects(":peer a b --partition", "':peer' needs two cluster names (then --partition P");
	rejects(":gateway-mode cluster-01", "':gateway-mode' needs a cluster, local or remote");
	rejects(":peer-through-gateways c on x", "':peer-through-gateways' needs a cluster and on");
	rejects(":allow c payments", "':allow' needs a cluster, a service and a peer");
	rejects(":allow c payments p --partition",
	        "':allow' needs a cluster, a service and a peer");
}
END_TEST

/* Read-only, the operations are refused by name on the command line. */
START_TEST(command_line_readonly)
{
	struct actions_keymap km;
	struct action_command cmd;
	char err[256] = "";

	actions_keymap_default(&km, true);
	ck_assert_int_eq(actions_parse_command(&km, ":peer a b", &cmd, err, sizeof err), -1);
	ck_assert_str_eq(err, "':peer' is not available in read-only mode");
	ck_assert_int_eq(actions_parse_command(&km, ":unpeer", &cmd, err, sizeof err), -1);
	ck_assert_int_eq(actions_lookup(&km, 'p'), ACTION_NONE);
	ck_assert_int_eq(actions_lookup(&km, 'D'), ACTION_NONE);
	ck_assert_int_eq(actions_parse_command(&km, ":peering x", &cmd, err, sizeof err), 0);
}
END_TEST

static const struct model_strv *args_of(void *ctx, enum action_arg kind)
{
	static char t0[] = "default", t1[] = "high-contrast", t2[] = "light";
	static char c0[] = "cluster-01", c1[] = "cluster-02", c2[] = "cluster-03";
	static char s0[] = "payments", s1[] = "product-api", p0[] = "west";
	static char *themes[] = {t0, t1, t2}, *clusters[] = {c0, c1, c2};
	static char *services[] = {s0, s1}, *peers[] = {p0, c0};
	static const struct model_strv tv = {themes, 3}, cv = {clusters, 3}, sv = {services, 2},
	                               pv = {peers, 2};

	(void)ctx;
	return kind == ACTION_ARG_THEME                                    ? &tv
	       : kind == ACTION_ARG_CLUSTER || kind == ACTION_ARG_CLUSTERS ? &cv
	       : kind == ACTION_ARG_SERVICE                                ? &sv
	       : kind == ACTION_ARG_PEER                                   ? &pv
	                                                                   : NULL;
}

static void completes(const char *in, const char *out, int nmatches)
{
	struct actions_keymap km;
	struct model_strv m = {0};
	char line[128];

	actions_keymap_default(&km, false);
	snprintf(line, sizeof line, "%s", in);
	ck_assert_int_eq(actions_complete(&km, line, sizeof line, args_of, NULL, &m), nmatches);
	ck_assert_str_eq(line, out);
	ck_assert_uint_eq(m.n, (size_t)nmatches);
	model_strv_clear(&m);
}

START_TEST(completion)
{
	completes(":th", ":theme ", 1);
	completes(":theme l", ":theme light", 1);
	completes(":theme ", ":theme ", 3);
	completes(":cluster cl", ":cluster cluster-0", 3);
	completes(":pe", ":peer", 4);
	completes(":peer cluster-01 cl", ":peer cluster-01 cluster-0", 3);
	completes(":peer cluster-01 cluster-03", ":peer cluster-01 cluster-03", 1);
	completes(":unpeer cluster-0", ":unpeer cluster-0", 3);
	completes(":zz", ":zz", 0);
	completes(":quit ", ":quit ", 0);
	completes("he", "help", 1);
	/* The mesh operations: each word of its argument from its own list. */
	completes(":gateway-mode cl", ":gateway-mode cluster-0", 3);
	completes(":gateway-mode cluster-01 l", ":gateway-mode cluster-01 local", 1);
	completes(":gateway-mode cluster-01 local p", ":gateway-mode cluster-01 local p", 2);
	completes(":peer-through-gateways cluster-02 of", ":peer-through-gateways cluster-02 off",
	          1);
	completes(":export cluster-01 pay", ":export cluster-01 payments", 1);
	completes(":allow cluster-01 payments w", ":allow cluster-01 payments west", 1);
}
END_TEST

/* peerscope-ui(7)'s KEYS section is the table's: the page may not drift. */
START_TEST(man_page_matches_table)
{
	struct actions_keymap km;
	struct model_strv want = {0};
	char path[4096], line[1024];
	const char *top = getenv("top_srcdir");
	size_t i = 0;
	bool inside = false;
	FILE *f;

	actions_keymap_default(&km, false);
	ck_assert_int_eq(actions_man(&km, &want), 0);
	snprintf(path, sizeof path, "%s/doc/peerscope-ui.7", top ? top : ".");
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(line, ".\\\" BEGIN KEYS")) {
			inside = true;
			continue;
		}
		if (!strcmp(line, ".\\\" END KEYS"))
			break;
		if (!inside)
			continue;
		ck_assert_msg(i < want.n, "%s has more than the table: \"%s\"", path, line);
		ck_assert_msg(!strcmp(line, want.v[i]),
		              "%s: KEYS line %zu is \"%s\", the table says \"%s\"", path, i + 1,
		              line, want.v[i]);
		i++;
	}
	fclose(f);
	ck_assert_msg(inside, "%s has no KEYS markers", path);
	ck_assert_msg(i == want.n, "%s lacks \"%s\" and what follows", path,
	              i < want.n ? want.v[i] : "");
	model_strv_clear(&want);
}
END_TEST

static Suite *actions_suite(void)
{
	Suite *s = suite_create("actions");
	TCase *tc = tcase_create("actions");

	tcase_add_test(tc, table_is_consistent);
	tcase_add_test(tc, key_names);
	tcase_add_test(tc, default_bindings);
	tcase_add_test(tc, keymap_set_replaces_an_actions_keys);
	tcase_add_test(tc, readonly_unbinds_only_dangerous);
	tcase_add_test(tc, function_key_bar);
	tcase_add_test(tc, help_screen);
	tcase_add_test(tc, command_line);
	tcase_add_test(tc, command_line_errors);
	tcase_add_test(tc, command_line_readonly);
	tcase_add_test(tc, completion);
	tcase_add_test(tc, man_page_matches_table);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(actions_suite)
