/* counting_test.c: the fixtures and helpers counting_lsp's test files
 * share (counting_test.h). */
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

const WCHAR lsp_path[] = L"%SystemRoot%\\system32\\counting_lsp.dll";

DWORD base_ids[WPU_CATALOG_STANDARD_COUNT];
DWORD lsp_dummy, lsp_chains[WPU_CATALOG_STANDARD_COUNT];

/* memnet's base entries (the first four of the catalog) and the module of
 * the LSP, registered under its DLL path. */
void install_base(void) {
  assert_int_equal(fws2_install_default_base(), 0);
  for (int i = 0; i < WPU_CATALOG_STANDARD_COUNT; i++) {
    WSAPROTOCOL_INFOW e;
    assert_int_equal(wpu_catalog_at((size_t)i, &e), 0);
    assert_int_equal(e.ProtocolChain.ChainLen, BASE_PROTOCOL);
    base_ids[i] = e.dwCatalogEntryId;
  }
  const wpu_export ex[] = {
      {"WSPStartup", (FARPROC)(void (*)(void))CountingWSPStartup}};
  DWORD rc = wpu_module_register(lsp_path, ex, 1, CountingDllMain);
  assert_true(rc == 0 || rc == ERROR_BUSY);
}

void install_counting_over(const DWORD *lower) {
  assert_int_equal(wpu_catalog_install_lsp(&COUNTING_LSP_GUID, lsp_path,
                                           L"counting_lsp", lower,
                                           WPU_CATALOG_STANDARD_COUNT, FALSE,
                                           &lsp_dummy, lsp_chains),
                   0);
}

int startup(void) {
  WSADATA d;
  return WSAStartup(MAKEWORD(2, 2), &d);
}

int setup(void **state) {
  if (fws2_world_setup(state) != 0)
    return -1;
  install_base();
  install_counting_over(base_ids);
  return startup() == 0 ? 0 : -1;
}

int setup_base_only(void **state) {
  if (fws2_world_setup(state) != 0)
    return -1;
  install_base();
  return 0;
}

int teardown(void **state) {
  while (WSACleanup() == 0)
    ;
  return fws2_world_teardown(state);
}

/* ---- Helpers ---- */

struct sockaddr_in loopback(u_short port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

SOCKET listener(struct sockaddr_in *a) {
  SOCKET l = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                        WSA_FLAG_OVERLAPPED);
  assert_int_not_equal(l, INVALID_SOCKET);
  *a = loopback(0);
  assert_int_equal(bind(l, (struct sockaddr *)a, sizeof *a), 0);
  int len = sizeof *a;
  assert_int_equal(getsockname(l, (struct sockaddr *)a, &len), 0);
  assert_int_equal(listen(l, 8), 0);
  return l;
}

/* A connected TCP pair through the front: c (client) and s (accepted). */
void connected_pair(SOCKET *c, SOCKET *s) {
  struct sockaddr_in a;
  SOCKET l = listener(&a);
  *c = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                  WSA_FLAG_OVERLAPPED);
  assert_int_not_equal(*c, INVALID_SOCKET);
  assert_int_equal(connect(*c, (struct sockaddr *)&a, sizeof a), 0);
  *s = accept(l, NULL, NULL);
  assert_int_not_equal(*s, INVALID_SOCKET);
  assert_int_equal(closesocket(l), 0);
}

counting_lsp_stats stats_of(SOCKET s) {
  counting_lsp_stats st;
  memset(&st, 0xcc, sizeof st);
  DWORD returned = 0;
  assert_int_equal(WSAIoctl(s, SIO_COUNTING_LSP_GET_STATS, NULL, 0, &st,
                            sizeof st, &returned, NULL, NULL),
                   0);
  assert_int_equal(returned, sizeof st);
  return st;
}

void recv_exactly(SOCKET s, char *buf, int n) {
  int got = 0;
  while (got < n) {
    int r = recv(s, buf + got, n - got, 0);
    assert_true(r > 0);
    got += r;
  }
}

void *extension(SOCKET s, GUID id) {
  void *fn = NULL;
  DWORD returned = 0;
  if (WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &id, sizeof id, &fn,
               sizeof fn, &returned, NULL, NULL) != 0)
    return NULL;
  return fn;
}
