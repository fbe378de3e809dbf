/* preflight: Helm values files read as Helm reads them, merged as Helm
 * merges several -f files, each value keeping its file:line:column.
 *
 * Helm reads values with a YAML 1.1 reader: plain yes/no/on/off are
 * booleans, aliases are resolved, "<<" merge keys apply (keys written in the
 * mapping win over merged ones, and earlier merged mappings over later
 * ones), a repeated key keeps its last value, and only the first document
 * of a file counts. Later files win: mappings merge key by key, anything
 * else (a list, a scalar, null) replaces what was there. */
#include "autoconfig.h"

#include "preflight_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_FILE  (4L * 1024 * 1024)
#define MAX_NODES 200000 /* aliases could otherwise expand without end */
#define MAX_DEPTH 200

/* ----------------------------------------------------------------- nodes */

static void node_free(struct pf_vnode *n)
{
	if (!n)
		return;
	free(n->text);
	for (size_t i = 0; i < n->n; i++) {
		free(n->pairs[i].key);
		node_free(n->pairs[i].val);
	}
	free(n->pairs);
	for (size_t i = 0; i < n->nitems; i++)
		node_free(n->items[i]);
	free(n->items);
	free(n);
}

static struct pf_vnode *node_new(struct pf_values *v, enum pf_vkind kind, const char *file,
                                 yaml_mark_t m)
{
	struct pf_vnode *n;

	if (v->nodes >= MAX_NODES || !(n = calloc(1, sizeof *n)))
		return NULL;
	n->text = strdup("");
	if (!n->text) {
		free(n);
		return NULL;
	}
	v->nodes++;
	n->kind = kind;
	n->file = file;
	n->line = (unsigned)m.line + 1;
	n->column = (unsigned)m.column + 1;
	return n;
}

static struct pf_vpair *map_find(const struct pf_vnode *map, const char *key)
{
	for (size_t i = 0; i < map->n; i++)
		if (!strcmp(map->pairs[i].key, key))
			return &map->pairs[i];
	return NULL;
}

/* Appends KEY: VAL (both taken over, also on failure). */
static int map_add(struct pf_vnode *map, char *key, const char *file, unsigned line,
                   unsigned column, struct pf_vnode *val)
{
	if (map->n == map->cap) {
		size_t cap = map->cap ? map->cap * 2 : 8;
		struct pf_vpair *p = realloc(map->pairs, cap * sizeof *p);
		if (!p) {
			free(key);
			node_free(val);
			return -1;
		}
		map->pairs = p;
		map->cap = cap;
	}
	map->pairs[map->n++] = (struct pf_vpair){key, file, line, column, val};
	return 0;
}

static int seq_add(struct pf_vnode *seq, struct pf_vnode *item)
{
	if (seq->nitems == seq->capitems) {
		size_t cap = seq->capitems ? seq->capitems * 2 : 8;
		struct pf_vnode **p = realloc(seq->items, cap * sizeof *p);
		if (!p) {
			node_free(item);
			return -1;
		}
		seq->items = p;
		seq->capitems = cap;
	}
	seq->items[seq->nitems++] = item;
	return 0;
}

static struct pf_vnode *node_copy(struct pf_values *v, const struct pf_vnode *src)
{
	yaml_mark_t m = {0, src->line ? src->line - 1 : 0, src->column ? src->column - 1 : 0};
	struct pf_vnode *n = node_new(v, src->kind, src->file, m);

	if (!n)
		return NULL;
	free(n->text);
	n->text = strdup(src->text);
	n->b = src->b;
	n->i = src->i;
	if (!n->text)
		goto fail;
	for (size_t i = 0; i < src->n; i++) {
		const struct pf_vpair *p = &src->pairs[i];
		char *key = strdup(p->key);
		struct pf_vnode *val = key ? node_copy(v, p->val) : NULL;
		if (!val) {
			free(key);
			goto fail;
		}
		if (map_add(n, key, p->file, p->line, p->column, val) < 0)
			goto fail;
	}
	for (size_t i = 0; i < src->nitems; i++) {
		struct pf_vnode *item = node_copy(v, src->items[i]);
		if (!item || seq_add(n, item) < 0)
			goto fail;
	}
	return n;
fail:
	node_free(n);
	return NULL;
}

