/* conformance_ready.c: the conformance checks of readiness and accepting:
 * select, WSAEventSelect, WSAAsyncSelect and conditional accept. */
#include <string.h>

#include "conformance_internal.h"

/* ---- select ---- */

static int select_one(SOCKET s, BOOL write, DWORD ms, fd_set *set) {
  FD_ZERO(set);
  FD_SET(s, set);
  struct timeval tv = {(long)(ms / 1000), (long)(ms % 1000) * 1000};
  return select(0, write ? NULL : set, write ? set : NULL, NULL, &tv);
}

void ck_select(ck *c) {
  SOCKET cl, sv;
  if (!ck_pair(c, &cl, &sv))
    return;
  fd_set set;
  int n = select_one(sv, FALSE, 0, &set);
  CK_EXPECT(c, n == 0,
            "select must not report a socket readable before any data came; "
            "it returned %d (error %d)",
            n, n < 0 ? WSAGetLastError() : 0);
  n = select_one(sv, TRUE, 0, &set);
  CK_EXPECT(c, n == 1 && set.fd_count == 1 && set.fd_array[0] == sv,
            "select must report a connected socket writable, with the "
            "application's handle 0x%llx in the set; it returned %d with %u "
            "handles (first 0x%llx)",
            (unsigned long long)sv, n, (unsigned)set.fd_count,
            (unsigned long long)(set.fd_count ? set.fd_array[0] : 0));
  CK_EXPECT(c, send(cl, "x", 1, 0) == 1, "send failed with %d",
            WSAGetLastError());
  n = select_one(sv, FALSE, c->wait, &set);
  CK_EXPECT(c, n == 1 && set.fd_count == 1 && set.fd_array[0] == sv,
            "select must report the socket readable once data came, with the "
            "application's handle 0x%llx in the set; it returned %d with %u "
            "handles (first 0x%llx)",
            (unsigned long long)sv, n, (unsigned)set.fd_count,
            (unsigned long long)(set.fd_count ? set.fd_array[0] : 0));
}

/* ---- WSAEventSelect ---- */

static BOOL wait_event(ck *c, HANDLE ev) {
  return WSAWaitForMultipleEvents(1, &ev, FALSE, c->wait, FALSE) ==
         WSA_WAIT_EVENT_0;
}

void ck_event_select(ck *c) {
  SOCKET cl, sv;
  if (!ck_pair(c, &cl, &sv))
    return;
  HANDLE ev = ck_event(c);
  if (ev == NULL)
    return;
  CK_EXPECT(c, WSAEventSelect(sv, ev, FD_READ | FD_CLOSE) == 0,
            "WSAEventSelect failed with %d", WSAGetLastError());
  CK_EXPECT(c, WaitForSingleObject(ev, 0) == WAIT_TIMEOUT,
            "the event was signaled before any FD_READ or FD_CLOSE");
  CK_EXPECT(c, send(cl, "x", 1, 0) == 1, "send failed with %d",
            WSAGetLastError());
  CK_EXPECT(c, wait_event(c, ev),
            "WSAEventSelect(FD_READ): the event must be signaled when data "
            "comes; not within %lu ms",
            (unsigned long)c->wait);
  WSANETWORKEVENTS ne;
  memset(&ne, 0, sizeof ne);
  CK_EXPECT(c, WSAEnumNetworkEvents(sv, ev, &ne) == 0,
            "WSAEnumNetworkEvents failed with %d", WSAGetLastError());
  CK_EXPECT(c, (ne.lNetworkEvents & FD_READ) && ne.iErrorCode[FD_READ_BIT] == 0,
            "WSAEnumNetworkEvents after data came: expected FD_READ with "
            "error 0; got events 0x%lx (FD_READ error %d)",
            (unsigned long)ne.lNetworkEvents, ne.iErrorCode[FD_READ_BIT]);
  CK_EXPECT(c, WaitForSingleObject(ev, 0) == WAIT_TIMEOUT,
            "WSAEnumNetworkEvents must reset the event it is given");
  char b[4];
  CK_EXPECT(c, recv(sv, b, sizeof b, 0) == 1, "recv failed with %d",
            WSAGetLastError());
  CK_EXPECT(c, ck_close(c, cl) == 0, "closesocket failed with %d",
            WSAGetLastError());
  CK_EXPECT(c, wait_event(c, ev),
            "WSAEventSelect(FD_CLOSE): the event must be signaled when the "
            "peer closes; not within %lu ms",
            (unsigned long)c->wait);
  memset(&ne, 0, sizeof ne);
  CK_EXPECT(c, WSAEnumNetworkEvents(sv, ev, &ne) == 0,
            "WSAEnumNetworkEvents failed with %d", WSAGetLastError());
  CK_EXPECT(c,
            (ne.lNetworkEvents & FD_CLOSE) && ne.iErrorCode[FD_CLOSE_BIT] == 0,
            "WSAEnumNetworkEvents after a graceful close of the peer: "
            "expected FD_CLOSE with error 0; got events 0x%lx (FD_CLOSE error "
            "%d)",
            (unsigned long)ne.lNetworkEvents, ne.iErrorCode[FD_CLOSE_BIT]);
}

