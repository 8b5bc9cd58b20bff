/* test_user32_messages.c: window classes, windows and message queues as
 * providers use them to relay WSAAsyncSelect notifications (on mingw-w64 the
 * same tests run against Windows' user32 under Wine). Windows are
 * message-only (HWND_MESSAGE): Wine without a display makes only these. */
#include <winsock2.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <fws2/fixture.h>
#include <wpu/wpu.h>

#define WAIT_MS 10000 /* generous: a failing test fails, it never hangs */

static const WCHAR CLS[] = {'w', 'p', 'u', 'T', 'e', 's', 't', 0};
static const WCHAR CLS_UPPER[] = {'W', 'P', 'U', 'T', 'E', 'S', 'T', 0};
static const WCHAR CLS_UNKNOWN[] = {'n', 'o', 'n', 'e', 0};

/* ---- A window procedure that records what it is sent ---- */

typedef struct seen {
  HWND hwnd;
  UINT msg;
  WPARAM wp;
  LPARAM lp;
  DWORD thread;
  LPVOID create_params; /* WM_NCCREATE, WM_CREATE */
  const void *create_class;
} seen;

#define LOG_MAX 64
static seen log_[LOG_MAX];
static int nlog;
static LRESULT nccreate_reply;
static LRESULT create_reply;
static int ansi_create; /* the CREATESTRUCT is a CREATESTRUCTA */

static void reset(void) {
  memset(log_, 0, sizeof log_);
  nlog = 0;
  nccreate_reply = TRUE;
  create_reply = 0;
  ansi_create = 0;
}

static int interesting(UINT m) {
  return m == WM_NCCREATE || m == WM_CREATE || m == WM_DESTROY ||
         m == WM_NCDESTROY || m == WM_CLOSE || m >= WM_USER;
}

static void record(HWND h, UINT m, WPARAM w, LPARAM l) {
  if (!interesting(m) || nlog == LOG_MAX)
    return;
  seen *s = &log_[nlog++];
  s->hwnd = h;
  s->msg = m;
  s->wp = w;
  s->lp = l;
  s->thread = GetCurrentThreadId();
  if (m != WM_NCCREATE && m != WM_CREATE)
    return;
  if (ansi_create) {
    s->create_params = ((CREATESTRUCTA *)l)->lpCreateParams;
    s->create_class = ((CREATESTRUCTA *)l)->lpszClass;
  } else {
    s->create_params = ((CREATESTRUCTW *)l)->lpCreateParams;
    s->create_class = ((CREATESTRUCTW *)l)->lpszClass;
  }
}

static LRESULT CALLBACK test_proc(HWND h, UINT m, WPARAM w, LPARAM l) {
  record(h, m, w, l);
  if (m == WM_NCCREATE && nccreate_reply != TRUE)
    return nccreate_reply;
  if (m == WM_CREATE && create_reply != 0)
    return create_reply;
  if (m == WM_USER + 7)
    return 0x1234 + (LRESULT)w;
  return DefWindowProcW(h, m, w, l);
}

/* The index of the first recorded msg at or after from, or -1. */
static int find_seen(UINT msg, int from) {
  for (int i = from; i < nlog; i++)
    if (log_[i].msg == msg)
      return i;
  return -1;
}

static ATOM must_register(const WCHAR *name) {
  WNDCLASSW wc;
  memset(&wc, 0, sizeof wc);
  wc.lpfnWndProc = test_proc;
  wc.lpszClassName = name;
  ATOM atom = RegisterClassW(&wc);
  assert_int_not_equal(atom, 0);
  return atom;
}

static void must_unregister(const WCHAR *name) {
  assert_true(UnregisterClassW(name, NULL));
}

static HWND make_window(const WCHAR *cls, LPVOID param) {
  return CreateWindowExW(0, cls, NULL, 0, 0, 0, 0, 0, HWND_MESSAGE, NULL, NULL,
                         param);
}

static HWND must_window(const WCHAR *cls) {
  HWND h = make_window(cls, NULL);
  assert_non_null(h);
  return h;
}

static void must_destroy(HWND h) {
  assert_true(DestroyWindow(h));
}

/* Empties the calling thread's queue (WM_QUIT included). */
static void drain(void) {
  MSG m;
  while (PeekMessageW(&m, NULL, 0, 0, PM_REMOVE))
    ;
}

static HANDLE must_thread(LPTHREAD_START_ROUTINE fn, void *arg, DWORD *id) {
  HANDLE t = CreateThread(NULL, 0, fn, arg, 0, id);
  assert_non_null(t);
  return t;
}

static DWORD must_join(HANDLE t) {
  DWORD code = 0;
  assert_int_equal(WaitForSingleObject(t, WAIT_MS), WAIT_OBJECT_0);
  assert_true(GetExitCodeThread(t, &code));
  assert_true(CloseHandle(t));
  return (DWORD)code;
}

/* ---- Classes ---- */

static void
register_class_returns_a_class_atom_from_0xc000_upward(void **state) {
  (void)state;
  ATOM atom = must_register(CLS);
  assert_true(atom >= 0xC000);
  must_unregister(CLS);
}

