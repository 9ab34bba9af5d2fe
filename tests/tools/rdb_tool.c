/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A test driver for the RDB format layer, used by
 * tests/integration/test_rdb_compat.py:
 *
 *   rdb_tool write FILE   stdin lines "HEXKEY HEXVAL EXPIRE_MS FLAGS CAS"
 *                         (EXPIRE_MS -1 = none; "-" = empty value) -> FILE
 *   rdb_tool dump FILE [skip]
 *                         FILE -> stdout lines in the same form, then
 *                         "# keys=N expires=N skipped=N functions=N module_aux=N
 *                         version=N checksum=N"
 *
 * Hex keeps binary keys and values on one line. Exit 0, or 1 with the
 * loader's reason on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/rdb.h"

static int unhex(const char *s, uint8_t **out, size_t *len)
{
	size_t n = strlen(s);

	if (strcmp(s, "-") == 0)
		n = 0;
	if (n % 2)
		return -1;
	*out = malloc(n / 2 + 1);
	if (*out == NULL)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		(*out)[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

static void hex(const void *p, size_t n)
{
	const uint8_t *b = p;

	if (n == 0)
		fputc('-', stdout);
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
}

static int do_write(const char *path)
{
	struct rdb_writer *w;
	char *line = NULL;
	size_t cap = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644), rc;

	if (fd < 0) {
		perror(path);
		return 1;
	}
	if ((rc = rdb_writer_begin(&w, rdb_out_fd, &fd, NULL)) < 0) {
		fprintf(stderr, "begin: %s\n", strerror(-rc));
		return 1;
	}
	/* getline: values of any size (hex doubles them). */
	while (getline(&line, &cap, stdin) > 0) {
		struct rdb_key k = { 0 };
		char *kh = strtok(line, " \n"), *vh = strtok(NULL, " \n");
		char *eh = strtok(NULL, " \n"), *fh = strtok(NULL, " \n"), *ch = strtok(NULL, " \n");
		uint8_t *key = NULL, *val = NULL;

		if (ch == NULL || unhex(kh, &key, &k.key_len) < 0 || unhex(vh, &val, &k.val_len) < 0) {
			fprintf(stderr, "bad input line\n");
			return 1;
		}
		k.key = key;
		k.val = val;
		k.expire_ms = strtoll(eh, NULL, 10);
		k.flags = (uint32_t)strtoul(fh, NULL, 10);
		k.cas = strtoull(ch, NULL, 10);
		rc = rdb_writer_key(w, &k);
		free(key);
		free(val);
		if (rc < 0) {
			fprintf(stderr, "key: %s\n", strerror(-rc));
			return 1;
		}
	}
	free(line);
	if ((rc = rdb_writer_end(w)) < 0 || fsync(fd) < 0 || close(fd) < 0) {
		fprintf(stderr, "end: %s\n", strerror(rc < 0 ? -rc : errno));
		return 1;
	}
	rdb_writer_destroy(w);
	return 0;
}

static int print_key(void *ctx, const struct rdb_key *k)
{
	(void)ctx;
	hex(k->key, k->key_len);
	fputc(' ', stdout);
	hex(k->val, k->val_len);
	printf(" %" PRId64 " %" PRIu32 " %" PRIu64 "\n", k->expire_ms, k->flags, k->cas);
	return 0;
}

static int do_dump(const char *path, int skip)
{
	struct rdb_load_opts o = { .other_types = skip ? RDB_TYPES_SKIP : RDB_TYPES_FAIL };
	struct rdb_load_info info;
	int fd = open(path, O_RDONLY), rc;

	if (fd < 0) {
		perror(path);
		return 1;
	}
	rc = rdb_load(rdb_in_fd, &fd, &o, print_key, NULL, &info);
	close(fd);
	if (rc < 0) {
		fprintf(stderr, "load failed (%s): %s\n", strerror(-rc), info.err);
		return 1;
	}
	printf("# keys=%" PRIu64 " expires=%" PRIu64 " skipped=%" PRIu64 " functions=%" PRIu64
	       " module_aux=%" PRIu64 " version=%d checksum=%d\n", info.keys, info.expires,
	       info.skipped, info.functions, info.module_aux, info.version, info.checksum);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "write") == 0)
		return do_write(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "dump") == 0)
		return do_dump(argv[2], argc > 3 && strcmp(argv[3], "skip") == 0);
	fprintf(stderr, "usage: rdb_tool write FILE < keys | rdb_tool dump FILE [skip]\n");
	return 2;
}
