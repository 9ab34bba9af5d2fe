/* SPDX-License-Identifier: BSD-3-Clause */
/* The reference parser (mc_parse_ref.c): mc_parse() before its fast paths. */
#ifndef SS_TESTS_MC_PARSE_REF_H
#define SS_TESTS_MC_PARSE_REF_H

#include "dataplane/proto/mc_parse.h"

int mc_parse_ref(struct mc_req *r, const char *buf, size_t len,
		 size_t *consumed, const char **err);

#endif