/* ---------------------------------------------------------------- typing */

static bool one_of(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (!strcmp(s, *words))
			return true;
	return false;
}

static bool parse_int(const char *s, long long *out)
{
	char digits[64];
	size_t n = 0;
	int base = 10;
	const char *p = s;

	if (*p == '+' || *p == '-')
		digits[n++] = *p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && p[1] == 'o') {
		base = 8;
		p += 2;
	}
	if (!*p)
		return false;
	for (; *p && n + 1 < sizeof digits; p++)
		if (*p != '_')
			digits[n++] = *p;
	digits[n] = '\0';
	if (*p)
		return false;
	char *end;
	errno = 0;
	*out = strtoll(digits, &end, base);
	return *end == '\0' && errno == 0;
}

/* As YAML 1.1 resolves a plain scalar (go-yaml v2, which Helm uses). */
static void resolve(struct pf_vnode *n, const char *tag, bool plain)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const yes[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
	                                  "True", "TRUE", "on",  "On",  "ON",  NULL};
	static const char *const no[] = {"n",     "N",     "no",  "No",  "NO",  "false",
	                                 "False", "FALSE", "off", "Off", "OFF", NULL};
	const char *t = n->text;

	n->kind = PF_V_STR;
	if (tag && strcmp(tag, "tag:yaml.org,2002:bool") && strcmp(tag, "tag:yaml.org,2002:int") &&
	    strcmp(tag, "tag:yaml.org,2002:null"))
		return; /* !!str, "!", or a tag Helm would not know better */
	if (!plain && !tag)
		return;
	if (one_of(t, nulls))
		n->kind = PF_V_NULL;
	else if (one_of(t, yes) || one_of(t, no)) {
		n->kind = PF_V_BOOL;
		n->b = one_of(t, yes);
	} else if (parse_int(t, &n->i))
		n->kind = PF_V_INT;
}

/* ---------------------------------------------------------------- reader */

struct anchor {
	char *name;
	const struct pf_vnode *node;
};

struct frame {
	struct pf_vnode *node;
	char *anchor;
	char *key; /* a mapping's key waiting for its value */
	bool have_key;
	bool merge_key; /* the key is a plain "<<" */
	const char *key_file;
	unsigned kline, kcol;
	struct pf_vnode **merges; /* "<<" values, in order */
	size_t nmerges;
};

