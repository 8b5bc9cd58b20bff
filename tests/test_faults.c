/* test_faults.c: deterministic fault injection (fws2/faults.h): upcalls,
 * kernel32, libwpu's allocations, provider calls down the chain and the
 * network faults of a base provider, delayed and reordered completions. */
#include <winsock2.h>
#include <ws2spi.h>
#include <ws2tcpip.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <fws2/faults.h>
#include <fws2/fixture.h>
#include <fws2/trace.h>

#include "doubles_lsp.h"

static void startup(void) {
  WSADATA d;
  assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
}

static void
create_socket_handle_fails_with_enobufs_on_the_chosen_call(void **state) {
  (void)state;
  int id = fws2_fault_inject("WPUCreateSocketHandle", 2, WSAENOBUFS);
  assert_true(id > 0);
  int err = 0;
  SOCKET a = WPUCreateSocketHandle(1, 0, &err);
  assert_int_not_equal(a, INVALID_SOCKET);
  err = 0;
  assert_int_equal(WPUCreateSocketHandle(1, 0, &err), INVALID_SOCKET);
  assert_int_equal(err, WSAENOBUFS);
  SOCKET b = WPUCreateSocketHandle(1, 0, &err);
  assert_int_not_equal(b, INVALID_SOCKET);
  assert_int_equal(fws2_fault_hits(id), 1);
  assert_int_equal(WPUCloseSocketHandle(a, &err), 0);
  assert_int_equal(WPUCloseSocketHandle(b, &err), 0);
}

static void fault_with_count_fails_consecutive_calls(void **state) {
  (void)state;
  fws2_fault f = {.call = "WPUCreateEvent",
                  .nth = 2,
                  .count = 2,
                  .error = WSA_NOT_ENOUGH_MEMORY};
  assert_true(fws2_fault_add(&f) > 0);
  int err, fails = 0;
  for (int i = 1; i <= 5; i++) {
    WSAEVENT e = WPUCreateEvent(&err);
    if (e == WSA_INVALID_EVENT) {
      assert_int_equal(err, WSA_NOT_ENOUGH_MEMORY);
      assert_true(i == 2 || i == 3);
      fails++;
    } else {
      assert_true(WPUCloseEvent(e, &err));
    }
  }
  assert_int_equal(fails, 2);
}

static unsigned pattern(unsigned seed) {
  fws2_fault f = {.call = "WPUCreateSocketHandle", .percent = 50, .seed = seed};
  int id = fws2_fault_add(&f);
  assert_true(id > 0);
  unsigned bits = 0;
  for (int i = 0; i < 32; i++) {
    int err;
    SOCKET s = WPUCreateSocketHandle(1, 0, &err);
    if (s == INVALID_SOCKET)
      bits |= 1u << i;
    else
      WPUCloseSocketHandle(s, &err);
  }
  fws2_fault_remove(id);
  return bits;
}

static void seeded_probability_repeats_the_same_choices(void **state) {
  (void)state;
  unsigned a = pattern(7), b = pattern(7), c = pattern(8);
  assert_int_equal(a, b);
  assert_int_not_equal(a, 0);
  assert_int_not_equal(a, 0xffffffffu);
  assert_int_not_equal(a, c);
}

