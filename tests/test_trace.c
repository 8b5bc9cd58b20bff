/* test_trace.c: the call trace (fws2/trace.h): what it records, in which
 * order, between which participants, and how it renders. */
#include <winsock2.h>
#include <ws2spi.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fws2/fixture.h>
#include <fws2/trace.h>
#include <wpu/hooks.h>
#include <wpu/modules.h>

#include "doubles_lsp.h"

static void startup(void) {
  WSADATA d;
  assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
}

static void
trace_records_application_front_provider_and_upcalls_in_order(void **state) {
  (void)state;
  dl_install_base();
  assert_int_equal(fws2_trace_start(0, 0), 0);
  startup();
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_not_equal(s, INVALID_SOCKET);
  assert_int_equal(closesocket(s), 0);
  assert_int_equal(WSACleanup(), 0);
  fws2_assert_trace(
      "application>ws2_32:WSAStartup", "application>ws2_32:socket",
      "ws2_32>fws2_memnet:WSPStartup", "ws2_32>fws2_memnet:WSPSocket",
      "fws2_memnet>ws2_32:WPUModifyIFSHandle", "application>ws2_32:closesocket",
      "ws2_32>fws2_memnet:WSPCloseSocket", "application>ws2_32:WSACleanup",
      "ws2_32>fws2_memnet:WSPCleanup");
  /* The socket the provider made is the one the calls name. */
  fws2_trace_event e;
  size_t i = fws2_trace_find(0, "fws2_memnet:WSPCloseSocket");
  assert_int_not_equal(i, FWS2_TRACE_NONE);
  assert_int_equal(fws2_trace_get(i, &e), 0);
  assert_int_equal(e.socket, s);
  assert_int_equal(e.kind, FWS2_TRACE_PROVIDER);
  assert_int_equal(e.thread, GetCurrentThreadId());
  /* Its return follows, with the result. */
  assert_int_equal(fws2_trace_get(i + 1, &e), 0);
  assert_true(e.is_return);
  assert_string_equal(e.name, "WSPCloseSocket");
  assert_int_equal(e.result, 0);
  assert_false(e.failed);
}

static void trace_follows_calls_down_an_lsp_chain(void **state) {
  (void)state;
  dl_install();
  assert_int_equal(fws2_trace_start(0, 0), 0);
  startup();
  SOCKET c, s;
  dl_tcp_pair(&c, &s);
  assert_int_equal(send(c, "hello", 5, 0), 5);
  char buf[8];
  assert_int_equal(recv(s, buf, sizeof buf, 0), 5);
  assert_int_equal(closesocket(c), 0);
  assert_int_equal(closesocket(s), 0);
  assert_int_equal(WSACleanup(), 0);
  /* front -> LSP -> base, and the LSP's own start-up of its next layer. */
  fws2_assert_trace(
      "ws2_32>tiny_lsp:WSPStartup", "tiny_lsp>fws2_memnet:WSPStartup",
      "ws2_32>tiny_lsp:WSPSocket", "tiny_lsp>fws2_memnet:WSPSocket",
      "tiny_lsp>ws2_32:WPUModifyIFSHandle", "application>ws2_32:send",
      "ws2_32>tiny_lsp:WSPSend", "tiny_lsp>fws2_memnet:WSPSend",
      "application>ws2_32:recv", "tiny_lsp>fws2_memnet:WSPRecv",
      "tiny_lsp>fws2_memnet:WSPCleanup");
  /* The send carried its byte count. */
  fws2_trace_event e;
  size_t i = fws2_trace_find(0, "fws2_memnet:WSPSend");
  assert_int_equal(fws2_trace_get(i, &e), 0);
  assert_int_equal(e.arg[0], 5);
}

