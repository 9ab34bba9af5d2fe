/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Options: values of the table in opt_table.h, set from defaults, a
 * redis.conf-style file (`name value` per line) and the command line
 * (`--name value`), in that order of precedence (command line wins).
 *
 * Values are set at start-up on the main thread; later writes (CONFIG SET)
 * happen only on the management core. Readers on workers read scalars.
 */
#ifndef SS_PLATFORM_OPT_H
#define SS_PLATFORM_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "platform/opt_table.h"

#ifdef __cplusplus
extern "C" {
#endif

enum opt_type {
	OPT_INT, OPT_BYTES, OPT_BOOL, OPT_ENUM, OPT_STR, OPT_FILENAME,
	OPT_IPV4, OPT_NETMASK, OPT_ADDR,
};

#define OPT_F_MUTABLE 0x1
#define OPT_F_SECRET  0x2

enum opt_id {
#define OPT_ID_(id, ...) OPT_##id,
	SS_OPTIONS(OPT_ID_)
#undef OPT_ID_
	OPT__COUNT
};

/* What opt_parse_cmdline() asks the caller to do. */
enum opt_action { OPT_RUN = 0, OPT_HELP, OPT_VERSION };

/* Reset every option to its default. Returns SS_OK or -ENOMEM. */
int opt_setup(void);
void opt_teardown(void);

/* The option called `name` (case-insensitive), or -1. */
int opt_find(const char *name);
const char *opt_name(enum opt_id id);
enum opt_type opt_type_of(enum opt_id id);
unsigned opt_flags(enum opt_id id);
const char *opt_default(enum opt_id id);
const char *opt_description(enum opt_id id);

/*
 * Validate and store one value. On error returns -EINVAL and writes into err
 * what is wrong and what is accepted, e.g. "'abc' is not an integer from 0 to
 * 65535" (without the option name; callers add where it came from).
 */
int opt_set(enum opt_id id, const char *value, char *err, size_t errlen);

/*
 * Parse config text (the content of a file). origin names it in errors.
 * On error returns -EINVAL and err holds one line "origin:LINE: ...".
 */
int opt_load_text(const char *text, const char *origin, char *err, size_t errlen);
int opt_load_file(const char *path, char *err, size_t errlen);

/*
 * The command line: `slipstream [CONFIG-FILE] [--config FILE] [--name value]...
 * [--help] [--version]`. The file is read first, then --name options override.
 * Returns OPT_RUN/OPT_HELP/OPT_VERSION, or -EINVAL with one line in err.
 */
int opt_parse_cmdline(int argc, char **argv, char *err, size_t errlen);

/* Typed readers; calling the wrong one for an option's type aborts. */
/* Bumped by every opt_set(): hot paths cache option values and reload
 * them when it moves (a relaxed load and a compare per use). */
extern unsigned opt_gen;
static inline unsigned opt_generation(void)
{
	return __atomic_load_n(&opt_gen, __ATOMIC_ACQUIRE);
}

long long opt_int(enum opt_id id);         /* OPT_INT, OPT_BYTES */
bool opt_bool(enum opt_id id);
int opt_enum(enum opt_id id);              /* index into the choices */
const char *opt_str(enum opt_id id);       /* OPT_STR, OPT_FILENAME, OPT_ADDR */
uint32_t opt_ipv4(enum opt_id id);         /* host byte order */

/*
 * Mutable string options are replaced at run time (CONFIG SET frees the old
 * value). The thread that sets them holds opt_lock_strings(); any other
 * thread reads them through these (or under the lock), never by keeping
 * opt_str()'s pointer.
 */
void opt_lock_strings(void);
void opt_unlock_strings(void);
/* A copy into buf (truncated to len - 1 bytes); returns the full length. */
size_t opt_str_copy(enum opt_id id, char *buf, size_t len);
/* Is the value exactly these n bytes? In time independent of where they
 * differ (passwords). */
bool opt_str_equals_secret(enum opt_id id, const void *p, size_t n);
/* A password against a password option (requirepass): an empty option
 * takes any password (Redis's nopass), else opt_str_equals_secret. */
bool opt_password_ok(enum opt_id id, const void *p, size_t n);

/* The current value as text, as CONFIG GET shows it. Returns its length. */
size_t opt_format(enum opt_id id, char *buf, size_t len);

void opt_print_help(FILE *out, const char *prog);

#ifdef __cplusplus
}
#endif

#endif
