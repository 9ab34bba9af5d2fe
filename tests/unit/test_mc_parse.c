/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mc_parse(): every case is described as the sequence of results a server
 * sees when it gets the whole input in one read, then checked to be the same
 * when the input arrives k bytes per read, for every k. The simulated server
 * honours `need`, discards `swallow` bytes after -E2BIG and stops at -EPROTO.
 * The bytes received always end where their heap block ends, so ASan
 * catches any look past them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/buf.h"
#include "dataplane/proto/base64.h"
#include "dataplane/proto/mc_parse.h"
#include "mc_parse_ref.h"
#include "platform/status.h"
#include "split_feed.h"

/* Inputs here stay small enough to be fed at every read size. */
#define FULL_SWEEP_MAX SIZE_MAX

static const char *const cmd_names[] = {
	"get", "gets", "gat", "gats", "set", "add", "replace", "append", "prepend",
	"cas", "delete", "incr", "decr", "touch", "flush_all", "version",
	"verbosity", "stats", "quit", "mg", "ms", "md", "ma", "mn", "me",
};

/* A meta request: its flag tokens in order, then the values read from
 * them where they differ from a fresh request's. */
static void describe_meta(struct buf *b, const struct mc_req *r)
{
	const struct mc_meta *m = &r->meta;

	if (m->ntok > 0)
		buf_append(b, " fl=", 4);
	for (uint32_t i = 0; i < m->ntok; i++)
		sf_arg(b, m->tok[i].p, m->tok[i].len);
	if (m->mode)
		buf_appendf(b, " M=%c", m->mode);
	if (m->ttl)
		buf_appendf(b, " T=%d", m->ttl);
	if (m->vivify_ttl)
		buf_appendf(b, " N=%d", m->vivify_ttl);
	if (m->recache_ttl)
		buf_appendf(b, " R=%d", m->recache_ttl);
	if (m->client_flags)
		buf_appendf(b, " F=%u", m->client_flags);
	if (m->cas)
		buf_appendf(b, " C=%llu", (unsigned long long)m->cas);
	if (m->delta != 1)
		buf_appendf(b, " D=%llu", (unsigned long long)m->delta);
	if (m->initial)
		buf_appendf(b, " J=%llu", (unsigned long long)m->initial);
	if (m->opaque_too_long)
		buf_append(b, " olong", 6);
}

/* Only what differs from a fresh request is shown. */
static void describe_ok(struct buf *b, const struct mc_req *r)
{
	uint32_t i;

	buf_appendf(b, " %s", cmd_names[r->cmd]);
	for (i = 0; i < r->nkeys; i++)
		sf_arg(b, r->keys[i].p, r->keys[i].len);
	if (r->flags)
		buf_appendf(b, " fl=%u", r->flags);
	if (r->exptime)
		buf_appendf(b, " ex=%lld", (long long)r->exptime);
	if (r->cas)
		buf_appendf(b, " cas=%llu", (unsigned long long)r->cas);
	if (r->delta)
		buf_appendf(b, " dl=%llu", (unsigned long long)r->delta);
	if (r->delay)
		buf_appendf(b, " dy=%lld", (long long)r->delay);
	if (r->data.p != NULL) {
		buf_append(b, " data=", 6);
		sf_arg(b, r->data.p, r->data.len);
	}
	if (r->stats_arg.p != NULL) {
		buf_append(b, " st=", 4);
		sf_arg(b, r->stats_arg.p, r->stats_arg.len);
	}
	if (r->cmd >= MC_MG)
		describe_meta(b, r);
}

static void describe(struct buf *b, int rc, size_t used, const struct mc_req *r,
		     const char *err)
{
	switch (rc) {
	case SS_OK:
		buf_appendf(b, "OK %zu", used);
		describe_ok(b, r);
		break;
	case -ENOENT:
		buf_appendf(b, "ENOENT %zu", used);
		break;
	case -E2BIG:
		buf_appendf(b, "E2BIG %zu sw=%zu %s", used, r->swallow, err);
		sf_arg(b, r->keys[0].p, r->keys[0].len);
		break;
	default:
		buf_appendf(b, "%s %zu %s", rc == -EINVAL ? "EINVAL" : "EPROTO", used, err);
		break;
	}
	buf_appendf(b, "%s\n", r->noreply ? " noreply" : "");
}

/* -EPROTO and -ENOMEM close the connection; after -E2BIG, and after
 * -EINVAL for a meta set with bad flags, the server swallows the data
 * block as it comes, as memcached does. */
static void step(void *req, const char *p, size_t have, struct sf_step *st, struct buf *out)
{
	struct mc_req *r = req;
	const char *err = NULL;

	st->rc = mc_parse(r, p, have, &st->used, &err);
	st->need = r->need;
	if (st->rc == SS_NEED_MORE)
		return;
	describe(out, st->rc, st->used, r, err);
	st->close = st->rc == -EPROTO || st->rc == -ENOMEM;
	st->swallow = st->rc == -E2BIG || st->rc == -EINVAL ? r->swallow : 0;
}

/* A fresh request for every feeding: the parser keeps state across calls. */
static char *run(const char *in, size_t len, size_t k, const void *item_max)
{
	struct mc_req r;
	char *out;

	mc_req_init(&r);
	/* Cases with a limit of their own bound the value alone; the default
	 * limit is memcached's, item header included. */
	if (*(const size_t *)item_max != MC_ITEM_MAX_DEFAULT) {
		r.item_max = *(const size_t *)item_max;
		r.item_overhead = 0;
	}
	out = sf_feed(in, len, k, step, &r, 1);
	mc_req_fini(&r);
	return out;
}

static void check_item_max(const char *in, size_t len, size_t item_max, const char *want)
{
	const struct sf_target t = { run, &item_max, FULL_SWEEP_MAX };

	sf_check(&t, in, len, want);
}

static const size_t item_max_default = MC_ITEM_MAX_DEFAULT;
static const struct sf_target mc = { run, &item_max_default, FULL_SWEEP_MAX };
static const struct sf_target mc_sampled = { run, &item_max_default, 4096 };

#define check_n(in, len, want) sf_check(&mc, in, len, want)
#define check(lit, want) check_n(lit, sizeof(lit) - 1, want)
#define check_max(lit, max, want) check_item_max(lit, sizeof(lit) - 1, max, want)
#define check_repeat(head, fill, n, tail, want) sf_check_repeat(&mc, head, fill, n, tail, want)

#define FORMAT "CLIENT_ERROR bad command line format"
#define END0 "END rest=0 need=0 sw=0\n"

/*
 * A line with a key of MC_KEY_MAX + 1 bytes is refused with want_long; one
 * with MC_KEY_MAX bytes is read, shown as want_head, the key, want_tail.
 */
static void check_key_max(const char *head, const char *tail, const char *want_long,
			  const char *want_head, const char *want_tail)
{
	struct buf want;
	char *k = sf_repeat("", 'k', MC_KEY_MAX, "");

	check_repeat(head, 'k', MC_KEY_MAX + 1, tail, want_long);
	buf_init(&want);
	buf_appendf(&want, "%s", want_head);
	sf_arg(&want, k, MC_KEY_MAX);
	buf_appendf(&want, "%s", want_tail);
	check_repeat(head, 'k', MC_KEY_MAX, tail, sf_str(&want));
	buf_fini(&want);
	free(k);
}

