/* SPDX-License-Identifier: BSD-3-Clause */
#include "storage/persist.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform/clock.h"
#include "platform/mem.h"
#include "platform/status.h"
#include "storage/rdb.h"
#include "storage/repl.h"
#include "storage/shard.h"
#include "storage/slot.h"

#define CHUNK_BYTES  (256u * 1024)
#define CHUNKS_MAX   64         /* waiting per worker before its walk pauses */
#define STEP_BUCKETS 16         /* between looks at the clock */
#define STEP_US      20         /* walking per loop iteration */
#define REC_HDR      28         /* u32 klen, u32 vlen, i64 expire, u32 flags, u64 cas */

struct pworker {
	pthread_mutex_t lock;             /* the queue: worker pushes, mgmt takes */
	struct persist_chunk *head, *tail;
	unsigned queued;
	uint64_t done_epoch;              /* written with release by the worker */
	bool failed;
	/* the worker's own */
	uint64_t seen;                    /* last epoch it joined (release: the mgmt reads it) */
	bool active;
	struct persist_chunk *cur;
} __attribute__((aligned(64)));

static uint64_t step_tsc;                /* STEP_US in TSC ticks */
static struct pworker *pw;
static unsigned n_pw;
static uint64_t epoch;                    /* the management core's, read by workers */
static int requested;

static pthread_mutex_t info_lock = PTHREAD_MUTEX_INITIALIZER;
static struct persist_info info = { .last_ok = true, .last_time_s = -1 };

int persist_setup(unsigned nworkers)
{
	pw = mem_calloc_lines(nworkers, sizeof(*pw));
	if (pw == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < nworkers; i++)
		pthread_mutex_init(&pw[i].lock, NULL);
	n_pw = nworkers;
	info.last_save_s = (int64_t)time(NULL);   /* Redis: LASTSAVE is start-up time at first */
	return SS_OK;
}

void persist_teardown(void)
{
	for (unsigned i = 0; i < n_pw; i++) {
		persist_chunk_free(pw[i].head);
		persist_chunk_free(pw[i].cur);
		pthread_mutex_destroy(&pw[i].lock);
	}
	free(pw);
	pw = NULL;
	n_pw = 0;
}

void persist_chunk_free(struct persist_chunk *c)
{
	while (c != NULL) {
		struct persist_chunk *next = c->next;
		free(c);
		c = next;
	}
}

uint64_t persist_begin_epoch(void)
{
	return __atomic_add_fetch(&epoch, 1, __ATOMIC_RELEASE);
}

struct persist_chunk *persist_take(unsigned w)
{
	struct persist_chunk *c;

	pthread_mutex_lock(&pw[w].lock);
	c = pw[w].head;
	pw[w].head = pw[w].tail = NULL;
	pw[w].queued = 0;
	pthread_mutex_unlock(&pw[w].lock);
	return c;
}

bool persist_worker_done(unsigned w, uint64_t e, bool *failed)
{
	bool done = __atomic_load_n(&pw[w].done_epoch, __ATOMIC_ACQUIRE) == e;

	*failed = done && pw[w].failed;
	return done;
}

/* Worker: hand the current chunk to the management core. */
static void push_cur(struct pworker *p)
{
	struct persist_chunk *c = p->cur;

	if (c == NULL || c->len == 0)
		return;
	p->cur = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->tail != NULL)
		p->tail->next = c;
	else
		p->head = c;
	p->tail = c;
	p->queued++;
	pthread_mutex_unlock(&p->lock);
}

