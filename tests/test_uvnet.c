/* test_uvnet.c: uvnet, the base provider over real loopback TCP/UDP, driven
 * through its proc table as ws2_32 (or an LSP above it) drives it: streams
 * blocking and non-blocking, overlapped I/O with events, completion
 * routines and completion ports, datagrams connected and not, select,
 * WSPEventSelect, WSPAsyncSelect, conditional accept, close with I/O in
 * flight, errors, and uvnet talking to a plain TCP echo peer
 * (fws2/echo_peer.h: libuv, no Windows header; a Linux program, or under
 * Wine a Windows one on real sockets). Each test has its own world and starts
 * uvnet for four catalog entries (1001..1004) of its own. Bytes travel through
 * the kernel and a loop thread, so nothing is ready at once: tests wait on
 * blocking calls, events, ports, select or messages, each with a 10 s
 * timeout that fails the test; nothing sleeps.
 * The tests both base providers pass word for word are in
 * wsp_provider_suite.h. */
#include <winsock2.h>
#include <ws2spi.h>
#include <ws2tcpip.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fws2/fixture.h>
#include <fws2/uvnet.h>
#include <wpu/wpu.h>

#include <fws2/echo_peer.h>

#ifndef SIO_BASE_HANDLE
#define SIO_BASE_HANDLE _WSAIOR(IOC_WS2, 34)
#endif

#define WAIT_MS            10000
#define WAIT_US            (WAIT_MS * 1000L)
#define WSPH_STARTUP       fws2_uvnet_WSPStartup
#define WSPH_PROTOCOL_INFO fws2_uvnet_protocol_info
#define WSPH_PROVIDER_ID   fws2_uvnet_provider_id
#include "wsp_provider_harness.h"
#include "wsp_provider_suite.h"

/* A port of 127.0.0.1 where nothing listens (bound, never listening). */
static SOCKET silent_port(USHORT *port) {
  SOCKET b = mk(&tcp4);
  bind4(b, 0);
  *port = local_port(b);
  return b;
}

/* Receives and drops exactly len bytes (blocking). */
static void must_drain(SOCKET s, size_t len) {
  static char sink[65536];
  size_t have = 0;
  while (have < len) {
    DWORD got = 0,
          want = (DWORD)(len - have < sizeof sink ? len - have : sizeof sink);
    int err = 0;
    assert_int_equal(xrecv(s, sink, want, &got, &err), 0);
    assert_true(got > 0);
    have += got;
  }
}

static void set_int(SOCKET s, int level, int name, int v) {
  int err = 0;
  assert_int_equal(
      p.lpWSPSetSockOpt(s, level, name, (char *)&v, sizeof v, &err), 0);
}

static BYTE pattern(size_t i, BYTE seed) {
  return (BYTE)(i * 31 + seed + (i >> 9));
}

/* Sends non-blocking chunks until the buffers on the way are full (the
 * peer does not read); returns the bytes sent. */
static size_t fill(SOCKET s) {
  static char chunk[65536];
  size_t total = 0;
  for (;;) {
    DWORD sent = 0;
    int err = 0;
    if (xsend(s, chunk, sizeof chunk, &sent, &err) != 0) {
      assert_int_equal(err, WSAEWOULDBLOCK);
      return total;
    }
    total += sent;
    assert_true(total < ((size_t)256 << 20)); /* the buffers are bounded */
  }
}

/* ---- Startup and handles ---- */

static void startup_rejects_winsock_1_and_null_pointers(void **state) {
  (void)state;
  WSPDATA data;
  WSPPROC_TABLE t;
  assert_int_equal(fws2_uvnet_WSPStartup(MAKEWORD(1, 1), &data, &tcp4,
                                         wpu_upcall_table(), &t),
                   WSAVERNOTSUPPORTED);
  assert_int_equal(fws2_uvnet_WSPStartup(MAKEWORD(2, 2), NULL, &tcp4,
                                         wpu_upcall_table(), &t),
                   WSAEFAULT);
}

/* ---- Streams, blocking and non-blocking ---- */

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
  struct sockaddr_in6 name;
  int len = sizeof name;
  assert_int_equal(p.lpWSPGetSockName(l, (struct sockaddr *)&name, &len, &err),
                   0);
  assert_int_equal(((BYTE *)&name.sin6_addr)[15], 0); /* still the wildcard */
  struct sockaddr_in6 to = in6(local_port(l));
  assert_int_equal(p.lpWSPConnect(c, (struct sockaddr *)&to, sizeof to, NULL,
                                  NULL, NULL, NULL, &err),
                   0);
  SOCKET a = accept_plain(l);
  must_send(c, "six");
  must_recv(a, "six");
  len = sizeof name;
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
  assert_int_equal(select1(a, 0, WAIT_US), 1);
  u_long avail = 0;
  DWORD ret = 0;
  assert_int_equal(p.lpWSPIoctl(a, FIONREAD, NULL, 0, &avail, sizeof avail,
                                &ret, NULL, NULL, NULL, &err),
                   0);
  assert_true(avail >= 1 && avail <= 2);
  must_recv(a, "ok");
  closes(c);
  closes(a);
}

static void
stream_nonblocking_send_fails_with_wsaewouldblock_once_the_buffers_fill(
    void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  set_int(c, SOL_SOCKET, SO_SNDBUF, 8192);
  set_int(a, SOL_SOCKET, SO_RCVBUF, 8192);
  nonblocking(c, 1);
  size_t total = fill(c);
  assert_true(total > 0);
  /* The reader makes room: the writer becomes writable again. */
  must_drain(a, 65536);
  assert_int_equal(select1(c, 1, WAIT_US), 1);
  DWORD sent = 0;
  int err = 0;
  assert_int_equal(xsend(c, "!", 1, &sent, &err), 0);
  must_drain(a, total - 65536 + 1);
  closes(c);
  closes(a);
}

typedef struct {
  SOCKET s;
  size_t len;
  size_t done;
  BYTE seed;
  int failed;
} bulk_job;

static DWORD WINAPI bulk_reader(LPVOID arg) {
  bulk_job *j = arg;
  static BYTE buf[50000];
  while (j->done < j->len) {
    DWORD got = 0;
    int err = 0;
    if (xrecv(j->s, buf, sizeof buf, &got, &err) != 0 || got == 0) {
      j->failed = err != 0 ? err : -1;
      return 1;
    }
    for (DWORD i = 0; i < got; i++)
      if (buf[i] != pattern(j->done + i, j->seed)) {
        j->failed = -2;
        return 1;
      }
    j->done += got;
  }
  return 0;
}

static void stream_blocking_send_larger_than_the_buffers_waits_for_the_reader(
    void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  size_t len = (size_t)8 << 20;
  BYTE *big = malloc(len);
  assert_non_null(big);
  for (size_t i = 0; i < len; i++)
    big[i] = pattern(i, 5);
  bulk_job j = {a, len, 0, 5, 0};
  HANDLE t = must_thread(bulk_reader, &j);
  DWORD sent = 0;
  int err = 0;
  assert_int_equal(xsend(c, big, (DWORD)len, &sent, &err), 0);
  assert_int_equal(sent, len);
  join(t);
  assert_int_equal(j.failed, 0);
  assert_int_equal(j.done, len);
  free(big);
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
  char buf[4];
  DWORD got = 1;
  assert_int_equal(xrecv(a, buf, sizeof buf, &got, &err), 0);
  assert_int_equal(got, 0); /* the end of the stream */
  assert_int_equal(xrecv(a, buf, sizeof buf, &got, &err), 0);
  assert_int_equal(got, 0); /* and again */
  /* The other direction still works. */
  must_send(a, "back");
  must_recv(c, "back");
  closes(c);
  closes(a);
}

