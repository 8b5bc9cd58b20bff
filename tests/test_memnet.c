/* test_memnet.c: memnet, the in-memory base provider, driven through its
 * proc table as ws2_32 (or an LSP above it) drives it: streams and
 * datagrams, blocking and non-blocking calls, overlapped I/O with events,
 * completion routines and completion ports, select, WSPEventSelect,
 * WSPAsyncSelect, conditional accept, errors, and two threads streaming at
 * once. Each test has its own world and starts memnet for four catalog
 * entries (1001..1004) of its own; nothing waits by sleeping: waits have a
 * 10 s timeout that fails the test.
 * The tests both base providers pass word for word are in
 * wsp_provider_suite.h. */
#include <winsock2.h>
#include <ws2spi.h>
#include <ws2tcpip.h>
#include <mswsock.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <fws2/fixture.h>
#include <fws2/memnet.h>
#include <wpu/wpu.h>

#define WAIT_MS            10000
#define WSPH_STARTUP       fws2_memnet_WSPStartup
#define WSPH_PROTOCOL_INFO fws2_memnet_protocol_info
#define WSPH_PROVIDER_ID   fws2_memnet_provider_id
#include "wsp_provider_harness.h"
#include "wsp_provider_suite.h"

/* ---- Startup and handles ---- */

static void startup_rejects_winsock_1(void **state) {
  (void)state;
  WSPDATA data;
  WSPPROC_TABLE t;
  assert_int_equal(fws2_memnet_WSPStartup(MAKEWORD(1, 1), &data, &tcp4,
                                          wpu_upcall_table(), &t),
                   WSAVERNOTSUPPORTED);
}

/* ---- Streams ---- */

static void stream_connect_accept_and_exchange_data(void **state) {
  (void)state;
  USHORT port;
  SOCKET l = listener(&port);
  SOCKET c = mk(&tcp4);
  int err = 0;
  assert_int_equal(connect4(c, port, &err), 0);
  struct sockaddr_in from;
  int fromlen = sizeof from;
  SOCKET a =
      p.lpWSPAccept(l, (struct sockaddr *)&from, &fromlen, NULL, 0, &err);
  assert_int_not_equal(a, INVALID_SOCKET);
  assert_int_equal(fromlen, sizeof from);
  assert_int_equal(port_of((struct sockaddr *)&from), local_port(c));
  assert_true(local_port(c) >= 49152);
  struct sockaddr_in peer;
  int peerlen = sizeof peer;
  assert_int_equal(
      p.lpWSPGetPeerName(c, (struct sockaddr *)&peer, &peerlen, &err), 0);
  assert_int_equal(port_of((struct sockaddr *)&peer), port);
  assert_int_equal(((BYTE *)&peer.sin_addr)[0], 127);
  assert_int_equal(local_port(a), port);
  must_send(c, "hello");
  must_recv(a, "hello");
  must_send(a, "world!");
  must_recv(c, "world!");
  closes(c);
  closes(a);
  closes(l);
}

static void stream_over_ipv6_loopback(void **state) {
  (void)state;
  SOCKET l = mk(&tcp6), c = mk(&tcp6);
  int err = 0;
  bind6_any(l);
  assert_int_equal(p.lpWSPListen(l, SOMAXCONN, &err), 0);
  struct sockaddr_in6 to = in6(local_port(l));
  assert_int_equal(p.lpWSPConnect(c, (struct sockaddr *)&to, sizeof to, NULL,
                                  NULL, NULL, NULL, &err),
                   0);
  SOCKET a = accept_plain(l);
  must_send(c, "six");
  must_recv(a, "six");
  struct sockaddr_in6 name;
  int len = sizeof name;
  assert_int_equal(p.lpWSPGetSockName(a, (struct sockaddr *)&name, &len, &err),
                   0);
  assert_int_equal(len, sizeof name);
  assert_int_equal(name.sin6_family, AF_INET6);
  assert_int_equal(((BYTE *)&name.sin6_addr)[15], 1);
  closes(a);
  closes(c);
  closes(l);
}

