/* SPDX-License-Identifier: BSD-3-Clause */
#include "lg_zipf.h"

#include <errno.h>
#include <math.h>

double lg_zeta(uint64_t n, double theta)
{
	double sum = 0;

	/* Smallest terms first: less rounding error over millions of terms. */
	for (uint64_t k = n; k >= 1; k--)
		sum += 1.0 / pow((double)k, theta);
	return sum;
}

int lg_zipf_init(struct lg_zipf *z, uint64_t n, double theta)
{
	double zeta2;

	if (n == 0 || !(theta > 0 && theta < 1))
		return -EINVAL;
	z->n = n;
	z->theta = theta;
	z->zetan = lg_zeta(n, theta);
	zeta2 = lg_zeta(2, theta);
	z->alpha = 1.0 / (1.0 - theta);
	z->eta = (1.0 - pow(2.0 / (double)n, 1.0 - theta)) / (1.0 - zeta2 / z->zetan);
	z->half_pow_theta = pow(0.5, theta);
	return 0;
}
