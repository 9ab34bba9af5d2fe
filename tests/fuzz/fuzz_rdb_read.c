/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for rdb_load(). The input is a file's bytes. Checks:
 * no crash, leak or out-of-bounds access (ASan, UBSan); only the documented
 * statuses, each failure with a reason and each success without one; the
 * same outcome and keys whatever the read sizes; and for a file that loads,
 * writing its keys with our writer and loading that gives the same keys
 * (the writer and reader agree on everything the reader accepts).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/rdb.h"

#define FUZZ_TARGET "fuzz_rdb_read"
#define FNV_BASIS 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
	fprintf(stderr, "%s: %s\n", FUZZ_TARGET, what);
	abort();
}

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * FNV_PRIME;
	return h;
}

struct step_in {
	struct rdb_mem_in m;
	size_t step;
};

static long step_in(void *ctx, void *buf, size_t len)
{
	struct step_in *s = ctx;

	return rdb_in_mem(&s->m, buf, len < s->step ? len : s->step);
}

struct mem_out {
	uint8_t *p;
	size_t len, cap;
};

static int mem_out(void *ctx, const void *buf, size_t len)
{
	struct mem_out *m = ctx;

	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2;
		if ((m->p = realloc(m->p, m->cap)) == NULL)
			die("out of memory");
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return 0;
}

struct seen {
	uint64_t hash;
	struct rdb_writer *w;   /* re-writes what was loaded, when set */
};

static int on_key(void *ctx, const struct rdb_key *k)
{
	struct seen *s = ctx;

	s->hash = mix(s->hash, &k->key_len, sizeof(k->key_len));
	s->hash = mix(s->hash, k->key, k->key_len);
	s->hash = mix(s->hash, &k->val_len, sizeof(k->val_len));
	s->hash = mix(s->hash, k->val, k->val_len);
	s->hash = mix(s->hash, &k->expire_ms, sizeof(k->expire_ms));
	s->hash = mix(s->hash, &k->flags, sizeof(k->flags));
	s->hash = mix(s->hash, &k->cas, sizeof(k->cas));
	if (s->w != NULL && rdb_writer_key(s->w, k) < 0)
		die("re-write failed");
	return 0;
}

static int load(const uint8_t *p, size_t n, size_t step, enum rdb_type_policy pol,
		struct seen *s, struct rdb_load_info *info)
{
	struct step_in in = { { p, n, 0 }, step };
	/* Small enough that LZF expansion stays cheap. */
	struct rdb_load_opts o = { .other_types = pol, .max_string = 1 << 20 };
	int rc;

	s->hash = FNV_BASIS;
	rc = rdb_load(step_in, &in, &o, on_key, s, info);
	if (rc != 0 && rc != -EINVAL && rc != -ENOTSUP && rc != -EFBIG)
		die("unexpected status");
	if ((rc != 0) != (info->err[0] != '\0'))
		die("status and reason disagree");
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t steps[] = { 1, 3, 7 };

	for (int pol = RDB_TYPES_FAIL; pol <= RDB_TYPES_SKIP; pol++) {
		struct mem_out out = { 0 };
		struct seen one = { 0 }, other = { 0 };
		struct rdb_load_info info, info2;
		int rc;

		if (rdb_writer_begin(&one.w, mem_out, &out, NULL) < 0)
			die("writer");
		rc = load(data, size, 1 << 16, (enum rdb_type_policy)pol, &one, &info);
		for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
			if (steps[i] == 1 && size > 4096)
				continue;
			if (load(data, size, steps[i], (enum rdb_type_policy)pol, &other, &info2) != rc ||
			    other.hash != one.hash || info2.keys != info.keys)
				die("read size changed the outcome");
		}
		if (rc == 0) {
			if (rdb_writer_end(one.w) < 0)
				die("writer end");
			other.w = NULL;
			if (load(out.p, out.len, 1 << 16, RDB_TYPES_FAIL, &other, &info2) != 0 ||
			    other.hash != one.hash || info2.keys != info.keys)
				die("our own output of a loaded file does not load the same");
		}
		rdb_writer_destroy(one.w);
		free(out.p);
	}
	return 0;
}