static void trace_records_readfile_and_writefile_as_front_calls(void **state) {
  (void)state;
  dl_install();
  assert_int_equal(fws2_trace_start(0, 0), 0);
  startup();
  SOCKET c, s;
  dl_tcp_pair(&c, &s);
  DWORD n = 0;
  assert_true(WriteFile((HANDLE)c, "file", 4, &n, NULL));
  char buf[8];
  assert_true(ReadFile((HANDLE)s, buf, sizeof buf, &n, NULL));
  assert_int_equal(n, 4);
  closesocket(c);
  closesocket(s);
  /* An IFS LSP's handle: ReadFile/WriteFile go straight to the base. */
  fws2_assert_trace("application>ws2_32:WriteFile",
                    "ws2_32>fws2_memnet:WSPSend", "application>ws2_32:ReadFile",
                    "ws2_32>fws2_memnet:WSPRecv");
  fws2_trace_event e;
  size_t i = fws2_trace_find(0, "ReadFile");
  assert_int_equal(fws2_trace_get(i, &e), 0);
  assert_int_equal(e.socket, s);
}

static void trace_expect_reports_the_first_missing_call(void **state) {
  (void)state;
  dl_install_base();
  assert_int_equal(fws2_trace_start(0, 0), 0);
  startup();
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  closesocket(s);
  WSACleanup();
  assert_int_equal(fws2_trace_expect("socket", "closesocket", NULL), 0);
  /* Out of order: the second is missing after the first. */
  assert_int_equal(fws2_trace_expect("closesocket", "socket", NULL), 2);
  assert_int_equal(fws2_trace_expect("WSPBind", NULL), 1);
  assert_int_equal(fws2_trace_find(0, "nobody:WSPSocket"), FWS2_TRACE_NONE);
  assert_int_not_equal(fws2_trace_find(0, "fws2_memnet:*"), FWS2_TRACE_NONE);
}

static void trace_records_nothing_before_start_and_after_stop(void **state) {
  (void)state;
  dl_install_base();
  startup(); /* not traced */
  assert_int_equal(fws2_trace_start(0, 0), 0);
  assert_int_equal(fws2_trace_count(), 0);
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  size_t n = fws2_trace_count();
  assert_true(n > 0);
  fws2_trace_stop();
  closesocket(s);
  assert_int_equal(fws2_trace_count(), n);
  assert_int_equal(fws2_trace_find(0, "closesocket"), FWS2_TRACE_NONE);
  fws2_trace_clear();
  assert_int_equal(fws2_trace_count(), 0);
  WSACleanup();
}

static void trace_keeps_the_last_events_when_full(void **state) {
  (void)state;
  dl_install_base();
  assert_int_equal(fws2_trace_start(0, 8), 0);
  startup();
  for (int i = 0; i < 10; i++)
    closesocket(socket(AF_INET, SOCK_STREAM, IPPROTO_TCP));
  assert_int_equal(fws2_trace_count(), 8);
  fws2_trace_event first, last;
  assert_int_equal(fws2_trace_get(0, &first), 0);
  assert_int_equal(fws2_trace_get(7, &last), 0);
  assert_int_equal(last.seq - first.seq, 7);
  assert_int_equal(fws2_trace_get(8, &last), WSAEINVAL);
  WSACleanup();
}

static void trace_records_kernel32_calls_only_when_asked(void **state) {
  (void)state;
  dl_install_base();
  assert_int_equal(fws2_trace_start(0, 0), 0);
  HANDLE e = CreateEventW(NULL, TRUE, FALSE, NULL);
  assert_int_equal(fws2_trace_find(0, "CreateEventW"), FWS2_TRACE_NONE);
  CloseHandle(e);
  assert_int_equal(fws2_trace_start(FWS2_TRACE_WITH_KERNEL32, 0), 0);
  e = CreateEventW(NULL, TRUE, FALSE, NULL);
  size_t i = fws2_trace_find(0, "application>kernel32:CreateEventW");
#ifdef _WIN32
  (void)i; /* kernel32 is Windows' own there: not seen */
#else
  assert_int_not_equal(i, FWS2_TRACE_NONE);
#endif
  CloseHandle(e);
}

