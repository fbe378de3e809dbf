/* Unit tests: what cJSON frees, watched for a text that should have been
 * wiped first (unit.h). */
#include "unit.h"

#include <cjson/cJSON.h>
#include <string.h>

static const char *needle;
static int freed_with_needle;

/* Each block with its size in front, so that a free can look at it. */
static void *sized_malloc(size_t n)
{
	size_t *p = malloc(sizeof(size_t) * 2 + n);

	if (!p)
		return NULL;
	p[0] = n;
	return p + 2;
}

static void sized_free(void *q)
{
	size_t *p = q ? (size_t *)q - 2 : NULL;
	size_t k = needle ? strlen(needle) : 0;

	if (!p)
		return;
	for (size_t i = 0; k && i + k <= p[0]; i++)
		if (!memcmp((char *)q + i, needle, k)) {
			freed_with_needle++;
			break;
		}
	free(p);
}

void unit_watch_frees(const char *text)
{
	static cJSON_Hooks hooks = {.malloc_fn = sized_malloc, .free_fn = sized_free};

	needle = text;
	freed_with_needle = 0;
	cJSON_InitHooks(&hooks);
}

int unit_frees_with_text(void)
{
	return freed_with_needle;
}

void unit_watch_frees_end(void)
{
	cJSON_InitHooks(NULL);
	needle = NULL;
}
