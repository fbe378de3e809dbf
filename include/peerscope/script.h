/* script: the scripts the dashboard plays back (peerscope --script FILE)
 * and the demo's guided tour, parsed.
 *
 * One step a line; '#' starts a comment; words are separated by blanks, and
 * "double quotes" (with \" and \\ inside) make one word of several:
 *
 *   pace DURATION                 time between steps (a key: a fifth of it)
 *   say "TEXT" [at PANE [ROW]]    a caption; PANE clusters|peerings|gateways|
 *                                 exports is focused and the cursor put on
 *                                 the row showing ROW
 *   keys KEY...                   keys as the keymap names them (p, Enter,
 *                                 Esc, Tab, Space, F9, C-l, Down)
 *   type "TEXT"                   characters typed one by one
 *   command TEXT...               a ':' command (":peer cluster-03 cluster-01")
 *   wait DURATION                 500ms, 2s, 1m
 *   wait-until "TEXT" [DURATION]  until TEXT shows on the screen (60s)
 *   sim ARG...                    a simulator control, in a demo only: stop C
 *                                 [hang], start C, restart-consul C, gateway C
 *                                 passing|warning|critical|remove|add,
 *                                 injector C up|down, fault C KEY=VALUE...,
 *                                 clear-faults C
 *   pause                         wait for Space or Enter (the tour)
 *
 * Pure: text in, steps out; nothing runs. Every problem of a file is found
 * before anything runs and named with file:line. */
#ifndef PEERSCOPE_SCRIPT_H
#define PEERSCOPE_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>

enum script_op {
	SCRIPT_PACE,
	SCRIPT_SAY,
	SCRIPT_KEYS,
	SCRIPT_TYPE,
	SCRIPT_COMMAND,
	SCRIPT_WAIT,
	SCRIPT_WAIT_UNTIL,
	SCRIPT_SIM,
	SCRIPT_PAUSE,
};

#define SCRIPT_MAX_KEYS 32
#define SCRIPT_MAX_ARGS 16
#define SCRIPT_UNTIL_MS 60000L

struct script_step {
	enum script_op op;
	unsigned line;
	char *text;                /* say, type, command, wait-until; "" otherwise */
	char *pane;                /* say ... at PANE: "" when none */
	char *row;                 /* say ... at PANE ROW: "" when none */
	long ms;                   /* pace, wait, wait-until */
	int keys[SCRIPT_MAX_KEYS]; /* keys: codes as actions_key_parse() gives */
	size_t nkeys;
	char *argv[SCRIPT_MAX_ARGS]; /* sim */
	size_t argc;
};

struct script {
	char *file; /* for messages */
	struct script_step *v;
	size_t n;
};

/* The simulator controls a script may use (the first word after sim). */
bool script_sim_command(const char *word);

/* Parses TEXT (LEN bytes) read from FILE. 0, or -1 with "FILE:LINE: what is
 * wrong" in ERR (the first problem; OUT is then empty). */
int script_parse(const char *file, const char *text, size_t len, struct script *out, char *err,
                 size_t errlen);
/* Reads and parses PATH (a regular file of at most 1 MiB). */
int script_load(const char *path, struct script *out, char *err, size_t errlen);
void script_free(struct script *s);

#endif