static void
register_class_with_a_name_differing_only_in_case_fails_with_class_already_exists(
    void **state) {
  (void)state;
  must_register(CLS);
  WNDCLASSW wc;
  memset(&wc, 0, sizeof wc);
  wc.lpfnWndProc = test_proc;
  wc.lpszClassName = CLS_UPPER;
  SetLastError(0);
  assert_int_equal(RegisterClassW(&wc), 0);
  assert_int_equal(GetLastError(), ERROR_CLASS_ALREADY_EXISTS);
  must_unregister(CLS_UPPER); /* names the same class */
}

static void
register_class_ex_with_a_wrong_size_fails_with_invalid_parameter(void **state) {
  (void)state;
  WNDCLASSEXW wc;
  memset(&wc, 0, sizeof wc);
  wc.cbSize = sizeof wc - 1;
  wc.lpfnWndProc = test_proc;
  wc.lpszClassName = CLS;
  SetLastError(0);
  assert_int_equal(RegisterClassExW(&wc), 0);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  wc.cbSize = sizeof wc;
  assert_true(RegisterClassExW(&wc) >= 0xC000);
  must_unregister(CLS);
}

static void
register_class_with_negative_extra_bytes_fails_with_invalid_parameter(
    void **state) {
  (void)state;
  WNDCLASSW wc;
  memset(&wc, 0, sizeof wc);
  wc.lpfnWndProc = test_proc;
  wc.lpszClassName = CLS;
  wc.cbWndExtra = -1;
  SetLastError(0);
  assert_int_equal(RegisterClassW(&wc), 0);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  wc.cbWndExtra = 0;
  wc.cbClsExtra = -1;
  SetLastError(0);
  assert_int_equal(RegisterClassW(&wc), 0);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
}

#ifndef _WIN32
/* Where Windows would fault or use its global atom table. */
static void register_class_needs_a_string_name_and_a_procedure(void **state) {
  (void)state;
  static const WCHAR *atom_name = (const WCHAR *)(ULONG_PTR)0xC123;
  WNDCLASSW wc;
  memset(&wc, 0, sizeof wc);
  wc.lpfnWndProc = test_proc;
  SetLastError(0);
  assert_int_equal(RegisterClassW(&wc), 0); /* no name */
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  wc.lpszClassName = atom_name;
  SetLastError(0);
  assert_int_equal(RegisterClassW(&wc), 0);
  assert_int_equal(GetLastError(), ERROR_NOT_SUPPORTED);
  wc.lpszClassName = CLS;
  wc.lpfnWndProc = NULL;
  SetLastError(0);
  assert_int_equal(RegisterClassW(&wc), 0);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
}
#endif

static void
unregister_unknown_class_fails_with_class_does_not_exist(void **state) {
  (void)state;
  SetLastError(0);
  assert_false(UnregisterClassW(CLS_UNKNOWN, NULL));
  assert_int_equal(GetLastError(), ERROR_CLASS_DOES_NOT_EXIST);
  must_register(CLS);
  must_unregister(CLS);
  SetLastError(0);
  assert_false(UnregisterClassW(CLS, NULL)); /* a second time */
  assert_int_equal(GetLastError(), ERROR_CLASS_DOES_NOT_EXIST);
}

static void
unregister_class_with_live_window_fails_with_class_has_windows(void **state) {
  (void)state;
  reset();
  must_register(CLS);
  HWND h = must_window(CLS);
  SetLastError(0);
  assert_false(UnregisterClassW(CLS, NULL));
  assert_int_equal(GetLastError(), ERROR_CLASS_HAS_WINDOWS);
  must_destroy(h);
  must_unregister(CLS);
}

static void
class_atom_names_the_class_in_create_window_and_unregister_class(void **state) {
  (void)state;
  reset();
  ATOM atom = must_register(CLS);
  LPCWSTR by_atom = (LPCWSTR)(ULONG_PTR)atom;
  HWND h = CreateWindowExW(0, by_atom, NULL, 0, 0, 0, 0, 0, HWND_MESSAGE, NULL,
                           NULL, NULL);
  assert_non_null(h);
  int i = find_seen(WM_NCCREATE, 0);
  assert_true(i >= 0);
  assert_ptr_equal(log_[i].create_class, by_atom);
  must_destroy(h);
  assert_true(UnregisterClassW(by_atom, NULL));
  SetLastError(0);
  assert_false(UnregisterClassW(CLS, NULL));
  assert_int_equal(GetLastError(), ERROR_CLASS_DOES_NOT_EXIST);
}

/* ---- CreateWindowEx, DestroyWindow, IsWindow ---- */

static void create_window_with_unknown_class_fails_with_cannot_find_wnd_class(
    void **state) {
  (void)state;
  SetLastError(0);
  assert_null(make_window(CLS_UNKNOWN, NULL));
#ifndef _WIN32
  /* Windows' code; Wine's user32 reports ERROR_CLASS_DOES_NOT_EXIST. */
  assert_int_equal(GetLastError(), ERROR_CANNOT_FIND_WND_CLASS);
#endif
}

