/* theme: the built-in default, theme files (libyaml), colour reduction. */
#include "autoconfig.h"

#include "peerscope/theme.h"

#include "peerscope/codec.h"
#include "peerscope/kubeconfig.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define THEME_MAX_FILE (1024 * 1024)

static const char *const role_names[THEME_ROLE_COUNT] = {
#define THEME_ROLE_NAME(id, name, help) [THEME_##id] = name,
        THEME_ROLES(THEME_ROLE_NAME)
#undef THEME_ROLE_NAME
};

static const char *const role_help[THEME_ROLE_COUNT] = {
#define THEME_ROLE_HELP(id, name, help) [THEME_##id] = help,
        THEME_ROLES(THEME_ROLE_HELP)
#undef THEME_ROLE_HELP
};

#define I THEME_COLOR_INHERIT
#define D THEME_COLOR_DEFAULT
#define B THEME_ATTR_BOLD
#define U THEME_ATTR_UNDERLINE
#define R THEME_ATTR_REVERSE

/* The default (dark) theme: complete, so that a theme file needs to name
 * only what it changes. Backgrounds inherit the normal role's. */
static const struct theme_style default_roles[THEME_ROLE_COUNT] = {
        [THEME_NORMAL] = {D, D, 0, 0},     [THEME_DIM] = {245, I, 0, THEME_ATTR_DIM},
        [THEME_ACCENT] = {6, I, B, B},     [THEME_OK] = {2, I, 0, 0},
        [THEME_WARN] = {3, I, 0, B},       [THEME_BAD] = {9, I, B, B | U},
        [THEME_SELECTED] = {0, 6, 0, R},   [THEME_SELECTED_INACTIVE] = {I, 238, 0, U},
        [THEME_CHANGED] = {13, I, B, B},   [THEME_HEADER] = {15, 24, B, R},
        [THEME_BADGE] = {0, 3, B, R | B},  [THEME_BORDER] = {240, I, 0, 0},
        [THEME_TITLE] = {250, I, B, B},    [THEME_TITLE_FOCUSED] = {14, I, B, R | B},
        [THEME_COLUMN] = {250, I, B, U},   [THEME_TAB] = {250, 236, 0, 0},
        [THEME_TAB_ACTIVE] = {0, 6, B, R}, [THEME_STATUS] = {I, I, 0, 0},
        [THEME_ERROR] = {9, I, B, B},      [THEME_FKEY] = {15, I, B, B},
        [THEME_FKEY_LABEL] = {0, 6, 0, R}, [THEME_DIALOG] = {I, I, 0, 0},
        [THEME_INPUT] = {15, 236, 0, B},
};

#undef I
#undef D
#undef B
#undef U
#undef R

/* RGB of the xterm palette's first 16 colours. */
static const unsigned char base16[16][3] = {
        {0, 0, 0},       {205, 0, 0},   {0, 205, 0},   {205, 205, 0},
        {0, 0, 238},     {205, 0, 205}, {0, 205, 205}, {229, 229, 229},
        {127, 127, 127}, {255, 0, 0},   {0, 255, 0},   {255, 255, 0},
        {92, 92, 255},   {255, 0, 255}, {0, 255, 255}, {255, 255, 255},
};

static const unsigned char cube_level[6] = {0, 95, 135, 175, 215, 255};

static const struct {
	const char *name;
	short color;
} color_names[] = {
        {"black", 0},         {"red", 1},
        {"green", 2},         {"yellow", 3},
        {"blue", 4},          {"magenta", 5},
        {"cyan", 6},          {"white", 7},
        {"bright-black", 8},  {"gray", 8},
        {"grey", 8},          {"bright-red", 9},
        {"bright-green", 10}, {"bright-yellow", 11},
        {"bright-blue", 12},  {"bright-magenta", 13},
        {"bright-cyan", 14},  {"bright-white", 15},
};

static const struct {
	const char *name;
	unsigned bit;
} attr_names[] = {
        {"bold", THEME_ATTR_BOLD},           {"dim", THEME_ATTR_DIM},
        {"underline", THEME_ATTR_UNDERLINE}, {"reverse", THEME_ATTR_REVERSE},
        {"italic", THEME_ATTR_ITALIC},       {"none", 0},
};

/* ------------------------------------------------------------ names */

const char *theme_role_name(enum theme_role r)
{
	return (unsigned)r < THEME_ROLE_COUNT ? role_names[r] : NULL;
}

const char *theme_role_help(enum theme_role r)
{
	return (unsigned)r < THEME_ROLE_COUNT ? role_help[r] : NULL;
}

