/* test_checker.c: the SPI contract checker (fws2/checker.h). Each rule is
 * broken on purpose by bad_lsp, a small layered provider over memnet
 * written in this file, and the violation is captured through the report
 * hook; correct providers (memnet, tiny_lsp, bad_lsp with no breakage) stay
 * quiet under the default report, which would fail the test. */
#include <winsock2.h>
#include <ws2spi.h>
#include <ws2tcpip.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <fws2/checker.h>
#include <fws2/fixture.h>
#include <fws2/front.h>
#include <fws2/trace.h>
#include <wpu/catalog.h>
#include <wpu/modules.h>
#include <wpu/sockets.h>

#include "doubles_lsp.h"

/* ---- bad_lsp ---- */

typedef enum breakage {
  NONE,            /* an IFS LSP */
  NONIFS_OK,       /* a correct non-IFS LSP (for the calls used here) */
  NO_ERRNO,        /* WSPBind fails without setting *lpErrno */
  STALE_ERROR,     /* WSPListen succeeds with *lpErrno = WSAEINVAL */
  RAW_HANDLE,      /* IFS: WSPSocket returns the base handle unmodified */
  MADE_UP_HANDLE,  /* WSPSocket returns a value that is no handle */
  CREATED_FOR_IFS, /* IFS entry, WPUCreateSocketHandle handle */
  IFS_FOR_CREATED, /* non-IFS entry, IFS handle */
  DOUBLE_COMPLETE, /* WSPIoctl completes the overlapped twice */
  NEVER_COMPLETE,  /* WSPIoctl never completes the overlapped */
  UNKNOWN_OV,      /* WSPIoctl completes an overlapped it never got */
  NULL_ENTRY,      /* WSPStartup leaves lpWSPGetQOSByName NULL */
  NO_NEXT_CLEANUP, /* WSPCleanup does not clean up the next layer */
  LEAK_HANDLE,     /* WSPCloseSocket keeps its WPUCreateSocketHandle */
  WORKER_COMPLETE  /* correct: WSPIoctl completes on a worker thread */
} breakage;

static breakage brk;
static WSPPROC_TABLE next;
static WSPUPCALLTABLE up;
static HMODULE next_module;
static WSAOVERLAPPED stray;

static const GUID bad_id = {0x5e1f0a11,
                            0x7a3c,
                            0x4d2e,
                            {0x9b, 0x61, 0x20, 0x44, 0x6c, 0x73, 0x70, 0x02}};
static const WCHAR bad_path[] = L"%SystemRoot%\\system32\\bad_lsp.dll";

static int lower_info(const WSAPROTOCOL_INFOW *info, WSAPROTOCOL_INFOW *out) {
  return wpu_catalog_get(info->ProtocolChain.ChainEntries[1], out, NULL, 0);
}

static int is_ifs(void) {
  return brk != IFS_FOR_CREATED && brk != DOUBLE_COMPLETE && brk != NONIFS_OK &&
         brk != NEVER_COMPLETE && brk != UNKNOWN_OV && brk != LEAK_HANDLE &&
         brk != WORKER_COMPLETE;
}

static SOCKET WSPAPI bad_socket(int af, int type, int protocol,
                                LPWSAPROTOCOL_INFOW info, GROUP g, DWORD flags,
                                LPINT err) {
  WSAPROTOCOL_INFOW lower;
  if (lower_info(info, &lower) != 0) {
    *err = WSAEINVAL;
    return INVALID_SOCKET;
  }
  SOCKET n = next.lpWSPSocket(af, type, protocol, &lower, g, flags, err);
  if (n == INVALID_SOCKET)
    return n;
  switch (brk) {
  case RAW_HANDLE:
    return n;
  case MADE_UP_HANDLE:
    return (SOCKET)0x1234;
  case CREATED_FOR_IFS:
  case NONIFS_OK:
  case DOUBLE_COMPLETE:
  case NEVER_COMPLETE:
  case UNKNOWN_OV:
  case LEAK_HANDLE:
  case WORKER_COMPLETE:
    return up.lpWPUCreateSocketHandle(info->dwCatalogEntryId, (DWORD_PTR)n,
                                      err);
  default:
    return up.lpWPUModifyIFSHandle(info->dwCatalogEntryId, n, err);
  }
}

