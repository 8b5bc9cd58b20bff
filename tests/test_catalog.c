/* test_catalog.c: the world's Winsock catalog: WSCInstallProvider,
 * WSCInstallProviderAndChains (and its 64_32 form), WSCDeinstallProvider,
 * WSCUpdateProvider, WSCWriteProviderOrder, WSCEnumProtocols,
 * WSAEnumProtocolsW/A, WSCGetProviderPath, WPUGetProviderPath and
 * wpu/catalog.h. Every test has a world of its own, so a fresh catalog. */
#include <winsock2.h>
#include <ws2spi.h>

#include <sporder.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fws2/fixture.h>
#include <wpu/catalog.h>
#include <wpu/wpu.h>

/* 64-bit Windows has only the 64_32 form (mingw-w64 declares only it);
 * passing the path twice is what installers do. */
#if defined(_WIN32) && defined(_WIN64)
#define INSTALL_CHAINS(g, p, nm, f, l, n, d, e)                                \
  WSCInstallProviderAndChains64_32(g, p, p, nm, f, (void *)(l), n, d, e)
#else
#define INSTALL_CHAINS(g, p, nm, f, l, n, d, e)                                \
  WSCInstallProviderAndChains(g, p, nm, f, l, n, d, e)
#endif

#define BASE_PATH "%SystemRoot%\\system32\\mswsock.dll"
#define LSP1_PATH "%windir%\\system32\\lsp1.dll"
#define LSP2_PATH "%windir%\\system32\\lsp2.dll"
#define INFO_SIZE ((DWORD)sizeof(WSAPROTOCOL_INFOW))

static GUID base_id = {0x0ba5e000, 0x1111, 0x2222, {1, 2, 3, 4, 5, 6, 7, 8}};
static GUID other_id = {0x07e40000, 0x1111, 0x2222, {1, 2, 3, 4, 5, 6, 7, 8}};
static GUID lsp1_id = {0x15b10000, 0x3333, 0x4444, {1, 2, 3, 4, 5, 6, 7, 8}};
static GUID lsp2_id = {0x15b20000, 0x3333, 0x4444, {1, 2, 3, 4, 5, 6, 7, 8}};
static GUID unknown_id = {0xdeadbeef, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0}};

static DWORD std_ids[WPU_CATALOG_STANDARD_COUNT];

/* ---- Helpers ---- */

/* Copies ASCII text into a WCHAR buffer (no L"..." outside provider
 * code: wchar_t is 4 bytes here on Linux). */
static WCHAR *wset(WCHAR *dst, const char *src) {
  size_t i = 0;
  for (; src[i] != 0; i++)
    dst[i] = (WCHAR)(unsigned char)src[i];
  dst[i] = 0;
  return dst;
}

/* The text of a wide string, non-ASCII shown as '?'. */
static const char *narrow(const WCHAR *w) {
  static char bufs[4][600];
  static int next;
  char *b = bufs[next++ & 3];
  size_t i = 0;
  for (; w[i] != 0 && i < sizeof bufs[0] - 1; i++)
    b[i] = w[i] < 0x80 ? (char)w[i] : '?';
  b[i] = 0;
  return b;
}

static int same_guid(const GUID *a, const GUID *b) {
  return memcmp(a, b, sizeof *a) == 0;
}

static void install_base(void) {
  WCHAR path[MAX_PATH];
  assert_int_equal(
      wpu_catalog_install_standard(&base_id, wset(path, BASE_PATH), std_ids),
      0);
}

/* One base entry of provider g at the end of the catalog; returns its id. */
static DWORD install_one(GUID *g, int af, int type, int protocol,
                         const char *name, DWORD provider_flags) {
  WSAPROTOCOL_INFOW info;
  memset(&info, 0, sizeof info);
  info.ProtocolChain.ChainLen = BASE_PROTOCOL;
  info.iAddressFamily = af;
  info.iSocketType = type;
  info.iProtocol = protocol;
  info.dwProviderFlags = provider_flags;
  wset(info.szProtocol, name);
  WCHAR path[MAX_PATH];
  int err = 0;
  assert_int_equal(WSCInstallProvider(g, wset(path, BASE_PATH), &info, 1, &err),
                   0);
  WSAPROTOCOL_INFOW last;
  assert_int_equal(wpu_catalog_at(wpu_catalog_count() - 1, &last), 0);
  return last.dwCatalogEntryId;
}

/* An LSP over the top-most entries of the given (af, type, protocol). */
static DWORD install_lsp_over(GUID *g, const char *path, const char *name,
                              DWORD flags, const DWORD *lower, size_t n) {
  WSAPROTOCOL_INFOW list[8];
  for (size_t i = 0; i < n; i++)
    assert_int_equal(wpu_catalog_get(lower[i], &list[i], NULL, 0), 0);
  WCHAR p[MAX_PATH], nm[WSAPROTOCOL_LEN + 1];
  DWORD dummy = 0;
  int err = 0;
  assert_int_equal(INSTALL_CHAINS(g, wset(p, path), wset(nm, name), flags, list,
                                  (DWORD)n, &dummy, &err),
                   0);
  return dummy;
}

/* The whole catalog through WSCEnumProtocols (malloc'd; free it). */
static int wsc_all(WSAPROTOCOL_INFOW **out) {
  DWORD len = 0;
  int err = 0;
  *out = NULL;
  int n = WSCEnumProtocols(NULL, NULL, &len, &err);
  if (n != SOCKET_ERROR)
    return n;
  assert_int_equal(err, WSAENOBUFS);
  *out = malloc(len);
  n = WSCEnumProtocols(NULL, *out, &len, &err);
  assert_int_not_equal(n, SOCKET_ERROR);
  return n;
}

static void assert_order(const DWORD *ids, size_t n) {
  WSAPROTOCOL_INFOW *all;
  assert_int_equal(wsc_all(&all), (int)n);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(all[i].dwCatalogEntryId, ids[i]);
  free(all);
}

static WSAPROTOCOL_INFOW entry(DWORD id) {
  WSAPROTOCOL_INFOW info;
  assert_int_equal(wpu_catalog_get(id, &info, NULL, 0), 0);
  return info;
}

/* ---- An allocator that fails, or calls back, on request ---- */

static int fail_next_alloc;
static void (*during_next_alloc)(void);

static void *catalog_malloc(size_t size, void *user) {
  (void)user;
  if (during_next_alloc != NULL) {
    void (*f)(void) = during_next_alloc;
    during_next_alloc = NULL;
    f();
  }
  if (fail_next_alloc) {
    fail_next_alloc = 0;
    return NULL;
  }
  return malloc(size);
}

static void catalog_free(void *p, void *user) {
  (void)user;
  free(p);
}

static const wpu_allocator test_allocator = {catalog_malloc, catalog_free,
                                             NULL};

static int alloc_setup(void **state) {
  fail_next_alloc = 0;
  during_next_alloc = NULL;
  wpu_world_options o = {.allocator = &test_allocator};
  return fws2_world_setup_with(state, &o);
}

/* ---- WSCEnumProtocols ---- */

