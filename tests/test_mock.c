/* test_mock.c: the CMocka mock of the next layer (fws2/mock.h), under a
 * non-IFS and an IFS pass-through LSP (passthru_lsp.c) reached through the
 * Winsock API: expectations that hold stay quiet, scripted results
 * (success, partial transfers, errors, pending requests completed later
 * through an event, an APC or a completion port) reach the application.
 *
 * Run with an argument, the program runs one case that must FAIL, so that
 * CTest (tests/mock.cmake) can check the failure is reported with a useful
 * message: wrong_argument, unexpected_call, unchecked_expectation,
 * unused_result. */
#include <winsock2.h>
#include <ws2spi.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <fws2/fixture.h>
#include <fws2/mock.h>
#include <wpu/sockets.h>
#include <wpu/wpu.h>

#include "passthru_lsp.h"

#define WAIT_MS 10000

static BOOL ifs;
static fws2_mock_ids ids;

static int setup_kind(void **state, BOOL want_ifs) {
  if (fws2_world_setup(state) != 0)
    return -1;
  ifs = want_ifs;
  pt_breakage = PT_BREAK_NONE;
  fws2_mock_layer lsp = {ifs ? &pt_ifs_id : &pt_nonifs_id,
                         ifs ? pt_ifs_path : pt_nonifs_path, L"passthru lsp",
                         ifs ? pt_ifs_WSPStartup : pt_nonifs_WSPStartup, ifs};
  if (fws2_mock_install(&lsp, &ids) != 0)
    return -1;
  WSADATA d;
  return WSAStartup(MAKEWORD(2, 2), &d) == 0 ? 0 : -1;
}

static int setup_ifs(void **state) {
  return setup_kind(state, TRUE);
}

static int setup_nonifs(void **state) {
  return setup_kind(state, FALSE);
}

static int teardown(void **state) {
  while (WSACleanup() == 0)
    ;
  return fws2_world_teardown(state);
}

/* A stream socket through the LSP, and the mock socket below it. */
static SOCKET open_stream(SOCKET *lower) {
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_not_equal(s, INVALID_SOCKET);
  *lower = fws2_mock_last_socket();
  assert_int_not_equal(*lower, INVALID_SOCKET);
  return s;
}

/* ---- Sockets ---- */

static void sockets_are_made_by_the_mock_and_wrapped_by_the_layer(void) {
  SOCKET lower, s = open_stream(&lower);
  DWORD cat = 0;
  if (ifs) { /* the mock's IFS handle, re-associated with the chain */
    assert_int_equal(s, lower);
    assert_int_equal(wpu_socket_query(s, &cat), WPU_SOCKET_IFS);
  } else { /* the layer's own handle over the mock's */
    assert_int_not_equal(s, lower);
    assert_int_equal(wpu_socket_query(s, &cat), WPU_SOCKET_CREATED);
    DWORD below = 0;
    assert_int_equal(wpu_socket_query(lower, &below), WPU_SOCKET_IFS);
    assert_int_equal(below, ids.base[WPU_CATALOG_TCP_IPV4]);
  }
  assert_int_equal(cat, ids.chain[WPU_CATALOG_TCP_IPV4]);
  assert_int_equal(fws2_mock_socket_count(), 1);
  assert_int_equal(closesocket(s), 0);
  assert_int_equal(fws2_mock_socket_count(), 0);
}

/* ---- Scripted results and expectations ---- */

static void send_is_forwarded_with_the_expected_socket_and_bytes(void) {
  SOCKET lower, s = open_stream(&lower);
  expect_value(fws2_mock_WSPSend, s, lower);
  expect_memory(fws2_mock_WSPSend, data, "hello", 5);
  expect_value(fws2_mock_WSPSend, len, 5);
  fws2_mock_will(WSPSend,
                 fws2_mock_check(fws2_mock_ok(FWS2_MOCK_ALL),
                                 FWS2_MOCK_CHECK_SOCKET | FWS2_MOCK_CHECK_DATA |
                                     FWS2_MOCK_CHECK_LEN));
  assert_int_equal(send(s, "hello", 5, 0), 5);
  assert_int_equal(closesocket(s), 0);
}

