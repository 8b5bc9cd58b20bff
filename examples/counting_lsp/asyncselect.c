/* asyncselect.c: counting_lsp's WSPAsyncSelect, relayed through a hidden
 * window of its own.
 *
 * The next layer posts its messages for ITS socket; the application must
 * get them for OURS (wParam is the socket handle). So, as nonifslsp does,
 * the LSP asks the next layer to post to a hidden window (created with its
 * thread on first use), whose window procedure finds the record of the
 * next layer's socket and re-posts (application window, application
 * message, our handle, lParam) with WPUPostMessage. A socket accepted from
 * a listening socket inherits its window and message, as on Windows.
 *
 * A message may arrive for a next layer's socket whose record does not
 * exist yet: its accept (the next layer's WSPAccept) has returned but
 * lsp_socket_create has not linked the record. While an accept is in
 * progress such messages are parked (at most MAX_PARKED; later ones are
 * dropped) and relayed, in their order and before any later message of
 * that socket, when lsp_socket_create announces the socket
 * (lsp_async_created posts WM_FLUSH for it to the relay thread). Once no
 * accept is in progress (WM_SWEEP), parked messages of sockets that never
 * got a record are dropped, as are messages for unknown sockets while no
 * accept is in progress. Nothing is re-posted in a loop.
 * The window and its thread end at the last WSPCleanup.
 *
 * The window class is registered with the module's HINSTANCE (from
 * CountingDllMain; ERROR_CLASS_ALREADY_EXISTS is accepted: another load of
 * the module in the same process registered it).
 *
 * Errors: WSAEINVAL when lEvent has unknown bits or hWnd is not a window
 * (lEvent != 0), WSAENOBUFS when the relay window cannot be made, and the
 * next layer's errors. */
#include <string.h>

#include "lsp_internal.h"

#define WM_RELAY   (WM_USER + 0x4c53)
#define WM_FLUSH   (WM_USER + 0x4c54) /* wParam: a lower socket now known */
#define WM_SWEEP   (WM_USER + 0x4c55) /* no accept in progress any more */
#define MAX_PARKED 256

#ifndef FD_ALL_EVENTS
#define FD_ALL_EVENTS ((1 << FD_MAX_EVENTS) - 1)
#endif

static HANDLE thread;           /* the window's thread (g.lock) */
static HWND relay;              /* its window (g.lock) */
static HANDLE ready;            /* set once relay is made (or failed) */
static volatile LONG accepting; /* accepts in progress */
static const WCHAR class_name[] = L"counting_lsp relay window";

/* Messages parked for lower sockets without a record yet, oldest first
 * (only the relay thread touches them). */
typedef struct parked_msg {
  SOCKET lower;
  LPARAM lParam;
} parked_msg;
static parked_msg parked[MAX_PARKED];
static int nparked;

/* The record's target for the next layer's socket lower; FALSE if there is
 * no live record. */
static BOOL target(SOCKET lower, HWND *to, UINT *to_msg, SOCKET *handle) {
  BOOL found = FALSE;
  EnterCriticalSection(&g.lock);
  for (lsp_socket *s = g.sockets; s != NULL; s = s->next)
    if (s->lower == lower && !s->closing) {
      *to = s->hwnd;
      *to_msg = s->msg;
      *handle = s->handle;
      found = TRUE;
      break;
    }
  LeaveCriticalSection(&g.lock);
  return found;
}

/* Relays (to != NULL) or drops the parked messages of lower. */
static void unpark(SOCKET lower, HWND to, UINT to_msg, SOCKET handle) {
  int k = 0;
  for (int i = 0; i < nparked; i++) {
    if (parked[i].lower != lower)
      parked[k++] = parked[i];
    else if (to != NULL)
      g.up.lpWPUPostMessage(to, to_msg, (WPARAM)handle, parked[i].lParam);
  }
  nparked = k;
}

static LRESULT CALLBACK relay_proc(HWND hwnd, UINT msg, WPARAM wParam,
                                   LPARAM lParam) {
  if (msg == WM_RELAY || msg == WM_FLUSH) {
    HWND to = NULL;
    UINT to_msg = 0;
    SOCKET handle = INVALID_SOCKET;
    if (target((SOCKET)wParam, &to, &to_msg, &handle)) {
      unpark((SOCKET)wParam, to, to_msg, handle); /* the older ones first */
      if (msg == WM_RELAY && to != NULL)
        g.up.lpWPUPostMessage(to, to_msg, (WPARAM)handle, lParam);
    } else if (msg == WM_RELAY &&
               InterlockedCompareExchange(&accepting, 0, 0) > 0 &&
               nparked < MAX_PARKED) {
      parked[nparked].lower = (SOCKET)wParam; /* its accept is returning */
      parked[nparked++].lParam = lParam;
    }
    return 0;
  }
  if (msg == WM_SWEEP) {
    /* Parked messages of sockets that never got a record (the accept
     * failed, or the socket was closed below) go once no accept runs. */
    while (nparked > 0 && InterlockedCompareExchange(&accepting, 0, 0) == 0) {
      HWND to = NULL;
      UINT to_msg = 0;
      SOCKET handle = INVALID_SOCKET, lower = parked[0].lower;
      if (!target(lower, &to, &to_msg, &handle))
        to = NULL;
      unpark(lower, to, to_msg, handle);
    }
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
  HINSTANCE inst = lsp_instance();
  WNDCLASSW wc;
  memset(&wc, 0, sizeof wc);
  wc.lpfnWndProc = relay_proc;
  wc.hInstance = inst;
  wc.lpszClassName = class_name;
  HWND w = NULL;
  if (RegisterClassW(&wc) != 0 || GetLastError() == ERROR_CLASS_ALREADY_EXISTS)
    /* Message-only: it is never shown and needs no desktop. */
    w = CreateWindowExW(0, class_name, L"", 0, 0, 0, 0, 0, HWND_MESSAGE, NULL,
                        inst, NULL);
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
  nparked = 0;
  UnregisterClassW(class_name, inst);
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

/* Posts msg for lower to the relay window, if there is one. */
static void post_relay(UINT msg, SOCKET lower) {
  EnterCriticalSection(&g.lock);
  HWND w = relay;
  LeaveCriticalSection(&g.lock);
  if (w != NULL)
    PostMessageW(w, msg, (WPARAM)lower, 0);
}

void lsp_async_accepting(BOOL begin) {
  if (begin)
    InterlockedIncrement(&accepting);
  else if (InterlockedDecrement(&accepting) == 0)
    post_relay(WM_SWEEP, INVALID_SOCKET);
}

void lsp_async_created(SOCKET lower) {
  post_relay(WM_FLUSH, lower);
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
