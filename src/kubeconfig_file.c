/* kubeconfig: reading a whole file as kubectl does. The kubeconfig parser,
 * the exec plugins (a CA for KUBERNETES_EXEC_INFO) and peerscope's own
 * config file read through it. See include/peerscope/kubeconfig.h. */
#include "autoconfig.h"

#include "peerscope/kubeconfig.h"

#include "peerscope/codec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *kubeconfig_read_file(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	/* One byte past MAX tells a file that is too large. */
	while (n <= max && !feof(f) && !ferror(f)) {
		if (cap - n < 2) {
			size_t want = cap ? cap * 2 : 4096;
			want = want < max + 2 ? want : max + 2;
			/* Not realloc: the text may hold credentials, and the old
			 * buffer is wiped before it goes back to the heap. */
			char *grown = malloc(want);
			if (!grown) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			if (buf) {
				memcpy(grown, buf, n);
				codec_wipe(buf, cap);
				free(buf);
			}
			buf = grown;
			cap = want;
		}
		n += fread(buf + n, 1, cap - 1 - n, f);
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto fail;
	}
	if (n > max) {
		snprintf(err, errlen, "larger than %zu bytes", max);
		goto fail;
	}
	buf[n] = '\0';
	*len = n;
	fclose(f);
	return buf;
fail:
	if (buf)
		codec_wipe(buf, cap);
	free(buf);
	fclose(f);
	return NULL;
}
