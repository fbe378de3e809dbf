/* peerscope-sim: server-side printing (meta.k8s.io/v1 Table), which kubectl
 * get asks for. Custom resources get the CRD's additionalPrinterColumns,
 * core types the columns the API server prints for them; date columns are
 * shown as ages, as the API server words them. */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simk.h"

bool simk_wants_table(const struct sim_req *req)
{
	const char *accept = sim_req_header(req, "Accept");

	return accept && strstr(accept, "as=Table") && strstr(accept, "g=meta.k8s.io");
}

enum simk_meta simk_wants_metadata(const struct sim_req *req)
{
	const char *accept = sim_req_header(req, "Accept");

	if (!accept || !strstr(accept, "g=meta.k8s.io"))
		return SIMK_META_NONE;
	if (strstr(accept, "as=PartialObjectMetadataList"))
		return SIMK_META_LIST;
	return strstr(accept, "as=PartialObjectMetadata") ? SIMK_META_OBJECT : SIMK_META_NONE;
}

/* "5m12s", "3h", "2d5h": k8s.io/apimachinery's HumanDuration. */
static void human_age(int64_t secs, char *buf, size_t len)
{
	int64_t m = secs / 60, h = secs / 3600, d = secs / 86400;

	if (secs < 0)
		snprintf(buf, len, "<invalid>");
	else if (secs < 120)
		snprintf(buf, len, "%" PRId64 "s", secs);
	else if (m < 10)
		snprintf(buf, len, "%" PRId64 "m%" PRId64 "s", m, secs % 60);
	else if (m < 180)
		snprintf(buf, len, "%" PRId64 "m", m);
	else if (h < 8)
		snprintf(buf, len, "%" PRId64 "h%" PRId64 "m", h, m % 60);
	else if (h < 48)
		snprintf(buf, len, "%" PRId64 "h", h);
	else if (h < 192)
		snprintf(buf, len, "%" PRId64 "d%" PRId64 "h", d, h % 24);
	else if (d < 730)
		snprintf(buf, len, "%" PRId64 "d", d);
	else if (d < 2920)
		snprintf(buf, len, "%" PRId64 "y%" PRId64 "d", d / 365, d % 365);
	else
		snprintf(buf, len, "%" PRId64 "y", d / 365);
}

static int64_t parse_time(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return -1;
	return (int64_t)timegm(&tm);
}

/* Evaluates the JSONPath subset CRD printer columns use: ".a.b" and
 * ".list[?(@.key=="value")].field". */
static const cJSON *jsonpath(const cJSON *obj, const char *path)
{
	char seg[128], fkey[64], fval[64];
	const cJSON *cur = obj;

	while (cur && *path == '.') {
		size_t n = strcspn(++path, ".[");

		snprintf(seg, sizeof seg, "%.*s", (int)n, path);
		path += n;
		cur = cJSON_GetObjectItemCaseSensitive(cur, seg);
		if (*path != '[')
			continue;
		if (sscanf(path, "[?(@.%63[^=]==\"%63[^\"]\")]", fkey, fval) != 2)
			return NULL;
		path = strchr(path, ']') + 1;
		{
			const cJSON *it, *found = NULL;

			cJSON_ArrayForEach(it, cur)
			{
				const char *v = simk_str(it, fkey);

				if (v && strcmp(v, fval) == 0) {
					found = it;
					break;
				}
			}
			cur = found;
		}
	}
	return cur;
}

static cJSON *column(const char *name, const char *type, const char *format, const char *desc)
{
	cJSON *c = cJSON_CreateObject();

	if (c) {
		cJSON_AddStringToObject(c, "name", name);
		cJSON_AddStringToObject(c, "type", type);
		cJSON_AddStringToObject(c, "format", format);
		cJSON_AddStringToObject(c, "description", desc);
		cJSON_AddNumberToObject(c, "priority", 0);
	}
	return c;
}

/* A column kubectl shows only with -o wide. */
static cJSON *wide(const char *name, const char *desc)
{
	cJSON *c = column(name, "string", "", desc);

	if (c)
		cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "priority"), 1);
	return c;
}

/* READY, UP-TO-DATE, AVAILABLE, AGE and, wide, CONTAINERS, IMAGES,
 * SELECTOR, as the API server prints a Deployment (kubernetes
 * pkg/printers/internalversion/printers.go, printDeployment: it sends the
 * wide columns too, kubectl hides them). */