static int contains(const char *text, const char *what) {
  return text != NULL && strstr(text, what) != NULL;
}

static void trace_renders_text_mermaid_and_plantuml(void **state) {
  (void)state;
  dl_install();
  assert_int_equal(fws2_trace_start(0, 0), 0);
  startup();
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  closesocket(s);
  WSACleanup();
  char *t = fws2_trace_text(0);
  assert_true(contains(t, "application -> ws2_32 socket"));
  assert_true(contains(t, "ws2_32 -> tiny_lsp WSPSocket"));
  assert_true(contains(t, "tiny_lsp <- fws2_memnet WSPSocket = "));
  fws2_trace_free(t);
  t = fws2_trace_text(2); /* the tail */
  assert_int_equal(strchr(t, '\n') - t + 1 + (int)strlen(strchr(t, '\n') + 1),
                   (int)strlen(t));
  assert_true(contains(t, "WSACleanup") || contains(t, "WSPCleanup"));
  fws2_trace_free(t);
  char *m = fws2_trace_mermaid();
  assert_true(contains(m, "sequenceDiagram\n"));
  assert_true(contains(m, "  participant application as application\n"));
  assert_true(contains(m, "  participant tiny_lsp as tiny_lsp\n"));
  assert_true(contains(m, "  ws2_32->>tiny_lsp: WSPSocket()\n"));
  assert_true(contains(m, "  tiny_lsp->>fws2_memnet: WSPSocket()\n"));
  assert_true(contains(m, "  fws2_memnet-->>tiny_lsp: WSPSocket = "));
  /* Participants in order of appearance: the application first. */
  assert_true(strstr(m, "participant application") <
              strstr(m, "participant ws2_32"));
  assert_true(strstr(m, "participant tiny_lsp") <
              strstr(m, "participant fws2_memnet"));
  fws2_trace_free(m);
  char *p = fws2_trace_plantuml();
  assert_true(contains(p, "@startuml\n"));
  assert_true(contains(p, "participant \"fws2_memnet\" as fws2_memnet\n"));
  assert_true(contains(p, "tiny_lsp -> fws2_memnet : WSPSocket()\n"));
  assert_true(contains(p, "fws2_memnet --> tiny_lsp : WSPSocket = "));
  assert_true(contains(p, "@enduml\n"));
  fws2_trace_free(p);
}

static void trace_save_writes_each_format(void **state) {
  (void)state;
  dl_install_base();
  assert_int_equal(fws2_trace_start(0, 0), 0);
  startup();
  closesocket(socket(AF_INET, SOCK_STREAM, IPPROTO_TCP));
  WSACleanup();
  const char *path = "test_trace_save.mmd";
  assert_int_equal(fws2_trace_save(path, FWS2_TRACE_MERMAID), 0);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  char head[32] = {0};
  assert_true(fread(head, 1, 15, f) == 15);
  fclose(f);
  assert_string_equal(head, "sequenceDiagram");
  remove(path);
  assert_int_equal(fws2_trace_save(NULL, FWS2_TRACE_TEXT), WSAEINVAL);
  assert_int_equal(fws2_trace_save(path, (fws2_trace_format)7), WSAEINVAL);
}

/* ---- A test that failed inside a call, and the hooks under the trace ----
 */

static jmp_buf jump;

static int WSPAPI jump_bind(SOCKET s, const struct sockaddr *name, int len,
                            LPINT err) {
  (void)s;
  (void)name;
  (void)len;
  (void)err;
  longjmp(jump, 1); /* as CMocka's fail() does */
}

static int WSPAPI jump_other(void) {
  return SOCKET_ERROR;
}

static int WSPAPI jump_startup(WORD version, LPWSPDATA data,
                               LPWSAPROTOCOL_INFOW info, WSPUPCALLTABLE up,
                               LPWSPPROC_TABLE procs) {
  (void)version;
  (void)data;
  (void)info;
  (void)up;
  void (**e)(void) = (void (**)(void))procs;
  for (size_t i = 0; i < sizeof *procs / sizeof *e; i++)
    e[i] = (void (*)(void))jump_other;
  procs->lpWSPBind = jump_bind;
  return 0;
}