struct reader {
	struct pf_values *v;
	const char *file;
	struct anchor *anchors;
	size_t nanchors;
	struct frame stack[MAX_DEPTH];
	size_t depth;
	struct pf_vnode *doc;
	struct pf_vnode **dead; /* replaced values: an anchor may still point at them */
	size_t ndead;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int fail(struct reader *rd, const char *fmt, ...)
{
	va_list ap;

	if (*rd->err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(rd->err, rd->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int oom(struct reader *rd)
{
	if (rd->v->nodes >= MAX_NODES)
		return fail(rd, "%s: more than %d values (aliases expanding without end?)",
		            rd->file, MAX_NODES);
	return fail(rd, "%s: out of memory", rd->file);
}

static int note(struct pf_values *v, const char *file, unsigned line, unsigned column,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int note(struct pf_values *v, const char *file, unsigned line, unsigned column,
                const char *fmt, ...)
{
	va_list ap;

	if (v->nnotes == v->capnotes) {
		size_t cap = v->capnotes ? v->capnotes * 2 : 4;
		struct pf_vnote *p = realloc(v->notes, cap * sizeof *p);
		if (!p)
			return -1;
		v->notes = p;
		v->capnotes = cap;
	}
	struct pf_vnote *x = &v->notes[v->nnotes++];
	x->file = file;
	x->line = line;
	x->column = column;
	va_start(ap, fmt);
	vsnprintf(x->text, sizeof x->text, fmt, ap);
	va_end(ap);
	return 0;
}

static int bury(struct reader *rd, struct pf_vnode *n)
{
	struct pf_vnode **p = realloc(rd->dead, (rd->ndead + 1) * sizeof *p);

	if (!p) {
		node_free(n);
		return oom(rd);
	}
	rd->dead = p;
	rd->dead[rd->ndead++] = n;
	return 0;
}

static int remember(struct reader *rd, char *name, const struct pf_vnode *node)
{
	struct anchor *a;

	if (!name)
		return 0;
	a = realloc(rd->anchors, (rd->nanchors + 1) * sizeof *a);
	if (!a) {
		free(name);
		return oom(rd);
	}
	rd->anchors = a;
	rd->anchors[rd->nanchors++] = (struct anchor){name, node};
	return 0;
}

/* A mapping's key and value are both in; VAL is taken over. */
static int put_value(struct reader *rd, struct frame *f, struct pf_vnode *val)
{
	struct pf_vpair *old;
	char *key = f->key;

	f->key = NULL;
	f->have_key = false;
	if (f->merge_key) {
		free(key);
		struct pf_vnode **m = realloc(f->merges, (f->nmerges + 1) * sizeof *m);
		if (!m) {
			node_free(val);
			return oom(rd);
		}
		f->merges = m;
		f->merges[f->nmerges++] = val;
		return 0;
	}
	old = map_find(f->node, key);
	if (!old)
		return map_add(f->node, key, f->key_file, f->kline, f->kcol, val) < 0 ? oom(rd) : 0;
	if (note(rd->v, rd->file, f->kline, f->kcol,
	         "key %s repeats the one at line %u; the last one counts", key, old->line) < 0) {
		free(key);
		node_free(val);
		return oom(rd);
	}
	free(key);
	struct pf_vnode *prev = old->val;
	old->val = val;
	old->line = f->kline;
	old->column = f->kcol;
	return bury(rd, prev);
}

/* NODE is complete: it becomes the document, an item, a key or a value. */
static int attach(struct reader *rd, struct pf_vnode *node, bool plain)
{
	struct frame *f;

	if (rd->depth == 0) {
		rd->doc = node;
		return 0;
	}
	f = &rd->stack[rd->depth - 1];
	if (f->node->kind == PF_V_SEQ)
		return seq_add(f->node, node) < 0 ? oom(rd) : 0;
	if (f->have_key)
		return put_value(rd, f, node);
	/* A key: Helm's values have string keys; a complex key is kept as
	 * its text, which no check asks for. */
	f->key = strdup(node->text);
	f->merge_key = plain && !strcmp(node->text, "<<");
	f->key_file = node->file;
	f->kline = node->line;
	f->kcol = node->column;
	f->have_key = true;
	/* Kept until the file is read: an anchor may point at it. */
	if (bury(rd, node) < 0)
		return -1;
	return f->key ? 0 : oom(rd);
}

/* Applies the frame's "<<" mappings: their keys the mapping lacks. */
static int merge_keys(struct reader *rd, struct frame *f)
{
	for (size_t m = 0; m < f->nmerges; m++) {
		struct pf_vnode *src = f->merges[m];
		size_t nsrc = src->kind == PF_V_SEQ ? src->nitems : 1;
		for (size_t k = 0; k < nsrc; k++) {
			struct pf_vnode *one = src->kind == PF_V_SEQ ? src->items[k] : src;
			if (one->kind != PF_V_MAP)
				return fail(rd,
				            "%s:%u:%u: a \"<<\" merge needs a mapping or a list of "
				            "mappings",
				            rd->file, one->line, one->column);
			for (size_t i = 0; i < one->n; i++) {
				const struct pf_vpair *p = &one->pairs[i];
				if (map_find(f->node, p->key))
					continue;
				char *key = strdup(p->key);
				struct pf_vnode *val = key ? node_copy(rd->v, p->val) : NULL;
				if (!val) {
					free(key);
					return oom(rd);
				}
				if (map_add(f->node, key, p->file, p->line, p->column, val) < 0)
					return oom(rd);
			}
		}
	}
	return 0;
}

static void frame_clear(struct frame *f)
{
	free(f->anchor);
	free(f->key);
	for (size_t i = 0; i < f->nmerges; i++)
		node_free(f->merges[i]);
	free(f->merges);
	memset(f, 0, sizeof *f);
}

static char *dup_anchor(const yaml_char_t *a)
{
	return a ? strdup((const char *)a) : NULL;
}

static int on_start(struct reader *rd, enum pf_vkind kind, const yaml_char_t *anchor, yaml_mark_t m)
{
	struct pf_vnode *n;

	if (rd->depth == MAX_DEPTH)
		return fail(rd, "%s:%zu:%zu: nested more than %d levels deep", rd->file,
		            (size_t)m.line + 1, (size_t)m.column + 1, MAX_DEPTH);
	if (!(n = node_new(rd->v, kind, rd->file, m)))
		return oom(rd);
	struct frame *f = &rd->stack[rd->depth++];
	memset(f, 0, sizeof *f);
	f->node = n;
	f->anchor = dup_anchor(anchor);
	if (anchor && !f->anchor)
		return oom(rd);
	return 0;
}

static int on_end(struct reader *rd)
{
	struct frame *f = &rd->stack[rd->depth - 1];
	struct pf_vnode *n = f->node;
	char *anchor = f->anchor;
	int rc = 0;

	if (n->kind == PF_V_MAP)
		rc = merge_keys(rd, f);
	/* Kept until the file is read: anchors may point into them. */
	for (size_t i = 0; i < f->nmerges; i++)
		if (rc == 0 && bury(rd, f->merges[i]) < 0)
			rc = -1;
		else if (rc < 0)
			node_free(f->merges[i]);
	f->nmerges = 0;
	f->anchor = NULL;
	f->node = NULL;
	frame_clear(f);
	rd->depth--;
	if (rc < 0) {
		free(anchor);
		node_free(n);
		return -1;
	}
	if (remember(rd, anchor, n) < 0) {
		node_free(n);
		return -1;
	}
	return attach(rd, n, false);
}

static int on_scalar(struct reader *rd, const yaml_event_t *e)
{
	struct pf_vnode *n = node_new(rd->v, PF_V_STR, rd->file, e->start_mark);
	bool plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;

	if (!n)
		return oom(rd);
	free(n->text);
	n->text = strndup((const char *)e->data.scalar.value, e->data.scalar.length);
	if (!n->text) {
		node_free(n);
		return oom(rd);
	}
	resolve(n, (const char *)e->data.scalar.tag, plain);
	if (remember(rd, dup_anchor(e->data.scalar.anchor), n) < 0) {
		node_free(n);
		return -1;
	}
	return attach(rd, n, plain);
}

static int on_alias(struct reader *rd, const yaml_event_t *e)
{
	const char *name = (const char *)e->data.alias.anchor;
	const struct pf_vnode *src = NULL;

	/* The newest anchor of that name: YAML lets a name be reused. */
	for (size_t i = rd->nanchors; i-- > 0 && !src;)
		if (!strcmp(rd->anchors[i].name, name))
			src = rd->anchors[i].node;
	if (!src)
		return fail(rd, "%s:%zu:%zu: alias *%s names no anchor before it", rd->file,
		            (size_t)e->start_mark.line + 1, (size_t)e->start_mark.column + 1, name);
	struct pf_vnode *n = node_copy(rd->v, src);
	if (!n)
		return oom(rd);
	/* The value is where the alias is used; what it copies keeps its
	 * own places. */
	n->line = (unsigned)e->start_mark.line + 1;
	n->column = (unsigned)e->start_mark.column + 1;
	n->file = rd->file;
	return attach(rd, n, false);
}

static int syntax_error(struct reader *rd, const yaml_parser_t *p)
{
	if (p->error == YAML_MEMORY_ERROR)
		return oom(rd);
	if (p->context)
		return fail(rd, "%s:%zu:%zu: not YAML: %s %s at line %zu, column %zu", rd->file,
		            (size_t)p->problem_mark.line + 1, (size_t)p->problem_mark.column + 1,
		            p->problem ? p->problem : "syntax error", p->context,
		            (size_t)p->context_mark.line + 1, (size_t)p->context_mark.column + 1);
	return fail(rd, "%s:%zu:%zu: not YAML: %s", rd->file, (size_t)p->problem_mark.line + 1,
	            (size_t)p->problem_mark.column + 1, p->problem ? p->problem : "syntax error");
}

/* After the first document: Helm stops reading; say what it leaves out. */
static int after_first(struct reader *rd, yaml_parser_t *p)
{
	yaml_event_t e;

	if (!yaml_parser_parse(p, &e))
		return note(rd->v, rd->file, (unsigned)p->problem_mark.line + 1,
		            (unsigned)p->problem_mark.column + 1,
		            "what follows the first document is not YAML; Helm does not read it");
	int rc = 0;
	if (e.type == YAML_DOCUMENT_START_EVENT)
		rc = note(rd->v, rd->file, (unsigned)e.start_mark.line + 1,
		          (unsigned)e.start_mark.column + 1,
		          "a second YAML document; Helm reads only the first, the rest is ignored");
	yaml_event_delete(&e);
	return rc;
}

static int event(struct reader *rd, const yaml_event_t *e)
{
	switch (e->type) {
	case YAML_SCALAR_EVENT:
		return on_scalar(rd, e);
	case YAML_ALIAS_EVENT:
		return on_alias(rd, e);
	case YAML_MAPPING_START_EVENT:
		return on_start(rd, PF_V_MAP, e->data.mapping_start.anchor, e->start_mark);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(rd, PF_V_SEQ, e->data.sequence_start.anchor, e->start_mark);
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		return on_end(rd);
	default:
		return 0;
	}
}

/* Parses TEXT's first document into rd->doc (NULL for an empty file). */
static int parse(struct reader *rd, const char *text, size_t len)
{
	yaml_parser_t p;
	yaml_event_t e;
	int rc = 0;
	bool doc_end = false, stream_end = false;

	if (!yaml_parser_initialize(&p))
		return oom(rd);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (rc == 0 && !doc_end && !stream_end) {
		if (!yaml_parser_parse(&p, &e)) {
			rc = syntax_error(rd, &p);
			break;
		}
		if (e.type == YAML_DOCUMENT_END_EVENT)
			doc_end = true;
		else if (e.type == YAML_STREAM_END_EVENT)
			stream_end = true;
		else
			rc = event(rd, &e) < 0 ? -1 : 0;
		yaml_event_delete(&e);
	}
	if (rc == 0 && doc_end && after_first(rd, &p) < 0)
		rc = oom(rd);
	yaml_parser_delete(&p);
	return rc;
}

/* ----------------------------------------------------------------- merge */

/* Merges SRC (taken over) into DST, a mapping, as Helm merges -f files. */
static int merge(struct pf_values *v, struct pf_vnode *dst, struct pf_vnode *src)
{
	int rc = 0;

	for (size_t i = 0; i < src->n; i++) {
		struct pf_vpair *s = &src->pairs[i];
		struct pf_vpair *d = map_find(dst, s->key);
		if (d && d->val->kind == PF_V_MAP && s->val->kind == PF_V_MAP) {
			d->file = s->file;
			d->line = s->line;
			d->column = s->column;
			rc |= merge(v, d->val, s->val);
			s->val = NULL;
		} else if (d) {
			node_free(d->val);
			d->val = s->val;
			d->file = s->file;
			d->line = s->line;
			d->column = s->column;
			s->val = NULL;
		} else {
			rc |= map_add(dst, s->key, s->file, s->line, s->column, s->val);
			s->key = NULL;
			s->val = NULL;
		}
	}
	node_free(src);
	return rc;
}

static char *read_all(const char *file, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(file, "rb");
	char *buf = NULL;

	if (!f) {
		snprintf(err, errlen, "%s: cannot read: %s", file, strerror(errno));
		return NULL;
	}
	buf = malloc((size_t)MAX_FILE + 1);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", file);
		fclose(f);
		return NULL;
	}
	*len = fread(buf, 1, (size_t)MAX_FILE + 1, f);
	if (ferror(f) || *len > (size_t)MAX_FILE) {
		snprintf(err, errlen, "%s: cannot read: %s", file,
		         ferror(f) ? strerror(errno) : "larger than 4 MiB");
		free(buf);
		buf = NULL;
	} else {
		buf[*len] = '\0';
	}
	fclose(f);
	return buf;
}

static const char *kind_name(enum pf_vkind k)
{
	return k == PF_V_SEQ ? "a list" : k == PF_V_MAP ? "a mapping" : "a scalar";
}

static void reader_done(struct reader *rd)
{
	for (size_t i = 0; i < rd->depth; i++) {
		node_free(rd->stack[i].node);
		frame_clear(&rd->stack[i]);
	}
	for (size_t i = 0; i < rd->nanchors; i++)
		free(rd->anchors[i].name);
	free(rd->anchors);
	for (size_t i = 0; i < rd->ndead; i++)
		node_free(rd->dead[i]);
	free(rd->dead);
}

int pf_values_read(struct pf_values *v, const char *file, char *err, size_t errlen)
{
	struct reader rd = {.v = v, .file = file, .err = err, .errlen = errlen};
	size_t len = 0;
	char *text;
	int rc = -1;

	err[0] = '\0';
	if (!(text = read_all(file, &len, err, errlen)))
		return -1;
	if (parse(&rd, text, len) < 0)
		goto out;
	struct pf_vnode *doc = rd.doc;
	rd.doc = NULL;
	if (doc && doc->kind == PF_V_NULL) {
		node_free(doc);
		doc = NULL;
	}
	if (doc && doc->kind != PF_V_MAP) {
		fail(&rd, "%s:%u:%u: not a Helm values file: the top level is %s, not a mapping",
		     file, doc->line, doc->column, kind_name(doc->kind));
		node_free(doc);
		goto out;
	}
	if (!doc && !(doc = node_new(v, PF_V_MAP, file, (yaml_mark_t){0, 0, 0}))) {
		oom(&rd);
		goto out;
	}
	if (!v->root) {
		v->root = doc;
		rc = 0;
	} else {
		rc = merge(v, v->root, doc) < 0 ? oom(&rd) : 0;
	}
out:
	node_free(rd.doc);
	reader_done(&rd);
	free(text);
	return rc;
}

void pf_values_free(struct pf_values *v)
{
	node_free(v->root);
	free(v->notes);
	memset(v, 0, sizeof *v);
}

/* ---------------------------------------------------------------- lookup */

const struct pf_vnode *pf_values_get(const struct pf_values *v, const char *path,
                                     const struct pf_vpair **near)
{
	const struct pf_vpair *p = pf_values_pair(v, path);
	const struct pf_vnode *n = v->root;
	char key[128];

	*near = NULL;
	if (p)
		return p->val;
	/* The deepest key of PATH that is written. */
	for (const char *s = path; n && n->kind == PF_V_MAP && *s;) {
		size_t k = strcspn(s, ".");
		snprintf(key, sizeof key, "%.*s", (int)k, s);
		const struct pf_vpair *x = map_find(n, key);
		if (!x)
			break;
		*near = x;
		n = x->val;
		s += k + (s[k] == '.');
	}
	return NULL;
}

const struct pf_vpair *pf_values_pair(const struct pf_values *v, const char *path)
{
	const struct pf_vnode *n = v->root;
	const struct pf_vpair *x = NULL;
	char key[128];

	for (const char *s = path; *s;) {
		size_t k = strcspn(s, ".");
		if (!n || n->kind != PF_V_MAP)
			return NULL;
		snprintf(key, sizeof key, "%.*s", (int)k, s);
		if (!(x = map_find(n, key)))
			return NULL;
		n = x->val;
		s += k + (s[k] == '.');
	}
	return x;
}