static void wsc_enum_protocols_with_null_buffer_fails_with_enobufs_and_the_size(
    void **state) {
  (void)state;
  install_base();
  DWORD len = 12345;
  int err = 0;
  assert_int_equal(WSCEnumProtocols(NULL, NULL, &len, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAENOBUFS);
  assert_int_equal(len, 4 * INFO_SIZE);
}

static void
wsc_enum_protocols_with_a_short_buffer_fails_with_enobufs_and_the_size(
    void **state) {
  (void)state;
  install_base();
  WSAPROTOCOL_INFOW buf[4];
  DWORD len = 3 * INFO_SIZE;
  int err = 0;
  assert_int_equal(WSCEnumProtocols(NULL, buf, &len, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAENOBUFS);
  assert_int_equal(len, 4 * INFO_SIZE);
  assert_int_equal(WSCEnumProtocols(NULL, buf, &len, &err), 4);
  for (int i = 0; i < 4; i++)
    assert_int_equal(buf[i].dwCatalogEntryId, std_ids[i]);
}

static void
wsc_enum_protocols_lists_hidden_and_layered_entries_in_catalog_order(
    void **state) {
  (void)state;
  install_base();
  DWORD tcp = std_ids[WPU_CATALOG_TCP_IPV4];
  DWORD dummy = install_lsp_over(&lsp1_id, LSP1_PATH, "LSP1", 0, &tcp, 1);
  WSAPROTOCOL_INFOW *all;
  assert_int_equal(wsc_all(&all), 6);
  DWORD order[] = {1006, 1001, 1002, 1003, 1004, 1005};
  for (int i = 0; i < 6; i++)
    assert_int_equal(all[i].dwCatalogEntryId, order[i]);
  assert_int_equal(dummy, 1005);
  assert_int_equal(all[5].ProtocolChain.ChainLen, LAYERED_PROTOCOL);
  assert_true(all[5].dwProviderFlags & PFL_HIDDEN);
  assert_int_equal(all[0].ProtocolChain.ChainLen, 2);
  free(all);
}

static void wsc_enum_protocols_filters_by_protocol_number(void **state) {
  (void)state;
  install_base();
  WSAPROTOCOL_INFOW buf[8];
  DWORD len = sizeof buf;
  int err = 0;
  INT udp[] = {IPPROTO_UDP, 0};
  assert_int_equal(WSCEnumProtocols(udp, buf, &len, &err), 2);
  assert_int_equal(buf[0].dwCatalogEntryId, std_ids[WPU_CATALOG_UDP_IPV4]);
  assert_int_equal(buf[1].dwCatalogEntryId, std_ids[WPU_CATALOG_UDP_IPV6]);
  INT both[] = {IPPROTO_UDP, IPPROTO_TCP, 0};
  assert_int_equal(WSCEnumProtocols(both, buf, &len, &err), 4);
  assert_int_equal(buf[0].dwCatalogEntryId, std_ids[0]); /* catalog order */
  INT none[] = {99, 0};
  len = 0;
  assert_int_equal(WSCEnumProtocols(none, NULL, &len, &err), 0);
}

static void
wsc_enum_protocols_with_an_empty_filter_fails_with_einval(void **state) {
  (void)state;
  install_base();
  WSAPROTOCOL_INFOW buf[8];
  DWORD len = sizeof buf;
  int err = 0;
  INT empty[] = {0};
  assert_int_equal(WSCEnumProtocols(empty, buf, &len, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
}

static void
wsc_enum_protocols_without_a_length_fails_with_efault(void **state) {
  (void)state;
  install_base();
  WSAPROTOCOL_INFOW buf[8];
  int err = 0;
  assert_int_equal(WSCEnumProtocols(NULL, buf, NULL, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
  DWORD len = sizeof buf;
  WSASetLastError(0);
  assert_int_equal(WSCEnumProtocols(NULL, buf, &len, NULL), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEFAULT);
}

/* ---- WSAEnumProtocolsW/A ---- */

static void wsa_enum_protocols_hides_layered_and_hidden_entries(void **state) {
  (void)state;
  install_base();
  DWORD tcp = std_ids[WPU_CATALOG_TCP_IPV4];
  DWORD dummy = install_lsp_over(&lsp1_id, LSP1_PATH, "LSP1", 0, &tcp, 1);
  DWORD hidden =
      install_one(&other_id, AF_INET, SOCK_RAW, 255, "hidden", PFL_HIDDEN);
  WSAPROTOCOL_INFOW buf[16];
  DWORD len = sizeof buf;
  int n = WSAEnumProtocolsW(NULL, buf, &len);
  assert_int_equal(n, 5);
  DWORD order[] = {1006, 1001, 1002, 1003, 1004};
  for (int i = 0; i < n; i++) {
    assert_int_equal(buf[i].dwCatalogEntryId, order[i]);
    assert_int_not_equal(buf[i].dwCatalogEntryId, dummy);
    assert_int_not_equal(buf[i].dwCatalogEntryId, hidden);
  }
  int err = 0;
  assert_int_equal(WSCEnumProtocols(NULL, buf, &len, &err), 7);
}

static void
wsa_enum_protocols_a_returns_the_same_entries_in_ansi(void **state) {
  (void)state;
  install_base();
  WSAPROTOCOL_INFOW info;
  memset(&info, 0, sizeof info);
  info.ProtocolChain.ChainLen = BASE_PROTOCOL;
  info.iAddressFamily = AF_INET;
  info.iSocketType = SOCK_STREAM;
  info.iProtocol = 77;
  wset(info.szProtocol, "caf_ [x]");
  info.szProtocol[3] = 0xE9; /* e acute */
  WCHAR path[MAX_PATH];
  int err = 0;
  assert_int_equal(
      WSCInstallProvider(&other_id, wset(path, BASE_PATH), &info, 1, &err), 0);
  WSAPROTOCOL_INFOA a[8];
  WSAPROTOCOL_INFOW w[8];
  DWORD alen = sizeof a, wlen = sizeof w;
  assert_int_equal(WSAEnumProtocolsA(NULL, a, &alen), 5);
  assert_int_equal(WSAEnumProtocolsW(NULL, w, &wlen), 5);
  for (int i = 0; i < 5; i++) {
    assert_memory_equal(&a[i], &w[i], offsetof(WSAPROTOCOL_INFOA, szProtocol));
    if (i < 4)
      assert_string_equal(a[i].szProtocol, narrow(w[i].szProtocol));
  }
  assert_string_equal(a[0].szProtocol, "libwpu Tcpip [TCP/IP]");
  /* Converted through the ANSI code page, as Windows does (1252: e acute
   * is the byte 0xE9). */
  char expected[WSAPROTOCOL_LEN + 1];
  assert_int_not_equal(WideCharToMultiByte(CP_ACP, 0, info.szProtocol, -1,
                                           expected, sizeof expected, NULL,
                                           NULL),
                       0);
  assert_string_equal(a[4].szProtocol, expected);
}

static void
wsa_enum_protocols_with_a_short_buffer_fails_with_enobufs_and_the_size(
    void **state) {
  (void)state;
  install_base();
  DWORD len = 0;
  WSASetLastError(0);
  assert_int_equal(WSAEnumProtocolsW(NULL, NULL, &len), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAENOBUFS);
  assert_int_equal(len, 4 * INFO_SIZE);
  WSAPROTOCOL_INFOA a[4];
  len = 2 * sizeof(WSAPROTOCOL_INFOA);
  WSASetLastError(0);
  assert_int_equal(WSAEnumProtocolsA(NULL, a, &len), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAENOBUFS);
  assert_int_equal(len, 4 * sizeof(WSAPROTOCOL_INFOA));
  assert_int_equal(WSAEnumProtocolsA(NULL, a, &len), 4);
}

static void wsa_enum_protocols_with_bad_arguments_fails_with_efault_or_einval(
    void **state) {
  (void)state;
  install_base();
  WSAPROTOCOL_INFOW w[8];
  WSAPROTOCOL_INFOA a[8];
  WSASetLastError(0);
  assert_int_equal(WSAEnumProtocolsW(NULL, w, NULL), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEFAULT);
  WSASetLastError(0);
  assert_int_equal(WSAEnumProtocolsA(NULL, a, NULL), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEFAULT);
  INT empty[] = {0};
  DWORD len = sizeof w;
  WSASetLastError(0);
  assert_int_equal(WSAEnumProtocolsW(empty, w, &len), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEINVAL);
  INT tcp[] = {IPPROTO_TCP, 0};
  assert_int_equal(WSAEnumProtocolsW(tcp, w, &len), 2);
}

static int in_hook_rc, in_hook_error;

/* Hooks have FARPROC's type: INT_PTR WINAPI (), no prototype. */
static INT_PTR WINAPI enumerating_hook() {
  DWORD len = 0;
  WSASetLastError(0);
  in_hook_rc = WSAEnumProtocolsW(NULL, NULL, &len);
  in_hook_error = WSAGetLastError();
  return FALSE;
}

static void
wsa_enum_protocols_inside_a_blocking_hook_fails_with_einprogress(void **state) {
  (void)state;
  install_base();
  assert_null(WSASetBlockingHook(enumerating_hook));
  WSPUPCALLTABLE up = wpu_upcall_table();
  LPBLOCKINGCALLBACK cb = NULL;
  DWORD_PTR ctx = 0;
  int err = 0;
  assert_int_equal(up.lpWPUQueryBlockingCallback(std_ids[0], &cb, &ctx, &err),
                   0);
  assert_non_null(cb);
  in_hook_rc = 0;
  assert_true(cb(ctx)); /* a provider's blocking call runs the hook */
  assert_int_equal(in_hook_rc, SOCKET_ERROR);
  assert_int_equal(in_hook_error, WSAEINPROGRESS);
  assert_int_equal(WSAUnhookBlockingHook(), 0);
}

static void
wsa_enum_protocols_without_a_world_fails_with_notinitialised(void **state) {
  (void)state;
  assert_null(wpu_world_current());
  DWORD len = 0;
  WSASetLastError(0);
  assert_int_equal(WSAEnumProtocolsW(NULL, NULL, &len), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
  WSASetLastError(0);
  assert_int_equal(WSAEnumProtocolsA(NULL, NULL, &len), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
  /* The SPI side sees an empty catalog and makes no world. */
  int err = 0;
  assert_int_equal(WSCEnumProtocols(NULL, NULL, &len, &err), 0);
  assert_null(wpu_world_current());
}

/* ---- WSCInstallProvider and the standard entries ---- */

static void catalog_ids_start_at_1001_and_are_never_reused(void **state) {
  (void)state;
  install_base();
  for (int i = 0; i < WPU_CATALOG_STANDARD_COUNT; i++)
    assert_int_equal(std_ids[i], 1001 + i);
  int err = 0;
  assert_int_equal(WSCDeinstallProvider(&base_id, &err), 0);
  assert_int_equal(wpu_catalog_count(), 0);
  install_base();
  assert_int_equal(std_ids[0], 1005);
  assert_int_equal(std_ids[3], 1008);
  DWORD tcp = std_ids[0];
  assert_int_equal(install_lsp_over(&lsp1_id, LSP1_PATH, "LSP1", 0, &tcp, 1),
                   1009);
}

static void
install_provider_fills_in_ids_provider_and_base_chains(void **state) {
  (void)state;
  install_base();
  WSAPROTOCOL_INFOW list[2];
  memset(list, 0, sizeof list);
  list[0].ProtocolChain.ChainLen = BASE_PROTOCOL;
  list[0].ProtocolChain.ChainEntries[0] = 4242;
  list[0].dwCatalogEntryId = 4242;
  list[0].ProviderId = unknown_id;
  list[0].iAddressFamily = AF_INET;
  list[0].iSocketType = SOCK_DGRAM;
  list[0].iProtocol = 200;
  wset(list[0].szProtocol, "base");
  list[1].ProtocolChain.ChainLen = LAYERED_PROTOCOL;
  wset(list[1].szProtocol, "layer");
  WCHAR path[MAX_PATH];
  int err = 0;
  assert_int_equal(
      WSCInstallProvider(&other_id, wset(path, BASE_PATH), list, 2, &err), 0);
  DWORD order[] = {1001, 1002, 1003, 1004, 1005, 1006};
  assert_order(order, 6);
  WSAPROTOCOL_INFOW b = entry(1005), l = entry(1006);
  assert_int_equal(b.ProtocolChain.ChainEntries[0], 1005);
  assert_true(same_guid(&b.ProviderId, &other_id));
  assert_true(same_guid(&l.ProviderId, &other_id));
  assert_int_equal(l.ProtocolChain.ChainLen, 0);
  assert_string_equal(narrow(b.szProtocol), "base");
  assert_int_equal(b.iProtocol, 200);
}

static void
install_provider_of_an_installed_guid_fails_with_no_recovery(void **state) {
  (void)state;
  install_base();
  WCHAR path[MAX_PATH];
  assert_int_equal(
      wpu_catalog_install_standard(&base_id, wset(path, BASE_PATH), NULL),
      WSANO_RECOVERY);
  assert_int_equal(wpu_catalog_count(), 4);
}

static void
install_provider_with_bad_arguments_fails_with_einval(void **state) {
  (void)state;
  install_base();
  WSAPROTOCOL_INFOW info = entry(std_ids[0]);
  WCHAR path[MAX_PATH + 1], empty[1] = {0};
  wset(path, BASE_PATH);
  int err = 0;
  assert_int_equal(WSCInstallProvider(NULL, path, &info, 1, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  err = 0;
  assert_int_equal(WSCInstallProvider(&other_id, NULL, &info, 1, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  err = 0;
  assert_int_equal(WSCInstallProvider(&other_id, empty, &info, 1, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  err = 0;
  assert_int_equal(WSCInstallProvider(&other_id, path, &info, 0, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  WCHAR long_path[MAX_PATH + 1];
  for (int i = 0; i < MAX_PATH; i++)
    long_path[i] = 'a';
  long_path[MAX_PATH] = 0; /* MAX_PATH characters: no room for the NUL */
  err = 0;
  assert_int_equal(WSCInstallProvider(&other_id, long_path, &info, 1, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  WSAPROTOCOL_INFOW bad = info;
  bad.ProtocolChain.ChainLen = MAX_PROTOCOL_CHAIN + 1;
  err = 0;
  assert_int_equal(WSCInstallProvider(&other_id, path, &bad, 1, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  bad = info;
  for (int i = 0; i <= WSAPROTOCOL_LEN; i++)
    bad.szProtocol[i] = 'x'; /* not terminated */
  err = 0;
  assert_int_equal(WSCInstallProvider(&other_id, path, &bad, 1, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  assert_int_equal(wpu_catalog_count(), 4);
  long_path[MAX_PATH - 1] = 0; /* MAX_PATH - 1 characters fit */
  assert_int_equal(WSCInstallProvider(&other_id, long_path, &info, 1, &err), 0);
}

static void install_provider_with_a_null_list_fails_with_efault(void **state) {
  (void)state;
  install_base();
  WCHAR path[MAX_PATH];
  wset(path, BASE_PATH);
  int err = 0;
  assert_int_equal(WSCInstallProvider(&other_id, path, NULL, 1, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
  WSAPROTOCOL_INFOW info = entry(std_ids[0]);
  WSASetLastError(0);
  assert_int_equal(WSCInstallProvider(&other_id, path, &info, 1, NULL),
                   SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEFAULT);
  assert_int_equal(wpu_catalog_count(), 4);
}

static void
install_provider_past_the_catalog_limit_fails_with_enobufs(void **state) {
  (void)state;
  install_base();
  size_t room = WPU_CATALOG_MAX_ENTRIES - 4;
  WSAPROTOCOL_INFOW *list = calloc(room + 1, sizeof *list);
  for (size_t i = 0; i <= room; i++) {
    list[i].ProtocolChain.ChainLen = BASE_PROTOCOL;
    list[i].iAddressFamily = AF_INET;
    list[i].iSocketType = SOCK_RAW;
    list[i].iProtocol = 255;
  }
  WCHAR path[MAX_PATH];
  wset(path, BASE_PATH);
  int err = 0;
  assert_int_equal(
      WSCInstallProvider(&other_id, path, list, (DWORD)room + 1, &err),
      SOCKET_ERROR);
  assert_int_equal(err, WSAENOBUFS);
  assert_int_equal(wpu_catalog_count(), 4);
  assert_int_equal(WSCInstallProvider(&other_id, path, list, (DWORD)room, &err),
                   0);
  assert_int_equal(wpu_catalog_count(), WPU_CATALOG_MAX_ENTRIES);
  free(list);
  /* A full catalog takes no LSP either. */
  WCHAR p[MAX_PATH], nm[8];
  err = 0;
  assert_int_equal(INSTALL_CHAINS(&lsp1_id, wset(p, LSP1_PATH),
                                  wset(nm, "LSP1"), 0, NULL, 0, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAENOBUFS);
}

static void
install_provider_without_memory_fails_with_not_enough_memory(void **state) {
  (void)state;
  WCHAR path[MAX_PATH];
  wset(path, BASE_PATH);
  fail_next_alloc = 1; /* the catalog itself cannot be made */
  assert_int_equal(wpu_catalog_install_standard(&base_id, path, NULL),
                   WSA_NOT_ENOUGH_MEMORY);
  install_base();
  WSAPROTOCOL_INFOW info = entry(std_ids[0]);
  int err = 0;
  fail_next_alloc = 1; /* the new entries cannot be stored */
  assert_int_equal(WSCInstallProvider(&other_id, path, &info, 1, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSA_NOT_ENOUGH_MEMORY);
  assert_int_equal(wpu_catalog_count(), 4);
}

static void install_standard_describes_tcp_and_udp_like_msafd(void **state) {
  (void)state;
  install_base();
  static const struct {
    int af, type, protocol, addr;
    DWORD flags, message;
    const char *name;
  } want[] = {
      {AF_INET, SOCK_STREAM, IPPROTO_TCP, 16, 0x20066, 0,
       "libwpu Tcpip [TCP/IP]"},
      {AF_INET, SOCK_DGRAM, IPPROTO_UDP, 16, 0x20609, 65507,
       "libwpu Tcpip [UDP/IP]"},
      {AF_INET6, SOCK_STREAM, IPPROTO_TCP, 28, 0x20066, 0,
       "libwpu Tcpip [TCP/IPv6]"},
      {AF_INET6, SOCK_DGRAM, IPPROTO_UDP, 28, 0x20609, 65527,
       "libwpu Tcpip [UDP/IPv6]"},
  };
  for (int i = 0; i < WPU_CATALOG_STANDARD_COUNT; i++) {
    WSAPROTOCOL_INFOW e = entry(std_ids[i]);
    assert_int_equal(e.iAddressFamily, want[i].af);
    assert_int_equal(e.iSocketType, want[i].type);
    assert_int_equal(e.iProtocol, want[i].protocol);
    assert_int_equal(e.iMaxSockAddr, want[i].addr);
    assert_int_equal(e.iMinSockAddr, want[i].addr);
    assert_int_equal(e.dwServiceFlags1, want[i].flags);
    assert_true(e.dwServiceFlags1 & XP1_IFS_HANDLES);
    assert_int_equal(e.dwMessageSize, want[i].message);
    assert_int_equal(e.dwProviderFlags, PFL_MATCHES_PROTOCOL_ZERO);
    assert_int_equal(e.iVersion, 2);
    assert_int_equal(e.iNetworkByteOrder, BIGENDIAN);
    assert_int_equal(e.ProtocolChain.ChainLen, BASE_PROTOCOL);
    assert_int_equal(e.ProtocolChain.ChainEntries[0], std_ids[i]);
    assert_true(same_guid(&e.ProviderId, &base_id));
    assert_string_equal(narrow(e.szProtocol), want[i].name);
  }
}

/* ---- WSCInstallProviderAndChains ---- */

static void
install_provider_and_chains_adds_a_hidden_dummy_and_a_chain_per_entry(
    void **state) {
  (void)state;
  install_base();
  DWORD lower[] = {std_ids[WPU_CATALOG_TCP_IPV4],
                   std_ids[WPU_CATALOG_UDP_IPV4]};
  DWORD d = install_lsp_over(&lsp1_id, LSP1_PATH, "LSP1", 0, lower, 2);
  assert_int_equal(d, 1005);
  WSAPROTOCOL_INFOW dummy = entry(d);
  assert_int_equal(dummy.ProtocolChain.ChainLen, LAYERED_PROTOCOL);
  assert_true(dummy.dwProviderFlags & PFL_HIDDEN);
  assert_true(same_guid(&dummy.ProviderId, &lsp1_id));
  assert_string_equal(narrow(dummy.szProtocol), "LSP1");
  assert_int_equal(dummy.iSocketType, 0);
  assert_int_equal(dummy.iProtocol, 0);
  assert_false(dummy.dwServiceFlags1 & XP1_IFS_HANDLES);
  for (int i = 0; i < 2; i++) {
    WSAPROTOCOL_INFOW c = entry(1006 + i), base = entry(lower[i]);
    assert_int_equal(c.ProtocolChain.ChainLen, 2);
    assert_int_equal(c.ProtocolChain.ChainEntries[0], d);
    assert_int_equal(c.ProtocolChain.ChainEntries[1], lower[i]);
    assert_int_equal(c.iAddressFamily, base.iAddressFamily);
    assert_int_equal(c.iSocketType, base.iSocketType);
    assert_int_equal(c.iProtocol, base.iProtocol);
    assert_int_equal(c.dwServiceFlags1,
                     base.dwServiceFlags1 & ~(DWORD)XP1_IFS_HANDLES);
    /* Each chain has a GUID of its own, and the LSP's path. */
    assert_false(same_guid(&c.ProviderId, &lsp1_id));
    assert_false(same_guid(&c.ProviderId, &base_id));
    WCHAR path[MAX_PATH];
    INT len = MAX_PATH;
    int err = 0;
    assert_int_equal(WSCGetProviderPath(&c.ProviderId, path, &len, &err), 0);
    assert_string_equal(narrow(path), LSP1_PATH);
  }
  WSAPROTOCOL_INFOW c0 = entry(1006), c1 = entry(1007);
  assert_false(same_guid(&c0.ProviderId, &c1.ProviderId));
  assert_string_equal(narrow(c0.szProtocol),
                      "LSP1 over [libwpu Tcpip [TCP/IP]]");
}

static void install_provider_and_chains_orders_the_chains_first(void **state) {
  (void)state;
  install_base();
  DWORD lower[] = {std_ids[WPU_CATALOG_UDP_IPV6],
                   std_ids[WPU_CATALOG_TCP_IPV4]};
  install_lsp_over(&lsp1_id, LSP1_PATH, "LSP1", 0, lower, 2);
  DWORD order[] = {1006, 1007, 1001, 1002, 1003, 1004, 1005};
  assert_order(order, 7);
  assert_int_equal(entry(1006).ProtocolChain.ChainEntries[1], lower[0]);
  WSAPROTOCOL_INFOW w[8];
  DWORD len = sizeof w;
  assert_int_equal(WSAEnumProtocolsW(NULL, w, &len), 6);
  assert_int_equal(w[0].dwCatalogEntryId, 1006);
}

static void
install_provider_and_chains_layers_over_the_top_most_match_once(void **state) {
  (void)state;
  install_base();
  DWORD extra = install_one(&other_id, AF_INET, SOCK_STREAM, IPPROTO_TCP,
                            "second TCP", 0);
  WSAPROTOCOL_INFOW list[3];
  memset(list, 0, sizeof list);
  list[0].iAddressFamily = list[2].iAddressFamily = AF_INET;
  list[0].iSocketType = list[2].iSocketType = SOCK_STREAM;
  list[0].iProtocol = list[2].iProtocol = IPPROTO_TCP;
  list[1].iAddressFamily = AF_INET6;
  list[1].iSocketType = SOCK_DGRAM;
  list[1].iProtocol = IPPROTO_UDP;
  WCHAR p[MAX_PATH], nm[8];
  DWORD d = 0;
  int err = 0;
  assert_int_equal(INSTALL_CHAINS(&lsp1_id, wset(p, LSP1_PATH),
                                  wset(nm, "LSP1"), 0, list, 3, &d, &err),
                   0);
  assert_int_equal(d, extra + 1);
  DWORD order[] = {d + 1, d + 2, 1001, 1002, 1003, 1004, extra, d};
  assert_order(order, 8);
  assert_int_equal(entry(d + 1).ProtocolChain.ChainEntries[1],
                   std_ids[WPU_CATALOG_TCP_IPV4]); /* not extra */
  assert_int_equal(entry(d + 2).ProtocolChain.ChainEntries[1],
                   std_ids[WPU_CATALOG_UDP_IPV6]);
}

static void
install_provider_and_chains_stacks_an_lsp_over_an_lsp(void **state) {
  (void)state;
  install_base();
  DWORD tcp = std_ids[WPU_CATALOG_TCP_IPV4];
  DWORD d1 = install_lsp_over(&lsp1_id, LSP1_PATH, "LSP1", 0, &tcp, 1);
  DWORD c1 = d1 + 1;
  /* The top-most TCP/IPv4 entry is now LSP1's chain. */
  DWORD d2 = install_lsp_over(&lsp2_id, LSP2_PATH, "LSP2", 0, &tcp, 1);
  DWORD c2 = d2 + 1;
  WSAPROTOCOL_INFOW top = entry(c2);
  assert_int_equal(top.ProtocolChain.ChainLen, 3);
  assert_int_equal(top.ProtocolChain.ChainEntries[0], d2);
  assert_int_equal(top.ProtocolChain.ChainEntries[1], d1);
  assert_int_equal(top.ProtocolChain.ChainEntries[2], tcp);
  assert_string_equal(narrow(top.szProtocol),
                      "LSP2 over [LSP1 over [libwpu Tcpip [TCP/IP]]]");
  DWORD order[] = {c2, c1, 1001, 1002, 1003, 1004, d1, d2};
  assert_order(order, 8);
  WSAPROTOCOL_INFOW w[8];
  DWORD len = sizeof w;
  INT tcp_only[] = {IPPROTO_TCP, 0};
  assert_int_equal(WSAEnumProtocolsW(tcp_only, w, &len), 4);
  assert_int_equal(w[0].dwCatalogEntryId, c2); /* applications get LSP2 */
  /* The next layer of each chain is found as LSPs find it: ChainEntries[1]
   * names the lower LSP's dummy, whose path loads the lower LSP. */
  WSAPROTOCOL_INFOW next = entry(top.ProtocolChain.ChainEntries[1]);
  WCHAR path[MAX_PATH];
  INT plen = MAX_PATH;
  int err = 0;
  assert_int_equal(WSCGetProviderPath(&next.ProviderId, path, &plen, &err), 0);
  assert_string_equal(narrow(path), LSP1_PATH);
}

static void
install_provider_and_chains_without_a_list_layers_over_each_base(void **state) {
  (void)state;
  install_base();
  install_one(&other_id, AF_INET, SOCK_STREAM, IPPROTO_TCP, "second TCP", 0);
  DWORD tcp = std_ids[WPU_CATALOG_TCP_IPV4];
  install_lsp_over(&lsp1_id, LSP1_PATH, "LSP1", 0, &tcp, 1); /* 1006, 1007 */
  WCHAR p[MAX_PATH], nm[8];
  DWORD d = 0;
  int err = 0;
  assert_int_equal(INSTALL_CHAINS(&lsp2_id, wset(p, LSP2_PATH),
                                  wset(nm, "LSP2"), 0, NULL, 0, &d, &err),
                   0);
  assert_int_equal(d, 1008);
  /* One chain per (af, type, protocol) of the base entries, over the base
   * entries themselves, not over LSP1's chain or the second TCP entry. */
  assert_int_equal(wpu_catalog_count(), 7 + 1 + 4);
  for (int i = 0; i < 4; i++) {
    WSAPROTOCOL_INFOW c = entry(1009 + i);
    assert_int_equal(c.ProtocolChain.ChainLen, 2);
    assert_int_equal(c.ProtocolChain.ChainEntries[0], d);
    assert_int_equal(c.ProtocolChain.ChainEntries[1], std_ids[i]);
  }
}

static void
install_provider_and_chains_with_no_base_fails_with_no_recovery(void **state) {
  (void)state;
  WCHAR p[MAX_PATH], nm[8];
  wset(p, LSP1_PATH);
  wset(nm, "LSP1");
  int err = 0;
  assert_int_equal(INSTALL_CHAINS(&lsp1_id, p, nm, 0, NULL, 0, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSANO_RECOVERY);
  /* A layered entry alone is no base provider either. */
  WSAPROTOCOL_INFOW layer;
  memset(&layer, 0, sizeof layer);
  assert_int_equal(WSCInstallProvider(&other_id, p, &layer, 1, &err), 0);
  err = 0;
  assert_int_equal(INSTALL_CHAINS(&lsp1_id, p, nm, 0, NULL, 0, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSANO_RECOVERY);
  assert_int_equal(wpu_catalog_count(), 1);
}

static void expect_chains_einval(GUID *g, WCHAR *path, WCHAR *name, DWORD flags,
                                 WSAPROTOCOL_INFOW *list, DWORD n) {
  int err = 0;
  assert_int_equal(INSTALL_CHAINS(g, path, name, flags, list, n, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
}

static void
install_provider_and_chains_with_bad_arguments_fails_with_einval(void **state) {
  (void)state;
  install_base();
  WCHAR p[MAX_PATH + 1], nm[WSAPROTOCOL_LEN + 2], empty[1] = {0};
  wset(p, LSP1_PATH);
  wset(nm, "LSP1");
  WSAPROTOCOL_INFOW tcp = entry(std_ids[0]);
  expect_chains_einval(NULL, p, nm, 0, &tcp, 1);
  expect_chains_einval(&lsp1_id, NULL, nm, 0, &tcp, 1);
  expect_chains_einval(&lsp1_id, p, NULL, 0, &tcp, 1);
  expect_chains_einval(&lsp1_id, p, empty, 0, &tcp, 1);
  expect_chains_einval(&lsp1_id, p, nm, 0, &tcp, 0); /* a list, no entries */
  expect_chains_einval(&lsp1_id, p, nm, XP1_CONNECTIONLESS, &tcp, 1);
  expect_chains_einval(&base_id, p, nm, 0, &tcp, 1); /* the GUID exists */
  WCHAR taken[64];
  wset(taken, "LIBWPU Tcpip [tcp/ip]"); /* the name exists */
  expect_chains_einval(&lsp1_id, p, taken, 0, &tcp, 1);
  for (int i = 0; i <= WSAPROTOCOL_LEN; i++)
    nm[i] = 'n';
  nm[WSAPROTOCOL_LEN + 1] = 0; /* longer than WSAPROTOCOL_LEN */
  expect_chains_einval(&lsp1_id, p, nm, 0, &tcp, 1);
  wset(nm, "LSP1");
  for (int i = 0; i < MAX_PATH; i++)
    p[i] = 'a';
  p[MAX_PATH] = 0; /* longer than MAX_PATH - 1 */
  expect_chains_einval(&lsp1_id, p, nm, 0, &tcp, 1);
  wset(p, LSP1_PATH);
  WSAPROTOCOL_INFOW nothing = tcp;
  nothing.iAddressFamily = 99; /* no entry matches */
  expect_chains_einval(&lsp1_id, p, nm, 0, &nothing, 1);
  assert_int_equal(wpu_catalog_count(), 4);
}

static void
install_provider_and_chains_with_a_null_errno_sets_efault(void **state) {
  (void)state;
  install_base();
  WCHAR p[MAX_PATH], nm[8];
  WSASetLastError(0);
  assert_int_equal(INSTALL_CHAINS(&lsp1_id, wset(p, LSP1_PATH),
                                  wset(nm, "LSP1"), 0, NULL, 0, NULL, NULL),
                   SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEFAULT);
  assert_int_equal(wpu_catalog_count(), 4);
}

static void install_provider_and_chains_past_max_chain_fails_with_no_recovery(
    void **state) {
  (void)state;
  install_base();
  DWORD tcp = std_ids[WPU_CATALOG_TCP_IPV4], dummies[MAX_PROTOCOL_CHAIN];
  char name[8];
  for (int i = 0; i < MAX_PROTOCOL_CHAIN - 1; i++) {
    GUID g = lsp1_id;
    g.Data2 = (unsigned short)i;
    snprintf(name, sizeof name, "L%d", i + 1);
    dummies[i] = install_lsp_over(&g, LSP1_PATH, name, 0, &tcp, 1);
  }
  WSAPROTOCOL_INFOW top;
  assert_int_equal(wpu_catalog_at(0, &top), 0);
  assert_int_equal(top.ProtocolChain.ChainLen, MAX_PROTOCOL_CHAIN);
  for (int k = 0; k < MAX_PROTOCOL_CHAIN - 1; k++)
    assert_int_equal(top.ProtocolChain.ChainEntries[k],
                     dummies[MAX_PROTOCOL_CHAIN - 2 - k]);
  assert_int_equal(top.ProtocolChain.ChainEntries[MAX_PROTOCOL_CHAIN - 1], tcp);
  size_t before = wpu_catalog_count();
  WCHAR p[MAX_PATH], nm[8];
  int err = 0;
  assert_int_equal(INSTALL_CHAINS(&lsp2_id, wset(p, LSP2_PATH), wset(nm, "L7"),
                                  0, &top, 1, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSANO_RECOVERY);
  assert_int_equal(wpu_catalog_count(), before);
}

static int nested_err[6];
static DWORD nested_len;

/* Runs inside the world's allocator, while a change is in progress. */
static void change_inside_a_change(void) {
  WCHAR path[MAX_PATH], name[16];
  wset(path, LSP2_PATH);
  wset(name, "nested");
  int e = 0;
  INSTALL_CHAINS(&lsp2_id, path, name, 0, NULL, 0, NULL, &e);
  nested_err[0] = e;
  e = 0;
  WSCDeinstallProvider(&base_id, &e);
  nested_err[1] = e;
  DWORD order[] = {1004, 1003, 1002, 1001};
  nested_err[2] = WSCWriteProviderOrder(order, 4);
  WSAPROTOCOL_INFOW info = entry(1001);
  e = 0;
  WSCUpdateProvider(&base_id, path, &info, 1, &e);
  nested_err[3] = e;
  e = 0;
  WSCInstallProvider(&lsp1_id, path, &info, 1, &e);
  nested_err[4] = e;
  /* Readers are not held up: they see the catalog before the change. */
  nested_len = 0;
  e = 0;
  WSCEnumProtocols(NULL, NULL, &nested_len, &e);
  nested_err[5] = e;
}

static void
install_provider_and_chains_in_another_change_fails_with_einprogress(
    void **state) {
  (void)state;
  install_base();
  memset(nested_err, 0, sizeof nested_err);
  during_next_alloc = change_inside_a_change;
  WSAPROTOCOL_INFOW info = entry(std_ids[0]);
  WCHAR path[MAX_PATH];
  int err = 0;
  assert_int_equal(
      WSCInstallProvider(&other_id, wset(path, BASE_PATH), &info, 1, &err), 0);
  assert_null(during_next_alloc);
  assert_int_equal(nested_err[0], WSAEINPROGRESS);
  assert_int_equal(nested_err[5], WSAENOBUFS);
  assert_int_equal(nested_len, 4 * INFO_SIZE);
  assert_int_equal(wpu_catalog_count(), 5);
}

static void
catalog_changes_started_inside_a_change_fail_with_no_recovery(void **state) {
  (void)state;
  install_base();
  memset(nested_err, 0, sizeof nested_err);
  during_next_alloc = change_inside_a_change;
  WSAPROTOCOL_INFOW info = entry(std_ids[0]);
  WCHAR path[MAX_PATH];
  int err = 0;
  assert_int_equal(
      WSCInstallProvider(&other_id, wset(path, BASE_PATH), &info, 1, &err), 0);
  for (int i = 1; i <= 4; i++)
    assert_int_equal(nested_err[i], WSANO_RECOVERY);
  DWORD order[] = {1001, 1002, 1003, 1004, 1005};
  assert_order(order, 5); /* only the outer change happened */
}

static void
install_provider_and_chains_without_memory_fails_with_enobufs(void **state) {
  (void)state;
  install_base();
  WCHAR p[MAX_PATH], nm[8];
  int err = 0;
  fail_next_alloc = 1;
  assert_int_equal(INSTALL_CHAINS(&lsp1_id, wset(p, LSP1_PATH),
                                  wset(nm, "LSP1"), 0, NULL, 0, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAENOBUFS);
  assert_int_equal(wpu_catalog_count(), 4);
}

static void
install_provider_and_chains_sets_ifs_handles_from_the_flags(void **state) {
  (void)state;
  install_base();
  DWORD tcp = std_ids[WPU_CATALOG_TCP_IPV4];
  DWORD d1 =
      install_lsp_over(&lsp1_id, LSP1_PATH, "IFS", XP1_IFS_HANDLES, &tcp, 1);
  assert_true(entry(d1).dwServiceFlags1 & XP1_IFS_HANDLES);
  assert_true(entry(d1 + 1).dwServiceFlags1 & XP1_IFS_HANDLES);
  DWORD d2 = install_lsp_over(&lsp2_id, LSP2_PATH, "nonIFS", 0, &tcp, 1);
  assert_false(entry(d2).dwServiceFlags1 & XP1_IFS_HANDLES);
  assert_false(entry(d2 + 1).dwServiceFlags1 & XP1_IFS_HANDLES);
  assert_true(entry(d2 + 1).dwServiceFlags1 & XP1_GUARANTEED_DELIVERY);
}

#if !defined(_WIN32) || defined(_WIN64)
static void
install_provider_and_chains_64_32_wants_system32_without_path32(void **state) {
  (void)state;
  install_base();
  WCHAR elsewhere[MAX_PATH], sys32[MAX_PATH], nm[8], long32[MAX_PATH + 1];
  wset(elsewhere, "C:\\lsp\\lsp.dll");
  wset(sys32, "%WINDIR%\\System32\\lsp.dll");
  wset(nm, "LSP1");
  for (int i = 0; i < MAX_PATH; i++)
    long32[i] = 'a';
  long32[MAX_PATH] = 0;
  int err = 0;
  assert_int_equal(WSCInstallProviderAndChains64_32(&lsp1_id, elsewhere, NULL,
                                                    nm, 0, NULL, 0, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  err = 0;
  assert_int_equal(WSCInstallProviderAndChains64_32(&lsp1_id, elsewhere, long32,
                                                    nm, 0, NULL, 0, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  DWORD d = 0;
  assert_int_equal(WSCInstallProviderAndChains64_32(&lsp1_id, sys32, NULL, nm,
                                                    0, NULL, 0, &d, &err),
                   0);
  assert_int_equal(d, 1005);
  WCHAR path[MAX_PATH];
  INT len = MAX_PATH;
  assert_int_equal(WSCGetProviderPath(&lsp1_id, path, &len, &err), 0);
  assert_string_equal(narrow(path), "%WINDIR%\\System32\\lsp.dll");
}
#endif

#if !defined(_WIN32) || !defined(_WIN64)
static void
install_provider_and_chains_is_the_same_under_both_names(void **state) {
  (void)state;
  install_base();
  WCHAR p[MAX_PATH], nm[8];
  DWORD d = 0;
  int err = 0;
  assert_int_equal(WSCInstallProviderAndChains(&lsp1_id, wset(p, LSP1_PATH),
                                               wset(nm, "LSP1"), 0, NULL, 0, &d,
                                               &err),
                   0);
  assert_int_equal(d, 1005);
  assert_int_equal(wpu_catalog_count(), 9);
}
#endif

static void install_lsp_builds_chains_over_the_given_entries(void **state) {
  (void)state;
  install_base();
  WCHAR p[MAX_PATH], nm[8];
  wset(p, LSP1_PATH);
  wset(nm, "LSP1");
  DWORD lower[] = {std_ids[WPU_CATALOG_UDP_IPV6],
                   std_ids[WPU_CATALOG_TCP_IPV4]};
  DWORD dummy = 0, chains[2] = {0, 0};
  assert_int_equal(
      wpu_catalog_install_lsp(&lsp1_id, p, nm, lower, 2, TRUE, &dummy, chains),
      0);
  assert_int_equal(dummy, 1005);
  assert_int_equal(chains[0], 1006);
  assert_int_equal(chains[1], 1007);
  DWORD order[] = {1006, 1007, 1001, 1002, 1003, 1004, 1005};
  assert_order(order, 7);
  assert_int_equal(entry(1006).ProtocolChain.ChainEntries[1], lower[0]);
  assert_true(entry(1006).dwServiceFlags1 & XP1_IFS_HANDLES);
  /* Errors: a layered entry, an unknown id, an id twice, no ids. */
  DWORD layered[] = {dummy}, unknown[] = {4242}, twice[] = {1001, 1001};
  assert_int_equal(wpu_catalog_install_lsp(&lsp2_id, p, wset(nm, "LSP2"),
                                           layered, 1, FALSE, NULL, NULL),
                   WSAEINVAL);
  assert_int_equal(
      wpu_catalog_install_lsp(&lsp2_id, p, nm, unknown, 1, FALSE, NULL, NULL),
      WSAEINVAL);
  assert_int_equal(
      wpu_catalog_install_lsp(&lsp2_id, p, nm, twice, 2, FALSE, NULL, NULL),
      WSAEINVAL);
  assert_int_equal(
      wpu_catalog_install_lsp(&lsp2_id, p, nm, NULL, 0, FALSE, NULL, NULL),
      WSAEINVAL);
  assert_int_equal(wpu_catalog_count(), 7);
}

/* ---- WSCDeinstallProvider ---- */

static void deinstall_provider_removes_every_entry_of_the_guid(void **state) {
  (void)state;
  install_base();
  DWORD tcp = std_ids[WPU_CATALOG_TCP_IPV4];
  DWORD d = install_lsp_over(&lsp1_id, LSP1_PATH, "LSP1", 0, &tcp, 1);
  int err = 0;
  assert_int_equal(WSCDeinstallProvider(&base_id, &err), 0);
  /* The LSP's entries stay, as on Windows (installers remove them). */
  DWORD order[] = {d + 1, d};
  assert_order(order, 2);
  assert_int_equal(WSCDeinstallProvider(&lsp1_id, &err), 0);
  DWORD chain_only[] = {d + 1};
  assert_order(chain_only, 1);
}

static void deinstall_provider_of_unknown_guid_fails_with_einval(void **state) {
  (void)state;
  int err = 0;
  assert_int_equal(WSCDeinstallProvider(&base_id, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL); /* an empty catalog */
  install_base();
  err = 0;
  assert_int_equal(WSCDeinstallProvider(&unknown_id, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  err = 0;
  assert_int_equal(WSCDeinstallProvider(NULL, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  assert_int_equal(wpu_catalog_count(), 4);
}

static void deinstall_provider_with_a_null_errno_sets_efault(void **state) {
  (void)state;
  install_base();
  WSASetLastError(0);
  assert_int_equal(WSCDeinstallProvider(&base_id, NULL), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEFAULT);
  assert_int_equal(wpu_catalog_count(), 4);
}

static void
deinstall_provider_without_memory_fails_with_not_enough_memory(void **state) {
  (void)state;
  install_base();
  install_one(&other_id, AF_INET, SOCK_RAW, 255, "raw", 0);
  int err = 0;
  fail_next_alloc = 1;
  assert_int_equal(WSCDeinstallProvider(&other_id, &err), SOCKET_ERROR);
  assert_int_equal(err, WSA_NOT_ENOUGH_MEMORY);
  assert_int_equal(wpu_catalog_count(), 5);
}

/* ---- WSCWriteProviderOrder ---- */

static void write_provider_order_reorders_the_catalog(void **state) {
  (void)state;
  install_base();
  DWORD order[] = {1004, 1002, 1003, 1001};
  assert_int_equal(WSCWriteProviderOrder(order, 4), ERROR_SUCCESS);
  assert_order(order, 4);
  WSAPROTOCOL_INFOW w[4];
  DWORD len = sizeof w;
  assert_int_equal(WSAEnumProtocolsW(NULL, w, &len), 4);
  assert_int_equal(w[0].dwCatalogEntryId, 1004);
  /* Ids and paths travel with their entries. */
  assert_int_equal(entry(1004).ProtocolChain.ChainEntries[0], 1004);
}

static void
write_provider_order_rejects_a_list_that_is_not_a_permutation(void **state) {
  (void)state;
  install_base();
  DWORD fewer[] = {1004, 1003, 1002};
  DWORD more[] = {1004, 1003, 1002, 1001, 1001};
  DWORD unknown[] = {1004, 1003, 1002, 4242};
  DWORD twice[] = {1004, 1003, 1003, 1001};
  assert_int_equal(WSCWriteProviderOrder(fewer, 3), WSAEINVAL);
  assert_int_equal(WSCWriteProviderOrder(more, 5), WSAEINVAL);
  assert_int_equal(WSCWriteProviderOrder(unknown, 4), WSAEINVAL);
  assert_int_equal(WSCWriteProviderOrder(twice, 4), WSAEINVAL);
  assert_int_equal(WSCWriteProviderOrder(NULL, 4), WSAEINVAL);
  DWORD same[] = {1001, 1002, 1003, 1004};
  assert_order(same, 4); /* no action was taken */
}

static void
write_provider_order_without_memory_fails_with_not_enough_memory(void **state) {
  (void)state;
  install_base();
  DWORD order[] = {1004, 1003, 1002, 1001};
  fail_next_alloc = 1;
  assert_int_equal(WSCWriteProviderOrder(order, 4), WSA_NOT_ENOUGH_MEMORY);
  DWORD same[] = {1001, 1002, 1003, 1004};
  assert_order(same, 4);
}

/* ---- WSCGetProviderPath, WPUGetProviderPath ---- */

static void
wsc_get_provider_path_returns_the_unexpanded_path_and_its_length(void **state) {
  (void)state;
  install_base();
  WCHAR path[MAX_PATH];
  INT len = MAX_PATH;
  int err = 0;
  assert_int_equal(WSCGetProviderPath(&base_id, path, &len, &err), 0);
  assert_string_equal(narrow(path), BASE_PATH);
  assert_int_equal(len, (INT)strlen(BASE_PATH) + 1); /* with the NUL */
}

static void
wsc_get_provider_path_with_a_short_buffer_fails_with_efault_and_size(
    void **state) {
  (void)state;
  install_base();
  WCHAR path[MAX_PATH];
  INT len = 10;
  int err = 0;
  assert_int_equal(WSCGetProviderPath(&base_id, path, &len, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
  assert_int_equal(len, (INT)strlen(BASE_PATH) + 1);
  err = 0;
  assert_int_equal(WSCGetProviderPath(&base_id, path, &len, &err), 0);
  len = MAX_PATH;
  err = 0;
  assert_int_equal(WSCGetProviderPath(&base_id, NULL, &len, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
  err = 0;
  assert_int_equal(WSCGetProviderPath(&base_id, path, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
  WSASetLastError(0);
  assert_int_equal(WSCGetProviderPath(&base_id, path, &len, NULL),
                   SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEFAULT);
}

static void
wsc_get_provider_path_of_an_unknown_provider_fails_with_einval(void **state) {
  (void)state;
  WCHAR path[MAX_PATH];
  INT len = MAX_PATH;
  int err = 0;
  assert_int_equal(WSCGetProviderPath(&base_id, path, &len, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL); /* an empty catalog */
  install_base();
  err = 0;
  assert_int_equal(WSCGetProviderPath(&unknown_id, path, &len, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  err = 0;
  assert_int_equal(WSCGetProviderPath(NULL, path, &len, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
}

static void wpu_get_provider_path_is_the_upcall_tables_entry(void **state) {
  (void)state;
  install_base();
  WSPUPCALLTABLE up = wpu_upcall_table();
  assert_true(up.lpWPUGetProviderPath == WPUGetProviderPath);
  WCHAR path[MAX_PATH];
  INT len = MAX_PATH;
  int err = 0;
  assert_int_equal(up.lpWPUGetProviderPath(&base_id, path, &len, &err), 0);
  assert_string_equal(narrow(path), BASE_PATH);
  assert_int_equal(len, (INT)strlen(BASE_PATH) + 1);
  len = 3;
  assert_int_equal(up.lpWPUGetProviderPath(&base_id, path, &len, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
  assert_int_equal(len, (INT)strlen(BASE_PATH) + 1);
  err = 0;
  assert_int_equal(up.lpWPUGetProviderPath(&unknown_id, path, &len, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
}

static void
wpu_get_provider_path_without_a_world_fails_with_notinitialised(void **state) {
  (void)state;
  assert_null(wpu_world_current());
  WCHAR path[MAX_PATH];
  INT len = MAX_PATH;
  int err = 0;
  assert_int_equal(WPUGetProviderPath(&base_id, path, &len, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSANOTINITIALISED);
}

/* ---- WSCUpdateProvider ---- */

static void update_provider_rewrites_entries_and_the_path(void **state) {
  (void)state;
  install_base();
  /* An installer's chain with a placeholder, patched afterwards. */
  WSAPROTOCOL_INFOW chain = entry(std_ids[0]);
  chain.ProtocolChain.ChainLen = 3;
  chain.ProtocolChain.ChainEntries[0] = 1001;
  chain.ProtocolChain.ChainEntries[1] = 0;
  chain.ProtocolChain.ChainEntries[2] = 1001;
  WCHAR path[MAX_PATH], moved[MAX_PATH];
  int err = 0;
  assert_int_equal(
      WSCInstallProvider(&lsp1_id, wset(path, LSP1_PATH), &chain, 1, &err), 0);
  chain = entry(1005);
  chain.ProtocolChain.ChainEntries[1] = 1002;
  wset(chain.szProtocol, "patched");
  assert_int_equal(
      WSCUpdateProvider(&lsp1_id, wset(moved, LSP2_PATH), &chain, 1, &err), 0);
  WSAPROTOCOL_INFOW got = entry(1005);
  assert_int_equal(got.ProtocolChain.ChainEntries[1], 1002);
  assert_string_equal(narrow(got.szProtocol), "patched");
  assert_true(same_guid(&got.ProviderId, &lsp1_id));
  INT len = MAX_PATH;
  assert_int_equal(WSCGetProviderPath(&lsp1_id, path, &len, &err), 0);
  assert_string_equal(narrow(path), LSP2_PATH);
  /* Only the listed entries change; the provider's others get the path. */
  WSAPROTOCOL_INFOW udp = entry(std_ids[1]), tcp = entry(std_ids[0]);
  tcp.dwServiceFlags1 |= XP1_QOS_SUPPORTED;
  assert_int_equal(
      WSCUpdateProvider(&base_id, wset(moved, LSP2_PATH), &tcp, 1, &err), 0);
  assert_true(entry(std_ids[0]).dwServiceFlags1 & XP1_QOS_SUPPORTED);
  WSAPROTOCOL_INFOW udp_after = entry(std_ids[1]);
  assert_memory_equal(&udp, &udp_after, sizeof udp);
  WCHAR stored[MAX_PATH];
  assert_int_equal(wpu_catalog_get(std_ids[1], &udp, stored, MAX_PATH), 0);
  assert_string_equal(narrow(stored), LSP2_PATH);
  DWORD order[] = {1001, 1002, 1003, 1004, 1005};
  assert_order(order, 5);
}

static void update_provider_with_bad_arguments_fails_with_einval(void **state) {
  (void)state;
  install_base();
  install_one(&other_id, AF_INET, SOCK_RAW, 255, "raw", 0); /* 1005 */
  WSAPROTOCOL_INFOW tcp = entry(1001), two[2];
  WCHAR path[MAX_PATH];
  wset(path, BASE_PATH);
  int err = 0;
  struct {
    GUID *guid;
    WSAPROTOCOL_INFOW *list;
    DWORD n;
  } bad[6];
  memset(bad, 0, sizeof bad);
  bad[0].guid = &unknown_id, bad[0].list = &tcp, bad[0].n = 1;
  bad[1].guid = NULL, bad[1].list = &tcp, bad[1].n = 1;
  bad[2].guid = &base_id, bad[2].list = &tcp, bad[2].n = 0;
  bad[3].guid = &other_id, bad[3].list = &tcp, bad[3].n = 1; /* not its */
  two[0] = tcp, two[1] = tcp;
  bad[4].guid = &base_id, bad[4].list = two, bad[4].n = 2; /* id twice */
  static WSAPROTOCOL_INFOW stray;
  stray = tcp;
  stray.dwCatalogEntryId = 4242;
  bad[5].guid = &base_id, bad[5].list = &stray, bad[5].n = 1;
  for (int i = 0; i < 6; i++) {
    err = 0;
    assert_int_equal(
        WSCUpdateProvider(bad[i].guid, path, bad[i].list, bad[i].n, &err),
        SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
  }
  err = 0;
  assert_int_equal(WSCUpdateProvider(&base_id, NULL, &tcp, 1, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  WSAPROTOCOL_INFOW longer = tcp;
  longer.ProtocolChain.ChainLen = MAX_PROTOCOL_CHAIN + 1;
  err = 0;
  assert_int_equal(WSCUpdateProvider(&base_id, path, &longer, 1, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
}

static void update_provider_with_a_null_list_fails_with_efault(void **state) {
  (void)state;
  install_base();
  WCHAR path[MAX_PATH];
  wset(path, BASE_PATH);
  int err = 0;
  assert_int_equal(WSCUpdateProvider(&base_id, path, NULL, 1, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
  WSAPROTOCOL_INFOW tcp = entry(1001);
  WSASetLastError(0);
  assert_int_equal(WSCUpdateProvider(&base_id, path, &tcp, 1, NULL),
                   SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEFAULT);
}

static void
update_provider_without_memory_fails_with_not_enough_memory(void **state) {
  (void)state;
  install_base();
  WSAPROTOCOL_INFOW tcp = entry(1001);
  wset(tcp.szProtocol, "changed");
  WCHAR path[MAX_PATH];
  int err = 0;
  fail_next_alloc = 1;
  assert_int_equal(
      WSCUpdateProvider(&base_id, wset(path, BASE_PATH), &tcp, 1, &err),
      SOCKET_ERROR);
  assert_int_equal(err, WSA_NOT_ENOUGH_MEMORY);
  assert_string_equal(narrow(entry(1001).szProtocol), "libwpu Tcpip [TCP/IP]");
}

/* ---- wpu/catalog.h ---- */

static void catalog_get_copies_an_entry_and_its_path(void **state) {
  (void)state;
  install_base();
  WSAPROTOCOL_INFOW info;
  WCHAR path[MAX_PATH];
  assert_int_equal(wpu_catalog_get(1002, &info, path, MAX_PATH), 0);
  assert_int_equal(info.dwCatalogEntryId, 1002);
  assert_string_equal(narrow(path), BASE_PATH);
  assert_int_equal(wpu_catalog_get(1002, &info, NULL, 0), 0);
  assert_int_equal(wpu_catalog_get(4242, &info, path, MAX_PATH), WSAEINVAL);
  assert_int_equal(wpu_catalog_get(1002, NULL, path, MAX_PATH), WSAEFAULT);
  assert_int_equal(wpu_catalog_get(1002, &info, path, strlen(BASE_PATH)),
                   WSAENOBUFS); /* no room for the NUL */
}

static void catalog_count_and_at_walk_the_catalog_in_order(void **state) {
  (void)state;
  WSAPROTOCOL_INFOW info;
  assert_int_equal(wpu_catalog_count(), 0);
  assert_int_equal(wpu_catalog_at(0, &info), WSAEINVAL);
  install_base();
  DWORD tcp = std_ids[0];
  install_lsp_over(&lsp1_id, LSP1_PATH, "LSP1", 0, &tcp, 1);
  WSAPROTOCOL_INFOW *all;
  int n = wsc_all(&all);
  assert_int_equal(wpu_catalog_count(), (size_t)n);
  for (int i = 0; i < n; i++) {
    assert_int_equal(wpu_catalog_at((size_t)i, &info), 0);
    assert_memory_equal(&info, &all[i], sizeof info);
  }
  free(all);
  assert_int_equal(wpu_catalog_at((size_t)n, &info), WSAEINVAL);
  assert_int_equal(wpu_catalog_at(0, NULL), WSAEFAULT);
}

static void catalog_format_lists_every_entry_like_netsh(void **state) {
  (void)state;
  char shortbuf[16] = "x";
  assert_int_equal(wpu_catalog_format(shortbuf, sizeof shortbuf), 0);
  assert_string_equal(shortbuf, "");
  install_base();
  DWORD tcp = std_ids[0];
  DWORD d = install_lsp_over(&lsp1_id, LSP1_PATH, "LSP1", 0, &tcp, 1);
  size_t need = wpu_catalog_format(NULL, 0);
  assert_true(need > 0);
  char *text = malloc(need + 1);
  assert_int_equal(wpu_catalog_format(text, need + 1), need);
  assert_int_equal(strlen(text), need);
  char line[160];
  snprintf(line, sizeof line, "%-36s%s\n",
           "Description:", "libwpu Tcpip [TCP/IPv6]");
  assert_non_null(strstr(text, line));
  snprintf(line, sizeof line, "%-36s%s\n", "Provider Path:", BASE_PATH);
  assert_non_null(strstr(text, line));
  snprintf(line, sizeof line, "%-36s%s\n",
           "Provider ID:", "{0BA5E000-1111-2222-0102-030405060708}");
  assert_non_null(strstr(text, line));
  snprintf(line, sizeof line, "%-36s%lu > %lu\n",
           "Protocol Chain:", (unsigned long)d, (unsigned long)tcp);
  assert_non_null(strstr(text, line));
  assert_non_null(strstr(text, "Base Service Provider"));
  assert_non_null(strstr(text, "Layered Chain Entry"));
  assert_non_null(strstr(text, "Layered Service Provider"));
  snprintf(line, sizeof line, "%-36s%lu\n",
           "Catalog Entry ID:", (unsigned long)(d + 1));
  assert_non_null(strstr(text, line));
  /* The first block is the chain (catalog order). */
  assert_true(strstr(text, "LSP1 over") < strstr(text, "[TCP/IP]\nProvider"));
  assert_int_equal(wpu_catalog_format(shortbuf, sizeof shortbuf), need);
  assert_int_equal(strlen(shortbuf), sizeof shortbuf - 1);
  assert_memory_equal(shortbuf, text, sizeof shortbuf - 1);
  free(text);
}

static void
blocking_callback_checks_catalog_ids_once_there_are_entries(void **state) {
  (void)state;
  WSPUPCALLTABLE up = wpu_upcall_table();
  LPBLOCKINGCALLBACK cb;
  DWORD_PTR ctx;
  int err = 0;
  /* An empty catalog takes any id but 0. */
  assert_int_equal(up.lpWPUQueryBlockingCallback(5000, &cb, &ctx, &err), 0);
  install_base();
  assert_int_equal(up.lpWPUQueryBlockingCallback(5000, &cb, &ctx, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  assert_int_equal(up.lpWPUQueryBlockingCallback(1003, &cb, &ctx, &err), 0);
  assert_int_equal(up.lpWPUQueryBlockingCallback(0, &cb, &ctx, &err),
                   SOCKET_ERROR);
}

/* ---- Threads ---- */

#define ROUNDS     40
#define INSTALLERS 2

static atomic_int problems;

static GUID installer_guid(int index) {
  GUID g = {0x7e570000u + (unsigned)index, 1, 2, {3, 4, 5, 6, 7, 8, 9, 10}};
  return g;
}

/* Installs and removes a two-entry provider again and again. */
static DWORD WINAPI installer(LPVOID arg) {
  GUID g = installer_guid((int)(intptr_t)arg);
  WSAPROTOCOL_INFOW two[2];
  memset(two, 0, sizeof two);
  for (int i = 0; i < 2; i++) {
    two[i].ProtocolChain.ChainLen = BASE_PROTOCOL;
    two[i].iAddressFamily = 99;
    two[i].iSocketType = SOCK_DGRAM;
    two[i].iProtocol = 100 + i;
  }
  WCHAR path[MAX_PATH];
  wset(path, BASE_PATH);
  for (int r = 0; r < ROUNDS; r++) {
    int err = 0;
    if (WSCInstallProvider(&g, path, two, 2, &err) != 0 ||
        WSCDeinstallProvider(&g, &err) != 0)
      atomic_fetch_add(&problems, 1);
  }
  return 0;
}

/* Installs an LSP over TCP/IPv4 (retrying while another change is in
 * progress) and removes it, chains first. */
static DWORD WINAPI layerer(LPVOID arg) {
  (void)arg;
  WCHAR path[MAX_PATH], name[8];
  wset(path, LSP1_PATH);
  wset(name, "LSP1");
  WSAPROTOCOL_INFOW tcp;
  memset(&tcp, 0, sizeof tcp);
  tcp.iAddressFamily = AF_INET;
  tcp.iSocketType = SOCK_STREAM;
  tcp.iProtocol = IPPROTO_TCP;
  for (int r = 0; r < ROUNDS; r++) {
    DWORD d = 0;
    int err = 0;
    while (INSTALL_CHAINS(&lsp1_id, path, name, 0, &tcp, 1, &d, &err) != 0) {
      if (err != WSAEINPROGRESS) {
        atomic_fetch_add(&problems, 1);
        return 0;
      }
      Sleep(0);
    }
    WSAPROTOCOL_INFOW c;
    if (wpu_catalog_get(d + 1, &c, NULL, 0) != 0 ||
        c.ProtocolChain.ChainEntries[0] != d ||
        WSCDeinstallProvider(&c.ProviderId, &err) != 0 ||
        WSCDeinstallProvider(&lsp1_id, &err) != 0)
      atomic_fetch_add(&problems, 1);
  }
  return 0;
}

/* Each change is seen whole: both entries of a provider or neither. */
static DWORD WINAPI reader(LPVOID arg) {
  (void)arg;
  for (int r = 0; r < ROUNDS * 4; r++) {
    WSAPROTOCOL_INFOW buf[32];
    DWORD len = sizeof buf;
    int err = 0;
    int n = r % 2 == 0 ? WSCEnumProtocols(NULL, buf, &len, &err)
                       : WSAEnumProtocolsW(NULL, buf, &len);
    if (n == SOCKET_ERROR || n < 4) {
      atomic_fetch_add(&problems, 1);
      continue;
    }
    for (int k = 0; k < INSTALLERS; k++) {
      GUID g = installer_guid(k);
      int seen = 0;
      for (int i = 0; i < n; i++)
        seen += same_guid(&buf[i].ProviderId, &g);
      if (seen != 0 && seen != 2)
        atomic_fetch_add(&problems, 1);
    }
    for (int i = 0; i < n; i++)
      for (int j = 0; j < i; j++)
        if (buf[i].dwCatalogEntryId == buf[j].dwCatalogEntryId)
          atomic_fetch_add(&problems, 1);
  }
  return 0;
}

static void
catalog_changes_and_reads_from_several_threads_stay_whole(void **state) {
  (void)state;
  install_base();
  atomic_store(&problems, 0);
  HANDLE t[INSTALLERS + 3];
  int n = 0;
  for (int i = 0; i < INSTALLERS; i++)
    t[n++] = CreateThread(NULL, 0, installer, (LPVOID)(intptr_t)i, 0, NULL);
  t[n++] = CreateThread(NULL, 0, layerer, NULL, 0, NULL);
  t[n++] = CreateThread(NULL, 0, reader, NULL, 0, NULL);
  t[n++] = CreateThread(NULL, 0, reader, NULL, 0, NULL);
  for (int i = 0; i < n; i++)
    assert_non_null(t[i]);
  assert_int_equal(WaitForMultipleObjects((DWORD)n, t, TRUE, 60000),
                   WAIT_OBJECT_0);
  for (int i = 0; i < n; i++)
    CloseHandle(t[i]);
  assert_int_equal(atomic_load(&problems), 0);
  assert_int_equal(wpu_catalog_count(), 4);
}

#define T(f)                                                                   \
  cmocka_unit_test_setup_teardown(f, fws2_world_setup, fws2_world_teardown)
#define T_ALLOC(f)                                                             \
  cmocka_unit_test_setup_teardown(f, alloc_setup, fws2_world_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(
        wsa_enum_protocols_without_a_world_fails_with_notinitialised),
    cmocka_unit_test(
        wpu_get_provider_path_without_a_world_fails_with_notinitialised),
    T(wsc_enum_protocols_with_null_buffer_fails_with_enobufs_and_the_size),
    T(wsc_enum_protocols_with_a_short_buffer_fails_with_enobufs_and_the_size),
    T(wsc_enum_protocols_lists_hidden_and_layered_entries_in_catalog_order),
    T(wsc_enum_protocols_filters_by_protocol_number),
    T(wsc_enum_protocols_with_an_empty_filter_fails_with_einval),
    T(wsc_enum_protocols_without_a_length_fails_with_efault),
    T(wsa_enum_protocols_hides_layered_and_hidden_entries),
    T(wsa_enum_protocols_a_returns_the_same_entries_in_ansi),
    T(wsa_enum_protocols_with_a_short_buffer_fails_with_enobufs_and_the_size),
    T(wsa_enum_protocols_with_bad_arguments_fails_with_efault_or_einval),
    T(wsa_enum_protocols_inside_a_blocking_hook_fails_with_einprogress),
    T(catalog_ids_start_at_1001_and_are_never_reused),
    T(install_provider_fills_in_ids_provider_and_base_chains),
    T(install_provider_of_an_installed_guid_fails_with_no_recovery),
    T(install_provider_with_bad_arguments_fails_with_einval),
    T(install_provider_with_a_null_list_fails_with_efault),
    T(install_provider_past_the_catalog_limit_fails_with_enobufs),
    T_ALLOC(install_provider_without_memory_fails_with_not_enough_memory),
    T(install_standard_describes_tcp_and_udp_like_msafd),
    T(install_provider_and_chains_adds_a_hidden_dummy_and_a_chain_per_entry),
    T(install_provider_and_chains_orders_the_chains_first),
    T(install_provider_and_chains_layers_over_the_top_most_match_once),
    T(install_provider_and_chains_stacks_an_lsp_over_an_lsp),
    T(install_provider_and_chains_without_a_list_layers_over_each_base),
    T(install_provider_and_chains_with_no_base_fails_with_no_recovery),
    T(install_provider_and_chains_with_bad_arguments_fails_with_einval),
    T(install_provider_and_chains_with_a_null_errno_sets_efault),
    T(install_provider_and_chains_past_max_chain_fails_with_no_recovery),
    T_ALLOC(
        install_provider_and_chains_in_another_change_fails_with_einprogress),
    T_ALLOC(catalog_changes_started_inside_a_change_fail_with_no_recovery),
    T_ALLOC(install_provider_and_chains_without_memory_fails_with_enobufs),
    T(install_provider_and_chains_sets_ifs_handles_from_the_flags),
#if !defined(_WIN32) || defined(_WIN64)
    T(install_provider_and_chains_64_32_wants_system32_without_path32),
#endif
#if !defined(_WIN32) || !defined(_WIN64)
    T(install_provider_and_chains_is_the_same_under_both_names),
#endif
    T(install_lsp_builds_chains_over_the_given_entries),
    T(deinstall_provider_removes_every_entry_of_the_guid),
    T(deinstall_provider_of_unknown_guid_fails_with_einval),
    T(deinstall_provider_with_a_null_errno_sets_efault),
    T_ALLOC(deinstall_provider_without_memory_fails_with_not_enough_memory),
    T(write_provider_order_reorders_the_catalog),
    T(write_provider_order_rejects_a_list_that_is_not_a_permutation),
    T_ALLOC(write_provider_order_without_memory_fails_with_not_enough_memory),
    T(wsc_get_provider_path_returns_the_unexpanded_path_and_its_length),
    T(wsc_get_provider_path_with_a_short_buffer_fails_with_efault_and_size),
    T(wsc_get_provider_path_of_an_unknown_provider_fails_with_einval),
    T(wpu_get_provider_path_is_the_upcall_tables_entry),
    T(update_provider_rewrites_entries_and_the_path),
    T(update_provider_with_bad_arguments_fails_with_einval),
    T(update_provider_with_a_null_list_fails_with_efault),
    T_ALLOC(update_provider_without_memory_fails_with_not_enough_memory),
    T(catalog_get_copies_an_entry_and_its_path),
    T(catalog_count_and_at_walk_the_catalog_in_order),
    T(catalog_format_lists_every_entry_like_netsh),
    T(blocking_callback_checks_catalog_ids_once_there_are_entries),
    T(catalog_changes_and_reads_from_several_threads_stay_whole),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