int theme_role_parse(const char *name)
{
	for (int i = 0; i < THEME_ROLE_COUNT; i++)
		if (!strcmp(role_names[i], name))
			return i;
	return -1;
}

bool theme_attr_parse(const char *text, unsigned *bit)
{
	for (size_t i = 0; i < sizeof attr_names / sizeof attr_names[0]; i++) {
		if (!strcasecmp(attr_names[i].name, text)) {
			*bit = attr_names[i].bit;
			return true;
		}
	}
	return false;
}

/* ------------------------------------------------------------ colours */

static void palette_rgb(int c, int rgb[3])
{
	if (c < 16) {
		for (int i = 0; i < 3; i++)
			rgb[i] = base16[c][i];
		return;
	}
	if (c < 232) {
		int k = c - 16;
		rgb[0] = cube_level[k / 36];
		rgb[1] = cube_level[(k / 6) % 6];
		rgb[2] = cube_level[k % 6];
		return;
	}
	rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (c - 232);
}

static long rgb_distance(const int a[3], const int b[3])
{
	long d = 0;

	for (int i = 0; i < 3; i++)
		d += (long)(a[i] - b[i]) * (a[i] - b[i]);
	return d;
}

/* The palette index in [from, to) nearest to RGB. */
static short nearest(const int rgb[3], int from, int to)
{
	short best = (short)from;
	long best_d = -1;

	for (int c = from; c < to; c++) {
		int p[3];
		palette_rgb(c, p);
		long d = rgb_distance(rgb, p);
		if (best_d < 0 || d < best_d) {
			best = (short)c;
			best_d = d;
		}
	}
	return best;
}

short theme_color_reduce(short c, int ncolors)
{
	int rgb[3], avail;

	if (c < 0 || c > 255)
		return c;
	avail = ncolors >= 256 ? 256 : ncolors >= 16 ? 16 : 8;
	if (c < avail)
		return c;
	if (c >= 16) {
		palette_rgb(c, rgb);
		c = nearest(rgb, 0, 16);
	}
	if (avail == 8 && c >= 8)
		/* A bright colour's plain twin, but grey becomes white: black
		 * would vanish on the usual dark background. */
		c = c == 8 ? 7 : (short)(c - 8);
	return c;
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static bool parse_hex(const char *text, short *out)
{
	int rgb[3];

	if (strlen(text) != 7)
		return false;
	for (int i = 0; i < 3; i++) {
		int hi = hex_digit(text[1 + 2 * i]), lo = hex_digit(text[2 + 2 * i]);
		if (hi < 0 || lo < 0)
			return false;
		rgb[i] = hi * 16 + lo;
	}
	/* Skip 0-15: terminals let users redefine them. */
	*out = nearest(rgb, 16, 256);
	return true;
}

static bool parse_number(const char *text, short *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(text, &end, 10);
	if (errno || end == text || *end || n < 0 || n > 255)
		return false;
	*out = (short)n;
	return true;
}

bool theme_color_parse(const char *text, short *out)
{
	if (!text || !*text)
		return false;
	if (!strcasecmp(text, "default")) {
		*out = THEME_COLOR_DEFAULT;
		return true;
	}
	if (!strcasecmp(text, "inherit")) {
		*out = THEME_COLOR_INHERIT;
		return true;
	}
	if (text[0] == '#')
		return parse_hex(text, out);
	if (text[0] >= '0' && text[0] <= '9')
		return parse_number(text, out);
	for (size_t i = 0; i < sizeof color_names / sizeof color_names[0]; i++) {
		if (!strcasecmp(color_names[i].name, text)) {
			*out = color_names[i].color;
			return true;
		}
	}
	return false;
}

void theme_default(struct theme *t)
{
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "default");
	t->color = true;
	memcpy(t->role, default_roles, sizeof t->role);
}

/* ------------------------------------------------------------ resolving */

static short resolve_color(short c, short inherited, int ncolors)
{
	if (c == THEME_COLOR_INHERIT)
		c = inherited;
	if (c < 0)
		return THEME_COLOR_DEFAULT;
	return theme_color_reduce(c, ncolors);
}

