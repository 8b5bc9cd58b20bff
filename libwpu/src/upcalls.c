/* upcalls.c: the WSPUPCALLTABLE handed to providers, WPUFDIsSet, and the
 * event, thread, APC and message upcalls (over kernel32/user32).
 *
 * Every upcall fails with WSANOTINITIALISED when no world is current (no
 * WSPStartup could have happened), and sets WSAEFAULT as the thread's last
 * error when lpErrno is NULL.
 *
 * WPUGetProviderPath, which reads the catalog, is in catalog.c.
 */
#include "hooks_impl.h"
#include "world_impl.h"

static int fd_is_set(SOCKET s, fd_set *fdset) {
  if (fdset == NULL)
    return 0;
  /* fd_count is trusted as the caller's own FD_SETSIZE may be larger than
   * ours (providers are often built with FD_SETSIZE 1024). */
  for (u_int i = 0; i < fdset->fd_count; i++)
    if (fdset->fd_array[i] == s)
      return 1;
  return 0;
}

int WSPAPI WPUFDIsSet(SOCKET s, fd_set *fdset) {
  WPU_HOOKED(int, -1, WPU_HOOK_UPCALL, "WPUFDIsSet", 0, s, NULL, NULL,
             fd_is_set(s, fdset));
}

#ifndef _WIN32
/* ws2_32's export behind FD_ISSET; Windows has its own. */
int WSAAPI __WSAFDIsSet(SOCKET s, fd_set *set) {
  return WPUFDIsSet(s, set);
}
#endif

/* The event upcalls are kernel32's manual-reset events (on Linux the
 * emulated ones, on Windows the real ones). */
static WSAEVENT create_event(LPINT lpErrno) {
  if (wpu__enter(lpErrno) == NULL)
    return WSA_INVALID_EVENT;
  HANDLE h = CreateEventW(NULL, TRUE, FALSE, NULL);
  if (h == NULL) {
    *lpErrno = WSA_NOT_ENOUGH_MEMORY;
    return WSA_INVALID_EVENT;
  }
  return h;
}

typedef BOOL(WINAPI *event_fn)(HANDLE);

static BOOL event_op(event_fn fn, WSAEVENT hEvent, LPINT lpErrno) {
  if (wpu__enter(lpErrno) == NULL)
    return FALSE;
  if (hEvent == WSA_INVALID_EVENT || !fn(hEvent)) {
    *lpErrno = WSA_INVALID_HANDLE;
    return FALSE;
  }
  return TRUE;
}

WSAEVENT WSPAPI WPUCreateEvent(LPINT lpErrno) {
  WPU_HOOKED(WSAEVENT, WSA_INVALID_EVENT, WPU_HOOK_UPCALL, "WPUCreateEvent", 0,
             0, NULL, lpErrno, create_event(lpErrno));
}

BOOL WSPAPI WPUCloseEvent(WSAEVENT hEvent, LPINT lpErrno) {
  WPU_HOOKED(BOOL, FALSE, WPU_HOOK_UPCALL, "WPUCloseEvent", 0, 0, NULL, lpErrno,
             event_op(CloseHandle, hEvent, lpErrno));
}

BOOL WSPAPI WPUSetEvent(WSAEVENT hEvent, LPINT lpErrno) {
  WPU_HOOKED(BOOL, FALSE, WPU_HOOK_UPCALL, "WPUSetEvent", 0, 0, NULL, lpErrno,
             event_op(SetEvent, hEvent, lpErrno));
}

BOOL WSPAPI WPUResetEvent(WSAEVENT hEvent, LPINT lpErrno) {
  WPU_HOOKED(BOOL, FALSE, WPU_HOOK_UPCALL, "WPUResetEvent", 0, 0, NULL, lpErrno,
             event_op(ResetEvent, hEvent, lpErrno));
}

/* A WSATHREADID names a thread by a handle of its own (ThreadHandle);
 * Reserved carries the thread id. */
static int open_current_thread(LPWSATHREADID lpThreadId, LPINT lpErrno) {
  if (wpu__enter(lpErrno) == NULL)
    return SOCKET_ERROR;
  if (lpThreadId == NULL) {
    *lpErrno = WSAEFAULT;
    return SOCKET_ERROR;
  }
  HANDLE h;
  if (!DuplicateHandle(GetCurrentProcess(), GetCurrentThread(),
                       GetCurrentProcess(), &h, 0, FALSE,
                       DUPLICATE_SAME_ACCESS)) {
    *lpErrno = WSASYSCALLFAILURE;
    return SOCKET_ERROR;
  }
  lpThreadId->ThreadHandle = h;
  lpThreadId->Reserved = GetCurrentThreadId();
  return 0;
}

