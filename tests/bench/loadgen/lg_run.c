/* SPDX-License-Identifier: BSD-3-Clause */
#include "lg_run.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* After the end, replies still in flight get this long to arrive: long, as
 * a server on a busy shared machine can stall for seconds, and a reply that
 * never comes is an error. */
#define DRAIN_NS 10000000000ull
/* The loop looks at the clock at least this often, even with no events. */
#define MAX_WAIT_NS 10000000ull
#define RECV_CHUNK (64u << 10)

static volatile sig_atomic_t interrupted;

void lg_run_interrupt(void)
{
	interrupted = 1;
}

uint64_t lg_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct lg_thread {
	const struct lg_opts *o;
	const struct lg_transport *t;
	struct lg_shared *sh;
	struct lg_loop *loop;
	struct lg_conn *conns;
	unsigned nconns, first;   /* its connections: global first .. first + nconns - 1 */
	unsigned connected;
	int open_err;
	struct lg_sink sink;
	pthread_barrier_t *ready;
	uint64_t *t0;
	pthread_t tid;
};

static void drop(struct lg_thread *th, struct lg_conn *c, unsigned slot, const char *why)
{
	if (c->dead)
		return;
	th->sink.stats.conn_errors++;
	lg_sink_error(&th->sink, why, NULL);
	th->t->close(th->loop, slot);
	c->dead = 1;
}

static void flush(struct lg_thread *th, struct lg_conn *c, unsigned slot)
{
	int had = c->out_off < c->out_len;

	while (!c->dead && c->out_off < c->out_len) {
		ssize_t w = th->t->send(th->loop, slot, c->out + c->out_off, c->out_len - c->out_off);

		if (w < 0) {
			drop(th, c, slot, strerror((int)-w));
			return;
		}
		if (w == 0)
			break;
		th->sink.stats.bytes_out += (uint64_t)w;
		c->out_off += (size_t)w;
	}
	/* Ask for LG_EV_OUT only while bytes wait: a socket is nearly always writable. */
	if (!c->dead && (c->out_off < c->out_len) != had)
		th->t->want_out(th->loop, slot, c->out_off < c->out_len);
}

static void receive(struct lg_thread *th, struct lg_conn *c, unsigned slot, uint64_t *now)
{
	for (;;) {
		size_t room;
		char *p = lg_conn_in_room(c, RECV_CHUNK, &room);
		ssize_t n;

		if (p == NULL) {
			drop(th, c, slot, "out of memory for replies");
			return;
		}
		n = th->t->recv(th->loop, slot, p, room);
		if (n == 0)
			return;
		if (n < 0) {
			/* A close after the last reply of a finished run is the server's right. */
			if (n == -ESHUTDOWN && c->qn == 0 && lg_conn_done(c, th->sh, *now)) {
				th->t->close(th->loop, slot);
				c->dead = 1;
			} else {
				drop(th, c, slot, n == -ESHUTDOWN ? "server closed the connection"
								 : strerror((int)-n));
			}
			return;
		}
		*now = lg_now_ns();
		th->sink.stats.bytes_in += (uint64_t)n;
		c->in_len += (size_t)n;
		if (lg_conn_input(c, th->sh, *now, &th->sink) < 0) {
			drop(th, c, slot, "reply stream cannot be parsed");
			return;
		}
		if ((size_t)n < room)
			return;
	}
}

static void *thread_main(void *arg)
{
	struct lg_thread *th = arg;
	const struct lg_shared *sh = th->sh;
	struct lg_event *ev = calloc(th->nconns, sizeof(*ev));
	uint64_t now, deadline = 0;

	for (unsigned i = 0; i < th->nconns; i++) {
		int rc = ev ? th->t->open(th->loop, i, th->o->server, (uint16_t)th->o->port) : -ENOMEM;

		if (rc < 0) {
			th->sink.stats.conn_errors++;
			lg_sink_error(&th->sink, "connect", strerror(-rc));
			th->conns[i].dead = 1;
			th->open_err = rc;
		} else {
			th->connected++;
		}
	}
	pthread_barrier_wait(th->ready);   /* all connected: main sets t0 */
	pthread_barrier_wait(th->ready);
	for (;;) {
		unsigned done = 0;
		uint64_t wait = MAX_WAIT_NS;
		int n;

		now = lg_now_ns();
		for (unsigned i = 0; i < th->nconns; i++) {
			struct lg_conn *c = &th->conns[i];

			if (interrupted && !c->dead)
				c->next_at = UINT64_MAX;   /* send nothing more; finish what is out */
			if (!interrupted)
				lg_conn_fill(c, sh, now);
			flush(th, c, i);
			if (lg_conn_done(c, sh, now) || (interrupted && c->qn == 0))
				done++;
			else if (sh->interval_ns && c->qn < sh->pipeline && c->next_at > now &&
				 c->next_at - now < wait)
				wait = c->next_at - now;
		}
		if (done == th->nconns)
			break;
		/* Past the end (or interrupted): replies in flight get DRAIN_NS. */
		if ((now >= sh->t_end || interrupted) && deadline == 0)
			deadline = now + DRAIN_NS;
		if (deadline && now >= deadline) {
			for (unsigned i = 0; i < th->nconns; i++)
				if (!th->conns[i].dead && th->conns[i].qn > 0)
					drop(th, &th->conns[i], i, "replies still missing at the end");
			break;
		}
		n = th->t->poll(th->loop, wait, ev, (int)th->nconns);
		now = lg_now_ns();
		for (int k = 0; k < n; k++) {
			unsigned i = ev[k].slot;
			struct lg_conn *c = &th->conns[i];

			if (c->dead)
				continue;
			if (ev[k].events & LG_EV_IN)
				receive(th, c, i, &now);
			if (c->dead)
				continue;
			/* Refill at once, so that the replies' successors leave in one write. */
			if (!interrupted)
				lg_conn_fill(c, sh, now);
			flush(th, c, i);
		}
	}
	free(ev);
	return NULL;
}

