/* test_conformance.c: the conformance suite (fws2/conformance.h). memnet
 * alone, and memnet under a pass-through LSP of either kind
 * (passthru_lsp.c), pass every check; the LSP with one deliberate breakage
 * makes the check of that rule fail with a message that says what was
 * expected and what happened. The last group runs the checks as CMocka
 * tests (FWS2_CONFORMANCE_TESTS) over the non-IFS LSP. */
#include <winsock2.h>
#include <ws2spi.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <fws2/conformance.h>
#include <fws2/fixture.h>
#include <fws2/memnet.h>
#include <wpu/catalog.h>
#include <wpu/modules.h>
#include <wpu/wpu.h>

#include "passthru_lsp.h"

/* Breakages fail at once or after this many ms of waiting. */
#define BROKEN_WAIT_MS 300

static DWORD base_ids[WPU_CATALOG_STANDARD_COUNT];

static int install_memnet(void) {
  const wpu_export ex[] = {
      {"WSPStartup", (FARPROC)(void (*)(void))fws2_memnet_WSPStartup}};
  DWORD rc = wpu_module_register(fws2_memnet_path, ex, 1, NULL);
  if (rc != 0 && rc != ERROR_BUSY)
    return -1;
  return wpu_catalog_install_standard(&fws2_memnet_provider_id,
                                      fws2_memnet_path, base_ids) == 0
             ? 0
             : -1;
}

static int install_lsp(BOOL ifs) {
  const wpu_export ex[] = {
      {"WSPStartup", ifs ? (FARPROC)(void (*)(void))pt_ifs_WSPStartup
                         : (FARPROC)(void (*)(void))pt_nonifs_WSPStartup}};
  const WCHAR *path = ifs ? pt_ifs_path : pt_nonifs_path;
  DWORD rc = wpu_module_register(path, ex, 1, NULL);
  if (rc != 0 && rc != ERROR_BUSY)
    return -1;
  return wpu_catalog_install_lsp(
             ifs ? &pt_ifs_id : &pt_nonifs_id, path, L"passthru lsp", base_ids,
             WPU_CATALOG_STANDARD_COUNT, ifs, NULL, NULL) == 0
             ? 0
             : -1;
}

static int setup_memnet(void **state) {
  pt_breakage = PT_BREAK_NONE;
  if (fws2_world_setup(state) != 0)
    return -1;
  return install_memnet();
}

static int setup_ifs(void **state) {
  return setup_memnet(state) == 0 ? install_lsp(TRUE) : -1;
}

static int setup_nonifs(void **state) {
  return setup_memnet(state) == 0 ? install_lsp(FALSE) : -1;
}

static int teardown(void **state) {
  pt_breakage = PT_BREAK_NONE;
  return fws2_world_teardown(state);
}

/* ---- Conforming providers pass ---- */

static void expect_all_pass(void) {
  fws2_conformance_options o;
  memset(&o, 0, sizeof o);
  fws2_conformance_result r[32];
  int failed = fws2_conformance_run(&o, r, 32);
  for (size_t i = 0; i < fws2_conformance_count(); i++)
    if (r[i].status == FWS2_CONFORMANCE_FAIL)
      print_message("%s: %s\n", r[i].name, r[i].message);
  assert_int_equal(failed, 0);
  for (size_t i = 0; i < fws2_conformance_count(); i++) {
    assert_string_equal(r[i].name, fws2_conformance_name(i));
    assert_int_equal(r[i].status, FWS2_CONFORMANCE_PASS);
  }
}

static void memnet_passes_every_check(void **state) {
  (void)state;
  expect_all_pass();
}

static void
an_ifs_passthrough_lsp_over_memnet_passes_every_check(void **state) {
  (void)state;
  expect_all_pass();
}

static void
a_non_ifs_passthrough_lsp_over_memnet_passes_every_check(void **state) {
  (void)state;
  expect_all_pass();
  assert_true(pt_lower_data_calls() > 0); /* the layer was in the path */
}

static void
only_runs_the_named_checks_and_unknown_names_are_refused(void **state) {
  (void)state;
  fws2_conformance_options o;
  memset(&o, 0, sizeof o);
  o.only = "overlapped_";
  o.quiet = TRUE;
  fws2_conformance_result r[8];
  memset(r, 0, sizeof r);
  assert_int_equal(fws2_conformance_run(&o, r, 8), 0);
  assert_string_equal(r[0].name, "overlapped_event");
  assert_string_equal(r[2].name, "overlapped_port");
  assert_null(r[3].name);
  assert_int_equal(fws2_conformance_check("no_such_check", &o, r), -1);
  assert_null(fws2_conformance_name(fws2_conformance_count()));
}

static void a_missing_entry_fails_with_a_message(void **state) {
  (void)state;
  fws2_conformance_options o;
  memset(&o, 0, sizeof o);
  o.tcp_entry = 999999;
  o.quiet = TRUE;
  fws2_conformance_result r;
  assert_int_equal(fws2_conformance_check("stream", &o, &r), 1);
  assert_non_null(strstr(r.message, "no TCP/IPv4 entry"));
}

/* ---- A breakage fails its check ---- */

static void expect_failure(pt_break b, const char *check, const char *text) {
  pt_breakage = b;
  fws2_conformance_options o;
  memset(&o, 0, sizeof o);
  o.wait_ms = BROKEN_WAIT_MS;
  fws2_conformance_result r;
  assert_int_equal(fws2_conformance_check(check, &o, &r), 1);
  assert_int_equal(r.status, FWS2_CONFORMANCE_FAIL);
  if (strstr(r.message, text) == NULL)
    fail_msg("%s: expected a message containing \"%s\"; got \"%s\"", check,
             text, r.message);
  pt_breakage = PT_BREAK_NONE;
}