/* The next layer's socket of s. */
static SOCKET lower_socket(SOCKET s) {
  DWORD_PTR ctx;
  int err;
  if (wpu_socket_query(s, NULL) == WPU_SOCKET_CREATED &&
      up.lpWPUQuerySocketHandleContext(s, &ctx, &err) == 0)
    return (SOCKET)ctx;
  return s;
}

static int WSPAPI bad_close(SOCKET s, LPINT err) {
  SOCKET n = lower_socket(s);
  int rc = next.lpWSPCloseSocket(n, err);
  if (n != s && brk != LEAK_HANDLE)
    up.lpWPUCloseSocketHandle(s, err);
  return rc;
}

static int WSPAPI bad_bind(SOCKET s, const struct sockaddr *name, int len,
                           LPINT err) {
  if (brk == NO_ERRNO)
    return SOCKET_ERROR;
  return next.lpWSPBind(lower_socket(s), name, len, err);
}

static int WSPAPI bad_listen(SOCKET s, int backlog, LPINT err) {
  int rc = next.lpWSPListen(lower_socket(s), backlog, err);
  if (brk == STALE_ERROR && rc == 0)
    *err = WSAEINVAL;
  return rc;
}

/* The worker thread of WORKER_COMPLETE: completes the overlapped the
 * last WSPIoctl handed over. */
static struct {
  HANDLE go, thread;
  SOCKET s;
  LPWSAOVERLAPPED ov;
  volatile LONG stop;
} worker;

static DWORD WINAPI worker_main(LPVOID arg) {
  (void)arg;
  for (;;) {
    if (WaitForSingleObject(worker.go, 30000) != WAIT_OBJECT_0)
      return 1;
    if (InterlockedCompareExchange(&worker.stop, 0, 0) != 0)
      return 0;
    int e;
    WPUCompleteOverlappedRequest(worker.s, worker.ov, 0, 0, &e);
  }
}

/* WSPIoctl with an overlapped: completed here, at once (the code does not
 * matter), or by the worker. */
static int WSPAPI bad_ioctl(SOCKET s, DWORD code, LPVOID in, DWORD cbin,
                            LPVOID out, DWORD cbout, LPDWORD ret,
                            LPWSAOVERLAPPED ov,
                            LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                            LPWSATHREADID t, LPINT err) {
  if (ov == NULL)
    return next.lpWSPIoctl(lower_socket(s), code, in, cbin, out, cbout, ret, ov,
                           cr, t, err);
  int e;
  switch (brk) {
  case NEVER_COMPLETE:
    break;
  case WORKER_COMPLETE:
    __atomic_store_n(&ov->Internal, WSS_OPERATION_IN_PROGRESS,
                     __ATOMIC_RELAXED);
    worker.s = s;
    worker.ov = ov;
    SetEvent(worker.go);
    break;
  case UNKNOWN_OV:
    stray.hEvent = NULL;
    WPUCompleteOverlappedRequest(s, &stray, 0, 0, &e);
    break;
  case DOUBLE_COMPLETE:
    WPUCompleteOverlappedRequest(s, ov, 0, 0, &e);
    /* fall through */
  default:
    WPUCompleteOverlappedRequest(s, ov, 0, 0, &e);
    break;
  }
  *err = WSA_IO_PENDING;
  return SOCKET_ERROR;
}

static int WSPAPI bad_cleanup(LPINT err) {
  int rc = brk == NO_NEXT_CLEANUP ? 0 : next.lpWSPCleanup(err);
  FreeLibrary(next_module);
  return rc;
}

static int WSPAPI bad_startup(WORD version, LPWSPDATA data,
                              LPWSAPROTOCOL_INFOW info, WSPUPCALLTABLE upcalls,
                              LPWSPPROC_TABLE procs) {
  WSAPROTOCOL_INFOW lower;
  WCHAR path[MAX_PATH], expanded[MAX_PATH];
  if (wpu_catalog_get(info->ProtocolChain.ChainEntries[1], &lower, path,
                      MAX_PATH) != 0)
    return WSAEPROVIDERFAILEDINIT;
  ExpandEnvironmentStringsW(path, expanded, MAX_PATH);
  next_module = LoadLibraryW(expanded);
  LPWSPSTARTUP start =
      (LPWSPSTARTUP)(void (*)(void))GetProcAddress(next_module, "WSPStartup");
  int rc = start(version, data, &lower, upcalls, &next);
  if (rc != 0)
    return rc;
  up = upcalls;
  *procs = next;
  procs->lpWSPSocket = bad_socket;
  procs->lpWSPCloseSocket = bad_close;
  procs->lpWSPBind = bad_bind;
  procs->lpWSPListen = bad_listen;
  procs->lpWSPIoctl = bad_ioctl;
  procs->lpWSPCleanup = bad_cleanup;
  if (brk == NULL_ENTRY)
    procs->lpWSPGetQOSByName = NULL;
  return 0;
}