void theme_resolve(const struct theme *t, int ncolors, bool use_color, struct theme_resolved *out)
{
	const struct theme_style *normal = &t->role[THEME_NORMAL];
	short nfg = normal->fg == THEME_COLOR_INHERIT ? THEME_COLOR_DEFAULT : normal->fg;
	short nbg = normal->bg == THEME_COLOR_INHERIT ? THEME_COLOR_DEFAULT : normal->bg;

	memset(out, 0, sizeof *out);
	out->color = use_color && t->color && ncolors >= 8;
	for (int r = 0; r < THEME_ROLE_COUNT; r++) {
		const struct theme_style *s = &t->role[r];
		struct theme_cell *c = &out->role[r];

		c->fg = c->bg = THEME_COLOR_DEFAULT;
		c->attrs = s->mono;
		if (!out->color)
			continue;
		c->fg = resolve_color(s->fg, nfg, ncolors);
		c->bg = resolve_color(s->bg, nbg, ncolors);
		c->attrs = s->attrs;
		/* Reduction can merge two colours: keep the text readable. */
		if (c->fg >= 0 && c->fg == c->bg) {
			c->fg = c->bg = THEME_COLOR_DEFAULT;
			c->attrs = s->mono;
		}
	}
}

/* ------------------------------------------------------------ diagnostics */

void theme_diags_free(struct theme_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i]);
	free(d->v);
	memset(d, 0, sizeof *d);
}

__attribute__((format(printf, 3, 4))) static void diag(struct theme_diags *d, bool error,
                                                       const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (error)
		d->errors++;
	char **v = realloc(d->v, (d->n + 1) * sizeof *v);
	if (!v)
		return;
	d->v = v;
	/* Out of memory loses the text, never the error count. */
	v[d->n] = strdup(buf);
	if (v[d->n])
		d->n++;
}

/* ------------------------------------------------------------ parsing */

struct parser {
	const char *file;
	yaml_document_t *doc;
	struct theme *t;
	struct theme_diags *d;
	size_t errors_before;
};

__attribute__((format(printf, 4, 5))) static void at(struct parser *p, const yaml_node_t *n,
                                                     bool error, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	diag(p->d, error, "%s:%lu:%lu: %s: %s", p->file, (unsigned long)n->start_mark.line + 1,
	     (unsigned long)n->start_mark.column + 1, error ? "error" : "warning", msg);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no",
	                                                                       "off"};

	for (size_t i = 0; i < 3; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return true;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* attrs: a list of names, or one scalar of names separated by spaces or
 * commas. */
static bool attr_word(struct parser *p, const yaml_node_t *n, const char *word, unsigned *bits)
{
	unsigned bit;

	if (!theme_attr_parse(word, &bit)) {
		at(p, n, true,
		   "unknown attribute \"%s\" (bold, dim, underline, reverse, italic, none)", word);
		return false;
	}
	*bits |= bit;
	return true;
}

static bool attr_scalar(struct parser *p, const yaml_node_t *n, unsigned *bits)
{
	char buf[256], *save = NULL;
	const char *s = scalar(n);

	if (strlen(s) >= sizeof buf) {
		at(p, n, true, "attribute list too long");
		return false;
	}
	snprintf(buf, sizeof buf, "%s", s);
	for (char *w = strtok_r(buf, " ,", &save); w; w = strtok_r(NULL, " ,", &save))
		if (!attr_word(p, n, w, bits))
			return false;
	return true;
}

static bool parse_attrs(struct parser *p, const yaml_node_t *n, unsigned *out)
{
	unsigned bits = 0;

	if (n->type == YAML_SCALAR_NODE) {
		if (!attr_scalar(p, n, &bits))
			return false;
	} else if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			yaml_node_t *item = yaml_document_get_node(p->doc, *it);
			if (!scalar(item)) {
				at(p, item, true, "an attribute must be a name");
				return false;
			}
			if (!attr_word(p, item, scalar(item), &bits))
				return false;
		}
	} else {
		at(p, n, true, "expected a list of attributes");
		return false;
	}
	*out = bits;
	return true;
}

static bool parse_color(struct parser *p, const yaml_node_t *n, short *out)
{
	const char *s = scalar(n);

	if (s && theme_color_parse(s, out))
		return true;
	at(p, n, true,
	   "invalid colour \"%s\" (a name such as red or bright-blue, 0-255, #rrggbb, default or "
	   "inherit)",
	   s ? s : "(not a scalar)");
	return false;
}