static void a_partial_send_reaches_the_application(void) {
  SOCKET lower, s = open_stream(&lower);
  fws2_mock_will(WSPSend, fws2_mock_ok(3));
  assert_int_equal(send(s, "hello", 5, 0), 3);
  assert_int_equal(closesocket(s), 0);
}

static void scripted_receive_data_and_errors_reach_the_application(void) {
  SOCKET lower, s = open_stream(&lower);
  char buf[16];
  fws2_mock_will(WSPRecv, fws2_mock_data("abc", 3));
  fws2_mock_will(WSPRecv, fws2_mock_error(WSAECONNRESET));
  assert_int_equal(recv(s, buf, sizeof buf, 0), 3);
  assert_memory_equal(buf, "abc", 3);
  assert_int_equal(recv(s, buf, sizeof buf, 0), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAECONNRESET);
  assert_int_equal(closesocket(s), 0);
}

static void option_calls_check_their_code_and_return_scripted_bytes(void) {
  SOCKET lower, s = open_stream(&lower);
  int one = 1, value = 0, len = sizeof value;
  expect_value(fws2_mock_WSPSetSockOpt, code, SO_KEEPALIVE);
  expect_memory(fws2_mock_WSPSetSockOpt, data, &one, sizeof one);
  fws2_mock_will(WSPSetSockOpt,
                 fws2_mock_check(fws2_mock_ok(0),
                                 FWS2_MOCK_CHECK_CODE | FWS2_MOCK_CHECK_DATA));
  assert_int_equal(
      setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, (char *)&one, sizeof one), 0);
  int scripted = 7;
  fws2_mock_will(WSPGetSockOpt, fws2_mock_data(&scripted, sizeof scripted));
  assert_int_equal(getsockopt(s, SOL_SOCKET, SO_RCVBUF, (char *)&value, &len),
                   0);
  assert_int_equal(value, 7);
  assert_int_equal(closesocket(s), 0);
}

/* ---- Pending requests, completed later ---- */

static WSAOVERLAPPED ov;
static char rbuf[32];

static void recv_pends(SOCKET s, HANDLE ev,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE routine) {
  memset(&ov, 0, sizeof ov);
  memset(rbuf, 0, sizeof rbuf);
  ov.hEvent = ev;
  WSABUF b = {sizeof rbuf, rbuf};
  DWORD got = 0, flags = 0;
  fws2_mock_will(WSPRecv, fws2_mock_pend());
  assert_int_equal(WSARecv(s, &b, 1, &got, &flags, &ov, routine), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
  assert_int_equal(fws2_mock_pending_count(), 1);
}

static void pending_recv_completes_through_the_event(void) {
  SOCKET lower, s = open_stream(&lower);
  HANDLE ev = WSACreateEvent();
  recv_pends(s, ev, NULL);
  assert_int_equal(WaitForSingleObject(ev, 0), WAIT_TIMEOUT);
  fws2_mock_op *op = fws2_mock_next_pending();
  assert_int_equal(fws2_mock_op_entry(op), FWS2_MOCK_ID_WSPRecv);
  assert_int_equal(fws2_mock_op_socket(op), lower);
  assert_int_equal(fws2_mock_complete(op, 0, "later", 5, 0), 0);
  assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, WAIT_MS, FALSE),
                   WSA_WAIT_EVENT_0);
  DWORD bytes = 0, flags = 0;
  assert_true(WSAGetOverlappedResult(s, &ov, &bytes, FALSE, &flags));
  assert_int_equal(bytes, 5);
  assert_memory_equal(rbuf, "later", 5);
  assert_int_equal(fws2_mock_complete(op, 0, NULL, 0, 0), WSAEINVAL);
  assert_int_equal(closesocket(s), 0);
  WSACloseEvent(ev);
}

