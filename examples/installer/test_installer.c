/* test_installer.c: the LSP installer against the emulated catalog (memnet's
 * four base entries): the entries it adds (hidden dummy, chains, order,
 * names, flags), removal restoring the catalog, stacking [D2, D1, base] and
 * removing either layer of a stack, and its error paths. */
#include <winsock2.h>
#include <ws2spi.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fws2/fixture.h>
#include <fws2/memnet.h>
#include <wpu/catalog.h>
#include <wpu/wpu.h>

#include "installer.h"

static const WCHAR lsp_path[] = L"%SystemRoot%\\system32\\some_lsp.dll";
static const GUID lsp1 = {
    0x51a0c000, 0x1111, 0x4aaa, {0x81, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 1}};
static const GUID lsp2 = {
    0x51a0d000, 0x2222, 0x4bbb, {0x82, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 2}};
static const lspinst_protocol four[4] = {{AF_INET, SOCK_STREAM, IPPROTO_TCP},
                                         {AF_INET, SOCK_DGRAM, IPPROTO_UDP},
                                         {AF_INET6, SOCK_STREAM, IPPROTO_TCP},
                                         {AF_INET6, SOCK_DGRAM, IPPROTO_UDP}};
static DWORD base[WPU_CATALOG_STANDARD_COUNT];

static int setup(void **state) {
  if (fws2_world_setup(state) != 0)
    return -1;
  return wpu_catalog_install_standard(&fws2_memnet_provider_id,
                                      fws2_memnet_path, base) == 0
             ? 0
             : -1;
}

typedef struct snapshot {
  WSAPROTOCOL_INFOW *e;
  size_t n;
} snapshot;

static snapshot take(void) {
  snapshot s;
  assert_int_equal(lspinst_enum(&s.e, &s.n), 0);
  return s;
}

static void assert_same(snapshot a, snapshot b) {
  assert_int_equal(a.n, b.n);
  assert_memory_equal(a.e, b.e, a.n * sizeof *a.e);
  free(a.e);
  free(b.e);
}

static GUID offset_guid(const GUID *g, unsigned long k) {
  GUID r = *g;
  r.Data1 += k;
  return r;
}

static size_t wlen(const WCHAR *s) {
  size_t n = 0;
  while (s[n] != 0)
    n++;
  return n;
}

/* Installs lsp over the top entries of the four protocols. */
static void install_over_top(const GUID *lsp, const WCHAR *name, BOOL base_only,
                             DWORD *dummy, DWORD chains[4]) {
  DWORD lower[4];
  assert_int_equal(lspinst_select(four, 4, base_only, lower), 0);
  assert_int_equal(
      lspinst_install(lsp, lsp_path, name, 0, lower, 4, dummy, chains), 0);
}

/* ---- Installing ---- */

static void install_adds_a_hidden_dummy_and_chains_ordered_first(void **state) {
  (void)state;
  DWORD lower[4], dummy = 0, chains[4];
  assert_int_equal(lspinst_select(four, 4, TRUE, lower), 0);
  assert_memory_equal(lower, base, sizeof base);
  assert_int_equal(lspinst_install(&lsp1, lsp_path, L"Layer one", 0, lower, 4,
                                   &dummy, chains),
                   0);
  snapshot s = take();
  assert_int_equal(s.n, 9);
  for (int i = 0; i < 4; i++) {
    const WSAPROTOCOL_INFOW *c = &s.e[i], *b = &s.e[4 + i];
    assert_int_equal(c->dwCatalogEntryId, chains[i]);
    assert_int_equal(b->dwCatalogEntryId, base[i]);
    assert_int_equal(c->ProtocolChain.ChainLen, 2);
    assert_int_equal(c->ProtocolChain.ChainEntries[0], dummy);
    assert_int_equal(c->ProtocolChain.ChainEntries[1], base[i]);
    GUID g = offset_guid(&lsp1, (unsigned long)i + 1);
    assert_memory_equal(&c->ProviderId, &g, sizeof g);
    assert_int_equal(c->iAddressFamily, b->iAddressFamily);
    assert_int_equal(c->iSocketType, b->iSocketType);
    assert_int_equal(c->iProtocol, b->iProtocol);
    assert_int_equal(c->dwProviderFlags & PFL_HIDDEN, 0);
    assert_int_equal(c->dwServiceFlags1 & XP1_IFS_HANDLES, 0); /* non-IFS */
    WCHAR want[WSAPROTOCOL_LEN + 1] = L"Layer one over [";
    size_t k = wlen(want);
    memcpy(want + k, b->szProtocol, wlen(b->szProtocol) * sizeof(WCHAR));
    k += wlen(b->szProtocol);
    want[k++] = ']';
    want[k] = 0;
    assert_memory_equal(c->szProtocol, want, (k + 1) * sizeof(WCHAR));
  }
  const WSAPROTOCOL_INFOW *d = &s.e[8];
  assert_int_equal(d->dwCatalogEntryId, dummy);
  assert_int_equal(d->ProtocolChain.ChainLen, LAYERED_PROTOCOL);
  assert_true(d->dwProviderFlags & PFL_HIDDEN);
  assert_int_equal(d->dwProviderFlags & PFL_MATCHES_PROTOCOL_ZERO, 0);
  assert_int_equal(d->iSocketType, 0);
  assert_int_equal(d->iProtocol, 0);
  assert_memory_equal(&d->ProviderId, &lsp1, sizeof lsp1);
  DWORD found = 0;
  assert_int_equal(lspinst_find(&lsp1, &found), 0);
  assert_int_equal(found, dummy);
  free(s.e);
}

