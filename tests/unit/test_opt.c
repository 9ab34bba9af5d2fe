/* SPDX-License-Identifier: BSD-3-Clause */
/* Options: every type, bad values, config files with line numbers, the CLI. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>

#include "platform/opt.h"
#include "platform/splitargs.h"
#include "platform/status.h"

static char err[512];

static int setup(void **state)
{
	(void)state;
	err[0] = '\0';
	return opt_setup();
}

static int teardown(void **state)
{
	(void)state;
	opt_teardown();
	return 0;
}

static void test_defaults(void **state)
{
	char buf[128];

	(void)state;
	assert_int_equal(opt_int(OPT_port), 6379);
	assert_int_equal(opt_int(OPT_memcache_port), 11211);
	assert_int_equal(opt_int(OPT_metrics_port), 9121);
	assert_string_equal(opt_str(OPT_bind), "127.0.0.1");
	assert_int_equal(opt_enum(OPT_io), 0);
	assert_false(opt_bool(OPT_cpu_pin));
	assert_int_equal(opt_int(OPT_maxmemory), 0);
	assert_string_equal(opt_str(OPT_dbfilename), "dump.rdb");
	opt_format(OPT_maxmemory_policy, buf, sizeof(buf));
	assert_string_equal(buf, "noeviction");
	assert_int_equal(opt_ipv4(OPT_ip), 0xc6120002u);   /* 198.18.0.2 */
	/* Every option has a name, a description and a default that validates. */
	for (int i = 0; i < OPT__COUNT; i++) {
		assert_true(strlen(opt_name((enum opt_id)i)) > 0);
		assert_true(strlen(opt_description((enum opt_id)i)) > 10);
		assert_int_equal(opt_set((enum opt_id)i, opt_default((enum opt_id)i), err,
					 sizeof(err)), SS_OK);
		assert_int_equal(opt_find(opt_name((enum opt_id)i)), i);
	}
	assert_int_equal(opt_find("PORT"), OPT_port);
	assert_int_equal(opt_find("no-such-option"), -1);
}

static void test_int(void **state)
{
	(void)state;
	assert_int_equal(opt_set(OPT_port, "7000", err, sizeof(err)), SS_OK);
	assert_int_equal(opt_int(OPT_port), 7000);
	assert_int_equal(opt_set(OPT_port, "0", err, sizeof(err)), SS_OK);
	assert_int_equal(opt_set(OPT_port, "65535", err, sizeof(err)), SS_OK);
	const char *bad[] = { "65536", "-1", "abc", "", " 1", "1 ", "12x", "0x10",
			      "99999999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(opt_set(OPT_port, bad[i], err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "is not an integer from 0 to 65535"));
	}
	assert_int_equal(opt_int(OPT_port), 65535);   /* a bad value changes nothing */
}

