/* test_counting_lsp.c: counting_lsp installed in each test's own catalog
 * over memnet's base entries, used through the Winsock API as an
 * application uses it. */
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
#include <fws2/front.h>
#include <fws2/memnet.h>
#include <wpu/catalog.h>
#include <wpu/modules.h>
#include <wpu/sockets.h>
#include <wpu/world.h>
#include <wpu/wpu.h>

#include "counting_lsp.h"
#include "counting_test.h"

/* The conformance suite of fake_ws2 (where it exists), run over the LSP. */
#if defined(__has_include)
#if __has_include(<fws2/conformance.h>)
#include <fws2/conformance.h>
#define HAVE_CONFORMANCE 1
#endif
#endif

#ifdef HAVE_CONFORMANCE
/* The LSP installed; the checks call WSAStartup themselves. */
static int setup_installed(void **state) {
  if (fws2_world_setup(state) != 0)
    return -1;
  install_base();
  install_counting_over(base_ids);
  return 0;
}
#endif

/* ---- The layer in the catalog ---- */

static void sockets_are_the_layers_own_handles(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  DWORD catalog_id = 0;
  assert_int_equal(wpu_socket_query(c, &catalog_id), WPU_SOCKET_CREATED);
  assert_int_equal(catalog_id, lsp_chains[WPU_CATALOG_TCP_IPV4]);
  assert_int_equal(wpu_socket_query(s, &catalog_id), WPU_SOCKET_CREATED);
  assert_int_equal(catalog_id, lsp_chains[WPU_CATALOG_TCP_IPV4]);
  WSAPROTOCOL_INFOW info;
  int len = sizeof info;
  assert_int_equal(
      getsockopt(c, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&info, &len), 0);
  assert_int_equal(info.dwCatalogEntryId, lsp_chains[WPU_CATALOG_TCP_IPV4]);
  assert_int_equal(info.ProtocolChain.ChainLen, 2);
  assert_int_equal(info.ProtocolChain.ChainEntries[0], lsp_dummy);
  assert_int_equal(info.ProtocolChain.ChainEntries[1],
                   base_ids[WPU_CATALOG_TCP_IPV4]);
  assert_int_equal(closesocket(c), 0);
  assert_int_equal(closesocket(s), 0);
}

static void blocking_traffic_is_counted_both_ways(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  char buf[64];
  assert_int_equal(send(c, "hello", 5, 0), 5);
  assert_int_equal(send(c, "world!", 6, 0), 6);
  recv_exactly(s, buf, 11);
  assert_memory_equal(buf, "helloworld!", 11);
  assert_int_equal(send(s, "ok", 2, 0), 2);
  recv_exactly(c, buf, 2);
  counting_lsp_stats cs = stats_of(c), ss = stats_of(s);
  assert_int_equal(cs.bytes_sent, 11);
  assert_int_equal(cs.sends, 2);
  assert_int_equal(cs.bytes_received, 2);
  assert_int_equal(ss.bytes_received, 11);
  assert_int_equal(ss.bytes_sent, 2);
  assert_int_equal(ss.sends, 1);
  closesocket(c);
  closesocket(s);
}

static void datagrams_are_counted(void **state) {
  (void)state;
  SOCKET a = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  SOCKET b = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  assert_int_not_equal(a, INVALID_SOCKET);
  assert_int_not_equal(b, INVALID_SOCKET);
  assert_int_equal(wpu_socket_query(a, NULL), WPU_SOCKET_CREATED);
  struct sockaddr_in ba = loopback(0);
  assert_int_equal(bind(b, (struct sockaddr *)&ba, sizeof ba), 0);
  int len = sizeof ba;
  assert_int_equal(getsockname(b, (struct sockaddr *)&ba, &len), 0);
  assert_int_equal(sendto(a, "12345", 5, 0, (struct sockaddr *)&ba, sizeof ba),
                   5);
  assert_int_equal(sendto(a, "678", 3, 0, (struct sockaddr *)&ba, sizeof ba),
                   3);
  char buf[16];
  struct sockaddr_in from;
  int fromlen = sizeof from;
  assert_int_equal(
      recvfrom(b, buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen), 5);
  assert_int_equal(recv(b, buf, sizeof buf, 0), 3);
  assert_int_equal(stats_of(a).bytes_sent, 8);
  assert_int_equal(stats_of(a).sends, 2);
  assert_int_equal(stats_of(b).bytes_received, 8);
  assert_int_equal(stats_of(b).receives, 2);
  closesocket(a);
  closesocket(b);
}

