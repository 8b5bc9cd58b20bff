/* uvnet_internal.h: what the uvnet provider files share (internal).
 *
 * uvnet is one provider-wide critical section (un.lock) over plain data,
 * as memnet is, plus a libuv loop thread (uvnet_loop.c) that owns the
 * kernel sockets. Every entry point takes the lock, finds its socket
 * through the IFS handle's context (wsp_table) and keeps it until it
 * returns, except while blocked (wsp_waitq_wait) or while a synchronous
 * loop request runs (un_io_begin/un_io_end); the socket is pinned by a
 * reference meanwhile. The loop's callbacks (uvnet_stream.c,
 * uvnet_dgram.c) take the same lock, so the provider never waits for the
 * loop while holding it. Completions (wsp_notify_complete), event signals
 * and messages are issued under the lock, from either thread.
 *
 * One exception to "the loop does the I/O": a small stream send may be
 * written by the caller's thread itself (uvnet_stream.c, write_direct),
 * outside the lock, with the kernel socket kept by un_io_begin and the
 * stream's sending side owned (wbusy) meanwhile.
 *
 * A socket record is freed after its last reference: one for its handle
 * (until closesocket), one for the loop (until the kernel socket's closed
 * callback), one for a listener's queue holding it, one per call using it.
 *
 * Files: uvnet.c (startup, the socket table, WSPSocket, WSPCloseSocket,
 * names, the proc table), uvnet_addr.c (addresses, the
 * loopback rules, binding, address strings), uvnet_io.c (waiting, the
 * send/recv entry points, WSPGetOverlappedResult), uvnet_events.c
 * (readiness, WSPEventSelect, WSPAsyncSelect, WSPSelect), uvnet_stream.c
 * (stream data and its callbacks), uvnet_conn.c (listen, connect, accept,
 * shutdown, close, the connection callbacks), uvnet_dgram.c (datagrams
 * and their callbacks), uvnet_options.c (options and ioctls), uvnet_loop.c
 * and uvnet_loop_sock.c (the only <uv.h> users).
 */
#ifndef FWS2_UVNET_INTERNAL_H
#define FWS2_UVNET_INTERNAL_H

#include <winsock2.h>
#include <ws2spi.h>
#include <ws2tcpip.h>
#include <mswsock.h>

#include <fws2/uvnet.h>

#include "uvnet_loop.h"
#include "wsp_common.h"

/* Default SO_RCVBUF/SO_SNDBUF, as reported. */
#define UN_DEFAULT_BUF 65536
/* Bytes a socket holds above its SO_RCVBUF/SO_SNDBUF before receiving
 * pauses or sending waits: a stream's bytes arrive in blocks of up to
 * UVL_READ_BLOCK, and the loop writes while the caller copies. */
#define UN_BUF_SLACK (2 * 65536)
/* Largest stream send written by the caller's thread itself (see
 * uvnet_stream.c); larger ones are handed to the loop. */
#define UN_DIRECT_MAX 65536u
/* Largest backlog a listen keeps (SOMAXCONN's meaning). */
#define UN_BACKLOG_MAX 200

typedef struct un_socket un_socket;

/* Bytes received and not read yet: a block from the loop. */
typedef struct un_chunk {
  struct un_chunk *next;
  char *data; /* a block of the loop's (uvl_buf_free) */
  DWORD len, off;
} un_chunk;

/* A blocked stream receive offering its buffer to the loop (zero copy):
 * lives on the receiver's stack while s->reader points at it. */
typedef struct un_reader {
  char *buf;
  DWORD len;
  DWORD got; /* bytes the loop put there */
  BOOL lent; /* the loop is reading into it now */
} un_reader;

/* What a stream's buffer lent to the loop belongs to. */
enum { UN_LENT_NONE, UN_LENT_OP, UN_LENT_READER };

typedef enum un_state {
  UN_FRESH,      /* neither listening nor connected */
  UN_LISTENING,  /* stream */
  UN_CONNECTING, /* stream: the kernel's connect in progress */
  UN_CONNECTED   /* stream: connected; datagram: has a default peer */
} un_state;

