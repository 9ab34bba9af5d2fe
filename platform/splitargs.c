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

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

static char unescape(char c)
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

/* One argument starting at *pp; advances *pp past it. */
static int one_arg(const char **pp, struct sbuf *b)
{
	const char *p = *pp;
	char quote = 0;
	int rc = 0;

	if (*p == '"' || *p == '\'')
		quote = *p++;
	for (;;) {
		if (*p == '\0') {
			if (quote)
				return -EINVAL;
			break;
		}
		if (!quote && isspace((unsigned char)*p))
			break;
		if (quote && *p == quote) {
			p++;
			if (*p != '\0' && !isspace((unsigned char)*p))
				return -EINVAL;
			break;
		}
		char c = *p++;
		if (quote == '"' && c == '\\' && *p == 'x' &&
		    hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			c = (char)(hexval(p[1]) * 16 + hexval(p[2]));
			p += 3;
		} else if (quote == '"' && c == '\\' && *p != '\0') {
			c = unescape(*p++);
		} else if (quote == '\'' && c == '\\' && *p == '\'') {
			c = *p++;
		}
		if ((rc = sbuf_put(b, c)) < 0)
			return rc;
	}
	*pp = p;
	/* An empty quoted argument ("") is still an argument. */
	if (b->p == NULL && (rc = sbuf_put(b, 'x')) == 0)
		b->p[--b->len] = '\0';
	return rc < 0 ? rc : 0;
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