#define BROKEN(name, kind, b, check, text)                                     \
  static void name(void **state) {                                             \
    (void)state;                                                               \
    expect_failure(b, check, text);                                            \
  }
#define BROKEN_TEST(name, kind)                                                \
  cmocka_unit_test_setup_teardown(name, setup_##kind, teardown)

BROKEN(catalog_fails_when_an_ifs_lsp_keeps_the_base_entry, ifs,
       PT_BREAK_NO_MODIFY, "catalog", "must dispatch to that entry")
BROKEN(stream_fails_when_a_layer_drops_bytes, nonifs, PT_BREAK_DROP_BYTE,
       "stream", "must receive \"first-second-third\"")
BROKEN(stream_fails_when_a_layer_reorders_buffers, ifs, PT_BREAK_REORDER,
       "stream", "it received \"thirdsecond-first-\"")
BROKEN(datagram_fails_when_the_source_is_not_reported, nonifs,
       PT_BREAK_DGRAM_FROM, "datagram", "must report the source 127.0.0.1")
BROKEN(overlapped_event_fails_when_requests_never_complete, nonifs,
       PT_BREAK_NEVER_COMPLETE, "overlapped_event",
       "expected the pending WSARecv's event within 300 ms")
BROKEN(overlapped_routine_fails_when_the_routine_runs_on_another_thread, nonifs,
       PT_BREAK_ROUTINE_DIRECT, "overlapped_routine",
       "not on the thread that issued the WSARecv")
BROKEN(overlapped_port_fails_when_completions_skip_the_port, nonifs,
       PT_BREAK_NO_PORT, "overlapped_port",
       "expected a completion packet for the WSARecv within 300 ms")
BROKEN(select_fails_when_every_socket_is_reported_ready, nonifs,
       PT_BREAK_SELECT_ALL, "select",
       "must not report a socket readable before any data came")
BROKEN(event_select_fails_when_events_are_not_reported, nonifs,
       PT_BREAK_ENUM_NOTHING, "event_select", "expected FD_READ with error 0")
BROKEN(async_select_fails_when_messages_carry_the_lower_handle, nonifs,
       PT_BREAK_ASYNC_LOWER, "async_select", "wParam must be the application")
BROKEN(conditional_accept_fails_when_the_condition_is_ignored, nonifs,
       PT_BREAK_IGNORE_CONDITION, "conditional_accept",
       "returns CF_REJECT must fail with WSAECONNREFUSED; it returned a socket")
BROKEN(close_inflight_fails_when_aborted_requests_never_complete, nonifs,
       PT_BREAK_DROP_ABORTED, "close_inflight", "must end it")
#ifndef _WIN32
BROKEN(readfile_fails_for_an_ifs_layer_that_changes_data, ifs, PT_BREAK_XOR,
       "readfile_writefile", "bypassing a layer that changes data")
#endif

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(memnet_passes_every_check, setup_memnet,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          an_ifs_passthrough_lsp_over_memnet_passes_every_check, setup_ifs,
          teardown),
      cmocka_unit_test_setup_teardown(
          a_non_ifs_passthrough_lsp_over_memnet_passes_every_check,
          setup_nonifs, teardown),
      cmocka_unit_test_setup_teardown(
          only_runs_the_named_checks_and_unknown_names_are_refused,
          setup_memnet, teardown),
      cmocka_unit_test_setup_teardown(a_missing_entry_fails_with_a_message,
                                      setup_memnet, teardown),
      BROKEN_TEST(catalog_fails_when_an_ifs_lsp_keeps_the_base_entry, ifs),
      BROKEN_TEST(stream_fails_when_a_layer_drops_bytes, nonifs),
      BROKEN_TEST(stream_fails_when_a_layer_reorders_buffers, ifs),
      BROKEN_TEST(datagram_fails_when_the_source_is_not_reported, nonifs),
      BROKEN_TEST(overlapped_event_fails_when_requests_never_complete, nonifs),
      BROKEN_TEST(
          overlapped_routine_fails_when_the_routine_runs_on_another_thread,
          nonifs),
      BROKEN_TEST(overlapped_port_fails_when_completions_skip_the_port, nonifs),
      BROKEN_TEST(select_fails_when_every_socket_is_reported_ready, nonifs),
      BROKEN_TEST(event_select_fails_when_events_are_not_reported, nonifs),
      BROKEN_TEST(async_select_fails_when_messages_carry_the_lower_handle,
                  nonifs),
      BROKEN_TEST(conditional_accept_fails_when_the_condition_is_ignored,
                  nonifs),
      BROKEN_TEST(close_inflight_fails_when_aborted_requests_never_complete,
                  nonifs),
#ifndef _WIN32
      BROKEN_TEST(readfile_fails_for_an_ifs_layer_that_changes_data, ifs),
#endif
  };
  const struct CMUnitTest as_cmocka[] = {
      FWS2_CONFORMANCE_TESTS(setup_nonifs, teardown),
  };
  int failed = cmocka_run_group_tests_name("conformance", tests, NULL, NULL);
  failed += cmocka_run_group_tests_name("conformance_as_cmocka_tests",
                                        as_cmocka, NULL, NULL);
  return failed;
}