/* What the next test sees after this one failed: the fixture's teardown
 * and setup, as CMocka runs them. */
static void next_test(void **state) {
  fws2_world_teardown(state);
  assert_int_equal(fws2_world_setup(state), 0);
}

/* Registers fn as the WSPStartup of a module at path, loads it as ws2_32
 * would (so the interposer wraps what it hands out), and starts it with an
 * empty entry and upcall table, the proc table into *procs. Returns the
 * module (FreeLibrary it). */
static HMODULE load_and_start(const WCHAR *path, LPWSPSTARTUP fn,
                              WSPPROC_TABLE *procs) {
  const wpu_export exports[] = {{"WSPStartup", (FARPROC)(void (*)(void))fn}};
  DWORD rc = wpu_module_register(path, exports, 1, NULL);
  assert_true(rc == 0 || rc == ERROR_BUSY);
  HMODULE m = LoadLibraryW(path);
  assert_non_null(m);
  LPWSPSTARTUP start =
      (LPWSPSTARTUP)(void (*)(void))GetProcAddress(m, "WSPStartup");
  WSPDATA data;
  WSAPROTOCOL_INFOW info;
  WSPUPCALLTABLE up;
  memset(&info, 0, sizeof info);
  memset(&up, 0, sizeof up);
  assert_int_equal(start(MAKEWORD(2, 2), &data, &info, up, procs), 0);
  return m;
}

static void
next_test_after_a_failure_inside_a_provider_call_sees_the_application(
    void **state) {
  static const WCHAR path[] = L"%SystemRoot%\\system32\\jump_provider.dll";
  assert_int_equal(fws2_trace_start(0, 0), 0);
  WSPPROC_TABLE procs;
  HMODULE m = load_and_start(path, jump_startup, &procs);
  /* The provider call "fails the test": the thread never returns from it. */
  if (setjmp(jump) == 0) {
    int err;
    procs.lpWSPBind((SOCKET)1, NULL, 0, &err);
    fail_msg("the provider returned");
  }
  assert_int_not_equal(fws2_trace_find(0, "ws2_32>jump_provider:WSPBind"),
                       FWS2_TRACE_NONE);
  FreeLibrary(m);
  next_test(state);
  dl_install_base();
  assert_int_equal(fws2_trace_start(0, 0), 0);
  startup();
  assert_int_equal(WSACleanup(), 0);
  fws2_assert_trace("application>ws2_32:WSAStartup",
                    "application>ws2_32:WSACleanup");
}

static int jumping_enter(wpu_hook_call *c, void *user) {
  (void)user;
  if (c->kind == WPU_HOOK_COMPLETION)
    longjmp(jump, 1); /* a report function that fail()s inside a hook */
  return 0;
}

static void next_test_after_a_hook_jumped_out_is_traced(void **state) {
  wpu_hooks h = {0};
  h.enter = jumping_enter;
  assert_int_equal(wpu_world_set_hooks(*state, &h), 0);
  if (setjmp(jump) == 0) {
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    int err;
    WPUCompleteOverlappedRequest((SOCKET)1, &ov, 0, 0, &err);
    fail_msg("the hook returned");
  }
  next_test(state);
  dl_install_base();
  assert_int_equal(fws2_trace_start(0, 0), 0);
  startup();
  assert_int_equal(WSACleanup(), 0);
  fws2_assert_trace("application>ws2_32:WSAStartup",
                    "application>ws2_32:WSACleanup");
}

/* Hooks removed and installed again while other threads report calls:
 * every hook call sees a whole set of hooks (TSan checks the rest). */
typedef struct hook_counts {
  LONG enters, exits;
  HANDLE seen; /* set at the first enter */
} hook_counts;