static void
create_window_sends_nccreate_then_create_with_the_create_params(void **state) {
  (void)state;
  reset();
  int param;
  must_register(CLS);
  HWND h = make_window(CLS, &param);
  assert_non_null(h);
  assert_true(IsWindow(h));
  int nc = find_seen(WM_NCCREATE, 0);
  int cr = find_seen(WM_CREATE, 0);
  assert_true(nc >= 0 && cr > nc);
  assert_ptr_equal(log_[nc].hwnd, h);
  assert_ptr_equal(log_[cr].hwnd, h);
  assert_ptr_equal(log_[nc].create_params, &param);
  assert_ptr_equal(log_[cr].create_params, &param);
  assert_int_equal(log_[cr].thread, GetCurrentThreadId());
  must_destroy(h);
  must_unregister(CLS);
}

static void create_window_fails_when_nccreate_returns_false(void **state) {
  (void)state;
  reset();
  nccreate_reply = FALSE;
  must_register(CLS);
  assert_null(make_window(CLS, NULL));
  assert_true(find_seen(WM_NCCREATE, 0) >= 0);
  assert_int_equal(find_seen(WM_CREATE, 0), -1);
  assert_int_equal(find_seen(WM_DESTROY, 0), -1);
  must_unregister(CLS); /* no window of it is left */
}

static void
create_window_fails_and_destroys_the_window_when_create_returns_minus_one(
    void **state) {
  (void)state;
  reset();
  create_reply = -1;
  must_register(CLS);
  assert_null(make_window(CLS, NULL));
  int cr = find_seen(WM_CREATE, 0);
  int ncd = find_seen(WM_NCDESTROY, 0);
  assert_true(cr >= 0 && ncd > cr);
  assert_int_equal(find_seen(WM_DESTROY, 0), -1);
  assert_false(IsWindow(log_[cr].hwnd));
  must_unregister(CLS);
}

static void
create_window_with_an_invalid_parent_fails_with_invalid_window_handle(
    void **state) {
  (void)state;
  reset();
  must_register(CLS);
  HWND gone = must_window(CLS);
  must_destroy(gone);
  SetLastError(0);
  assert_null(CreateWindowExW(0, CLS, NULL, WS_CHILD, 0, 0, 0, 0, gone, NULL,
                              NULL, NULL));
  assert_int_equal(GetLastError(), ERROR_INVALID_WINDOW_HANDLE);
  must_unregister(CLS);
}

static void
destroy_window_sends_destroy_then_ncdestroy_and_invalidates_the_handle(
    void **state) {
  (void)state;
  reset();
  must_register(CLS);
  HWND h = must_window(CLS);
  must_destroy(h);
  int d = find_seen(WM_DESTROY, 0);
  int ncd = find_seen(WM_NCDESTROY, 0);
  assert_true(d >= 0 && ncd > d);
  assert_ptr_equal(log_[d].hwnd, h);
  assert_false(IsWindow(h));
  MSG m;
  memset(&m, 0, sizeof m);
  m.hwnd = h;
  m.message = WM_USER + 7;
  SetLastError(0);
  assert_int_equal(DispatchMessageW(&m), 0);
  assert_int_equal(GetLastError(), ERROR_INVALID_WINDOW_HANDLE);
  SetLastError(0);
  assert_false(DestroyWindow(h));
#ifndef _WIN32
  /* Windows' code; Wine's user32 reports ERROR_ACCESS_DENIED. */
  assert_int_equal(GetLastError(), ERROR_INVALID_WINDOW_HANDLE);
#endif
  must_unregister(CLS);
}

typedef struct destroyer {
  HWND hwnd;
  BOOL ok;
  DWORD error;
} destroyer;

static DWORD WINAPI destroy_from_other_thread(LPVOID arg) {
  destroyer *d = arg;
  SetLastError(0);
  d->ok = DestroyWindow(d->hwnd);
  d->error = GetLastError();
  return 0;
}

static void
destroy_window_of_another_thread_fails_with_access_denied(void **state) {
  (void)state;
  reset();
  must_register(CLS);
  destroyer d = {must_window(CLS), TRUE, 0};
  must_join(must_thread(destroy_from_other_thread, &d, NULL));
  assert_false(d.ok);
  assert_int_equal(d.error, ERROR_ACCESS_DENIED);
  assert_true(IsWindow(d.hwnd));
  must_destroy(d.hwnd);
  must_unregister(CLS);
}

static void destroy_window_discards_the_windows_queued_messages(void **state) {
  (void)state;
  reset();
  must_register(CLS);
  HWND h = must_window(CLS);
  assert_true(PostMessageW(h, WM_USER + 1, 1, 0));
  assert_true(PostMessageW(NULL, WM_USER + 2, 2, 0));
  assert_true(PostMessageW(h, WM_USER + 3, 3, 0));
  must_destroy(h);
  MSG m;
  assert_true(PeekMessageW(&m, NULL, WM_USER, WM_USER + 10, PM_REMOVE));
  assert_null(m.hwnd);
  assert_int_equal(m.message, WM_USER + 2);
  assert_false(PeekMessageW(&m, NULL, WM_USER, WM_USER + 10, PM_REMOVE));
  must_unregister(CLS);
}

