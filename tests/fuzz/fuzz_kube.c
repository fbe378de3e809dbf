/* Fuzz target for the kube decoders: objects of every kind, lists, Status
 * objects, discovery, Secret values, Helm releases, Secret copies, access
 * reviews, Deployment lists and the watch parser fed in pieces. The first
 * byte picks the decoder (and, for the watch parser, the chunk size); the
 * rest is the input.
 *
 * Built with clang -fsanitize=fuzzer,address by `make fuzz-kube`; built
 * without libFuzzer (FUZZ_REPLAY) it replays the files named on its command
 * line, which `make check` does over the fixtures. The harness is
 * fuzz_main.c. */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "peerscope/kube.h"

const char fuzz_name[] = "fuzz_kube";
const unsigned fuzz_picks = 256;

static int drop(struct kube_event *ev, void *ctx)
{
	(void)ev;
	(void)ctx;
	return 0;
}

static void watch(enum kube_kind kind, const char *text, size_t len, size_t chunk)
{
	char err[256];
	struct kube_watch_parser *p = kube_watch_parser_new(kind, 1 << 20);

	if (!p)
		return;
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		if (kube_watch_parser_feed(p, text + off, n, drop, NULL, err, sizeof err))
			break;
	}
	kube_watch_parser_finish(p, drop, NULL, err, sizeof err);
	kube_watch_parser_free(p);
}

void fuzz_decode(unsigned pick, const char *text, size_t len)
{
	char err[256];
	enum kube_kind kind = (enum kube_kind)(pick % KUBE_KIND_COUNT);

	switch (pick / KUBE_KIND_COUNT % 8) {
	case 0: {
		struct kube_object o;
		if (kube_object_decode(kind, text, len, &o, err, sizeof err) == 0)
			kube_object_clear(&o);
		break;
	}
	case 1: {
		struct kube_list l;
		if (kube_list_decode(kind, text, len, &l, err, sizeof err) == 0)
			kube_list_clear(&l);
		break;
	}
	case 2: {
		struct kube_status st;
		char line[512];
		if (kube_status_decode(text, len, &st, err, sizeof err) == 0) {
			kube_status_format(&st, line, sizeof line);
			kube_status_clear(&st);
		}
		kube_error_text(500, text, len, line, sizeof line);
		break;
	}
	case 3: {
		struct kube_discovery d;
		if (kube_discovery_decode_group(text, len, &d, err, sizeof err) == 0) {
			kube_discovery_decode_resources(text, len, &d, err, sizeof err);
			kube_discovery_clear(&d);
		}
		break;
	}
	case 4: {
		char *value;
		size_t vlen;
		if (kube_secret_value(text, len, "data", &value, &vlen, err, sizeof err) == 0)
			free(value);
		break;
	}
	case 5: {
		struct model_kube_helm h;
		if (kube_helm_decode(text, len, &h, err, sizeof err) == 0)
			model_kube_helm_clear(&h);
		/* A list twice: the second time told by its key. */
		uint64_t key = 0;
		for (int i = 0; i < 2; i++)
			if (kube_helm_decode_list(text, len, &key, &h, err, sizeof err) >= 0)
				model_kube_helm_clear(&h);
		break;
	}
	case 6: {
		free(kube_body_secret_copy(text, len, "consul", err, sizeof err));
		free(kube_body_secret_copy_patch(text, len, err, sizeof err));
		bool allowed;
		kube_access_review_decode(text, len, &allowed, err, sizeof err);
		break;
	}
	default:
		watch(kind, text, len, (size_t)pick % 61 + 1);
		break;
	}
}