static volatile LONG apc_calls;
static DWORD apc_err, apc_bytes, apc_thread;

static void CALLBACK on_done(DWORD err, DWORD bytes, LPWSAOVERLAPPED o,
                             DWORD flags) {
  (void)o, (void)flags;
  apc_err = err;
  apc_bytes = bytes;
  apc_thread = GetCurrentThreadId();
  InterlockedIncrement(&apc_calls);
}

static void pending_recv_completes_through_an_apc(void) {
  SOCKET lower, s = open_stream(&lower);
  apc_calls = 0;
  recv_pends(s, NULL, on_done);
  assert_int_equal(
      fws2_mock_complete(fws2_mock_next_pending(), 0, "apc!", 4, 0), 0);
  assert_int_equal(apc_calls, 0); /* only in an alertable wait */
  DWORD w = SleepEx(WAIT_MS, TRUE);
  while (w == WAIT_IO_COMPLETION && apc_calls == 0) /* an APC of the layer */
    w = SleepEx(WAIT_MS, TRUE);
  assert_int_equal(apc_calls, 1);
  assert_int_equal(apc_err, 0);
  assert_int_equal(apc_bytes, 4);
  assert_int_equal(apc_thread, GetCurrentThreadId());
  assert_memory_equal(rbuf, "apc!", 4);
  assert_int_equal(closesocket(s), 0);
}

static void pending_recv_completes_through_the_port_with_an_error(void) {
  SOCKET lower, s = open_stream(&lower);
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  assert_ptr_equal(CreateIoCompletionPort((HANDLE)s, port, 42, 0), port);
  recv_pends(s, NULL, NULL);
  assert_int_equal(
      fws2_mock_complete(fws2_mock_next_pending(), WSAECONNABORTED, NULL, 0, 0),
      0);
  DWORD bytes = 9;
  ULONG_PTR key = 0;
  LPOVERLAPPED got = NULL;
  assert_false(GetQueuedCompletionStatus(port, &bytes, &key, &got, WAIT_MS));
  assert_int_equal(GetLastError(), WSAECONNABORTED);
  assert_ptr_equal(got, &ov);
  assert_int_equal(key, 42);
  assert_int_equal(bytes, 0);
  assert_int_equal(closesocket(s), 0);
  CloseHandle(port);
}

static void closing_a_socket_aborts_its_pending_requests(void) {
  SOCKET lower, s = open_stream(&lower);
  HANDLE ev = WSACreateEvent();
  recv_pends(s, ev, NULL);
  assert_int_equal(closesocket(s), 0);
  assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, WAIT_MS, FALSE),
                   WSA_WAIT_EVENT_0);
  assert_int_equal(ov.OffsetHigh, WSA_OPERATION_ABORTED);
  assert_int_equal(fws2_mock_pending_count(), 0);
  WSACloseEvent(ev);
}

static void raised_network_events_reach_the_applications_event(void) {
  SOCKET lower, s = open_stream(&lower);
  HANDLE ev = WSACreateEvent();
  assert_int_equal(WSAEventSelect(s, ev, FD_READ), 0);
  assert_int_equal(fws2_mock_raise(lower, FD_WRITE, 0), 0); /* not selected */
  assert_int_equal(WaitForSingleObject(ev, 0), WAIT_TIMEOUT);
  assert_int_equal(fws2_mock_raise(lower, FD_READ, 0), 0);
  assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, WAIT_MS, FALSE),
                   WSA_WAIT_EVENT_0);
  WSANETWORKEVENTS ne;
  assert_int_equal(WSAEnumNetworkEvents(s, ev, &ne), 0);
  assert_int_equal(ne.lNetworkEvents, FD_READ);
  assert_int_equal(closesocket(s), 0);
  WSACloseEvent(ev);
}

/* ---- Both kinds ---- */