static void test_retrieval(void **state)
{
	(void)state;
	check("get k\r\n", "OK 7 get[k]\n" END0);
	check("gets a b c\n", "OK 11 gets[a][b][c]\n" END0);
	check("gat 10 k\r\n", "OK 10 gat[k] ex=10\n" END0);
	check("gats -1 a b\r\n", "OK 13 gats[a][b] ex=-1\n" END0);
	/* gat with no key is fine for memcached: it answers END. */
	check("gat 10\r\n", "OK 8 gat ex=10\n" END0);
	check("bget k\r\n", "OK 8 get[k]\n" END0);
	/* Blanks are spaces only; tabs and the like belong to keys. */
	check("get  a\tb   c \r\n", "OK 15 get[a\\x09b][c]\n" END0);
	/* The line ends at a NUL, as memcached's strlen() sees it. */
	check("get a\0b c\r\nget d\n", "OK 11 get[a]\nOK 6 get[d]\n" END0);
	check("get k", "END rest=5 need=0 sw=0\n");
}

static void test_retrieval_errors(void **state)
{
	(void)state;
	check("get\r\n", "ENOENT 5\n" END0);
	check("gets \r\n", "ENOENT 7\n" END0);
	check("gat\r\n", "ENOENT 5\n" END0);
	check("gat x k\r\n", "EINVAL 9 CLIENT_ERROR invalid exptime argument\n" END0);
	check("gats 1x k\r\n", "EINVAL 11 CLIENT_ERROR invalid exptime argument\n" END0);
	check_key_max("get a ", " b\r\n", "EINVAL 261 " FORMAT "\n" END0,
		      "OK 260 get[a]", "[b]\n" END0);
}

static void test_many_keys(void **state)
{
	struct buf in, want;
	int i;

	(void)state;
	buf_init(&in);
	buf_init(&want);
	/* Past memcached's 24 tokens and past 2048 bytes: keys never run out. */
	buf_appendf(&in, "gets");
	for (i = 0; i < 300; i++)
		buf_appendf(&in, " key%03d", i);
	buf_appendf(&in, "\r\n");
	buf_appendf(&want, "OK %zu gets", buf_len(&in));
	for (i = 0; i < 300; i++)
		buf_appendf(&want, "[key%03d]", i);
	buf_appendf(&want, "\n" END0);
	check_n(sf_str(&in), buf_len(&in), sf_str(&want));
	buf_fini(&in);
	buf_fini(&want);
}

static void test_storage(void **state)
{
	(void)state;
	check("set k 5 0 3\r\nabc\r\n", "OK 18 set[k] fl=5 data=[abc]\n" END0);
	check("add k 0 100 1 noreply\r\nx\r\n", "OK 26 add[k] ex=100 data=[x] noreply\n" END0);
	check("replace k 1 2 0\r\n\r\n", "OK 19 replace[k] fl=1 ex=2 data=[]\n" END0);
	check("append k 0 0 2\nhi\r\n", "OK 19 append[k] data=[hi]\n" END0);
	check("prepend k 0 0 2\r\nhi\r\n", "OK 21 prepend[k] data=[hi]\n" END0);
	check("cas k 0 0 1 99\r\nx\r\n", "OK 19 cas[k] cas=99 data=[x]\n" END0);
	check("cas k 0 0 1 18446744073709551615 noreply\r\nx\r\n",
	      "OK 45 cas[k] cas=18446744073709551615 data=[x] noreply\n" END0);
	/* Any 6th token is accepted; only "noreply" means something. */
	check("set k 0 0 1 foo\r\nx\r\n", "OK 20 set[k] data=[x]\n" END0);
	/* Binary data, "\r\n" and NUL included. */
	check("set k 0 0 7\r\na\r\n\0b\r\n\r\n", "OK 22 set[k] data=[a\\x0d\\x0a\\x00b\\x0d\\x0a]\n" END0);
	/* Waiting for the block: need is the end of its "\r\n". */
	check("set k 0 0 10\r\nabc", "END rest=17 need=26 sw=0\n");
	check("set k 0 0 1\r\nx\r", "END rest=15 need=16 sw=0\n");
}

static void test_storage_numbers(void **state)
{
	(void)state;
	/* memcached's safe_strto*(): flags wrap at 32 bits, exptime and bytes
	 * at int32, a trailing isspace() byte and leading blanks are fine. */
	check("set k 4294967296 0 1\r\nx\r\n", "OK 25 set[k] data=[x]\n" END0);
	check("set k 4294967295 -1 1\r\nx\r\n", "OK 26 set[k] fl=4294967295 ex=-1 data=[x]\n" END0);
	check("set k 0 2147483648 1\r\nx\r\n", "OK 25 set[k] ex=-2147483648 data=[x]\n" END0);
	check("set k +1 \t2 1\r\r\nx\r\n", "OK 19 set[k] fl=1 ex=2 data=[x]\n" END0);
	check("set k -0 0 1\v\r\nx\r\n", "OK 18 set[k] data=[x]\n" END0);
	check("set k 0 0 4294967297\r\nx\r\n", "OK 25 set[k] data=[x]\n" END0);
	check("set k 1\tjunk 0 1\r\nx\r\n", "OK 21 set[k] fl=1 data=[x]\n" END0);
}

static void test_storage_errors(void **state)
{
	(void)state;
	check("set k 0 0\r\n", "ENOENT 11\n" END0);
	check("set k 0 0 1 noreply x\r\nx\r\n", "ENOENT 23\nENOENT 3\n" END0);
	check("cas k 0 0 1\r\nx\r\n", "ENOENT 13\nENOENT 3\n" END0);
	check("set k x 0 1\r\n", "EINVAL 13 " FORMAT "\n" END0);
	check("set k -1 0 1\r\n", "EINVAL 14 " FORMAT "\n" END0);
	check("set k 0 x 1\r\n", "EINVAL 13 " FORMAT "\n" END0);
	check("set k 0 0 x\r\n", "EINVAL 13 " FORMAT "\n" END0);
	check("set k 0 0 -1\r\n", "EINVAL 14 " FORMAT "\n" END0);
	check("set k 0 0 2147483646\r\n", "EINVAL 22 " FORMAT "\n" END0);
	check("set k 0 0 1x\r\n", "EINVAL 14 " FORMAT "\n" END0);
	check("set k 0 0 99999999999999999999\r\n", "EINVAL 32 " FORMAT "\n" END0);
	check("cas k 0 0 1 -1\r\n", "EINVAL 16 " FORMAT "\n" END0);
	check("cas k 0 0 1 x noreply\r\n", "EINVAL 23 " FORMAT " noreply\n" END0);
	/* memcached checks the last token for noreply before the numbers. */
	check("set k 0 0 noreply\r\n", "EINVAL 19 " FORMAT " noreply\n" END0);
	/* A bad line skips the line only: its data is read as a command. */
	check("set k 0 0 notanumber\r\nabc\r\nget k\r\n",
	      "EINVAL 22 " FORMAT "\nENOENT 5\nOK 7 get[k]\n" END0);
	check_key_max("set ", " 0 0 1\r\nx\r\n", "EINVAL 263 " FORMAT "\nENOENT 3\n" END0,
		      "OK 265 set", " data=[x]\n" END0);
}

static void test_bad_data_chunk(void **state)
{
	(void)state;
	/* memcached reads <bytes> + 2 ("ab\r"), finds no "\r\n" at its end,
	 * and reads the "\n" left over as an empty command. */
	check("set ~ 0 0 1\r\nab\r\nversion\r\n",
	      "EINVAL 16 CLIENT_ERROR bad data chunk\nENOENT 1\nOK 9 version\n" END0);
	check("set k 0 0 1 noreply\r\nxyz\r\n",
	      "EINVAL 24 CLIENT_ERROR bad data chunk noreply\nENOENT 2\n" END0);
	check("set k 0 0 3\nabc\n\n", "EINVAL 17 CLIENT_ERROR bad data chunk\n" END0);
}

