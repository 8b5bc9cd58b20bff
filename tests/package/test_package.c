/* test_package.c: a provider test built against an installed libwpu
 * (find_package) or a libwpu source tree (add_subdirectory): the world
 * fixture, the ws2_32 front over memnet, and the tiny provider driven
 * through the upcall table. */
#include <winsock2.h>
#include <ws2spi.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include <fws2/fixture.h>
#include <wpu/wpu.h>

#include "provider.h"

static void front_makes_a_socket(void **state) {
  (void)state;
  WSADATA d;
  assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_not_equal(s, INVALID_SOCKET);
  assert_int_equal(closesocket(s), 0);
  assert_int_equal(WSACleanup(), 0);
}

static void provider_makes_socket_handles(void **state) {
  (void)state;
  WSAPROTOCOL_INFOW info;
  memset(&info, 0, sizeof info);
  info.dwCatalogEntryId = 4242;
  WSPDATA data;
  WSPPROC_TABLE procs;
  assert_int_equal(
      TinyWSPStartup(MAKEWORD(2, 2), &data, &info, wpu_upcall_table(), &procs),
      0);
  /* Provider code sees Windows' 2-byte WCHAR and L"..." strings. */
  assert_int_equal(sizeof(WCHAR), 2);
  assert_int_equal(wcslen(data.szDescription), 4);
  int err = 0;
  SOCKET s = procs.lpWSPSocket(AF_INET, SOCK_STREAM, 0, &info, 0, 0, &err);
  assert_int_not_equal(s, INVALID_SOCKET);
  DWORD cat = 0;
  assert_int_equal(wpu_socket_query(s, &cat), WPU_SOCKET_CREATED);
  assert_int_equal(cat, 4242);
  assert_int_equal(procs.lpWSPCloseSocket(s, &err), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(front_makes_a_socket, fws2_world_setup,
                                      fws2_world_teardown),
      cmocka_unit_test_setup_teardown(provider_makes_socket_handles,
                                      fws2_world_setup, fws2_world_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