#define BOTH(body)                                                             \
  static void body##_through_an_ifs_lsp(void **state) {                        \
    (void)state;                                                               \
    body();                                                                    \
  }                                                                            \
  static void body##_through_a_non_ifs_lsp(void **state) {                     \
    (void)state;                                                               \
    body();                                                                    \
  }
#define BOTH_TESTS(body)                                                       \
  cmocka_unit_test_setup_teardown(body##_through_an_ifs_lsp, setup_ifs,        \
                                  teardown),                                   \
      cmocka_unit_test_setup_teardown(body##_through_a_non_ifs_lsp,            \
                                      setup_nonifs, teardown)

BOTH(sockets_are_made_by_the_mock_and_wrapped_by_the_layer)
BOTH(send_is_forwarded_with_the_expected_socket_and_bytes)
BOTH(a_partial_send_reaches_the_application)
BOTH(scripted_receive_data_and_errors_reach_the_application)
BOTH(option_calls_check_their_code_and_return_scripted_bytes)
BOTH(pending_recv_completes_through_the_event)
BOTH(pending_recv_completes_through_an_apc)
BOTH(pending_recv_completes_through_the_port_with_an_error)
BOTH(closing_a_socket_aborts_its_pending_requests)
BOTH(raised_network_events_reach_the_applications_event)

/* ---- Cases that must fail (run one per process by CTest) ---- */

static void wrong_argument(void **state) {
  (void)state;
  SOCKET lower, s = open_stream(&lower);
  expect_memory(fws2_mock_WSPSend, data, "hello", 5);
  fws2_mock_will(WSPSend, fws2_mock_check(fws2_mock_ok(FWS2_MOCK_ALL),
                                          FWS2_MOCK_CHECK_DATA));
  send(s, "world", 5, 0);
}

static void unexpected_call(void **state) {
  (void)state;
  SOCKET lower, s = open_stream(&lower);
  send(s, "hello", 5, 0);
}

static void unchecked_expectation(void **state) {
  (void)state;
  SOCKET lower, s = open_stream(&lower);
  expect_value(fws2_mock_WSPShutdown, code, SD_SEND);
  closesocket(s);
}

static void unused_result(void **state) {
  (void)state;
  SOCKET lower, s = open_stream(&lower);
  fws2_mock_will(WSPShutdown, fws2_mock_ok(0));
  closesocket(s);
}

static int run_failing(const char *name) {
  const struct CMUnitTest cases[] = {
      cmocka_unit_test_setup_teardown(wrong_argument, setup_nonifs, teardown),
      cmocka_unit_test_setup_teardown(unexpected_call, setup_ifs, teardown),
      cmocka_unit_test_setup_teardown(unchecked_expectation, setup_ifs,
                                      teardown),
      cmocka_unit_test_setup_teardown(unused_result, setup_nonifs, teardown),
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (strcmp(cases[i].name, name) == 0)
      return _cmocka_run_group_tests(name, &cases[i], 1, NULL, NULL);
  return 2;
}

int main(int argc, char **argv) {
  if (argc > 1)
    return run_failing(argv[1]);
  const struct CMUnitTest tests[] = {
      BOTH_TESTS(sockets_are_made_by_the_mock_and_wrapped_by_the_layer),
      BOTH_TESTS(send_is_forwarded_with_the_expected_socket_and_bytes),
      BOTH_TESTS(a_partial_send_reaches_the_application),
      BOTH_TESTS(scripted_receive_data_and_errors_reach_the_application),
      BOTH_TESTS(option_calls_check_their_code_and_return_scripted_bytes),
      BOTH_TESTS(pending_recv_completes_through_the_event),
      BOTH_TESTS(pending_recv_completes_through_an_apc),
      BOTH_TESTS(pending_recv_completes_through_the_port_with_an_error),
      BOTH_TESTS(closing_a_socket_aborts_its_pending_requests),
      BOTH_TESTS(raised_network_events_reach_the_applications_event),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
