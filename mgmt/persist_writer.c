/* SPDX-License-Identifier: BSD-3-Clause */
#include "mgmt/persist_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mgmt/repl_replica.h"
#include "platform/clock.h"
#include "platform/log.h"
#include "platform/opt.h"
#include "platform/status.h"
#include "storage/persist.h"
#include "storage/rdb.h"
#include "storage/storage.h"

#define RETRY_DELAY_S 5   /* Redis's CONFIG_BGSAVE_RETRY_DELAY after a failure */
#define HOLD_MAX_MS   10000   /* a replica's stream coming to rest before a snapshot */

static struct {
	int active;
	uint64_t epoch;
	int fd;
	char tmp[64];
	struct rdb_writer *w;
	int64_t start_s;
	uint64_t dirty_at_start;
	unsigned done_mask_n;     /* workers finished */
	int64_t last_try_s;
	const struct persist_sink *sink;   /* a stream job's (no file), or NULL */
	bool starting;            /* due, waiting for a replica's stream to come to rest */
	uint64_t starting_ms;     /* mono ms that wait began; 0: begin it anew */
} job = { .fd = -1 };

int persist_active(void) { return job.active; }

int persist_schedule_check(const char *save, char *err, size_t errlen)
{
	const char *p = save;
	unsigned n = 0;

	while (*p) {
		char *end;
		long long v;
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		v = strtoll(p, &end, 10);
		if (end == p || v <= 0 || (*end != ' ' && *end != '\0')) {
			snprintf(err, errlen, "save: '%s' is not pairs of <seconds> <changes> "
				 "(positive numbers), or \"\" for none", save);
			return -EINVAL;
		}
		p = end;
		n++;
	}
	if (n % 2) {
		snprintf(err, errlen, "save: '%s' has an odd count of numbers: "
			 "pairs of <seconds> <changes> expected", save);
		return -EINVAL;
	}
	return SS_OK;
}

/* Does the schedule ask for a snapshot now? */
static int schedule_due(int64_t now_s, const struct persist_info *i)
{
	char save[1024];   /* CONFIG SET may replace it meanwhile: a copy */
	const char *p = save;
	uint64_t changes = storage_dirty() - i->dirty_at_save;

	opt_str_copy(OPT_save, save, sizeof(save));
	if (changes == 0)
		return 0;
	/* after a failure, wait a little before trying again */
	if (!i->last_ok && now_s - job.last_try_s < RETRY_DELAY_S)
		return 0;
	while (*p) {
		char *end;
		long long secs = strtoll(p, &end, 10), need;
		if (end == p)
			break;
		need = strtoll(end, &end, 10);
		if (now_s - i->last_save_s >= secs && (long long)changes >= need)
			return 1;
		p = end;
	}
	return 0;
}

static int out_fd(void *ctx, const void *buf, size_t len)
{
	return rdb_out_fd(ctx, buf, len);
}

/* End the running snapshot without a file: the writer, the descriptor and
 * the temporary file go; the last complete snapshot stays. */
static void drop_job(void)
{
	repl_replica_snapshot_release();   /* if the stream rests for this one */
	if (job.sink != NULL)
		job.sink->end(job.sink->ctx, false);
	job.sink = NULL;
	if (job.w != NULL)
		rdb_writer_destroy(job.w);
	job.w = NULL;
	if (job.fd >= 0) {
		close(job.fd);
		unlink(job.tmp);
	}
	job.fd = -1;
	job.active = 0;
}

static void fail(const char *why, int err)
{
	struct persist_info i;

	bool stream = job.sink != NULL;

	log_warn("%s error: %s: %s", stream ? "Snapshot for replicas" : "Background saving",
		 why, strerror(err));
	drop_job();
	persist_info_get(&i);
	i.in_progress = false;
	if (!stream) {   /* a stream's failure is not the file's status */
		i.last_ok = false;
		i.ended = i.begun;
	}
	persist_info_set(&i);
	/* chunks still coming for this epoch are dropped as they are taken */
}

/* The header's AUX fields, as Redis writes them at a snapshot's start. */
static void aux_now(struct rdb_aux *aux, int64_t now_s)
{
	memset(aux, 0, sizeof(*aux));
	aux->ctime = now_s;
	aux->used_mem = storage_used_memory();
	aux->db_size = storage_keys();
	aux->expires_size = storage_volatile_keys();
}

