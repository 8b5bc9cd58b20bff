/* memnet_internal.h: what the memnet files share (internal).
 *
 * memnet is one provider-wide critical section (mn.lock) over plain data:
 * every entry point takes it, finds its socket through the IFS handle's
 * context (a slot of mn.table, checked against the handle so that a
 * foreign handle is WSAENOTSOCK), and keeps it until it returns, except
 * while blocked in mn_wait (the socket is pinned by a reference then).
 * Completions (wpu_ifs_complete_overlapped, WPUQueueApc), event signals and
 * messages are issued under the lock; none of them calls back into memnet.
 *
 * Files: memnet.c (startup, the socket table, socket lifecycle, options,
 * ioctls, the proc table), memnet_addr.c (addresses, binding, address
 * strings), memnet_io.c (waiting, overlapped completion, the send/recv
 * entry points, WSPGetOverlappedResult), memnet_events.c (network events,
 * WSPEventSelect, WSPAsyncSelect, WSPSelect), memnet_stream.c (listen,
 * connect, accept, stream data, shutdown and close), memnet_dgram.c
 * (datagrams), memnet_ext.c (AcceptEx, ConnectEx, GetAcceptExSockaddrs).
 */
#ifndef FWS2_MEMNET_INTERNAL_H
#define FWS2_MEMNET_INTERNAL_H

#include <winsock2.h>
#include <ws2spi.h>
#include <ws2tcpip.h>
#include <mswsock.h>

#include <wpu/sockets.h>

#include <fws2/memnet.h>

#include "wsp_common.h"

/* Bytes in flight per stream direction (the receiver's window). */
#define MN_WINDOW 65536u
/* Default SO_RCVBUF/SO_SNDBUF; SO_RCVBUF bounds a datagram queue. */
#define MN_DEFAULT_BUF 65536
/* First ephemeral port (IANA range, as Windows since Vista). */
#define MN_EPHEMERAL_FIRST 49152

typedef struct mn_socket mn_socket;

typedef enum mn_state {
  MN_FRESH,      /* neither listening nor connected */
  MN_LISTENING,  /* stream */
  MN_CONNECTING, /* stream: waiting for a conditional accept's decision */
  MN_CONNECTED   /* stream: connected; datagram: has a default peer */
} mn_state;

struct mn_socket {
  SOCKET handle; /* INVALID_SOCKET: a connection not accepted yet */
  DWORD slot;    /* its slot in mn.table, 0 when none */
  int refs;      /* the table's, and one per call using the socket */
  int af, type, protocol;
  WSAPROTOCOL_INFOW info;
  BOOL closed;
  BOOL nonblocking;
  wsp_waitq waiters;              /* threads blocked on the socket */
  mn_socket *all_prev, *all_next; /* every socket that has a handle */

  BOOL bound;
  BOOL accepted; /* shares its listener's port: not a binding */
  wsp_addr local, remote;
  mn_state state;

  /* Stream connection. */
  mn_socket *peer; /* the other end, while it is open */
  char *ring;      /* bytes from the peer, MN_WINDOW of them */
  DWORD ring_head, ring_len;
  BOOL fin;       /* the peer has sent its last byte */
  BOOL peer_gone; /* the peer closed: sends fail with WSAECONNRESET */
  int conn_error; /* the connection was reset: everything fails */
  BOOL shut_send, shut_recv;
  BOOL connect_failed; /* the last connect failed (select's except set) */
  int connect_error;   /* and why */

  /* Listening: connections not accepted yet, oldest first. */
  int backlog;
  mn_socket *q_head, *q_tail;
  int q_len;
  mn_socket *q_next;   /* a queued connection: the next one */
  mn_socket *listener; /* a queued connection: whose queue holds it */

  /* Datagrams received, oldest first. */
  wsp_dgramq dq;

  wsp_opq recvq, sendq;
  /* Listening: AcceptEx calls waiting for a connection; each op's user is
   * its accept socket (pinned), bufs[0] the receive area, bufs[1] and
   * bufs[2] the local and remote address blocks. */
  wsp_opq acceptexq;
  wsp_op *connect_op; /* a ConnectEx waiting for a conditional accept */

  /* Network events (WSPEventSelect or WSPAsyncSelect, never both). */
  wsp_events ev;

  wsp_opts opt; /* options */
};

typedef struct mn_provider {
  CRITICAL_SECTION lock;
  LONG startups;
  WSPUPCALLTABLE up;
  wsp_table table; /* sockets by their handles' IFS context */
  mn_socket *all;
  USHORT next_port;
} mn_provider;