static int counting_enter(wpu_hook_call *c, void *user) {
  (void)c;
  hook_counts *n = user;
  InterlockedIncrement(&n->enters);
  SetEvent(n->seen);
  return 0;
}

static void counting_exit(wpu_hook_call *c, void *user) {
  (void)c;
  InterlockedIncrement(&((hook_counts *)user)->exits);
}

static volatile LONG stop_reporting;

static DWORD WINAPI reporter(LPVOID arg) {
  (void)arg;
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  while (InterlockedCompareExchange(&stop_reporting, 0, 0) == 0) {
    int err;
    /* No such socket: reported to the hooks, then fails. */
    WPUCompleteOverlappedRequest((SOCKET)1, &ov, 0, 0, &err);
  }
  return 0;
}

static void hooks_removed_while_other_threads_report_calls(void **state) {
  hook_counts counts = {0, 0, CreateEventW(NULL, TRUE, FALSE, NULL)};
  assert_non_null(counts.seen);
  wpu_hooks h = {0};
  h.enter = counting_enter;
  h.exit = counting_exit;
  h.user = &counts;
  InterlockedExchange(&stop_reporting, 0);
  HANDLE t[2];
  for (int i = 0; i < 2; i++) {
    t[i] = CreateThread(NULL, 0, reporter, NULL, 0, NULL);
    assert_non_null(t[i]);
  }
  /* The threads report to the hooks. */
  assert_int_equal(wpu_world_set_hooks(*state, &h), 0);
  assert_int_equal(WaitForSingleObject(counts.seen, 30000), WAIT_OBJECT_0);
  for (int i = 0; i < 2000; i++) {
    assert_int_equal(wpu_world_set_hooks(*state, &h), 0);
    assert_int_equal(wpu_world_set_hooks(*state, NULL), 0);
  }
  /* Removed: nothing runs the hooks now, whatever the threads do. */
  LONG enters = InterlockedCompareExchange(&counts.enters, 0, 0);
  LONG exits = InterlockedCompareExchange(&counts.exits, 0, 0);
  assert_true(exits <= enters);
  InterlockedExchange(&stop_reporting, 1);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(WaitForSingleObject(t[i], 30000), WAIT_OBJECT_0);
    CloseHandle(t[i]);
  }
  assert_int_equal(InterlockedCompareExchange(&counts.enters, 0, 0), enters);
  CloseHandle(counts.seen);
}

/* Starts the provider at path (jump_startup's) through the module lookup,
 * so the interposer names it after the file. */
static void start_at(const WCHAR *path) {
  WSPPROC_TABLE procs;
  FreeLibrary(load_and_start(path, jump_startup, &procs));
}

static void
diagram_ids_differ_for_names_that_differ_in_punctuation(void **state) {
  (void)state;
  assert_int_equal(fws2_trace_start(0, 0), 0);
  static const WCHAR dash[] = L"%SystemRoot%\\system32\\my-lsp.dll";
  static const WCHAR under[] = L"%SystemRoot%\\system32\\my_lsp.dll";
  start_at(dash);
  start_at(under);
  char *m = fws2_trace_mermaid();
  assert_non_null(m);
  const char *a = strstr(m, "  participant my_lsp as my-lsp\n");
  const char *b = strstr(m, "  participant my_lsp_");
  if (a == NULL || b == NULL || strstr(b, " as my_lsp\n") == NULL)
    fail_msg("ids not distinct:\n%s", m);
  fws2_trace_free(m);
}

/* A provider started again (same table) while another thread calls it:
 * the interposer's slot is not rewritten under the running thunks (TSan
 * checks). */
static int WSPAPI failing_bind(SOCKET s, const struct sockaddr *name, int len,
                               LPINT err) {
  (void)s;
  (void)name;
  (void)len;
  *err = WSAENOTSOCK;
  return SOCKET_ERROR;
}