static void test_too_large(void **state)
{
	(void)state;
	check_max("set k 0 0 11\r\nhello world\r\nget k\r\n", 10,
		  "E2BIG 14 sw=13 SERVER_ERROR object too large for cache[k]\nOK 7 get[k]\n" END0);
	check_max("set k 0 0 10 noreply\r\nhelloworld\r\n", 10,
		  "OK 34 set[k] data=[helloworld] noreply\n" END0);
	check_max("cas k 0 0 11 5 noreply\r\nhello world\r\nversion\r\n", 10,
		  "E2BIG 24 sw=13 SERVER_ERROR object too large for cache[k] noreply\n"
		  "OK 9 version\n" END0);
	/* The block is not waited for: swallowed as it comes. */
	check("set k 0 0 2000000\r\nabc",
	      "E2BIG 19 sw=2000002 SERVER_ERROR object too large for cache[k]\n"
	      "END rest=0 need=0 sw=1999999\n");
}

static void test_delete(void **state)
{
	(void)state;
	check("delete k\r\n", "OK 10 delete[k]\n" END0);
	check("delete k 0\r\n", "OK 12 delete[k]\n" END0);
	check("delete k noreply\r\n", "OK 18 delete[k] noreply\n" END0);
	check("delete k 0 noreply\r\n", "OK 20 delete[k] noreply\n" END0);
	check("delete noreply\r\n", "OK 16 delete[noreply]\n" END0);
	check("delete k 1\r\n",
	      "EINVAL 12 CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\n" END0);
	check("delete k 0 x\r\n",
	      "EINVAL 14 CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\n" END0);
	check("delete k 1 noreply\r\n",
	      "EINVAL 20 CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]"
	      " noreply\n" END0);
	check("delete\r\n", "ENOENT 8\n" END0);
	check("delete a 0 noreply x\r\n", "ENOENT 22\n" END0);
}

static void test_delete_long_key(void **state)
{
	(void)state;
	check_repeat("delete ", 'k', MC_KEY_MAX + 1, "\r\n", "EINVAL 260 " FORMAT "\n" END0);
	check_repeat("incr ", 'k', MC_KEY_MAX + 1, " 1\r\n", "EINVAL 260 " FORMAT "\n" END0);
	check_repeat("touch ", 'k', MC_KEY_MAX + 1, " 1 noreply\r\n",
		     "EINVAL 269 " FORMAT " noreply\n" END0);
}

static void test_arith(void **state)
{
	(void)state;
	check("incr k 5\r\n", "OK 10 incr[k] dl=5\n" END0);
	check("decr k 18446744073709551615 noreply\r\n",
	      "OK 37 decr[k] dl=18446744073709551615 noreply\n" END0);
	check("incr k 0\n", "OK 9 incr[k]\n" END0);
	check("incr k abc\r\n", "EINVAL 12 CLIENT_ERROR invalid numeric delta argument\n" END0);
	check("incr k -1\r\n", "EINVAL 11 CLIENT_ERROR invalid numeric delta argument\n" END0);
	check("decr k 18446744073709551616\r\n",
	      "EINVAL 29 CLIENT_ERROR invalid numeric delta argument\n" END0);
	check("incr k x noreply\r\n",
	      "EINVAL 18 CLIENT_ERROR invalid numeric delta argument noreply\n" END0);
	check("incr k\r\n", "ENOENT 8\n" END0);
	check("decr k 1 noreply x\r\n", "ENOENT 20\n" END0);
}

static void test_touch(void **state)
{
	(void)state;
	check("touch k 10\r\n", "OK 12 touch[k] ex=10\n" END0);
	check("touch k -5 noreply\r\n", "OK 20 touch[k] ex=-5 noreply\n" END0);
	check("touch k x\r\n", "EINVAL 11 CLIENT_ERROR invalid exptime argument\n" END0);
	check("touch k\r\n", "ENOENT 9\n" END0);
}

static void test_flush_all(void **state)
{
	(void)state;
	check("flush_all\r\n", "OK 11 flush_all\n" END0);
	check("flush_all 10\r\n", "OK 14 flush_all dy=10\n" END0);
	check("flush_all noreply\r\n", "OK 19 flush_all noreply\n" END0);
	check("flush_all 10 noreply\r\n", "OK 22 flush_all dy=10 noreply\n" END0);
	/* Two tokens and no noreply: memcached reads the first, ignores the other. */
	check("flush_all 10 20\r\n", "OK 17 flush_all dy=10\n" END0);
	check("flush_all x\r\n", "EINVAL 13 CLIENT_ERROR invalid exptime argument\n" END0);
	check("flush_all noreply 10\r\n", "EINVAL 22 CLIENT_ERROR invalid exptime argument\n" END0);
	check("flush_all 1 2 3\r\n", "ENOENT 17\n" END0);
}

static void test_misc_commands(void **state)
{
	(void)state;
	check("version\r\n", "OK 9 version\n" END0);
	check("version extra words\r\n", "OK 21 version\n" END0);
	check("verbosity 1\r\n", "OK 13 verbosity dy=1\n" END0);
	check("verbosity 2 noreply\r\n", "OK 21 verbosity dy=2 noreply\n" END0);
	check("verbosity x\r\n", "EINVAL 13 " FORMAT "\n" END0);
	check("verbosity noreply\r\n", "EINVAL 19 " FORMAT " noreply\n" END0);
	check("verbosity\r\n", "ENOENT 11\n" END0);
	check("verbosity 1 2 3\r\n", "ENOENT 17\n" END0);
	check("stats\r\n", "OK 7 stats\n" END0);
	check("stats items\r\n", "OK 13 stats[items] st=[items]\n" END0);
	check("stats detail dump\r\n", "OK 19 stats[detail][dump] st=[detail]\n" END0);
	check("quit\r\n", "OK 6 quit\n" END0);
}

static void test_unknown(void **state)
{
	(void)state;
	check("bogus\r\n", "ENOENT 7\n" END0);
	check("GET k\r\n", "ENOENT 7\n" END0);
	check("mx k v\r\n", "ENOENT 8\n" END0);
	check("mgg k v\r\n", "ENOENT 9\n" END0);
	check("g\r\n", "ENOENT 3\n" END0);
	check("\r\n", "ENOENT 2\n" END0);
	check("\n", "ENOENT 1\n" END0);
	check("   \r\n", "ENOENT 5\n" END0);
	check("\0get k\r\n", "ENOENT 8\n" END0);
	/* More tokens than memcached reads: its token count saturates. */
	check("set k 0 0 1 a b c d e f g h i j k l m n o p q r s t u v w\r\n", "ENOENT 59\n" END0);
	check("stats a b c d e f g h i j k l m n o p q r s t u v w x y z\r\n",
	      "OK 59 stats[a][b][c][d][e][f][g][h][i][j][k][l][m][n][o][p][q][r][s][t][u][v]"
	      " st=[a]\n" END0);
}