static void deployment_columns(cJSON *cols)
{
	cJSON_AddItemToArray(cols,
	                     column("Ready", "string", "", "Number of the pod with ready state"));
	cJSON_AddItemToArray(cols, column("Up-to-date", "string", "",
	                                  "Total number of non-terminated pods targeted by this "
	                                  "deployment that have the desired template spec."));
	cJSON_AddItemToArray(cols, column("Available", "string", "",
	                                  "Total number of available pods (ready for at least "
	                                  "minReadySeconds) targeted by this deployment."));
	cJSON_AddItemToArray(cols, column("Age", "string", "", "CreationTimestamp"));
	cJSON_AddItemToArray(cols, wide("Containers", "Names of each container in the template."));
	cJSON_AddItemToArray(
	        cols, wide("Images", "Images referenced by each container in the template."));
	cJSON_AddItemToArray(cols, wide("Selector", "Label selector for pods."));
}

static cJSON *columns(const struct simk_rtype *t)
{
	cJSON *cols = cJSON_CreateArray(), *it;
	const cJSON *printer;

	if (!cols)
		return NULL;
	cJSON_AddItemToArray(
	        cols, column("Name", "string", "name", "Name must be unique within a namespace."));
	if (t->crd) {
		printer = simk_path(cJSON_GetArrayItem(simk_path(t->crd, "spec.versions"), 0),
		                    "additionalPrinterColumns");
		cJSON_ArrayForEach(it, printer)
		{
			const char *type = simk_str(it, "type");

			cJSON_AddItemToArray(
			        cols,
			        column(simk_str(it, "name") ? simk_str(it, "name") : "",
			               type && strcmp(type, "date") == 0 ? "date"
			               : type                            ? type
			                                                 : "string",
			               "",
			               simk_str(it, "description") ? simk_str(it, "description")
			                                           : ""));
		}
	} else if (strcmp(t->plural, "secrets") == 0) {
		cJSON_AddItemToArray(cols, column("Type", "string", "", "The type of the secret"));
		cJSON_AddItemToArray(cols,
		                     column("Data", "string", "", "Number of items in the secret"));
		cJSON_AddItemToArray(cols, column("Age", "string", "", "CreationTimestamp"));
	} else if (strcmp(t->plural, "services") == 0) {
		cJSON_AddItemToArray(cols, column("Type", "string", "", "The type of the service"));
		cJSON_AddItemToArray(cols, column("Cluster-IP", "string", "", "The cluster IP"));
		cJSON_AddItemToArray(cols, column("External-IP", "string", "", "External IPs"));
		cJSON_AddItemToArray(cols, column("Port(s)", "string", "", "The ports"));
		cJSON_AddItemToArray(cols, column("Age", "string", "", "CreationTimestamp"));
	} else if (strcmp(t->plural, "deployments") == 0) {
		deployment_columns(cols);
	} else if (strcmp(t->plural, "configmaps") == 0) {
		cJSON_AddItemToArray(cols, column("Data", "string", "", "Number of items"));
		cJSON_AddItemToArray(cols, column("Age", "string", "", "CreationTimestamp"));
	} else {
		cJSON_AddItemToArray(cols, column("Status", "string", "", "The namespace phase"));
		cJSON_AddItemToArray(cols, column("Age", "string", "", "CreationTimestamp"));
	}
	return cols;
}

static void add_age(cJSON *cells, const char *ts, int64_t now)
{
	int64_t t = parse_time(ts);
	char age[32];

	if (t < 0) {
		cJSON_AddItemToArray(cells, cJSON_CreateNull());
		return;
	}
	human_age(now - t, age, sizeof age);
	cJSON_AddItemToArray(cells, cJSON_CreateString(age));
}

static double number_at(const cJSON *obj, const char *path, double def)
{
	const cJSON *v = simk_path(obj, path);

	return cJSON_IsNumber(v) ? v->valuedouble : def;
}

/* "a,b" of the containers' KEY. */
static void join_containers(const cJSON *obj, const char *key, char *buf, size_t len)
{
	const cJSON *it;
	size_t used = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(it, simk_path(obj, "spec.template.spec.containers"))
	{
		const char *v = simk_str(it, key);
		if (v && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "",
			                         v);
	}
}