/* ---- WSAAsyncSelect ---- */

#define CK_WM_SOCK    (WM_USER + 101)
#define CK_WM_TIMEOUT (WM_USER + 102)

static struct {
  HWND hwnd;
  HANDLE stop;
  DWORD wait;
  WPARAM generation;
} timer;

static DWORD WINAPI timer_thread(LPVOID arg) {
  WPARAM gen = (WPARAM)arg;
  if (WaitForSingleObject(timer.stop, timer.wait) == WAIT_TIMEOUT)
    PostMessageW(timer.hwnd, CK_WM_TIMEOUT, gen, 0);
  return 0;
}

/* The next socket message, waiting up to the check's timeout (a thread
 * posts CK_WM_TIMEOUT when it runs out): TRUE if one came. */
static BOOL next_message(ck *c, MSG *m) {
  WPARAM gen = ++timer.generation;
  ResetEvent(timer.stop);
  HANDLE t = CreateThread(NULL, 0, timer_thread, (LPVOID)gen, 0, NULL);
  if (t == NULL)
    return FALSE;
  BOOL got = FALSE;
  for (;;) {
    if (GetMessageW(m, timer.hwnd, CK_WM_SOCK, CK_WM_TIMEOUT) <= 0)
      break;
    if (m->message == CK_WM_SOCK) {
      got = TRUE;
      break;
    }
    if (m->wParam == gen)
      break; /* this wait's time ran out (older ones are stale) */
  }
  SetEvent(timer.stop);
  WaitForSingleObject(t, INFINITE);
  CloseHandle(t);
  (void)c;
  return got;
}

static void async_body(ck *c) {
  SOCKET cl, sv;
  if (!ck_pair(c, &cl, &sv))
    return;
  CK_EXPECT(c,
            WSAAsyncSelect(sv, timer.hwnd, CK_WM_SOCK, FD_READ | FD_CLOSE) == 0,
            "WSAAsyncSelect failed with %d", WSAGetLastError());
  CK_EXPECT(c, send(cl, "x", 1, 0) == 1, "send failed with %d",
            WSAGetLastError());
  MSG m;
  CK_EXPECT(c, next_message(c, &m),
            "WSAAsyncSelect(FD_READ): expected a message when data comes; "
            "none within %lu ms",
            (unsigned long)c->wait);
  CK_EXPECT(c, (SOCKET)m.wParam == sv,
            "the WSAAsyncSelect message's wParam must be the application's "
            "socket 0x%llx; it is 0x%llx",
            (unsigned long long)sv, (unsigned long long)m.wParam);
  CK_EXPECT(c,
            WSAGETSELECTEVENT(m.lParam) == FD_READ &&
                WSAGETSELECTERROR(m.lParam) == 0,
            "expected lParam WSAMAKESELECTREPLY(FD_READ, 0); got event 0x%x "
            "error %d",
            (unsigned)WSAGETSELECTEVENT(m.lParam),
            (int)WSAGETSELECTERROR(m.lParam));
  char b[4];
  CK_EXPECT(c, recv(sv, b, sizeof b, 0) == 1, "recv failed with %d",
            WSAGetLastError());
  CK_EXPECT(c, ck_close(c, cl) == 0, "closesocket failed with %d",
            WSAGetLastError());
  BOOL closed = FALSE;
  for (int i = 0; i < 2 && !closed && next_message(c, &m); i++)
    closed = WSAGETSELECTEVENT(m.lParam) == FD_CLOSE &&
             (SOCKET)m.wParam == sv && WSAGETSELECTERROR(m.lParam) == 0;
  CK_EXPECT(c, closed,
            "WSAAsyncSelect(FD_CLOSE): expected a message (socket 0x%llx, "
            "FD_CLOSE, error 0) when the peer closes; none within %lu ms",
            (unsigned long long)sv, (unsigned long)c->wait);
  WSAAsyncSelect(sv, timer.hwnd, 0, 0);
}

static LRESULT CALLBACK plain_proc(HWND h, UINT m, WPARAM w, LPARAM l) {
  return DefWindowProcW(h, m, w, l);
}

static const WCHAR window_class[] = L"fws2_conformance";

void ck_async_select(ck *c) {
  WNDCLASSW wc;
  memset(&wc, 0, sizeof wc);
  wc.lpfnWndProc = plain_proc;
  wc.lpszClassName = window_class;
  RegisterClassW(&wc); /* may exist from an earlier run: fine */
  timer.hwnd = CreateWindowExW(0, window_class, L"", 0, 0, 0, 0, 0,
                               HWND_MESSAGE, NULL, NULL, NULL);
  timer.stop = CreateEventW(NULL, TRUE, FALSE, NULL);
  timer.wait = c->wait;
  if (timer.hwnd == NULL || timer.stop == NULL)
    ck_fail(c, "cannot make a window for the messages (error %lu)",
            (unsigned long)GetLastError());
  else
    async_body(c);
  if (timer.hwnd != NULL)
    DestroyWindow(timer.hwnd);
  if (timer.stop != NULL)
    CloseHandle(timer.stop);
  timer.hwnd = NULL;
  timer.stop = NULL;
  UnregisterClassW(window_class, NULL);
}