/* Installs memnet and bad_lsp over TCP/IPv4 (an IFS chain unless the
 * breakage wants a non-IFS one). */
static void install_bad(breakage b) {
  brk = b;
  dl_install_base();
  const wpu_export exports[] = {
      {"WSPStartup", (FARPROC)(void (*)(void))bad_startup}};
  DWORD rc = wpu_module_register(bad_path, exports, 1, NULL);
  assert_true(rc == 0 || rc == ERROR_BUSY);
  WSAPROTOCOL_INFOW e;
  DWORD tcp4 = 0;
  for (size_t i = 0; i < wpu_catalog_count(); i++)
    if (wpu_catalog_at(i, &e) == 0 && e.iAddressFamily == AF_INET &&
        e.iSocketType == SOCK_STREAM && e.ProtocolChain.ChainLen == 1)
      tcp4 = e.dwCatalogEntryId;
  assert_int_equal(wpu_catalog_install_lsp(&bad_id, bad_path, L"bad_lsp", &tcp4,
                                           1, is_ifs(), NULL, NULL),
                   0);
}

/* ---- Capturing violations ---- */

static struct {
  int n;
  fws2_rule rules[16];
  char messages[16][4096];
} seen;

static void capture(const fws2_violation *v, void *user) {
  (void)user;
  if (seen.n < 16) {
    seen.rules[seen.n] = v->rule;
    snprintf(seen.messages[seen.n], sizeof seen.messages[0], "%s", v->message);
  }
  seen.n++;
}

static int setup(void **state) {
  memset(&seen, 0, sizeof seen);
  return fws2_world_setup(state);
}

/* Enables the checker (and the trace) with the capturing report. */
static void checked(void) {
  assert_int_equal(fws2_trace_start(0, 0), 0);
  assert_int_equal(fws2_checker_enable(), 0);
  fws2_checker_set_report(capture, NULL);
}

static void startup(void) {
  WSADATA d;
  assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
}

/* The first captured violation is of rule and its message names text. */
static void expect_violation(fws2_rule rule, const char *text) {
  assert_true(seen.n >= 1);
  assert_int_equal(seen.rules[0], rule);
  const char *m = seen.messages[0];
  if (strstr(m, fws2_rule_name(rule)) == NULL || strstr(m, text) == NULL)
    fail_msg("message lacks \"%s\": %s", text, m);
}

static struct sockaddr_in loopback(void) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

/* ---- Each rule caught ---- */

static void failure_without_lperrno_is_reported(void **state) {
  (void)state;
  install_bad(NO_ERRNO);
  checked();
  startup();
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  struct sockaddr_in a = loopback();
  assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), SOCKET_ERROR);
  expect_violation(FWS2_RULE_ERRNO, "provider bad_lsp");
  assert_non_null(strstr(seen.messages[0], "call WSPBind"));
  char want[64];
  snprintf(want, sizeof want, "handle 0x%llx", (unsigned long long)s);
  assert_non_null(strstr(seen.messages[0], want));
  /* The tail of the trace follows the message. */
  assert_non_null(strstr(seen.messages[0], "ws2_32 -> bad_lsp WSPBind"));
  assert_int_equal(fws2_checker_violations(), 1);
  closesocket(s);
  WSACleanup();
}

/* A listener whose WSPListen leaves *lpErrno set on success. */
static void listen_with_stale_error(void) {
  startup();
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  struct sockaddr_in a = loopback();
  assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(s, 1), 0);
  closesocket(s);
  WSACleanup();
}

static void success_with_an_error_set_is_reported_when_asked(void **state) {
  (void)state;
  install_bad(STALE_ERROR);
  checked();
  assert_int_equal(fws2_checker_enable_rule(FWS2_RULE_STALE_ERROR), 0);
  listen_with_stale_error();
  expect_violation(FWS2_RULE_STALE_ERROR, "WSPListen");
}

