/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Split one line into arguments the way redis.conf lines are split (Redis's
 * sdssplitargs): blanks separate, "double quotes" take \n \r \t \b \a \\ \"
 * and \xHH escapes, 'single quotes' take \'. A closing quote must be
 * followed by a blank or the end of the line.
 */
#ifndef SS_PLATFORM_SPLITARGS_H
#define SS_PLATFORM_SPLITARGS_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The character rules of sdssplitargs, shared with the RESP inline parser. */
static inline bool splitargs_is_hex(char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static inline int splitargs_hex_val(char c)   /* c must be a hex digit */
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* The byte a backslash escape inside "double quotes" stands for. */
static inline char splitargs_unescape(char c)
{
	switch (c) {
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'b': return '\b';
	case 'a': return '\a';
	default: return c;
	}
}

/*
 * Returns the number of arguments (argv[] are malloc'ed, free with
 * splitargs_free), or -EINVAL for unbalanced quotes, -ENOMEM.
 */
int splitargs(const char *line, char ***argv);
void splitargs_free(char **argv, int argc);

#ifdef __cplusplus
}
#endif

#endif
