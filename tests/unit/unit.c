#include "unit.h"

#include <stdio.h>

const char *unit_fixture(const char *name)
{
	static char path[4096];
	const char *dir = getenv("PS_FIXTURES");

	snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/fixtures", name);
	return path;
}