static void test_line_too_long(void **state)
{
	char *s;

	(void)state;
	/* 2048 bytes without "\n": wait; one more: refused. */
	check_repeat("set ", 'k', MC_LINE_MAX - 4, "", "END rest=2048 need=0 sw=0\n");
	check_repeat("set ", 'k', MC_LINE_MAX - 3, "",
		     "EPROTO 0 CLIENT_ERROR line too long\nEND rest=2049 need=0 sw=0 closed\n");
	/* Its "\n" comes too late, so it is refused whatever the read sizes. */
	check_repeat("set ", 'k', MC_LINE_MAX - 3, "\n",
		     "EPROTO 0 CLIENT_ERROR line too long\nEND rest=2050 need=0 sw=0 closed\n");
	/* "\n" as the 2049th byte is in time. */
	s = sf_repeat("set ", 'k', MC_LINE_MAX - 4, "\n");
	check_n(s, strlen(s), "ENOENT 2049\n" END0);
	/* "set kk k k k1 kkk...": six tokens, a bad flags one. */
	s[6] = ' ';
	s[8] = ' ';
	s[10] = ' ';
	s[12] = '1';
	s[13] = ' ';
	check_n(s, strlen(s), "EINVAL 2049 " FORMAT "\n" END0);
	free(s);
	/* gat is not exempt, get and gets are. */
	check_repeat("gat 0 ", 'k', MC_LINE_MAX, "",
		     "EPROTO 0 CLIENT_ERROR line too long\nEND rest=2054 need=0 sw=0 closed\n");
	check_repeat("get ", 'k', MC_LINE_MAX, "", "END rest=2052 need=0 sw=0\n");
}

static void test_long_get_spaces(void **state)
{
	char *line;

	(void)state;
	/* Up to 100 leading spaces before "get ", as memcached allows. */
	line = sf_repeat("", ' ', 100, "gets ");
	check_repeat(line, 'k', 2000, "", "END rest=2105 need=0 sw=0\n");
	free(line);
	line = sf_repeat("", ' ', 101, "get ");
	check_repeat(line, 'k', 2000, "",
		     "EPROTO 0 CLIENT_ERROR line too long\nEND rest=2105 need=0 sw=0 closed\n");
	free(line);
	/* The long get, once its "\n" is there: 3 + 6 + 3000 + 3 bytes. */
	line = sf_repeat("", ' ', 3, "get a ");
	check_repeat(line, ' ', 3000, "b\r\n", "OK 3012 get[a][b]\n" END0);
	free(line);
}

static void test_pipelined(void **state)
{
	(void)state;
	check("set a 1 0 1\r\nA\r\nget a b\r\ndelete a noreply\r\nincr n 2\r\n"
	      "bogus\r\nset b 0 0 3\nB\r\n\r\ntouch b 5\r\nquit\r\nget",
	      "OK 16 set[a] fl=1 data=[A]\nOK 9 get[a][b]\nOK 18 delete[a] noreply\n"
	      "OK 10 incr[n] dl=2\nENOENT 7\nOK 17 set[b] data=[B\\x0d\\x0a]\n"
	      "OK 11 touch[b] ex=5\nOK 6 quit\nEND rest=3 need=0 sw=0\n");
}

static void test_reuse_and_fini(void **state)
{
	struct mc_req r;
	const char *err = NULL;
	size_t used;

	(void)state;
	mc_req_init(&r);
	assert_int_equal(r.item_max, MC_ITEM_MAX_DEFAULT);
	assert_int_equal(mc_parse(&r, "set k 1 2 1 noreply\r\nx\r\n", 24, &used, &err), SS_OK);
	assert_true(r.noreply);
	/* Nothing of the previous request leaks into the next one. */
	assert_int_equal(mc_parse(&r, "get a\r\n", 7, &used, &err), SS_OK);
	assert_false(r.noreply);
	assert_int_equal(r.flags, 0);
	assert_int_equal(r.exptime, 0);
	assert_null(r.data.p);
	assert_int_equal(mc_parse(&r, "", 0, &used, &err), SS_NEED_MORE);
	assert_int_equal(r.need, 0);
	mc_req_fini(&r);
	mc_req_fini(&r);
}

/* ---- meta commands ---- */

static void test_meta_get(void **state)
{
	(void)state;
	check("mg k\r\n", "OK 6 mg[k]\n" END0);
	check("mg k v s t f c h l k O123 q u\r\n",
	      "OK 31 mg[k] fl=[v][s][t][f][c][h][l][k][O123][q][u]\n" END0);
	check("mg k T30 N-1 R5 t\n", "OK 18 mg[k] fl=[T30][N-1][R5][t] T=30 N=-1 R=5\n" END0);
	/* Flags of other commands are read (memcached preparses them all). */
	check("mg k F7 C9 D3 J4 MI I P L\r\n",
	      "OK 27 mg[k] fl=[F7][C9][D3][J4][MI][I][P][L] M=I F=7 C=9 D=3 J=4\n" END0);
	/* Base64 keys: decoded; memcached's decoder skips bytes outside the
	 * alphabet and stops after the first padded block. */
	check("mg YWJj b k\r\n", "OK 13 mg[abc] fl=[b][k]\n" END0);
	check("mg YW=c b\r\n", "OK 11 mg[a`] fl=[b]\n" END0);
	check("mg Y!WJj b\r\n", "OK 12 mg[abc] fl=[b]\n" END0);
	check("mg YQ==YWJj b\r\n", "OK 15 mg[a] fl=[b]\n" END0);
	/* An opaque over 32 bytes: mg replies the error after running. */
	check("mg k O12345678901234567890123456789012\r\n",
	      "OK 40 mg[k] fl=[O12345678901234567890123456789012] olong\n" END0);
	check("mg k O1234567890123456789012345678901\r\n",
	      "OK 39 mg[k] fl=[O1234567890123456789012345678901]\n" END0);
	check("mg k v\r\nmn\r\nmg j\r\n", "OK 8 mg[k] fl=[v]\nOK 4 mn\nOK 6 mg[j]\n" END0);
}

static void test_meta_get_errors(void **state)
{
	(void)state;
	check("mg\r\n", "ENOENT 4\n" END0);
	check("mg k v v\r\n", "EINVAL 10 CLIENT_ERROR duplicate flag\n" END0);
	check("mg k \xff\r\n", "EINVAL 8 CLIENT_ERROR duplicate flag\n" END0);
	check("mg k Z\r\n", "EINVAL 8 CLIENT_ERROR invalid flag\n" END0);
	check("mg k 1\r\n", "EINVAL 8 CLIENT_ERROR invalid flag\n" END0);
	check("mg k T\r\n", "EINVAL 8 CLIENT_ERROR bad token in command line format\n" END0);
	check("mg k Tx\r\n", "EINVAL 9 CLIENT_ERROR bad token in command line format\n" END0);
	check("mg k N1x\r\n", "EINVAL 10 CLIENT_ERROR bad token in command line format\n" END0);
	check("mg k R\r\n", "EINVAL 8 CLIENT_ERROR bad token in command line format\n" END0);
	check("mg k Cx\r\n", "EINVAL 9 CLIENT_ERROR bad token in command line format\n" END0);
	check("mg k M\r\n", "EINVAL 8 CLIENT_ERROR incorrect length for M token\n" END0);
	check("mg k MII\r\n", "EINVAL 10 CLIENT_ERROR incorrect length for M token\n" END0);
	check("mg k Dx\r\n", "EINVAL 9 CLIENT_ERROR invalid numeric delta value\n" END0);
	check("mg k J-1\r\n", "EINVAL 10 CLIENT_ERROR invalid numeric initial value\n" END0);
	/* F leaves memcached's message as it was. */
	check("mg k Fx\r\n", "EINVAL 9 " FORMAT "\n" END0);
	check("mg k Tx Fx\r\n", "EINVAL 12 CLIENT_ERROR bad token in command line format\n" END0);
	/* A later error's message wins; an unknown flag stops at once. */
	check("mg k Tx Dx\r\n", "EINVAL 12 CLIENT_ERROR invalid numeric delta value\n" END0);
	check("mg k Z Tx\r\n", "EINVAL 11 CLIENT_ERROR invalid flag\n" END0);
	check("mg k b\r\n", "EINVAL 8 CLIENT_ERROR error decoding key\n" END0);
	check("mg A=== b\r\n", "EINVAL 11 CLIENT_ERROR error decoding key\n" END0);
	check("mg ==== b\r\n", "EINVAL 11 CLIENT_ERROR error decoding key\n" END0);
	/* 20 tokens (the terminal one included) are too many. */
	check("mg k a b c d e f g h i j l m n o p r s x\r\n",
	      "EINVAL 42 CLIENT_ERROR options flags are too long\n" END0);
	check("md k a b c d e f g h i j l m n o p r s x\r\n",
	      "EINVAL 42 CLIENT_ERROR options flags too long\n" END0);
	check("mg k v s t f c h l O q u T1 N1 R1 P L I\r\n",
	      "OK 41 mg[k] fl=[v][s][t][f][c][h][l][O][q][u][T1][N1][R1][P][L][I] T=1 N=1 R=1\n"
	      END0);
}