static void stream_graceful_close_delivers_the_data_then_the_end(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  must_send(c, "bye");
  closes(c);
  must_recv(a, "bye");
  char buf[4];
  DWORD got = 1;
  int err = 0;
  assert_int_equal(xrecv(a, buf, sizeof buf, &got, &err), 0);
  assert_int_equal(got, 0);
  closes(a);
}

static void stream_close_with_linger_zero_resets_the_peer(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  LINGER lg = {1, 0};
  int err = 0;
  assert_int_equal(
      p.lpWSPSetSockOpt(c, SOL_SOCKET, SO_LINGER, (char *)&lg, sizeof lg, &err),
      0);
  closes(c);
  char buf[4];
  DWORD got = 0;
  assert_int_equal(xrecv(a, buf, sizeof buf, &got, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAECONNRESET);
  DWORD sent = 0;
  assert_int_equal(xsend(a, "x", 1, &sent, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAECONNRESET);
  closes(a);
}

static void stream_close_with_unread_data_resets_the_peer(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  must_send(a, "unread");
  assert_int_equal(select1(c, 0, WAIT_US), 1); /* it arrived */
  closes(c);
  char buf[4];
  DWORD got = 0;
  int err = 0;
  assert_int_equal(xrecv(a, buf, sizeof buf, &got, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAECONNRESET);
  closes(a);
}

static void
stream_connect_to_a_port_nobody_listens_on_is_refused(void **state) {
  (void)state;
  USHORT port;
  SOCKET b = silent_port(&port);
  SOCKET c = mk(&tcp4);
  int err = 0;
  assert_int_equal(connect4(c, port, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAECONNREFUSED);
  char buf[4];
  DWORD got;
  assert_int_equal(xrecv(c, buf, sizeof buf, &got, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAENOTCONN);
  closes(c);
  closes(b);
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
  assert_int_equal(select1(c, 1, WAIT_US), 1);
  assert_int_equal(so_error(c), 0);
  assert_int_equal(connect4(c, port, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEISCONN);
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
  USHORT port;
  SOCKET b = silent_port(&port);
  SOCKET c = mk(&tcp4);
  HANDLE ev = must_event();
  int err = 0;
  assert_int_equal(p.lpWSPEventSelect(c, ev, FD_CONNECT, &err), 0);
  assert_int_equal(connect4(c, port, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEWOULDBLOCK);
  assert_int_equal(WaitForSingleObject(ev, WAIT_MS), WAIT_OBJECT_0);
  WSANETWORKEVENTS ne;
  assert_int_equal(enum_events(c, ev, &ne), FD_CONNECT);
  assert_int_equal(ne.iErrorCode[FD_CONNECT_BIT], WSAECONNREFUSED);
  assert_int_equal(select1(c, 2, 0), 1); /* the except set */
  assert_int_equal(so_error(c), WSAECONNREFUSED);
  assert_int_equal(so_error(c), 0); /* read once */
  closes(c);
  closes(b);
  CloseHandle(ev);
}

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
  assert_int_not_equal(port, 0);
  assert_int_equal(p.lpWSPBind(s1, (struct sockaddr *)&a, sizeof a, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL); /* bound already */
  struct sockaddr_in same = in4(port);
  assert_int_equal(p.lpWSPBind(s2, (struct sockaddr *)&same, sizeof same, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEADDRINUSE);
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
  /* Nothing leaves the machine. */
  struct sockaddr_in away = in4(80);
  ((BYTE *)&away.sin_addr)[0] = 10;
  assert_int_equal(p.lpWSPConnect(s4, (struct sockaddr *)&away, sizeof away,
                                  NULL, NULL, NULL, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAENETUNREACH);
  WSABUF wb = {1, "x"};
  DWORD sent = 0;
  assert_int_equal(p.lpWSPSendTo(u, &wb, 1, &sent, 0, (struct sockaddr *)&away,
                                 sizeof away, NULL, NULL, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAENETUNREACH);
  struct sockaddr_in nowhere = in4(0);
  assert_int_equal(p.lpWSPConnect(s4, (struct sockaddr *)&nowhere,
                                  sizeof nowhere, NULL, NULL, NULL, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEADDRNOTAVAIL);
  closes(s1);
  closes(s2);
  closes(s3);
  closes(s4);
  closes(u);
}

static void socket_options_and_ioctls_follow_the_reference(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  int v = 0, len = sizeof v, err = 0;
  assert_int_equal(
      p.lpWSPGetSockOpt(c, SOL_SOCKET, SO_TYPE, (char *)&v, &len, &err), 0);
  assert_int_equal(v, SOCK_STREAM);
  len = 2;
  assert_int_equal(
      p.lpWSPGetSockOpt(c, SOL_SOCKET, SO_TYPE, (char *)&v, &len, &err),
      SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
  set_int(c, SOL_SOCKET, SO_RCVBUF, 16384);
  set_int(c, SOL_SOCKET, SO_SNDBUF, 32768);
  len = sizeof v;
  assert_int_equal(
      p.lpWSPGetSockOpt(c, SOL_SOCKET, SO_RCVBUF, (char *)&v, &len, &err), 0);
  assert_int_equal(v, 16384);
  assert_int_equal(
      p.lpWSPGetSockOpt(c, SOL_SOCKET, SO_SNDBUF, (char *)&v, &len, &err), 0);
  assert_int_equal(v, 32768);
  set_int(c, IPPROTO_TCP, TCP_NODELAY, 1);
  assert_int_equal(
      p.lpWSPGetSockOpt(c, IPPROTO_TCP, TCP_NODELAY, (char *)&v, &len, &err),
      0);
  assert_int_equal(v, 1);
  LINGER lg = {1, 5}, out;
  assert_int_equal(
      p.lpWSPSetSockOpt(c, SOL_SOCKET, SO_LINGER, (char *)&lg, sizeof lg, &err),
      0);
  len = sizeof out;
  assert_int_equal(
      p.lpWSPGetSockOpt(c, SOL_SOCKET, SO_LINGER, (char *)&out, &len, &err), 0);
  assert_int_equal(out.l_onoff, 1);
  assert_int_equal(out.l_linger, 5);
  assert_int_equal(so_error(c), 0);
  assert_int_equal(
      p.lpWSPSetSockOpt(c, SOL_SOCKET, 0x7777, (char *)&v, sizeof v, &err),
      SOCKET_ERROR);
  assert_int_equal(err, WSAENOPROTOOPT);
  SOCKET u = mk(&udp4);
  assert_int_equal(
      p.lpWSPSetSockOpt(u, SOL_SOCKET, SO_LINGER, (char *)&lg, sizeof lg, &err),
      SOCKET_ERROR);
  assert_int_equal(err, WSAENOPROTOOPT);
  assert_int_equal(p.lpWSPSetSockOpt(u, IPPROTO_TCP, TCP_NODELAY, (char *)&v,
                                     sizeof v, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAENOPROTOOPT);
  len = sizeof v;
  assert_int_equal(
      p.lpWSPGetSockOpt(u, SOL_SOCKET, SO_MAX_MSG_SIZE, (char *)&v, &len, &err),
      0);
  assert_int_equal(v, 65507);
  /* FIONREAD counts what arrived; no extension functions. */
  must_send(c, "four");
  assert_int_equal(select1(a, 0, WAIT_US), 1);
  u_long avail = 0;
  DWORD ret = 0;
  assert_int_equal(p.lpWSPIoctl(a, FIONREAD, NULL, 0, &avail, sizeof avail,
                                &ret, NULL, NULL, NULL, &err),
                   0);
  assert_true(avail >= 1 && avail <= 4);
  must_recv(a, "four");
  GUID any = {0x12345678, 0x1234, 0x1234, {1, 2, 3, 4, 5, 6, 7, 8}};
  void *fn = NULL;
  assert_int_equal(p.lpWSPIoctl(c, SIO_GET_EXTENSION_FUNCTION_POINTER, &any,
                                sizeof any, &fn, sizeof fn, &ret, NULL, NULL,
                                NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  assert_int_equal(p.lpWSPIoctl(c, 0x7fff0001, NULL, 0, NULL, 0, &ret, NULL,
                                NULL, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  SOCKET base = INVALID_SOCKET;
  assert_int_equal(p.lpWSPIoctl(c, SIO_BASE_HANDLE, NULL, 0, &base, sizeof base,
                                &ret, NULL, NULL, NULL, &err),
                   0);
  assert_true(base == c);
  closes(u);
  closes(c);
  closes(a);
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
  assert_true(bytes >= 1 && bytes <= 5);
  assert_memory_equal(buf, "event", bytes);
  CloseHandle(ov.hEvent);
  closes(c);
  closes(a);
}

static void
overlapped_send_larger_than_the_buffer_completes_after_reads(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  size_t len = (size_t)4 << 20;
  char *big = malloc(len);
  assert_non_null(big);
  memset(big, 'o', len);
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = must_event();
  DWORD sent = 0;
  int err = 0;
  assert_int_equal(submit_send(c, &ov, big, (DWORD)len, NULL, &sent, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSA_IO_PENDING);
  must_drain(a, len);
  assert_int_equal(WaitForSingleObject(ov.hEvent, WAIT_MS), WAIT_OBJECT_0);
  DWORD bytes = 0, flags = 0;
  assert_true(p.lpWSPGetOverlappedResult(c, &ov, &bytes, FALSE, &flags, &err));
  assert_int_equal(bytes, len);
  free(big);
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
  /* Completed on the loop thread; the routine waits for an alertable
   * wait of this thread. */
  HANDLE idle = must_event();
  assert_int_equal(WaitForSingleObject(idle, 0), WAIT_TIMEOUT);
  assert_int_equal(routine_calls, 0);
  assert_int_equal(SleepEx(WAIT_MS, TRUE), WAIT_IO_COMPLETION);
  assert_int_equal(routine_calls, 1);
  assert_int_equal(routine_err, 0);
  assert_true(routine_bytes >= 1 && routine_bytes <= 3);
  assert_ptr_equal(routine_ov, &ov);
  assert_int_equal(routine_tid, GetCurrentThreadId());
  assert_memory_equal(buf, "apc", routine_bytes);
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
  assert_true(bytes >= 1 && bytes <= 4);
  assert_int_equal(key, 0x77);
  assert_ptr_equal(got, (LPOVERLAPPED)&ov);
  assert_memory_equal(buf, "port", bytes);
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
  WSAOVERLAPPED ov1, ov2, ov3;
  memset(&ov1, 0, sizeof ov1);
  memset(&ov2, 0, sizeof ov2);
  memset(&ov3, 0, sizeof ov3);
  ov2.hEvent = (HANDLE)((ULONG_PTR)must_event() | 1);
  char b1[8], b2[8], b3[8];
  int err = 0;
  routine_calls = 0;
  assert_int_equal(submit_recv(a, &ov1, b1, sizeof b1, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSA_IO_PENDING);
  assert_int_equal(submit_recv(a, &ov2, b2, sizeof b2, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSA_IO_PENDING);
  assert_int_equal(submit_recv(a, &ov3, b3, sizeof b3, on_done, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSA_IO_PENDING);
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
  assert_int_equal(SleepEx(WAIT_MS, TRUE), WAIT_IO_COMPLETION);
  assert_int_equal(routine_calls, 1);
  assert_int_equal(routine_err, WSA_OPERATION_ABORTED);
  assert_ptr_equal(routine_ov, &ov3);
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
  send_job j = {c, "w"};
  HANDLE t = must_thread(send_later, &j);
  DWORD bytes = 0, flags = 0;
  assert_true(p.lpWSPGetOverlappedResult(a, &ov, &bytes, TRUE, &flags, &err));
  assert_int_equal(bytes, 1);
  assert_memory_equal(buf, "w", 1);
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

/* One mechanism, many operations: an overlapped echo of 256 KiB in 4 KiB
 * pieces between two uvnet sockets, notified through a port. */
static void
overlapped_stream_exchange_through_a_port_is_byte_exact(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  assert_ptr_equal(CreateIoCompletionPort((HANDLE)c, port, 1, 0), port);
  assert_ptr_equal(CreateIoCompletionPort((HANDLE)a, port, 2, 0), port);
  enum { PIECE = 4096, TOTAL = 256 * 1024 };
  static char out[TOTAL], in[TOTAL];
  for (size_t i = 0; i < TOTAL; i++)
    out[i] = (char)pattern(i, 9);
  WSAOVERLAPPED sov, rov;
  size_t sent = 0, got = 0;
  int err = 0;
  DWORD n = 0;
  memset(&sov, 0, sizeof sov);
  memset(&rov, 0, sizeof rov);
  int rc = submit_send(c, &sov, out, PIECE, NULL, &n, &err);
  assert_true(rc == 0 || err == WSA_IO_PENDING);
  rc = submit_recv(a, &rov, in, PIECE, NULL, &err);
  assert_true(rc == 0 || err == WSA_IO_PENDING);
  while (got < TOTAL) {
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED ov = NULL;
    assert_true(GetQueuedCompletionStatus(port, &bytes, &key, &ov, WAIT_MS));
    if (key == 1) {
      assert_ptr_equal(ov, (LPOVERLAPPED)&sov);
      sent += bytes;
      if (sent < TOTAL) {
        rc = submit_send(c, &sov, out + sent, PIECE, NULL, &n, &err);
        assert_true(rc == 0 || err == WSA_IO_PENDING);
      }
    } else {
      assert_ptr_equal(ov, (LPOVERLAPPED)&rov);
      assert_true(bytes > 0);
      got += bytes;
      if (got < TOTAL) {
        DWORD want = TOTAL - got < PIECE ? (DWORD)(TOTAL - got) : PIECE;
        rc = submit_recv(a, &rov, in + got, want, NULL, &err);
        assert_true(rc == 0 || err == WSA_IO_PENDING);
      }
    }
  }
  assert_int_equal(sent, TOTAL);
  assert_memory_equal(in, out, TOTAL);
  CloseHandle(port);
  closes(c);
  closes(a);
}

/* Small sends queued behind a large overlapped one (handed to the loop)
 * are not written ahead of it by the caller's thread. */
static void
stream_small_sends_behind_a_large_one_keep_their_order(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  enum { BIG = 1024 * 1024, SMALL = 100, NSMALL = 8 };
  enum { TOTAL = BIG + SMALL * NSMALL };
  static char out[TOTAL], in[TOTAL];
  for (size_t i = 0; i < TOTAL; i++)
    out[i] = (char)pattern(i, 5);
  set_int(a, SOL_SOCKET, SO_RCVTIMEO, WAIT_MS);
  WSAOVERLAPPED ov[1 + NSMALL];
  HANDLE ev[1 + NSMALL];
  int err = 0;
  DWORD n = 0;
  for (int i = 0; i <= NSMALL; i++) {
    memset(&ov[i], 0, sizeof ov[i]);
    ov[i].hEvent = ev[i] = must_event();
    const char *at = i == 0 ? out : out + BIG + (i - 1) * SMALL;
    int rc = submit_send(c, &ov[i], at, i == 0 ? BIG : SMALL, NULL, &n, &err);
    assert_true(rc == 0 || err == WSA_IO_PENDING);
  }
  size_t got = 0;
  while (got < TOTAL) {
    DWORD k = 0;
    assert_int_equal(xrecv(a, in + got, (DWORD)(TOTAL - got), &k, &err), 0);
    assert_true(k > 0);
    got += k;
  }
  assert_memory_equal(in, out, TOTAL);
  for (int i = 0; i <= NSMALL; i++) {
    DWORD bytes = 0, flags = 0;
    assert_int_equal(WaitForSingleObject(ev[i], WAIT_MS), WAIT_OBJECT_0);
    assert_true(
        p.lpWSPGetOverlappedResult(c, &ov[i], &bytes, FALSE, &flags, &err));
    assert_int_equal(bytes, i == 0 ? BIG : SMALL);
    CloseHandle(ev[i]);
  }
  closes(c);
  closes(a);
}

/* Two threads sending on one stream at once: each send arrives whole,
 * never split by the other thread's bytes. */
enum { PIECES = 200, PIECE_MAX = 12000 };

typedef struct piece_sender {
  SOCKET s;
  BYTE id;
} piece_sender;

static size_t piece_len(BYTE id, int i) {
  return 8 + (size_t)((i * 7919 + id * 104729) % (PIECE_MAX - 8));
}

/* A piece: its length (4 bytes), the sender and the number, then bytes
 * that follow from those. */
static DWORD WINAPI send_pieces(LPVOID arg) {
  piece_sender *ps = arg;
  static char bufs[2][PIECE_MAX];
  char *buf = bufs[ps->id];
  for (int i = 0; i < PIECES; i++) {
    size_t len = piece_len(ps->id, i);
    memcpy(buf, &len, 4);
    buf[4] = (char)ps->id;
    buf[5] = (char)i;
    for (size_t j = 6; j < len; j++)
      buf[j] = (char)pattern(j, (BYTE)(ps->id * 100 + i));
    DWORD sent = 0;
    int err = 0;
    if (xsend(ps->s, buf, (DWORD)len, &sent, &err) != 0 || sent != len)
      return 1;
  }
  return 0;
}

static void recv_exact(SOCKET s, char *buf, size_t len) {
  size_t have = 0;
  while (have < len) {
    DWORD got = 0;
    int err = 0;
    assert_int_equal(xrecv(s, buf + have, (DWORD)(len - have), &got, &err), 0);
    assert_true(got > 0);
    have += got;
  }
}

static void stream_sends_from_two_threads_each_arrive_whole(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  set_int(a, SOL_SOCKET, SO_RCVTIMEO, WAIT_MS);
  piece_sender ps[2] = {{c, 0}, {c, 1}};
  HANDLE t0 = must_thread(send_pieces, &ps[0]);
  HANDLE t1 = must_thread(send_pieces, &ps[1]);
  int next[2] = {0, 0};
  static char buf[PIECE_MAX];
  while (next[0] < PIECES || next[1] < PIECES) {
    size_t len = 0;
    recv_exact(a, buf, 6);
    memcpy(&len, buf, 4);
    BYTE id = (BYTE)buf[4];
    assert_true(id < 2);
    assert_int_equal((BYTE)buf[5], (BYTE)next[id]);
    assert_int_equal(len, piece_len(id, next[id]));
    recv_exact(a, buf + 6, len - 6);
    for (size_t j = 6; j < len; j++)
      assert_int_equal((BYTE)buf[j], pattern(j, (BYTE)(id * 100 + next[id])));
    next[id]++;
  }
  DWORD code0 = 1, code1 = 1;
  assert_int_equal(WaitForSingleObject(t0, WAIT_MS), WAIT_OBJECT_0);
  assert_int_equal(WaitForSingleObject(t1, WAIT_MS), WAIT_OBJECT_0);
  assert_true(GetExitCodeThread(t0, &code0) && GetExitCodeThread(t1, &code1));
  assert_int_equal(code0, 0);
  assert_int_equal(code1, 0);
  join(t0);
  join(t1);
  closes(c);
  closes(a);
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
  struct sockaddr_in elsewhere = in4(local_port(stranger));
  assert_int_equal(xsendto(a, "z", 1, &elsewhere, sizeof elsewhere, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEISCONN);
  struct sockaddr_in peer;
  int len = sizeof peer;
  assert_int_equal(p.lpWSPGetPeerName(a, (struct sockaddr *)&peer, &len, &err),
                   0);
  assert_int_equal(port_of((struct sockaddr *)&peer), local_port(b));
  /* Dissolved: a hears anyone again. */
  struct sockaddr unspec;
  memset(&unspec, 0, sizeof unspec);
  unspec.sa_family = AF_UNSPEC;
  assert_int_equal(
      p.lpWSPConnect(a, &unspec, sizeof unspec, NULL, NULL, NULL, NULL, &err),
      0);
  assert_int_equal(xsendto(stranger, "hi", 2, &to_a, sizeof to_a, &err), 0);
  assert_int_equal(xrecv(a, buf, sizeof buf, &got, &err), 0);
  assert_int_equal(got, 2);
  assert_memory_equal(buf, "hi", 2);
  closes(a);
  closes(b);
  closes(stranger);
}

static void overlapped_dgram_sendto_and_recvfrom_through_a_port(void **state) {
  (void)state;
  SOCKET r = mk(&udp6), s = mk(&udp6);
  int err = 0;
  bind6_any(r);
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  assert_ptr_equal(CreateIoCompletionPort((HANDLE)r, port, 1, 0), port);
  assert_ptr_equal(CreateIoCompletionPort((HANDLE)s, port, 2, 0), port);
  WSAOVERLAPPED rov, sov;
  memset(&rov, 0, sizeof rov);
  memset(&sov, 0, sizeof sov);
  char buf[16];
  WSABUF rb = {sizeof buf, buf};
  DWORD flags = 0, n = 0;
  assert_int_equal(p.lpWSPRecvFrom(r, &rb, 1, &n, &flags, NULL, NULL, &rov,
                                   NULL, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSA_IO_PENDING);
  struct sockaddr_in6 to = in6(local_port(r));
  WSABUF sb = {5, "dgram"};
  assert_int_equal(p.lpWSPSendTo(s, &sb, 1, &n, 0, (struct sockaddr *)&to,
                                 sizeof to, &sov, NULL, NULL, &err),
                   0);
  BOOL saw_send = FALSE, saw_recv = FALSE;
  for (int i = 0; i < 2; i++) {
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED ov = NULL;
    assert_true(GetQueuedCompletionStatus(port, &bytes, &key, &ov, WAIT_MS));
    assert_int_equal(bytes, 5);
    if (key == 2) {
      assert_ptr_equal(ov, (LPOVERLAPPED)&sov);
      saw_send = TRUE;
    } else {
      assert_ptr_equal(ov, (LPOVERLAPPED)&rov);
      saw_recv = TRUE;
    }
  }
  assert_true(saw_send && saw_recv);
  assert_memory_equal(buf, "dgram", 5);
  CloseHandle(port);
  closes(r);
  closes(s);
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
  assert_int_equal(select1(a, 0, WAIT_US), 1);
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

static void select_reports_a_connection_to_accept(void **state) {
  (void)state;
  USHORT port;
  SOCKET l = listener(&port);
  assert_int_equal(select1(l, 0, 0), 0);
  SOCKET c = mk(&tcp4);
  int err = 0;
  assert_int_equal(connect4(c, port, &err), 0);
  assert_int_equal(select1(l, 0, WAIT_US), 1);
  SOCKET a = accept_plain(l);
  closes(a);
  closes(c);
  closes(l);
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
  char buf[1];
  DWORD got = 0;
  assert_int_equal(xrecv(a, buf, sizeof buf, &got, &err), 0);
  /* recv re-enabled FD_READ and data remains: recorded again at once. */
  assert_int_equal(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
  assert_int_equal(enum_events(a, ev, &ne), FD_READ);
  char rest[8];
  DWORD have = got;
  while (have < 3) {
    assert_int_equal(xrecv(a, rest, sizeof rest, &got, &err), 0);
    have += got;
    if (have < 3) { /* the rest comes later: recorded when it does */
      assert_int_equal(WaitForSingleObject(ev, WAIT_MS), WAIT_OBJECT_0);
      assert_int_equal(enum_events(a, ev, &ne), FD_READ);
    }
  }
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
  set_int(c, SOL_SOCKET, SO_SNDBUF, 8192);
  set_int(a, SOL_SOCKET, SO_RCVBUF, 8192);
  HANDLE ev = must_event();
  WSANETWORKEVENTS ne;
  int err = 0;
  assert_int_equal(p.lpWSPEventSelect(c, ev, FD_WRITE, &err), 0);
  assert_int_equal(enum_events(c, ev, &ne), FD_WRITE);
  DWORD sent = 0;
  assert_int_equal(xsend(c, "x", 1, &sent, &err), 0);
  /* Sent without WSAEWOULDBLOCK: FD_WRITE is not recorded again. */
  assert_int_equal(WaitForSingleObject(ev, 0), WAIT_TIMEOUT);
  size_t total = 1 + fill(c);
  must_drain(a, total);
  assert_int_equal(WaitForSingleObject(ev, WAIT_MS), WAIT_OBJECT_0);
  assert_int_equal(enum_events(c, ev, &ne), FD_WRITE);
  closes(c);
  closes(a);
  CloseHandle(ev);
}

/* ---- WSPAsyncSelect ---- */

typedef struct {
  HWND hwnd;
  HANDLE done;
} watchdog_job;

/* Posts a message no socket sends if the waiter is not done in time. */
static DWORD WINAPI watchdog(LPVOID arg) {
  watchdog_job *j = arg;
  if (WaitForSingleObject(j->done, WAIT_MS) == WAIT_TIMEOUT)
    PostMessageW(j->hwnd, WM_SOCK, (WPARAM)INVALID_SOCKET, 0);
  return 0;
}

/* The next socket message for hwnd; the loop thread posts them, so this
 * waits (at most WAIT_MS) in GetMessage. */
static void wait_message(HWND hwnd, MSG *msg) {
  if (PeekMessageW(msg, hwnd, WM_SOCK, WM_SOCK, PM_REMOVE))
    return;
  watchdog_job j = {hwnd, must_event()};
  HANDLE t = must_thread(watchdog, &j);
  BOOL got = GetMessageW(msg, hwnd, WM_SOCK, WM_SOCK);
  SetEvent(j.done);
  join(t);
  CloseHandle(j.done);
  assert_true(got > 0);
  assert_true(msg->wParam != (WPARAM)INVALID_SOCKET); /* not timed out */
}

static void async_select_posts_fd_read_and_fd_close_messages(void **state) {
  (void)state;
  static const WCHAR cls[] = L"uvnet_async";
  HWND hwnd = message_window(cls);
  SOCKET c, a;
  pair(&c, &a);
  int err = 0;
  MSG msg;
  assert_int_equal(
      p.lpWSPAsyncSelect(a, hwnd, WM_SOCK, FD_READ | FD_WRITE | FD_CLOSE, &err),
      0);
  /* Writable already: FD_WRITE at once, from this thread. */
  assert_true(PeekMessageW(&msg, hwnd, WM_SOCK, WM_SOCK, PM_REMOVE));
  assert_true((SOCKET)msg.wParam == a);
  assert_int_equal(WSAGETSELECTEVENT(msg.lParam), FD_WRITE);
  must_send(c, "msg");
  wait_message(hwnd, &msg);
  assert_true((SOCKET)msg.wParam == a);
  assert_int_equal(WSAGETSELECTEVENT(msg.lParam), FD_READ);
  assert_int_equal(WSAGETSELECTERROR(msg.lParam), 0);
  char buf[8];
  DWORD got = 0;
  size_t have = 0;
  while (have < 3) { /* each receive may post FD_READ again */
    assert_int_equal(xrecv(a, buf, sizeof buf, &got, &err), 0);
    have += got;
    if (have < 3) {
      wait_message(hwnd, &msg);
      assert_int_equal(WSAGETSELECTEVENT(msg.lParam), FD_READ);
    }
  }
  assert_false(PeekMessageW(&msg, hwnd, WM_SOCK, WM_SOCK, PM_REMOVE));
  closes(c);
  wait_message(hwnd, &msg);
  assert_int_equal(WSAGETSELECTEVENT(msg.lParam), FD_CLOSE);
  assert_int_equal(WSAGETSELECTERROR(msg.lParam), 0);
  closes(a);
  assert_true(DestroyWindow(hwnd));
  assert_true(UnregisterClassW(cls, NULL));
}

static void async_select_posts_fd_accept_and_fd_connect(void **state) {
  (void)state;
  static const WCHAR cls[] = L"uvnet_async_conn";
  HWND hwnd = message_window(cls);
  USHORT port;
  SOCKET l = listener(&port);
  SOCKET c = mk(&tcp4);
  int err = 0;
  MSG msg;
  assert_int_equal(p.lpWSPAsyncSelect(l, hwnd, WM_SOCK, FD_ACCEPT, &err), 0);
  assert_int_equal(p.lpWSPAsyncSelect(c, hwnd, WM_SOCK, FD_CONNECT, &err), 0);
  assert_int_equal(connect4(c, port, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEWOULDBLOCK);
  BOOL accept_seen = FALSE, connect_seen = FALSE;
  for (int i = 0; i < 2; i++) { /* in the order the kernel made them */
    wait_message(hwnd, &msg);
    if ((SOCKET)msg.wParam == c) {
      assert_int_equal(WSAGETSELECTEVENT(msg.lParam), FD_CONNECT);
      assert_int_equal(WSAGETSELECTERROR(msg.lParam), 0);
      connect_seen = TRUE;
    } else {
      assert_true((SOCKET)msg.wParam == l);
      assert_int_equal(WSAGETSELECTEVENT(msg.lParam), FD_ACCEPT);
      accept_seen = TRUE;
    }
  }
  assert_true(accept_seen && connect_seen);
  SOCKET a = accept_plain(l);
  closes(a);
  closes(c);
  closes(l);
  assert_true(DestroyWindow(hwnd));
  assert_true(UnregisterClassW(cls, NULL));
}

/* ---- Conditional accept ---- */

static SOCKET conditional_listener(USHORT *port) {
  SOCKET l = mk(&tcp4);
  bind4(l, 0);
  set_int(l, SOL_SOCKET, SO_CONDITIONAL_ACCEPT, TRUE);
  int err = 0;
  assert_int_equal(p.lpWSPListen(l, 5, &err), 0);
  *port = local_port(l);
  return l;
}

static void
conditional_accept_cf_accept_hands_out_the_connection(void **state) {
  (void)state;
  USHORT port;
  SOCKET l = conditional_listener(&port);
  SOCKET c = mk(&tcp4);
  int err = 0;
  /* The kernel completes the connection before any condition runs. */
  assert_int_equal(connect4(c, port, &err), 0);
  cond_calls = 0;
  SOCKET a = p.lpWSPAccept(l, NULL, NULL, decide, CF_ACCEPT, &err);
  assert_int_not_equal(a, INVALID_SOCKET);
  assert_int_equal(cond_calls, 1);
  assert_int_equal(cond_caller_port, local_port(c));
  must_send(c, "in");
  must_recv(a, "in");
  closes(a);
  closes(c);
  closes(l);
}

static void
conditional_accept_cf_reject_resets_the_connecting_side(void **state) {
  (void)state;
  USHORT port;
  SOCKET l = conditional_listener(&port);
  SOCKET c = mk(&tcp4);
  int err = 0;
  assert_int_equal(connect4(c, port, &err), 0);
  assert_int_equal(p.lpWSPAccept(l, NULL, NULL, decide, CF_REJECT, &err),
                   INVALID_SOCKET);
  assert_int_equal(err, WSAECONNREFUSED);
  char buf[4];
  DWORD got = 0;
  assert_int_equal(xrecv(c, buf, sizeof buf, &got, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAECONNRESET);
  nonblocking(l, 1);
  assert_int_equal(p.lpWSPAccept(l, NULL, NULL, NULL, 0, &err), INVALID_SOCKET);
  assert_int_equal(err, WSAEWOULDBLOCK); /* the queue is empty */
  closes(c);
  closes(l);
}

static void
conditional_accept_cf_defer_keeps_the_connection_queued(void **state) {
  (void)state;
  USHORT port;
  SOCKET l = conditional_listener(&port);
  SOCKET c = mk(&tcp4);
  int err = 0;
  assert_int_equal(connect4(c, port, &err), 0);
  cond_calls = 0;
  assert_int_equal(p.lpWSPAccept(l, NULL, NULL, decide, CF_DEFER, &err),
                   INVALID_SOCKET);
  assert_int_equal(err, WSATRY_AGAIN);
  assert_int_equal(select1(l, 0, 0), 1); /* still there to accept */
  SOCKET a = p.lpWSPAccept(l, NULL, NULL, decide, CF_ACCEPT, &err);
  assert_int_not_equal(a, INVALID_SOCKET);
  assert_int_equal(cond_calls, 2);
  must_send(a, "ok");
  must_recv(c, "ok");
  closes(a);
  closes(c);
  closes(l);
}

/* ---- A plain peer (libuv, outside the emulation) ---- */

typedef struct {
  SOCKET s;
  const BYTE *data;
  size_t len;
  int failed;
} writer_job;

static DWORD WINAPI bulk_writer(LPVOID arg) {
  writer_job *j = arg;
  size_t done = 0;
  while (done < j->len) {
    DWORD chunk = j->len - done < 30000 ? (DWORD)(j->len - done) : 30000;
    DWORD sent = 0;
    int err = 0;
    if (xsend(j->s, j->data + done, chunk, &sent, &err) != 0) {
      j->failed = err;
      return 1;
    }
    done += sent;
  }
  return 0;
}

static void stream_echoes_through_a_plain_linux_tcp_peer(void **state) {
  (void)state;
  uint16_t port = 0;
  fws2_echo_peer *peer = fws2_echo_peer_start(&port);
  assert_non_null(peer);
  SOCKET c = mk(&tcp4);
  int err = 0;
  assert_int_equal(connect4(c, port, &err), 0);
  size_t len = (size_t)4 << 20;
  BYTE *out = malloc(len);
  assert_non_null(out);
  for (size_t i = 0; i < len; i++)
    out[i] = pattern(i, 3);
  writer_job w = {c, out, len, 0};
  bulk_job r = {c, len, 0, 3, 0};
  HANDLE tw = must_thread(bulk_writer, &w);
  HANDLE tr = must_thread(bulk_reader, &r);
  join(tw);
  join(tr);
  assert_int_equal(w.failed, 0);
  assert_int_equal(r.failed, 0);
  assert_int_equal(r.done, len);
  /* Our FIN: the peer finishes and closes; we see the end. */
  assert_int_equal(p.lpWSPShutdown(c, SD_SEND, &err), 0);
  char buf[4];
  DWORD got = 1;
  assert_int_equal(xrecv(c, buf, sizeof buf, &got, &err), 0);
  assert_int_equal(got, 0);
  closes(c);
  assert_int_equal(fws2_echo_peer_stop(peer), len);
  free(out);
}

static void
overlapped_echo_with_a_plain_linux_peer_through_each_mechanism(void **state) {
  (void)state;
  uint16_t port = 0;
  fws2_echo_peer *peer = fws2_echo_peer_start(&port);
  assert_non_null(peer);
  SOCKET c = mk(&tcp4);
  int err = 0;
  assert_int_equal(connect4(c, port, &err), 0);
  HANDLE cport = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  assert_ptr_equal(CreateIoCompletionPort((HANDLE)c, cport, 7, 0), cport);
  static const char text[] = "echo-through-linux";
  const DWORD n = sizeof text - 1;
  for (int mech = 0; mech < 3; mech++) {
    /* 0: event (low bit set: no packet), 1: routine, 2: the port. */
    WSAOVERLAPPED sov, rov;
    memset(&sov, 0, sizeof sov);
    memset(&rov, 0, sizeof rov);
    HANDLE sev = NULL, rev = NULL;
    if (mech == 0) {
      sev = must_event();
      rev = must_event();
      sov.hEvent = (HANDLE)((ULONG_PTR)sev | 1);
      rov.hEvent = (HANDLE)((ULONG_PTR)rev | 1);
    }
    LPWSAOVERLAPPED_COMPLETION_ROUTINE routine = mech == 1 ? on_done : NULL;
    char buf[64];
    DWORD sent = 0;
    routine_calls = 0;
    int rc = submit_recv(c, &rov, buf, n, routine, &err);
    assert_int_equal(rc, SOCKET_ERROR);
    assert_int_equal(err, WSA_IO_PENDING);
    assert_int_equal(submit_send(c, &sov, text, n, routine, &sent, &err), 0);
    DWORD got = 0;
    if (mech == 0) {
      assert_int_equal(WaitForSingleObject(sev, WAIT_MS), WAIT_OBJECT_0);
      assert_int_equal(WaitForSingleObject(rev, WAIT_MS), WAIT_OBJECT_0);
      got = (DWORD)rov.InternalHigh;
      CloseHandle(sev);
      CloseHandle(rev);
    } else if (mech == 1) {
      while (routine_calls < 2)
        assert_int_equal(SleepEx(WAIT_MS, TRUE), WAIT_IO_COMPLETION);
      got = (DWORD)rov.InternalHigh;
    } else {
      for (int i = 0; i < 2; i++) {
        DWORD bytes = 0;
        ULONG_PTR key = 0;
        LPOVERLAPPED ov = NULL;
        assert_true(
            GetQueuedCompletionStatus(cport, &bytes, &key, &ov, WAIT_MS));
        assert_int_equal(key, 7);
        if (ov == (LPOVERLAPPED)&rov)
          got = bytes;
      }
    }
    assert_true(got >= 1 && got <= n);
    assert_memory_equal(buf, text, got);
    if (got < n)
      must_recv(c, text + got);
  }
  CloseHandle(cport);
  closes(c);
  assert_int_equal(fws2_echo_peer_stop(peer), 3 * n);
}

/* ---- Threads that wait on a port drive the loop (wpu/iodriver.h) ---- */

static void port_waiter_drives_the_loop_through_many_receives(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  HANDLE cport = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  assert_ptr_equal(CreateIoCompletionPort((HANDLE)c, cport, 3, 0), cport);
  uint64_t rounds = wpu_io_driver_rounds();
  {
    /* Nothing to take: the wait runs the loop until it times out. */
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    assert_false(GetQueuedCompletionStatus(cport, &bytes, &key, &got, 1));
    assert_int_equal(GetLastError(), WAIT_TIMEOUT);
  }
#ifndef _WIN32
  assert_true(wpu_io_driver_rounds() > rounds);
#endif
  for (int i = 0; i < 50; i++) {
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    char buf[8], text[4] = {'m', (char)('0' + i / 10), (char)('0' + i % 10)};
    int err = 0;
    int rc = submit_recv(c, &ov, buf, sizeof buf, NULL, &err);
    assert_true(rc == 0 || err == WSA_IO_PENDING);
    must_send(a, text);
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    assert_true(GetQueuedCompletionStatus(cport, &bytes, &key, &got, WAIT_MS));
    assert_ptr_equal(got, &ov);
    assert_int_equal(key, 3);
    assert_int_equal(bytes, 3); /* one send of 3 bytes, received whole */
    assert_memory_equal(buf, text, 3);
  }
#ifdef _WIN32
  assert_int_equal(wpu_io_driver_rounds(), rounds); /* the kernel's ports */
#endif
  CloseHandle(cport);
  closes(c);
  closes(a);
}

/* Receives a stream through a port with `outstanding` (1 or 2) receives
 * made at a time, in sizes that vary: the receiving thread drives the
 * loop and reads directly when no round runs and nothing is pending, the
 * loop reads into the receives and into its own blocks; the bytes must
 * still come in order. */
static void receive_stream_through_port(int outstanding) {
  SOCKET c, a;
  pair(&c, &a);
  HANDLE cport = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  assert_ptr_equal(CreateIoCompletionPort((HANDLE)c, cport, 5, 0), cport);
  stream_job w = {a, 23, 0, 0};
  HANDLE t = must_thread(stream_writer, &w);
  static BYTE buf[2][6007];
  WSAOVERLAPPED ov[2];
  DWORD size[2] = {1, 2}, next = 0, done = 0;
  int err = 0, rc;
  for (int i = 0; i < outstanding; i++) {
    memset(&ov[i], 0, sizeof ov[i]);
    rc = submit_recv(c, &ov[i], (char *)buf[i], size[i], NULL, &err);
    assert_true(rc == 0 || err == WSA_IO_PENDING);
  }
  while (done < STREAM_BYTES) {
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    assert_true(GetQueuedCompletionStatus(cport, &bytes, &key, &got, WAIT_MS));
    /* A socket's receives complete in the order they were made. */
    assert_ptr_equal(got, &ov[next]);
    assert_true(bytes > 0 && bytes <= size[next]);
    for (DWORD i = 0; i < bytes; i++)
      if (buf[next][i] != stream_pattern(done + i, 23))
        fail_msg("byte %lu out of order", (unsigned long)(done + i));
    done += bytes;
    size[next] = size[next] * 13 % 6007 + 1;
    memset(&ov[next], 0, sizeof ov[next]);
    if (done < STREAM_BYTES) {
      rc = submit_recv(c, &ov[next], (char *)buf[next], size[next], NULL, &err);
      assert_true(rc == 0 || err == WSA_IO_PENDING);
    }
    next = (next + 1) % (DWORD)outstanding;
  }
  join(t);
  assert_int_equal(w.failed, 0);
  CloseHandle(cport);
  closes(c);
  closes(a);
}

static void
port_receiver_gets_a_megabyte_in_order_one_receive_at_a_time(void **state) {
  (void)state;
  receive_stream_through_port(1);
}

static void
port_receiver_gets_a_megabyte_in_order_two_receives_at_a_time(void **state) {
  (void)state;
  receive_stream_through_port(2);
}

typedef struct port_wait {
  HANDLE port;
  HANDLE waiting; /* set right before the wait */
  BOOL ok;
  DWORD error;
  LPOVERLAPPED got;
} port_wait;

static DWORD WINAPI wait_on_port(LPVOID arg) {
  port_wait *w = arg;
  DWORD bytes;
  ULONG_PTR key;
  SetEvent(w->waiting);
  w->ok = GetQueuedCompletionStatus(w->port, &bytes, &key, &w->got, WAIT_MS);
  w->error = w->ok ? 0 : GetLastError();
  return 0;
}

/* Waits until a drive has started since `since` (Linux): the thread that
 * signalled it is about to wait is then in the loop. It gets there within
 * microseconds; the bound only turns a failure into an assertion. */
static void until_a_drive_started(uint64_t since) {
#ifndef _WIN32
  DWORD t0 = GetTickCount();
  while (wpu_io_driver_rounds() == since && GetTickCount() - t0 < WAIT_MS)
    ;
  assert_true(wpu_io_driver_rounds() > since);
#else
  (void)since;
#endif
}

/* Aborts the test program when the waits of a test do not end in time:
 * a driver stuck outside the loop would not return even for a packet. */
typedef struct hang_guard {
  HANDLE done, thread;
} hang_guard;

static DWORD WINAPI guard_main(LPVOID arg) {
  hang_guard *g = arg;
  if (WaitForSingleObject(g->done, 6 * WAIT_MS) == WAIT_TIMEOUT) {
    fprintf(stderr, "a port wait did not return: aborting\n");
    abort();
  }
  return 0;
}

static void guard_start(hang_guard *g) {
  g->done = must_event();
  g->thread = must_thread(guard_main, g);
}

static void guard_stop(hang_guard *g) {
  if (g->thread == NULL)
    return;
  SetEvent(g->done);
  join(g->thread);
  CloseHandle(g->done);
  g->thread = NULL;
}

typedef struct kicker {
  SOCKET s;
  LONG stop, kicks;
  HANDLE thread;
} kicker;

/* Makes the loop thread want the loop back, over and over: select (even
 * without waiting) and getsockname (a request the loop runs) both kick it. */
static DWORD WINAPI kick_the_loop(LPVOID arg) {
  kicker *k = arg;
  while (!InterlockedCompareExchange(&k->stop, 0, 0)) {
    (void)select1(k->s, 0, 0);
    if (InterlockedIncrement(&k->kicks) % 4 == 0)
      (void)local_port(k->s);
  }
  return 0;
}

/* The kick test's threads: static, so that its teardown stops them even
 * when an assertion left the test early. */
static hang_guard kick_guard;
static kicker kick;

static void kicker_stop(kicker *k) {
  if (k->thread == NULL)
    return;
  InterlockedExchange(&k->stop, 1);
  join(k->thread);
  k->thread = NULL;
}

static int teardown_kick(void **state) {
  kicker_stop(&kick);
  guard_stop(&kick_guard);
  return teardown(state);
}

static void
port_waits_end_in_time_while_another_thread_kicks_the_loop(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  HANDLE cport = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  assert_ptr_equal(CreateIoCompletionPort((HANDLE)c, cport, 9, 0), cport);
  hang_guard *g = &kick_guard;
  guard_start(g);
  for (int i = 0; i < 100; i++) {
    /* The loop's clock (whole milliseconds) is a millisecond behind when
     * the wait starts: busy until the next millisecond (not asleep, and not
     * so long that the loop thread takes the loop back meanwhile). */
    DWORD t0 = GetTickCount();
    while (GetTickCount() == t0)
      ;
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    assert_false(GetQueuedCompletionStatus(cport, &bytes, &key, &got, 1));
    assert_int_equal(GetLastError(), WAIT_TIMEOUT);
  }
  kicker *k = &kick;
  k->s = a;
  k->stop = k->kicks = 0;
  k->thread = must_thread(kick_the_loop, k);
  for (int i = 0; i < 300; i++) { /* short timeouts on an idle port */
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    assert_false(
        GetQueuedCompletionStatus(cport, &bytes, &key, &got, 1 + i % 3));
    assert_int_equal(GetLastError(), WAIT_TIMEOUT);
  }
  for (int i = 0; i < 100; i++) { /* and bytes that arrive meanwhile */
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    char buf[4];
    int err = 0;
    int rc = submit_recv(c, &ov, buf, sizeof buf, NULL, &err);
    assert_true(rc == 0 || err == WSA_IO_PENDING);
    must_send(a, "k");
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    assert_true(GetQueuedCompletionStatus(cport, &bytes, &key, &got, WAIT_MS));
    assert_ptr_equal(got, &ov);
    assert_int_equal(bytes, 1);
  }
  kicker_stop(k);
  guard_stop(g);
  assert_true(k->kicks > 0);
  CloseHandle(cport);
  closes(c);
  closes(a);
}

static void
cleanup_while_a_thread_waits_on_a_port_aborts_its_receive(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  HANDLE cport = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  assert_ptr_equal(CreateIoCompletionPort((HANDLE)c, cport, 3, 0), cport);
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  char buf[8];
  int err = 0;
  assert_int_equal(submit_recv(c, &ov, buf, sizeof buf, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSA_IO_PENDING);
  port_wait w = {cport, must_event(), TRUE, 0, NULL};
  uint64_t rounds = wpu_io_driver_rounds();
  HANDLE t = must_thread(wait_on_port, &w);
  assert_int_equal(WaitForSingleObject(w.waiting, WAIT_MS), WAIT_OBJECT_0);
  until_a_drive_started(rounds);
  /* The last cleanup stops the loop the waiter may be driving. */
  for (int i = 0; i < 4; i++)
    assert_int_equal(p.lpWSPCleanup(&err), 0);
  join(t);
  assert_false(w.ok);
  assert_ptr_equal(w.got, &ov);
  assert_int_equal(w.error, WSA_OPERATION_ABORTED);
  CloseHandle(w.waiting);
  CloseHandle(cport);
  assert_int_equal(start_all(), 0); /* for the teardown's cleanups */
}

/* ---- Cleanup, threads, strings ---- */

static void last_cleanup_closes_the_sockets_left_open(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  SOCKET u = mk(&udp6);
  USHORT port;
  SOCKET l = listener(&port);
  SOCKET q = mk(&tcp4);
  int err = 0;
  assert_int_equal(connect4(q, port, &err), 0); /* queued, never accepted */
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = must_event();
  char buf[4];
  assert_int_equal(submit_recv(a, &ov, buf, sizeof buf, NULL, &err),
                   SOCKET_ERROR);
  for (int i = 0; i < 3; i++)
    assert_int_equal(p.lpWSPCleanup(&err), 0);
  assert_int_equal(wpu_socket_query(c, NULL), WPU_SOCKET_IFS);
  assert_int_equal(p.lpWSPCleanup(&err), 0);
  SOCKET gone[] = {c, a, u, l, q};
  for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
    assert_int_equal(wpu_socket_query(gone[i], NULL), WPU_SOCKET_NONE);
  assert_int_equal(WaitForSingleObject(ov.hEvent, WAIT_MS), WAIT_OBJECT_0);
  assert_int_equal(ov.OffsetHigh, WSA_OPERATION_ABORTED);
  assert_int_equal(p.lpWSPCleanup(&err), SOCKET_ERROR);
  assert_int_equal(err, WSANOTINITIALISED);
  CloseHandle(ov.hEvent);
  assert_int_equal(start_all(), 0); /* for the teardown's cleanups */
}

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
      p.lpWSPAddressToString((LPSOCKADDR)&a, sizeof a, &tcp4, text, &len, &err),
      SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
  assert_int_equal(len, 15); /* the size needed */
  struct sockaddr_in back;
  int blen = sizeof back;
  WCHAR v4[] = L"127.0.0.2:99";
  assert_int_equal(p.lpWSPStringToAddress(v4, AF_INET, &tcp4, (LPSOCKADDR)&back,
                                          &blen, &err),
                   0);
  assert_int_equal(((BYTE *)&back.sin_addr)[3], 2);
  assert_int_equal(port_of((struct sockaddr *)&back), 99);
  struct sockaddr_in6 back6;
  blen = sizeof back6;
  WCHAR v6[] = L"[::1%3]:7";
  assert_int_equal(p.lpWSPStringToAddress(v6, AF_INET6, &tcp6,
                                          (LPSOCKADDR)&back6, &blen, &err),
                   0);
  assert_int_equal(((BYTE *)&back6.sin6_addr)[15], 1);
  assert_int_equal(back6.sin6_scope_id, 3);
  assert_int_equal(port_of((struct sockaddr *)&back6), 7);
  WCHAR bad[] = L"1.2.3";
  blen = sizeof back;
  assert_int_equal(p.lpWSPStringToAddress(bad, AF_INET, &tcp4,
                                          (LPSOCKADDR)&back, &blen, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(startup_fills_all_thirty_entries),
      T(startup_rejects_winsock_1_and_null_pointers),
      T(sockets_are_ifs_handles_of_the_callers_catalog_entry),
      T(accepted_sockets_are_registered_under_the_listeners_entry),
      T(calls_on_foreign_handles_fail_with_wsaenotsock),
      T(stream_connect_accept_and_exchange_data),
      T(stream_over_ipv6_loopback),
      T(stream_blocking_recv_waits_for_the_peers_send),
      T(stream_nonblocking_recv_fails_with_wsaewouldblock_until_data),
      T(stream_nonblocking_send_fails_with_wsaewouldblock_once_the_buffers_fill),
      T(stream_blocking_send_larger_than_the_buffers_waits_for_the_reader),
      T(stream_recv_returns_zero_after_peer_shutdown_send),
      T(stream_graceful_close_delivers_the_data_then_the_end),
      T(stream_close_with_linger_zero_resets_the_peer),
      T(stream_close_with_unread_data_resets_the_peer),
      T(stream_connect_to_a_port_nobody_listens_on_is_refused),
      T(stream_nonblocking_connect_reports_success_through_select),
      T(stream_nonblocking_connect_refused_reports_fd_connect_and_so_error),
      T(stream_blocking_recv_is_interrupted_by_closesocket),
      T(bind_accepts_loopback_and_wildcard_and_rejects_the_rest),
      T(listen_on_a_datagram_socket_fails_with_wsaeopnotsupp),
      T(socket_options_and_ioctls_follow_the_reference),
      T(overlapped_recv_with_event_completes_when_the_peer_sends),
      T(overlapped_send_completing_at_once_still_sets_the_event),
      T(overlapped_send_larger_than_the_buffer_completes_after_reads),
      T(overlapped_recv_with_completion_routine_runs_only_in_alertable_wait),
      T(overlapped_send_completing_at_once_still_queues_the_routine),
      T(overlapped_recv_posts_to_the_completion_port_with_the_key),
      T(overlapped_send_completing_at_once_still_posts_a_packet),
      T(closesocket_aborts_io_in_flight_with_wsa_operation_aborted),
      T(get_overlapped_result_with_wait_blocks_until_completion),
      T(overlapped_stream_exchange_through_a_port_is_byte_exact),
      T(stream_small_sends_behind_a_large_one_keep_their_order),
      T(stream_sends_from_two_threads_each_arrive_whole),
      T(dgram_sendto_and_recvfrom_report_the_source),
      T(dgram_over_ipv6_loopback),
      T(dgram_truncates_with_wsaemsgsize_and_msg_partial),
      T(dgram_connected_socket_sends_with_send_and_hears_only_its_peer),
      T(dgram_recv_on_an_unbound_socket_fails_with_wsaeinval),
      T(overlapped_recvfrom_fills_the_source_at_completion),
      T(overlapped_dgram_sendto_and_recvfrom_through_a_port),
      T(select_reports_readiness_and_times_out),
      T(select_wakes_when_another_thread_sends),
      T(select_reports_a_connection_to_accept),
      T(event_select_records_fd_read_until_recv_reenables_it),
      T(event_select_records_fd_accept_and_accepted_sockets_inherit_it),
      T(event_select_records_fd_write_after_wsaewouldblock),
      T(event_select_reports_a_reset_in_fd_close),
      T(async_select_posts_fd_read_and_fd_close_messages),
      T(async_select_posts_fd_accept_and_fd_connect),
      T(async_select_with_an_invalid_window_fails_with_wsaeinval),
      T(conditional_accept_cf_accept_hands_out_the_connection),
      T(conditional_accept_cf_reject_resets_the_connecting_side),
      T(conditional_accept_cf_defer_keeps_the_connection_queued),
      T(stream_echoes_through_a_plain_linux_tcp_peer),
      T(overlapped_echo_with_a_plain_linux_peer_through_each_mechanism),
      T(last_cleanup_closes_the_sockets_left_open),
      T(port_waiter_drives_the_loop_through_many_receives),
      T(port_receiver_gets_a_megabyte_in_order_one_receive_at_a_time),
      T(port_receiver_gets_a_megabyte_in_order_two_receives_at_a_time),
      T(cleanup_while_a_thread_waits_on_a_port_aborts_its_receive),
      cmocka_unit_test_setup_teardown(
          port_waits_end_in_time_while_another_thread_kicks_the_loop, setup,
          teardown_kick),
      T(two_threads_stream_a_megabyte_each_way_byte_exact),
      T(addresses_convert_to_strings_and_back),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
