/* SPDX-License-Identifier: BSD-3-Clause */
#include "dataplane/steer.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "platform/mem.h"
#include "platform/metric.h"
#include "platform/status.h"
#include "storage/shard.h"
#include "storage/slot.h"
#include "storage/storage.h"

struct steer_msg {
	struct steer_msg *next;
	struct conn *conn;
	steer_reply_fn fn;
	unsigned from;
	int is_reply;
	struct kop op;
	struct kop_result res;
	char *res_copy;          /* the result's val, copied on the owner */
	char data[];             /* key, then value */
};

struct mailbox {
	pthread_mutex_t lock;
	struct steer_msg *head, *tail;
	int efd;
} __attribute__((aligned(64)));

static struct mailbox *boxes;
static unsigned n_boxes;

int steer_setup(unsigned nworkers)
{
	int rc = slot_table_setup(nworkers);

	if (rc < 0)
		return rc;
	boxes = mem_calloc_lines(nworkers, sizeof(*boxes));
	if (boxes == NULL)
		return -ENOMEM;
	for (n_boxes = 0; n_boxes < nworkers; n_boxes++) {
		struct mailbox *m = &boxes[n_boxes];
		pthread_mutex_init(&m->lock, NULL);
		m->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (m->efd < 0) {
			rc = -errno;
			steer_teardown();
			return rc;
		}
	}
	return SS_OK;
}

static void msg_free(struct steer_msg *m)
{
	free(m->res_copy);
	free(m);
}

void steer_teardown(void)
{
	for (unsigned w = 0; w < n_boxes; w++) {
		struct mailbox *m = &boxes[w];
		/* Mail left after the workers stopped: tell each origin its kop
		 * was dropped, so a connection waiting for it can be freed. */
		for (struct steer_msg *x = m->head, *next; x != NULL; x = next) {
			next = x->next;
			x->fn(x->conn, NULL);
			msg_free(x);
		}
		close(m->efd);
		pthread_mutex_destroy(&m->lock);
	}
	free(boxes);
	boxes = NULL;
	n_boxes = 0;
}

unsigned steer_workers(void) { return n_boxes; }
int steer_notify_fd(unsigned self) { return boxes[self].efd; }

static void post(unsigned to, struct steer_msg *x)
{
	struct mailbox *m = &boxes[to];
	int was_empty;

	x->next = NULL;
	pthread_mutex_lock(&m->lock);
	was_empty = m->head == NULL;
	if (m->tail != NULL)
		m->tail->next = x;
	else
		m->head = x;
	m->tail = x;
	pthread_mutex_unlock(&m->lock);
	/* One wake-up per batch: the owner drains everything it finds. */
	if (was_empty) {
		uint64_t one = 1;
		if (write(m->efd, &one, sizeof(one)) < 0) {
			/* EAGAIN: the counter is already non-zero, a wake-up is pending. */
		}
	}
}

int steer_send(unsigned from, unsigned to, struct conn *c, const struct kop *op,
	       steer_reply_fn fn)
{
	struct steer_msg *x = malloc(sizeof(*x) + op->key.len + op->val.len);

	if (x == NULL)
		return -ENOMEM;
	memset(x, 0, sizeof(*x));
	x->conn = c;
	x->fn = fn;
	x->from = from;
	x->op = *op;
	memcpy(x->data, op->key.p, op->key.len);
	if (op->val.len > 0)
		memcpy(x->data + op->key.len, op->val.p, op->val.len);
	x->op.key.p = x->data;
	x->op.val.p = x->data + op->key.len;
	metric_add_local(METRIC_steer_sent, 1);
	post(to, x);
	return SS_OK;
}

void steer_notify_ack_local(unsigned self)
{
	uint64_t n;

	if (read(boxes[self].efd, &n, sizeof(n)) < 0) {
		/* EAGAIN: nothing pending. */
	}
}

/* On the owner: run the kop, keep a copy of what the origin must read. */
static void execute(struct shard *s, struct steer_msg *x)
{
	kop_exec_local(s, &x->op, &x->res);
	metric_add_local(METRIC_steer_executed, 1);
	/* A result that points into the shard is only valid on the owner
	 * until its next write: the origin gets a copy. */
	if (x->res.val.p != NULL) {
		x->res_copy = malloc(x->res.val.len ? x->res.val.len : 1);
		if (x->res_copy == NULL) {
			x->res.status = -ENOMEM;
		} else {
			memcpy(x->res_copy, x->res.val.p, x->res.val.len);
			x->res.val.p = x->res_copy;
		}
	}
	x->is_reply = 1;
}

unsigned steer_drain_local(unsigned self)
{
	struct mailbox *m = &boxes[self];
	struct steer_msg *x, *next;
	unsigned n = 0;

	pthread_mutex_lock(&m->lock);
	x = m->head;
	m->head = m->tail = NULL;
	pthread_mutex_unlock(&m->lock);
	for (; x != NULL; x = next, n++) {
		next = x->next;
		if (x->is_reply) {
			x->fn(x->conn, &x->res);
			msg_free(x);
		} else {
			execute(storage_shard(self), x);
			post(x->from, x);
		}
	}
	return n;
}