static void an_ifs_install_sets_xp1_ifs_handles(void **state) {
  (void)state;
  DWORD dummy = 0, chains[2];
  assert_int_equal(lspinst_install(&lsp1, lsp_path, L"ifs", LSPINST_IFS, base,
                                   2, &dummy, chains),
                   0);
  WSAPROTOCOL_INFOW e;
  assert_int_equal(wpu_catalog_get(dummy, &e, NULL, 0), 0);
  assert_true(e.dwServiceFlags1 & XP1_IFS_HANDLES);
  for (int i = 0; i < 2; i++) {
    WCHAR path[MAX_PATH];
    assert_int_equal(wpu_catalog_get(chains[i], &e, path, MAX_PATH), 0);
    assert_true(e.dwServiceFlags1 & XP1_IFS_HANDLES);
    assert_memory_equal(path, lsp_path, sizeof lsp_path);
  }
}

static void select_picks_the_chains_once_installed(void **state) {
  (void)state;
  DWORD chains[4], top[4], bottom[4];
  install_over_top(&lsp1, L"one", TRUE, NULL, chains);
  assert_int_equal(lspinst_select(four, 4, FALSE, top), 0);
  assert_memory_equal(top, chains, sizeof top);
  assert_int_equal(lspinst_select(four, 4, TRUE, bottom), 0);
  assert_memory_equal(bottom, base, sizeof bottom);
}

static void uninstall_restores_the_original_catalog(void **state) {
  (void)state;
  snapshot before = take();
  DWORD chains[4];
  install_over_top(&lsp1, L"one", TRUE, NULL, chains);
  assert_int_equal(lspinst_uninstall(&lsp1), 0);
  assert_same(before, take());
  DWORD d;
  assert_int_equal(lspinst_find(&lsp1, &d), WSASERVICE_NOT_FOUND);
}

/* ---- Stacking ---- */

static void stacking_a_second_lsp_gives_d2_d1_base_chains_first(void **state) {
  (void)state;
  DWORD d1, c1[4], d2, c2[4];
  install_over_top(&lsp1, L"one", TRUE, &d1, c1);
  install_over_top(&lsp2, L"two", FALSE, &d2, c2); /* over one's chains */
  snapshot s = take();
  assert_int_equal(s.n, 4 + 5 + 5);
  for (int i = 0; i < 4; i++) {
    const WSAPROTOCOLCHAIN *c = &s.e[i].ProtocolChain;
    assert_int_equal(s.e[i].dwCatalogEntryId, c2[i]);
    assert_int_equal(c->ChainLen, 3);
    assert_int_equal(c->ChainEntries[0], d2);
    assert_int_equal(c->ChainEntries[1], d1);
    assert_int_equal(c->ChainEntries[2], base[i]);
    assert_int_equal(s.e[4 + i].dwCatalogEntryId, c1[i]);
    assert_int_equal(s.e[8 + i].dwCatalogEntryId, base[i]);
  }
  free(s.e);
  DWORD top[4];
  assert_int_equal(lspinst_select(four, 4, FALSE, top), 0);
  assert_memory_equal(top, c2, sizeof top);
}

static void
removing_the_upper_lsp_leaves_the_lower_one_as_it_was(void **state) {
  (void)state;
  DWORD c1[4], c2[4];
  install_over_top(&lsp1, L"one", TRUE, NULL, c1);
  snapshot one = take();
  install_over_top(&lsp2, L"two", FALSE, NULL, c2);
  assert_int_equal(lspinst_uninstall(&lsp2), 0);
  assert_same(one, take());
}