static DWORD WINAPI make_window_and_end(LPVOID arg) {
  *(HWND *)arg = make_window(CLS, NULL);
  return 0;
}

static void window_is_destroyed_when_its_thread_ends(void **state) {
  (void)state;
  reset();
  must_register(CLS);
  HWND h = NULL;
  must_join(must_thread(make_window_and_end, &h, NULL));
  assert_non_null(h);
  assert_false(IsWindow(h));
  SetLastError(0);
  assert_false(PostMessageW(h, WM_USER, 0, 0));
  assert_int_equal(GetLastError(), ERROR_INVALID_WINDOW_HANDLE);
  must_unregister(CLS);
}

/* ---- PostMessage, GetMessage, PeekMessage ---- */

static void post_message_to_an_invalid_window_fails_with_invalid_window_handle(
    void **state) {
  (void)state;
  SetLastError(0);
  assert_false(PostMessageW((HWND)(ULONG_PTR)0x40000abc, WM_USER, 0, 0));
  assert_int_equal(GetLastError(), ERROR_INVALID_WINDOW_HANDLE);
}

static void post_message_to_null_posts_a_thread_message_to_the_calling_thread(
    void **state) {
  (void)state;
  assert_true(PostMessageW(NULL, WM_USER + 4, 40, 41));
  MSG m;
  assert_int_equal(GetMessageW(&m, NULL, WM_USER, WM_USER + 10), 1);
  assert_null(m.hwnd);
  assert_int_equal(m.message, WM_USER + 4);
  assert_int_equal(m.wParam, 40);
  assert_int_equal(m.lParam, 41);
}

static void get_message_returns_posted_messages_in_order_with_their_parameters(
    void **state) {
  (void)state;
  reset();
  must_register(CLS);
  HWND h = must_window(CLS);
  DWORD before = GetTickCount();
  for (int i = 1; i <= 3; i++)
    assert_true(PostMessageW(h, WM_USER + i, (WPARAM)i * 10, (LPARAM)i * 100));
  DWORD after = GetTickCount();
  for (int i = 1; i <= 3; i++) {
    MSG m;
    assert_true(GetMessageW(&m, NULL, 0, 0) > 0);
    assert_ptr_equal(m.hwnd, h);
    assert_int_equal(m.message, WM_USER + i);
    assert_int_equal(m.wParam, i * 10);
    assert_int_equal(m.lParam, i * 100);
#ifndef _WIN32
    assert_true(m.time - before <= after - before);
    assert_int_equal(m.pt.x, 0);
    assert_int_equal(m.pt.y, 0);
#else
    (void)before;
    (void)after;
#endif
  }
  must_destroy(h);
  must_unregister(CLS);
}

static void
get_message_returns_zero_for_wm_quit_after_queued_messages(void **state) {
  (void)state;
  PostQuitMessage(7);
  assert_true(PostMessageW(NULL, WM_USER + 1, 0, 0));
  MSG m;
  assert_int_equal(GetMessageW(&m, NULL, 0, 0), 1);
  assert_int_equal(m.message, WM_USER + 1);
  assert_int_equal(GetMessageW(&m, NULL, 0, 0), 0);
  assert_int_equal(m.message, WM_QUIT);
  assert_null(m.hwnd);
  assert_int_equal(m.wParam, 7);
  assert_false(PeekMessageW(&m, NULL, 0, 0, PM_REMOVE)); /* retrieved once */
}

static void
get_message_for_an_invalid_window_fails_with_minus_one_and_invalid_window_handle(
    void **state) {
  (void)state;
  MSG m;
  SetLastError(0);
  assert_int_equal(GetMessageW(&m, (HWND)(ULONG_PTR)0x40000abc, 0, 0), -1);
  assert_int_equal(GetLastError(), ERROR_INVALID_WINDOW_HANDLE);
}

#ifndef _WIN32
/* Where Windows would fault. */
static void
null_pointers_where_windows_would_fault_fail_with_noaccess(void **state) {
  (void)state;
  SetLastError(0);
  assert_int_equal(GetMessageW(NULL, NULL, 0, 0), -1);
  assert_int_equal(GetLastError(), ERROR_NOACCESS);
  SetLastError(0);
  assert_false(PeekMessageW(NULL, NULL, 0, 0, PM_REMOVE));
  assert_int_equal(GetLastError(), ERROR_NOACCESS);
  SetLastError(0);
  assert_int_equal(DispatchMessageW(NULL), 0);
  assert_int_equal(GetLastError(), ERROR_NOACCESS);
  SetLastError(0);
  assert_int_equal(RegisterClassExA(NULL), 0);
  assert_int_equal(GetLastError(), ERROR_NOACCESS);
}

/* Windows posts to every top-level window; libwpu has no such list. */
static void post_message_to_hwnd_broadcast_is_not_supported(void **state) {
  (void)state;
  SetLastError(0);
  assert_false(PostMessageW(HWND_BROADCAST, WM_USER, 0, 0));
  assert_int_equal(GetLastError(), ERROR_INVALID_WINDOW_HANDLE);
}
#endif