static int WSPAPI failing_startup(WORD version, LPWSPDATA data,
                                  LPWSAPROTOCOL_INFOW info, WSPUPCALLTABLE up,
                                  LPWSPPROC_TABLE procs) {
  int rc = jump_startup(version, data, info, up, procs);
  procs->lpWSPBind = failing_bind;
  return rc;
}

static WSPPROC_TABLE racing_procs;
static volatile LONG racing_stop;
static HANDLE racing_started;

static DWORD WINAPI racing_caller(LPVOID arg) {
  (void)arg;
  /* A thread with no call of ours: the caller is the provider's loader. */
  do {
    int err = 0;
    if (racing_procs.lpWSPBind((SOCKET)1, NULL, 0, &err) != SOCKET_ERROR ||
        err != WSAENOTSOCK)
      return 1;
    SetEvent(racing_started);
  } while (InterlockedCompareExchange(&racing_stop, 0, 0) == 0);
  return 0;
}

static void provider_started_again_while_another_thread_calls_it(void **state) {
  (void)state;
  static const WCHAR path[] = L"%SystemRoot%\\system32\\racing_provider.dll";
  assert_int_equal(fws2_trace_start(0, 0), 0);
  HMODULE m = load_and_start(path, failing_startup, &racing_procs);
  /* Started again, as ws2_32 does for each of a provider's entries. */
  LPWSPSTARTUP start =
      (LPWSPSTARTUP)(void (*)(void))GetProcAddress(m, "WSPStartup");
  WSPDATA data;
  WSAPROTOCOL_INFOW info;
  WSPUPCALLTABLE up;
  memset(&info, 0, sizeof info);
  memset(&up, 0, sizeof up);
  InterlockedExchange(&racing_stop, 0);
  racing_started = CreateEventW(NULL, TRUE, FALSE, NULL);
  assert_non_null(racing_started);
  HANDLE t = CreateThread(NULL, 0, racing_caller, NULL, 0, NULL);
  assert_non_null(t);
  assert_int_equal(WaitForSingleObject(racing_started, 30000), WAIT_OBJECT_0);
  for (int i = 0; i < 500; i++) {
    WSPPROC_TABLE again;
    assert_int_equal(start(MAKEWORD(2, 2), &data, &info, up, &again), 0);
    assert_memory_equal(&again, &racing_procs, sizeof again);
  }
  InterlockedExchange(&racing_stop, 1);
  assert_int_equal(WaitForSingleObject(t, 30000), WAIT_OBJECT_0);
  DWORD code = 1;
  assert_true(GetExitCodeThread(t, &code));
  assert_int_equal(code, 0);
  CloseHandle(t);
  CloseHandle(racing_started);
  FreeLibrary(m);
  /* The worker's calls came from who started the provider. */
  assert_int_not_equal(fws2_trace_find(0, "ws2_32>racing_provider:WSPBind"),
                       FWS2_TRACE_NONE);
}

int main(void) {
#define T(name)                                                                \
  cmocka_unit_test_setup_teardown(name, fws2_world_setup, fws2_world_teardown)
  const struct CMUnitTest tests[] = {
      T(trace_records_application_front_provider_and_upcalls_in_order),
      T(trace_follows_calls_down_an_lsp_chain),
      T(trace_records_readfile_and_writefile_as_front_calls),
      T(trace_expect_reports_the_first_missing_call),
      T(trace_records_nothing_before_start_and_after_stop),
      T(trace_keeps_the_last_events_when_full),
      T(trace_records_kernel32_calls_only_when_asked),
      T(trace_renders_text_mermaid_and_plantuml),
      T(trace_save_writes_each_format),
      T(next_test_after_a_failure_inside_a_provider_call_sees_the_application),
      T(next_test_after_a_hook_jumped_out_is_traced),
      T(hooks_removed_while_other_threads_report_calls),
      T(diagram_ids_differ_for_names_that_differ_in_punctuation),
      T(provider_started_again_while_another_thread_calls_it),
  };
#undef T
  return cmocka_run_group_tests(tests, NULL, NULL);
}
