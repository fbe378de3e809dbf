/* The harness shared by the fuzz targets: see fuzz.h. */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	/* An exact-size copy, so that an overread is caught. */
	char *text = malloc(size - 1 ? size - 1 : 1);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	fuzz_decode(data[0], text, size - 1);
	free(text);
	return 0;
}

#ifdef FUZZ_REPLAY
/* The file at PATH after one byte left for the pick; *n counts both. */
static uint8_t *read_input(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, got;
	bool failed = false;

	*n = 1;
	if (!f)
		return NULL;
	do {
		if (*n >= cap) {
			size_t want = cap ? cap * 2 : 65536;
			uint8_t *grown = realloc(buf, want);
			if (!grown) {
				failed = true;
				break;
			}
			buf = grown;
			cap = want;
		}
		got = fread(buf + *n, 1, cap - *n, f);
		*n += got;
	} while (got);
	failed = failed || ferror(f);
	fclose(f);
	if (failed) {
		free(buf);
		return NULL;
	}
	return buf;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		size_t n;
		uint8_t *buf = read_input(argv[i], &n);
		if (!buf) {
			fprintf(stderr, "%s: cannot read %s\n", fuzz_name, argv[i]);
			return 1;
		}
		for (unsigned pick = 0; pick < fuzz_picks; pick++) {
			buf[0] = (uint8_t)pick;
			LLVMFuzzerTestOneInput(buf, n);
		}
		free(buf);
	}
	printf("%s: replayed %d inputs under every decoder\n", fuzz_name, argc - 1);
	return 0;
}
#endif
