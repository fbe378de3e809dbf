/* peerscope-sim: gzip (RFC 1952) of a Helm release, as Helm writes it
 * (helm/helm pkg/storage/driver/util.go encodeRelease: Go's compress/gzip),
 * with zlib's deflate.
 *
 * Most of a release is the same in every release of a chart: of some
 * 3.7 MB of JSON, the chart's templates and its CRDs rendered (3.5 MB,
 * chart.c). Such text is deflated once (simk_deflate) into a piece that
 * ends on a byte boundary without ending the stream (zlib's Z_SYNC_FLUSH),
 * as pigz does for its blocks; a release's gzip is then the rest deflated
 * the same way around those pieces, an empty final block and the trailer,
 * its CRC-32 combined from the pieces'. The inflated release is the same as
 * from one deflate call; a piece cannot refer back to the text before it,
 * which costs a few bytes. */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "simk.h"

struct gzbuf {
	unsigned char *p;
	size_t len, cap;
};

static int gz_reserve(struct gzbuf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 65536;
	unsigned char *p;

	if (b->len + more <= b->cap)
		return 0;
	while (cap < b->len + more)
		cap *= 2;
	if (!(p = realloc(b->p, cap)))
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int gz_put(struct gzbuf *b, const void *data, size_t n)
{
	if (gz_reserve(b, n) < 0)
		return -1;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return 0;
}

/* Raw deflate of N bytes at IN, ended with a sync flush, appended to B. */
static int gz_deflate(struct gzbuf *b, const char *in, size_t n, int level)
{
	z_stream zs;
	int zrc = Z_OK;

	memset(&zs, 0, sizeof zs);
	if (deflateInit2(&zs, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)n;
	do {
		if (gz_reserve(b, deflateBound(&zs, zs.avail_in) + 64) < 0) {
			zrc = Z_MEM_ERROR;
			break;
		}
		zs.next_out = b->p + b->len;
		zs.avail_out = (uInt)(b->cap - b->len);
		zrc = deflate(&zs, Z_SYNC_FLUSH);
		b->len = b->cap - zs.avail_out;
	} while (zrc == Z_OK && (zs.avail_in > 0 || zs.avail_out == 0));
	deflateEnd(&zs);
	return zrc == Z_OK || zrc == Z_BUF_ERROR ? 0 : -1;
}

int simk_deflate(const char *text, size_t len, int level, struct simk_deflated *out)
{
	struct gzbuf b = {0};

	memset(out, 0, sizeof *out);
	if (gz_deflate(&b, text, len, level) < 0) {
		free(b.p);
		return -1;
	}
	out->text = text;
	out->len = len;
	out->data = b.p;
	out->data_len = b.len;
	out->crc = (uint32_t)crc32(crc32(0, NULL, 0), (const Bytef *)text, (uInt)len);
	return 0;
}

void simk_deflated_free(struct simk_deflated *d)
{
	free(d->data);
	memset(d, 0, sizeof *d);
}

/* Where the LEN bytes at PIECE first occur in the N bytes at TEXT, or NULL:
 * memmem() of a few bytes, then a comparison, as a needle of megabytes is
 * slow to search for. */
static const char *find_piece(const char *text, size_t n, const char *piece, size_t len)
{
	size_t probe = len < 64 ? len : 64;
	const char *end = text + n, *at;

	while (len > 0 && (at = memmem(text, (size_t)(end - text), piece, probe)) != NULL) {
		if ((size_t)(end - at) >= len && memcmp(at, piece, len) == 0)
			return at;
		text = at + 1;
	}
	return NULL;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

unsigned char *simk_gzip(const char *text, size_t len, const struct simk_deflated *known,
                         size_t nknown, int level, size_t *out_len)
{
	/* Go's compress/gzip header: no name, no time, XFL 2 at its best
	 * compression and 4 at its fastest, OS "unknown". */
	unsigned char head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}, tail[8];
	static const unsigned char last_block[2] = {0x03, 0x00}; /* final, fixed, empty */
	struct gzbuf b = {0};
	uLong crc = crc32(0, NULL, 0);
	size_t pos = 0;
	int rc = 0;

	head[8] = level == Z_BEST_COMPRESSION ? 2 : level == Z_BEST_SPEED ? 4 : 0;
	rc |= gz_put(&b, head, sizeof head);
	for (size_t i = 0; i < nknown && rc == 0; i++) {
		const char *at = find_piece(text + pos, len - pos, known[i].text, known[i].len);
		size_t before;

		if (!at)
			continue;
		before = (size_t)(at - (text + pos));
		if (before > 0)
			rc |= gz_deflate(&b, text + pos, before, level);
		crc = crc32(crc, (const Bytef *)text + pos, (uInt)before);
		rc |= gz_put(&b, known[i].data, known[i].data_len);
		crc = crc32_combine(crc, known[i].crc, (z_off_t)known[i].len);
		pos += before + known[i].len;
	}
	if (rc == 0 && pos < len)
		rc |= gz_deflate(&b, text + pos, len - pos, level);
	crc = crc32(crc, (const Bytef *)text + pos, (uInt)(len - pos));
	put_le32(tail, (uint32_t)crc);
	put_le32(tail + 4, (uint32_t)len);
	rc |= gz_put(&b, last_block, sizeof last_block);
	rc |= gz_put(&b, tail, sizeof tail);
	if (rc != 0) {
		free(b.p);
		return NULL;
	}
	*out_len = b.len;
	return b.p;
}