static void get_message_filters_by_window_and_by_message_range(void **state) {
  (void)state;
  reset();
  must_register(CLS);
  HWND a = must_window(CLS);
  HWND b = must_window(CLS);
  assert_true(PostMessageW(a, WM_USER + 1, 0, 0));
  assert_true(PostMessageW(b, WM_USER + 2, 0, 0));
  assert_true(PostMessageW(a, WM_USER + 3, 0, 0));
  assert_true(PostMessageW(NULL, WM_USER + 4, 0, 0));
  MSG m;
  assert_int_equal(GetMessageW(&m, b, 0, 0), 1);
  assert_int_equal(m.message, WM_USER + 2);
  assert_int_equal(GetMessageW(&m, a, WM_USER + 3, WM_USER + 4), 1);
  assert_int_equal(m.message, WM_USER + 3);
  assert_int_equal(GetMessageW(&m, NULL, WM_USER + 4, WM_USER + 4), 1);
  assert_int_equal(m.message, WM_USER + 4);
  assert_int_equal(GetMessageW(&m, NULL, WM_USER, WM_USER + 10), 1);
  assert_ptr_equal(m.hwnd, a);
  assert_int_equal(m.message, WM_USER + 1);
  must_destroy(a);
  must_destroy(b);
  must_unregister(CLS);
}

static void
peek_message_with_minus_one_returns_only_thread_messages(void **state) {
  (void)state;
  reset();
  must_register(CLS);
  HWND h = must_window(CLS);
  assert_true(PostMessageW(h, WM_USER + 1, 0, 0));
  assert_true(PostMessageW(NULL, WM_USER + 2, 0, 0));
  MSG m;
  assert_true(PeekMessageW(&m, (HWND)-1, 0, 0, PM_REMOVE));
  assert_null(m.hwnd);
  assert_int_equal(m.message, WM_USER + 2);
  assert_false(PeekMessageW(&m, (HWND)-1, 0, 0, PM_REMOVE));
  assert_true(PeekMessageW(&m, h, 0, 0, PM_REMOVE));
  assert_int_equal(m.message, WM_USER + 1);
  must_destroy(h);
  must_unregister(CLS);
}

static void peek_message_noremove_leaves_the_message_queued(void **state) {
  (void)state;
  assert_true(PostMessageW(NULL, WM_USER + 5, 5, 0));
  MSG m;
  assert_true(PeekMessageW(&m, NULL, WM_USER, WM_USER + 10, PM_NOREMOVE));
  assert_int_equal(m.message, WM_USER + 5);
  assert_true(PeekMessageW(&m, NULL, WM_USER, WM_USER + 10, PM_REMOVE));
  assert_int_equal(m.message, WM_USER + 5);
  assert_int_equal(m.wParam, 5);
  assert_false(PeekMessageW(&m, NULL, WM_USER, WM_USER + 10, PM_REMOVE));
}

static void peek_message_returns_false_when_nothing_matches(void **state) {
  (void)state;
  drain();
  MSG m;
  assert_false(PeekMessageW(&m, NULL, 0, 0, PM_REMOVE));
  assert_true(PostMessageW(NULL, WM_USER + 9, 0, 0));
  assert_false(PeekMessageW(&m, NULL, WM_USER, WM_USER + 8, PM_REMOVE));
  drain();
}

static void peek_message_removes_wm_quit_only_with_pm_remove(void **state) {
  (void)state;
  PostQuitMessage(3);
  MSG m;
  assert_true(PeekMessageW(&m, NULL, 0, 0, PM_NOREMOVE));
  assert_int_equal(m.message, WM_QUIT);
  assert_true(PeekMessageW(&m, NULL, 0, 0, PM_REMOVE));
  assert_int_equal(m.message, WM_QUIT);
  assert_int_equal(m.wParam, 3);
  assert_false(PeekMessageW(&m, NULL, 0, 0, PM_REMOVE));
}

static void
wm_quit_is_returned_whatever_the_filters_once_nothing_matches(void **state) {
  (void)state;
  reset();
  must_register(CLS);
  HWND h = must_window(CLS);
  PostQuitMessage(5);
  assert_true(PostMessageW(NULL, WM_USER + 1, 0, 0));
  assert_true(PostMessageW(h, WM_USER + 2, 0, 0));
  MSG m;
  assert_true(PeekMessageW(&m, NULL, WM_USER + 2, WM_USER + 2, PM_NOREMOVE));
  assert_int_equal(m.message, WM_USER + 2); /* a match comes first */
  assert_true(PeekMessageW(&m, NULL, WM_USER + 3, WM_USER + 4, PM_NOREMOVE));
  assert_int_equal(m.message, WM_QUIT);
  assert_true(
      PeekMessageW(&m, (HWND)-1, WM_USER + 2, WM_USER + 2, PM_NOREMOVE));
  assert_int_equal(m.message, WM_QUIT);
  assert_int_equal(GetMessageW(&m, h, WM_USER + 1, WM_USER + 1), 0);
  assert_int_equal(m.wParam, 5);
  assert_int_equal(GetMessageW(&m, NULL, 0, 0), 1);
  assert_int_equal(m.message, WM_USER + 1);
  must_destroy(h); /* drops WM_USER + 2 */
  assert_false(PeekMessageW(&m, NULL, 0, 0, PM_REMOVE));
  must_unregister(CLS);
}

