/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A memif peer that leaves must not crash the workers.
 *
 * DPDK 22.11's memif PMD handles a disconnect on the EAL interrupt thread:
 * memif_disconnect clears the port's "connected" flag and at once unmaps the
 * shared regions (memif_free_regions). A worker that passed its check of that
 * flag a moment earlier is still inside rte_eth_rx_burst/tx_burst, reading
 * the rings it just lost: SIGSEGV in librte_net_memif. The driver offers no
 * hook between the two steps, and the Debian package is what we build on.
 *
 * So the binary interposes munmap (exported from the executable, which
 * comes first in the global symbol scope the dlopen'd PMD resolves in): an
 * unmap that the memif PMD asks for on the interrupt thread first waits for
 * a QSBR grace period. A worker announces a quiescent state only between
 * loop iterations (or sleeps offline), so after the grace period every burst
 * that could have seen "connected" has returned, and every later burst sees
 * the flag cleared. Every unmap then goes on to the next munmap in the
 * scope (libc's, or a sanitizer's interceptor).
 */
#include "platform/eal_unmap.h"

#include <dlfcn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_interrupts.h>
#include <urcu-qsbr.h>

typedef int (*munmap_fn)(void *, size_t);

static munmap_fn next_munmap;
static int armed;
static unsigned long waits;

/* Before main: dlsym may allocate, and an allocator's munmap meanwhile takes the syscall. */
__attribute__((constructor)) static void find_next_munmap(void)
{
	__atomic_store_n(&next_munmap, (munmap_fn)dlsym(RTLD_NEXT, "munmap"), __ATOMIC_RELEASE);
}

void eal_unmap_guard_arm(void)
{
	__atomic_store_n(&armed, 1, __ATOMIC_RELEASE);
}

unsigned long eal_unmap_guard_waits(void)
{
	return __atomic_load_n(&waits, __ATOMIC_RELAXED);
}

/* Is the code at pc in the memif PMD? Only its unmaps need the wait. */
static int from_memif(const void *pc)
{
	Dl_info di;

	return dladdr(pc, &di) != 0 && di.dli_fname != NULL &&
	       strstr(di.dli_fname, "net_memif") != NULL;
}

int munmap(void *addr, size_t len)
{
	if (__atomic_load_n(&armed, __ATOMIC_ACQUIRE) && rte_thread_is_intr() &&
	    from_memif(__builtin_return_address(0))) {
		/* the interrupt thread is no QSBR reader: it may wait here */
		synchronize_rcu();
		__atomic_add_fetch(&waits, 1, __ATOMIC_RELAXED);
	}
	munmap_fn next = __atomic_load_n(&next_munmap, __ATOMIC_ACQUIRE);
	return next != NULL ? next(addr, len) : (int)syscall(SYS_munmap, addr, len);
}