static void
stream_nonblocking_recv_fails_with_wsaewouldblock_until_data(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  nonblocking(a, 1);
  char buf[8];
  DWORD got = 0;
  int err = 0;
  assert_int_equal(xrecv(a, buf, sizeof buf, &got, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEWOULDBLOCK);
  must_send(c, "ok");
  u_long avail = 0;
  DWORD ret = 0;
  assert_int_equal(p.lpWSPIoctl(a, FIONREAD, NULL, 0, &avail, sizeof avail,
                                &ret, NULL, NULL, NULL, &err),
                   0);
  assert_int_equal(avail, 2);
  must_recv(a, "ok");
  closes(c);
  closes(a);
}

static void
stream_nonblocking_send_is_partial_when_the_window_fills(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  nonblocking(c, 1);
  static char big[100000];
  memset(big, 'x', sizeof big);
  DWORD sent = 0;
  int err = 0;
  assert_int_equal(xsend(c, big, sizeof big, &sent, &err), 0);
  assert_int_equal(sent, 65536); /* what fits in the window */
  assert_int_equal(xsend(c, big, 10, &sent, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEWOULDBLOCK);
  assert_int_equal(select1(c, 1, 0), 0); /* not writable */
  static char sink[1000];
  DWORD got = 0;
  assert_int_equal(xrecv(a, sink, sizeof sink, &got, &err), 0);
  assert_int_equal(got, sizeof sink);
  assert_int_equal(select1(c, 1, 0), 1);
  assert_int_equal(xsend(c, big, sizeof big, &sent, &err), 0);
  assert_int_equal(sent, 1000);
  closes(c);
  closes(a);
}

typedef struct {
  SOCKET s;
  DWORD len;
  DWORD done;
  int rc, err;
} drain_job;

static DWORD WINAPI drain(LPVOID arg) {
  drain_job *j = arg;
  static char buf[4096];
  while (j->done < j->len) {
    DWORD got = 0;
    j->rc = xrecv(j->s, buf, sizeof buf, &got, &j->err);
    if (j->rc != 0 || got == 0)
      return 1;
    j->done += got;
  }
  return 0;
}

static void
stream_blocking_send_larger_than_the_window_waits_for_the_reader(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  static char big[300000];
  memset(big, 'y', sizeof big);
  drain_job j = {a, sizeof big};
  HANDLE t = must_thread(drain, &j);
  DWORD sent = 0;
  int err = 0;
  assert_int_equal(xsend(c, big, sizeof big, &sent, &err), 0);
  assert_int_equal(sent, sizeof big);
  join(t);
  assert_int_equal(j.done, sizeof big);
  closes(c);
  closes(a);
}

static void stream_recv_returns_zero_after_peer_shutdown_send(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  must_send(c, "last");
  int err = 0;
  assert_int_equal(p.lpWSPShutdown(c, SD_SEND, &err), 0);
  DWORD sent = 0;
  assert_int_equal(xsend(c, "more", 4, &sent, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAESHUTDOWN);
  must_recv(a, "last");
  char buf[8];
  DWORD got = 99;
  assert_int_equal(xrecv(a, buf, sizeof buf, &got, &err), 0);
  assert_int_equal(got, 0);
  /* The other direction still works. */
  must_send(a, "back");
  must_recv(c, "back");
  closes(c);
  closes(a);
}

static void stream_close_is_graceful_and_later_sends_are_reset(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  must_send(c, "bye");
  closes(c);
  must_recv(a, "bye");
  char buf[8];
  DWORD got = 99, sent = 0;
  int err = 0;
  assert_int_equal(xrecv(a, buf, sizeof buf, &got, &err), 0);
  assert_int_equal(got, 0);
  assert_int_equal(xsend(a, "x", 1, &sent, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAECONNRESET);
  closes(a);
}

static void stream_close_with_linger_zero_resets_the_peer(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  must_send(c, "lost");
  LINGER lg = {1, 0};
  int err = 0;
  assert_int_equal(
      p.lpWSPSetSockOpt(c, SOL_SOCKET, SO_LINGER, (char *)&lg, sizeof lg, &err),
      0);
  closes(c);
  char buf[8];
  DWORD got = 0;
  assert_int_equal(xrecv(a, buf, sizeof buf, &got, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAECONNRESET);
  closes(a);
}

static void
stream_connect_to_a_port_nobody_listens_on_is_refused(void **state) {
  (void)state;
  SOCKET probe = mk(&tcp4);
  bind4(probe, 0);
  USHORT port = local_port(probe); /* bound, not listening */
  SOCKET c = mk(&tcp4);
  int err = 0;
  assert_int_equal(connect4(c, port, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAECONNREFUSED);
  struct sockaddr_in unreachable = in4(80);
  ((BYTE *)&unreachable.sin_addr)[0] = 10;
  assert_int_equal(p.lpWSPConnect(c, (struct sockaddr *)&unreachable,
                                  sizeof unreachable, NULL, NULL, NULL, NULL,
                                  &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAENETUNREACH);
  closes(c);
  closes(probe);
}

static void stream_connect_beyond_the_backlog_is_refused(void **state) {
  (void)state;
  SOCKET l = mk(&tcp4);
  bind4(l, 0);
  int err = 0;
  assert_int_equal(p.lpWSPListen(l, 1, &err), 0);
  SOCKET c1 = mk(&tcp4), c2 = mk(&tcp4);
  assert_int_equal(connect4(c1, local_port(l), &err), 0);
  assert_int_equal(connect4(c2, local_port(l), &err), SOCKET_ERROR);
  assert_int_equal(err, WSAECONNREFUSED);
  closes(c1);
  closes(c2);
  closes(l);
}

static void
stream_nonblocking_connect_reports_success_through_select(void **state) {
  (void)state;
  USHORT port;
  SOCKET l = listener(&port);
  SOCKET c = mk(&tcp4);
  nonblocking(c, 1);
  int err = 0;
  assert_int_equal(connect4(c, port, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEWOULDBLOCK);
  assert_int_equal(select1(c, 1, 0), 1);
  assert_int_equal(connect4(c, port, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEISCONN);
  assert_int_equal(select1(l, 0, 0), 1);
  SOCKET a = accept_plain(l);
  must_send(c, "nb");
  must_recv(a, "nb");
  closes(a);
  closes(c);
  closes(l);
}

static void stream_nonblocking_connect_refused_reports_fd_connect_and_so_error(
    void **state) {
  (void)state;
  SOCKET probe = mk(&tcp4);
  bind4(probe, 0);
  SOCKET c = mk(&tcp4);
  HANDLE ev = must_event();
  int err = 0;
  assert_int_equal(p.lpWSPEventSelect(c, ev, FD_CONNECT | FD_WRITE, &err), 0);
  assert_int_equal(connect4(c, local_port(probe), &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEWOULDBLOCK);
  assert_int_equal(WaitForSingleObject(ev, WAIT_MS), WAIT_OBJECT_0);
  WSANETWORKEVENTS ne;
  assert_int_equal(p.lpWSPEnumNetworkEvents(c, ev, &ne, &err), 0);
  assert_int_equal(ne.lNetworkEvents, FD_CONNECT);
  assert_int_equal(ne.iErrorCode[FD_CONNECT_BIT], WSAECONNREFUSED);
  assert_int_equal(select1(c, 2, 0), 1);
  assert_int_equal(so_error(c), WSAECONNREFUSED);
  assert_int_equal(so_error(c), 0); /* reading SO_ERROR clears it */
  closes(c);
  closes(probe);
  CloseHandle(ev);
}

typedef struct {
  SOCKET s;
  int rc, err;
  HANDLE started;
} close_job;

static void
bind_accepts_loopback_and_wildcard_and_rejects_the_rest(void **state) {
  (void)state;
  SOCKET s1 = mk(&tcp4), s2 = mk(&tcp4), s3 = mk(&tcp4), s4 = mk(&tcp4);
  int err = 0;
  struct sockaddr_in a = in4(0);
  ((BYTE *)&a.sin_addr)[0] = 192;
  assert_int_equal(p.lpWSPBind(s1, (struct sockaddr *)&a, sizeof a, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEADDRNOTAVAIL);
  assert_int_equal(p.lpWSPBind(s1, (struct sockaddr *)&a, 4, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
  struct sockaddr_in6 six = in6(0);
  assert_int_equal(p.lpWSPBind(s1, (struct sockaddr *)&six, sizeof six, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEAFNOSUPPORT);
  bind4(s1, 0);
  USHORT port = local_port(s1);
  assert_true(port >= 49152);
  assert_int_equal(p.lpWSPBind(s1, (struct sockaddr *)&a, sizeof a, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL); /* bound already */
  struct sockaddr_in same = in4(port);
  assert_int_equal(p.lpWSPBind(s2, (struct sockaddr *)&same, sizeof same, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEADDRINUSE);
  BOOL on = TRUE;
  assert_int_equal(p.lpWSPSetSockOpt(s2, SOL_SOCKET, SO_REUSEADDR, (char *)&on,
                                     sizeof on, &err),
                   0);
  assert_int_equal(p.lpWSPBind(s2, (struct sockaddr *)&same, sizeof same, &err),
                   0);
  struct sockaddr_in wild;
  memset(&wild, 0, sizeof wild);
  wild.sin_family = AF_INET;
  wild.sin_port = same.sin_port;
  assert_int_equal(p.lpWSPBind(s3, (struct sockaddr *)&wild, sizeof wild, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEADDRINUSE);
  SOCKET u = mk(&udp4); /* datagram ports are another space */
  assert_int_equal(p.lpWSPBind(u, (struct sockaddr *)&same, sizeof same, &err),
                   0);
  int len = sizeof a;
  assert_int_equal(p.lpWSPGetSockName(s4, (struct sockaddr *)&a, &len, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  closes(s1);
  closes(s2);
  closes(s3);
  closes(s4);
  closes(u);
}

static void socket_options_and_ioctls_follow_the_reference(void **state) {
  (void)state;
  USHORT port;
  SOCKET l = listener(&port);
  int v = 0, len = sizeof v, err = 0;
  assert_int_equal(
      p.lpWSPGetSockOpt(l, SOL_SOCKET, SO_ACCEPTCONN, (char *)&v, &len, &err),
      0);
  assert_true(v);
  len = sizeof v;
  assert_int_equal(
      p.lpWSPGetSockOpt(l, SOL_SOCKET, SO_TYPE, (char *)&v, &len, &err), 0);
  assert_int_equal(v, SOCK_STREAM);
  len = 2;
  assert_int_equal(
      p.lpWSPGetSockOpt(l, SOL_SOCKET, SO_TYPE, (char *)&v, &len, &err),
      SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
  v = 8192;
  assert_int_equal(
      p.lpWSPSetSockOpt(l, SOL_SOCKET, SO_RCVBUF, (char *)&v, sizeof v, &err),
      0);
  len = sizeof v;
  assert_int_equal(
      p.lpWSPGetSockOpt(l, SOL_SOCKET, SO_RCVBUF, (char *)&v, &len, &err), 0);
  assert_int_equal(v, 8192);
  v = 1;
  assert_int_equal(p.lpWSPSetSockOpt(l, IPPROTO_TCP, TCP_NODELAY, (char *)&v,
                                     sizeof v, &err),
                   0);
  assert_int_equal(
      p.lpWSPSetSockOpt(l, SOL_SOCKET, 0x7777, (char *)&v, sizeof v, &err),
      SOCKET_ERROR);
  assert_int_equal(err, WSAENOPROTOOPT);
  assert_int_equal(p.lpWSPSetSockOpt(l, SOL_SOCKET, SO_CONDITIONAL_ACCEPT,
                                     (char *)&v, sizeof v, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL); /* listening already */
  SOCKET u = mk(&udp4);
  LINGER lg = {1, 0};
  assert_int_equal(
      p.lpWSPSetSockOpt(u, SOL_SOCKET, SO_LINGER, (char *)&lg, sizeof lg, &err),
      SOCKET_ERROR);
  assert_int_equal(err, WSAENOPROTOOPT);
  len = sizeof v;
  assert_int_equal(
      p.lpWSPGetSockOpt(u, SOL_SOCKET, SO_MAX_MSG_SIZE, (char *)&v, &len, &err),
      0);
  assert_int_equal(v, 65507);
  /* Extension functions: unknown GUIDs fail with WSAEINVAL. */
  GUID unknown = {0x12345678, 0x1234, 0x1234, {1, 2, 3, 4, 5, 6, 7, 8}};
  void *fn = NULL;
  DWORD ret = 0;
  assert_int_equal(p.lpWSPIoctl(l, SIO_GET_EXTENSION_FUNCTION_POINTER, &unknown,
                                sizeof unknown, &fn, sizeof fn, &ret, NULL,
                                NULL, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  assert_int_equal(p.lpWSPIoctl(l, 0x7fff0001, NULL, 0, NULL, 0, &ret, NULL,
                                NULL, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  SOCKET base = INVALID_SOCKET;
  assert_int_equal(p.lpWSPIoctl(l, SIO_BASE_HANDLE, NULL, 0, &base, sizeof base,
                                &ret, NULL, NULL, NULL, &err),
                   0);
  assert_true(base == l);
  closes(u);
  closes(l);
}

/* ---- Conditional accept ---- */

static SOCKET conditional_listener(USHORT *port) {
  SOCKET l = mk(&tcp4);
  bind4(l, 0);
  BOOL on = TRUE;
  int err = 0;
  assert_int_equal(p.lpWSPSetSockOpt(l, SOL_SOCKET, SO_CONDITIONAL_ACCEPT,
                                     (char *)&on, sizeof on, &err),
                   0);
  assert_int_equal(p.lpWSPListen(l, 5, &err), 0);
  *port = local_port(l);
  return l;
}

static void
conditional_accept_cf_accept_completes_the_pending_connect(void **state) {
  (void)state;
  USHORT port;
  SOCKET l = conditional_listener(&port);
  SOCKET c = mk(&tcp4);
  nonblocking(c, 1);
  int err = 0;
  assert_int_equal(connect4(c, port, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEWOULDBLOCK);
  assert_int_equal(select1(c, 1, 0), 0); /* waiting for the decision */
  assert_int_equal(connect4(c, port, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEALREADY);
  cond_calls = 0;
  SOCKET a = p.lpWSPAccept(l, NULL, NULL, decide, CF_ACCEPT, &err);
  assert_int_not_equal(a, INVALID_SOCKET);
  assert_int_equal(cond_calls, 1);
  assert_int_equal(cond_caller_port, local_port(c));
  assert_int_equal(select1(c, 1, 0), 1);
  must_send(c, "in");
  must_recv(a, "in");
  closes(a);
  closes(c);
  closes(l);
}

static void conditional_accept_cf_reject_refuses_the_connect(void **state) {
  (void)state;
  USHORT port;
  SOCKET l = conditional_listener(&port);
  SOCKET c = mk(&tcp4);
  nonblocking(c, 1);
  int err = 0;
  assert_int_equal(connect4(c, port, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEWOULDBLOCK);
  assert_int_equal(p.lpWSPAccept(l, NULL, NULL, decide, CF_REJECT, &err),
                   INVALID_SOCKET);
  assert_int_equal(err, WSAECONNREFUSED);
  assert_int_equal(select1(c, 2, 0), 1);
  assert_int_equal(so_error(c), WSAECONNREFUSED);
  nonblocking(l, 1);
  assert_int_equal(p.lpWSPAccept(l, NULL, NULL, NULL, 0, &err), INVALID_SOCKET);
  assert_int_equal(err, WSAEWOULDBLOCK); /* the queue is empty */
  closes(c);
  closes(l);
}

typedef struct {
  SOCKET s;
  USHORT port;
  int rc, err;
} connect_job;

static DWORD WINAPI blocking_connect(LPVOID arg) {
  connect_job *j = arg;
  j->rc = connect4(j->s, j->port, &j->err);
  return 0;
}

static void
conditional_accept_cf_reject_fails_a_blocking_connect(void **state) {
  (void)state;
  USHORT port;
  SOCKET l = conditional_listener(&port);
  connect_job j = {mk(&tcp4), port};
  HANDLE t = must_thread(blocking_connect, &j);
  int err = 0;
  /* The blocking accept returns once the connect is queued. */
  assert_int_equal(p.lpWSPAccept(l, NULL, NULL, decide, CF_REJECT, &err),
                   INVALID_SOCKET);
  assert_int_equal(err, WSAECONNREFUSED);
  join(t);
  assert_int_equal(j.rc, SOCKET_ERROR);
  assert_int_equal(j.err, WSAECONNREFUSED);
  closes(j.s);
  closes(l);
}

static void
conditional_accept_cf_defer_keeps_the_connection_pending(void **state) {
  (void)state;
  USHORT port;
  SOCKET l = conditional_listener(&port);
  SOCKET c = mk(&tcp4);
  nonblocking(c, 1);
  int err = 0;
  assert_int_equal(connect4(c, port, &err), SOCKET_ERROR);
  cond_calls = 0;
  assert_int_equal(p.lpWSPAccept(l, NULL, NULL, decide, CF_DEFER, &err),
                   INVALID_SOCKET);
  assert_int_equal(err, WSATRY_AGAIN);
  assert_int_equal(select1(c, 1, 0), 0);
  assert_int_equal(select1(l, 0, 0), 1); /* still there to accept */
  SOCKET a = p.lpWSPAccept(l, NULL, NULL, decide, CF_ACCEPT, &err);
  assert_int_not_equal(a, INVALID_SOCKET);
  assert_int_equal(cond_calls, 2);
  assert_int_equal(select1(c, 1, 0), 1);
  closes(a);
  closes(c);
  closes(l);
}

static void
cf_reject_without_conditional_accept_resets_the_connection(void **state) {
  (void)state;
  USHORT port;
  SOCKET l = listener(&port);
  SOCKET c = mk(&tcp4);
  int err = 0;
  assert_int_equal(connect4(c, port, &err), 0); /* established at once */
  assert_int_equal(p.lpWSPAccept(l, NULL, NULL, decide, CF_REJECT, &err),
                   INVALID_SOCKET);
  assert_int_equal(err, WSAECONNREFUSED);
  char buf[4];
  DWORD got;
  assert_int_equal(xrecv(c, buf, sizeof buf, &got, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAECONNRESET);
  closes(c);
  closes(l);
}

/* ---- Datagrams ---- */

static void
dgram_connected_socket_sends_with_send_and_hears_only_its_peer(void **state) {
  (void)state;
  SOCKET a = mk(&udp4), b = mk(&udp4), stranger = mk(&udp4);
  bind4(a, 0);
  bind4(b, 0);
  int err = 0;
  DWORD sent;
  assert_int_equal(xsend(a, "x", 1, &sent, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAENOTCONN);
  assert_int_equal(connect4(a, local_port(b), &err), 0);
  assert_int_equal(connect4(b, local_port(a), &err), 0);
  struct sockaddr_in to_a = in4(local_port(a));
  assert_int_equal(xsendto(stranger, "no", 2, &to_a, sizeof to_a, &err), 0);
  must_send(b, "yes");
  char buf[8];
  DWORD got = 0;
  assert_int_equal(xrecv(a, buf, sizeof buf, &got, &err), 0);
  assert_int_equal(got, 3);
  assert_memory_equal(buf, "yes", 3);
  nonblocking(a, 1);
  assert_int_equal(xrecv(a, buf, sizeof buf, &got, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEWOULDBLOCK); /* the stranger's was dropped */
  struct sockaddr_in elsewhere = in4(local_port(stranger));
  assert_int_equal(xsendto(a, "z", 1, &elsewhere, sizeof elsewhere, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEISCONN);
  struct sockaddr_in peer;
  int len = sizeof peer;
  assert_int_equal(p.lpWSPGetPeerName(a, (struct sockaddr *)&peer, &len, &err),
                   0);
  assert_int_equal(port_of((struct sockaddr *)&peer), local_port(b));
  closes(a);
  closes(b);
  closes(stranger);
}

static void dgram_queue_drops_when_full(void **state) {
  (void)state;
  SOCKET r = mk(&udp4), s = mk(&udp4);
  bind4(r, 0);
  int v = 1000, err = 0;
  assert_int_equal(
      p.lpWSPSetSockOpt(r, SOL_SOCKET, SO_RCVBUF, (char *)&v, sizeof v, &err),
      0);
  struct sockaddr_in to = in4(local_port(r));
  static char chunk[400];
  for (int i = 0; i < 5; i++) {
    chunk[0] = (char)i;
    assert_int_equal(xsendto(s, chunk, sizeof chunk, &to, sizeof to, &err),
                     0); /* sending never fails for a full queue */
  }
  nonblocking(r, 1);
  char buf[400];
  DWORD got, flags;
  for (int i = 0; i < 2; i++) {
    assert_int_equal(
        xrecvfrom(r, buf, sizeof buf, &got, &flags, NULL, NULL, &err), 0);
    assert_int_equal(buf[0], i);
  }
  assert_int_equal(
      xrecvfrom(r, buf, sizeof buf, &got, &flags, NULL, NULL, &err),
      SOCKET_ERROR);
  assert_int_equal(err, WSAEWOULDBLOCK);
  closes(r);
  closes(s);
}

/* ---- Overlapped I/O ---- */

static void
overlapped_recv_with_event_completes_when_the_peer_sends(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = must_event();
  SetEvent(ov.hEvent); /* submission resets it */
  char buf[16];
  int err = 0;
  assert_int_equal(submit_recv(a, &ov, buf, sizeof buf, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSA_IO_PENDING);
  assert_int_equal(ov.Internal, WSS_OPERATION_IN_PROGRESS);
  assert_int_equal(WaitForSingleObject(ov.hEvent, 0), WAIT_TIMEOUT);
  DWORD bytes = 0, flags = 0;
  assert_false(p.lpWSPGetOverlappedResult(a, &ov, &bytes, FALSE, &flags, &err));
  assert_int_equal(err, WSA_IO_INCOMPLETE);
  must_send(c, "event");
  assert_int_equal(WaitForSingleObject(ov.hEvent, WAIT_MS), WAIT_OBJECT_0);
  assert_true(p.lpWSPGetOverlappedResult(a, &ov, &bytes, TRUE, &flags, &err));
  assert_int_equal(bytes, 5);
  assert_memory_equal(buf, "event", 5);
  CloseHandle(ov.hEvent);
  closes(c);
  closes(a);
}

static void
overlapped_send_larger_than_the_window_completes_after_reads(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  static char big[200000];
  memset(big, 'o', sizeof big);
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = must_event();
  DWORD sent = 0;
  int err = 0;
  assert_int_equal(submit_send(c, &ov, big, sizeof big, NULL, &sent, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSA_IO_PENDING);
  static char sink[8192];
  DWORD total = 0;
  while (total < sizeof big) {
    DWORD got = 0;
    assert_int_equal(xrecv(a, sink, sizeof sink, &got, &err), 0);
    total += got;
  }
  assert_int_equal(WaitForSingleObject(ov.hEvent, WAIT_MS), WAIT_OBJECT_0);
  DWORD bytes = 0, flags = 0;
  assert_true(p.lpWSPGetOverlappedResult(c, &ov, &bytes, FALSE, &flags, &err));
  assert_int_equal(bytes, sizeof big);
  CloseHandle(ov.hEvent);
  closes(c);
  closes(a);
}

static void overlapped_recv_with_completion_routine_runs_only_in_alertable_wait(
    void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  char buf[16];
  int err = 0;
  routine_calls = 0;
  /* The thread id is the caller's to reuse once the call returns. */
  WSATHREADID tid = *wpu_thread_id_current();
  WSABUF wb = {sizeof buf, buf};
  DWORD flags = 0, got = 0;
  assert_int_equal(
      p.lpWSPRecv(a, &wb, 1, &got, &flags, &ov, on_done, &tid, &err),
      SOCKET_ERROR);
  assert_int_equal(err, WSA_IO_PENDING);
  memset(&tid, 0, sizeof tid);
  must_send(c, "apc");
  HANDLE idle = must_event();
  assert_int_equal(WaitForSingleObject(idle, 0), WAIT_TIMEOUT);
  assert_int_equal(routine_calls, 0); /* not alertable: not yet */
  assert_int_equal(SleepEx(WAIT_MS, TRUE), WAIT_IO_COMPLETION);
  assert_int_equal(routine_calls, 1);
  assert_int_equal(routine_err, 0);
  assert_int_equal(routine_bytes, 3);
  assert_ptr_equal(routine_ov, &ov);
  assert_int_equal(routine_tid, GetCurrentThreadId());
  assert_memory_equal(buf, "apc", 3);
  CloseHandle(idle);
  closes(c);
  closes(a);
}

static void
overlapped_recv_posts_to_the_completion_port_with_the_key(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  assert_non_null(port);
  assert_ptr_equal(CreateIoCompletionPort((HANDLE)a, port, 0x77, 0), port);
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov); /* no event */
  char buf[16];
  int err = 0;
  assert_int_equal(submit_recv(a, &ov, buf, sizeof buf, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSA_IO_PENDING);
  must_send(c, "port");
  DWORD bytes = 0;
  ULONG_PTR key = 0;
  LPOVERLAPPED got = NULL;
  assert_true(GetQueuedCompletionStatus(port, &bytes, &key, &got, WAIT_MS));
  assert_int_equal(bytes, 4);
  assert_int_equal(key, 0x77);
  assert_ptr_equal(got, (LPOVERLAPPED)&ov);
  assert_memory_equal(buf, "port", 4);
  CloseHandle(port);
  closes(c);
  closes(a);
}

static void
closesocket_aborts_io_in_flight_with_wsa_operation_aborted(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  assert_ptr_equal(CreateIoCompletionPort((HANDLE)a, port, 9, 0), port);
  WSAOVERLAPPED ov1, ov2;
  memset(&ov1, 0, sizeof ov1);
  memset(&ov2, 0, sizeof ov2);
  ov2.hEvent = (HANDLE)((ULONG_PTR)must_event() | 1);
  char b1[8], b2[8];
  int err = 0;
  assert_int_equal(submit_recv(a, &ov1, b1, sizeof b1, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSA_IO_PENDING);
  assert_int_equal(submit_recv(a, &ov2, b2, sizeof b2, NULL, &err),
                   SOCKET_ERROR);
  closes(a);
  DWORD bytes = 1;
  ULONG_PTR key = 0;
  LPOVERLAPPED got = NULL;
  SetLastError(0);
  assert_false(GetQueuedCompletionStatus(port, &bytes, &key, &got, WAIT_MS));
  assert_int_equal(GetLastError(), ERROR_OPERATION_ABORTED);
  assert_ptr_equal(got, (LPOVERLAPPED)&ov1);
  assert_int_equal(key, 9);
  HANDLE ev2 = (HANDLE)((ULONG_PTR)ov2.hEvent & ~(ULONG_PTR)1);
  assert_int_equal(WaitForSingleObject(ev2, WAIT_MS), WAIT_OBJECT_0);
  assert_int_equal(ov2.OffsetHigh, WSA_OPERATION_ABORTED);
  assert_int_not_equal(ov2.Internal, WSS_OPERATION_IN_PROGRESS);
  CloseHandle(ev2);
  CloseHandle(port);
  closes(c);
}

static void
get_overlapped_result_with_wait_blocks_until_completion(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = must_event();
  char buf[16];
  int err = 0;
  assert_int_equal(submit_recv(a, &ov, buf, sizeof buf, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSA_IO_PENDING);
  send_job j = {c, "waited"};
  HANDLE t = must_thread(send_later, &j);
  DWORD bytes = 0, flags = 0;
  assert_true(p.lpWSPGetOverlappedResult(a, &ov, &bytes, TRUE, &flags, &err));
  assert_int_equal(bytes, 6);
  assert_memory_equal(buf, "waited", 6);
  join(t);
  WSAOVERLAPPED none;
  memset(&none, 0, sizeof none);
  none.Internal = WSS_OPERATION_IN_PROGRESS;
  assert_false(
      p.lpWSPGetOverlappedResult(a, &none, &bytes, TRUE, &flags, &err));
  assert_int_equal(err, WSA_INVALID_HANDLE); /* nothing to wait on */
  assert_false(p.lpWSPGetOverlappedResult(a, NULL, &bytes, TRUE, &flags, &err));
  assert_int_equal(err, WSAEFAULT);
  CloseHandle(ov.hEvent);
  closes(c);
  closes(a);
}

static void bad_buffers_and_lengths_fail_with_wsaefault(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  int err = 0;
  DWORD n = 0, flags = 0;
  WSABUF bad = {4, NULL};
  assert_int_equal(p.lpWSPSend(c, &bad, 1, &n, 0, NULL, NULL, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
  assert_int_equal(p.lpWSPRecv(a, &bad, 1, &n, &flags, NULL, NULL, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
  char buf[4];
  WSABUF ok = {sizeof buf, buf};
  assert_int_equal(p.lpWSPRecv(a, &ok, 1, &n, NULL, NULL, NULL, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT); /* lpFlags is required */
  struct sockaddr_in name;
  int len = 8;
  assert_int_equal(p.lpWSPGetSockName(c, (struct sockaddr *)&name, &len, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
  len = 8;
  assert_int_equal(p.lpWSPGetPeerName(c, (struct sockaddr *)&name, &len, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
  USHORT port;
  SOCKET l = listener(&port);
  len = 8;
  assert_int_equal(
      p.lpWSPAccept(l, (struct sockaddr *)&name, &len, NULL, 0, &err),
      INVALID_SOCKET);
  assert_int_equal(err, WSAEFAULT);
  assert_int_equal(p.lpWSPEnumNetworkEvents(c, NULL, NULL, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
  SOCKET u = mk(&udp4);
  bind4(u, 0);
  len = 8;
  assert_int_equal(p.lpWSPRecvFrom(u, &ok, 1, &n, &flags,
                                   (struct sockaddr *)&name, &len, NULL, NULL,
                                   NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
  struct sockaddr_in to = in4(local_port(u));
  assert_int_equal(xsendto(u, "x", 1, &to, 8, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
  assert_int_equal(p.lpWSPEventSelect(c, NULL, FD_READ, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL); /* events without an event object */
  assert_int_equal(p.lpWSPShutdown(c, 7, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  closes(u);
  closes(l);
  closes(c);
  closes(a);
}

/* ---- select ---- */

static void select_reports_readiness_and_times_out(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  int err = 0;
  fd_set r;
  FD_ZERO(&r);
  struct timeval tv = {0, 0};
  assert_int_equal(p.lpWSPSelect(0, &r, NULL, NULL, &tv, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL); /* nothing to wait for */
  assert_int_equal(select1(a, 0, 0), 0);
  assert_int_equal(select1(a, 0, 20000), 0); /* a 20 ms timeout expires */
  assert_int_equal(select1(a, 1, 0), 1);
  must_send(c, "r");
  fd_set rd, wr;
  FD_ZERO(&rd);
  FD_ZERO(&wr);
  FD_SET(a, &rd);
  FD_SET(c, &rd);
  FD_SET(a, &wr);
  assert_int_equal(p.lpWSPSelect(0, &rd, &wr, NULL, &tv, &err), 2);
  assert_int_equal(rd.fd_count, 1);
  assert_true(rd.fd_array[0] == a);
  assert_int_equal(wr.fd_count, 1);
  closes(c);
  closes(a);
}

typedef struct {
  SOCKET s;
  struct timeval tv;
  HANDLE started;
  int n, err;
  fd_set set;
} long_select_job;

static DWORD WINAPI long_select(LPVOID arg) {
  long_select_job *j = arg;
  FD_ZERO(&j->set);
  FD_SET(j->s, &j->set);
  SetEvent(j->started);
  j->n = p.lpWSPSelect(0, &j->set, NULL, NULL, &j->tv, &j->err);
  return 0;
}

static void
select_timeout_beyond_32_bits_of_milliseconds_blocks_until_data(void **state) {
  (void)state;
  /* 4294967.296 s is 2^32 ms (once computed in 32 bits: 0, select returned
   * at once); 4294967.295 s is 0xffffffff ms (once INFINITE). */
  static const long usecs[] = {296000, 295000};
  for (int i = 0; i < 2; i++) {
    SOCKET c, a;
    pair(&c, &a);
    long_select_job j;
    memset(&j, 0, sizeof j);
    j.s = a;
    j.tv.tv_sec = 4294967;
    j.tv.tv_usec = usecs[i];
    j.started = must_event();
    HANDLE t = must_thread(long_select, &j);
    assert_int_equal(WaitForSingleObject(j.started, WAIT_MS), WAIT_OBJECT_0);
    /* A bounded look, not a wait for a condition: the select must not have
     * returned on its own. */
    assert_int_equal(WaitForSingleObject(t, 100), WAIT_TIMEOUT);
    must_send(c, "w");
    join(t);
    assert_int_equal(j.n, 1);
    assert_int_equal(j.set.fd_count, 1);
    assert_true(j.set.fd_array[0] == a);
    CloseHandle(j.started);
    closes(c);
    closes(a);
  }
  /* A short timeout still expires, and not before its time. */
  SOCKET c, a;
  pair(&c, &a);
  ULONGLONG t0 = GetTickCount64();
  assert_int_equal(select1(a, 0, 50000), 0);
  assert_true(GetTickCount64() - t0 >= 50);
  closes(c);
  closes(a);
}

/* ---- WSPEventSelect ---- */

static void event_select_records_fd_read_until_recv_reenables_it(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  HANDLE ev = must_event();
  WSANETWORKEVENTS ne;
  int err = 0;
  assert_int_equal(
      p.lpWSPEventSelect(a, ev, FD_READ | FD_WRITE | FD_CLOSE, &err), 0);
  /* Connected and writable already: FD_WRITE at once. */
  assert_int_equal(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
  assert_int_equal(enum_events(a, ev, &ne), FD_WRITE);
  assert_int_equal(WaitForSingleObject(ev, 0), WAIT_TIMEOUT); /* reset */
  must_send(c, "abc");
  assert_int_equal(WaitForSingleObject(ev, WAIT_MS), WAIT_OBJECT_0);
  assert_int_equal(enum_events(a, ev, &ne), FD_READ);
  must_send(c, "def");
  assert_int_equal(WaitForSingleObject(ev, 0), WAIT_TIMEOUT); /* disabled */
  char buf[2];
  DWORD got = 0;
  assert_int_equal(xrecv(a, buf, sizeof buf, &got, &err), 0);
  /* recv re-enabled FD_READ and data remains: recorded again. */
  assert_int_equal(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
  assert_int_equal(enum_events(a, ev, &ne), FD_READ);
  char rest[8];
  assert_int_equal(xrecv(a, rest, sizeof rest, &got, &err), 0);
  assert_int_equal(got, 4);
  assert_int_equal(WaitForSingleObject(ev, 0), WAIT_TIMEOUT);
  closes(c);
  assert_int_equal(WaitForSingleObject(ev, WAIT_MS), WAIT_OBJECT_0);
  assert_int_equal(enum_events(a, ev, &ne), FD_CLOSE);
  assert_int_equal(ne.iErrorCode[FD_CLOSE_BIT], 0);
  /* The socket is non-blocking now and cannot go back while selected. */
  u_long off = 0;
  DWORD ret;
  assert_int_equal(p.lpWSPIoctl(a, FIONBIO, &off, sizeof off, NULL, 0, &ret,
                                NULL, NULL, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  assert_int_equal(p.lpWSPEventSelect(a, NULL, 0, &err), 0);
  nonblocking(a, 0);
  closes(a);
  CloseHandle(ev);
}

static void event_select_records_fd_write_after_wsaewouldblock(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  HANDLE ev = must_event();
  WSANETWORKEVENTS ne;
  int err = 0;
  assert_int_equal(p.lpWSPEventSelect(c, ev, FD_WRITE, &err), 0);
  assert_int_equal(enum_events(c, ev, &ne), FD_WRITE);
  static char big[70000];
  DWORD sent = 0;
  assert_int_equal(xsend(c, big, sizeof big, &sent, &err), 0);
  assert_int_equal(sent, 65536);
  assert_int_equal(xsend(c, big, 1, &sent, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEWOULDBLOCK);
  assert_int_equal(WaitForSingleObject(ev, 0), WAIT_TIMEOUT);
  char sink[100];
  DWORD got = 0;
  assert_int_equal(xrecv(a, sink, sizeof sink, &got, &err), 0);
  assert_int_equal(WaitForSingleObject(ev, WAIT_MS), WAIT_OBJECT_0);
  assert_int_equal(enum_events(c, ev, &ne), FD_WRITE);
  closes(c);
  closes(a);
  CloseHandle(ev);
}

/* ---- WSPAsyncSelect ---- */

/* The next socket message for hwnd (the messages were posted by the
 * calls that caused them, on this thread: no waiting needed). */
static BOOL next_message(HWND hwnd, MSG *msg) {
  return PeekMessageW(msg, hwnd, WM_SOCK, WM_SOCK, PM_REMOVE);
}

static void async_select_posts_fd_read_and_fd_close_messages(void **state) {
  (void)state;
  static const WCHAR cls[] = L"memnet_async";
  HWND hwnd = message_window(cls);
  SOCKET c, a;
  pair(&c, &a);
  int err = 0;
  MSG msg;
  assert_int_equal(
      p.lpWSPAsyncSelect(a, hwnd, WM_SOCK, FD_READ | FD_CLOSE, &err), 0);
  assert_false(next_message(hwnd, &msg));
  must_send(c, "msg");
  assert_true(next_message(hwnd, &msg));
  assert_true((SOCKET)msg.wParam == a);
  assert_int_equal(WSAGETSELECTEVENT(msg.lParam), FD_READ);
  assert_int_equal(WSAGETSELECTERROR(msg.lParam), 0);
  must_send(c, "!"); /* FD_READ waits for a recv to re-enable it */
  assert_false(next_message(hwnd, &msg));
  char buf[8];
  DWORD got = 0;
  assert_int_equal(xrecv(a, buf, sizeof buf, &got, &err), 0);
  assert_int_equal(got, 4);
  assert_false(next_message(hwnd, &msg));
  closes(c);
  assert_true(next_message(hwnd, &msg));
  assert_int_equal(WSAGETSELECTEVENT(msg.lParam), FD_CLOSE);
  assert_int_equal(WSAGETSELECTERROR(msg.lParam), 0);
  closes(a);
  assert_true(DestroyWindow(hwnd));
  assert_true(UnregisterClassW(cls, NULL));
}

/* ---- Address strings ---- */

static void addresses_convert_to_strings_and_back(void **state) {
  (void)state;
  WCHAR text[64];
  DWORD len = 64;
  int err = 0;
  struct sockaddr_in a = in4(8080);
  assert_int_equal(
      p.lpWSPAddressToString((LPSOCKADDR)&a, sizeof a, &tcp4, text, &len, &err),
      0);
  assert_true(wide_is(text, "127.0.0.1:8080"));
  assert_int_equal(len, 15);
  struct sockaddr_in6 b = in6(443);
  len = 64;
  assert_int_equal(
      p.lpWSPAddressToString((LPSOCKADDR)&b, sizeof b, &tcp6, text, &len, &err),
      0);
  assert_true(wide_is(text, "[::1]:443"));
  len = 3;
  assert_int_equal(
      p.lpWSPAddressToString((LPSOCKADDR)&b, sizeof b, &tcp6, text, &len, &err),
      SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
  assert_int_equal(len, 10);
  struct sockaddr_in6 back;
  int blen = sizeof back;
  WCHAR v6[] = L"[::1]:443";
  assert_int_equal(p.lpWSPStringToAddress(v6, AF_INET6, &tcp6,
                                          (LPSOCKADDR)&back, &blen, &err),
                   0);
  assert_int_equal(blen, sizeof back);
  assert_memory_equal(&back, &b, sizeof b);
  struct sockaddr_in back4;
  blen = sizeof back4;
  WCHAR v4[] = L"127.0.0.1:8080";
  assert_int_equal(p.lpWSPStringToAddress(v4, AF_INET, &tcp4,
                                          (LPSOCKADDR)&back4, &blen, &err),
                   0);
  assert_memory_equal(&back4, &a, sizeof a);
  WCHAR bad[] = L"127.0.0.256";
  assert_int_equal(p.lpWSPStringToAddress(bad, AF_INET, &tcp4,
                                          (LPSOCKADDR)&back4, &blen, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  WCHAR full[] = L"fe80::1:2%3";
  blen = sizeof back;
  assert_int_equal(p.lpWSPStringToAddress(full, AF_INET6, &tcp6,
                                          (LPSOCKADDR)&back, &blen, &err),
                   0);
  assert_int_equal(back.sin6_scope_id, 3);
  len = 64;
  assert_int_equal(p.lpWSPAddressToString((LPSOCKADDR)&back, sizeof back, &tcp6,
                                          text, &len, &err),
                   0);
  assert_true(wide_is(text, "fe80::1:2%3"));
}

/* ---- Extension functions ---- */

static void *extension(SOCKET s, GUID guid) {
  void *fn = NULL;
  DWORD ret = 0;
  int err = 0;
  assert_int_equal(p.lpWSPIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid,
                                sizeof guid, &fn, sizeof fn, &ret, NULL, NULL,
                                NULL, &err),
                   0);
  assert_int_equal(ret, sizeof fn);
  assert_non_null(fn);
  return fn;
}

#define ADDR_BLOCK (sizeof(struct sockaddr_in6) + 16)

static void
acceptex_completes_through_the_listeners_port_on_connect(void **state) {
  (void)state;
  USHORT port;
  SOCKET l = listener(&port);
  GUID ga = WSAID_ACCEPTEX, gs = WSAID_GETACCEPTEXSOCKADDRS;
  LPFN_ACCEPTEX accept_ex = (LPFN_ACCEPTEX)extension(l, ga);
  LPFN_GETACCEPTEXSOCKADDRS sockaddrs =
      (LPFN_GETACCEPTEXSOCKADDRS)extension(l, gs);
  HANDLE cp = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  assert_ptr_equal(CreateIoCompletionPort((HANDLE)l, cp, 0x11, 0), cp);
  SOCKET as = mk(&tcp4);
  char out[2 * ADDR_BLOCK];
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  DWORD received = 99;
  assert_false(accept_ex(l, as, out, 0, ADDR_BLOCK, ADDR_BLOCK, &received,
                         (LPOVERLAPPED)&ov));
  assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
  SOCKET c = mk(&tcp4);
  int err = 0;
  assert_int_equal(connect4(c, port, &err), 0);
  DWORD bytes = 1;
  ULONG_PTR key = 0;
  LPOVERLAPPED got = NULL;
  assert_true(GetQueuedCompletionStatus(cp, &bytes, &key, &got, WAIT_MS));
  assert_int_equal(key, 0x11);
  assert_ptr_equal(got, (LPOVERLAPPED)&ov);
  assert_int_equal(bytes, 0);
  struct sockaddr *loc = NULL, *rem = NULL;
  int loclen = 0, remlen = 0;
  sockaddrs(out, 0, ADDR_BLOCK, ADDR_BLOCK, &loc, &loclen, &rem, &remlen);
  assert_int_equal(loclen, sizeof(struct sockaddr_in));
  assert_int_equal(remlen, sizeof(struct sockaddr_in));
  assert_int_equal(port_of(loc), port);
  assert_int_equal(port_of(rem), local_port(c));
  assert_int_equal(p.lpWSPSetSockOpt(as, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT,
                                     (char *)&l, sizeof l, &err),
                   0);
  must_send(c, "ax");
  must_recv(as, "ax");
  closes(as);
  closes(c);
  closes(l);
  CloseHandle(cp);
}

static void
acceptex_with_a_receive_buffer_completes_with_the_first_bytes(void **state) {
  (void)state;
  USHORT port;
  SOCKET l = listener(&port);
  GUID ga = WSAID_ACCEPTEX;
  LPFN_ACCEPTEX accept_ex = (LPFN_ACCEPTEX)extension(l, ga);
  SOCKET c = mk(&tcp4);
  int err = 0;
  assert_int_equal(connect4(c, port, &err), 0);
  SOCKET as = mk(&tcp4);
  char out[16 + 2 * ADDR_BLOCK];
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = must_event();
  DWORD received = 0;
  assert_false(accept_ex(l, as, out, 16, ADDR_BLOCK, ADDR_BLOCK, &received,
                         (LPOVERLAPPED)&ov));
  assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
  assert_int_equal(WaitForSingleObject(ov.hEvent, 0), WAIT_TIMEOUT);
  must_send(c, "first");
  assert_int_equal(WaitForSingleObject(ov.hEvent, WAIT_MS), WAIT_OBJECT_0);
  DWORD bytes = 0, flags = 0;
  assert_true(p.lpWSPGetOverlappedResult(l, &ov, &bytes, FALSE, &flags, &err));
  assert_int_equal(bytes, 5);
  assert_memory_equal(out, "first", 5);
  /* Data already there: AcceptEx completes at once, and still notifies. */
  SOCKET c2 = mk(&tcp4), as2 = mk(&tcp4);
  assert_int_equal(connect4(c2, port, &err), 0);
  must_send(c2, "ready");
  assert_true(accept_ex(l, as2, out, 16, ADDR_BLOCK, ADDR_BLOCK, &received,
                        (LPOVERLAPPED)&ov));
  assert_int_equal(received, 5);
  assert_int_equal(WaitForSingleObject(ov.hEvent, 0), WAIT_OBJECT_0);
  CloseHandle(ov.hEvent);
  closes(as);
  closes(as2);
  closes(c);
  closes(c2);
  closes(l);
}

static void acceptex_waiting_when_the_listener_closes_is_aborted(void **state) {
  (void)state;
  USHORT port;
  SOCKET l = listener(&port);
  GUID ga = WSAID_ACCEPTEX;
  LPFN_ACCEPTEX accept_ex = (LPFN_ACCEPTEX)extension(l, ga);
  SOCKET as = mk(&tcp4);
  char out[2 * ADDR_BLOCK];
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = must_event();
  DWORD received = 0;
  assert_false(accept_ex(l, as, out, 0, ADDR_BLOCK, ADDR_BLOCK, &received,
                         (LPOVERLAPPED)&ov));
  closes(l);
  assert_int_equal(WaitForSingleObject(ov.hEvent, WAIT_MS), WAIT_OBJECT_0);
  assert_int_equal(ov.OffsetHigh, WSA_OPERATION_ABORTED);
  /* The accept socket is still usable. */
  int err = 0;
  bind4(as, 0);
  assert_int_equal(p.lpWSPListen(as, 1, &err), 0);
  CloseHandle(ov.hEvent);
  closes(as);
}

static void acceptex_with_an_accept_socket_already_waiting_fails_with_wsaeinval(
    void **state) {
  (void)state;
  USHORT port, port2;
  SOCKET l = listener(&port), l2 = listener(&port2);
  GUID ga = WSAID_ACCEPTEX;
  LPFN_ACCEPTEX accept_ex = (LPFN_ACCEPTEX)extension(l, ga);
  SOCKET as = mk(&tcp4);
  char out1[2 * ADDR_BLOCK], out2[2 * ADDR_BLOCK];
  WSAOVERLAPPED ov1, ov2;
  memset(&ov1, 0, sizeof ov1);
  memset(&ov2, 0, sizeof ov2);
  ov1.hEvent = must_event();
  ov2.hEvent = must_event();
  DWORD received = 0;
  assert_false(accept_ex(l, as, out1, 0, ADDR_BLOCK, ADDR_BLOCK, &received,
                         (LPOVERLAPPED)&ov1));
  assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
  /* The same accept socket again, on the same listener or another. */
  assert_false(accept_ex(l, as, out2, 0, ADDR_BLOCK, ADDR_BLOCK, &received,
                         (LPOVERLAPPED)&ov2));
  assert_int_equal(WSAGetLastError(), WSAEINVAL);
  assert_false(accept_ex(l2, as, out2, 0, ADDR_BLOCK, ADDR_BLOCK, &received,
                         (LPOVERLAPPED)&ov2));
  assert_int_equal(WSAGetLastError(), WSAEINVAL);
  SOCKET c1 = mk(&tcp4), c2 = mk(&tcp4);
  int err = 0;
  assert_int_equal(connect4(c1, port, &err), 0);
  assert_int_equal(connect4(c2, port, &err), 0);
  assert_int_equal(WaitForSingleObject(ov1.hEvent, WAIT_MS), WAIT_OBJECT_0);
  DWORD bytes = 1, flags = 0;
  assert_true(p.lpWSPGetOverlappedResult(l, &ov1, &bytes, FALSE, &flags, &err));
  assert_int_equal(bytes, 0);
  assert_int_equal(WaitForSingleObject(ov2.hEvent, 0), WAIT_TIMEOUT);
  /* as holds c1's connection; c2's waits for the next accept. */
  must_send(c1, "one");
  must_recv(as, "one");
  SOCKET a2 = accept_plain(l);
  must_send(c2, "two");
  must_recv(a2, "two");
  /* Closing as ends c1's connection and no other. */
  closes(as);
  DWORD sent = 0;
  assert_int_equal(xsend(c1, "x", 1, &sent, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAECONNRESET);
  must_send(a2, "still");
  must_recv(c2, "still");
  CloseHandle(ov1.hEvent);
  CloseHandle(ov2.hEvent);
  closes(a2);
  closes(c1);
  closes(c2);
  closes(l2);
  closes(l);
}

static void
acceptex_waiting_accept_socket_refuses_connect_bind_listen_and_connectex(
    void **state) {
  (void)state;
  USHORT port, port2;
  SOCKET l = listener(&port), l2 = listener(&port2);
  GUID ga = WSAID_ACCEPTEX, gc = WSAID_CONNECTEX;
  LPFN_ACCEPTEX accept_ex = (LPFN_ACCEPTEX)extension(l, ga);
  LPFN_CONNECTEX connect_ex = (LPFN_CONNECTEX)extension(l, gc);
  SOCKET as = mk(&tcp4);
  char out[2 * ADDR_BLOCK];
  WSAOVERLAPPED ov, cov;
  memset(&ov, 0, sizeof ov);
  memset(&cov, 0, sizeof cov);
  ov.hEvent = must_event();
  cov.hEvent = must_event();
  DWORD received = 0;
  assert_false(accept_ex(l, as, out, 0, ADDR_BLOCK, ADDR_BLOCK, &received,
                         (LPOVERLAPPED)&ov));
  assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
  int err = 0;
  assert_int_equal(connect4(as, port2, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  struct sockaddr_in any = in4(0);
  assert_int_equal(p.lpWSPBind(as, (struct sockaddr *)&any, sizeof any, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  assert_int_equal(p.lpWSPListen(as, 1, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  struct sockaddr_in to = in4(port2);
  DWORD sent = 0;
  assert_false(connect_ex(as, (struct sockaddr *)&to, sizeof to, NULL, 0, &sent,
                          (LPOVERLAPPED)&cov));
  assert_int_equal(WSAGetLastError(), WSAEINVAL);
  /* Nothing reached l2. */
  nonblocking(l2, 1);
  assert_int_equal(p.lpWSPAccept(l2, NULL, NULL, NULL, 0, &err),
                   INVALID_SOCKET);
  assert_int_equal(err, WSAEWOULDBLOCK);
  /* The AcceptEx still takes the next connection. */
  SOCKET c = mk(&tcp4);
  assert_int_equal(connect4(c, port, &err), 0);
  assert_int_equal(WaitForSingleObject(ov.hEvent, WAIT_MS), WAIT_OBJECT_0);
  DWORD bytes = 1, flags = 0;
  assert_true(p.lpWSPGetOverlappedResult(l, &ov, &bytes, FALSE, &flags, &err));
  assert_int_equal(bytes, 0);
  must_send(c, "in");
  must_recv(as, "in");
  must_send(as, "out");
  must_recv(c, "out");
  closes(as);
  closes(l2);
  char buf[4];
  DWORD got = 9;
  assert_int_equal(xrecv(c, buf, sizeof buf, &got, &err), 0);
  assert_int_equal(got, 0); /* as's graceful close */
  CloseHandle(ov.hEvent);
  CloseHandle(cov.hEvent);
  closes(c);
  closes(l);
}

static void
acceptex_whose_accept_socket_closed_fails_and_leaves_the_connection_queued(
    void **state) {
  (void)state;
  USHORT port;
  SOCKET l = listener(&port);
  GUID ga = WSAID_ACCEPTEX;
  LPFN_ACCEPTEX accept_ex = (LPFN_ACCEPTEX)extension(l, ga);
  SOCKET as = mk(&tcp4);
  char out[2 * ADDR_BLOCK];
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = must_event();
  DWORD received = 0;
  assert_false(accept_ex(l, as, out, 0, ADDR_BLOCK, ADDR_BLOCK, &received,
                         (LPOVERLAPPED)&ov));
  assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
  closes(as);
  SOCKET c = mk(&tcp4);
  int err = 0;
  assert_int_equal(connect4(c, port, &err), 0);
  assert_int_equal(WaitForSingleObject(ov.hEvent, WAIT_MS), WAIT_OBJECT_0);
  DWORD bytes = 0, flags = 0;
  assert_false(p.lpWSPGetOverlappedResult(l, &ov, &bytes, FALSE, &flags, &err));
  assert_int_equal(err, WSAENOTSOCK);
  SOCKET a = accept_plain(l);
  must_send(c, "kept");
  must_recv(a, "kept");
  CloseHandle(ov.hEvent);
  closes(a);
  closes(c);
  closes(l);
}

static void
acceptex_accept_socket_takes_another_acceptex_once_reused(void **state) {
  (void)state;
  USHORT port;
  SOCKET l = listener(&port);
  GUID ga = WSAID_ACCEPTEX, gd = WSAID_DISCONNECTEX;
  LPFN_ACCEPTEX accept_ex = (LPFN_ACCEPTEX)extension(l, ga);
  LPFN_DISCONNECTEX disconnect_ex = (LPFN_DISCONNECTEX)extension(l, gd);
  SOCKET as = mk(&tcp4);
  char out[2 * ADDR_BLOCK];
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = must_event();
  DWORD received = 0;
  SOCKET c[2];
  int err = 0;
  for (int i = 0; i < 2; i++) {
    assert_false(accept_ex(l, as, out, 0, ADDR_BLOCK, ADDR_BLOCK, &received,
                           (LPOVERLAPPED)&ov));
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    c[i] = mk(&tcp4);
    assert_int_equal(connect4(c[i], port, &err), 0);
    assert_int_equal(WaitForSingleObject(ov.hEvent, WAIT_MS), WAIT_OBJECT_0);
    DWORD bytes = 1, flags = 0;
    assert_true(
        p.lpWSPGetOverlappedResult(l, &ov, &bytes, FALSE, &flags, &err));
    must_send(c[i], "hello");
    must_recv(as, "hello");
    assert_true(disconnect_ex(as, NULL, TF_REUSE_SOCKET, 0));
  }
  CloseHandle(ov.hEvent);
  closes(as);
  closes(c[0]);
  closes(c[1]);
  closes(l);
}

static void connectex_connects_and_sends_its_data(void **state) {
  (void)state;
  USHORT port;
  SOCKET l = listener(&port);
  SOCKET s = mk(&tcp4), unbound = mk(&tcp4);
  GUID gc = WSAID_CONNECTEX;
  LPFN_CONNECTEX connect_ex = (LPFN_CONNECTEX)extension(s, gc);
  struct sockaddr_in to = in4(port);
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = must_event();
  DWORD sent = 0;
  char hi[] = "hi";
  assert_false(connect_ex(unbound, (struct sockaddr *)&to, sizeof to, hi, 2,
                          &sent, (LPOVERLAPPED)&ov));
  assert_int_equal(WSAGetLastError(), WSAEINVAL); /* must be bound */
  bind4(s, 0);
  assert_true(connect_ex(s, (struct sockaddr *)&to, sizeof to, hi, 2, &sent,
                         (LPOVERLAPPED)&ov));
  assert_int_equal(sent, 2);
  assert_int_equal(WaitForSingleObject(ov.hEvent, 0), WAIT_OBJECT_0);
  int err = 0;
  assert_int_equal(p.lpWSPSetSockOpt(s, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT,
                                     NULL, 0, &err),
                   0);
  SOCKET a = accept_plain(l);
  must_recv(a, "hi");
  CloseHandle(ov.hEvent);
  closes(a);
  closes(s);
  closes(unbound);
  closes(l);
}

static void
connectex_to_a_conditional_listener_completes_on_the_decision(void **state) {
  (void)state;
  USHORT port;
  SOCKET l = conditional_listener(&port);
  SOCKET s1 = mk(&tcp4), s2 = mk(&tcp4);
  bind4(s1, 0);
  bind4(s2, 0);
  GUID gc = WSAID_CONNECTEX;
  LPFN_CONNECTEX connect_ex = (LPFN_CONNECTEX)extension(s1, gc);
  struct sockaddr_in to = in4(port);
  WSAOVERLAPPED ov1, ov2;
  memset(&ov1, 0, sizeof ov1);
  memset(&ov2, 0, sizeof ov2);
  ov1.hEvent = must_event();
  ov2.hEvent = must_event();
  DWORD sent = 0;
  char abc[] = "abc";
  assert_false(connect_ex(s1, (struct sockaddr *)&to, sizeof to, abc, 3, &sent,
                          (LPOVERLAPPED)&ov1));
  assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
  assert_false(connect_ex(s2, (struct sockaddr *)&to, sizeof to, NULL, 0, &sent,
                          (LPOVERLAPPED)&ov2));
  assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
  assert_int_equal(WaitForSingleObject(ov1.hEvent, 0), WAIT_TIMEOUT);
  int err = 0;
  SOCKET a = p.lpWSPAccept(l, NULL, NULL, decide, CF_ACCEPT, &err);
  assert_int_not_equal(a, INVALID_SOCKET);
  assert_int_equal(WaitForSingleObject(ov1.hEvent, WAIT_MS), WAIT_OBJECT_0);
  DWORD bytes = 0, flags = 0;
  assert_true(
      p.lpWSPGetOverlappedResult(s1, &ov1, &bytes, FALSE, &flags, &err));
  assert_int_equal(bytes, 3);
  must_recv(a, "abc");
  assert_int_equal(p.lpWSPAccept(l, NULL, NULL, decide, CF_REJECT, &err),
                   INVALID_SOCKET);
  assert_int_equal(WaitForSingleObject(ov2.hEvent, WAIT_MS), WAIT_OBJECT_0);
  assert_false(
      p.lpWSPGetOverlappedResult(s2, &ov2, &bytes, FALSE, &flags, &err));
  assert_int_equal(err, WSAECONNREFUSED);
  CloseHandle(ov1.hEvent);
  CloseHandle(ov2.hEvent);
  closes(a);
  closes(s1);
  closes(s2);
  closes(l);
}

static void
disconnectex_ends_the_connection_and_the_socket_connects_again(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  GUID gd = WSAID_DISCONNECTEX;
  LPFN_DISCONNECTEX disconnect_ex = (LPFN_DISCONNECTEX)extension(c, gd);
  must_send(c, "end");
  assert_true(disconnect_ex(c, NULL, TF_REUSE_SOCKET, 0));
  must_recv(a, "end");
  char buf[4];
  DWORD got = 9;
  int err = 0;
  assert_int_equal(xrecv(a, buf, sizeof buf, &got, &err), 0);
  assert_int_equal(got, 0);
  assert_false(disconnect_ex(c, NULL, 0, 0));
  assert_int_equal(WSAGetLastError(), WSAENOTCONN);
  USHORT port;
  SOCKET l = listener(&port);
  assert_int_equal(connect4(c, port, &err), 0);
  SOCKET a2 = accept_plain(l);
  must_send(c, "again");
  must_recv(a2, "again");
  closes(a2);
  closes(l);
  closes(a);
  closes(c);
}

/* ---- Cleanup and overlapped ioctls ---- */

static void last_cleanup_closes_the_sockets_left_open(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  SOCKET u = mk(&udp6);
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = must_event();
  char buf[4];
  int err = 0;
  assert_int_equal(submit_recv(a, &ov, buf, sizeof buf, NULL, &err),
                   SOCKET_ERROR);
  for (int i = 0; i < 3; i++)
    assert_int_equal(p.lpWSPCleanup(&err), 0);
  assert_int_equal(wpu_socket_query(c, NULL), WPU_SOCKET_IFS);
  assert_int_equal(p.lpWSPCleanup(&err), 0);
  assert_int_equal(wpu_socket_query(c, NULL), WPU_SOCKET_NONE);
  assert_int_equal(wpu_socket_query(a, NULL), WPU_SOCKET_NONE);
  assert_int_equal(wpu_socket_query(u, NULL), WPU_SOCKET_NONE);
  assert_int_equal(WaitForSingleObject(ov.hEvent, WAIT_MS), WAIT_OBJECT_0);
  assert_int_equal(ov.OffsetHigh, WSA_OPERATION_ABORTED);
  assert_int_equal(p.lpWSPCleanup(&err), SOCKET_ERROR);
  assert_int_equal(err, WSANOTINITIALISED);
  CloseHandle(ov.hEvent);
  assert_int_equal(start_all(), 0); /* for the teardown's cleanups */
}

static void overlapped_ioctl_completes_at_once_and_notifies(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  must_send(c, "12345");
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = must_event();
  u_long avail = 0;
  DWORD ret = 0;
  int err = 0;
  assert_int_equal(p.lpWSPIoctl(a, FIONREAD, NULL, 0, &avail, sizeof avail,
                                &ret, &ov, NULL, NULL, &err),
                   0);
  assert_int_equal(avail, 5);
  assert_int_equal(WaitForSingleObject(ov.hEvent, 0), WAIT_OBJECT_0);
  DWORD bytes = 0, flags = 0;
  assert_true(p.lpWSPGetOverlappedResult(a, &ov, &bytes, TRUE, &flags, &err));
  assert_int_equal(bytes, sizeof avail);
  CloseHandle(ov.hEvent);
  closes(c);
  closes(a);
}

/* ---- Concurrency ---- */

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(startup_fills_all_thirty_entries),
      T(startup_rejects_winsock_1),
      T(sockets_are_ifs_handles_of_the_callers_catalog_entry),
      T(accepted_sockets_are_registered_under_the_listeners_entry),
      T(calls_on_foreign_handles_fail_with_wsaenotsock),
      T(stream_connect_accept_and_exchange_data),
      T(stream_over_ipv6_loopback),
      T(stream_blocking_recv_waits_for_the_peers_send),
      T(stream_nonblocking_recv_fails_with_wsaewouldblock_until_data),
      T(stream_nonblocking_send_is_partial_when_the_window_fills),
      T(stream_blocking_send_larger_than_the_window_waits_for_the_reader),
      T(stream_recv_returns_zero_after_peer_shutdown_send),
      T(stream_close_is_graceful_and_later_sends_are_reset),
      T(stream_close_with_linger_zero_resets_the_peer),
      T(stream_connect_to_a_port_nobody_listens_on_is_refused),
      T(stream_connect_beyond_the_backlog_is_refused),
      T(stream_nonblocking_connect_reports_success_through_select),
      T(stream_nonblocking_connect_refused_reports_fd_connect_and_so_error),
      T(stream_blocking_recv_is_interrupted_by_closesocket),
      T(bind_accepts_loopback_and_wildcard_and_rejects_the_rest),
      T(listen_on_a_datagram_socket_fails_with_wsaeopnotsupp),
      T(socket_options_and_ioctls_follow_the_reference),
      T(conditional_accept_cf_accept_completes_the_pending_connect),
      T(conditional_accept_cf_reject_refuses_the_connect),
      T(conditional_accept_cf_reject_fails_a_blocking_connect),
      T(conditional_accept_cf_defer_keeps_the_connection_pending),
      T(cf_reject_without_conditional_accept_resets_the_connection),
      T(dgram_sendto_and_recvfrom_report_the_source),
      T(dgram_over_ipv6_loopback),
      T(dgram_truncates_with_wsaemsgsize_and_msg_partial),
      T(dgram_connected_socket_sends_with_send_and_hears_only_its_peer),
      T(dgram_queue_drops_when_full),
      T(dgram_recv_on_an_unbound_socket_fails_with_wsaeinval),
      T(overlapped_recv_with_event_completes_when_the_peer_sends),
      T(overlapped_send_completing_at_once_still_sets_the_event),
      T(overlapped_send_larger_than_the_window_completes_after_reads),
      T(overlapped_recv_with_completion_routine_runs_only_in_alertable_wait),
      T(overlapped_send_completing_at_once_still_queues_the_routine),
      T(overlapped_recv_posts_to_the_completion_port_with_the_key),
      T(overlapped_send_completing_at_once_still_posts_a_packet),
      T(closesocket_aborts_io_in_flight_with_wsa_operation_aborted),
      T(overlapped_recvfrom_fills_the_source_at_completion),
      T(get_overlapped_result_with_wait_blocks_until_completion),
      T(bad_buffers_and_lengths_fail_with_wsaefault),
      T(select_reports_readiness_and_times_out),
      T(select_wakes_when_another_thread_sends),
      T(select_timeout_beyond_32_bits_of_milliseconds_blocks_until_data),
      T(event_select_records_fd_read_until_recv_reenables_it),
      T(event_select_records_fd_accept_and_accepted_sockets_inherit_it),
      T(event_select_records_fd_write_after_wsaewouldblock),
      T(event_select_reports_a_reset_in_fd_close),
      T(async_select_posts_fd_read_and_fd_close_messages),
      T(async_select_with_an_invalid_window_fails_with_wsaeinval),
      T(addresses_convert_to_strings_and_back),
      T(acceptex_completes_through_the_listeners_port_on_connect),
      T(acceptex_with_a_receive_buffer_completes_with_the_first_bytes),
      T(acceptex_waiting_when_the_listener_closes_is_aborted),
      T(acceptex_with_an_accept_socket_already_waiting_fails_with_wsaeinval),
      T(acceptex_waiting_accept_socket_refuses_connect_bind_listen_and_connectex),
      T(acceptex_whose_accept_socket_closed_fails_and_leaves_the_connection_queued),
      T(acceptex_accept_socket_takes_another_acceptex_once_reused),
      T(connectex_connects_and_sends_its_data),
      T(connectex_to_a_conditional_listener_completes_on_the_decision),
      T(disconnectex_ends_the_connection_and_the_socket_connects_again),
      T(last_cleanup_closes_the_sockets_left_open),
      T(overlapped_ioctl_completes_at_once_and_notifies),
      T(two_threads_stream_a_megabyte_each_way_byte_exact),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
