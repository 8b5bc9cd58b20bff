/* test_readme_walkthrough.c: the README's "Testing your provider"
 * walkthrough, compiled and run so that the text stays true: a non-IFS LSP
 * (passthru_lsp.c's) over the CMocka mock of the next layer, a fault, the
 * contract checker and the trace, and the conformance suite over memnet. */
#include <winsock2.h>
#include <ws2spi.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <fws2/checker.h>
#include <fws2/conformance.h>
#include <fws2/faults.h>
#include <fws2/fixture.h>
#include <fws2/memnet.h>
#include <fws2/mock.h>
#include <fws2/trace.h>
#include <wpu/catalog.h>
#include <wpu/modules.h>

#include "passthru_lsp.h"

/* ---- 1. The LSP over the mock next layer ---- */

static int setup_over_mock(void **state) {
  if (fws2_world_setup(state) != 0)
    return -1;
  fws2_checker_enable(); /* contract violations fail the test */
  fws2_trace_start(0, 0);
  fws2_mock_layer lsp = {&pt_nonifs_id, pt_nonifs_path, L"my lsp",
                         pt_nonifs_WSPStartup, FALSE};
  if (fws2_mock_install(&lsp, NULL) != 0) /* mock entries + LSP chains */
    return -1;
  WSADATA d;
  return WSAStartup(MAKEWORD(2, 2), &d);
}

static int teardown(void **state) {
  while (WSACleanup() == 0)
    ;
  return fws2_world_teardown(state);
}

static void send_reaches_the_next_layer_unchanged(void **state) {
  (void)state;
  SOCKET s = socket(AF_INET, SOCK_STREAM, 0); /* LSP -> mock WSPSocket */
  assert_int_not_equal(s, INVALID_SOCKET);
  SOCKET lower = fws2_mock_last_socket(); /* the mock's IFS handle */
  expect_value(fws2_mock_WSPSend, s, lower);
  expect_memory(fws2_mock_WSPSend, data, "hello", 5);
  fws2_mock_will(
      WSPSend, fws2_mock_check(fws2_mock_ok(3), /* a partial send */
                               FWS2_MOCK_CHECK_SOCKET | FWS2_MOCK_CHECK_DATA));
  assert_int_equal(send(s, "hello", 5, 0), 3);
  /* What happened, in order: the application's call, the LSP's, the
   * next layer's. */
  fws2_assert_trace("send", "pt_nonifs_lsp:WSPSend", "fws2_mock:WSPSend");
  closesocket(s);
}

static void
pending_recv_completes_through_the_applications_event(void **state) {
  (void)state;
  SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
  assert_int_not_equal(s, INVALID_SOCKET);
  fws2_mock_will(WSPRecv, fws2_mock_pend());
  char in[8];
  WSABUF buf = {sizeof in, in};
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = WSACreateEvent();
  DWORD n = 0, flags = 0;
  assert_int_equal(WSARecv(s, &buf, 1, &n, &flags, &ov, NULL), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
  fws2_mock_complete(fws2_mock_next_pending(), 0, "data", 4, 0);
  assert_int_equal(WSAWaitForMultipleEvents(1, &ov.hEvent, FALSE, 10000, FALSE),
                   WSA_WAIT_EVENT_0);
  assert_true(WSAGetOverlappedResult(s, &ov, &n, FALSE, &flags));
  assert_int_equal(n, 4);
  assert_memory_equal(in, "data", 4);
  WSACloseEvent(ov.hEvent);
  closesocket(s);
}

/* ---- 2. A fault ---- */

static void socket_fails_cleanly_when_no_handle_can_be_made(void **state) {
  (void)state;
  fws2_fault_inject("WPUCreateSocketHandle", 1, WSAENOBUFS);
  assert_int_equal(socket(AF_INET, SOCK_STREAM, 0), INVALID_SOCKET);
  assert_int_equal(WSAGetLastError(), WSAENOBUFS);
  assert_int_equal(fws2_mock_socket_count(), 0); /* the lower one closed */
}

/* ---- 3. The conformance suite, over a real base provider ---- */

static int setup_over_memnet(void **state) {
  if (fws2_world_setup(state) != 0)
    return -1;
  const wpu_export memnet[] = {
      {"WSPStartup", (FARPROC)(void (*)(void))fws2_memnet_WSPStartup}};
  const wpu_export lsp[] = {
      {"WSPStartup", (FARPROC)(void (*)(void))pt_nonifs_WSPStartup}};
  DWORD base[WPU_CATALOG_STANDARD_COUNT];
  DWORD rc = wpu_module_register(fws2_memnet_path, memnet, 1, NULL);
  if ((rc != 0 && rc != ERROR_BUSY) ||
      wpu_module_register(pt_nonifs_path, lsp, 1, NULL) != 0 ||
      wpu_catalog_install_standard(&fws2_memnet_provider_id, fws2_memnet_path,
                                   base) != 0 ||
      wpu_catalog_install_lsp(&pt_nonifs_id, pt_nonifs_path, L"my lsp", base,
                              WPU_CATALOG_STANDARD_COUNT, FALSE, NULL,
                              NULL) != 0)
    return -1;
  WSADATA d;
  return WSAStartup(MAKEWORD(2, 2), &d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(send_reaches_the_next_layer_unchanged,
                                      setup_over_mock, teardown),
      cmocka_unit_test_setup_teardown(
          pending_recv_completes_through_the_applications_event,
          setup_over_mock, teardown),
      cmocka_unit_test_setup_teardown(
          socket_fails_cleanly_when_no_handle_can_be_made, setup_over_mock,
          teardown),
      FWS2_CONFORMANCE_TESTS(setup_over_memnet, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