extern mn_provider mn;

/* ---- memnet.c ---- */

/* Takes the lock and finds the socket of handle h, pinned. NULL (lock not
 * held) with WSAENOTSOCK or WSANOTINITIALISED in *err. */
mn_socket *mn_enter(SOCKET h, LPINT err);
/* Unpins s (freeing it after its last reference) and leaves the lock. */
void mn_leave(mn_socket *s);
/* The socket of handle h, lock held, not pinned; NULL if not ours. */
mn_socket *mn_find(SOCKET h);
/* A new socket record (no handle yet), or NULL. */
mn_socket *mn_socket_new(int af, int type, int protocol,
                         const WSAPROTOCOL_INFOW *info);
/* Gives s a handle registered under its catalog entry; 0 or an error. */
int mn_socket_register(mn_socket *s);
/* Drops one reference; frees s after the last. */
void mn_socket_release(mn_socket *s);
/* closesocket's work; reset: abortive close of a connection. */
void mn_socket_close(mn_socket *s);

/* ---- memnet_addr.c ---- */

/* Binds s to a (port 0: an ephemeral one): 0, WSAEADDRINUSE,
 * WSAEADDRNOTAVAIL, WSAENOBUFS. */
int mn_bind(mn_socket *s, const wsp_addr *a);
/* Binds an unbound s to the wildcard address and an ephemeral port. */
int mn_autobind(mn_socket *s);
/* The address s sends from: its own, with loopback for the wildcard. */
void mn_source_addr(const mn_socket *s, wsp_addr *out);
/* Checks a destination (connect, sendto): 0, WSAEADDRNOTAVAIL or
 * WSAENETUNREACH. */
int mn_check_destination(const wsp_addr *a);
/* The listening stream socket for a, or NULL. */
mn_socket *mn_find_listener(const wsp_addr *a);
/* The datagram socket bound to a, or NULL. */
mn_socket *mn_find_dgram(const wsp_addr *a);

/* ---- memnet_io.c ---- */

/* Waits for a change on s, lock held on entry and return (released while
 * waiting). 0, WSAEINTR (s was closed) or WSAETIMEDOUT (timeout ms, 0 for
 * none). */
int mn_wait(mn_socket *s, DWORD timeout);
/* Wakes every thread waiting on s. */
void mn_wake(mn_socket *s);
/* Something changed on s: wakes waiters, records network events. */
void mn_changed(mn_socket *s);
/* Starts an overlapped request: checks and fills n (wsp_notify_init),
 * marks ov in progress. 0 or WSAEFAULT (a routine without a thread id). */
int mn_notify_begin(wsp_notify *n, SOCKET h, LPWSAOVERLAPPED ov,
                    LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                    LPWSATHREADID thread);

/* ---- memnet_events.c ---- */

/* Records the network events whose conditions hold and are enabled. */
void mn_events_poll(mn_socket *s);
/* The re-enabling functions: clears the events and polls again. */
void mn_events_reenable(mn_socket *s, LONG events);
BOOL mn_readable(const mn_socket *s);
BOOL mn_writable(const mn_socket *s);

/* ---- memnet_stream.c ---- */

DWORD mn_ring_space(const mn_socket *s);
/* Moves the peer's queued sends into s's ring and serves s's queued
 * receives, then wakes both ends. */
void mn_stream_flow(mn_socket *s);
BOOL mn_stream_eof(const mn_socket *s);
int mn_stream_send(mn_socket *s, const WSABUF *bufs, DWORD n, LPDWORD sent,
                   DWORD flags, const wsp_notify *ovn);
int mn_stream_recv(mn_socket *s, const WSABUF *bufs, DWORD n, LPDWORD got,
                   LPDWORD flags, const wsp_notify *ovn);
/* Connects s to to. Blocking: waits for a conditional accept; overlapped
 * (ConnectEx): 0 when connected, WSA_IO_PENDING while waiting. */
int mn_stream_connect(mn_socket *s, const wsp_addr *to, BOOL overlapped);
/* The oldest queued connection of l, out of the queue, or NULL. */
mn_socket *mn_stream_dequeue(mn_socket *l);
/* Makes a (unconnected, with a handle) the server end of connection e,
 * which is freed: 0, or WSAECONNRESET when its caller gave up. */
int mn_stream_adopt(mn_socket *a, mn_socket *e);
/* Ends s's part in connections and queues (close). */
void mn_stream_close(mn_socket *s, BOOL reset);
/* Frees a queued connection that was never accepted. */
void mn_embryo_drop(mn_socket *e);