/* lpErrno is defined only on failure (Microsoft's contract): opt-in. */
static void success_with_an_error_set_is_not_checked_by_default(void **state) {
  (void)state;
  install_bad(STALE_ERROR);
  checked();
  listen_with_stale_error();
  assert_int_equal(seen.n, 0);
  assert_int_equal(fws2_checker_enable_rule(FWS2_RULE_COUNT), WSAEINVAL);
}

static void handle_left_on_the_base_entry_is_reported(void **state) {
  (void)state;
  install_bad(RAW_HANDLE);
  checked();
  startup();
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  expect_violation(FWS2_RULE_FOREIGN_HANDLE, "bad_lsp (entry");
  assert_non_null(strstr(seen.messages[0], "WPUModifyIFSHandle not called"));
  closesocket(s);
  WSACleanup();
}

static void handle_that_is_no_socket_is_reported(void **state) {
  (void)state;
  install_bad(MADE_UP_HANDLE);
  checked();
  startup();
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_equal(s, 0x1234);
  expect_violation(FWS2_RULE_FOREIGN_HANDLE, "no socket of the world");
  /* memnet's socket, lost by the LSP, ends with the world's clean-up. */
  fws2_checker_relax(FWS2_RULE_LEAK, "the LSP lost memnet's socket on purpose");
  WSACleanup();
}

static void created_handle_on_an_ifs_entry_is_reported(void **state) {
  (void)state;
  install_bad(CREATED_FOR_IFS);
  checked();
  startup();
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  expect_violation(FWS2_RULE_IFS,
                   "sets XP1_IFS_HANDLES but the socket came from "
                   "WPUCreateSocketHandle");
  closesocket(s);
  WSACleanup();
}

static void ifs_handle_on_a_non_ifs_entry_is_reported(void **state) {
  (void)state;
  install_bad(IFS_FOR_CREATED);
  checked();
  startup();
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  expect_violation(FWS2_RULE_IFS, "does not set XP1_IFS_HANDLES but the "
                                  "socket is an IFS handle");
  closesocket(s);
  WSACleanup();
}

/* An overlapped WSAIoctl through bad_lsp (SIO_KEEPALIVE_VALS' code; the
 * LSP completes it itself). */