/* ---- Conditional accept ---- */

static struct {
  SOCKET s;
  struct sockaddr_in to;
  int rc, err;
} conn;

static DWORD WINAPI connect_thread(LPVOID arg) {
  (void)arg;
  conn.rc = connect(conn.s, (struct sockaddr *)&conn.to, sizeof conn.to);
  conn.err = conn.rc == 0 ? 0 : WSAGetLastError();
  return 0;
}

static volatile LONG cond_calls;
static int cond_family;

static int CALLBACK condition(LPWSABUF caller, LPWSABUF caller_data, LPQOS sqos,
                              LPQOS gqos, LPWSABUF callee, LPWSABUF callee_data,
                              GROUP *g, DWORD_PTR decision) {
  (void)caller_data, (void)sqos, (void)gqos, (void)callee, (void)callee_data;
  (void)g;
  InterlockedIncrement(&cond_calls);
  cond_family = caller != NULL && caller->buf != NULL
                    ? ((struct sockaddr *)caller->buf)->sa_family
                    : -1;
  return (int)decision;
}

/* Starts a connect to the listener from another thread. */
static HANDLE start_connect(ck *c, const struct sockaddr_in *to) {
  conn.s = ck_socket(c, SOCK_STREAM);
  if (conn.s == INVALID_SOCKET)
    return NULL;
  conn.to = *to;
  conn.rc = 99;
  return ck_thread(c, connect_thread, NULL);
}

void ck_conditional_accept(ck *c) {
  struct sockaddr_in a;
  SOCKET l = ck_bound(c, SOCK_STREAM, &a);
  if (l == INVALID_SOCKET)
    return;
  BOOL on = TRUE;
  CK_EXPECT(c,
            setsockopt(l, SOL_SOCKET, SO_CONDITIONAL_ACCEPT, (char *)&on,
                       sizeof on) == 0,
            "setsockopt(SO_CONDITIONAL_ACCEPT) failed with %d",
            WSAGetLastError());
  CK_EXPECT(c, listen(l, 4) == 0, "listen failed with %d", WSAGetLastError());
  HANDLE t = start_connect(c, &a);
  if (t == NULL)
    return;
  CK_EXPECT(c, ck_readable(c, l),
            "the listener must be readable while a connect waits for the "
            "condition function; not within %lu ms",
            (unsigned long)c->wait);
  cond_calls = 0;
  cond_family = 0;
  SOCKET s = WSAAccept(l, NULL, NULL, condition, CF_REJECT);
  int err = WSAGetLastError();
  CK_EXPECT(c, s == INVALID_SOCKET && err == WSAECONNREFUSED,
            "WSAAccept whose condition function returns CF_REJECT must fail "
            "with WSAECONNREFUSED; it %s (error %d), the condition function "
            "ran %ld times",
            s == INVALID_SOCKET ? "failed" : "returned a socket", err,
            (long)cond_calls);
  CK_EXPECT(c, cond_calls == 1 && cond_family == AF_INET,
            "the condition function must run once with the caller's "
            "AF_INET address; it ran %ld times (family %d)",
            (long)cond_calls, cond_family);
  CK_EXPECT(c, WaitForSingleObject(t, c->wait) == WAIT_OBJECT_0,
            "the rejected connect did not return within %lu ms",
            (unsigned long)c->wait);
  CK_EXPECT(c, conn.rc == SOCKET_ERROR && conn.err == WSAECONNREFUSED,
            "a connect rejected by CF_REJECT must fail with WSAECONNREFUSED; "
            "it returned %d (error %d)",
            conn.rc, conn.err);
  t = start_connect(c, &a);
  if (t == NULL)
    return;
  CK_EXPECT(c, ck_readable(c, l),
            "the listener must be readable while a connect waits; not "
            "within %lu ms",
            (unsigned long)c->wait);
  s = WSAAccept(l, NULL, NULL, condition, CF_ACCEPT);
  CK_EXPECT(c, s != INVALID_SOCKET,
            "WSAAccept whose condition function returns CF_ACCEPT must "
            "return a socket; it failed with %d",
            WSAGetLastError());
  if (c->nsocks < CK_MAX_SOCKS)
    c->socks[c->nsocks++] = s;
  CK_EXPECT(c, WaitForSingleObject(t, c->wait) == WAIT_OBJECT_0 && conn.rc == 0,
            "a connect accepted by CF_ACCEPT must succeed; it returned %d "
            "(error %d)",
            conn.rc, conn.err);
  CK_EXPECT(c, send(s, "hi", 2, 0) == 2, "send failed with %d",
            WSAGetLastError());
  char in[4];
  DWORD got = ck_recv_all(c, conn.s, in, 2);
  CK_EXPECT(c, got == 2 && memcmp(in, "hi", 2) == 0,
            "data over the conditionally accepted connection: expected "
            "\"hi\", got %s",
            ck_show(in, got));
}
