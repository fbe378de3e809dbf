#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

const char *unit_fixture(const char *name)
{
	static char path[4096];
	const char *dir = getenv("PS_FIXTURES");

	snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/fixtures", name);
	return path;
}

char *unit_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	do {
		if (n + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *more = realloc(buf, cap);
			ck_assert_ptr_nonnull(more);
			buf = more;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	ck_assert_msg(!ferror(f), "cannot read %s", path);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

char *unit_fixture_read(const char *dir, const char *name, size_t *len)
{
	char rel[1024];

	snprintf(rel, sizeof rel, "%s/%s", dir, name);
	return unit_slurp(unit_fixture(rel), len);
}