static void overlapped_ioctl(SOCKET s, WSAOVERLAPPED *ov) {
  memset(ov, 0, sizeof *ov);
  ov->hEvent = WSACreateEvent();
  DWORD ret = 0;
  assert_int_equal(WSAIoctl(s, 0x98000004, NULL, 0, NULL, 0, &ret, ov, NULL),
                   SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
}

static void overlapped_completed_twice_is_reported(void **state) {
  (void)state;
  install_bad(DOUBLE_COMPLETE);
  checked();
  startup();
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  WSAOVERLAPPED ov;
  overlapped_ioctl(s, &ov);
  expect_violation(FWS2_RULE_DOUBLE_COMPLETION, "completed a second time");
  assert_non_null(strstr(seen.messages[0], "WPUCompleteOverlappedRequest"));
  WSACloseEvent(ov.hEvent);
  closesocket(s);
  WSACleanup();
}

static void overlapped_never_completed_is_reported_at_the_end(void **state) {
  (void)state;
  install_bad(NEVER_COMPLETE);
  checked();
  startup();
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  static WSAOVERLAPPED ov; /* outlives the test: the world ends later */
  overlapped_ioctl(s, &ov);
  closesocket(s);
  WSACleanup();
  WSACloseEvent(ov.hEvent);
  assert_int_equal(seen.n, 0); /* known only when the world ends */
  wpu_world *w = *state;
  *state = NULL;
  assert_int_equal(wpu_world_destroy(w), 0);
  expect_violation(FWS2_RULE_NEVER_COMPLETED, "never completed");
  assert_non_null(strstr(seen.messages[0], "call WSPIoctl"));
}

static void
completion_of_an_overlapped_never_received_is_reported(void **state) {
  (void)state;
  install_bad(UNKNOWN_OV);
  checked();
  fws2_checker_relax(FWS2_RULE_NEVER_COMPLETED,
                     "the real overlapped is left pending on purpose");
  startup();
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  WSAOVERLAPPED ov;
  overlapped_ioctl(s, &ov);
  expect_violation(FWS2_RULE_UNKNOWN_OVERLAPPED, "which no call to the "
                                                 "provider");
  WSACloseEvent(ov.hEvent);
  closesocket(s);
  WSACleanup();
}

static void null_proc_table_entry_is_reported(void **state) {
  (void)state;
  install_bad(NULL_ENTRY);
  checked();
  startup();
  assert_int_equal(socket(AF_INET, SOCK_STREAM, IPPROTO_TCP), INVALID_SOCKET);
  assert_int_equal(WSAGetLastError(), WSAEINVALIDPROCTABLE);
  expect_violation(FWS2_RULE_PROC_TABLE, "NULL entries");
  assert_non_null(strstr(seen.messages[0], "call WSPStartup"));
  /* bad_lsp cleaned memnet up? No: the loader did not call its WSPCleanup. */
  fws2_checker_relax(FWS2_RULE_CLEANUP, "the loader refused the table");
  WSACleanup();
}

static void next_layer_not_cleaned_up_is_reported_at_the_end(void **state) {
  (void)state;
  install_bad(NO_NEXT_CLEANUP);
  checked();
  startup();
  closesocket(socket(AF_INET, SOCK_STREAM, IPPROTO_TCP));
  WSACleanup();
  wpu_world *w = *state;
  *state = NULL;
  wpu_world_destroy(w);
  expect_violation(FWS2_RULE_CLEANUP, "WSPStartup succeeded 1 times but "
                                      "WSPCleanup was called 0 times");
  assert_non_null(strstr(seen.messages[0], "fws2_memnet"));
}

static void handle_left_open_after_the_last_cleanup_is_reported(void **state) {
  (void)state;
  install_bad(LEAK_HANDLE);
  checked();
  startup();
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_equal(closesocket(s), 0);
  WSACleanup();
  expect_violation(FWS2_RULE_LEAK, "after the last WSACleanup");
  assert_non_null(strstr(seen.messages[0], "socket (WPUCreateSocketHandle)"));
  assert_non_null(strstr(seen.messages[0], "bad_lsp (entry"));
  int err;
  assert_int_equal(WPUCloseSocketHandle(s, &err), 0); /* for teardown */
}

/* ---- Relaxing ---- */

static void relaxed_rule_is_not_reported(void **state) {
  (void)state;
  install_bad(NO_ERRNO);
  checked();
  assert_int_equal(fws2_checker_relax(FWS2_RULE_ERRNO, NULL), WSAEINVAL);
  assert_int_equal(fws2_checker_relax(FWS2_RULE_ERRNO, ""), WSAEINVAL);
  assert_int_equal(fws2_checker_relax(FWS2_RULE_COUNT, "x"), WSAEINVAL);
  assert_int_equal(
      fws2_checker_relax(FWS2_RULE_ERRNO, "bad_lsp's bind is known broken"), 0);
  startup();
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  struct sockaddr_in a = loopback();
  assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), SOCKET_ERROR);
  assert_int_equal(seen.n, 0);
  /* The reason is in the trace. */
  char *t = fws2_trace_text(0);
  assert_non_null(strstr(t, "bad_lsp's bind is known broken"));
  fws2_trace_free(t);
  closesocket(s);
  WSACleanup();
}

static void relax_without_the_checker_fails(void **state) {
  (void)state;
  assert_int_equal(fws2_checker_relax(FWS2_RULE_LEAK, "why"),
                   WSANOTINITIALISED);
}

/* ---- Correct providers stay quiet (the default report would fail) ---- */