struct un_socket {
  SOCKET handle; /* INVALID_SOCKET: a connection not accepted yet */
  DWORD slot;    /* in un.table, 0 when none */
  int refs;
  int af, type, protocol;
  WSAPROTOCOL_INFOW info;
  BOOL closed;
  BOOL nonblocking;
  wsp_waitq waiters;
  un_socket *all_prev, *all_next; /* every socket that has a handle */

  uvl_sock *io;  /* the kernel socket; NULL once its close was asked */
  int io_busy;   /* synchronous loop requests in flight */
  BOOL io_close; /* close it once they are done */
  BOOL io_reset; /* with a reset */
  BOOL loop_ref; /* the loop holds a reference (until closed) */

  BOOL bound;
  BOOL accepted;          /* shares its listener's port: not a binding */
  wsp_addr local, remote; /* as the application sees them */
  un_state state;

  /* Stream: bytes received, oldest first. */
  un_chunk *rq_head, *rq_tail;
  DWORD rq_bytes;
  BOOL paused;    /* the loop stopped reading: rq is full */
  BOOL fin;       /* the peer's FIN came after the last byte of rq */
  int conn_error; /* the connection is broken: everything fails */
  /* Zero copy: while nothing is queued, the loop reads straight into the
   * first pending overlapped receive's first buffer, or a blocked
   * receiver's (cb_lend, cb_filled). */
  int lent;        /* UN_LENT_* */
  wsp_op *lent_op; /* out of recvq once closesocket aborted it */
  BOOL lent_op_aborted;
  un_reader *reader;
  /* Stream and datagram: bytes handed to the loop, not written yet. */
  DWORD wpending;
  /* Stream: a send owns the sending side while it hands bytes over
   * (writing the kernel socket itself or copying outside the lock, and
   * waiting for room for the rest): nobody else sends meanwhile. */
  BOOL wbusy;
  BOOL fin_after; /* shutdown(SD_SEND) came meanwhile: FIN at the end */
  BOOL shut_send, shut_recv;
  BOOL connect_failed; /* the last connect failed (select's except set) */
  int connect_error;

  /* Listening: connections the kernel accepted, oldest first. */
  int backlog;
  un_socket *q_head, *q_tail;
  int q_len;
  un_socket *q_next;   /* a queued connection: the next one */
  un_socket *listener; /* a queued connection: whose queue holds it */

  /* Datagrams received, oldest first. */
  wsp_dgramq dq; /* each datagram's data a block of the loop's */

  wsp_opq recvq, sendq;
  wsp_events ev;

  wsp_opts opt; /* options (SO_CONDITIONAL_ACCEPT kept: see uvnet.c) */
};

typedef struct un_provider {
  CRITICAL_SECTION lock;
  LONG startups;
  WSPUPCALLTABLE up;
  uvl_loop *loop;
  BOOL driven; /* the loop is libwpu's I/O driver (wpu/iodriver.h) */
  wsp_table table;
  un_socket *all;
} un_provider;

extern un_provider un;

/* ---- uvnet.c ---- */

/* Takes the lock and finds the socket of handle h, pinned. NULL (lock not
 * held) with WSAENOTSOCK or WSANOTINITIALISED in *err. */
un_socket *un_enter(SOCKET h, LPINT err);
/* Unpins s and leaves the lock. */
void un_leave(un_socket *s);
/* The socket of handle h, lock held, not pinned; NULL if not ours. */
un_socket *un_find(SOCKET h);
/* A new socket record without a handle or kernel socket, or NULL. */
un_socket *un_socket_new(int af, int type, int protocol,
                         const WSAPROTOCOL_INFOW *info);
/* Gives s a handle registered under its catalog entry: 0 or an error. */
int un_socket_register(un_socket *s);
/* Drops one reference; frees s after the last. */
void un_socket_release(un_socket *s);
/* closesocket's work. */
void un_socket_close(un_socket *s);
/* Asks the loop to close s's kernel socket (once no synchronous request
 * is in flight); reset: abortive. */
void un_io_close(un_socket *s, BOOL reset);
/* Around a synchronous loop request on s: leaves the lock (s pinned by
 * the caller) and returns s->io (NULL when s has none); un_io_end takes
 * the lock again and runs a close asked for meanwhile. */