static void test_meta_key_max(void **state)
{
	(void)state;
	check_key_max("mg ", " v\r\n", "EINVAL 258 " FORMAT "\n" END0, "OK 257 mg", " fl=[v]\n" END0);
	check_key_max("md ", "\r\n", "EINVAL 256 " FORMAT "\n" END0, "OK 255 md", "\n" END0);
	check_key_max("ma ", "\r\n", "EINVAL 256 " FORMAT "\n" END0, "OK 255 ma", "\n" END0);
	check_key_max("me ", "\r\n", "EINVAL 256 " FORMAT "\n" END0, "OK 255 me", "\n" END0);
}

static void test_meta_delete_arith(void **state)
{
	(void)state;
	check("md k q I T30 C5 O1 k\r\n", "OK 22 md[k] fl=[q][I][T30][C5][O1][k] T=30 C=5\n" END0);
	/* md and ma hide the preparse's message. */
	check("md k Z\r\n", "EINVAL 8 CLIENT_ERROR invalid or duplicate flag\n" END0);
	check("ma k Dx\r\n", "EINVAL 9 CLIENT_ERROR invalid or duplicate flag\n" END0);
	check("md k O12345678901234567890123456789012\r\n",
	      "EINVAL 40 CLIENT_ERROR opaque token too long\n" END0);
	check("ma k\r\n", "OK 6 ma[k]\n" END0);
	check("ma k MD D10 N0 J7 v t c\r\n",
	      "OK 25 ma[k] fl=[MD][D10][N0][J7][v][t][c] M=D D=10 J=7\n" END0);
	check("ma k M+\r\nma k M-\r\nma k MI\r\n",
	      "OK 9 ma[k] fl=[M+] M=+\nOK 9 ma[k] fl=[M-] M=-\nOK 9 ma[k] fl=[MI] M=I\n" END0);
	check("ma k MX\r\n", "EINVAL 9 CLIENT_ERROR invalid mode for ma M token\n" END0);
	check("ma k Mi\r\n", "EINVAL 9 CLIENT_ERROR invalid mode for ma M token\n" END0);
	check("ma k D18446744073709551616\r\n", "EINVAL 28 CLIENT_ERROR invalid or duplicate flag\n"
	      END0);
	check("ma k D18446744073709551615\r\n", "OK 28 ma[k] fl=[D18446744073709551615]"
	      " D=18446744073709551615\n" END0);
	check("ma k O12345678901234567890123456789012\r\n",
	      "OK 40 ma[k] fl=[O12345678901234567890123456789012] olong\n" END0);
	check("md\r\nma\r\n", "ENOENT 4\nENOENT 4\n" END0);
}

static void test_meta_set(void **state)
{
	(void)state;
	check("ms k 2\r\nhi\r\n", "OK 12 ms[k] data=[hi]\n" END0);
	check("ms k 2 T10 F5 c k O9 q MA C77 I\r\nhi\r\n",
	      "OK 37 ms[k] data=[hi] fl=[T10][F5][c][k][O9][q][MA][C77][I] M=A T=10 F=5 C=77\n"
	      END0);
	check("ms k 0\r\n\r\n", "OK 10 ms[k] data=[]\n" END0);
	check("ms YWJj 1 b\r\nx\r\n", "OK 16 ms[abc] data=[x] fl=[b]\n" END0);
	check("ms\r\n", "ENOENT 4\n" END0);
	/* Before the length is known nothing is swallowed... */
	check("ms k\r\n", "EINVAL 6 " FORMAT "\n" END0);
	check("ms k x\r\n", "EINVAL 8 " FORMAT "\n" END0);
	check("ms k -1\r\nhi\r\n", "EINVAL 9 " FORMAT "\nENOENT 4\n" END0);
	check("ms k 2147483646\r\n", "EINVAL 17 " FORMAT "\n" END0);
	/* ...after it, the data block is. */
	check("ms k 2 Z\r\nhi\r\nmn\r\n",
	      "EINVAL 10 CLIENT_ERROR invalid flag\nOK 4 mn\nEND rest=0 need=0 sw=0\n");
	check("ms k 2 MX\r\nhi\r\nmn\r\n",
	      "EINVAL 11 CLIENT_ERROR invalid mode for ms M token\nOK 4 mn\n"
	      "END rest=0 need=0 sw=0\n");
	check("ms k 2 MI\r\nhi\r\n",
	      "EINVAL 11 CLIENT_ERROR invalid mode for ms M token\nEND rest=0 need=0 sw=0\n");
	check("ms k 2 MX O12345678901234567890123456789012\r\nhi\r\n",
	      "EINVAL 45 CLIENT_ERROR invalid mode for ms M token\nEND rest=0 need=0 sw=0\n");
	check("ms k 2 O12345678901234567890123456789012\r\nhi\r\n",
	      "EINVAL 42 CLIENT_ERROR opaque token too long\nEND rest=0 need=0 sw=0\n");
	check("ms k 1 Tx\r\nh\r\n",
	      "EINVAL 11 CLIENT_ERROR bad token in command line format\nEND rest=0 need=0 sw=0\n");
	check("ms k!! 1 b\r\nh\r\n",
	      "EINVAL 12 CLIENT_ERROR error decoding key\nEND rest=0 need=0 sw=0\n");
	check("ms k 2 q\r\nhiX\r\n", "EINVAL 14 CLIENT_ERROR bad data chunk\nENOENT 1\n" END0);
	check("ms k 2\r\nhi", "END rest=10 need=12 sw=0\n");
	check_max("ms k 6 T1\r\n123456\r\nmn\r\n", 5,
		  "E2BIG 11 sw=8 SERVER_ERROR object too large for cache[k]\nOK 4 mn\n"
		  "END rest=0 need=0 sw=0\n");
	check_max("ms k 5\r\n12345\r\n", 5, "OK 15 ms[k] data=[12345]\n" END0);
	check("ms k 1 a b c d e f g h i j l m n o p r s\r\n",
	      "EINVAL 42 CLIENT_ERROR options flags too long\n" END0);
}

static void test_meta_noop_debug(void **state)
{
	(void)state;
	check("mn\r\n", "OK 4 mn\n" END0);
	check("mn extra tokens\r\n", "OK 17 mn\n" END0);
	check("me k\r\n", "OK 6 me[k]\n" END0);
	check("me YWJj b\r\n", "OK 11 me[abc]\n" END0);
	check("me k b\r\n", "EINVAL 8 " FORMAT "\n" END0);
	check("me\r\n", "EINVAL 4 " FORMAT "\n" END0);
	/* me reads no other flags. */
	check("me k Z Z\r\n", "OK 10 me[k]\n" END0);
}

