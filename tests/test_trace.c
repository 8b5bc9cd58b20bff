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
  };
#undef T
  return cmocka_run_group_tests(tests, NULL, NULL);
}
