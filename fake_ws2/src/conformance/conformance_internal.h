/* conformance_internal.h: what the conformance suite's files share: the
 * context of one check (the entries under test, what it opened, its
 * result) and the helpers the checks are written in (internal).
 *
 * conformance.c owns the runner, the CMocka wrappers and the helpers;
 * conformance_data.c the checks of data transfer (catalog, streams,
 * datagrams, overlapped, ReadFile/WriteFile, close with I/O in flight);
 * conformance_ready.c those of readiness and accepting (select, event
 * select, async select, conditional accept). */
#ifndef FWS2_CONFORMANCE_INTERNAL_H
#define FWS2_CONFORMANCE_INTERNAL_H

#include <winsock2.h>
#include <ws2tcpip.h>

#include <fws2/conformance.h>

#define CK_MAX_SOCKS   16
#define CK_MAX_HANDLES 8

typedef struct ck {
  WSAPROTOCOL_INFOW tcp, udp;
  DWORD wait; /* ms */
  fws2_conformance_result *r;
  SOCKET socks[CK_MAX_SOCKS];
  int nsocks;
  HANDLE handles[CK_MAX_HANDLES]; /* events and ports */
  int nhandles;
  HANDLE threads[4];
  int nthreads;
} ck;

/* Records the failure (the first one wins). */
void ck_fail(ck *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void ck_skip(ck *c, const char *why);
BOOL ck_failed(const ck *c);

/* Fails the check and returns from it when cond is false. */
#define CK_EXPECT(c, cond, ...)                                                \
  do {                                                                         \
    if (!(cond)) {                                                             \
      ck_fail((c), __VA_ARGS__);                                               \
      return;                                                                  \
    }                                                                          \
  } while (0)

/* A socket from the entry under test (SOCK_STREAM: tcp, else udp), kept
 * for the end of the check; INVALID_SOCKET after recording a failure. */
SOCKET ck_socket(ck *c, int type);
/* Closes s now (not at the end): closesocket's result. */
int ck_close(ck *c, SOCKET s);
/* A connected stream pair from the entry, through a listener on
 * 127.0.0.1: FALSE after recording a failure. */
BOOL ck_pair(ck *c, SOCKET *client, SOCKET *server);
/* A socket bound to 127.0.0.1 port 0 and its address. */
SOCKET ck_bound(ck *c, int type, struct sockaddr_in *addr);
/* A manual-reset event / a completion port, kept for the end. */
HANDLE ck_event(ck *c);
HANDLE ck_port(ck *c);
/* A thread running fn(arg), joined at the end of the check (the handle
 * stays the check's), or NULL after recording a failure. */
HANDLE ck_thread(ck *c, LPTHREAD_START_ROUTINE fn, void *arg);
/* Waits up to the check's timeout for s to be readable: TRUE if it is. */
BOOL ck_readable(ck *c, SOCKET s);
/* Receives until want bytes came, the peer ended the stream or nothing
 * came within the timeout; returns the count. */
DWORD ck_recv_all(ck *c, SOCKET s, char *buf, DWORD want);
/* Printable excerpt of data for messages (static buffer). */
const char *ck_show(const char *data, DWORD len);

/* The checks. */
void ck_catalog(ck *c);
void ck_stream(ck *c);
void ck_stream_shutdown(ck *c);
void ck_datagram(ck *c);
void ck_overlapped_event(ck *c);
void ck_overlapped_routine(ck *c);
void ck_overlapped_port(ck *c);
void ck_select(ck *c);
void ck_event_select(ck *c);
void ck_async_select(ck *c);
void ck_conditional_accept(ck *c);
void ck_readfile_writefile(ck *c);
void ck_close_inflight(ck *c);

#endif /* FWS2_CONFORMANCE_INTERNAL_H */