uvl_sock *un_io_begin(un_socket *s);
void un_io_end(un_socket *s);
/* The loop's closed callback: releases the loop's reference. */
void un_io_closed(void *ctx);
/* A Winsock error for a loop error. */
int un_wsa_error(int uvl_error);
/* Something changed on s: wakes waiters, records network events. */
void un_changed(un_socket *s);
/* The loop's callbacks take the lock with un_cb_enter and leave it with
 * un_cb_leave, which then wakes the waiters un_changed left to it. */
#define UN_WAKES_MAX 8
typedef struct un_wakes {
  HANDLE ev[UN_WAKES_MAX];
  int n;
} un_wakes;
void un_cb_enter(un_wakes *w);
void un_cb_leave(un_wakes *w);
/* The most bytes s buffers each way before pausing/waiting. */
DWORD un_recv_limit(const un_socket *s);
DWORD un_send_limit(const un_socket *s);
/* Bytes s may hand to the loop now (none while another send owns the
 * stream: wbusy). */
DWORD un_send_room(const un_socket *s);

/* ---- uvnet_addr.c ---- */

/* Conversions to and from the loop's addresses. */
void un_addr_to_uvl(const wsp_addr *a, uvl_addr *out);
void un_addr_from_uvl(const uvl_addr *a, wsp_addr *out);
/* The kernel address for a: the wildcard becomes loopback. */
void un_addr_kernel(const wsp_addr *a, uvl_addr *out);
/* Binds s to a (port 0: an ephemeral one), lock held (released during the
 * loop request): 0, WSAEADDRINUSE, WSAEADDRNOTAVAIL, WSAEINVAL, ... */
int un_bind(un_socket *s, const wsp_addr *a);
/* Binds an unbound s to the wildcard address and an ephemeral port. */
int un_autobind(un_socket *s);
/* Checks a destination (connect, sendto): 0, WSAEADDRNOTAVAIL or
 * WSAENETUNREACH. */
int un_check_destination(const wsp_addr *a);

/* ---- uvnet_io.c ---- */

/* Waits for a change on s, lock held on entry and return. 0, WSAEINTR (s
 * was closed) or WSAETIMEDOUT (timeout ms, 0 for none). */
int un_wait(un_socket *s, DWORD timeout);

/* ---- uvnet_events.c ---- */

/* Records the network events whose conditions hold and are enabled. */
void un_events_poll(un_socket *s);
/* The re-enabling functions: re-enables and polls again. */
void un_events_reenable(un_socket *s, LONG events);
BOOL un_readable(const un_socket *s);
BOOL un_writable(const un_socket *s);

/* ---- uvnet_stream.c ---- */

extern const uvl_callbacks un_stream_callbacks;
/* Hands every queued overlapped send to the loop, room or not (before the
 * FIN). */
void un_stream_flush(un_socket *s);
BOOL un_stream_eof(const un_socket *s);
int un_stream_send(un_socket *s, const WSABUF *bufs, DWORD n, LPDWORD sent,
                   DWORD flags, const wsp_notify *ovn);
int un_stream_recv(un_socket *s, const WSABUF *bufs, DWORD n, LPDWORD got,
                   LPDWORD flags, const wsp_notify *ovn);
/* Takes a lent overlapped receive out of s's queue before closesocket
 * aborts the queue (it ends once the loop gives its buffer back). */
void un_stream_unlend(un_socket *s);
/* Ends s's part in its connection or queue (close). */
void un_stream_close(un_socket *s);
/* Frees everything s holds that was received. */
void un_stream_free_queue(un_socket *s);

/* ---- uvnet_conn.c ---- */

/* The loop's connected and accepted callbacks (un_stream_callbacks). */
void un_conn_connected(void *ctx, int status, const uvl_addr *local,
                       const uvl_addr *peer);
void *un_conn_accepted(void *ctx, uvl_sock *conn, const uvl_addr *local,
                       const uvl_addr *peer);

/* ---- uvnet_dgram.c ---- */

extern const uvl_callbacks un_dgram_callbacks;
int un_dgram_send(un_socket *s, const WSABUF *bufs, DWORD n, LPDWORD sent,
                  DWORD flags, const wsp_addr *to, const wsp_notify *ovn);