/* On the owner, inside a walk step or a write's copy-before-write. */
static void visit(const struct item *it, void *arg)
{
	struct pworker *p = arg;
	size_t kl = item_klen(it), vl = item_vlen(it), need = REC_HDR + kl + vl;
	uint32_t k32 = (uint32_t)kl, v32 = (uint32_t)vl, fl = item_flags(it);
	int64_t ex = item_expire_ms(it);
	uint64_t cas = item_cas(it);
	char *d;

	if (p->cur != NULL && p->cur->len + need > p->cur->cap)
		push_cur(p);
	if (p->cur == NULL) {
		size_t cap = need > CHUNK_BYTES ? need : CHUNK_BYTES;
		/* malloc, not the arena: the management core frees it */
		p->cur = malloc(sizeof(*p->cur) + cap);
		if (p->cur == NULL) {
			p->failed = true;   /* the snapshot cannot be whole: it fails */
			return;
		}
		p->cur->next = NULL;
		p->cur->epoch = p->seen;
		p->cur->len = 0;
		p->cur->cap = cap;
	}
	d = p->cur->data + p->cur->len;
	memcpy(d, &k32, 4);
	memcpy(d + 4, &v32, 4);
	memcpy(d + 8, &ex, 8);
	memcpy(d + 16, &fl, 4);
	memcpy(d + 20, &cas, 8);
	memcpy(d + REC_HDR, item_key(it), kl);
	memcpy(d + REC_HDR + kl, item_value(it), vl);
	p->cur->len += need;
}

void persist_step_local(unsigned w, struct shard *s, int64_t now_ms)
{
	struct pworker *p;
	uint64_t e;

	if (pw == NULL || w >= n_pw)
		return;
	p = &pw[w];
	e = __atomic_load_n(&epoch, __ATOMIC_ACQUIRE);
	if (!p->active && e != p->seen) {
		int rc = shard_snapshot_begin_local(s, visit, p, now_ms);
		if (rc == -EBUSY) {
			/* a resize is finishing: help it along, join once it ends */
			shard_resize_step_local(s, 4 * STEP_BUCKETS);
			return;
		}
		p->failed = rc < 0;
		__atomic_store_n(&p->seen, e, __ATOMIC_RELEASE);
		if (rc < 0) {
			__atomic_store_n(&p->done_epoch, e, __ATOMIC_RELEASE);
			return;
		}
		p->active = true;
	}
	if (!p->active)
		return;   /* (most steps: no clock read) */
	/* Bounded by time, not buckets: what a step delays the requests behind
	 * it by is the same however full the buckets are. */
	if (step_tsc == 0)
		step_tsc = clock_tsc_hz() * STEP_US / 1000000 + 1;
	uint64_t until = clock_tsc() + step_tsc;
	do {
		if (!p->active || __atomic_load_n(&p->queued, __ATOMIC_RELAXED) >= CHUNKS_MAX)
			return;
		if (shard_snapshot_step_local(s, STEP_BUCKETS) == 0) {
			push_cur(p);
			p->active = false;
			__atomic_store_n(&p->done_epoch, p->seen, __ATOMIC_RELEASE);
			return;
		}
	} while (clock_tsc() < until);
}

int persist_walking_local(unsigned w)
{
	if (pw == NULL || w >= n_pw)
		return PERSIST_WALK_NONE;
	if (__atomic_load_n(&epoch, __ATOMIC_ACQUIRE) != pw[w].seen)
		return PERSIST_WALK_NOW;   /* a snapshot waits for this worker to join */
	if (!pw[w].active)
		return PERSIST_WALK_NONE;
	return __atomic_load_n(&pw[w].queued, __ATOMIC_RELAXED) >= CHUNKS_MAX ?
	       PERSIST_WALK_WAITING : PERSIST_WALK_NOW;
}

int persist_request(void)
{
	struct persist_info i;

	persist_info_get(&i);
	if (i.in_progress)
		return -EBUSY;
	return __atomic_exchange_n(&requested, 1, __ATOMIC_ACQ_REL) ? -EBUSY : SS_OK;
}

static int shutdown_mode;
static bool shutdown_force;

void persist_shutdown_request(int mode, bool force)
{
	__atomic_store_n(&shutdown_force, force, __ATOMIC_RELAXED);
	__atomic_store_n(&shutdown_mode, mode, __ATOMIC_RELEASE);
}

int persist_shutdown_take(void)
{
	return __atomic_exchange_n(&shutdown_mode, PERSIST_SHUTDOWN_NONE, __ATOMIC_ACQ_REL);
}

bool persist_shutdown_force(void)
{
	return __atomic_load_n(&shutdown_force, __ATOMIC_RELAXED);
}

void persist_request_after(void)
{
	__atomic_store_n(&requested, 1, __ATOMIC_RELEASE);
}

