/* SPDX-License-Identifier: BSD-3-Clause */
/* The transports by name, for --transport. */
#include <string.h>

#include "lg_transport.h"

const struct lg_transport *lg_transport_find(const char *name)
{
	static const struct lg_transport *const all[] = { &lg_transport_kernel, &lg_transport_dpdk };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(name, all[i]->name) == 0)
			return all[i];
	return NULL;
}