static void parse_role(struct parser *p, const yaml_node_t *key, const yaml_node_t *val)
{
	int r = theme_role_parse(scalar(key));

	if (r < 0) {
		at(p, key, false, "unknown role \"%s\" (ignored)", scalar(key));
		return;
	}
	if (val->type != YAML_MAPPING_NODE) {
		at(p, val, true, "role %s: expected a mapping with fg, bg, attrs, mono",
		   scalar(key));
		return;
	}
	struct theme_style *s = &p->t->role[r];
	for (yaml_node_pair_t *kv = val->data.mapping.pairs.start; kv < val->data.mapping.pairs.top;
	     kv++) {
		yaml_node_t *k = yaml_document_get_node(p->doc, kv->key);
		yaml_node_t *v = yaml_document_get_node(p->doc, kv->value);
		const char *name = scalar(k);

		if (!name)
			at(p, k, true, "expected a key");
		else if (!strcmp(name, "fg"))
			parse_color(p, v, &s->fg);
		else if (!strcmp(name, "bg"))
			parse_color(p, v, &s->bg);
		else if (!strcmp(name, "attrs"))
			parse_attrs(p, v, &s->attrs);
		else if (!strcmp(name, "mono"))
			parse_attrs(p, v, &s->mono);
		else
			at(p, k, false, "unknown key \"%s\" in role %s (ignored)", name,
			   role_names[r]);
	}
}

static void parse_roles(struct parser *p, const yaml_node_t *n)
{
	if (n->type != YAML_MAPPING_NODE) {
		at(p, n, true, "roles: expected a mapping of role names");
		return;
	}
	for (yaml_node_pair_t *kv = n->data.mapping.pairs.start; kv < n->data.mapping.pairs.top;
	     kv++) {
		yaml_node_t *k = yaml_document_get_node(p->doc, kv->key);
		yaml_node_t *v = yaml_document_get_node(p->doc, kv->value);
		if (!scalar(k)) {
			at(p, k, true, "a role name must be a scalar");
			continue;
		}
		parse_role(p, k, v);
	}
}

static void parse_top_key(struct parser *p, const yaml_node_t *k, const yaml_node_t *v)
{
	const char *name = scalar(k);
	const char *s = scalar(v);
	bool b;

	if (!name) {
		at(p, k, true, "expected a key");
	} else if (!strcmp(name, "name")) {
		if (!s || !*s || strlen(s) >= sizeof p->t->name)
			at(p, v, true, "name: expected a short text");
		else
			snprintf(p->t->name, sizeof p->t->name, "%s", s);
	} else if (!strcmp(name, "description")) {
		if (!s)
			at(p, v, true, "description: expected a text");
	} else if (!strcmp(name, "color")) {
		if (!s || !parse_bool(s, &b))
			at(p, v, true, "color: expected true or false");
		else
			p->t->color = b;
	} else if (!strcmp(name, "roles")) {
		parse_roles(p, v);
	} else {
		at(p, k, false,
		   "unknown key \"%s\" (ignored; known: name, description, color, roles)", name);
	}
}

static void parse_document(struct parser *p)
{
	yaml_node_t *root = yaml_document_get_root_node(p->doc);

	if (!root) {
		diag(p->d, true, "%s: error: the theme file is empty", p->file);
		return;
	}
	if (root->type != YAML_MAPPING_NODE) {
		at(p, root, true, "expected a mapping (name:, color:, roles:)");
		return;
	}
	for (yaml_node_pair_t *kv = root->data.mapping.pairs.start;
	     kv < root->data.mapping.pairs.top; kv++)
		parse_top_key(p, yaml_document_get_node(p->doc, kv->key),
		              yaml_document_get_node(p->doc, kv->value));
}

/* A regular file only: a FIFO as a theme must not block the start. */
static char *read_file(const char *path, size_t *len, struct theme_diags *d)
{
	char why[256];
	char *buf = kubeconfig_read_file(path, THEME_MAX_FILE, 0, len, why, sizeof why);

	if (!buf && strstr(why, "larger than"))
		diag(d, true, "%s: error: the theme is larger than 1 MiB", path);
	else if (!buf && !strncmp(why, "is ", 3))
		diag(d, true, "%s: error: the theme %s", path, why);
	else if (!buf)
		diag(d, true, "%s: error: cannot open the theme: %s", path, why);
	return buf;
}

int theme_load_file(const char *path, struct theme *out, struct theme_diags *d)
{
	struct theme t;
	yaml_document_t doc;
	char err[4400];
	size_t len = 0, errors = d->errors;
	char *text = read_file(path, &len, d);

	theme_default(out);
	if (!text)
		return -1;
	theme_default(&t);
	if (codec_yaml_load(path, text, len, &doc, NULL, err, sizeof err) != 0) {
		/* "FILE:LINE:COLUMN: what" -> "FILE:LINE:COLUMN: error: what" */
		size_t flen = strlen(path);
		char *what = strncmp(err, path, flen) ? NULL : strstr(err + flen, ": ");
		if (what)
			*what = '\0';
		diag(d, true, "%s: error: %s", err, what ? what + 2 : "");
		goto out;
	}
	struct parser p = {.file = path, .doc = &doc, .t = &t, .d = d};
	parse_document(&p);
	codec_yaml_free(&doc);
out:
	free(text);
	if (d->errors != errors)
		return -1;
	*out = t;
	return 0;
}