int un_dgram_recv(un_socket *s, const WSABUF *bufs, DWORD n, LPDWORD got,
                  LPDWORD flags, struct sockaddr *from, LPINT fromlen,
                  const wsp_notify *ovn);
int un_dgram_connect(un_socket *s, const wsp_addr *to);
void un_dgram_free_queue(un_socket *s);

/* ---- the WSP entry points, across the files ---- */

SOCKET WSPAPI un_WSPAccept(SOCKET s, struct sockaddr *addr, LPINT addrlen,
                           LPCONDITIONPROC cond, DWORD_PTR data, LPINT err);
INT WSPAPI un_WSPAddressToString(LPSOCKADDR addr, DWORD len,
                                 LPWSAPROTOCOL_INFOW info, LPWSTR str,
                                 LPDWORD slen, LPINT err);
int WSPAPI un_WSPAsyncSelect(SOCKET s, HWND hwnd, unsigned int msg, LONG events,
                             LPINT err);
int WSPAPI un_WSPBind(SOCKET s, const struct sockaddr *name, int namelen,
                      LPINT err);
int WSPAPI un_WSPConnect(SOCKET s, const struct sockaddr *name, int namelen,
                         LPWSABUF caller, LPWSABUF callee, LPQOS sqos,
                         LPQOS gqos, LPINT err);
int WSPAPI un_WSPEnumNetworkEvents(SOCKET s, WSAEVENT ev,
                                   LPWSANETWORKEVENTS out, LPINT err);
int WSPAPI un_WSPEventSelect(SOCKET s, WSAEVENT ev, LONG events, LPINT err);
int WSPAPI un_WSPGetSockOpt(SOCKET h, int level, int name, char *optval,
                            LPINT optlen, LPINT err);
int WSPAPI un_WSPSetSockOpt(SOCKET h, int level, int name, const char *optval,
                            int optlen, LPINT err);
int WSPAPI un_WSPIoctl(SOCKET h, DWORD code, LPVOID in, DWORD inlen, LPVOID out,
                       DWORD outlen, LPDWORD returned, LPWSAOVERLAPPED ov,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                       LPWSATHREADID thread, LPINT err);
BOOL WSPAPI un_WSPGetOverlappedResult(SOCKET s, LPWSAOVERLAPPED ov,
                                      LPDWORD bytes, BOOL wait, LPDWORD flags,
                                      LPINT err);
int WSPAPI un_WSPListen(SOCKET s, int backlog, LPINT err);
int WSPAPI un_WSPRecv(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD got,
                      LPDWORD flags, LPWSAOVERLAPPED ov,
                      LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                      LPWSATHREADID thread, LPINT err);
int WSPAPI un_WSPRecvDisconnect(SOCKET s, LPWSABUF data, LPINT err);
int WSPAPI un_WSPRecvFrom(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD got,
                          LPDWORD flags, struct sockaddr *from, LPINT fromlen,
                          LPWSAOVERLAPPED ov,
                          LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                          LPWSATHREADID thread, LPINT err);
int WSPAPI un_WSPSelect(int nfds, fd_set *r, fd_set *w, fd_set *x,
                        const struct timeval *timeout, LPINT err);
int WSPAPI un_WSPSend(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD sent,
                      DWORD flags, LPWSAOVERLAPPED ov,
                      LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                      LPWSATHREADID thread, LPINT err);
int WSPAPI un_WSPSendDisconnect(SOCKET s, LPWSABUF data, LPINT err);
int WSPAPI un_WSPSendTo(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD sent,
                        DWORD flags, const struct sockaddr *to, int tolen,
                        LPWSAOVERLAPPED ov,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                        LPWSATHREADID thread, LPINT err);
int WSPAPI un_WSPShutdown(SOCKET s, int how, LPINT err);
INT WSPAPI un_WSPStringToAddress(LPWSTR str, INT af, LPWSAPROTOCOL_INFOW info,
                                 LPSOCKADDR addr, LPINT len, LPINT err);

#endif /* FWS2_UVNET_INTERNAL_H */
