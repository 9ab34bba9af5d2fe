/* SPDX-License-Identifier: BSD-3-Clause */
#include "platform/opt.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "platform/splitargs.h"
#include "platform/status.h"

struct opt_desc {
	const char *name;
	enum opt_type type;
	const char *def;
	long long lo, hi;
	const char *choices;
	unsigned flags;
	const char *desc;
};

static const struct opt_desc opts[OPT__COUNT] = {
#define OPT_DESC_(id, name, type, def, lo, hi, choices, flags, desc) \
	[OPT_##id] = { name, type, def, lo, hi, choices, flags, desc },
	SS_OPTIONS(OPT_DESC_)
#undef OPT_DESC_
};

/* Parsed values: numbers, enum index and IPv4 in num; text forms in str. */
struct opt_val {
	long long num;
	char *str;
};

static struct opt_val vals[OPT__COUNT];

static void errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int opt_find(const char *name)
{
	for (int i = 0; i < OPT__COUNT; i++)
		if (strcasecmp(name, opts[i].name) == 0)
			return i;
	return -1;
}

const char *opt_name(enum opt_id id) { return opts[id].name; }
enum opt_type opt_type_of(enum opt_id id) { return opts[id].type; }
unsigned opt_flags(enum opt_id id) { return opts[id].flags; }
const char *opt_default(enum opt_id id) { return opts[id].def; }
const char *opt_description(enum opt_id id) { return opts[id].desc; }

/* Index of `s` in "a|b|c" (case-insensitive), or -1. */
static int choice_index(const char *choices, const char *s)
{
	size_t n = strlen(s);
	int i = 0;

	for (const char *p = choices; *p; i++) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && strncasecmp(p, s, n) == 0)
			return i;
		if (bar == NULL)
			break;
		p = bar + 1;
	}
	return -1;
}

/* The i-th choice into buf. */
static void choice_at(const char *choices, int i, char *buf, size_t len)
{
	const char *p = choices;

	while (i-- > 0 && (p = strchr(p, '|')) != NULL)
		p++;
	size_t n = p ? strcspn(p, "|") : 0;
	if (n >= len)
		n = len - 1;
	memcpy(buf, p ? p : "", n);
	buf[n] = '\0';
}

/* A whole decimal integer, no junk, no overflow. */
static int parse_ll(const char *s, long long *out)
{
	char *end;

	if (*s == '\0' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	*out = v;
	return 0;
}

/* redis.conf memory notation: 1k = 1000, 1kb = 1024, likewise m/mb, g/gb. */
static int parse_bytes(const char *s, long long *out)
{
	static const struct { const char *unit; long long mul; } units[] = {
		{ "", 1 }, { "b", 1 },
		{ "k", 1000 }, { "kb", 1024 },
		{ "m", 1000 * 1000 }, { "mb", 1024 * 1024 },
		{ "g", 1000LL * 1000 * 1000 }, { "gb", 1024LL * 1024 * 1024 },
	};
	size_t digits = strspn(s, "0123456789");
	char num[24];

	if (digits == 0 || digits >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, digits);
	num[digits] = '\0';
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		long long v;
		if (strcasecmp(s + digits, units[i].unit) != 0)
			continue;
		if (parse_ll(num, &v) < 0 || v > LLONG_MAX / units[i].mul)
			return -EINVAL;
		*out = v * units[i].mul;
		return 0;
	}
	return -EINVAL;
}

static int parse_ipv4(const char *s, long long *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*out = ntohl(a.s_addr);
	return 0;
}

