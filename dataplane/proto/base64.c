/* SPDX-License-Identifier: BSD-3-Clause */
#include "dataplane/proto/base64.h"

#include <stdint.h>

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

#define SKIP 0x80

/* A character's 6-bit value; '=' counts as 0 (it is a padding slot); SKIP
 * for everything outside the alphabet. */
static uint8_t value_of(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return (uint8_t)(ch - 'A');
	if (ch >= 'a' && ch <= 'z')
		return (uint8_t)(ch - 'a' + 26);
	if (ch >= '0' && ch <= '9')
		return (uint8_t)(ch - '0' + 52);
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	if (ch == '=')
		return 0;
	return SKIP;
}

size_t base64_decode(const char *src, size_t len, char *out)
{
	size_t i, count = 0, o = 0;
	uint8_t block[4];
	int pad = 0;

	for (i = 0; i < len; i++)
		if (value_of((unsigned char)src[i]) != SKIP)
			count++;
	if (count == 0 || count % 4 != 0)
		return 0;
	count = 0;
	for (i = 0; i < len; i++) {
		uint8_t v = value_of((unsigned char)src[i]);

		if (v == SKIP)
			continue;
		if (src[i] == '=')
			pad++;
		block[count++] = v;
		if (count < 4)
			continue;
		/* Writes stay below i: each 4 characters read give 3 bytes. */
		out[o++] = (char)((block[0] << 2) | (block[1] >> 4));
		out[o++] = (char)((block[1] << 4) | (block[2] >> 2));
		out[o++] = (char)((block[2] << 6) | block[3]);
		count = 0;
		if (pad > 0) {
			if (pad > 2)
				return 0;   /* "A===" and the like */
			o -= (size_t)pad;
			break;
		}
	}
	return o;
}

size_t base64_encode(const char *src, size_t len, char *out)
{
	const unsigned char *in = (const unsigned char *)src;
	size_t i = 0, o = 0;

	for (; len - i >= 3; i += 3) {
		out[o++] = alphabet[in[i] >> 2];
		out[o++] = alphabet[((in[i] & 0x03) << 4) | (in[i + 1] >> 4)];
		out[o++] = alphabet[((in[i + 1] & 0x0f) << 2) | (in[i + 2] >> 6)];
		out[o++] = alphabet[in[i + 2] & 0x3f];
	}
	if (len - i == 1) {
		out[o++] = alphabet[in[i] >> 2];
		out[o++] = alphabet[(in[i] & 0x03) << 4];
		out[o++] = '=';
		out[o++] = '=';
	} else if (len - i == 2) {
		out[o++] = alphabet[in[i] >> 2];
		out[o++] = alphabet[((in[i] & 0x03) << 4) | (in[i + 1] >> 4)];
		out[o++] = alphabet[(in[i + 1] & 0x0f) << 2];
		out[o++] = '=';
	}
	return o;
}