static void removing_the_lower_lsp_rewrites_the_upper_chains(void **state) {
  (void)state;
  snapshot before = take();
  DWORD d1, c1[4], d2, c2[4];
  install_over_top(&lsp1, L"one", TRUE, &d1, c1);
  install_over_top(&lsp2, L"two", FALSE, &d2, c2);
  assert_int_equal(lspinst_uninstall(&lsp1), 0);
  snapshot s = take();
  assert_int_equal(s.n, 4 + 5);
  for (int i = 0; i < 4; i++) {
    const WSAPROTOCOLCHAIN *c = &s.e[i].ProtocolChain;
    assert_int_equal(s.e[i].dwCatalogEntryId, c2[i]);
    assert_int_equal(c->ChainLen, 2);
    assert_int_equal(c->ChainEntries[0], d2);
    assert_int_equal(c->ChainEntries[1], base[i]);
    assert_int_equal(c->ChainEntries[2], 0);
  }
  free(s.e);
  assert_int_equal(lspinst_uninstall(&lsp2), 0);
  assert_same(before, take());
}

/* ---- Errors ---- */

static void installing_the_same_lsp_twice_fails_with_wsaealready(void **state) {
  (void)state;
  DWORD chains[4];
  install_over_top(&lsp1, L"one", TRUE, NULL, chains);
  snapshot before = take();
  assert_int_equal(
      lspinst_install(&lsp1, lsp_path, L"again", 0, base, 4, NULL, NULL),
      WSAEALREADY);
  assert_same(before, take());
}

static void
removing_what_is_not_installed_fails_with_wsaservice_not_found(void **state) {
  (void)state;
  snapshot before = take();
  assert_int_equal(lspinst_uninstall(&lsp2), WSASERVICE_NOT_FOUND);
  /* A base provider's GUID is no LSP either. */
  assert_int_equal(lspinst_uninstall(&fws2_memnet_provider_id),
                   WSASERVICE_NOT_FOUND);
  assert_int_equal(lspinst_uninstall(NULL), WSAEFAULT);
  assert_same(before, take());
}

static void install_rejects_bad_lower_entries(void **state) {
  (void)state;
  DWORD d1, c1[4];
  install_over_top(&lsp1, L"one", TRUE, &d1, c1);
  snapshot before = take();
  DWORD unknown[] = {base[0], 999999};
  DWORD dummy[] = {d1};
  DWORD twice[] = {base[1], base[1]};
  assert_int_equal(
      lspinst_install(&lsp2, lsp_path, L"two", 0, unknown, 2, NULL, NULL),
      WSAEINVAL);
  assert_int_equal(
      lspinst_install(&lsp2, lsp_path, L"two", 0, dummy, 1, NULL, NULL),
      WSAEINVAL);
  assert_int_equal(
      lspinst_install(&lsp2, lsp_path, L"two", 0, twice, 2, NULL, NULL),
      WSAEINVAL);
  assert_int_equal(
      lspinst_install(&lsp2, lsp_path, L"two", 0, base, 0, NULL, NULL),
      WSAEINVAL);
  assert_int_equal(
      lspinst_install(&lsp2, lsp_path, L"", 0, base, 1, NULL, NULL), WSAEINVAL);
  assert_int_equal(
      lspinst_install(NULL, lsp_path, L"two", 0, base, 1, NULL, NULL),
      WSAEFAULT);
  assert_same(before, take());
}

static void
install_refuses_chains_longer_than_max_protocol_chain(void **state) {
  (void)state;
  /* Six LSPs stacked over TCP/IPv4 make a chain of MAX_PROTOCOL_CHAIN. */
  DWORD lower = base[0];
  for (unsigned long k = 0; k < MAX_PROTOCOL_CHAIN - 1; k++) {
    GUID g = offset_guid(&lsp1, 0x100 * k);
    DWORD chain = 0;
    WCHAR name[] = L"layer 0";
    name[6] = (WCHAR)('0' + k);
    assert_int_equal(
        lspinst_install(&g, lsp_path, name, 0, &lower, 1, NULL, &chain), 0);
    lower = chain;
  }
  WSAPROTOCOL_INFOW e;
  assert_int_equal(wpu_catalog_get(lower, &e, NULL, 0), 0);
  assert_int_equal(e.ProtocolChain.ChainLen, MAX_PROTOCOL_CHAIN);
  snapshot before = take();
  assert_int_equal(
      lspinst_install(&lsp2, lsp_path, L"too deep", 0, &lower, 1, NULL, NULL),
      WSANO_RECOVERY);
  assert_same(before, take());
}