/* ------------------------------------------------------------ finding */

/* A theme name is a file name without ".yaml": no path, no hidden files. */
static bool valid_name(const char *name)
{
	if (!*name || name[0] == '.' || strlen(name) > 60)
		return false;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.'))
			return false;
	return true;
}

int theme_load(const char *name, const char *const *dirs, size_t ndirs, struct theme *out,
               struct theme_diags *d)
{
	char path[4096], looked[1024] = "";
	struct stat st;

	theme_default(out);
	if (strchr(name, '/'))
		return theme_load_file(name, out, d);
	if (!valid_name(name)) {
		diag(d, true, "theme \"%s\": error: not a theme name (letters, digits, '-', '_')",
		     name);
		return -1;
	}
	for (size_t i = 0; i < ndirs; i++) {
		snprintf(path, sizeof path, "%s/%s.yaml", dirs[i], name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			return theme_load_file(path, out, d);
		size_t used = strlen(looked);
		snprintf(looked + used, sizeof looked - used, "%s%s", used ? ", " : "", dirs[i]);
	}
	if (!strcmp(name, "default"))
		return 0;
	diag(d, true, "theme \"%s\": error: not found (looked in %s)", name,
	     *looked ? looked : "no folder");
	return -1;
}

#if defined(PEERSCOPE_ABS_SRCDIR) && defined(PEERSCOPE_ABS_BUILDDIR)
const char *theme_source_dir(const char *exe)
{
	/* The answer is resolved too (a VPATH build names the source tree as
	 * "<build>/../.."), so messages that list it stay short and plain. */
	static _Thread_local char themes[PATH_MAX];
	char dir[PATH_MAX], build[PATH_MAX], src[PATH_MAX];
	const char *slash = exe ? strrchr(exe, '/') : NULL;

	if (!slash || (size_t)(slash - exe) >= sizeof dir)
		return NULL;
	memcpy(dir, exe, (size_t)(slash - exe));
	dir[slash - exe] = '\0';
	/* Both sides resolved: the build tree may be reached through a link. */
	if (!realpath(PEERSCOPE_ABS_BUILDDIR, build) || !realpath(*dir ? dir : "/", dir))
		return NULL;
	if (strcmp(dir, build) || !realpath(PEERSCOPE_ABS_SRCDIR, src))
		return NULL;
	if ((size_t)snprintf(themes, sizeof themes, "%s/themes", src) >= sizeof themes)
		return NULL;
	return themes;
}
#else
const char *theme_source_dir(const char *exe)
{
	(void)exe;
	return NULL;
}
#endif

size_t theme_dirs(char *buf, size_t buflen, const char *dirs[THEME_DIRS_MAX])
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	const char *src;
	size_t n = 0;

	if (xdg && xdg[0] == '/')
		snprintf(buf, buflen, "%s/peerscope/themes", xdg);
	else if (home && *home)
		snprintf(buf, buflen, "%s/.config/peerscope/themes", home);
	else
		buf[0] = '\0';
	if (*buf)
		dirs[n++] = buf;
	dirs[n++] = THEMEDIR;
	if (len > 0) {
		exe[len] = '\0';
		if ((src = theme_source_dir(exe)) && strcmp(src, THEMEDIR))
			dirs[n++] = src;
	}
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dir(const char *dir, struct model_strv *out)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (!dp)
		return 0; /* a missing folder holds no themes */
	while (rc == 0 && (e = readdir(dp))) {
		size_t len = strlen(e->d_name);
		char name[64];

		if (len <= 5 || len - 5 >= sizeof name || strcmp(e->d_name + len - 5, ".yaml"))
			continue;
		memcpy(name, e->d_name, len - 5);
		name[len - 5] = '\0';
		if (valid_name(name) && !model_strv_contains(out, name))
			rc = model_strv_push(out, name);
	}
	closedir(dp);
	return rc;
}

int theme_list(const char *const *dirs, size_t ndirs, struct model_strv *out)
{
	memset(out, 0, sizeof *out);
	if (model_strv_push(out, "default") < 0)
		return -1;
	for (size_t i = 0; i < ndirs; i++) {
		if (list_dir(dirs[i], out) < 0) {
			model_strv_clear(out);
			return -1;
		}
	}
	qsort(out->v, out->n, sizeof *out->v, cmp_str);
	return 0;
}
