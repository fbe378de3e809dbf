/* peerscope-sim: the consul-k8s chart a Helm release carries, and its
 * rendering for one install.
 *
 * A Helm 3 release holds its whole chart (helm/helm pkg/release Release,
 * pkg/chart Chart): chart.templates every file under templates/ and
 * chart.files the chart's other files, each as {"name", "data"} with the
 * bytes in base64, as Go marshals []byte; its manifest is what the
 * templates render to with the release's values. chart_text.c writes the
 * files, as many and as large as the real chart's.
 *
 * The templates are the same for every cluster of a chart version: a chart
 * is made once per process for each version (and seed) and kept, with
 * what every release of it carries deflated once (gzip.c): the templates'
 * JSON and the CRDs rendered, which are the same for every install. A
 * cluster's manifest is rendered from the templates with its values. */
#include "autoconfig.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simk.h"

struct simk_chart {
	char version[32];
	uint64_t seed;
	struct simk_tpl tpls[SIMK_CHART_TEMPLATES];
	char *templates;                  /* chart.templates, JSON */
	char *files;                      /* chart.files, JSON */
	char *crds;                       /* the CRDs rendered, as manifest documents */
	int crd_order;                    /* where they go in the manifest */
	char *crds_json;                  /* the same inside a JSON string: escaped */
	struct simk_deflated deflated[2]; /* templates, crds_json */
	struct simk_chart *next;
};

/* A memory stream: text appended with fputs and the like. */
struct mem {
	FILE *f;
	char *p;
	size_t n;
};

static bool mem_open(struct mem *m)
{
	m->p = NULL;
	m->f = open_memstream(&m->p, &m->n);
	return m->f != NULL;
}

/* The text written (malloc'd), or NULL when a write failed. */
static char *mem_close(struct mem *m, bool ok)
{
	ok = !ferror(m->f) && ok;
	if (fclose(m->f) != 0 || !ok) {
		free(m->p);
		return NULL;
	}
	return m->p;
}

/* {"name":"NAME","data":"<base64 of TEXT>"}, after a comma unless FIRST. */
static bool json_file(FILE *f, const char *name, const char *text, bool first)
{
	char *enc = text ? sim_b64_encode(text, strlen(text)) : NULL;

	if (!enc)
		return false;
	fprintf(f, "%s{\"name\":\"%s\",\"data\":\"%s\"}", first ? "" : ",", name, enc);
	free(enc);
	return true;
}

/* A rendered template as helm install writes it into the manifest
 * (pkg/action/action.go renderResources): "---\n# Source: <path>\n" and
 * the document with the space around it trimmed; nothing when empty. */
static void manifest_doc(FILE *f, const char *name, const char *text)
{
	size_t n;

	while (*text == '\n' || *text == ' ')
		text++;
	n = strlen(text);
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
		n--;
	if (n > 0)
		fprintf(f, "---\n# Source: consul/templates/%s\n%.*s\n", name, (int)n, text);
}

/* chart.templates, and the CRDs rendered (the same for every install). */
static int chart_templates(struct simk_chart *ch)
{
	struct mem tj, crd;
	bool ok = true;

	if (!mem_open(&tj))
		return -1;
	if (!mem_open(&crd)) {
		mem_close(&tj, false);
		return -1;
	}
	fputc('[', tj.f);
	for (int i = 0; i < SIMK_CHART_TEMPLATES && ok; i++) {
		const struct simk_tpl *p = &ch->tpls[i];
		char path[96], *text = simk_tpl_text(p, false, NULL), *shown = NULL;

		snprintf(path, sizeof path, "templates/%s", p->name);
		ok = json_file(tj.f, path, text, i == 0);
		if (p->role == SIMK_TPL_CRD) {
			ok = ok && (shown = simk_tpl_text(p, true, NULL)) != NULL;
			if (shown)
				manifest_doc(crd.f, p->name, shown);
			ch->crd_order = p->order;
		}
		free(text);
		free(shown);
	}
	fputc(']', tj.f);
	ch->templates = mem_close(&tj, ok);
	ch->crds = mem_close(&crd, ok);
	return ch->templates && ch->crds ? 0 : -1;
}

/* chart.files: README.md and the like. */
static int chart_other_files(struct simk_chart *ch, uint64_t seed)
{
	struct mem j;
	const char *name;
	char *text;
	bool ok = true;

	if (!mem_open(&j))
		return -1;
	fputc('[', j.f);
	for (int i = 0; ok && (text = simk_chart_other_file(i, seed, &name)) != NULL; i++) {
		ok = json_file(j.f, name, text, i == 0);
		free(text);
	}
	fputc(']', j.f);
	ch->files = mem_close(&j, ok);
	return ch->files ? 0 : -1;
}

