/* SPDX-License-Identifier: BSD-3-Clause */
#include "platform/splitargs.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct sbuf {
	char *p;
	size_t len, cap;
};

static int sbuf_put(struct sbuf *b, char c)
{
	if (b->len + 1 >= b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 32;
		char *p = realloc(b->p, cap);
		if (p == NULL)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
	return 0;
}

/*
 * One argument starting at *pp (not a blank); advances *pp past it. The
 * state machine of Redis's sdssplitargs: a quote may open anywhere in an
 * argument ("foo"bar" is one), and a closing quote must be followed by a
 * blank or the end.
 */
static int one_arg(const char **pp, struct sbuf *b)
{
	const char *p = *pp;
	int inq = 0, insq = 0, done = 0, rc = 0;

	while (!done && rc == 0) {
		if (inq) {
			if (*p == '\\' && p[1] == 'x' && splitargs_is_hex(p[2]) && splitargs_is_hex(p[3])) {
				rc = sbuf_put(b, (char)(splitargs_hex_val(p[2]) * 16 + splitargs_hex_val(p[3])));
				p += 3;
			} else if (*p == '\\' && p[1] != '\0') {
				p++;
				rc = sbuf_put(b, splitargs_unescape(*p));
			} else if (*p == '"') {
				if (p[1] != '\0' && !isspace((unsigned char)p[1]))
					return -EINVAL;
				done = 1;
			} else if (*p == '\0') {
				return -EINVAL;
			} else {
				rc = sbuf_put(b, *p);
			}
		} else if (insq) {
			if (*p == '\\' && p[1] == '\'') {
				p++;
				rc = sbuf_put(b, '\'');
			} else if (*p == '\'') {
				if (p[1] != '\0' && !isspace((unsigned char)p[1]))
					return -EINVAL;
				done = 1;
			} else if (*p == '\0') {
				return -EINVAL;
			} else {
				rc = sbuf_put(b, *p);
			}
		} else {
			switch (*p) {
			case ' ': case '\n': case '\r': case '\t': case '\0':
				done = 1;
				break;
			case '"':
				inq = 1;
				break;
			case '\'':
				insq = 1;
				break;
			default:
				rc = sbuf_put(b, *p);
				break;
			}
		}
		if (*p != '\0')
			p++;
	}
	*pp = p;
	/* An empty quoted argument ("") is still an argument. */
	if (rc == 0 && b->p == NULL && (rc = sbuf_put(b, 'x')) == 0)
		b->p[--b->len] = '\0';
	return rc;
}

int splitargs(const char *line, char ***argvp)
{
	char **argv = NULL;
	int argc = 0, rc = 0;

	for (const char *p = line;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		struct sbuf b = { 0 };
		char **nv = realloc(argv, sizeof(*argv) * (size_t)(argc + 1));
		if (nv == NULL) {
			rc = -ENOMEM;
			break;
		}
		argv = nv;
		if ((rc = one_arg(&p, &b)) < 0) {
			free(b.p);
			break;
		}
		argv[argc++] = b.p;
	}
	if (rc < 0) {
		splitargs_free(argv, argc);
		return rc;
	}
	*argvp = argv;
	return argc;
}

void splitargs_free(char **argv, int argc)
{
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}
