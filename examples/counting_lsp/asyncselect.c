/* asyncselect.c: counting_lsp's WSPAsyncSelect, relayed through a hidden
 * window of its own.
 *
 * The next layer posts its messages for ITS socket; the application must
 * get them for OURS (wParam is the socket handle). So, as nonifslsp does,
 * the LSP asks the next layer to post to a hidden window (created with its
 * thread on first use), whose window procedure finds the record of the
 * next layer's socket and re-posts (application window, application
 * message, our handle, lParam) with WPUPostMessage. A socket accepted from
 * a listening socket inherits its window and message, as on Windows; a
 * message that arrives for a socket whose accept has not returned yet is
 * re-posted until the record exists. The window and its thread end at the
 * last WSPCleanup.
 *
 * Errors: WSAEINVAL when lEvent has unknown bits or hWnd is not a window
 * (lEvent != 0), WSAENOBUFS when the relay window cannot be made, and the
 * next layer's errors. */
#include <string.h>

#include "lsp_internal.h"

#define WM_RELAY (WM_USER + 0x4c53)

#ifndef FD_ALL_EVENTS
#define FD_ALL_EVENTS ((1 << FD_MAX_EVENTS) - 1)
#endif

static HANDLE thread;           /* the window's thread (g.lock) */
static HWND relay;              /* its window (g.lock) */
static HANDLE ready;            /* set once relay is made (or failed) */
static volatile LONG accepting; /* accepts in progress */
static const WCHAR class_name[] = L"counting_lsp relay window";

static LRESULT CALLBACK relay_proc(HWND hwnd, UINT msg, WPARAM wParam,
                                   LPARAM lParam) {
  if (msg == WM_RELAY) {
    HWND to = NULL;
    UINT to_msg = 0;
    SOCKET handle = INVALID_SOCKET;
    EnterCriticalSection(&g.lock);
    for (lsp_socket *s = g.sockets; s != NULL; s = s->next)
      if (s->lower == (SOCKET)wParam && !s->closing) {
        to = s->hwnd;
        to_msg = s->msg;
        handle = s->handle;
        break;
      }
    LeaveCriticalSection(&g.lock);
    if (handle != INVALID_SOCKET && to != NULL)
      g.up.lpWPUPostMessage(to, to_msg, (WPARAM)handle, lParam);
    else if (handle == INVALID_SOCKET &&
             InterlockedCompareExchange(&accepting, 0, 0) > 0)
      PostMessageW(hwnd, msg, wParam, lParam); /* its accept is returning */
    return 0;
  }
  if (msg == WM_DESTROY) {
    PostQuitMessage(0);
    return 0;
  }
  return DefWindowProcW(hwnd, msg, wParam, lParam);
}

static DWORD WINAPI relay_thread(LPVOID arg) {
  (void)arg;
  WNDCLASSW wc;
  memset(&wc, 0, sizeof wc);
  wc.lpfnWndProc = relay_proc;
  wc.lpszClassName = class_name;
  RegisterClassW(&wc);
  /* Message-only: it is never shown and needs no desktop. */
  HWND w = CreateWindowExW(0, class_name, L"", 0, 0, 0, 0, 0, HWND_MESSAGE,
                           NULL, NULL, NULL);
  EnterCriticalSection(&g.lock);
  relay = w;
  LeaveCriticalSection(&g.lock);
  SetEvent(ready);
  if (w == NULL)
    return 1;
  MSG m;
  while (GetMessageW(&m, NULL, 0, 0) > 0) {
    TranslateMessage(&m);
    DispatchMessageW(&m);
  }
  UnregisterClassW(class_name, NULL);
  return 0;
}

/* The relay window, made on first use; NULL when it cannot be. */
static HWND relay_window(void) {
  EnterCriticalSection(&g.lock);
  HWND w = relay;
  BOOL start = w == NULL && thread == NULL;
  if (start) {
    ready = CreateEventW(NULL, TRUE, FALSE, NULL);
    thread = ready == NULL ? NULL
                           : CreateThread(NULL, 0, relay_thread, NULL, 0, NULL);
  }
  HANDLE t = thread, r = ready;
  LeaveCriticalSection(&g.lock);
  if (w != NULL || t == NULL)
    return w;
  WaitForSingleObject(r, INFINITE);
  EnterCriticalSection(&g.lock);
  w = relay;
  LeaveCriticalSection(&g.lock);
  return w;
}

void lsp_async_stop(void) {
  EnterCriticalSection(&g.lock);
  HWND w = relay;
  HANDLE t = thread, r = ready;
  thread = ready = NULL;
  relay = NULL;
  LeaveCriticalSection(&g.lock);
  if (t == NULL)
    return;
  if (w != NULL)
    PostMessageW(w, WM_CLOSE, 0, 0); /* destroyed by its own thread */
  WaitForSingleObject(t, INFINITE);
  CloseHandle(t);
  CloseHandle(r);
}

void lsp_async_accepting(BOOL begin) {
  if (begin)
    InterlockedIncrement(&accepting);
  else
    InterlockedDecrement(&accepting);
}

int WSPAPI lsp_WSPAsyncSelect(SOCKET h, HWND hWnd, unsigned int wMsg,
                              LONG lEvent, LPINT lpErrno) {
  if ((lEvent & ~(LONG)FD_ALL_EVENTS) != 0 ||
      (lEvent != 0 && !IsWindow(hWnd))) {
    *lpErrno = WSAEINVAL;
    return SOCKET_ERROR;
  }
  lsp_socket *s = lsp_socket_ref(h, lpErrno);
  if (s == NULL)
    return SOCKET_ERROR;
  HWND w = relay_window();
  int rc = SOCKET_ERROR;
  if (w == NULL) {
    *lpErrno = WSAENOBUFS;
  } else {
    EnterCriticalSection(&g.lock);
    s->hwnd = lEvent != 0 ? hWnd : NULL;
    s->msg = wMsg;
    LeaveCriticalSection(&g.lock);
    rc = s->provider->procs.lpWSPAsyncSelect(s->lower, w, WM_RELAY, lEvent,
                                             lpErrno);
  }
  lsp_socket_deref(s);
  return rc;
}