static void deployment_cells(cJSON *cells, const cJSON *obj, int64_t now)
{
	char ready[48], buf[512];
	const cJSON *it;
	size_t used = 0;

	snprintf(ready, sizeof ready, "%.0f/%.0f", number_at(obj, "status.readyReplicas", 0),
	         number_at(obj, "spec.replicas", 1));
	cJSON_AddItemToArray(cells, cJSON_CreateString(ready));
	cJSON_AddItemToArray(cells,
	                     cJSON_CreateNumber(number_at(obj, "status.updatedReplicas", 0)));
	cJSON_AddItemToArray(cells,
	                     cJSON_CreateNumber(number_at(obj, "status.availableReplicas", 0)));
	add_age(cells, simk_str(obj, "metadata.creationTimestamp"), now);
	join_containers(obj, "name", buf, sizeof buf);
	cJSON_AddItemToArray(cells, cJSON_CreateString(buf));
	join_containers(obj, "image", buf, sizeof buf);
	cJSON_AddItemToArray(cells, cJSON_CreateString(buf));
	buf[0] = '\0';
	cJSON_ArrayForEach(it, simk_path(obj, "spec.selector.matchLabels"))
	{
		if (cJSON_IsString(it) && used < sizeof buf)
			used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s=%s",
			                         used ? "," : "", it->string, it->valuestring);
	}
	cJSON_AddItemToArray(cells, cJSON_CreateString(buf));
}

/* TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S) as kubectl shows a Service. */
static void service_cells(cJSON *cells, const cJSON *obj)
{
	const cJSON *ports = simk_path(obj, "spec.ports"), *p;
	const cJSON *ingress = cJSON_GetArrayItem(simk_path(obj, "status.loadBalancer.ingress"), 0);
	const char *type = simk_str(obj, "spec.type");
	char buf[256] = "";
	size_t len = 0;

	cJSON_ArrayForEach(p, ports)
	{
		const cJSON *port = cJSON_GetObjectItemCaseSensitive(p, "port");
		const char *proto = simk_str(p, "protocol");

		if (cJSON_IsNumber(port) && len < sizeof buf)
			len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%d/%s",
			                        len ? "," : "", port->valueint,
			                        proto ? proto : "TCP");
	}
	cJSON_AddItemToArray(cells, cJSON_CreateString(type ? type : "ClusterIP"));
	cJSON_AddItemToArray(cells, cJSON_CreateString(simk_str(obj, "spec.clusterIP")
	                                                       ? simk_str(obj, "spec.clusterIP")
	                                                       : "<none>"));
	cJSON_AddItemToArray(
	        cells,
	        cJSON_CreateString(simk_str(ingress, "ip")         ? simk_str(ingress, "ip")
	                           : simk_str(ingress, "hostname") ? simk_str(ingress, "hostname")
	                           : type && !strcmp(type, "LoadBalancer") ? "<pending>"
	                                                                   : "<none>"));
	cJSON_AddItemToArray(cells, cJSON_CreateString(len ? buf : "<none>"));
}

static cJSON *cells_of(const struct simk_rtype *t, const cJSON *obj, int64_t now)
{
	cJSON *cells = cJSON_CreateArray(), *it;
	const char *created = simk_str(obj, "metadata.creationTimestamp");

	if (!cells)
		return NULL;
	cJSON_AddItemToArray(cells, cJSON_CreateString(simk_str(obj, "metadata.name")));
	if (t->crd) {
		cJSON_ArrayForEach(
		        it, simk_path(cJSON_GetArrayItem(simk_path(t->crd, "spec.versions"), 0),
		                      "additionalPrinterColumns"))
		{
			const char *type = simk_str(it, "type");
			const cJSON *v = jsonpath(
			        obj, simk_str(it, "jsonPath") ? simk_str(it, "jsonPath") : "");

			if (type && strcmp(type, "date") == 0)
				add_age(cells, cJSON_IsString(v) ? v->valuestring : NULL, now);
			else
				cJSON_AddItemToArray(cells, v ? cJSON_Duplicate(v, true)
				                              : cJSON_CreateNull());
		}
		return cells;
	}
	if (strcmp(t->plural, "deployments") == 0) {
		deployment_cells(cells, obj, now);
		return cells;
	}
	if (strcmp(t->plural, "services") == 0) {
		service_cells(cells, obj);
		add_age(cells, created, now);
		return cells;
	}
	if (strcmp(t->plural, "secrets") == 0)
		cJSON_AddItemToArray(cells, cJSON_CreateString(simk_str(obj, "type")
		                                                       ? simk_str(obj, "type")
		                                                       : "Opaque"));
	if (strcmp(t->plural, "namespaces") == 0) {
		cJSON_AddItemToArray(cells,
		                     cJSON_CreateString(simk_str(obj, "status.phase")
		                                                ? simk_str(obj, "status.phase")
		                                                : "Active"));
	} else {
		cJSON_AddItemToArray(
		        cells, cJSON_CreateNumber(cJSON_GetArraySize(simk_path(obj, "data"))));
	}
	add_age(cells, created, now);
	return cells;
}