/* Hostile meta input: binary junk, a 1 MB line, huge lengths. */
static void test_meta_hostile(void **state)
{
	(void)state;
	check("mg \x01\x02\x03 \x04\r\n", "EINVAL 10 CLIENT_ERROR invalid flag\n" END0);
	check("ms k 99999999999999999999\r\n", "EINVAL 27 " FORMAT "\n" END0);
	check("ms k 4294967298\r\nhi\r\n", "OK 21 ms[k] data=[hi]\n" END0);
	/* A megabyte: fed at a sample of read sizes (the small ones and those
	 * around the limits), as every size would take minutes under ASan. */
	sf_check_repeat(&mc_sampled, "mg k O", 'x', 1024 * 1024, "\r\n",
			"EPROTO 0 CLIENT_ERROR line too long\nEND rest=1048584 need=0 sw=0 closed\n");
}

/* memcached's item_size_ok() at its default 1 MiB: 59 bytes of item
 * overhead, the key, 4 bytes for non-zero flags, the value. A value that
 * fits waits for its data; one byte more is refused at once. */
static void test_item_size_boundary(void **state)
{
	(void)state;
	check("set k 0 0 1048516\r\n", "END rest=19 need=1048537 sw=0\n");
	check("set k 0 0 1048517\r\n",
	      "E2BIG 19 sw=1048519 SERVER_ERROR object too large for cache[k]\n"
	      "END rest=0 need=0 sw=1048519\n");
	check("set k 1 0 1048512\r\n", "END rest=19 need=1048533 sw=0\n");
	check("set k 1 0 1048513\r\n",
	      "E2BIG 19 sw=1048515 SERVER_ERROR object too large for cache[k]\n"
	      "END rest=0 need=0 sw=1048515\n");
	check("set kk 0 0 1048516\r\n",
	      "E2BIG 20 sw=1048518 SERVER_ERROR object too large for cache[kk]\n"
	      "END rest=0 need=0 sw=1048518\n");
	check("ms k 1048516\r\n", "END rest=14 need=1048532 sw=0\n");
	check("ms k 1048513 F1\r\n",
	      "E2BIG 17 sw=1048515 SERVER_ERROR object too large for cache[k]\n"
	      "END rest=0 need=0 sw=1048515\n");
	check("ms YWJj 1048514 b\r\n", "END rest=19 need=1048535 sw=0\n");
}

/* base64 as memcached's base64.c: RFC 4648 vectors, every length round
 * trip, and its lenient decoding (bytes outside the alphabet skipped). */