/* Validate `value` for option d; the parsed number (if any) goes to *num. */
static int validate(const struct opt_desc *d, const char *value, long long *num,
		    char *err, size_t errlen)
{
	*num = 0;
	switch (d->type) {
	case OPT_INT:
		if (parse_ll(value, num) < 0 || *num < d->lo || *num > d->hi) {
			errf(err, errlen, "'%s' is not an integer from %lld to %lld",
			     value, d->lo, d->hi);
			return -EINVAL;
		}
		return 0;
	case OPT_BYTES:
		if (parse_bytes(value, num) < 0 || *num < d->lo || *num > d->hi) {
			errf(err, errlen, "'%s' is not a size from %lld to %lld bytes "
			     "(a number with an optional k, kb, m, mb, g or gb suffix)",
			     value, d->lo, d->hi);
			return -EINVAL;
		}
		return 0;
	case OPT_BOOL:
		*num = choice_index("no|yes", value);
		if (*num < 0) {
			errf(err, errlen, "'%s' is not yes or no", value);
			return -EINVAL;
		}
		return 0;
	case OPT_ENUM:
		*num = choice_index(d->choices, value);
		if (*num < 0) {
			errf(err, errlen, "'%s' is not one of %s", value, d->choices);
			return -EINVAL;
		}
		return 0;
	case OPT_STR:
		return 0;
	case OPT_FILENAME:
		if (*value == '\0' || strchr(value, '/') != NULL) {
			errf(err, errlen, "'%s' is not a plain file name "
			     "(a name without '/'; the directory is set by dir)", value);
			return -EINVAL;
		}
		return 0;
	case OPT_IPV4:
		if (parse_ipv4(value, num) < 0) {
			errf(err, errlen, "'%s' is not an IPv4 address (a.b.c.d)", value);
			return -EINVAL;
		}
		return 0;
	case OPT_NETMASK: {
		unsigned long long inv;
		if (parse_ipv4(value, num) < 0)
			goto bad_mask;
		/* Contiguous: the inverted mask plus one is a power of two. */
		inv = (~(unsigned long long)*num & 0xffffffffULL) + 1;
		if ((inv & (inv - 1)) != 0)
			goto bad_mask;
		return 0;
bad_mask:
		errf(err, errlen, "'%s' is not a contiguous IPv4 netmask "
		     "(e.g. 255.255.255.0)", value);
		return -EINVAL;
	}
	case OPT_ADDR: {
		unsigned char buf[16];
		if (inet_pton(AF_INET, value, buf) == 1 ||
		    inet_pton(AF_INET6, value, buf) == 1)
			return 0;
		errf(err, errlen, "'%s' is not an IPv4 or IPv6 address", value);
		return -EINVAL;
	}
	}
	errf(err, errlen, "unknown option type");
	return -EINVAL;
}

unsigned opt_gen;

int opt_set(enum opt_id id, const char *value, char *err, size_t errlen)
{
	long long num;
	char *copy;
	int rc;

	if ((unsigned)id >= OPT__COUNT) {
		errf(err, errlen, "no such option");
		return -EINVAL;
	}
	if ((rc = validate(&opts[id], value, &num, err, errlen)) < 0)
		return rc;
	if ((copy = strdup(value)) == NULL) {
		errf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	free(vals[id].str);
	vals[id].str = copy;
	vals[id].num = num;
	__atomic_store_n(&opt_gen, opt_gen + 1, __ATOMIC_RELEASE);
	return SS_OK;
}

int opt_setup(void)
{
	char err[256];

	for (int i = 0; i < OPT__COUNT; i++) {
		int rc = opt_set((enum opt_id)i, opts[i].def, err, sizeof(err));
		if (rc < 0)
			return rc;  /* a bad default is a bug; unit tests catch it */
	}
	return SS_OK;
}

void opt_teardown(void)
{
	for (int i = 0; i < OPT__COUNT; i++) {
		free(vals[i].str);
		vals[i].str = NULL;
	}
}

/* One "name value" config line, already split. */
static int apply_line(char **argv, int argc, char *err, size_t errlen)
{
	int id = opt_find(argv[0]);
	char why[200];

	if (id < 0) {
		errf(err, errlen, "unknown option '%s' (slipstream --help lists them)",
		     argv[0]);
		return -EINVAL;
	}
	if (argc != 2) {
		errf(err, errlen, "%s: expects exactly one value, got %d "
		     "(quote a value that has spaces)", opts[id].name, argc - 1);
		return -EINVAL;
	}
	if (opt_set((enum opt_id)id, argv[1], why, sizeof(why)) < 0) {
		errf(err, errlen, "%s: %s", opts[id].name, why);
		return -EINVAL;
	}
	return SS_OK;
}

int opt_load_text(const char *text, const char *origin, char *err, size_t errlen)
{
	char msg[400];
	int lineno = 0, rc = SS_OK;

	for (const char *p = text; *p && rc == SS_OK;) {
		size_t n = strcspn(p, "\n");
		char *line = strndup(p, n), **argv;
		int argc;

		lineno++;
		p += n + (p[n] == '\n');
		if (line == NULL)
			return -ENOMEM;
		line[strcspn(line, "\r")] = '\0';
		/* Comments first: a comment may hold unbalanced quotes. */
		if (line[strspn(line, " \t")] == '#') {
			free(line);
			continue;
		}
		argc = splitargs(line, &argv);
		if (argc == -EINVAL) {
			errf(err, errlen, "%s:%d: unbalanced quotes", origin, lineno);
			rc = -EINVAL;
		} else if (argc < 0) {
			rc = argc;
		} else if (argc > 0) {
			if ((rc = apply_line(argv, argc, msg, sizeof(msg))) < 0)
				errf(err, errlen, "%s:%d: %s", origin, lineno, msg);
		}
		if (argc >= 0)
			splitargs_free(argv, argc);
		free(line);
	}
	return rc;
}

int opt_load_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (f == NULL) {
		errf(err, errlen, "%s: cannot open config file: %s", path, strerror(errno));
		return -EINVAL;
	}
	FILE *mem = open_memstream(&text, &len);
	char chunk[4096];
	size_t n;
	while (mem != NULL && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, mem);
	rc = ferror(f) ? -EIO : 0;
	fclose(f);
	if (mem == NULL || fclose(mem) != 0)
		rc = -ENOMEM;
	if (rc == 0 && strlen(text) != len) {
		errf(err, errlen, "%s: config file contains a NUL byte", path);
		rc = -EINVAL;
	} else if (rc == 0) {
		rc = opt_load_text(text, path, err, errlen);
	} else {
		errf(err, errlen, "%s: cannot read config file", path);
	}
	free(text);
	return rc;
}