/* The row's object: PartialObjectMetadata, as includeObject=Metadata asks. */
static cJSON *row_object(const cJSON *obj)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "kind", "PartialObjectMetadata");
	cJSON_AddStringToObject(o, "apiVersion", "meta.k8s.io/v1");
	cJSON_AddItemToObject(o, "metadata", cJSON_Duplicate(simk_path(obj, "metadata"), true));
	return o;
}

cJSON *simk_metadata(const cJSON *list_or_obj, bool list)
{
	if (!list)
		return row_object(list_or_obj);
	cJSON *out = cJSON_CreateObject(), *items, *md;
	const cJSON *it;

	if (!out)
		return NULL;
	cJSON_AddStringToObject(out, "kind", "PartialObjectMetadataList");
	cJSON_AddStringToObject(out, "apiVersion", "meta.k8s.io/v1");
	md = cJSON_Duplicate(simk_path(list_or_obj, "metadata"), true);
	items = cJSON_AddArrayToObject(out, "items");
	if (!md || !items) {
		cJSON_Delete(md);
		cJSON_Delete(out);
		return NULL;
	}
	cJSON_AddItemToObject(out, "metadata", md);
	cJSON_ArrayForEach(it, simk_path(list_or_obj, "items"))
	{
		cJSON *one = row_object(it);
		if (!one) {
			cJSON_Delete(out);
			return NULL;
		}
		cJSON_AddItemToArray(items, one);
	}
	return out;
}

cJSON *simk_table(struct sim_cluster *c, int rt, const cJSON *list_or_obj, bool headers)
{
	const struct simk_rtype *t = simk_rtype(c->kube, rt);
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(list_or_obj, "items"), *it;
	int64_t now = sim_now_ms(c->world) / 1000;
	cJSON *table = cJSON_CreateObject(), *meta, *rows;
	const char *rv = simk_str(list_or_obj, "metadata.resourceVersion");

	if (!table)
		return NULL;
	cJSON_AddStringToObject(table, "kind", "Table");
	cJSON_AddStringToObject(table, "apiVersion", "meta.k8s.io/v1");
	meta = cJSON_AddObjectToObject(table, "metadata");
	if (rv && items)
		cJSON_AddStringToObject(meta, "resourceVersion", rv);
	if (items && simk_str(list_or_obj, "metadata.continue"))
		cJSON_AddStringToObject(meta, "continue",
		                        simk_str(list_or_obj, "metadata.continue"));
	if (items && simk_path(list_or_obj, "metadata.remainingItemCount"))
		cJSON_AddItemToObject(
		        meta, "remainingItemCount",
		        cJSON_Duplicate(simk_path(list_or_obj, "metadata.remainingItemCount"),
		                        true));
	cJSON_AddItemToObject(table, "columnDefinitions",
	                      headers ? columns(t) : cJSON_CreateArray());
	rows = cJSON_AddArrayToObject(table, "rows");
	if (!rows) {
		cJSON_Delete(table);
		return NULL;
	}
	if (!cJSON_IsArray(items)) {
		cJSON *row = cJSON_CreateObject();

		cJSON_AddItemToObject(row, "cells", cells_of(t, list_or_obj, now));
		cJSON_AddItemToObject(row, "object", row_object(list_or_obj));
		cJSON_AddItemToArray(rows, row);
		return table;
	}
	cJSON_ArrayForEach(it, items)
	{
		cJSON *row = cJSON_CreateObject();

		if (!row) {
			cJSON_Delete(table);
			return NULL;
		}
		cJSON_AddItemToObject(row, "cells", cells_of(t, it, now));
		cJSON_AddItemToObject(row, "object", row_object(it));
		cJSON_AddItemToArray(rows, row);
	}
	return table;
}