/* ---- The three notifications ---- */

static void clients_port_gets_the_clients_overlapped_and_key(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  assert_non_null(port);
  assert_ptr_equal(CreateIoCompletionPort((HANDLE)c, port, 0xc0ffee, 0), port);
  assert_ptr_equal(CreateIoCompletionPort((HANDLE)s, port, 0xbeef, 0), port);
  char in[16];
  WSABUF rb = {sizeof in, in};
  WSAOVERLAPPED rov, sov;
  memset(&rov, 0, sizeof rov);
  memset(&sov, 0, sizeof sov);
  DWORD n = 0, flags = 0;
  assert_int_equal(WSARecv(s, &rb, 1, &n, &flags, &rov, NULL), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
  WSABUF sb = {7, "payload"};
  int rc = WSASend(c, &sb, 1, &n, 0, &sov, NULL);
  assert_true(rc == 0 || WSAGetLastError() == WSA_IO_PENDING);
  int seen_send = 0, seen_recv = 0;
  for (int i = 0; i < 2; i++) {
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED ov = NULL;
    assert_true(GetQueuedCompletionStatus(port, &bytes, &key, &ov, WAIT_MS));
    if (ov == (LPOVERLAPPED)&sov) {
      assert_int_equal(key, 0xc0ffee);
      seen_send++;
    } else {
      assert_ptr_equal(ov, (LPOVERLAPPED)&rov);
      assert_int_equal(key, 0xbeef);
      seen_recv++;
    }
    assert_int_equal(bytes, 7);
  }
  assert_int_equal(seen_send, 1);
  assert_int_equal(seen_recv, 1);
  assert_memory_equal(in, "payload", 7);
  assert_true(WSAGetOverlappedResult(s, &rov, &n, FALSE, &flags));
  assert_int_equal(n, 7);
  assert_int_equal(stats_of(c).bytes_sent, 7);
  assert_int_equal(stats_of(s).bytes_received, 7);
  closesocket(c);
  closesocket(s);
  CloseHandle(port);
}

static void event_path_completes_the_clients_overlapped(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  char in[16];
  WSABUF rb = {sizeof in, in};
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = WSACreateEvent();
  DWORD n = 0, flags = 0;
  assert_int_equal(WSARecv(s, &rb, 1, &n, &flags, &ov, NULL), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
  assert_false(WSAGetOverlappedResult(s, &ov, &n, FALSE, &flags));
  assert_int_equal(WSAGetLastError(), WSA_IO_INCOMPLETE);
  assert_int_equal(send(c, "abcd", 4, 0), 4);
  assert_int_equal(
      WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, WAIT_MS, FALSE),
      WSA_WAIT_EVENT_0);
  assert_true(WSAGetOverlappedResult(s, &ov, &n, FALSE, &flags));
  assert_int_equal(n, 4);
  assert_memory_equal(in, "abcd", 4);
  counting_lsp_stats st = stats_of(s);
  assert_int_equal(st.bytes_received, 4);
  assert_int_equal(st.receives, 1);
  WSACloseEvent(ov.hEvent);
  closesocket(c);
  closesocket(s);
}

typedef struct routine_seen {
  DWORD err, bytes, flags, thread;
  LPWSAOVERLAPPED ov;
  int calls;
} routine_seen;

static routine_seen seen;

static void CALLBACK on_recv(DWORD err, DWORD bytes, LPWSAOVERLAPPED ov,
                             DWORD flags) {
  seen.err = err;
  seen.bytes = bytes;
  seen.flags = flags;
  seen.ov = ov;
  seen.thread = GetCurrentThreadId();
  seen.calls++;
}

static void completion_routine_runs_in_the_calling_thread(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  memset(&seen, 0, sizeof seen);
  char in[16];
  WSABUF rb = {sizeof in, in};
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  DWORD n = 0, flags = 0;
  assert_int_equal(WSARecv(s, &rb, 1, &n, &flags, &ov, on_recv), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
  assert_int_equal(send(c, "xyz", 3, 0), 3);
  assert_int_equal(SleepEx(WAIT_MS, TRUE), WAIT_IO_COMPLETION);
  assert_int_equal(seen.calls, 1);
  assert_int_equal(seen.err, 0);
  assert_int_equal(seen.bytes, 3);
  assert_ptr_equal(seen.ov, &ov);
  assert_int_equal(seen.thread, GetCurrentThreadId());
  assert_memory_equal(in, "xyz", 3);
  assert_int_equal(stats_of(s).bytes_received, 3);
  closesocket(c);
  closesocket(s);
}

static void readfile_and_writefile_go_through_the_layer(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  LONG before = fws2_readwrite_redirections();
  DWORD n = 0;
  assert_true(WriteFile((HANDLE)c, "file io", 7, &n, NULL));
  assert_int_equal(n, 7);
  char buf[16];
  assert_true(ReadFile((HANDLE)s, buf, sizeof buf, &n, NULL));
  assert_int_equal(n, 7);
  assert_memory_equal(buf, "file io", 7);
  assert_int_equal(fws2_readwrite_redirections() - before, 2);
  assert_int_equal(stats_of(c).bytes_sent, 7);
  assert_int_equal(stats_of(c).sends, 1);
  assert_int_equal(stats_of(s).bytes_received, 7);
  closesocket(c);
  closesocket(s);
}

/* ---- Exact counts under concurrent overlapped traffic ---- */

#define SENDERS    4
#define SENDS_EACH 200

typedef struct sender_args {
  SOCKET s;
  int index;
  ULONGLONG bytes; /* what it sent */
  int failures;
} sender_args;

static DWORD WINAPI sender(LPVOID arg) {
  sender_args *a = arg;
  char buf[512];
  memset(buf, 'a' + a->index, sizeof buf);
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = WSACreateEvent();
  for (int i = 0; i < SENDS_EACH; i++) {
    WSABUF b = {(ULONG)(1 + (i * 37 + a->index * 11) % sizeof buf), buf};
    DWORD n = 0, flags = 0;
    int rc = WSASend(a->s, &b, 1, &n, 0, &ov, NULL);
    if (rc != 0 && WSAGetLastError() != WSA_IO_PENDING) {
      a->failures++;
      continue;
    }
    if (WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, WAIT_MS, FALSE) !=
            WSA_WAIT_EVENT_0 ||
        !WSAGetOverlappedResult(a->s, &ov, &n, FALSE, &flags) || n != b.len) {
      a->failures++;
      continue;
    }
    a->bytes += n;
  }
  WSACloseEvent(ov.hEvent);
  return 0;
}

typedef struct receiver_args {
  SOCKET s;
  ULONGLONG expected, bytes;
  ULONGLONG ops;
  int failures;
} receiver_args;

/* Receives through a completion port until expected bytes came. */
static DWORD WINAPI receiver(LPVOID arg) {
  receiver_args *a = arg;
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  if (port == NULL ||
      CreateIoCompletionPort((HANDLE)a->s, port, 7, 0) != port) {
    a->failures++;
    return 1;
  }
  char buf[1000];
  WSAOVERLAPPED ov;
  while (a->bytes < a->expected) {
    memset(&ov, 0, sizeof ov);
    WSABUF b = {sizeof buf, buf};
    DWORD n = 0, flags = 0;
    int rc = WSARecv(a->s, &b, 1, &n, &flags, &ov, NULL);
    if (rc != 0 && WSAGetLastError() != WSA_IO_PENDING) {
      a->failures++;
      break;
    }
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    if (!GetQueuedCompletionStatus(port, &n, &key, &got, WAIT_MS) ||
        got != (LPOVERLAPPED)&ov || key != 7 || n == 0) {
      a->failures++;
      break;
    }
    a->bytes += n;
    a->ops++;
  }
  CloseHandle(port);
  return 0;
}

static void
byte_counts_are_exact_under_concurrent_overlapped_traffic(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  sender_args sa[SENDERS];
  HANDLE threads[SENDERS + 1];
  ULONGLONG total = 0;
  for (int i = 0; i < SENDERS; i++) {
    memset(&sa[i], 0, sizeof sa[i]);
    sa[i].s = c;
    sa[i].index = i;
    for (int k = 0; k < SENDS_EACH; k++)
      total += 1 + (k * 37 + i * 11) % 512;
  }
  receiver_args ra;
  memset(&ra, 0, sizeof ra);
  ra.s = s;
  ra.expected = total;
  threads[SENDERS] = CreateThread(NULL, 0, receiver, &ra, 0, NULL);
  assert_non_null(threads[SENDERS]);
  for (int i = 0; i < SENDERS; i++) {
    threads[i] = CreateThread(NULL, 0, sender, &sa[i], 0, NULL);
    assert_non_null(threads[i]);
  }
  for (int i = 0; i <= SENDERS; i++) {
    assert_int_equal(WaitForSingleObject(threads[i], WAIT_MS * 3),
                     WAIT_OBJECT_0);
    CloseHandle(threads[i]);
  }
  ULONGLONG sent = 0;
  for (int i = 0; i < SENDERS; i++) {
    assert_int_equal(sa[i].failures, 0);
    sent += sa[i].bytes;
  }
  assert_int_equal(ra.failures, 0);
  assert_int_equal(sent, total);
  assert_int_equal(ra.bytes, total);
  counting_lsp_stats cs = stats_of(c), ss = stats_of(s);
  assert_int_equal(cs.bytes_sent, total);
  assert_int_equal(cs.sends, SENDERS * SENDS_EACH);
  assert_int_equal(cs.bytes_received, 0);
  assert_int_equal(ss.bytes_received, total);
  assert_int_equal(ss.receives, ra.ops);
  assert_int_equal(ss.bytes_sent, 0);
  closesocket(c);
  closesocket(s);
}

/* ---- Closing with I/O in flight; leaks ---- */

static void
socket_closed_with_io_in_flight_completes_to_the_clients_port(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  assert_ptr_equal(CreateIoCompletionPort((HANDLE)s, port, 0x5ca1ab1e, 0),
                   port);
  char in[16];
  WSABUF rb = {sizeof in, in};
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  DWORD n = 0, flags = 0;
  assert_int_equal(WSARecv(s, &rb, 1, &n, &flags, &ov, NULL), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
  assert_int_equal(closesocket(s), 0);
  /* The application's socket is gone at once... */
  assert_int_equal(send(s, "x", 1, 0), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
  /* ...but its handle lived until the aborted receive was completed: the
   * port associated with the handle still got it, with the key. */
  DWORD bytes = 1;
  ULONG_PTR key = 0;
  LPOVERLAPPED got = NULL;
  assert_false(GetQueuedCompletionStatus(port, &bytes, &key, &got, WAIT_MS));
  assert_ptr_equal(got, (LPOVERLAPPED)&ov);
  assert_int_equal(key, 0x5ca1ab1e);
  assert_int_equal(bytes, 0);
  assert_int_equal(ov.OffsetHigh, WSA_OPERATION_ABORTED);
  closesocket(c);
  CloseHandle(port);
}

static void no_handle_leaks_at_wsacleanup(void **state) {
  SOCKET c, s;
  connected_pair(&c, &s);
  /* Some traffic; a pending receive on c, which is then closed with it in
   * flight; pending receives on s and on a UDP socket, both left open for
   * WSACleanup to close. */
  assert_int_equal(send(c, "abc", 3, 0), 3);
  char buf[8];
  recv_exactly(s, buf, 3);
  SOCKET u = socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
  assert_int_not_equal(u, INVALID_SOCKET);
  struct sockaddr_in6 a6;
  memset(&a6, 0, sizeof a6);
  a6.sin6_family = AF_INET6;
  a6.sin6_addr.s6_addr[15] = 1;
  assert_int_equal(bind(u, (struct sockaddr *)&a6, sizeof a6), 0);
  SOCKET socks[3] = {c, s, u};
  char in[3][8];
  WSAOVERLAPPED ov[3];
  for (int i = 0; i < 3; i++) {
    WSABUF b = {sizeof in[i], in[i]};
    DWORD n = 0, flags = 0;
    memset(&ov[i], 0, sizeof ov[i]);
    ov[i].hEvent = WSACreateEvent();
    assert_int_equal(WSARecv(socks[i], &b, 1, &n, &flags, &ov[i], NULL),
                     SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
  }
  assert_int_equal(closesocket(c), 0);
  assert_int_equal(WSACleanup(), 0);
  /* Every receive was completed before the LSP went away: aborted, or, for
   * s, the end of the stream c's close caused (0 bytes). */
  for (int i = 0; i < 3; i++) {
    assert_int_equal(WaitForSingleObject(ov[i].hEvent, 0), WAIT_OBJECT_0);
    assert_true(ov[i].OffsetHigh == WSA_OPERATION_ABORTED ||
                (i == 1 && ov[i].OffsetHigh == 0 && ov[i].InternalHigh == 0));
    CloseHandle(ov[i].hEvent);
  }
  /* Nothing of the LSP, memnet or the front is left in the world. */
  assert_int_equal(wpu_world_destroy((wpu_world *)*state), 0);
  assert_int_equal(fws2_world_setup(state), 0); /* for teardown */
}

/* ---- Extension functions ---- */

static void
acceptex_and_connectex_are_the_layers_own_and_counted(void **state) {
  (void)state;
  struct sockaddr_in a;
  SOCKET l = listener(&a);
  SOCKET as = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                         WSA_FLAG_OVERLAPPED);
  SOCKET c = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                        WSA_FLAG_OVERLAPPED);
  LPFN_ACCEPTEX accept_ex = extension(l, (GUID)WSAID_ACCEPTEX);
  LPFN_CONNECTEX connect_ex = extension(c, (GUID)WSAID_CONNECTEX);
  LPFN_GETACCEPTEXSOCKADDRS addrs =
      extension(l, (GUID)WSAID_GETACCEPTEXSOCKADDRS);
  assert_non_null(accept_ex);
  assert_non_null(connect_ex);
  assert_non_null(addrs);
  char out[5 + 2 * (sizeof(struct sockaddr_in) + 16)];
  WSAOVERLAPPED aov, cov;
  memset(&aov, 0, sizeof aov);
  memset(&cov, 0, sizeof cov);
  aov.hEvent = WSACreateEvent();
  cov.hEvent = WSACreateEvent();
  DWORD n = 0;
  assert_false(accept_ex(l, as, out, 5, sizeof(struct sockaddr_in) + 16,
                         sizeof(struct sockaddr_in) + 16, &n, &aov));
  assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
  struct sockaddr_in any = loopback(0);
  assert_int_equal(bind(c, (struct sockaddr *)&any, sizeof any), 0);
  BOOL ok =
      connect_ex(c, (struct sockaddr *)&a, sizeof a, "hello", 5, &n, &cov);
  assert_true(ok || WSAGetLastError() == WSA_IO_PENDING);
  assert_int_equal(
      WSAWaitForMultipleEvents(1, &cov.hEvent, TRUE, WAIT_MS, FALSE),
      WSA_WAIT_EVENT_0);
  assert_int_equal(
      WSAWaitForMultipleEvents(1, &aov.hEvent, TRUE, WAIT_MS, FALSE),
      WSA_WAIT_EVENT_0);
  DWORD flags = 0;
  assert_true(WSAGetOverlappedResult(l, &aov, &n, FALSE, &flags));
  assert_int_equal(n, 5);
  assert_memory_equal(out, "hello", 5);
  assert_int_equal(setsockopt(as, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT,
                              (char *)&l, sizeof l),
                   0);
  assert_int_equal(stats_of(c).bytes_sent, 5);
  assert_int_equal(stats_of(as).bytes_received, 5);
  /* The accepted socket works through the layer too. */
  assert_int_equal(send(as, "back", 4, 0), 4);
  char buf[8];
  recv_exactly(c, buf, 4);
  assert_int_equal(stats_of(as).bytes_sent, 4);
  WSACloseEvent(aov.hEvent);
  WSACloseEvent(cov.hEvent);
  closesocket(as);
  closesocket(c);
  closesocket(l);
}

static void unknown_extension_functions_fail_with_einval(void **state) {
  (void)state;
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  GUID id = WSAID_TRANSMITFILE;
  void *fn = NULL;
  DWORD returned = 0;
  assert_int_equal(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &id,
                            sizeof id, &fn, sizeof fn, &returned, NULL, NULL),
                   SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEINVAL);
  closesocket(s);
}

static void stats_ioctl_checks_its_buffer_and_socket(void **state) {
  (void)state;
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  char tiny[8];
  DWORD returned = 0;
  assert_int_equal(WSAIoctl(s, SIO_COUNTING_LSP_GET_STATS, NULL, 0, tiny,
                            sizeof tiny, &returned, NULL, NULL),
                   SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEFAULT);
  counting_lsp_stats st = stats_of(s);
  assert_int_equal(st.bytes_sent + st.bytes_received + st.sends + st.receives,
                   0);
  closesocket(s);
  assert_int_equal(WSAIoctl(s, SIO_COUNTING_LSP_GET_STATS, NULL, 0, &st,
                            sizeof st, &returned, NULL, NULL),
                   SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
}

static void select_reports_the_layers_handles(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  fd_set r;
  FD_ZERO(&r);
  FD_SET(s, &r);
  struct timeval zero = {0, 0};
  assert_int_equal(select(0, &r, NULL, NULL, &zero), 0);
  assert_int_equal(send(c, "!", 1, 0), 1);
  FD_ZERO(&r);
  FD_SET(s, &r);
  FD_SET(c, &r);
  struct timeval wait = {WAIT_MS / 1000, 0};
  assert_int_equal(select(0, &r, NULL, NULL, &wait), 1);
  assert_true(FD_ISSET(s, &r));
  assert_false(FD_ISSET(c, &r));
  closesocket(c);
  closesocket(s);
}

/* ---- Review fixes ---- */

static void
refused_overlapped_call_leaves_its_error_in_offsethigh(void **state) {
  (void)state;
  SOCKET c = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                        WSA_FLAG_OVERLAPPED);
  assert_int_not_equal(c, INVALID_SOCKET);
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.Offset = 0x1234; /* the provider's fields: cleared at the start */
  ov.hEvent = WSACreateEvent();
  WSABUF b = {4, "nope"};
  DWORD n = 0;
  /* Not connected: the next layer refuses it at once. */
  assert_int_equal(WSASend(c, &b, 1, &n, 0, &ov, NULL), SOCKET_ERROR);
  int err = WSAGetLastError();
  assert_int_not_equal(err, WSA_IO_PENDING);
  assert_int_equal(ov.OffsetHigh, (DWORD)err);
  assert_int_equal(ov.Offset, 0);
  assert_int_not_equal(ov.Internal, WSS_OPERATION_IN_PROGRESS);
  WSACloseEvent(ov.hEvent);
  closesocket(c);
}

/* A set bigger than this file's FD_SETSIZE, as an application that defines
 * its own FD_SETSIZE passes it. */
#define BIG_SET 80
typedef struct big_set {
  u_int fd_count;
  SOCKET fd_array[BIG_SET];
} big_set;

static void select_takes_sets_larger_than_fd_setsize(void **state) {
  (void)state;
  big_set w;
  w.fd_count = 0;
  for (int i = 0; i < BIG_SET; i++) {
    SOCKET u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    assert_int_not_equal(u, INVALID_SOCKET);
    w.fd_array[w.fd_count++] = u;
  }
  big_set all = w;
  struct timeval tv = {0, 0};
  assert_int_equal(select(0, NULL, (fd_set *)&w, NULL, &tv), BIG_SET);
  assert_int_equal(w.fd_count, BIG_SET);
  for (int i = 0; i < BIG_SET; i++) {
    assert_int_equal(w.fd_array[i], all.fd_array[i]);
    closesocket(all.fd_array[i]);
  }
}

static void handles_of_another_non_ifs_provider_are_refused(void **state) {
  (void)state;
  /* Another provider's WPUCreateSocketHandle handle: its context means
   * something to that provider only (here: a zeroed block). */
  static char foreign_context[1024];
  WSPUPCALLTABLE up = wpu_upcall_table();
  int err = 0;
  SOCKET f = up.lpWPUCreateSocketHandle(base_ids[WPU_CATALOG_TCP_IPV4],
                                        (DWORD_PTR)foreign_context, &err);
  assert_int_not_equal(f, INVALID_SOCKET);
  SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_not_equal(c, INVALID_SOCKET);
  /* In a select set next to one of the layer's sockets. */
  fd_set r;
  FD_ZERO(&r);
  FD_SET(c, &r);
  FD_SET(f, &r);
  struct timeval tv = {0, 0};
  assert_int_equal(select(0, &r, NULL, NULL, &tv), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
  /* As SO_UPDATE_ACCEPT_CONTEXT's listening socket. */
  assert_int_equal(setsockopt(c, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT,
                              (const char *)&f, sizeof f),
                   SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
  closesocket(c);
  assert_int_equal(up.lpWPUCloseSocketHandle(f, &err), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(sockets_are_the_layers_own_handles),
      T(blocking_traffic_is_counted_both_ways),
      T(datagrams_are_counted),
      T(clients_port_gets_the_clients_overlapped_and_key),
      T(event_path_completes_the_clients_overlapped),
      T(completion_routine_runs_in_the_calling_thread),
      T(readfile_and_writefile_go_through_the_layer),
      T(byte_counts_are_exact_under_concurrent_overlapped_traffic),
      T(socket_closed_with_io_in_flight_completes_to_the_clients_port),
      T(no_handle_leaks_at_wsacleanup),
      T(acceptex_and_connectex_are_the_layers_own_and_counted),
      T(unknown_extension_functions_fail_with_einval),
      T(stats_ioctl_checks_its_buffer_and_socket),
      T(select_reports_the_layers_handles),
      T(refused_overlapped_call_leaves_its_error_in_offsethigh),
      T(select_takes_sets_larger_than_fd_setsize),
      T(handles_of_another_non_ifs_provider_are_refused),
#ifdef HAVE_CONFORMANCE
      FWS2_CONFORMANCE_TESTS(setup_installed, teardown),
#endif
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