static void tcp_session(void) {
  startup();
  SOCKET c, s;
  dl_tcp_pair(&c, &s);
  assert_int_equal(send(c, "ping", 4, 0), 4);
  char buf[8];
  assert_int_equal(recv(s, buf, sizeof buf, 0), 4);
  /* Overlapped, completed by the base. */
  WSAOVERLAPPED ov = {0};
  ov.hEvent = WSACreateEvent();
  WSABUF b = {sizeof buf, buf};
  DWORD got = 0, flags = 0;
  assert_int_equal(WSARecv(s, &b, 1, &got, &flags, &ov, NULL), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
  assert_int_equal(send(c, "pong", 4, 0), 4);
  assert_int_equal(WaitForSingleObject(ov.hEvent, 10000), WAIT_OBJECT_0);
  assert_true(WSAGetOverlappedResult(s, &ov, &got, FALSE, &flags));
  assert_int_equal(got, 4);
  /* One left pending: closesocket aborts it, which completes it. */
  ResetEvent(ov.hEvent);
  assert_int_equal(WSARecv(s, &b, 1, &got, &flags, &ov, NULL), SOCKET_ERROR);
  assert_int_equal(closesocket(s), 0);
  assert_int_equal(WaitForSingleObject(ov.hEvent, 10000), WAIT_OBJECT_0);
  WSACloseEvent(ov.hEvent);
  assert_int_equal(closesocket(c), 0);
  assert_int_equal(WSACleanup(), 0);
}

static void memnet_stays_quiet(void **state) {
  (void)state;
  dl_install_base();
  assert_int_equal(fws2_checker_enable(), 0);
  tcp_session();
  assert_int_equal(fws2_checker_violations(), 0);
}

static void ifs_lsp_over_memnet_stays_quiet(void **state) {
  (void)state;
  dl_install();
  assert_int_equal(fws2_checker_enable(), 0);
  tcp_session();
  assert_int_equal(fws2_checker_violations(), 0);
}

static void correct_overlapped_completion_by_a_layer_stays_quiet(void **state) {
  (void)state;
  install_bad(NONIFS_OK);
  checked();
  startup();
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  WSAOVERLAPPED ov;
  overlapped_ioctl(s, &ov);
  assert_int_equal(WaitForSingleObject(ov.hEvent, 10000), WAIT_OBJECT_0);
  WSACloseEvent(ov.hEvent);
  closesocket(s);
  WSACleanup();
  assert_int_equal(seen.n, 0);
}

/* ---- Correct providers the checker once got wrong ---- */

/* Whether the operation on ov is over, as HasOverlappedIoCompleted reads
 * it (libwpu stores Internal with release order). */
static int ov_done(WSAOVERLAPPED *ov) {
  return __atomic_load_n(&ov->Internal, __ATOMIC_ACQUIRE) !=
         WSS_OPERATION_IN_PROGRESS;
}

/* Waits for ov's operation: polls Internal a while (the application sees
 * the completion the moment it is stored), then the event. */
static void wait_done(WSAOVERLAPPED *ov) {
  for (int polls = 0; !ov_done(ov); polls++) {
    if (polls < 100000)
      continue;
    WSAResetEvent(ov->hEvent);
    if (ov_done(ov))
      break;
    assert_int_equal(WaitForSingleObject(ov->hEvent, 10000), WAIT_OBJECT_0);
  }
}

/* The worker completes each operation while the application waits, and
 * the application reissues the same OVERLAPPED as soon as it sees it
 * complete: the checker must have seen the completion before it was
 * performed. */
static void
overlapped_completed_on_a_worker_and_reused_stays_quiet(void **state) {
  (void)state;
  install_bad(WORKER_COMPLETE);
  checked();
  startup();
  worker.go = CreateEventW(NULL, FALSE, FALSE, NULL);
  assert_non_null(worker.go);
  InterlockedExchange(&worker.stop, 0);
  worker.thread = CreateThread(NULL, 0, worker_main, NULL, 0, NULL);
  assert_non_null(worker.thread);
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_not_equal(s, INVALID_SOCKET);
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = WSACreateEvent();
  for (int i = 0; i < 3000; i++) {
    DWORD ret = 0;
    assert_int_equal(WSAIoctl(s, 0x98000004, NULL, 0, NULL, 0, &ret, &ov, NULL),
                     SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
    wait_done(&ov);
  }
  InterlockedExchange(&worker.stop, 1);
  SetEvent(worker.go);
  assert_int_equal(WaitForSingleObject(worker.thread, 30000), WAIT_OBJECT_0);
  CloseHandle(worker.thread);
  CloseHandle(worker.go);
  WSACloseEvent(ov.hEvent);
  assert_int_equal(closesocket(s), 0);
  assert_int_equal(WSACleanup(), 0);
  if (seen.n != 0)
    fail_msg("%d violation(s), the first: %s", seen.n, seen.messages[0]);
}

/* LPWSPIoctl: lpOverlapped is ignored for non-overlapped sockets. */
static void
overlapped_ignored_on_a_non_overlapped_socket_is_not_reported(void **state) {
  install_bad(NEVER_COMPLETE);
  checked();
  startup();
  SOCKET s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, 0);
  assert_int_not_equal(s, INVALID_SOCKET);
  static WSAOVERLAPPED ov; /* outlives the test: the world ends later */
  overlapped_ioctl(s, &ov);
  closesocket(s);
  WSACleanup();
  WSACloseEvent(ov.hEvent);
  wpu_world *w = *state;
  *state = NULL;
  assert_int_equal(wpu_world_destroy(w), 0);
  if (seen.n != 0)
    fail_msg("%d violation(s), the first: %s", seen.n, seen.messages[0]);
}

/* The lower LSP gets the upper's protocol info and makes its IFS handles
 * for its own entry: neither a foreign handle nor an IFS mismatch. */
static void stacked_lsps_stay_quiet(void **state) {
  (void)state;
  dl_install_stack();
  checked();
  startup();
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_not_equal(s, INVALID_SOCKET);
  assert_int_equal(closesocket(s), 0);
  assert_int_equal(WSACleanup(), 0);
  fws2_assert_trace("ws2_32>stack_top:WSPSocket",
                    "stack_top>stack_ifs:WSPSocket",
                    "stack_ifs>fws2_memnet:WSPSocket");
  if (seen.n != 0)
    fail_msg("%d violation(s), the first: %s", seen.n, seen.messages[0]);
}

/* ---- Run in a process of its own (the slots are the process's) ---- */

static void provider_beyond_the_interposer_slots_is_reported(void **state) {
  (void)state;
  checked();
  for (int i = 0; i < 30; i++) {
    char ascii[64];
    WCHAR path[64], expanded[MAX_PATH];
    snprintf(ascii, sizeof ascii, "%%SystemRoot%%\\system32\\many_%d.dll", i);
    size_t n = 0;
    for (; ascii[n] != 0; n++)
      path[n] = (WCHAR)ascii[n];
    path[n] = 0;
    const wpu_export exports[] = {
        {"WSPStartup", (FARPROC)(void (*)(void))bad_startup}};
    assert_int_equal(wpu_module_register(path, exports, 1, NULL), 0);
    ExpandEnvironmentStringsW(path, expanded, MAX_PATH);
    HMODULE m = LoadLibraryW(expanded);
    assert_non_null(m);
    assert_non_null(GetProcAddress(m, "WSPStartup"));
    FreeLibrary(m);
  }
  expect_violation(FWS2_RULE_NOT_INTERPOSED, "more than 24 providers");
  assert_non_null(strstr(seen.messages[0], "many_"));
}

int main(int argc, char **argv) {
#define T(name)                                                                \
  cmocka_unit_test_setup_teardown(name, setup, fws2_world_teardown)
  const struct CMUnitTest tests[] = {
      T(failure_without_lperrno_is_reported),
      T(success_with_an_error_set_is_reported_when_asked),
      T(success_with_an_error_set_is_not_checked_by_default),
      T(handle_left_on_the_base_entry_is_reported),
      T(handle_that_is_no_socket_is_reported),
      T(created_handle_on_an_ifs_entry_is_reported),
      T(ifs_handle_on_a_non_ifs_entry_is_reported),
      T(overlapped_completed_twice_is_reported),
      T(overlapped_never_completed_is_reported_at_the_end),
      T(completion_of_an_overlapped_never_received_is_reported),
      T(null_proc_table_entry_is_reported),
      T(next_layer_not_cleaned_up_is_reported_at_the_end),
      T(handle_left_open_after_the_last_cleanup_is_reported),
      T(relaxed_rule_is_not_reported),
      T(relax_without_the_checker_fails),
      T(memnet_stays_quiet),
      T(ifs_lsp_over_memnet_stays_quiet),
      T(correct_overlapped_completion_by_a_layer_stays_quiet),
      T(overlapped_completed_on_a_worker_and_reused_stays_quiet),
      T(overlapped_ignored_on_a_non_overlapped_socket_is_not_reported),
      T(stacked_lsps_stay_quiet),
  };
  /* test_checker interposer_full: the test that takes every slot. */
  const struct CMUnitTest full[] = {
      T(provider_beyond_the_interposer_slots_is_reported),
  };
#undef T
  if (argc > 1 && strcmp(argv[1], "interposer_full") == 0)
    return cmocka_run_group_tests(full, NULL, NULL);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