static void test_base64(void **state)
{
	static const char *const vec[][2] = {
		{ "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	char in[64], enc[BASE64_ENCODED_LEN(64)], dec[sizeof(enc)];

	(void)state;
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		size_t n = base64_encode(vec[i][0], strlen(vec[i][0]), enc);
		assert_int_equal(n, strlen(vec[i][1]));
		assert_memory_equal(enc, vec[i][1], n);
		assert_int_equal(base64_decode(enc, n, dec), strlen(vec[i][0]));
		assert_memory_equal(dec, vec[i][0], strlen(vec[i][0]));
	}
	for (size_t len = 1; len <= sizeof(in); len++) {
		for (size_t i = 0; i < len; i++)
			in[i] = (char)(i * 37 + len);
		size_t n = base64_encode(in, len, enc);
		assert_int_equal(n, BASE64_ENCODED_LEN(len));
		assert_int_equal(base64_decode(enc, n, dec), len);
		assert_memory_equal(dec, in, len);
	}
	assert_int_equal(base64_decode("Zm 9\nv", 6, dec), 3);
	assert_int_equal(base64_decode("Zm9", 3, dec), 0);
	assert_int_equal(base64_decode("", 0, dec), 0);
	assert_int_equal(base64_decode("Z===", 4, dec), 0);
	assert_int_equal(base64_decode("Zg==Zm9v", 8, dec), 1);   /* stops after padding */
}

/* ---- against the reference parser ---- */

/*
 * Every input below is fed at every read size to mc_parse() and to
 * mc_parse_ref() (the parser before its fast paths) side by side; each
 * call's whole outcome must be the same: status, consumed, need, swallow,
 * error string and every field of the request, stale ones included.
 */
struct diff {
	struct mc_req now, ref;
	const char *in;
	size_t len, k;
};

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Where an argument points: -1 for none, its offset in the bytes parsed,
 * or past 1 << 20 for the decoded key buffer. */
static long arg_at(const struct ss_arg *a, const char *p, const struct mc_req *r)
{
	if (a->p == NULL)
		return -1;
	if (a->p >= r->meta.key && a->p < r->meta.key + sizeof(r->meta.key))
		return (1L << 20) + (a->p - r->meta.key);
	return a->p - p;
}

static void dump_arg(struct buf *b, const char *name, const struct ss_arg *a, const char *p,
		     const struct mc_req *r)
{
	buf_appendf(b, " %s@%ld", name, arg_at(a, p, r));
	if (a->p != NULL)
		sf_arg(b, a->p, a->len);
}

/* Everything a caller could read after one call. */
static void dump_all(struct buf *b, int rc, size_t used, const char *err, const char *p,
		     const struct mc_req *r)
{
	const struct mc_meta *m = &r->meta;

	buf_appendf(b, "rc=%d used=%zu err=%s need=%zu sw=%zu nr=%d cmd=%d", rc, used,
		    err ? err : "-", r->need, r->swallow, r->noreply, r->cmd);
	for (uint32_t i = 0; i < r->nkeys; i++)
		dump_arg(b, "k", &r->keys[i], p, r);
	buf_appendf(b, " fl=%u ex=%lld cas=%llu dl=%llu dy=%lld", r->flags,
		    (long long)r->exptime, (unsigned long long)r->cas,
		    (unsigned long long)r->delta, (long long)r->delay);
	dump_arg(b, "data", &r->data, p, r);
	dump_arg(b, "st", &r->stats_arg, p, r);
	buf_appendf(b, " seen=%llx M=%d olong=%d T=%d N=%d R=%d F=%u C=%llu D=%llu J=%llu",
		    (unsigned long long)m->seen, m->mode, m->opaque_too_long, m->ttl,
		    m->vivify_ttl, m->recache_ttl, m->client_flags, (unsigned long long)m->cas,
		    (unsigned long long)m->delta, (unsigned long long)m->initial);
	for (uint32_t i = 0; i < m->ntok; i++)
		dump_arg(b, "t", &m->tok[i], p, r);
}

static bool same_arg(const struct ss_arg *a, const struct mc_req *ra, const struct ss_arg *b,
		     const struct mc_req *rb, const char *p)
{
	return arg_at(a, p, ra) == arg_at(b, p, rb) && a->len == b->len &&
	       (a->p == NULL || memcmp(a->p, b->p, a->len) == 0);
}

/* dump_all()'s fields compared as they are: formatting every call's would
 * be most of the test's time. */
static bool same_req(const struct mc_req *a, const struct mc_req *b, const char *p)
{
	const struct mc_meta *ma = &a->meta, *mb = &b->meta;

	if (a->need != b->need || a->swallow != b->swallow || a->noreply != b->noreply ||
	    a->cmd != b->cmd || a->nkeys != b->nkeys || a->flags != b->flags ||
	    a->exptime != b->exptime || a->cas != b->cas || a->delta != b->delta ||
	    a->delay != b->delay || !same_arg(&a->data, a, &b->data, b, p) ||
	    !same_arg(&a->stats_arg, a, &b->stats_arg, b, p))
		return false;
	for (uint32_t i = 0; i < a->nkeys; i++)
		if (!same_arg(&a->keys[i], a, &b->keys[i], b, p))
			return false;
	if (ma->seen != mb->seen || ma->mode != mb->mode ||
	    ma->opaque_too_long != mb->opaque_too_long || ma->ttl != mb->ttl ||
	    ma->vivify_ttl != mb->vivify_ttl || ma->recache_ttl != mb->recache_ttl ||
	    ma->client_flags != mb->client_flags || ma->cas != mb->cas ||
	    ma->delta != mb->delta || ma->initial != mb->initial || ma->ntok != mb->ntok)
		return false;
	for (uint32_t i = 0; i < ma->ntok; i++)
		if (!same_arg(&ma->tok[i], a, &mb->tok[i], b, p))
			return false;
	return true;
}

static void diff_step(void *req, const char *p, size_t have, struct sf_step *st, struct buf *out)
{
	struct diff *d = req;
	const char *err_now = NULL, *err_ref = NULL;
	size_t used_now = 99, used_ref = 99;
	int rc_now = mc_parse(&d->now, p, have, &used_now, &err_now);
	int rc_ref = mc_parse_ref(&d->ref, p, have, &used_ref, &err_ref);

	if (rc_now != rc_ref || used_now != used_ref ||
	    (err_now != err_ref && (err_now == NULL || err_ref == NULL ||
				    strcmp(err_now, err_ref) != 0)) ||
	    !same_req(&d->now, &d->ref, p)) {
		struct buf a, b, in;

		buf_init(&a);
		buf_init(&b);
		buf_init(&in);
		dump_all(&a, rc_now, used_now, err_now, p, &d->now);
		dump_all(&b, rc_ref, used_ref, err_ref, p, &d->ref);
		sf_arg(&in, d->in, d->len);
		fail_msg("input %s, %zu bytes per read, parsing %zu bytes:\n got: %s\nwant: %s",
			 sf_str(&in), d->k, have, sf_str(&a), sf_str(&b));
	}
	st->rc = rc_now;
	st->used = used_now;
	st->need = d->now.need;
	st->close = rc_now == -EPROTO || rc_now == -ENOMEM;
	st->swallow = rc_now == -E2BIG || rc_now == -EINVAL ? d->now.swallow : 0;
	(void)out;
}

/* in[0..len) at k bytes per read to both parsers, each with a fresh
 * request and the limit item_max (on the value alone unless memcached's). */
static void diff_feed(struct diff *d, const char *in, size_t len, size_t k, size_t item_max)
{
	d->in = in;
	d->len = len;
	d->k = k;
	mc_req_init(&d->now);
	mc_req_init(&d->ref);
	if (item_max != MC_ITEM_MAX_DEFAULT) {
		d->now.item_max = d->ref.item_max = item_max;
		d->now.item_overhead = d->ref.item_overhead = 0;
	}
	free(sf_feed(in, len, k, diff_step, d, 1));
	mc_req_fini(&d->now);
	mc_req_fini(&d->ref);
}

/* Both parsers at every read size, at memcached's item limit and at a
 * tiny one on the value alone (so that -E2BIG comes up). */
static void diff_check(struct diff *d, const char *in, size_t len)
{
	for (size_t k = 1; k <= len; k++) {
		diff_feed(d, in, len, k, MC_ITEM_MAX_DEFAULT);
		diff_feed(d, in, len, k, 4);
	}
}

static void diff_check_str(struct diff *d, const char *s)
{
	diff_check(d, s, strlen(s));
}

/* The command names, each also in capitals and capitalised, and near
 * misses of them. */
static const char *const diff_cmds[] = {
	"get", "gets", "gat", "gats", "bget", "set", "add", "replace", "append",
	"prepend", "cas", "incr", "decr", "delete", "touch", "flush_all", "version",
	"verbosity", "stats", "quit", "mg", "ms", "md", "ma", "mn", "me",
	"GET", "Get", "gEt", "GETS", "Gets", "GAT", "BGET", "SET", "Set", "ADD",
	"REPLACE", "APPEND", "PREPEND", "CAS", "INCR", "DECR", "DELETE", "Delete",
	"TOUCH", "FLUSH_ALL", "VERSION", "STATS", "QUIT", "MG", "Ms", "mD",
	"", "g", "ge", "getx", "gett", "bge", "bgets", "sets", "se", "cass", "ca",
	"incrr", "inc", "deletee", "delet", "touc", "flush_al", "flush_alll",
	"versio", "verbosit", "stat", "qui", "m", "mx", "mgg", "mz", "gat0", "xet",
	"gex", "sat", "aet", "get\t", "get\r", "\tget",
};

/* What follows the name: keys, numbers good and bad, noreply, meta flags,
 * odd blanks; "\1" stands for a NUL. */
static const char *const diff_tails[] = {
	"", " ", "  ", " k", " k ", "  k  ", " a b c", " k\tj", " \tk",
	" k 0", " k 1", " k 0 0", " k noreply", " k 0 noreply", " k 1 noreply",
	" k 0 x", " k 0 noreply x", " noreply", " 10 k", " -1 a b", " 1x k", " x",
	" 10", " k 5", " k -5", " k x", " k 5 noreply", " k x noreply",
	" k 18446744073709551615", " k 18446744073709551616", " k -1",
	" k -18446744073709551615", " k 99999999999999999999999", " k +7", " k \t7",
	" k 7\t", " k 7\tx", " k 7\v", " k 7\r", " k 0x10", " k 007", " k -", " k +",
	" k 5 0 1", " k 5 0 1 noreply", " k 0 0 1 99", " k 0 0 1 99 noreply",
	" k 0 0 1 x", " k 0 0 1 x y", " k 0 0 1 noreply x", " k 0 0 noreply",
	" k -1 0 1", " k 4294967295 -1 1", " k 4294967296 0 1", " k 0 2147483648 1",
	" k 0 -2147483649 1", " k 0 9223372036854775807 1", " k 0 9223372036854775808 1",
	" k 0 -9223372036854775808 1", " k 0 -9223372036854775809 1",
	" k 0 0 -1", " k 0 0 2147483645", " k 0 0 2147483646", " k 0 0 4294967297",
	" k +1 \t2 1", " k 1\tjunk 0 1", " k -0 0 1\v", " k 0 0 1x",
	" k 18446744073709551615 0 1", " k 18446744073709551616 0 1",
	" k 9223372036854775808\t-", " k 9223372036854775808\t- 0 1",
	" k 0 0 1 9223372036854775808\t-",
	" k \f\v\r1", " k -+1", " k +-1", " k 1-",
	" k 0 0 1 -1", " k 0 0 1 18446744073709551615", " k 0 0 1 -18446744073709551615",
	" k 0 0 1 18446744073709551616", " k 0 0 2 1 noreply", " k 0 0 0",
	" k\1 0 0 1", " k 0\1 0 1", " \1k", "\1", " k 0 0 1\1",
	" a b c d e f g h i j k l m n o p q r s t u v w x y z",
	" k 0 0 1 a b c d e f g h i j k l m n o p q r s t u",
	" k v s t", " k T30 N-1 R5 t", " k Tx", " k T", " k F7 C9 D3 J4", " k Fx",
	" k Cx", " k D18446744073709551616", " k J-1", " k MI", " k MX", " k M+",
	" k M", " k MII", " k v v", " k Z", " k 1", " YWJj b", " k b", " YWJj b k",
	" k 2", " k 2 T1 F5 MA", " k 2 MX", " k 2 Z", " k 2 q", " k x T1",
	" k O123", " k O123456789012345678901234567890123",
	" k a b c d e f g h i j l m n o p r s x",
};

static const char *const diff_ends[] = { "\r\n", "\n", "\r\r\n", "", "\r" };

/* What may follow the line: a data block, a bad one, the next request. */
static const char *const diff_after[] = { "", "x\r\n", "xy\r\nget k\r\n", "x" };

/* Makes every "\1" of s[0..n) the NUL it stands for; returns n. */
static size_t nul_marks(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\1')
			s[i] = '\0';
	return n;
}

/* The line into s (which has room); returns its length. */
static size_t diff_line(char *s, const char *cmd, const char *tail, const char *end,
			const char *after)
{
	return nul_marks(s, (size_t)sprintf(s, "%s%s%s%s", cmd, tail, end, after));
}

static void test_diff_commands(void **state)
{
	struct diff d;
	char s[256];

	(void)state;
	for (size_t c = 0; c < NELEMS(diff_cmds); c++) {
		for (size_t t = 0; t < NELEMS(diff_tails); t++) {
			diff_check(&d, s, diff_line(s, diff_cmds[c], diff_tails[t], "\r\n", ""));
			/* The other ends and what follows, on the real names. */
			if (c >= 26)
				continue;
			for (size_t e = 1; e < NELEMS(diff_ends); e++)
				diff_check(&d, s, diff_line(s, diff_cmds[c], diff_tails[t],
							    diff_ends[e], ""));
			for (size_t a = 1; a < NELEMS(diff_after); a++)
				diff_check(&d, s, diff_line(s, diff_cmds[c], diff_tails[t], "\r\n",
							    diff_after[a]));
		}
	}
	/* Leading spaces before the name. */
	diff_check_str(&d, " get k\r\n");
	diff_check_str(&d, "   set k 0 0 1\r\nx\r\n");
	diff_check_str(&d, " mg k v\r\n");
}

/* Keys of 249 to 251 bytes, alone, among others and before numbers. */
static void test_diff_key_lengths(void **state)
{
	static const char *const heads[] = {
		"get ", "gets a ", "gat 1 ", "bget ", "set ", "cas ", "incr ", "decr ",
		"delete ", "touch ", "mg ", "ms ", "md ", "ma ", "me ",
	};
	static const char *const tails[] = {
		"\r\n", " b\r\n", " 0 0 1\r\nx\r\n", " 0 0 1 5 noreply\r\nx\r\n", " 1\r\n",
		" 1 noreply\r\n", " 0\r\n", " v\r\n", " 1 T1\r\nx\r\n",
	};
	struct diff d;

	(void)state;
	for (size_t h = 0; h < NELEMS(heads); h++) {
		for (size_t t = 0; t < NELEMS(tails); t++) {
			for (size_t n = MC_KEY_MAX - 1; n <= MC_KEY_MAX + 1; n++) {
				char *s = sf_repeat(heads[h], 'k', n, tails[t]);

				diff_check_str(&d, s);
				free(s);
			}
		}
	}
}

/* Lines around MC_LINE_MAX, and long get lines; fed at a sample of read
 * sizes, as every size of every one would take long under ASan. */
static void test_diff_long_lines(void **state)
{
	static const struct {
		size_t spaces;   /* before head */
		const char *head;
		char fill;
		size_t n;
		const char *tail;
	} lines[] = {
		{ 0, "set ", 'k', MC_LINE_MAX - 4, "\n" },
		{ 0, "set ", 'k', MC_LINE_MAX - 3, "\n" },
		{ 0, "set ", 'k', MC_LINE_MAX - 5, "\r\n" },
		{ 0, "get ", 'k', MC_LINE_MAX, "\r\n" },
		{ 0, "get ", 'k', MC_LINE_MAX, "" },
		{ 0, "gets a ", ' ', 3000, "b\r\n" },
		{ 0, "gat 0 ", 'k', MC_LINE_MAX, "\r\n" },
		{ 0, "mg k O", 'x', MC_LINE_MAX, "\r\n" },
		{ 0, "get a", ' ', MC_LINE_MAX, "\r\n" },
		{ 100, "get ", 'k', 2000, "\r\n" },
		{ 101, "get ", 'k', 2000, "\r\n" },
		{ 0, "", ' ', 3000, "\r\n" },
	};
	static const size_t ks[] = { 1, 2, 3, 7, 100, 1460, 2047, 2048, 2049, 2050, 4096 };
	struct diff d;

	(void)state;
	for (size_t i = 0; i < NELEMS(lines); i++) {
		char *head = sf_repeat("", ' ', lines[i].spaces, lines[i].head);
		char *s = sf_repeat(head, lines[i].fill, lines[i].n, lines[i].tail);

		for (size_t j = 0; j < NELEMS(ks); j++)
			diff_feed(&d, s, strlen(s), ks[j], MC_ITEM_MAX_DEFAULT);
		free(s);
		free(head);
	}
}

/* Lines drawn from pieces of requests (names, keys, numbers, flags,
 * blanks, NULs), a fixed sequence of them. */
static void test_diff_random(void **state)
{
	static const char *const words[] = {
		"get", "gets", "gat", "set", "cas", "incr", "delete", "touch", "mg", "ms",
		"ma", "md", "me", "mn", "stats", "flush_all", "verbosity", "k", "key:1",
		"noreply", "0", "1", "2", "-1", "+3", "4294967296", "18446744073709551616",
		"9223372036854775808", "x", "1x", "T1", "Tx", "v", "b", "MI", "O1", "F5", "D2",
		"YWJj", "\t", "\t5", "5\t",
	};
	static const char *const seps[] = { " ", " ", " ", "  ", "\t", "\1", "\r\n", "\n" };
	struct diff d;
	uint64_t rng = 42;
	char s[256];

	(void)state;
	for (int i = 0; i < 3000; i++) {
		size_t n = 0, w;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		w = 1 + (size_t)(rng >> 60) % 9;
		while (w-- > 0 && n < 200) {
			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			n += (size_t)sprintf(s + n, "%s%s", words[(rng >> 33) % NELEMS(words)],
					     w ? seps[(rng >> 20) % NELEMS(seps)] : "\r\n");
		}
		diff_check(&d, s, nul_marks(s, n));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retrieval),
		cmocka_unit_test(test_retrieval_errors),
		cmocka_unit_test(test_many_keys),
		cmocka_unit_test(test_storage),
		cmocka_unit_test(test_storage_numbers),
		cmocka_unit_test(test_storage_errors),
		cmocka_unit_test(test_bad_data_chunk),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_delete_long_key),
		cmocka_unit_test(test_arith),
		cmocka_unit_test(test_touch),
		cmocka_unit_test(test_flush_all),
		cmocka_unit_test(test_misc_commands),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_line_too_long),
		cmocka_unit_test(test_long_get_spaces),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_reuse_and_fini),
		cmocka_unit_test(test_meta_get),
		cmocka_unit_test(test_meta_get_errors),
		cmocka_unit_test(test_meta_key_max),
		cmocka_unit_test(test_meta_delete_arith),
		cmocka_unit_test(test_meta_set),
		cmocka_unit_test(test_meta_noop_debug),
		cmocka_unit_test(test_meta_hostile),
		cmocka_unit_test(test_item_size_boundary),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_diff_commands),
		cmocka_unit_test(test_diff_key_lengths),
		cmocka_unit_test(test_diff_long_lines),
		cmocka_unit_test(test_diff_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
