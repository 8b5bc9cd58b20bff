/* test_ifs_lsp_conformance.c: fake_ws2's conformance suite over ifs_lsp
 * (installed over memnet's four base entries): an IFS layer that rewrites
 * nothing it is not asked to must keep every Winsock semantic of the base
 * provider. */
#include <winsock2.h>
#include <ws2spi.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fws2/conformance.h>
#include <fws2/fixture.h>
#include <fws2/memnet.h>
#include <wpu/catalog.h>
#include <wpu/modules.h>

#include "ifs_lsp.h"

static const WCHAR lsp_path[] = L"%SystemRoot%\\system32\\ifs_lsp.dll";

static int setup(void **state) {
  if (fws2_world_setup(state) != 0)
    return -1;
  const wpu_export memnet[] = {
      {"WSPStartup", (FARPROC)(void (*)(void))fws2_memnet_WSPStartup}};
  const wpu_export lsp[] = {
      {"WSPStartup", (FARPROC)(void (*)(void))IfsWSPStartup}};
  DWORD rc = wpu_module_register(fws2_memnet_path, memnet, 1, NULL);
  if (rc != 0 && rc != ERROR_BUSY)
    return -1;
  rc = wpu_module_register(lsp_path, lsp, 1, IfsDllMain);
  if (rc != 0 && rc != ERROR_BUSY)
    return -1;
  DWORD base[WPU_CATALOG_STANDARD_COUNT];
  if (wpu_catalog_install_standard(&fws2_memnet_provider_id, fws2_memnet_path,
                                   base) != 0 ||
      wpu_catalog_install_lsp(&ifs_lsp_provider_id, lsp_path, L"ifs_lsp", base,
                              WPU_CATALOG_STANDARD_COUNT, TRUE, NULL,
                              NULL) != 0)
    return -1;
  /* The defaults pick the first visible TCP and UDP entries: the chains. */
  return fws2_conformance_set_options(NULL) == 0 ? 0 : -1;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      FWS2_CONFORMANCE_TESTS(setup, fws2_world_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