#ifndef _WIN32
static DWORD WINAPI peek_for_window_of_other_thread(LPVOID arg) {
  MSG m;
  SetLastError(0);
  if (PeekMessageW(&m, *(HWND *)arg, 0, 0, PM_REMOVE))
    return 1;
  if (GetLastError() != ERROR_INVALID_WINDOW_HANDLE)
    return 2;
  if (GetMessageW(&m, *(HWND *)arg, 0, 0) != -1)
    return 3;
  return GetLastError() == ERROR_INVALID_WINDOW_HANDLE ? 0 : 4;
}

/* The window of another thread can have no message in this thread's queue
 * (Windows requires a window of the calling thread; Wine finds nothing, so
 * its GetMessage would block for ever). */
static void
get_message_for_another_threads_window_fails_with_invalid_window_handle(
    void **state) {
  (void)state;
  reset();
  must_register(CLS);
  HWND h = must_window(CLS);
  assert_true(PostMessageW(h, WM_USER + 1, 0, 0));
  assert_int_equal(
      must_join(must_thread(peek_for_window_of_other_thread, &h, NULL)), 0);
  MSG m;
  assert_true(PeekMessageW(&m, h, 0, 0, PM_REMOVE));
  assert_int_equal(m.message, WM_USER + 1);
  must_destroy(h);
  must_unregister(CLS);
}
#endif

static void peek_message_for_an_invalid_window_fails_with_invalid_window_handle(
    void **state) {
  (void)state;
  MSG m;
  SetLastError(0);
  assert_false(PeekMessageW(&m, (HWND)(ULONG_PTR)0x40000abc, 0, 0, PM_REMOVE));
  assert_int_equal(GetLastError(), ERROR_INVALID_WINDOW_HANDLE);
}

/* ---- DispatchMessage, TranslateMessage, DefWindowProc ---- */

static void dispatch_message_calls_the_window_procedure_and_returns_its_result(
    void **state) {
  (void)state;
  reset();
  must_register(CLS);
  HWND h = must_window(CLS);
  assert_true(PostMessageW(h, WM_USER + 7, 5, 6));
  MSG m;
  assert_int_equal(GetMessageW(&m, h, 0, 0), 1);
  int before = nlog;
  assert_int_equal(DispatchMessageW(&m), 0x1234 + 5);
  int i = find_seen(WM_USER + 7, before);
  assert_true(i >= 0);
  assert_ptr_equal(log_[i].hwnd, h);
  assert_int_equal(log_[i].wp, 5);
  assert_int_equal(log_[i].lp, 6);
  must_destroy(h);
  must_unregister(CLS);
}

static void dispatch_message_of_a_thread_message_returns_zero(void **state) {
  (void)state;
  MSG m;
  memset(&m, 0, sizeof m);
  m.message = WM_USER + 7;
  m.wParam = 5;
  assert_int_equal(DispatchMessageW(&m), 0);
}

static void
translate_message_returns_false_without_keyboard_input(void **state) {
  (void)state;
  MSG m;
  memset(&m, 0, sizeof m);
  m.message = WM_USER + 1;
  assert_false(TranslateMessage(&m));
}

static void def_window_proc_accepts_nccreate_and_destroys_the_window_on_close(
    void **state) {
  (void)state;
  reset();
  must_register(CLS);
  HWND h = must_window(CLS); /* test_proc leaves WM_NCCREATE to it */
  assert_true(PostMessageW(h, WM_CLOSE, 0, 0));
  MSG m;
  assert_int_equal(GetMessageW(&m, h, WM_CLOSE, WM_CLOSE), 1);
  assert_int_equal(DispatchMessageW(&m), 0);
  assert_true(find_seen(WM_DESTROY, 0) >= 0);
  assert_false(IsWindow(h));
  must_unregister(CLS);
}

/* ---- Across threads ---- */

typedef struct poster {
  HWND hwnd;
  int count;
} poster;

static DWORD WINAPI post_messages(LPVOID arg) {
  poster *p = arg;
  for (int i = 0; i < p->count; i++)
    if (!PostMessageW(p->hwnd, WM_USER + 1, (WPARAM)i, 0))
      return 1;
  return 0;
}

static void
messages_posted_from_another_thread_are_dispatched_by_the_owner_thread(
    void **state) {
  (void)state;
  reset();
  must_register(CLS);
  poster p = {must_window(CLS), 5};
  HANDLE t = must_thread(post_messages, &p, NULL);
  for (int i = 0; i < p.count; i++) {
    MSG m;
    assert_int_equal(GetMessageW(&m, p.hwnd, WM_USER, WM_USER + 1), 1);
    int before = nlog;
    DispatchMessageW(&m);
    int s = find_seen(WM_USER + 1, before);
    assert_true(s >= 0);
    assert_int_equal(log_[s].wp, i);
    assert_int_equal(log_[s].thread, GetCurrentThreadId());
  }
  assert_int_equal(must_join(t), 0);
  must_destroy(p.hwnd);
  must_unregister(CLS);
}