/* ---- memnet_dgram.c ---- */

int mn_dgram_send(mn_socket *s, const WSABUF *bufs, DWORD n, LPDWORD sent,
                  DWORD flags, const wsp_addr *to, const wsp_notify *ovn);
int mn_dgram_recv(mn_socket *s, const WSABUF *bufs, DWORD n, LPDWORD got,
                  LPDWORD flags, struct sockaddr *from, LPINT fromlen,
                  const wsp_notify *ovn);
int mn_dgram_connect(mn_socket *s, const wsp_addr *to);
void mn_dgram_flow(mn_socket *s);
void mn_dgram_free_queue(mn_socket *s);
DWORD mn_dgram_queued_bytes(const mn_socket *s);

/* ---- memnet_ext.c ---- */

/* The extension function for guid, or NULL. */
void *mn_extension(const GUID *guid);
/* Hands l's queued connections to its waiting AcceptEx calls. */
void mn_acceptex_serve(mn_socket *l);
/* Ends l's waiting AcceptEx calls with err (l is closing). */
void mn_acceptex_abort(mn_socket *l, DWORD err);
/* A connect of c was decided (err 0: connected): completes a waiting
 * ConnectEx, sending its data. */
void mn_connect_resolved(mn_socket *c, int err);

/* ---- the WSP entry points, across the files ---- */

SOCKET WSPAPI mn_WSPAccept(SOCKET s, struct sockaddr *addr, LPINT addrlen,
                           LPCONDITIONPROC cond, DWORD_PTR data, LPINT err);
INT WSPAPI mn_WSPAddressToString(LPSOCKADDR addr, DWORD len,
                                 LPWSAPROTOCOL_INFOW info, LPWSTR str,
                                 LPDWORD slen, LPINT err);
int WSPAPI mn_WSPAsyncSelect(SOCKET s, HWND hwnd, unsigned int msg, LONG events,
                             LPINT err);
int WSPAPI mn_WSPBind(SOCKET s, const struct sockaddr *name, int namelen,
                      LPINT err);
int WSPAPI mn_WSPConnect(SOCKET s, const struct sockaddr *name, int namelen,
                         LPWSABUF caller, LPWSABUF callee, LPQOS sqos,
                         LPQOS gqos, LPINT err);
int WSPAPI mn_WSPEnumNetworkEvents(SOCKET s, WSAEVENT ev,
                                   LPWSANETWORKEVENTS out, LPINT err);
int WSPAPI mn_WSPEventSelect(SOCKET s, WSAEVENT ev, LONG events, LPINT err);
BOOL WSPAPI mn_WSPGetOverlappedResult(SOCKET s, LPWSAOVERLAPPED ov,
                                      LPDWORD bytes, BOOL wait, LPDWORD flags,
                                      LPINT err);
int WSPAPI mn_WSPListen(SOCKET s, int backlog, LPINT err);
int WSPAPI mn_WSPRecv(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD got,
                      LPDWORD flags, LPWSAOVERLAPPED ov,
                      LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                      LPWSATHREADID thread, LPINT err);
int WSPAPI mn_WSPRecvDisconnect(SOCKET s, LPWSABUF data, LPINT err);
int WSPAPI mn_WSPRecvFrom(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD got,
                          LPDWORD flags, struct sockaddr *from, LPINT fromlen,
                          LPWSAOVERLAPPED ov,
                          LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                          LPWSATHREADID thread, LPINT err);
int WSPAPI mn_WSPSelect(int nfds, fd_set *r, fd_set *w, fd_set *x,
                        const struct timeval *timeout, LPINT err);
int WSPAPI mn_WSPSend(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD sent,
                      DWORD flags, LPWSAOVERLAPPED ov,
                      LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                      LPWSATHREADID thread, LPINT err);
int WSPAPI mn_WSPSendDisconnect(SOCKET s, LPWSABUF data, LPINT err);
int WSPAPI mn_WSPSendTo(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD sent,
                        DWORD flags, const struct sockaddr *to, int tolen,
                        LPWSAOVERLAPPED ov,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                        LPWSATHREADID thread, LPINT err);
int WSPAPI mn_WSPShutdown(SOCKET s, int how, LPINT err);
INT WSPAPI mn_WSPStringToAddress(LPWSTR str, INT af, LPWSAPROTOCOL_INFOW info,
                                 LPSOCKADDR addr, LPINT len, LPINT err);

#endif /* FWS2_MEMNET_INTERNAL_H */