int WSPAPI WPUOpenCurrentThread(LPWSATHREADID lpThreadId, LPINT lpErrno) {
  WPU_HOOKED(int, SOCKET_ERROR, WPU_HOOK_UPCALL, "WPUOpenCurrentThread", 0, 0,
             NULL, lpErrno, open_current_thread(lpThreadId, lpErrno));
}

static int close_thread(LPWSATHREADID lpThreadId, LPINT lpErrno) {
  if (wpu__enter(lpErrno) == NULL)
    return SOCKET_ERROR;
  if (lpThreadId == NULL || lpThreadId->ThreadHandle == NULL ||
      !CloseHandle(lpThreadId->ThreadHandle)) {
    *lpErrno = WSAEINVAL;
    return SOCKET_ERROR;
  }
  lpThreadId->ThreadHandle = NULL;
  return 0;
}

int WSPAPI WPUCloseThread(LPWSATHREADID lpThreadId, LPINT lpErrno) {
  WPU_HOOKED(int, SOCKET_ERROR, WPU_HOOK_UPCALL, "WPUCloseThread", 0, 0, NULL,
             lpErrno, close_thread(lpThreadId, lpErrno));
}

static int queue_apc(LPWSATHREADID lpThreadId, LPWSAUSERAPC lpfnUserApc,
                     DWORD_PTR dwContext, LPINT lpErrno) {
  if (wpu__enter(lpErrno) == NULL)
    return SOCKET_ERROR;
  /* LPWSAUSERAPC and PAPCFUNC have the same signature. */
  if (lpThreadId == NULL || lpfnUserApc == NULL ||
      !QueueUserAPC((PAPCFUNC)lpfnUserApc, lpThreadId->ThreadHandle,
                    dwContext)) {
    *lpErrno = WSAEFAULT; /* the thread is not valid */
    return SOCKET_ERROR;
  }
  return 0;
}

int WSPAPI WPUQueueApc(LPWSATHREADID lpThreadId, LPWSAUSERAPC lpfnUserApc,
                       DWORD_PTR dwContext, LPINT lpErrno) {
  WPU_HOOKED(int, SOCKET_ERROR, WPU_HOOK_UPCALL, "WPUQueueApc", 0, 0, NULL,
             lpErrno, queue_apc(lpThreadId, lpfnUserApc, dwContext, lpErrno));
}

/* Messages go to the window's queue (on Linux the emulated user32, on
 * Windows the real one). A fault's error becomes the last error. */
BOOL WSPAPI WPUPostMessage(HWND hWnd, UINT Msg, WPARAM wParam, LPARAM lParam) {
  WPU_HOOKED(BOOL, FALSE, WPU_HOOK_UPCALL, "WPUPostMessage", 0, wParam, NULL,
             NULL, PostMessageW(hWnd, Msg, wParam, lParam));
}

WSPUPCALLTABLE wpu_upcall_table(void) {
  WSPUPCALLTABLE t;
  t.lpWPUCloseEvent = WPUCloseEvent;
  t.lpWPUCloseSocketHandle = WPUCloseSocketHandle;
  t.lpWPUCreateEvent = WPUCreateEvent;
  t.lpWPUCreateSocketHandle = WPUCreateSocketHandle;
  t.lpWPUFDIsSet = WPUFDIsSet;
  t.lpWPUGetProviderPath = WPUGetProviderPath;
  t.lpWPUModifyIFSHandle = WPUModifyIFSHandle;
  t.lpWPUPostMessage = WPUPostMessage;
  t.lpWPUQueryBlockingCallback = WPUQueryBlockingCallback;
  t.lpWPUQuerySocketHandleContext = WPUQuerySocketHandleContext;
  t.lpWPUQueueApc = WPUQueueApc;
  t.lpWPUResetEvent = WPUResetEvent;
  t.lpWPUSetEvent = WPUSetEvent;
  t.lpWPUOpenCurrentThread = WPUOpenCurrentThread;
  t.lpWPUCloseThread = WPUCloseThread;
  return t;
}