/* A relay: a thread with a window and a message loop, as providers run. */
typedef struct relay {
  HANDLE ready;
  HWND hwnd;
  DWORD thread;
} relay;

static int relay_sum;
static DWORD relay_seen_on;

static LRESULT CALLBACK relay_proc(HWND h, UINT m, WPARAM w, LPARAM l) {
  if (m == WM_USER + 1) {
    relay_sum += (int)w;
    relay_seen_on = GetCurrentThreadId();
    return 0;
  }
  if (m == WM_DESTROY) {
    PostQuitMessage(relay_sum);
    return 0;
  }
  return DefWindowProcW(h, m, w, l);
}

static DWORD WINAPI relay_loop(LPVOID arg) {
  relay *r = arg;
  r->hwnd = CreateWindowExW(0, CLS, NULL, 0, 0, 0, 0, 0, HWND_MESSAGE, NULL,
                            NULL, NULL);
  r->thread = GetCurrentThreadId();
  SetEvent(r->ready);
  if (r->hwnd == NULL)
    return 1000;
  MSG m;
  BOOL got;
  while ((got = GetMessageW(&m, NULL, 0, 0)) > 0) {
    TranslateMessage(&m);
    DispatchMessageW(&m);
  }
  return got == 0 ? (DWORD)m.wParam : 2000;
}

static void
get_message_in_a_relay_thread_waits_for_messages_from_others(void **state) {
  (void)state;
  relay_sum = 0;
  relay_seen_on = 0;
  WNDCLASSW wc;
  memset(&wc, 0, sizeof wc);
  wc.lpfnWndProc = relay_proc;
  wc.lpszClassName = CLS;
  assert_int_not_equal(RegisterClassW(&wc), 0);
  relay r = {CreateEventW(NULL, TRUE, FALSE, NULL), NULL, 0};
  assert_non_null(r.ready);
  HANDLE t = must_thread(relay_loop, &r, NULL);
  assert_int_equal(WaitForSingleObject(r.ready, WAIT_MS), WAIT_OBJECT_0);
  assert_non_null(r.hwnd);
  for (int i = 1; i <= 4; i++)
    assert_true(PostMessageW(r.hwnd, WM_USER + 1, (WPARAM)i, 0));
  assert_true(PostMessageW(r.hwnd, WM_CLOSE, 0, 0));
  assert_int_equal(must_join(t), 1 + 2 + 3 + 4);
  assert_int_equal(relay_seen_on, r.thread);
  assert_false(IsWindow(r.hwnd));
  assert_true(CloseHandle(r.ready));
  must_unregister(CLS);
}

static DWORD WINAPI end_at_once(LPVOID arg) {
  (void)arg;
  return 0;
}

static void post_thread_message_to_an_ended_thread_fails_with_invalid_thread_id(
    void **state) {
  (void)state;
  DWORD id = 0;
  must_join(must_thread(end_at_once, NULL, &id));
  SetLastError(0);
  assert_false(PostThreadMessageW(id, WM_USER, 0, 0));
#ifndef _WIN32
  /* Windows' code; Wine's user32 reports ERROR_INVALID_PARAMETER. */
  assert_int_equal(GetLastError(), ERROR_INVALID_THREAD_ID);
#endif
}

static DWORD WINAPI wait_thread_message(LPVOID arg) {
  MSG m;
  PeekMessageW(&m, NULL, WM_USER, WM_USER, PM_NOREMOVE); /* makes a queue */
  SetEvent((HANDLE)arg);
  if (GetMessageW(&m, (HWND)-1, 0, 0) != 1 || m.hwnd != NULL ||
      m.message != WM_USER + 5)
    return 0;
  return (DWORD)m.wParam;
}

static void
post_thread_message_reaches_a_thread_that_has_a_queue(void **state) {
  (void)state;
  HANDLE ready = CreateEventW(NULL, TRUE, FALSE, NULL);
  assert_non_null(ready);
  DWORD id = 0;
  HANDLE t = must_thread(wait_thread_message, ready, &id);
  assert_int_equal(WaitForSingleObject(ready, WAIT_MS), WAIT_OBJECT_0);
  assert_true(PostThreadMessageW(id, WM_USER + 5, 42, 0));
  assert_int_equal(must_join(t), 42);
  SetLastError(0); /* its queue went with it */
  assert_false(PostThreadMessageW(id, WM_USER + 5, 42, 0));
#ifndef _WIN32
  /* Windows' code; Wine's user32 reports ERROR_INVALID_PARAMETER. */
  assert_int_equal(GetLastError(), ERROR_INVALID_THREAD_ID);
#endif
  assert_true(CloseHandle(ready));
}

/* ---- The A functions ---- */