bool persist_requested_take(void)
{
	return __atomic_exchange_n(&requested, 0, __ATOMIC_ACQ_REL) != 0;
}

void persist_info_get(struct persist_info *out)
{
	pthread_mutex_lock(&info_lock);
	*out = info;
	pthread_mutex_unlock(&info_lock);
}

void persist_info_set(const struct persist_info *in)
{
	pthread_mutex_lock(&info_lock);
	info = *in;
	pthread_mutex_unlock(&info_lock);
}

/* ---- start-up load ---- */

struct load_ctx {
	unsigned w;
	struct shard *s;
	int64_t now_ms;
	long n;
	char repl_id[REPL_ID_LEN + 1];
	int64_t repl_offset;
	bool has_id, has_offset;
};

/* Worker 0's load says; the management core reads it after the workers
 * signalled they started (storage's counter orders the two). */
static struct {
	bool valid;
	char id[REPL_ID_LEN + 1];
	int64_t offset;
} loaded_repl;

bool persist_all_joined(uint64_t e)
{
	for (unsigned w = 0; w < n_pw; w++)
		if (__atomic_load_n(&pw[w].seen, __ATOMIC_ACQUIRE) < e)
			return false;
	return true;
}

bool persist_loaded_repl(char id[REPL_ID_LEN + 1], int64_t *offset)
{
	if (!loaded_repl.valid)
		return false;
	memcpy(id, loaded_repl.id, sizeof(loaded_repl.id));
	*offset = loaded_repl.offset;
	return true;
}

static void load_aux(void *arg, const void *name, size_t nlen, const void *val, size_t vlen)
{
	struct load_ctx *l = arg;
	long long off;

	if (nlen == 7 && memcmp(name, "repl-id", 7) == 0 && repl_id_valid(val, vlen)) {
		memcpy(l->repl_id, val, REPL_ID_LEN);
		l->repl_id[REPL_ID_LEN] = '\0';
		l->has_id = true;
	} else if (nlen == 11 && memcmp(name, "repl-offset", 11) == 0) {
		l->has_offset = repl_parse_ll(val, vlen, INT64_MAX, &off) && off >= 0;
		if (l->has_offset)
			l->repl_offset = off;
	}
}

static int load_key(void *arg, const struct rdb_key *k)
{
	struct load_ctx *l = arg;
	int64_t ex = k->expire_ms;

	/* every CAS in the file, the other workers' too, stays unique */
	shard_cas_floor_local(l->s, k->cas);
	if (slot_owner_of_key(k->key, k->key_len) != l->w)
		return 0;   /* another worker's */
	if (ex == RDB_NO_EXPIRE)
		ex = SHARD_NO_EXPIRY;
	else if (ex <= l->now_ms)
		return 0;   /* expired while the file sat on disk: as Redis, not loaded */
	if (shard_set_local(l->s, k->key, k->key_len, k->val, k->val_len, k->flags, ex) != SS_OK)
		return -ENOMEM;
	if (k->cas != 0)   /* a client's gets before the restart still matches */
		shard_restore_cas_local(l->s, k->key, k->key_len, k->cas);
	l->n++;
	return 0;
}

long persist_load_local(unsigned w, struct shard *s, const char *path, bool skip_other_types,
			char *err, size_t errlen)
{
	struct rdb_load_opts o;
	struct rdb_load_info li;
	struct load_ctx l = { .w = w, .s = s };
	struct timespec ts;
	FILE *f = fopen(path, "rb");
	int rc;

	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	l.now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	memset(&o, 0, sizeof(o));
	o.other_types = skip_other_types ? RDB_TYPES_SKIP : RDB_TYPES_FAIL;
	o.aux = load_aux;
	o.aux_ctx = &l;
	int fd = fileno(f);
	rc = rdb_load(rdb_in_fd, &fd, &o, load_key, &l, &li);
	fclose(f);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, li.err[0] ? li.err : strerror(-rc));
		return rc;
	}
	if (w == 0) {
		loaded_repl.valid = l.has_id && l.has_offset;
		memcpy(loaded_repl.id, l.repl_id, sizeof(loaded_repl.id));
		loaded_repl.offset = l.repl_offset;
	}
	return l.n;
}