/* The writer is ready: the workers' walk begins, INFO says so. */
static void job_begin(int64_t now_s)
{
	struct persist_info i;

	job.active = 1;
	job.start_s = now_s;
	job.epoch = persist_begin_epoch();
	persist_info_get(&i);
	i.in_progress = true;
	i.current_start_s = now_s;
	persist_info_set(&i);
}

static void start(int64_t now_s, const char *repl_id, int64_t repl_offset)
{
	struct persist_info i;
	struct rdb_aux aux;

	/* before the epoch begins: a SAVE that saw the old count is served by
	 * this snapshot, which starts after it (persist_info.begun) */
	persist_info_get(&i);
	i.begun++;
	persist_info_set(&i);
	job.last_try_s = now_s;
	snprintf(job.tmp, sizeof(job.tmp), "temp-%d.rdb", (int)getpid());
	job.fd = open(job.tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (job.fd < 0) {
		job.active = 1;
		fail("cannot open the temporary file in dir", errno);
		return;
	}
	aux_now(&aux, now_s);
	aux.repl_id = repl_id;
	aux.repl_offset = repl_offset;
	job.dirty_at_start = storage_dirty();
	int rc = rdb_writer_begin(&job.w, out_fd, &job.fd, &aux);
	if (rc == 0)
		rdb_writer_compress(job.w, opt_bool(OPT_rdbcompression));
	if (rc < 0) {
		job.active = 1;
		fail("cannot write the file header", -rc);
		return;
	}
	job_begin(now_s);
	log_notice("Background saving started");
}

/* A snapshot is due. On a replica the stream comes to rest first, so that
 * the file says which offset it holds; false while it does. */
static bool try_start(int64_t now_s)
{
	char id[REPL_ID_LEN + 1];
	int64_t off;
	uint64_t now = clock_mono_ms();

	if (!job.starting || job.starting_ms == 0) {
		job.starting = true;
		job.starting_ms = now;
	}
	if (!repl_replica_snapshot_hold(id, &off)) {
		if (now - job.starting_ms < HOLD_MAX_MS)
			return false;
		log_warn("The replication stream did not come to rest in %d s: this snapshot "
			 "records no replication offset (a restart will need a full resync)",
			 HOLD_MAX_MS / 1000);
		repl_replica_snapshot_release();
		id[0] = '\0';
	}
	job.starting = false;
	start(now_s, id[0] != '\0' ? id : NULL, off);
	return true;
}

/* One worker's chunks into the file. */
static int write_chunks(struct persist_chunk *c)
{
	int rc = 0;

	for (struct persist_chunk *x = c; x != NULL && rc == 0; x = x->next) {
		if (x->epoch != job.epoch)
			continue;   /* a failed snapshot's walk still finishing */
		for (size_t off = 0; off < x->len && rc == 0;) {
			const char *d = x->data + off;
			uint32_t kl, vl, fl;
			int64_t ex;
			uint64_t cas;
			struct rdb_key k;

			memcpy(&kl, d, 4);
			memcpy(&vl, d + 4, 4);
			memcpy(&ex, d + 8, 8);
			memcpy(&fl, d + 16, 4);
			memcpy(&cas, d + 20, 8);
			memset(&k, 0, sizeof(k));
			k.key = d + 28;
			k.key_len = kl;
			k.val = d + 28 + kl;
			k.val_len = vl;
			k.expire_ms = ex == 0 ? RDB_NO_EXPIRE : ex;
			k.flags = fl;
			k.cas = cas;
			rc = rdb_writer_key(job.w, &k);
			off += 28 + (size_t)kl + vl;
		}
	}
	persist_chunk_free(c);
	return rc;
}

static int fsync_dir(void)
{
	int fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

static void finish(int64_t now_s)
{
	struct persist_info i;
	int rc = rdb_writer_end(job.w);

	if (rc < 0) {
		fail("cannot write the file", -rc);
		return;
	}
	if (job.sink != NULL) {
		const struct persist_sink *s = job.sink;
		job.sink = NULL;
		rdb_writer_destroy(job.w);
		job.w = NULL;
		job.active = 0;
		persist_info_get(&i);
		i.in_progress = false;
		persist_info_set(&i);
		s->end(s->ctx, true);
		log_notice("Snapshot for replicas complete (%lld s)", (long long)(now_s - job.start_s));
		return;
	}
	if (fsync(job.fd) != 0) {
		fail("fsync", errno);
		return;
	}
	rdb_writer_destroy(job.w);
	job.w = NULL;
	close(job.fd);
	job.fd = -1;
	char dbfile[PATH_MAX];

	opt_str_copy(OPT_dbfilename, dbfile, sizeof(dbfile));   /* CONFIG SET may change it */
	if (rename(job.tmp, dbfile) != 0) {
		int e = errno;
		unlink(job.tmp);
		job.active = 1;
		fail("cannot rename the temporary file", e);
		return;
	}
	if ((rc = fsync_dir()) < 0)
		log_warn("fsync of dir after the rename: %s", strerror(-rc));
	job.active = 0;
	persist_info_get(&i);
	i.in_progress = false;
	i.last_ok = true;
	i.last_save_s = now_s;
	i.last_time_s = now_s - job.start_s;
	i.dirty_at_save = job.dirty_at_start;
	i.saves++;
	i.ended = i.begun;
	persist_info_set(&i);
	log_notice("Background saving terminated with success");
}

void persist_tick(uint64_t now_ms)
{
	int64_t now_s = (int64_t)time(NULL);
	struct persist_info i;
	unsigned n = storage_shards(), done = 0;
	bool any_failed = false;

	(void)now_ms;
	if (!job.active) {
		persist_info_get(&i);
		if (job.starting || persist_requested_take() || schedule_due(now_s, &i))
			try_start(now_s);
		if (!job.active) {
			/* drop what a failed snapshot's workers still hand over */
			for (unsigned w = 0; w < n; w++)
				persist_chunk_free(persist_take(w));
			return;
		}
	}
	/* a replica's stream rests until every worker has joined (a no-op
	 * when it does not rest for this one) */
	if (persist_all_joined(job.epoch))
		repl_replica_snapshot_release();
	/* a stream goes at its readers' pace: what is not taken waits in the
	 * workers' queues, and their walks pause at CHUNKS_MAX */
	if (job.sink != NULL && !job.sink->ready(job.sink->ctx))
		return;
	for (unsigned w = 0; w < n; w++) {
		bool failed;
		bool fin = persist_worker_done(w, job.epoch, &failed);
		/* done first, then take: a finished walk's chunks are all there */
		if (write_chunks(persist_take(w)) < 0) {
			fail("cannot write the file", EIO);
			return;
		}
		any_failed |= failed;
		done += fin;
	}
	if (any_failed) {
		fail("a worker could not copy its items", ENOMEM);
		return;
	}
	if (done == n)
		finish(now_s);
}

static int out_sink(void *ctx, const void *buf, size_t len)
{
	const struct persist_sink *s = ctx;

	return s->write(s->ctx, buf, len);
}

int persist_stream_start(const struct persist_sink *sink)
{
	struct rdb_aux aux;
	int64_t now_s = (int64_t)time(NULL);

	if (job.active)
		return -EBUSY;
	if (job.starting) {
		/* the file's snapshot waits for this one, then starts its wait over */
		repl_replica_snapshot_release();
		job.starting_ms = 0;
	}
	aux_now(&aux, now_s);
	int rc = rdb_writer_begin(&job.w, out_sink, (void *)sink, &aux);
	if (rc < 0)
		return rc;
	rdb_writer_compress(job.w, opt_bool(OPT_rdbcompression));
	job.sink = sink;
	job.fd = -1;
	job_begin(now_s);
	log_notice("Starting a snapshot for replicas, streamed without a file");
	return SS_OK;
}

void persist_abort(void)
{
	if (job.active)
		drop_job();
}

void persist_stream_abort(const struct persist_sink *sink)
{
	if (job.active && job.sink == sink)
		fail("its reader is gone", ECONNRESET);
}

void persist_save_now(void)
{
	/* a stream waits for its readers: at shutdown they are not waited for */
	if (job.active && job.sink != NULL)
		fail("shutting down", ECANCELED);
	/* one already running: let it end, then take a fresh one */
	while (job.active) {
		persist_tick(0);
		usleep(1000);
	}
	while (!try_start((int64_t)time(NULL)))
		usleep(1000);
	while (job.active) {
		persist_tick(0);
		if (job.active)
			usleep(1000);
	}
}