static void every_call_fails_when_nth_is_zero(void **state) {
  (void)state;
  assert_true(fws2_fault_inject("WPUQueueApc", 0, WSAEFAULT) > 0);
  WSATHREADID t;
  int err;
  assert_int_equal(WPUOpenCurrentThread(&t, &err), 0);
  for (int i = 0; i < 3; i++) {
    err = 0;
    assert_int_equal(WPUQueueApc(&t, NULL, 0, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
  }
  assert_int_equal(WPUCloseThread(&t, &err), 0);
}

#ifndef _WIN32
static void kernel32_create_event_fails_with_the_chosen_error(void **state) {
  (void)state;
  assert_true(fws2_fault_inject("CreateEventW", 1, ERROR_NO_SYSTEM_RESOURCES) >
              0);
  SetLastError(0);
  assert_null(CreateEventW(NULL, TRUE, FALSE, NULL));
  assert_int_equal(GetLastError(), ERROR_NO_SYSTEM_RESOURCES);
  HANDLE e = CreateEventW(NULL, TRUE, FALSE, NULL);
  assert_non_null(e);
  CloseHandle(e);
}
#endif

static void
allocation_failure_inside_libwpu_fails_port_association(void **state) {
  (void)state;
  dl_install_base();
  startup();
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_not_equal(s, INVALID_SOCKET);
  int id = fws2_fault_inject("port association", 1, 0);
  SetLastError(0);
  assert_null(CreateIoCompletionPort((HANDLE)s, NULL, 1, 0));
  assert_int_equal(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
  assert_int_equal(fws2_fault_hits(id), 1);
  HANDLE port = CreateIoCompletionPort((HANDLE)s, NULL, 1, 0);
  assert_non_null(port);
  closesocket(s);
  CloseHandle(port);
  WSACleanup();
}

static void provider_call_fails_down_the_chain_at_the_base(void **state) {
  (void)state;
  dl_install();
  fws2_fault f = {
      .call = "WSPBind", .provider = "fws2_memnet", .error = WSAEADDRINUSE};
  int id = fws2_fault_add(&f);
  assert_int_equal(fws2_trace_start(0, 0), 0);
  startup();
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEADDRINUSE);
  assert_int_equal(fws2_fault_hits(id), 1);
  /* The LSP passed it on; the trace shows where it was injected. */
  fws2_assert_trace("tiny_lsp>fws2_memnet:WSPBind", "fault:WSPBind");
  closesocket(s);
  WSACleanup();
}

static void partial_send_passes_only_the_first_bytes_down(void **state) {
  (void)state;
  dl_install();
  fws2_fault f = {.call = "WSPSend",
                  .provider = "fws2_memnet",
                  .nth = 1,
                  .action = FWS2_FAULT_PARTIAL_SEND,
                  .arg = 3};
  assert_true(fws2_fault_add(&f) > 0);
  startup();
  SOCKET c, s;
  dl_tcp_pair(&c, &s);
  assert_int_equal(send(c, "hello", 5, 0), 3);
  char buf[8] = {0};
  assert_int_equal(recv(s, buf, sizeof buf, 0), 3);
  assert_memory_equal(buf, "hel", 3);
  assert_int_equal(send(c, "lo", 2, 0), 2); /* only the first call */
  closesocket(c);
  closesocket(s);
  WSACleanup();
}

static void recv_fails_with_connreset_mid_stream_and_stays_reset(void **state) {
  (void)state;
  dl_install_base();
  fws2_fault f = {.call = "WSPRecv",
                  .provider = "fws2_memnet",
                  .nth = 2,
                  .action = FWS2_FAULT_RESET};
  assert_true(fws2_fault_add(&f) > 0);
  startup();
  SOCKET c, s;
  dl_tcp_pair(&c, &s);
  char buf[8];
  assert_int_equal(send(c, "ab", 2, 0), 2);
  assert_int_equal(recv(s, buf, 1, 0), 1); /* the first goes through */
  assert_int_equal(recv(s, buf, 1, 0), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAECONNRESET);
  assert_int_equal(recv(s, buf, 1, 0), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAECONNRESET);
  assert_int_equal(send(s, "x", 1, 0), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAECONNRESET);
  closesocket(c);
  closesocket(s);
  WSACleanup();
}

static void connect_is_refused(void **state) {
  (void)state;
  dl_install_base();
  fws2_fault f = {.call = "WSPConnect",
                  .provider = "fws2_memnet",
                  .action = FWS2_FAULT_REFUSE};
  assert_true(fws2_fault_add(&f) > 0);
  startup();
  SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(l, 1), 0);
  int len = sizeof a;
  getsockname(l, (struct sockaddr *)&a, &len);
  SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof a), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAECONNREFUSED);
  closesocket(c);
  closesocket(l);
  WSACleanup();
}

static void peer_close_makes_recv_return_zero(void **state) {
  (void)state;
  dl_install_base();
  fws2_fault f = {.call = "WSPRecv",
                  .provider = "fws2_memnet",
                  .nth = 1,
                  .action = FWS2_FAULT_PEER_CLOSE};
  assert_true(fws2_fault_add(&f) > 0);
  startup();
  SOCKET c, s;
  dl_tcp_pair(&c, &s);
  assert_int_equal(send(c, "data", 4, 0), 4);
  char buf[8];
  assert_int_equal(recv(s, buf, sizeof buf, 0), 0);
  assert_int_equal(recv(s, buf, sizeof buf, 0), 0); /* and stays closed */
  closesocket(c);
  closesocket(s);
  WSACleanup();
}

