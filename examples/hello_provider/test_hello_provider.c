/* test_hello_provider.c: the hello provider against the emulated ws2_32. */
#include <winsock2.h>
#include <ws2spi.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <fws2/fixture.h>
#include <wpu/wpu.h>

#include "provider.h"

static WSPPROC_TABLE procs;
static WSAPROTOCOL_INFOW info;

static int start(void **state) {
  if (fws2_world_setup(state) != 0)
    return -1;
  memset(&info, 0, sizeof info);
  info.dwCatalogEntryId = 1001;
  info.iAddressFamily = AF_INET;
  info.iSocketType = SOCK_STREAM;
  WSPDATA data;
  return HelloWSPStartup(MAKEWORD(2, 2), &data, &info, wpu_upcall_table(),
                         &procs) == 0
             ? 0
             : -1;
}

static int stop(void **state) {
  int err;
  procs.lpWSPCleanup(&err);
  return fws2_world_teardown(state);
}

static void startup_fills_all_thirty_entries(void **state) {
  (void)state;
  void *entries[30];
  memcpy(entries, &procs, sizeof entries);
  for (int i = 0; i < 30; i++)
    assert_non_null(entries[i]);
}

static void startup_rejects_winsock_1(void **state) {
  (void)state;
  WSPDATA data;
  WSPPROC_TABLE t;
  assert_int_equal(
      HelloWSPStartup(MAKEWORD(1, 1), &data, &info, wpu_upcall_table(), &t),
      WSAVERNOTSUPPORTED);
}

static void sockets_are_handles_of_the_providers_catalog_entry(void **state) {
  (void)state;
  int err;
  SOCKET s = procs.lpWSPSocket(AF_INET, SOCK_STREAM, 0, &info, 0, 0, &err);
  assert_int_not_equal(s, INVALID_SOCKET);
  DWORD cat = 0;
  assert_int_equal(wpu_socket_query(s, &cat), WPU_SOCKET_CREATED);
  assert_int_equal(cat, 1001);
  assert_int_equal(procs.lpWSPCloseSocket(s, &err), 0);
}

static void getsockopt_finds_the_record_through_the_handle(void **state) {
  (void)state;
  int err, type = 0, len = sizeof type;
  SOCKET s = procs.lpWSPSocket(AF_INET, SOCK_DGRAM, 0, &info, 0, 0, &err);
  assert_int_equal(
      procs.lpWSPGetSockOpt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len, &err),
      0);
  assert_int_equal(type, SOCK_DGRAM);
  assert_int_equal(procs.lpWSPCloseSocket(s, &err), 0);
}

static void calls_on_a_closed_socket_return_wsaenotsock(void **state) {
  (void)state;
  int err, type = 0, len = sizeof type;
  SOCKET s = procs.lpWSPSocket(AF_INET, SOCK_STREAM, 0, &info, 0, 0, &err);
  assert_int_equal(procs.lpWSPCloseSocket(s, &err), 0);
  assert_int_equal(
      procs.lpWSPGetSockOpt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len, &err),
      SOCKET_ERROR);
  assert_int_equal(err, WSAENOTSOCK);
  assert_int_equal(procs.lpWSPCloseSocket(s, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAENOTSOCK);
}

static void socket_returns_wsaenobufs_when_no_handle_can_be_made(void **state) {
  fws2_world_teardown(state);
  wpu_world_options o = {.max_handles = 1};
  assert_int_equal(fws2_world_setup_with(state, &o), 0);
  int err;
  SOCKET a = procs.lpWSPSocket(AF_INET, SOCK_STREAM, 0, &info, 0, 0, &err);
  assert_int_not_equal(a, INVALID_SOCKET);
  assert_int_equal(
      procs.lpWSPSocket(AF_INET, SOCK_STREAM, 0, &info, 0, 0, &err),
      INVALID_SOCKET);
  assert_int_equal(err, WSAENOBUFS);
  assert_int_equal(procs.lpWSPCloseSocket(a, &err), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(startup_fills_all_thirty_entries, start,
                                      stop),
      cmocka_unit_test_setup_teardown(startup_rejects_winsock_1, start, stop),
      cmocka_unit_test_setup_teardown(
          sockets_are_handles_of_the_providers_catalog_entry, start, stop),
      cmocka_unit_test_setup_teardown(
          getsockopt_finds_the_record_through_the_handle, start, stop),
      cmocka_unit_test_setup_teardown(
          calls_on_a_closed_socket_return_wsaenotsock, start, stop),
      cmocka_unit_test_setup_teardown(
          socket_returns_wsaenobufs_when_no_handle_can_be_made, start, stop),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
