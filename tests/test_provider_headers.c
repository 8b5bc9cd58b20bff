/* test_provider_headers.c: provider source compiles unchanged on Linux.
 *
 * Written like provider code: it includes <stdlib.h> before <winsock2.h>
 * (the order Wine's headers cannot cope with unless libwpu's prelude comes
 * first), uses L"..." paths, and checks the Windows x64 layouts. Built as a
 * provider target (wpu_provider_target: -fshort-wchar and the prelude). */
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <winsock2.h>
#include <ws2spi.h>
/* As on Windows, strsafe.h would deprecate the plain wcs* names. */
#define STRSAFE_NO_DEPRECATE
#include <strsafe.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <wpu/abi_assert.h>

static const WCHAR provider_path[] = L"%SystemRoot%\\system32\\mswsock.dll";

_Static_assert(sizeof(L"ab") == 3 * sizeof(WCHAR), "L\"\" is UTF-16");
_Static_assert(FD_SETSIZE == 64, "fd_set is Windows' (FD_SETSIZE 64)");

/* Provider code sees the SDK's prototype (int), not Wine's (WSAEVENT). */
_Static_assert(
    __builtin_types_compatible_p(
        __typeof__(WPUCompleteOverlappedRequest(0, NULL, 0, 0, NULL)), int),
    "WPUCompleteOverlappedRequest returns int");

static void wide_literals_are_utf16_code_units(void **state) {
  (void)state;
  assert_int_equal(sizeof(provider_path[0]), 2);
  assert_int_equal(provider_path[0], '%');
  assert_int_equal(provider_path[12], '\\');
  const WCHAR e_acute[] = L"\u00e9";
  assert_int_equal(e_acute[0], 0xe9);
  assert_int_equal(wcslen(provider_path), 33);
}

static void fd_set_macros_are_the_windows_ones(void **state) {
  (void)state;
  fd_set set;
  FD_ZERO(&set);
  assert_int_equal(set.fd_count, 0);
  FD_SET((SOCKET)0x40000004, &set);
  FD_SET((SOCKET)0x40000008, &set);
  assert_int_equal(set.fd_count, 2);
  assert_true(set.fd_array[1] == (SOCKET)0x40000008);
  assert_true(FD_ISSET((SOCKET)0x40000004, &set));
}

static WSPUPCALLTABLE wpu_no_upcalls(void) {
  WSPUPCALLTABLE t;
  memset(&t, 0, sizeof t);
  return t;
}

static int WSPAPI fake_close(SOCKET s, LPINT lpErrno) {
  (void)s;
  *lpErrno = WSAENOTSOCK;
  return SOCKET_ERROR;
}

static void spi_tables_are_declared_and_callable(void **state) {
  (void)state;
  WSPPROC_TABLE procs;
  memset(&procs, 0, sizeof procs);
  procs.lpWSPCloseSocket = fake_close;
  int err = 0;
  assert_int_equal(procs.lpWSPCloseSocket(0, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAENOTSOCK);
  WSPDATA data;
  assert_int_equal(sizeof data.szDescription,
                   (WSPDESCRIPTION_LEN + 1) * sizeof(WCHAR));
  assert_int_equal(WSS_OPERATION_IN_PROGRESS, 0x103);
  LPWSPSTARTUP startup = WSPStartup;
  assert_int_equal(startup(0x0202, &data, NULL, wpu_no_upcalls(), &procs),
                   WSAVERNOTSUPPORTED);
}

static void strsafe_formats_provider_style_names(void **state) {
  (void)state;
  WCHAR name[64];
  assert_int_equal(
      StringCchPrintfW(name, 64, L"Layered WS2 Provider 0x%08x", 0x1234u),
      S_OK);
  assert_int_equal(wcscmp(name, L"Layered WS2 Provider 0x00001234"), 0);
  WCHAR copy[64];
  assert_int_equal(StringCchCopyW(copy, 64, provider_path), S_OK);
  assert_int_equal(_wcsicmp(copy, L"%systemroot%\\SYSTEM32\\MSWSOCK.DLL"), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(wide_literals_are_utf16_code_units),
      cmocka_unit_test(fd_set_macros_are_the_windows_ones),
      cmocka_unit_test(spi_tables_are_declared_and_callable),
      cmocka_unit_test(strsafe_formats_provider_style_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* A provider's entry point, as provider code writes it; never called. */
int WSPAPI WSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                      LPWSAPROTOCOL_INFOW lpProtocolInfo,
                      WSPUPCALLTABLE UpcallTable, LPWSPPROC_TABLE lpProcTable) {
  (void)wVersionRequested;
  (void)lpWSPData;
  (void)lpProtocolInfo;
  (void)UpcallTable;
  (void)lpProcTable;
  return WSAVERNOTSUPPORTED;
}