static SOCKET udp_bound(struct sockaddr_in *a) {
  SOCKET u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  assert_int_not_equal(u, INVALID_SOCKET);
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(u, (struct sockaddr *)a, sizeof *a), 0);
  int len = sizeof *a;
  assert_int_equal(getsockname(u, (struct sockaddr *)a, &len), 0);
  return u;
}

static void datagram_is_lost_but_reported_sent(void **state) {
  (void)state;
  /* memnet: names it, or delivers synchronously. */
  dl_install_memnet();
  fws2_fault f = {.call = "WSPSendTo",
                  .provider = "fws2_memnet",
                  .nth = 1,
                  .action = FWS2_FAULT_DROP_DATAGRAM};
  assert_true(fws2_fault_add(&f) > 0);
  startup();
  struct sockaddr_in ra, sa;
  SOCKET r = udp_bound(&ra), s = udp_bound(&sa);
  assert_int_equal(sendto(s, "lost", 4, 0, (struct sockaddr *)&ra, sizeof ra),
                   4);
  assert_int_equal(sendto(s, "kept", 4, 0, (struct sockaddr *)&ra, sizeof ra),
                   4);
  char buf[8] = {0};
  assert_int_equal(recvfrom(r, buf, sizeof buf, 0, NULL, NULL), 4);
  assert_memory_equal(buf, "kept", 4);
  closesocket(r);
  closesocket(s);
  WSACleanup();
}

