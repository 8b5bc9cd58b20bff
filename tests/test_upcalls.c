/* test_upcalls.c: the event, thread and APC upcalls, WPUPostMessage,
 * WPUQueryBlockingCallback and WPUCompleteOverlappedRequest, called through
 * the upcall table as providers call them. */
#include <winsock2.h>
#include <ws2spi.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <fws2/fixture.h>
#include <wpu/wpu.h>

#define WAIT_MS 10000
#define CAT_LSP 2001

static WSPUPCALLTABLE up;

static int setup(void **state) {
  up = wpu_upcall_table();
  return fws2_world_setup(state);
}

/* ---- Events ---- */

static void wpu_create_event_makes_a_manual_reset_event(void **state) {
  (void)state;
  int err = 0;
  WSAEVENT e = up.lpWPUCreateEvent(&err);
  assert_ptr_not_equal(e, WSA_INVALID_EVENT);
  assert_int_equal(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
  assert_true(up.lpWPUSetEvent(e, &err));
  assert_int_equal(WaitForSingleObject(e, 0), WAIT_OBJECT_0);
  assert_int_equal(WaitForSingleObject(e, 0), WAIT_OBJECT_0); /* manual */
  assert_true(up.lpWPUResetEvent(e, &err));
  assert_int_equal(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
  assert_true(up.lpWPUCloseEvent(e, &err));
}

static void
wpu_event_upcalls_on_closed_event_fail_with_invalid_handle(void **state) {
  (void)state;
  int err = 0;
  WSAEVENT e = up.lpWPUCreateEvent(&err);
  assert_true(up.lpWPUCloseEvent(e, &err));
  err = 0;
  assert_false(up.lpWPUSetEvent(e, &err));
  assert_int_equal(err, WSA_INVALID_HANDLE);
  err = 0;
  assert_false(up.lpWPUResetEvent(e, &err));
  assert_int_equal(err, WSA_INVALID_HANDLE);
  err = 0;
  assert_false(up.lpWPUCloseEvent(e, &err));
  assert_int_equal(err, WSA_INVALID_HANDLE);
  err = 0;
  assert_false(up.lpWPUSetEvent(WSA_INVALID_EVENT, &err));
  assert_int_equal(err, WSA_INVALID_HANDLE);
}

static void upcalls_with_null_errno_set_wsaefault_as_last_error(void **state) {
  (void)state;
  WSASetLastError(0);
  assert_ptr_equal(up.lpWPUCreateEvent(NULL), WSA_INVALID_EVENT);
  assert_int_equal(WSAGetLastError(), WSAEFAULT);
  WSASetLastError(0);
  assert_int_equal(up.lpWPUOpenCurrentThread(NULL, NULL), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEFAULT);
  WSASetLastError(0);
  assert_int_equal(
      WPUCompleteOverlappedRequest(INVALID_SOCKET, NULL, 0, 0, NULL),
      SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEFAULT);
}

/* ---- Threads and APCs ---- */

static DWORD apc_thread;
static DWORD_PTR apc_context;

static void CALLBACK record_apc(DWORD_PTR context) {
  apc_thread = GetCurrentThreadId();
  apc_context = context;
}

static void
wpu_queue_apc_runs_on_the_thread_during_alertable_wait(void **state) {
  (void)state;
  int err = 0;
  WSATHREADID id;
  assert_int_equal(up.lpWPUOpenCurrentThread(&id, &err), 0);
  assert_non_null(id.ThreadHandle);
  apc_thread = 0;
  assert_int_equal(up.lpWPUQueueApc(&id, record_apc, 0x1234, &err), 0);
  assert_int_equal(apc_thread, 0);
  assert_int_equal(SleepEx(WAIT_MS, TRUE), WAIT_IO_COMPLETION);
  assert_int_equal(apc_thread, GetCurrentThreadId());
  assert_int_equal(apc_context, 0x1234);
  assert_int_equal(up.lpWPUCloseThread(&id, &err), 0);
}

typedef struct {
  WSATHREADID id;
  HANDLE ready;
  HANDLE queued;
  DWORD tid;
  DWORD rc;
} apc_target;

static DWORD WINAPI open_then_wait(LPVOID arg) {
  apc_target *a = arg;
  int err = 0;
  a->tid = GetCurrentThreadId();
  if (up.lpWPUOpenCurrentThread(&a->id, &err) != 0)
    return 1;
  SetEvent(a->ready);
  /* Not alertable: the APC must wait for the alertable SleepEx. */
  if (WaitForSingleObject(a->queued, WAIT_MS) != WAIT_OBJECT_0)
    return 2;
  if (apc_thread != 0)
    return 3;
  a->rc = SleepEx(WAIT_MS, TRUE);
  up.lpWPUCloseThread(&a->id, &err);
  return 0;
}

static void
wpu_queue_apc_from_another_thread_runs_only_on_the_target(void **state) {
  (void)state;
  apc_target a;
  memset(&a, 0, sizeof a);
  a.ready = CreateEventW(NULL, TRUE, FALSE, NULL);
  a.queued = CreateEventW(NULL, TRUE, FALSE, NULL);
  apc_thread = 0;
  HANDLE t = CreateThread(NULL, 0, open_then_wait, &a, 0, NULL);
  assert_int_equal(WaitForSingleObject(a.ready, WAIT_MS), WAIT_OBJECT_0);
  int err = 0;
  assert_int_equal(up.lpWPUQueueApc(&a.id, record_apc, 7, &err), 0);
  SetEvent(a.queued);
  assert_int_equal(SleepEx(0, TRUE), 0); /* not ours to run */
  assert_int_equal(WaitForSingleObject(t, WAIT_MS), WAIT_OBJECT_0);
  DWORD code = 99;
  GetExitCodeThread(t, &code);
  assert_int_equal(code, 0);
  assert_int_equal(a.rc, WAIT_IO_COMPLETION);
  assert_int_equal(apc_thread, a.tid);
  CloseHandle(t);
  CloseHandle(a.ready);
  CloseHandle(a.queued);
}

static void
wpu_queue_apc_with_invalid_thread_fails_with_wsaefault(void **state) {
  (void)state;
  int err = 0;
  WSATHREADID id;
  assert_int_equal(up.lpWPUOpenCurrentThread(&id, &err), 0);
  assert_int_equal(up.lpWPUCloseThread(&id, &err), 0);
  WSATHREADID stale = {0};
  stale.ThreadHandle = (HANDLE)(ULONG_PTR)0x40001234;
  err = 0;
  assert_int_equal(up.lpWPUQueueApc(&stale, record_apc, 0, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
  err = 0;
  assert_int_equal(up.lpWPUQueueApc(NULL, record_apc, 0, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
}

static void wpu_close_thread_twice_fails(void **state) {
  (void)state;
  int err = 0;
  WSATHREADID id;
  assert_int_equal(up.lpWPUOpenCurrentThread(&id, &err), 0);
  WSATHREADID copy = id;
  assert_int_equal(up.lpWPUCloseThread(&id, &err), 0);
  err = 0;
  assert_int_equal(up.lpWPUCloseThread(&copy, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
}

static void front_thread_id_is_stable_for_the_thread(void **state) {
  (void)state;
  LPWSATHREADID a = wpu_thread_id_current();
  assert_non_null(a);
  assert_ptr_equal(wpu_thread_id_current(), a);
  int err = 0;
  apc_thread = 0;
  assert_int_equal(up.lpWPUQueueApc(a, record_apc, 3, &err), 0);
  assert_int_equal(SleepEx(WAIT_MS, TRUE), WAIT_IO_COMPLETION);
  assert_int_equal(apc_thread, GetCurrentThreadId());
  /* libwpu's own handle: not counted, not a leak. */
  assert_int_equal(wpu_world_handle_count(wpu_world_current()), 0);
}

/* ---- Blocking hook ---- */

static int hook_calls;

/* Hooks have FARPROC's type: INT_PTR WINAPI (), no prototype. */
static INT_PTR WINAPI hook() {
  hook_calls++;
  return FALSE;
}

static INT_PTR WINAPI cancelling_hook() {
  hook_calls++;
  WSACancelBlockingCall();
  return FALSE;
}

static void blocking_callback_is_null_without_a_hook(void **state) {
  (void)state;
  int err = 0;
  LPBLOCKINGCALLBACK cb = (LPBLOCKINGCALLBACK)1;
  DWORD_PTR ctx = 1;
  assert_int_equal(up.lpWPUQueryBlockingCallback(CAT_LSP, &cb, &ctx, &err), 0);
  assert_null(cb);
}

static void blocking_callback_runs_the_threads_hook(void **state) {
  (void)state;
  assert_null(WSASetBlockingHook(hook));
  int err = 0;
  LPBLOCKINGCALLBACK cb = NULL;
  DWORD_PTR ctx = 0;
  assert_int_equal(up.lpWPUQueryBlockingCallback(CAT_LSP, &cb, &ctx, &err), 0);
  assert_non_null(cb);
  hook_calls = 0;
  assert_true(cb(ctx));
  assert_true(cb(ctx));
  assert_int_equal(hook_calls, 2);
  assert_ptr_equal(WSASetBlockingHook(cancelling_hook), hook);
  assert_int_equal(up.lpWPUQueryBlockingCallback(CAT_LSP, &cb, &ctx, &err), 0);
  assert_false(cb(ctx)); /* cancelled by WSACancelBlockingCall */
  assert_int_equal(WSAUnhookBlockingHook(), 0);
  assert_int_equal(up.lpWPUQueryBlockingCallback(CAT_LSP, &cb, &ctx, &err), 0);
  assert_null(cb);
}

static void
blocking_callback_query_with_null_out_fails_with_wsaefault(void **state) {
  (void)state;
  int err = 0;
  DWORD_PTR ctx;
  assert_int_equal(up.lpWPUQueryBlockingCallback(CAT_LSP, NULL, &ctx, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
  LPBLOCKINGCALLBACK cb;
  err = 0;
  assert_int_equal(up.lpWPUQueryBlockingCallback(CAT_LSP, &cb, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
}

static void
blocking_callback_query_with_bad_catalog_id_fails_with_einval(void **state) {
  (void)state;
  int err = 0;
  LPBLOCKINGCALLBACK cb;
  DWORD_PTR ctx;
  assert_int_equal(up.lpWPUQueryBlockingCallback(0, &cb, &ctx, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
}

static void
cancel_blocking_call_outside_a_hook_fails_with_einval(void **state) {
  (void)state;
  WSASetLastError(0);
  assert_int_equal(WSACancelBlockingCall(), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEINVAL);
  assert_false(WSAIsBlocking());
}

/* ---- WPUPostMessage ---- */

static void wpu_post_message_to_invalid_window_fails(void **state) {
  (void)state;
  assert_false(up.lpWPUPostMessage((HWND)(ULONG_PTR)0x40000abc, WM_USER, 0, 0));
}

static LRESULT CALLBACK plain_proc(HWND h, UINT m, WPARAM w, LPARAM l) {
  return DefWindowProcW(h, m, w, l);
}

static void wpu_post_message_lands_in_the_window_queue(void **state) {
  (void)state;
  static const WCHAR cls[] = {'u', 'p', 'c', 'a', 'l', 'l', 0};
  WNDCLASSW wc;
  memset(&wc, 0, sizeof wc);
  wc.lpfnWndProc = plain_proc;
  wc.lpszClassName = cls;
  assert_int_not_equal(RegisterClassW(&wc), 0);
  /* A message-only window (Wine without a display makes only these). */
  HWND hwnd = CreateWindowExW(0, cls, cls, 0, 0, 0, 0, 0, HWND_MESSAGE, NULL,
                              NULL, NULL);
  assert_non_null(hwnd);
  assert_true(up.lpWPUPostMessage(hwnd, WM_USER + 321, 0x40000004, 0x20));
  MSG msg;
  assert_true(PeekMessageW(&msg, hwnd, 0, 0, PM_REMOVE));
  assert_ptr_equal(msg.hwnd, hwnd);
  assert_int_equal(msg.message, WM_USER + 321);
  assert_int_equal(msg.wParam, 0x40000004);
  assert_int_equal(msg.lParam, 0x20);
  assert_true(DestroyWindow(hwnd));
  assert_true(UnregisterClassW(cls, NULL));
}

/* ---- WPUCompleteOverlappedRequest ---- */

static SOCKET must_socket(void) {
  int err = 0;
  SOCKET s = up.lpWPUCreateSocketHandle(CAT_LSP, 0, &err);
  assert_int_not_equal(s, INVALID_SOCKET);
  return s;
}

static void must_close_socket(SOCKET s) {
  int err = 0;
  assert_int_equal(up.lpWPUCloseSocketHandle(s, &err), 0);
}

static void in_progress(WSAOVERLAPPED *ov, WSAEVENT ev) {
  memset(ov, 0, sizeof *ov);
  ov->Internal = WSS_OPERATION_IN_PROGRESS;
  ov->hEvent = ev;
}

static void complete_records_results_and_signals_the_event(void **state) {
  (void)state;
  SOCKET s = must_socket();
  WSAEVENT ev = CreateEventW(NULL, TRUE, FALSE, NULL);
  assert_ptr_not_equal(ev, WSA_INVALID_EVENT);
  WSAOVERLAPPED ov;
  in_progress(&ov, ev);
  int err = 0;
  assert_int_equal(WPUCompleteOverlappedRequest(s, &ov, 0, 512, &err), 0);
  assert_int_not_equal(ov.Internal, WSS_OPERATION_IN_PROGRESS);
  assert_int_equal(ov.InternalHigh, 512);
  assert_int_equal(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
  CloseHandle(ev);
  must_close_socket(s);
}

static void complete_posts_the_key_and_overlapped_to_the_port(void **state) {
  (void)state;
  SOCKET s = must_socket();
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  assert_ptr_equal(CreateIoCompletionPort((HANDLE)s, port, 0xbeef, 0), port);
  WSAOVERLAPPED ov;
  in_progress(&ov, NULL);
  int err = 0;
  assert_int_equal(WPUCompleteOverlappedRequest(s, &ov, 0, 64, &err), 0);
  DWORD bytes = 0;
  ULONG_PTR key = 0;
  LPOVERLAPPED got = NULL;
  assert_true(GetQueuedCompletionStatus(port, &bytes, &key, &got, 0));
  assert_int_equal(bytes, 64);
  assert_int_equal(key, 0xbeef);
  assert_ptr_equal(got, (LPOVERLAPPED)&ov);
  CloseHandle(port);
  must_close_socket(s);
}

static void complete_with_error_reports_it_through_the_port(void **state) {
  (void)state;
  SOCKET s = must_socket();
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  CreateIoCompletionPort((HANDLE)s, port, 1, 0);
  WSAOVERLAPPED ov;
  in_progress(&ov, NULL);
  int err = 0;
  assert_int_equal(WPUCompleteOverlappedRequest(s, &ov, WSAECONNRESET, 3, &err),
                   0);
  assert_int_not_equal(ov.Internal, WSS_OPERATION_IN_PROGRESS);
  assert_int_not_equal(ov.Internal, 0);
  DWORD bytes = 0;
  ULONG_PTR key = 0;
  LPOVERLAPPED got = NULL;
  SetLastError(0);
  assert_false(GetQueuedCompletionStatus(port, &bytes, &key, &got, 0));
  assert_int_equal(GetLastError(), WSAECONNRESET);
  assert_ptr_equal(got, (LPOVERLAPPED)&ov);
  assert_int_equal(bytes, 3);
  CloseHandle(port);
  must_close_socket(s);
}

static void
complete_with_low_bit_event_signals_but_skips_the_port(void **state) {
  (void)state;
  SOCKET s = must_socket();
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  CreateIoCompletionPort((HANDLE)s, port, 1, 0);
  WSAEVENT ev = CreateEventW(NULL, TRUE, FALSE, NULL);
  WSAOVERLAPPED ov;
  in_progress(&ov, (WSAEVENT)((ULONG_PTR)ev | 1));
  int err = 0;
  assert_int_equal(WPUCompleteOverlappedRequest(s, &ov, 0, 8, &err), 0);
  assert_int_equal(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
  DWORD bytes;
  ULONG_PTR key;
  LPOVERLAPPED got;
  SetLastError(0);
  assert_false(GetQueuedCompletionStatus(port, &bytes, &key, &got, 0));
  assert_int_equal(GetLastError(), WAIT_TIMEOUT);
  CloseHandle(ev);
  CloseHandle(port);
  must_close_socket(s);
}

static void complete_on_ifs_socket_fails_with_wsaeinval(void **state) {
  (void)state;
  int err = 0;
  SOCKET s = wpu_ifs_handle_create(0, &err);
  WSAOVERLAPPED ov;
  in_progress(&ov, NULL);
  err = 0;
  assert_int_equal(WPUCompleteOverlappedRequest(s, &ov, 0, 0, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  assert_int_equal(ov.Internal, WSS_OPERATION_IN_PROGRESS); /* untouched */
  assert_int_equal(wpu_ifs_handle_close(s, &err), 0);
}

static void complete_on_closed_socket_fails_with_wsaeinval(void **state) {
  (void)state;
  SOCKET s = must_socket();
  must_close_socket(s);
  WSAOVERLAPPED ov;
  in_progress(&ov, NULL);
  int err = 0;
  assert_int_equal(WPUCompleteOverlappedRequest(s, &ov, 0, 0, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
}

static void ifs_complete_posts_to_the_port_of_the_ifs_handle(void **state) {
  (void)state;
  int err = 0;
  SOCKET s = wpu_ifs_handle_create(0, &err);
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  assert_ptr_equal(CreateIoCompletionPort((HANDLE)s, port, 0x51, 0), port);
  HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL);
  WSAOVERLAPPED ov;
  in_progress(&ov, ev);
  assert_int_equal(wpu_ifs_complete_overlapped(s, &ov, 0, 12, &err), 0);
  assert_int_equal(ov.InternalHigh, 12);
  assert_int_equal(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
  DWORD bytes = 0;
  ULONG_PTR key = 0;
  LPOVERLAPPED got = NULL;
  assert_true(GetQueuedCompletionStatus(port, &bytes, &key, &got, 0));
  assert_int_equal(key, 0x51);
  assert_ptr_equal(got, (LPOVERLAPPED)&ov);
  CloseHandle(ev);
  CloseHandle(port);
  assert_int_equal(wpu_ifs_handle_close(s, &err), 0);
}

static void
ifs_complete_on_a_created_socket_fails_with_wsaenotsock(void **state) {
  (void)state;
  SOCKET s = must_socket();
  WSAOVERLAPPED ov;
  in_progress(&ov, NULL);
  int err = 0;
  assert_int_equal(wpu_ifs_complete_overlapped(s, &ov, 0, 1, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAENOTSOCK);
  must_close_socket(s);
}

typedef struct {
  SOCKET s;
  WSAOVERLAPPED *ovs;
  int count;
} completer_args;

static DWORD WINAPI complete_all(LPVOID arg) {
  completer_args *a = arg;
  int err = 0;
  for (int i = 0; i < a->count; i++)
    if (WPUCompleteOverlappedRequest(a->s, &a->ovs[i], 0, (DWORD)i, &err) != 0)
      return 1;
  return 0;
}

static void
completions_from_another_thread_reach_the_port_waiter(void **state) {
  (void)state;
  enum { N = 2000 };
  static WSAOVERLAPPED ovs[N];
  SOCKET s = must_socket();
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  CreateIoCompletionPort((HANDLE)s, port, 9, 0);
  for (int i = 0; i < N; i++)
    in_progress(&ovs[i], NULL);
  completer_args a = {s, ovs, N};
  HANDLE t = CreateThread(NULL, 0, complete_all, &a, 0, NULL);
  int seen = 0;
  while (seen < N) {
    OVERLAPPED_ENTRY e[64];
    ULONG n = 0;
    assert_true(GetQueuedCompletionStatusEx(port, e, 64, &n, WAIT_MS, FALSE));
    for (ULONG i = 0; i < n; i++) {
      WSAOVERLAPPED *ov = (WSAOVERLAPPED *)e[i].lpOverlapped;
      assert_ptr_equal(ov, &ovs[seen]); /* one completer: in order */
      assert_int_equal(e[i].dwNumberOfBytesTransferred, seen);
      assert_int_equal(ov->InternalHigh, seen);
      assert_int_equal(e[i].lpCompletionKey, 9);
      seen++;
    }
  }
  assert_int_equal(WaitForSingleObject(t, WAIT_MS), WAIT_OBJECT_0);
  CloseHandle(t);
  CloseHandle(port);
  must_close_socket(s);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fws2_world_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(wpu_create_event_makes_a_manual_reset_event),
      T(wpu_event_upcalls_on_closed_event_fail_with_invalid_handle),
      T(upcalls_with_null_errno_set_wsaefault_as_last_error),
      T(wpu_queue_apc_runs_on_the_thread_during_alertable_wait),
      T(wpu_queue_apc_from_another_thread_runs_only_on_the_target),
      T(wpu_queue_apc_with_invalid_thread_fails_with_wsaefault),
      T(wpu_close_thread_twice_fails),
      T(front_thread_id_is_stable_for_the_thread),
      T(blocking_callback_is_null_without_a_hook),
      T(blocking_callback_runs_the_threads_hook),
      T(blocking_callback_query_with_null_out_fails_with_wsaefault),
      T(blocking_callback_query_with_bad_catalog_id_fails_with_einval),
      T(cancel_blocking_call_outside_a_hook_fails_with_einval),
      T(wpu_post_message_to_invalid_window_fails),
      T(wpu_post_message_lands_in_the_window_queue),
      T(complete_records_results_and_signals_the_event),
      T(complete_posts_the_key_and_overlapped_to_the_port),
      T(complete_with_error_reports_it_through_the_port),
      T(complete_with_low_bit_event_signals_but_skips_the_port),
      T(complete_on_ifs_socket_fails_with_wsaeinval),
      T(complete_on_closed_socket_fails_with_wsaeinval),
      T(ifs_complete_posts_to_the_port_of_the_ifs_handle),
      T(ifs_complete_on_a_created_socket_fails_with_wsaenotsock),
      T(completions_from_another_thread_reach_the_port_waiter),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