int lg_run(const struct lg_opts *o, const struct lg_transport *t, struct lg_result *r)
{
	struct lg_workload wl;
	struct lg_values values;
	struct lg_shared sh;
	struct lg_thread *th;
	pthread_barrier_t ready;
	uint64_t t0 = 0, seed;
	unsigned started = 0;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (lg_workload_init(&wl, o->set_w, o->get_w, o->key_count, o->pattern, o->zipf_theta,
			     o->key_prefix) < 0)
		return -EINVAL;
	/* The nonce tells this run's values from earlier runs' on the same server. */
	seed = o->seed;
	rc = lg_values_init(&values, (uint32_t)(lg_now_ns() ^ (uint64_t)getpid() << 16),
			    o->size_min, o->size_max, o->key_count, o->verify);
	if (rc < 0)
		return rc;
	sh = (struct lg_shared){
		.proto = lg_proto_find(o->protocol), .wl = &wl, .values = &values,
		.verify = o->verify, .pipeline = o->pipeline, .requests = o->requests,
		.ttl_min = o->expiry_min, .ttl_max = o->expiry_max,
		.nconns = o->connections,
		.interval_ns = o->rate > 0 ? (uint64_t)(1e9 * o->connections / o->rate) : 0,
		.t_measure = UINT64_MAX, .t_end = UINT64_MAX,
	};
	if (o->rate > 0 && sh.interval_ns == 0)
		sh.interval_ns = 1;
	th = calloc(o->threads, sizeof(*th));
	if (th == NULL || pthread_barrier_init(&ready, NULL, o->threads + 1) != 0) {
		free(th);
		lg_values_fini(&values);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < o->threads; i++) {
		struct lg_thread *x = &th[i];

		x->o = o;
		x->t = t;
		x->sh = &sh;
		x->ready = &ready;
		x->t0 = &t0;
		x->first = (unsigned)((uint64_t)o->connections * i / o->threads);
		x->nconns = (unsigned)((uint64_t)o->connections * (i + 1) / o->threads) - x->first;
		x->conns = calloc(x->nconns, sizeof(*x->conns));
		x->loop = t->loop_create(x->nconns);
		if (x->conns == NULL || x->loop == NULL)
			rc = -ENOMEM;
	}
	/* Connection state needs t0 for the open-loop phases: start the clock
	 * at the barrier, after every connect. */
	for (unsigned i = 0; i < o->threads && rc == 0; i++)
		if (pthread_create(&th[i].tid, NULL, thread_main, &th[i]) != 0) {
			/* The others wait at the barrier for this one: nothing to unwind to. */
			fprintf(stderr, "slipstream-loadgen: cannot start thread %u\n", i);
			exit(1);
		} else {
			started++;
		}
	if (rc == 0) {
		pthread_barrier_wait(&ready);
		t0 = lg_now_ns();
		sh.t_measure = t0 + (uint64_t)(o->warmup * 1e9);
		sh.t_end = o->requests ? UINT64_MAX : sh.t_measure + (uint64_t)(o->test_time * 1e9);
		for (unsigned i = 0; i < o->threads && rc == 0; i++)
			for (unsigned k = 0; k < th[i].nconns && rc == 0; k++) {
				int dead = th[i].conns[k].dead;

				rc = lg_conn_init(&th[i].conns[k], &sh, th[i].first + k, o->connections,
						  seed, t0);
				th[i].conns[k].dead = dead;
			}
		if (rc < 0) {   /* let the threads run out at once */
			sh.t_end = 0;
			interrupted = 1;
		}
		pthread_barrier_wait(&ready);
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i].tid, NULL);
	{
		uint64_t last = 0, end = lg_now_ns();

		for (unsigned i = 0; i < o->threads; i++) {
			lg_stats_add(&r->stats, &th[i].sink.stats);
			if (th[i].sink.last_done > last)
				last = th[i].sink.last_done;
			if (r->first_error[0] == '\0' && th[i].sink.first_error[0])
				memcpy(r->first_error, th[i].sink.first_error, sizeof(r->first_error));
			r->connected += th[i].connected;
		}
		/* By count: until the last reply. By time: the measured window
		 * (shorter if interrupted); in the open loop until the last reply
		 * if that is later, so that a server that fell behind shows a
		 * lower achieved rate than the one offered. */
		if (o->requests || interrupted)
			end = last;
		else if (o->rate > 0)
			end = last > sh.t_end ? last : sh.t_end;
		else if (end > sh.t_end)
			end = sh.t_end;
		if (sh.t_measure != UINT64_MAX && end > sh.t_measure)
			r->seconds = (double)(end - sh.t_measure) / 1e9;
	}
	for (unsigned i = 0; i < o->threads; i++) {
		for (unsigned k = 0; th[i].conns && k < th[i].nconns; k++)
			lg_conn_fini(&th[i].conns[k]);
		free(th[i].conns);
		if (th[i].loop)
			t->loop_destroy(th[i].loop);
	}
	pthread_barrier_destroy(&ready);
	free(th);
	lg_values_fini(&values);
	if (rc == 0 && r->connected == 0)
		rc = -ECONNREFUSED;
	return rc;
}