int opt_parse_cmdline(int argc, char **argv, char *err, size_t errlen)
{
	const char *config = NULL;
	int first = 1, rc;
	char why[200];

	/* redis-server style: an optional config file as the first argument. */
	if (argc > 1 && strncmp(argv[1], "--", 2) != 0) {
		config = argv[1];
		first = 2;
	}
	/* Pass 1: actions and --config, so the file is read before overrides. */
	for (int i = first; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return OPT_HELP;
		if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-v") == 0)
			return OPT_VERSION;
		if (strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= argc) {
				errf(err, errlen, "--config: expects a file name");
				return -EINVAL;
			}
			config = argv[++i];
		}
	}
	if (config != NULL && (rc = opt_load_file(config, err, errlen)) < 0)
		return rc;
	/* Pass 2: --name value, each overriding the file. */
	for (int i = first; i < argc; i++) {
		const char *a = argv[i];
		int id;

		if (strcmp(a, "--config") == 0) {
			i++;
			continue;
		}
		if (strncmp(a, "--", 2) != 0 || (id = opt_find(a + 2)) < 0) {
			errf(err, errlen, "%s: unknown option (slipstream --help lists them)", a);
			return -EINVAL;
		}
		if (i + 1 >= argc) {
			errf(err, errlen, "%s: expects a value", a);
			return -EINVAL;
		}
		if (opt_set((enum opt_id)id, argv[++i], why, sizeof(why)) < 0) {
			errf(err, errlen, "--%s: %s", opts[id].name, why);
			return -EINVAL;
		}
	}
	return OPT_RUN;
}

static void check_type(enum opt_id id, unsigned mask)
{
	if (((1u << opts[id].type) & mask) == 0) {
		fprintf(stderr, "BUG: option %s read as the wrong type\n", opts[id].name);
		abort();
	}
}

long long opt_int(enum opt_id id)
{
	check_type(id, 1u << OPT_INT | 1u << OPT_BYTES);
	return vals[id].num;
}

bool opt_bool(enum opt_id id)
{
	check_type(id, 1u << OPT_BOOL);
	return vals[id].num != 0;
}

int opt_enum(enum opt_id id)
{
	check_type(id, 1u << OPT_ENUM);
	return (int)vals[id].num;
}