static void test_bytes(void **state)
{
	static const struct { const char *in; long long out; } ok[] = {
		{ "0", 0 }, { "100", 100 }, { "1k", 1000 }, { "1kb", 1024 },
		{ "1K", 1000 }, { "1KB", 1024 }, { "2m", 2000000 }, { "2mb", 2097152 },
		{ "3g", 3000000000LL }, { "3gb", 3221225472LL }, { "5b", 5 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(opt_set(OPT_maxmemory, ok[i].in, err, sizeof(err)), SS_OK);
		assert_int_equal(opt_int(OPT_maxmemory), ok[i].out);
	}
	const char *bad[] = { "", "k", "1x", "1 kb", "-1", "1.5g", "1tb",
			      "99999999999999999gb" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(opt_set(OPT_maxmemory, bad[i], err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "k, kb, m, mb, g or gb"));
	}
}

static void test_bool_enum(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(opt_set(OPT_cpu_pin, "yes", err, sizeof(err)), SS_OK);
	assert_true(opt_bool(OPT_cpu_pin));
	assert_int_equal(opt_set(OPT_cpu_pin, "NO", err, sizeof(err)), SS_OK);
	assert_false(opt_bool(OPT_cpu_pin));
	assert_int_equal(opt_set(OPT_cpu_pin, "true", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'true' is not yes or no");

	assert_int_equal(opt_set(OPT_maxmemory_policy, "AllKeys-LRU", err, sizeof(err)), SS_OK);
	opt_format(OPT_maxmemory_policy, buf, sizeof(buf));
	assert_string_equal(buf, "allkeys-lru");
	assert_int_equal(opt_set(OPT_maxmemory_policy, "volatile-ttl", err, sizeof(err)), SS_OK);
	assert_int_equal(opt_enum(OPT_maxmemory_policy), 7);
	assert_int_equal(opt_set(OPT_maxmemory_policy, "lru", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "noeviction|allkeys-lru|allkeys-lfu|allkeys-random|"
				    "volatile-lru|volatile-lfu|volatile-random|volatile-ttl"));
	assert_int_equal(opt_set(OPT_io, "dpdk", err, sizeof(err)), SS_OK);
	assert_int_equal(opt_enum(OPT_io), 1);
	assert_int_equal(opt_set(OPT_io, "xdp", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'xdp' is not one of kernel|dpdk");
	assert_int_equal(opt_set(OPT_loglevel, "warning", err, sizeof(err)), SS_OK);
	assert_int_equal(opt_enum(OPT_loglevel), 3);
}

static void test_addresses(void **state)
{
	(void)state;
	assert_int_equal(opt_set(OPT_ip, "198.18.0.7", err, sizeof(err)), SS_OK);
	assert_int_equal(opt_ipv4(OPT_ip), 0xc6120007u);
	assert_int_equal(opt_set(OPT_ip, "198.18.0", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'198.18.0' is not an IPv4 address (a.b.c.d)");
	assert_int_equal(opt_set(OPT_ip, "::1", err, sizeof(err)), -EINVAL);
	assert_int_equal(opt_set(OPT_netmask, "255.255.0.0", err, sizeof(err)), SS_OK);
	assert_int_equal(opt_set(OPT_netmask, "0.0.0.0", err, sizeof(err)), SS_OK);
	assert_int_equal(opt_set(OPT_netmask, "255.255.255.255", err, sizeof(err)), SS_OK);
	assert_int_equal(opt_set(OPT_netmask, "255.0.255.0", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "contiguous"));
	assert_int_equal(opt_set(OPT_bind, "::1", err, sizeof(err)), SS_OK);
	assert_int_equal(opt_set(OPT_bind, "0.0.0.0", err, sizeof(err)), SS_OK);
	assert_int_equal(opt_set(OPT_bind, "localhost", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'localhost' is not an IPv4 or IPv6 address");
}

static void test_strings(void **state)
{
	(void)state;
	assert_int_equal(opt_set(OPT_requirepass, "", err, sizeof(err)), SS_OK);
	assert_string_equal(opt_str(OPT_requirepass), "");
	assert_int_equal(opt_set(OPT_requirepass, "s3cret with spaces", err, sizeof(err)), SS_OK);
	assert_string_equal(opt_str(OPT_requirepass), "s3cret with spaces");
	assert_int_equal(opt_set(OPT_dbfilename, "snap.rdb", err, sizeof(err)), SS_OK);
	assert_int_equal(opt_set(OPT_dbfilename, "/tmp/snap.rdb", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a plain file name"));
	assert_int_equal(opt_set(OPT_dbfilename, "", err, sizeof(err)), -EINVAL);
}

static void test_config_text(void **state)
{
	const char *text =
		"# a comment with an 'unbalanced quote\n"
		"   # indented comment\n"
		"\n"
		"port 7001\r\n"
		"maxmemory 2mb\n"
		"dpdk-args \"--no-huge -m 256 --vdev=net_null0\"\n"
		"requirepass 'it\\'s'\n"
		"logfile \"\"\n"
		"MAXMEMORY-POLICY allkeys-lfu\n";
	char buf[64];

	(void)state;
	assert_int_equal(opt_load_text(text, "t.conf", err, sizeof(err)), SS_OK);
	assert_int_equal(opt_int(OPT_port), 7001);
	assert_int_equal(opt_int(OPT_maxmemory), 2097152);
	assert_string_equal(opt_str(OPT_dpdk_args), "--no-huge -m 256 --vdev=net_null0");
	assert_string_equal(opt_str(OPT_requirepass), "it's");
	assert_string_equal(opt_str(OPT_logfile), "");
	opt_format(OPT_maxmemory_policy, buf, sizeof(buf));
	assert_string_equal(buf, "allkeys-lfu");
}

static void test_config_errors(void **state)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "port 1\nport abc\n", "t.conf:2: port: 'abc' is not an integer from 0 to 65535" },
		{ "\n\n\nprot 1\n", "t.conf:4: unknown option 'prot' (slipstream --help lists them)" },
		{ "port\n", "t.conf:1: port: expects exactly one value, got 0 (quote a value that has spaces)" },
		{ "dpdk-args --no-huge -m 512\n", "t.conf:1: dpdk-args: expects exactly one value, got 3 (quote a value that has spaces)" },
		{ "# ok\nrequirepass \"abc\n", "t.conf:2: unbalanced quotes" },
		{ "requirepass \"abc\"def\n", "t.conf:1: unbalanced quotes" },
		{ "io kernel\nio epoll\n", "t.conf:2: io: 'epoll' is not one of kernel|dpdk" },
		{ "maxmemory 10zb\n", "t.conf:1: maxmemory: '10zb' is not a size from 0 to 1125899906842624 bytes (a number with an optional k, kb, m, mb, g or gb suffix)" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(opt_load_text(cases[i].text, "t.conf", err, sizeof(err)), -EINVAL);
		assert_string_equal(err, cases[i].msg);
	}
}

static void test_config_file_and_cmdline(void **state)
{
	char path[] = "/tmp/ss-test-opt-XXXXXX";
	int fd = mkstemp(path);
	const char *text = "port 7100\nmemcache-port 7101\nloglevel warning\n";

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);

	/* The file first, then --name value overrides, whatever the order. */
	char *argv1[] = { "slipstream", "--port", "7200", "--config", path, NULL };
	assert_int_equal(opt_parse_cmdline(5, argv1, err, sizeof(err)), OPT_RUN);
	assert_int_equal(opt_int(OPT_port), 7200);
	assert_int_equal(opt_int(OPT_memcache_port), 7101);
	assert_int_equal(opt_enum(OPT_loglevel), 3);

	/* redis-server style: the file as the first argument. */
	char *argv2[] = { "slipstream", path, "--memcache-port", "0", NULL };
	assert_int_equal(opt_parse_cmdline(4, argv2, err, sizeof(err)), OPT_RUN);
	assert_int_equal(opt_int(OPT_port), 7100);
	assert_int_equal(opt_int(OPT_memcache_port), 0);

	char *argv3[] = { "slipstream", "--workers", "200", NULL };
	assert_int_equal(opt_parse_cmdline(3, argv3, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--workers: '200' is not an integer from 0 to 128");

	char *argv4[] = { "slipstream", "--wrokers", "2", NULL };
	assert_int_equal(opt_parse_cmdline(3, argv4, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--wrokers: unknown option (slipstream --help lists them)");

	char *argv5[] = { "slipstream", "--port", NULL };
	assert_int_equal(opt_parse_cmdline(2, argv5, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--port: expects a value");

	char *argv6[] = { "slipstream", "--port", "1", "--help", NULL };
	assert_int_equal(opt_parse_cmdline(4, argv6, err, sizeof(err)), OPT_HELP);
	char *argv7[] = { "slipstream", "--version", NULL };
	assert_int_equal(opt_parse_cmdline(2, argv7, err, sizeof(err)), OPT_VERSION);

	char *argv8[] = { "slipstream", "--config", "/nonexistent/x.conf", NULL };
	assert_int_equal(opt_parse_cmdline(3, argv8, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "/nonexistent/x.conf: cannot open config file"));

	/* Errors from a file name the file and the line. */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "port 1\nbind nowhere\n", 20), 20);
	close(fd);
	char *argv9[] = { "slipstream", "--config", path, NULL };
	assert_int_equal(opt_parse_cmdline(3, argv9, err, sizeof(err)), -EINVAL);
	char want[600];
	snprintf(want, sizeof(want), "%s:2: bind: 'nowhere' is not an IPv4 or IPv6 address", path);
	assert_string_equal(err, want);
	unlink(path);
}

static void test_help_lists_every_option(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	opt_print_help(f, "slipstream");
	fclose(f);
	for (int i = 0; i < OPT__COUNT; i++) {
		char want[128];
		snprintf(want, sizeof(want), "--%s <", opt_name((enum opt_id)i));
		assert_non_null(strstr(text, want));
		assert_non_null(strstr(text, opt_description((enum opt_id)i)));
	}
	assert_non_null(strstr(text, "(default: \"6379\")"));
	free(text);
}

static void test_splitargs(void **state)
{
	char **argv;
	int argc;

	(void)state;
	argc = splitargs("  set \"a b\\x41\\n\" 'c\\'d'  \"\" e ", &argv);
	assert_int_equal(argc, 5);
	assert_string_equal(argv[0], "set");
	assert_string_equal(argv[1], "a bA\n");
	assert_string_equal(argv[2], "c'd");
	assert_string_equal(argv[3], "");
	assert_string_equal(argv[4], "e");
	splitargs_free(argv, argc);
	assert_int_equal(splitargs("", &argv), 0);
	splitargs_free(argv, 0);
	assert_int_equal(splitargs("a \"b", &argv), -EINVAL);
	assert_int_equal(splitargs("a 'b'c", &argv), -EINVAL);
	assert_int_equal(splitargs("a 'b", &argv), -EINVAL);
	/* As sdssplitargs: a quote opens mid-argument; \v and \f do not end one. */
	argc = splitargs("foo\"bar baz\" x\vy\f", &argv);
	assert_int_equal(argc, 2);
	assert_string_equal(argv[0], "foobar baz");
	assert_string_equal(argv[1], "x\vy\f");
	splitargs_free(argv, argc);
	argc = splitargs("\"\\x4g\" '\\n'", &argv);   /* no valid hex: \x is just x */
	assert_int_equal(argc, 2);
	assert_string_equal(argv[0], "x4g");
	assert_string_equal(argv[1], "\\n");
	splitargs_free(argv, argc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_int, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bool_enum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_file_and_cmdline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_help_lists_every_option, setup, teardown),
		cmocka_unit_test(test_splitargs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