/* TEXT as cJSON writes it inside a JSON string, malloc'd. */
static char *json_escaped(const char *text)
{
	cJSON *str = cJSON_CreateString(text);
	char *p = str ? cJSON_PrintUnformatted(str) : NULL;
	size_t n;

	cJSON_Delete(str);
	if (!p)
		return NULL;
	n = strlen(p);
	memmove(p, p + 1, n - 2);
	p[n - 2] = '\0';
	return p;
}

/* What every release carries, deflated once. */
static int chart_deflate(struct simk_chart *ch)
{
	ch->crds_json = json_escaped(ch->crds);
	if (!ch->crds_json ||
	    simk_deflate(ch->templates, strlen(ch->templates), SIMK_HELM_GZIP_LEVEL,
	                 &ch->deflated[0]) < 0 ||
	    simk_deflate(ch->crds_json, strlen(ch->crds_json), SIMK_HELM_GZIP_LEVEL,
	                 &ch->deflated[1]) < 0)
		return -1;
	return 0;
}

static void chart_free(struct simk_chart *ch)
{
	if (!ch)
		return;
	simk_deflated_free(&ch->deflated[0]);
	simk_deflated_free(&ch->deflated[1]);
	free(ch->crds_json);
	free(ch->templates);
	free(ch->files);
	free(ch->crds);
	free(ch);
}

static struct simk_chart *chart_new(const char *version, uint64_t seed)
{
	struct simk_chart *ch = calloc(1, sizeof *ch);
	uint64_t mixed = seed;

	if (!ch)
		return NULL;
	snprintf(ch->version, sizeof ch->version, "%s", version);
	ch->seed = seed;
	/* Another version, other text: the version hashed into the seed. */
	for (const char *s = version; *s; s++)
		mixed = (mixed ^ (unsigned char)*s) * 0x100000001B3ULL;
	if (simk_chart_list(ch->tpls, mixed) < 0 || chart_templates(ch) < 0 ||
	    chart_other_files(ch, mixed) < 0 || chart_deflate(ch) < 0) {
		chart_free(ch);
		return NULL;
	}
	return ch;
}

static pthread_mutex_t charts_lock = PTHREAD_MUTEX_INITIALIZER;
static struct simk_chart *charts; /* made so far; kept until exit */

const struct simk_chart *simk_chart(const char *version, uint64_t seed)
{
	struct simk_chart *ch;

	pthread_mutex_lock(&charts_lock);
	for (ch = charts; ch; ch = ch->next)
		if (ch->seed == seed && strcmp(ch->version, version) == 0)
			break;
	if (!ch && (ch = chart_new(version, seed)) != NULL) {
		ch->next = charts;
		charts = ch;
	}
	pthread_mutex_unlock(&charts_lock);
	return ch;
}

const char *simk_chart_templates(const struct simk_chart *ch)
{
	return ch->templates;
}

const char *simk_chart_files(const struct simk_chart *ch)
{
	return ch->files;
}

const struct simk_deflated *simk_chart_deflated(const struct simk_chart *ch, size_t *n)
{
	*n = sizeof ch->deflated / sizeof ch->deflated[0];
	return ch->deflated;
}

/* The manifest: the templates rendered, in the order Helm installs their
 * objects (by kind, then by file); the CRDs as rendered once. */
static char *render_manifest(const struct simk_chart *ch, const struct sim_install *in)
{
	struct mem m;
	bool ok = true;

	if (!mem_open(&m))
		return NULL;
	for (int order = 0; order < SIMK_TPL_ORDERS; order++) {
		if (order == ch->crd_order)
			fputs(ch->crds, m.f);
		for (int i = 0; i < SIMK_CHART_TEMPLATES && ok; i++) {
			const struct simk_tpl *p = &ch->tpls[i];
			char *text;

			if (p->role != SIMK_TPL_OBJECT || p->order != order)
				continue;
			ok = (text = simk_tpl_text(p, true, in)) != NULL;
			if (text)
				manifest_doc(m.f, p->name, text);
			free(text);
		}
	}
	return mem_close(&m, ok);
}

int simk_chart_render(const struct simk_chart *ch, const struct sim_install *in,
                      struct simk_rendered *out)
{
	memset(out, 0, sizeof *out);
	out->manifest = render_manifest(ch, in);
	for (int i = 0; i < SIMK_CHART_TEMPLATES; i++) {
		if (ch->tpls[i].role == SIMK_TPL_NOTES)
			out->notes = simk_tpl_text(&ch->tpls[i], true, in);
		else if (ch->tpls[i].role == SIMK_TPL_TEST)
			out->test_hook = simk_tpl_text(&ch->tpls[i], true, in);
	}
	if (!out->manifest || !out->notes || !out->test_hook) {
		simk_rendered_free(out);
		return -1;
	}
	return 0;
}

void simk_rendered_free(struct simk_rendered *r)
{
	free(r->manifest);
	free(r->notes);
	free(r->test_hook);
	memset(r, 0, sizeof *r);
}