const char *opt_str(enum opt_id id)
{
	check_type(id, 1u << OPT_STR | 1u << OPT_FILENAME | 1u << OPT_ADDR);
	return vals[id].str;
}

static pthread_mutex_t strings_lock = PTHREAD_MUTEX_INITIALIZER;

void opt_lock_strings(void) { pthread_mutex_lock(&strings_lock); }
void opt_unlock_strings(void) { pthread_mutex_unlock(&strings_lock); }

size_t opt_str_copy(enum opt_id id, char *buf, size_t len)
{
	size_t n;

	opt_lock_strings();
	const char *v = opt_str(id);
	n = v != NULL ? strlen(v) : 0;
	if (len > 0) {
		size_t k = n < len - 1 ? n : len - 1;
		memcpy(buf, v != NULL ? v : "", k);
		buf[k] = '\0';
	}
	opt_unlock_strings();
	return n;
}

bool opt_str_equals_secret(enum opt_id id, const void *p, size_t n)
{
	const unsigned char *q = p;
	unsigned char diff = 0;
	bool same;

	opt_lock_strings();
	const char *v = opt_str(id);
	size_t vn = v != NULL ? strlen(v) : 0;
	if (vn != n) {
		same = false;
	} else {
		for (size_t i = 0; i < n; i++)
			diff |= (unsigned char)(v[i] ^ q[i]);
		same = diff == 0;
	}
	opt_unlock_strings();
	return same;
}

bool opt_password_ok(enum opt_id id, const void *p, size_t n)
{
	char one[2];

	if (opt_str_copy(id, one, sizeof(one)) == 0)
		return true;
	return opt_str_equals_secret(id, p, n);
}

uint32_t opt_ipv4(enum opt_id id)
{
	check_type(id, 1u << OPT_IPV4 | 1u << OPT_NETMASK);
	return (uint32_t)vals[id].num;
}

size_t opt_format(enum opt_id id, char *buf, size_t len)
{
	char tmp[64];
	const char *s = vals[id].str ? vals[id].str : "";

	switch (opts[id].type) {
	case OPT_INT:
	case OPT_BYTES:   /* CONFIG GET shows sizes in bytes, as Redis does */
		snprintf(tmp, sizeof(tmp), "%lld", vals[id].num);
		s = tmp;
		break;
	case OPT_BOOL:
	case OPT_ENUM:    /* canonical spelling, whatever case was given */
		choice_at(opts[id].type == OPT_BOOL ? "no|yes" : opts[id].choices,
			  (int)vals[id].num, tmp, sizeof(tmp));
		s = tmp;
		break;
	default:
		break;
	}
	return (size_t)snprintf(buf, len, "%s", s);
}

static const char *type_hint(const struct opt_desc *d, char *buf, size_t len)
{
	switch (d->type) {
	case OPT_INT: snprintf(buf, len, "%lld..%lld", d->lo, d->hi); break;
	case OPT_BYTES: snprintf(buf, len, "bytes[k|kb|m|mb|g|gb]"); break;
	case OPT_BOOL: snprintf(buf, len, "yes|no"); break;
	case OPT_ENUM: snprintf(buf, len, "%s", d->choices); break;
	case OPT_STR: snprintf(buf, len, "string"); break;
	case OPT_FILENAME: snprintf(buf, len, "filename"); break;
	case OPT_IPV4: case OPT_NETMASK: snprintf(buf, len, "a.b.c.d"); break;
	case OPT_ADDR: snprintf(buf, len, "address"); break;
	}
	return buf;
}

void opt_print_help(FILE *out, const char *prog)
{
	char hint[200];

	fprintf(out,
		"Usage: %s [CONFIG-FILE] [--config FILE] [--OPTION VALUE]... [--help] [--version]\n"
		"Options may also be set in a redis.conf-style file, one 'name value' per line;\n"
		"the command line overrides the file.\n\n", prog);
	for (int i = 0; i < OPT__COUNT; i++) {
		const struct opt_desc *d = &opts[i];
		fprintf(out, "  --%s <%s>\n      %s (default: \"%s\")\n", d->name,
			type_hint(d, hint, sizeof(hint)), d->desc, d->def);
	}
}