static void a_failed_install_leaves_nothing_behind(void **state) {
  (void)state;
  /* Another provider already uses the GUID the second chain would get. */
  GUID taken = offset_guid(&lsp1, 2);
  WSAPROTOCOL_INFOW b;
  assert_int_equal(fws2_memnet_protocol_info(AF_INET, SOCK_STREAM, &b), 0);
  b.ProviderId = taken;
  int err = 0;
  assert_int_equal(WSCInstallProvider(&taken, (WCHAR *)lsp_path, &b, 1, &err),
                   0);
  snapshot before = take();
  assert_int_not_equal(
      lspinst_install(&lsp1, lsp_path, L"one", 0, base, 2, NULL, NULL), 0);
  assert_same(before, take());
  /* A path the catalog refuses (longer than MAX_PATH) fails at the dummy. */
  WCHAR longpath[MAX_PATH + 8];
  for (size_t i = 0; i < MAX_PATH + 7; i++)
    longpath[i] = 'a';
  longpath[MAX_PATH + 7] = 0;
  before = take();
  assert_int_equal(
      lspinst_install(&lsp2, longpath, L"two", 0, base, 1, NULL, NULL),
      WSAEINVAL);
  assert_same(before, take());
}

static void select_fails_for_a_protocol_without_entries(void **state) {
  (void)state;
  const lspinst_protocol raw[] = {{AF_INET, SOCK_STREAM, IPPROTO_TCP},
                                  {AF_INET, SOCK_RAW, IPPROTO_ICMP}};
  DWORD ids[2];
  assert_int_equal(lspinst_select(raw, 2, FALSE, ids), WSAEPROTONOSUPPORT);
  assert_int_equal(lspinst_select(NULL, 2, FALSE, ids), WSAEFAULT);
}

static void an_ifs_lsp_over_a_non_ifs_lsp_is_refused(void **state) {
  (void)state;
  DWORD d1, c1[4], top[4], d2, c2[4];
  install_over_top(&lsp1, L"non-ifs", TRUE, &d1, c1); /* flags 0 */
  snapshot before = take();
  assert_int_equal(lspinst_select(four, 4, FALSE, top), 0);
  assert_int_equal(
      lspinst_install(&lsp2, lsp_path, L"ifs", LSPINST_IFS, top, 4, NULL, NULL),
      WSAEINVAL);
  assert_same(before, take()); /* nothing installed */
  /* Over the base entries it may go (below the non-IFS one's chains is the
   * installer's business: here simply beside them). */
  assert_int_equal(lspinst_select(four, 4, TRUE, top), 0);
  assert_int_equal(
      lspinst_install(&lsp2, lsp_path, L"ifs", LSPINST_IFS, top, 4, &d2, c2),
      0);
}

static void an_ifs_lsp_over_an_ifs_lsp_is_accepted(void **state) {
  (void)state;
  DWORD lower[4], d1, c1[4], d2, c2[4];
  assert_int_equal(lspinst_select(four, 4, TRUE, lower), 0);
  assert_int_equal(
      lspinst_install(&lsp1, lsp_path, L"ifs1", LSPINST_IFS, lower, 4, &d1, c1),
      0);
  assert_int_equal(lspinst_select(four, 4, FALSE, lower), 0);
  assert_int_equal(
      lspinst_install(&lsp2, lsp_path, L"ifs2", LSPINST_IFS, lower, 4, &d2, c2),
      0);
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fws2_world_teardown)
  const struct CMUnitTest tests[] = {
      T(install_adds_a_hidden_dummy_and_chains_ordered_first),
      T(an_ifs_install_sets_xp1_ifs_handles),
      T(select_picks_the_chains_once_installed),
      T(uninstall_restores_the_original_catalog),
      T(stacking_a_second_lsp_gives_d2_d1_base_chains_first),
      T(removing_the_upper_lsp_leaves_the_lower_one_as_it_was),
      T(removing_the_lower_lsp_rewrites_the_upper_chains),
      T(installing_the_same_lsp_twice_fails_with_wsaealready),
      T(removing_what_is_not_installed_fails_with_wsaservice_not_found),
      T(install_rejects_bad_lower_entries),
      T(install_refuses_chains_longer_than_max_protocol_chain),
      T(a_failed_install_leaves_nothing_behind),
      T(select_fails_for_a_protocol_without_entries),
      T(an_ifs_lsp_over_a_non_ifs_lsp_is_refused),
      T(an_ifs_lsp_over_an_ifs_lsp_is_accepted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
