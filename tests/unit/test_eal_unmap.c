/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The memif disconnect guard (platform/eal_unmap.c), against DPDK's own memif
 * PMD: two memif ports in this process, a server polled by a QSBR reader
 * thread (a worker) and a client driven from here. When the client leaves,
 * the server's interrupt thread marks the link down at once but must not
 * unmap the shared rings while the reader is between quiescent states
 * (inside a burst, for all the PMD knows); it unmaps right after the
 * reader's next quiescent state. Without the guard the unmap comes at once:
 * that was the SIGSEGV in librte_net_memif under load.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <urcu-qsbr.h>

#include "platform/eal.h"
#include "platform/eal_unmap.h"

#define SERVER 0
#define CLIENT 1
#define WAIT_MS 5000
#define FRAMES 32

static struct rte_mempool *pool;
static char sock[64];

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* The shared memory regions mapped in this process (each end maps its own view). */
static int memif_mappings(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "memif_region_") != NULL)
			n++;
	fclose(f);
	return n;
}

static int link_up(uint16_t port)
{
	struct rte_eth_link l;

	return rte_eth_link_get_nowait(port, &l) == 0 && l.link_status == RTE_ETH_LINK_UP;
}

static void wait_links(int up)
{
	int64_t end = now_ms() + WAIT_MS;

	while ((link_up(SERVER) != up || (up && !link_up(CLIENT))) && now_ms() < end)
		sleep_ms(5);
	assert_int_equal(link_up(SERVER), up);
}

/* Both ends' views of the shared region gone, within WAIT_MS. */
static void wait_unmapped(void)
{
	for (int64_t end = now_ms() + WAIT_MS; memif_mappings() > 0 && now_ms() < end;)
		sleep_ms(5);
	assert_int_equal(memif_mappings(), 0);
}

static void port_setup(uint16_t port)
{
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	assert_int_equal(rte_eth_dev_configure(port, 1, 1, &conf), 0);
	assert_int_equal(rte_eth_rx_queue_setup(port, 0, 256, SOCKET_ID_ANY, NULL, pool), 0);
	assert_int_equal(rte_eth_tx_queue_setup(port, 0, 256, SOCKET_ID_ANY, NULL), 0);
	assert_int_equal(rte_eth_dev_start(port), 0);
}

/* FRAMES broadcast frames from the client; the server's reader counts them. */
static void client_send(void)
{
	struct rte_mbuf *m[FRAMES];
	uint8_t frame[64];
	uint16_t sent = 0;

	memset(frame, 0xff, 12);   /* broadcast, from the broadcast address: never routed */
	memset(frame + 12, 0x88, sizeof(frame) - 12);
	for (int i = 0; i < FRAMES; i++) {
		m[i] = rte_pktmbuf_alloc(pool);
		assert_non_null(m[i]);
		void *p = rte_pktmbuf_append(m[i], sizeof(frame));
		assert_non_null(p);
		memcpy(p, frame, sizeof(frame));
	}
	for (int tries = 0; tries < 100 && sent < FRAMES; tries++)
		sent += rte_eth_tx_burst(CLIENT, 0, m + sent, (uint16_t)(FRAMES - sent));
	for (uint16_t i = sent; i < FRAMES; i++)
		rte_pktmbuf_free(m[i]);
	assert_int_equal(sent, FRAMES);
}

static struct {
	int received;    /* frames the reader took from the server port */
	int holding;     /* the reader is between quiescent states, waiting */
	int release;     /* main: the reader may announce its quiescent state */
	int done;
} rd;

/* A worker: bursts until it has the client's frames, then stays in its read-side section. */
static void *reader(void *arg)
{
	struct rte_mbuf *m[FRAMES];

	(void)arg;
	rcu_register_thread();
	for (int64_t end = now_ms() + WAIT_MS; rd.received < FRAMES && now_ms() < end;) {
		uint16_t n = rte_eth_rx_burst(SERVER, 0, m, FRAMES);
		rte_pktmbuf_free_bulk(m, n);
		rd.received += n;
		rcu_quiescent_state();
	}
	__atomic_store_n(&rd.holding, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&rd.release, __ATOMIC_ACQUIRE))
		sleep_ms(1);
	rcu_quiescent_state();
	rcu_unregister_thread();
	__atomic_store_n(&rd.done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_disconnect_waits_for_the_reader(void **state)
{
	pthread_t t;
	unsigned long waits0 = eal_unmap_guard_waits();

	(void)state;
	memset(&rd, 0, sizeof(rd));
	assert_int_equal(rte_eth_dev_start(CLIENT), 0);   /* no-op the first time */
	wait_links(1);
	assert_int_equal(memif_mappings(), 2);
	assert_int_equal(pthread_create(&t, NULL, reader, NULL), 0);
	client_send();
	while (!__atomic_load_n(&rd.holding, __ATOMIC_ACQUIRE))
		sleep_ms(1);
	assert_int_equal(rd.received, FRAMES);

	/* The client leaves: its own unmap is on this thread, not guarded. */
	assert_int_equal(rte_eth_dev_stop(CLIENT), 0);
	wait_links(0);
	sleep_ms(200);
	assert_int_equal(memif_mappings(), 1);   /* the server's view: still mapped */
	assert_int_equal(eal_unmap_guard_waits(), waits0);

	__atomic_store_n(&rd.release, 1, __ATOMIC_RELEASE);
	wait_unmapped();
	assert_true(eal_unmap_guard_waits() > waits0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(rd.done);
}

/* An offline reader (a worker asleep) does not hold a disconnect up. */
static void test_offline_reader_does_not_delay(void **state)
{
	(void)state;
	rcu_register_thread();
	rcu_thread_offline();
	assert_int_equal(rte_eth_dev_start(CLIENT), 0);
	wait_links(1);
	assert_int_equal(memif_mappings(), 2);
	assert_int_equal(rte_eth_dev_stop(CLIENT), 0);
	wait_links(0);
	wait_unmapped();
	rcu_thread_online();
	rcu_unregister_thread();
}

static int setup(void **state)
{
	char args[512], err[256];

	(void)state;
	snprintf(sock, sizeof(sock), "/run/ss-unmap-test-%d.sock", (int)getpid());
	snprintf(args, sizeof(args),
		 "--no-huge -m 128 --no-pci --file-prefix ssunmap%d --log-level=error "
		 "--vdev=net_memif0,role=server,socket=%s,id=0 "
		 "--vdev=net_memif1,role=client,socket=%s,id=0", (int)getpid(), sock, sock);
	if (eal_setup(args, 0, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	pool = rte_pktmbuf_pool_create("unmap", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL || rte_eth_dev_count_avail() != 2)
		return -1;
	port_setup(SERVER);
	port_setup(CLIENT);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rte_eth_dev_stop(CLIENT);
	rte_eth_dev_stop(SERVER);
	rte_eth_dev_close(CLIENT);
	rte_eth_dev_close(SERVER);
	rte_mempool_free(pool);
	eal_teardown();
	unlink(sock);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disconnect_waits_for_the_reader),
		cmocka_unit_test(test_offline_reader_does_not_delay),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