static LRESULT CALLBACK ansi_proc(HWND h, UINT m, WPARAM w, LPARAM l) {
  record(h, m, w, l);
  if (m == WM_USER + 7)
    return 0x77;
  return DefWindowProcA(h, m, w, l);
}

static void
ansi_functions_register_create_post_and_dispatch_like_wide_ones(void **state) {
  (void)state;
  reset();
  ansi_create = 1;
  static const char name[] = "wpuAnsiTest";
  WNDCLASSA wc;
  memset(&wc, 0, sizeof wc);
  wc.lpfnWndProc = ansi_proc;
  wc.lpszClassName = name;
  assert_true(RegisterClassA(&wc) >= 0xC000);
  SetLastError(0);
  assert_int_equal(RegisterClassA(&wc), 0);
  assert_int_equal(GetLastError(), ERROR_CLASS_ALREADY_EXISTS);
  int param;
  HWND h = CreateWindowExA(0, "WPUANSITEST", "title", 0, 0, 0, 0, 0,
                           HWND_MESSAGE, NULL, NULL, &param);
  assert_non_null(h);
  int cr = find_seen(WM_CREATE, 0);
  assert_true(cr >= 0);
  assert_ptr_equal(log_[cr].create_params, &param);
  assert_string_equal((const char *)log_[cr].create_class, "WPUANSITEST");
  assert_true(PostMessageA(h, WM_USER + 7, 1, 2));
  MSG m;
  assert_int_equal(GetMessageA(&m, h, 0, 0), 1);
  assert_int_equal(DispatchMessageA(&m), 0x77);
  assert_true(PostMessageA(h, WM_USER + 8, 1, 2));
  assert_true(PeekMessageA(&m, h, 0, 0, PM_REMOVE));
  assert_int_equal(m.message, WM_USER + 8);
  assert_true(DestroyWindow(h));
  assert_true(UnregisterClassA("wpuansitest", NULL));
}

#define T(fn)                                                                  \
  cmocka_unit_test_setup_teardown(fn, fws2_world_setup, fws2_world_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(register_class_returns_a_class_atom_from_0xc000_upward),
      T(register_class_with_a_name_differing_only_in_case_fails_with_class_already_exists),
      T(register_class_ex_with_a_wrong_size_fails_with_invalid_parameter),
      T(register_class_with_negative_extra_bytes_fails_with_invalid_parameter),
#ifndef _WIN32
      T(register_class_needs_a_string_name_and_a_procedure),
#endif
      T(unregister_unknown_class_fails_with_class_does_not_exist),
      T(unregister_class_with_live_window_fails_with_class_has_windows),
      T(class_atom_names_the_class_in_create_window_and_unregister_class),
      T(create_window_with_unknown_class_fails_with_cannot_find_wnd_class),
      T(create_window_sends_nccreate_then_create_with_the_create_params),
      T(create_window_fails_when_nccreate_returns_false),
      T(create_window_fails_and_destroys_the_window_when_create_returns_minus_one),
      T(create_window_with_an_invalid_parent_fails_with_invalid_window_handle),
      T(destroy_window_sends_destroy_then_ncdestroy_and_invalidates_the_handle),
      T(destroy_window_of_another_thread_fails_with_access_denied),
      T(destroy_window_discards_the_windows_queued_messages),
      T(window_is_destroyed_when_its_thread_ends),
      T(post_message_to_an_invalid_window_fails_with_invalid_window_handle),
      T(post_message_to_null_posts_a_thread_message_to_the_calling_thread),
      T(get_message_returns_posted_messages_in_order_with_their_parameters),
      T(get_message_returns_zero_for_wm_quit_after_queued_messages),
      T(get_message_for_an_invalid_window_fails_with_minus_one_and_invalid_window_handle),
#ifndef _WIN32
      T(null_pointers_where_windows_would_fault_fail_with_noaccess),
      T(post_message_to_hwnd_broadcast_is_not_supported),
#endif
      T(get_message_filters_by_window_and_by_message_range),
      T(peek_message_with_minus_one_returns_only_thread_messages),
      T(peek_message_noremove_leaves_the_message_queued),
      T(peek_message_returns_false_when_nothing_matches),
      T(peek_message_removes_wm_quit_only_with_pm_remove),
      T(wm_quit_is_returned_whatever_the_filters_once_nothing_matches),
#ifndef _WIN32
      T(get_message_for_another_threads_window_fails_with_invalid_window_handle),
#endif
      T(peek_message_for_an_invalid_window_fails_with_invalid_window_handle),
      T(dispatch_message_calls_the_window_procedure_and_returns_its_result),
      T(dispatch_message_of_a_thread_message_returns_zero),
      T(translate_message_returns_false_without_keyboard_input),
      T(def_window_proc_accepts_nccreate_and_destroys_the_window_on_close),
      T(messages_posted_from_another_thread_are_dispatched_by_the_owner_thread),
      T(get_message_in_a_relay_thread_waits_for_messages_from_others),
      T(post_thread_message_to_an_ended_thread_fails_with_invalid_thread_id),
      T(post_thread_message_reaches_a_thread_that_has_a_queue),
      T(ansi_functions_register_create_post_and_dispatch_like_wide_ones),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
