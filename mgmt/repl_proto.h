/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a replica reads from its primary (Redis replication protocol), as
 * pure parsers over bytes: the handshake's reply lines, the RDB payload
 * after +FULLRESYNC, and the command stream's boundaries.
 *
 *   +PONG / +OK / -ERR ...            reply lines ("\n" alone: keepalive)
 *   +FULLRESYNC <replid> <offset>
 *   $<len>\r\n<len bytes>             payload from a file on disk
 *   $EOF:<mark40>\r\n<bytes><mark40>  diskless: ends at the mark
 *   *<n>\r\n$<l>\r\n<arg>\r\n ...     the command stream
 *
 * Every function works on any prefix: SS_NEED_MORE means "no decision
 * yet, nothing consumed" (the payload reader consumes as it goes).
 */
#ifndef SS_MGMT_REPL_PROTO_H
#define SS_MGMT_REPL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/repl.h"   /* REPL_ID_LEN: a replication id's hex digits */

#ifdef __cplusplus
extern "C" {
#endif

#define REPL_LINE_MAX  4096
#define REPL_MARK_LEN  40

/* One line: SS_OK with *line (not terminated), *len without "\r\n", and
 * *consumed; SS_NEED_MORE; -EPROTO when longer than REPL_LINE_MAX. An
 * empty line (a keepalive) comes back with *len 0. */
int repl_read_line(const char *p, size_t n, const char **line, size_t *len, size_t *consumed);

/* "+FULLRESYNC <replid> <offset>" into id (40 hex + NUL) and *offset;
 * -EINVAL when the line is anything else. */
int repl_parse_fullresync(const char *line, size_t len, char *id, int64_t *offset);

/* "+CONTINUE" or "+CONTINUE <replid>" (a primary that changed its id):
 * SS_OK with id filled ("" when absent); -EINVAL for anything else. */
int repl_parse_continue(const char *line, size_t len, char *id);

/* The RDB payload reader; zero it (or repl_payload_init) before the first byte. */
struct repl_payload {
	int state;                      /* internal */
	bool eof_form;                  /* $EOF:<mark> (diskless) */
	char mark[REPL_MARK_LEN];
	uint64_t left;                  /* $len form: bytes still to come */
	char tail[REPL_MARK_LEN];       /* EOF form: held back, may start the mark */
	size_t tail_len;
	uint64_t total;                 /* body bytes handed to the sink */
	char err[128];                  /* on an error: what */
};

/* Where the body bytes go (a temporary file): 0, or <0 to stop. */
typedef int (*repl_sink_fn)(void *arg, const char *p, size_t n);

void repl_payload_init(struct repl_payload *pl);
/*
 * Feed bytes. Returns SS_NEED_MORE (*consumed bytes were used; the rest,
 * a partial header line, must come again in front of the next bytes),
 * SS_OK (the payload is complete; *consumed bytes were its, the rest is
 * the command stream), or <0 (pl->err says why; a sink error is returned
 * as is). Body bytes are consumed as they come: only the header waits.
 */
int repl_payload_feed(struct repl_payload *pl, const char *p, size_t n, size_t *consumed,
		      repl_sink_fn sink, void *arg);

enum repl_cmd_kind {
	REPL_CMD_APPLY,     /* a command to run (SET, DEL, PEXPIREAT ...) */
	REPL_CMD_SKIP,      /* counted in the offset, nothing to run: PING, SELECT,
	                       MULTI, EXEC, REPLCONF (not GETACK), a bare newline */
	REPL_CMD_GETACK,    /* REPLCONF GETACK: answer REPLCONF ACK <offset> */
};

#define REPL_ARGS_MAX  (1024 * 1024)
#define REPL_BULK_MAX  (512ll * 1024 * 1024)

/* The command at the front of the stream: SS_OK with *len its bytes and
 * *kind; SS_NEED_MORE; -EPROTO when it is not a RESP array of bulks. */
int repl_stream_next(const char *p, size_t n, size_t *len, enum repl_cmd_kind *kind);

#ifdef __cplusplus
}
#endif

#endif
