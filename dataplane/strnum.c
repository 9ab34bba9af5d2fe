/* SPDX-License-Identifier: BSD-3-Clause */
#include "dataplane/strnum.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ss_string2ll(const char *s, size_t len, long long *v)
{
	size_t i = 0;
	bool neg = false;
	unsigned long long u;

	if (len == 0 || len >= SS_LONG_STR_SIZE)
		return false;
	if (len == 1 && s[0] == '0') {
		*v = 0;
		return true;
	}
	if (s[0] == '-') {
		neg = true;
		if (++i == len)
			return false;
	}
	/* The first digit is 1-9: "0" alone was handled, "01" and "-0" are not numbers. */
	if (s[i] < '1' || s[i] > '9')
		return false;
	u = (unsigned long long)(s[i++] - '0');
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (u > ULLONG_MAX / 10 || u * 10 > ULLONG_MAX - d)
			return false;
		u = u * 10 + d;
	}
	if (i < len)
		return false;
	if (neg) {
		if (u > (unsigned long long)LLONG_MAX + 1)
			return false;
		*v = u == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)u;
	} else {
		if (u > LLONG_MAX)
			return false;
		*v = (long long)u;
	}
	return true;
}

bool ss_string2ld(const char *s, size_t len, long double *v)
{
	char buf[SS_LONG_DOUBLE_CHARS];
	char *end;
	long double x;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	x = strtold(buf, &end);
	if (isspace((unsigned char)buf[0]) || *end != '\0' ||
	    (errno == ERANGE && (x == HUGE_VALL || x == -HUGE_VALL || fpclassify(x) == FP_ZERO)) ||
	    errno == EINVAL || isnan(x))
		return false;
	*v = x;
	return true;
}

size_t ss_ld2string_human(char *buf, size_t cap, long double v)
{
	int n;
	size_t l;

	/* libcs differ on infinities: spelled out as Redis does. */
	if (isinf(v)) {
		n = snprintf(buf, cap, "%s", v > 0 ? "inf" : "-inf");
		return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
	}
	/* 17 digits: small decimals the user typed read back the same. */
	n = snprintf(buf, cap, "%.17Lf", v);
	if (n < 0 || (size_t)n + 1 > cap)
		return 0;
	l = (size_t)n;
	if (memchr(buf, '.', l) != NULL) {
		while (buf[l - 1] == '0')
			l--;
		if (buf[l - 1] == '.')
			l--;
	}
	if (l == 2 && buf[0] == '-' && buf[1] == '0') {
		buf[0] = '0';
		l = 1;
	}
	buf[l] = '\0';
	return l;
}
