/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Split one line into arguments the way redis.conf lines are split (Redis's
 * sdssplitargs): blanks separate, "double quotes" take \n \r \t \b \a \\ \"
 * and \xHH escapes, 'single quotes' take \'. A closing quote must be
 * followed by a blank or the end of the line.
 */
#ifndef SS_PLATFORM_SPLITARGS_H
#define SS_PLATFORM_SPLITARGS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

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
