/* SPDX-License-Identifier: BSD-3-Clause */
/* Key slots: Redis Cluster's CRC16 and hash-tag rules, the slot -> core split. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "storage/slot.h"

#define KEY(s) (s), strlen(s)

static void test_crc16_vectors(void **state)
{
	(void)state;
	/* The check value of CRC-16/XMODEM, which the cluster spec cites. */
	assert_int_equal(slot_crc16(KEY("123456789")), 0x31c3);
	assert_int_equal(slot_crc16("", 0), 0);
}

static void test_slots_match_redis(void **state)
{
	(void)state;
	/* Values from CLUSTER KEYSLOT on Redis 7. */
	assert_int_equal(slot_of_key(KEY("foo")), 12182);
	assert_int_equal(slot_of_key(KEY("bar")), 5061);
	assert_int_equal(slot_of_key(KEY("hello")), 866);
	assert_int_equal(slot_of_key(KEY("somekey")), 11058);
}

static void test_hash_tags(void **state)
{
	(void)state;
	assert_int_equal(slot_of_key(KEY("{user1000}.following")), slot_of_key(KEY("user1000")));
	assert_int_equal(slot_of_key(KEY("{user1000}.followers")), slot_of_key(KEY("user1000")));
	/* Only the first { and the first } after it count. */
	assert_int_equal(slot_of_key(KEY("foo{bar}{zap}")), slot_of_key(KEY("bar")));
	assert_int_equal(slot_of_key(KEY("foo{{bar}}zap")), slot_of_key(KEY("{bar")));
	/* An empty tag hashes the whole key; so does an unclosed one. */
	assert_int_equal(slot_of_key(KEY("foo{}{bar}")), slot_crc16(KEY("foo{}{bar}")) & 16383);
	assert_int_equal(slot_of_key(KEY("foo{bar")), slot_crc16(KEY("foo{bar")) & 16383);
	assert_int_equal(slot_of_key(KEY("}{")), slot_crc16(KEY("}{")) & 16383);
}

static void test_owner_split(void **state)
{
	unsigned count[4] = { 0 };

	(void)state;
	assert_int_equal(slot_table_setup(0), -22);
	assert_int_equal(slot_table_setup(4), 0);
	for (unsigned s = 0; s < SLOT_COUNT; s++) {
		unsigned o = slot_owner((uint16_t)s);
		assert_true(o < 4);
		count[o]++;
	}
	for (unsigned o = 0; o < 4; o++)
		assert_int_equal(count[o], SLOT_COUNT / 4);
	assert_int_equal(slot_owner(0), 0);
	assert_int_equal(slot_owner(SLOT_COUNT - 1), 3);
	assert_int_equal(slot_table_setup(3), 0);
	assert_int_equal(slot_owner(SLOT_COUNT - 1), 2);
	assert_int_equal(slot_owner_of_key(KEY("foo")), 12182UL * 3 / SLOT_COUNT);
	/* one core owns every key (its short cut), and a split after it hashes again */
	assert_int_equal(slot_table_setup(1), 0);
	assert_int_equal(slot_owner_of_key(KEY("foo")), 0);
	assert_int_equal(slot_owner_of_key(KEY("{user1000}.following")), 0);
	assert_int_equal(slot_table_setup(2), 0);
	assert_int_equal(slot_owner_of_key(KEY("foo")), 1);   /* slot 12182 of 16384 */
	assert_int_equal(slot_owner_of_key(KEY("bar")), 0);   /* slot 5061 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc16_vectors),
		cmocka_unit_test(test_slots_match_redis),
		cmocka_unit_test(test_hash_tags),
		cmocka_unit_test(test_owner_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