static void completion_is_held_until_released(void **state) {
  (void)state;
  /* memnet: names it, or delivers synchronously. */
  dl_install_memnet();
  fws2_fault f = {.call = "completion", .action = FWS2_FAULT_DELAY};
  assert_true(fws2_fault_add(&f) > 0);
  startup();
  SOCKET c, s;
  dl_tcp_pair(&c, &s);
  WSAOVERLAPPED ov = {0};
  ov.hEvent = WSACreateEvent();
  char buf[8];
  WSABUF b = {sizeof buf, buf};
  DWORD got = 0, flags = 0;
  assert_int_equal(WSARecv(s, &b, 1, &got, &flags, &ov, NULL), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
  assert_int_equal(send(c, "late", 4, 0), 4);
  assert_int_equal(fws2_faults_held(), 1);
  assert_int_equal(WaitForSingleObject(ov.hEvent, 0), WAIT_TIMEOUT);
  assert_int_equal(fws2_faults_release(0), 1);
  assert_int_equal(WaitForSingleObject(ov.hEvent, 10000), WAIT_OBJECT_0);
  assert_true(WSAGetOverlappedResult(s, &ov, &got, FALSE, &flags));
  assert_int_equal(got, 4);
  WSACloseEvent(ov.hEvent);
  closesocket(c);
  closesocket(s);
  WSACleanup();
}

static void held_completions_are_released_reordered(void **state) {
  (void)state;
  dl_install_base();
  fws2_fault f = {.call = "completion", .action = FWS2_FAULT_DELAY};
  assert_true(fws2_fault_add(&f) > 0);
  startup();
  SOCKET c, s;
  dl_tcp_pair(&c, &s);
  HANDLE port = CreateIoCompletionPort((HANDLE)s, NULL, 7, 0);
  assert_non_null(port);
  WSAOVERLAPPED ov[2];
  char buf[2][4];
  for (int i = 0; i < 2; i++) {
    memset(&ov[i], 0, sizeof ov[i]);
    WSABUF b = {1, buf[i]};
    DWORD got = 0, flags = 0;
    assert_int_equal(WSARecv(s, &b, 1, &got, &flags, &ov[i], NULL),
                     SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
  }
  assert_int_equal(send(c, "ab", 2, 0), 2);
  assert_int_equal(fws2_faults_held(), 2);
  assert_int_equal(fws2_faults_release(1), 2);
  /* The second request's completion arrives first. */
  for (int i = 1; i >= 0; i--) {
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED got;
    assert_true(GetQueuedCompletionStatus(port, &bytes, &key, &got, 10000));
    assert_ptr_equal(got, (LPOVERLAPPED)&ov[i]);
    assert_int_equal(key, 7);
    assert_int_equal(bytes, 1);
  }
  assert_int_equal(buf[0][0], 'a');
  assert_int_equal(buf[1][0], 'b');
  closesocket(c);
  closesocket(s);
  CloseHandle(port);
  WSACleanup();
}

static void fault_add_rejects_bad_rules(void **state) {
  (void)state;
  assert_int_equal(fws2_fault_add(NULL), -WSAEINVAL);
  fws2_fault f = {0};
  assert_int_equal(fws2_fault_add(&f), -WSAEINVAL);
  f.call = "WSPSend";
  f.percent = 101;
  assert_int_equal(fws2_fault_add(&f), -WSAEINVAL);
  f.percent = 0;
  f.action = (fws2_fault_action)(FWS2_FAULT_DELAY + 1);
  assert_int_equal(fws2_fault_add(&f), -WSAEINVAL);
  /* Zero bytes would pass no buffer down at all. */
  f.action = FWS2_FAULT_PARTIAL_SEND;
  f.arg = 0;
  assert_int_equal(fws2_fault_add(&f), -WSAEINVAL);
  f.arg = 1;
  f.provider = "a_provider_name_of_32_characters";
  assert_int_equal(fws2_fault_add(&f), -WSAEINVAL);
  f.provider = NULL;
  f.call = "a_call_name_of_48_characters_is_too_long_for_it_";
  assert_int_equal(fws2_fault_add(&f), -WSAEINVAL);
  assert_int_equal(fws2_fault_hits(12345), 0);
}

/* The second rule counts the call the first one failed. */
static void
every_matching_rule_counts_the_calls_an_earlier_one_fails(void **state) {
  (void)state;
  int first = fws2_fault_inject("WPUCreateEvent", 1, WSAENOBUFS);
  int second = fws2_fault_inject("WPUCreateEvent", 2, WSAEFAULT);
  assert_true(first > 0 && second > 0);
  int err = 0;
  assert_ptr_equal(WPUCreateEvent(&err), WSA_INVALID_EVENT);
  assert_int_equal(err, WSAENOBUFS);
  assert_ptr_equal(WPUCreateEvent(&err), WSA_INVALID_EVENT);
  assert_int_equal(err, WSAEFAULT);
  WSAEVENT e = WPUCreateEvent(&err);
  assert_ptr_not_equal(e, WSA_INVALID_EVENT);
  assert_true(WPUCloseEvent(e, &err));
  assert_int_equal(fws2_fault_hits(first), 1);
  assert_int_equal(fws2_fault_hits(second), 1);
}

/* DROP_DATAGRAM acts on datagram sends only: a stream send goes through
 * and the rule does not count it. */
static void datagram_loss_leaves_stream_sends_alone(void **state) {
  (void)state;
  dl_install_memnet();
  fws2_fault f = {.call = "WSPSend", .action = FWS2_FAULT_DROP_DATAGRAM};
  int id = fws2_fault_add(&f);
  assert_true(id > 0);
  startup();
  SOCKET c, s;
  dl_tcp_pair(&c, &s);
  assert_int_equal(send(c, "data", 4, 0), 4);
  assert_int_equal(fws2_fault_hits(id), 0);
  char buf[8];
  assert_int_equal(recv(s, buf, sizeof buf, 0), 4);
  assert_memory_equal(buf, "data", 4);
  closesocket(c);
  closesocket(s);
  WSACleanup();
}

int main(void) {
#define T(name)                                                                \
  cmocka_unit_test_setup_teardown(name, fws2_world_setup, fws2_world_teardown)
  const struct CMUnitTest tests[] = {
      T(create_socket_handle_fails_with_enobufs_on_the_chosen_call),
      T(fault_with_count_fails_consecutive_calls),
      T(seeded_probability_repeats_the_same_choices),
      T(every_call_fails_when_nth_is_zero),
#ifndef _WIN32
      T(kernel32_create_event_fails_with_the_chosen_error),
#endif
      T(allocation_failure_inside_libwpu_fails_port_association),
      T(provider_call_fails_down_the_chain_at_the_base),
      T(partial_send_passes_only_the_first_bytes_down),
      T(recv_fails_with_connreset_mid_stream_and_stays_reset),
      T(connect_is_refused),
      T(peer_close_makes_recv_return_zero),
      T(datagram_is_lost_but_reported_sent),
      T(completion_is_held_until_released),
      T(held_completions_are_released_reordered),
      T(fault_add_rejects_bad_rules),
      T(every_matching_rule_counts_the_calls_an_earlier_one_fails),
      T(datagram_loss_leaves_stream_sends_alone),
  };
#undef T
  return cmocka_run_group_tests(tests, NULL, NULL);
}
