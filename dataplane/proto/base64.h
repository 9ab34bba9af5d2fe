/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Base64 (RFC 4648 alphabet, '=' padding) for memcached meta keys (the 'b'
 * flag). Decoding follows memcached 1.6 base64.c so the same keys are
 * accepted: bytes outside the alphabet are skipped, the rest must be a
 * non-zero multiple of 4 characters, and decoding stops after the first
 * padded block. Pure functions; any core.
 */
#ifndef SS_PROTO_BASE64_H
#define SS_PROTO_BASE64_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes base64_encode() writes for n input bytes. */
#define BASE64_ENCODED_LEN(n) (((n) + 2) / 3 * 4)

/* Decode src[0..len) into out (room for len bytes is always enough).
 * Returns the decoded length, 0 when the input is not valid base64. */
size_t base64_decode(const char *src, size_t len, char *out);

/* Encode src[0..len) into out (BASE64_ENCODED_LEN(len) bytes, no NUL).
 * Returns the encoded length. */
size_t base64_encode(const char *src, size_t len, char *out);

#ifdef __cplusplus
}
#endif

#endif
