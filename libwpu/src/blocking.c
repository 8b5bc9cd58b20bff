/* blocking.c: the per-thread Winsock 1.1 blocking hook and the callback
 * WPUQueryBlockingCallback gives providers.
 *
 * WSASetBlockingHook installs a hook for the calling thread only;
 * WSAUnhookBlockingHook removes it. While a thread has a hook,
 * WPUQueryBlockingCallback returns a callback (and a context naming the
 * thread's hook state) that a provider calls periodically during a blocking
 * operation: it runs the hook once and returns TRUE to go on waiting, or
 * FALSE once WSACancelBlockingCall has cancelled the operation. Without a
 * hook, the callback is NULL: the provider blocks on its own synchronisation
 * objects (as documented for Windows).
 *
 * On Linux the four WSA functions are defined here; on Windows they are
 * routed here (mingw/route.c), since the real ws2_32 would keep its own hook.
 * Winsock 2 removed the hook for applications that negotiate version 2.0 or
 * later; the front applies that rule, these functions do not.
 */
#include "hooks_impl.h"
#include "blocking.h"
#include "world_impl.h"

typedef struct blocking_state {
  FARPROC hook;
  int in_hook;   /* the thread is inside a blocking call's hook */
  int cancelled; /* WSACancelBlockingCall was called */
} blocking_state;

static _Thread_local blocking_state state;

static BOOL CALLBACK blocking_callback(DWORD_PTR dwContext) {
  blocking_state *b = (blocking_state *)dwContext;
  if (!b->cancelled && b->hook != NULL) {
    b->in_hook = 1;
    b->hook();
    b->in_hook = 0;
  }
  if (b->cancelled) {
    b->cancelled = 0;
    return FALSE;
  }
  return TRUE;
}

static int query_blocking_callback(DWORD dwCatalogEntryId,
                                   LPBLOCKINGCALLBACK *lplpfnCallback,
                                   PDWORD_PTR lpdwContext, LPINT lpErrno);

int WSPAPI WPUQueryBlockingCallback(DWORD dwCatalogEntryId,
                                    LPBLOCKINGCALLBACK *lplpfnCallback,
                                    PDWORD_PTR lpdwContext, LPINT lpErrno) {
  WPU_HOOKED(int, SOCKET_ERROR, WPU_HOOK_UPCALL, "WPUQueryBlockingCallback",
             dwCatalogEntryId, 0, NULL, lpErrno,
             query_blocking_callback(dwCatalogEntryId, lplpfnCallback,
                                     lpdwContext, lpErrno));
}

static int query_blocking_callback(DWORD dwCatalogEntryId,
                                   LPBLOCKINGCALLBACK *lplpfnCallback,
                                   PDWORD_PTR lpdwContext, LPINT lpErrno) {
  wpu_world *w = wpu__enter(lpErrno);
  if (w == NULL)
    return SOCKET_ERROR;
  if (lplpfnCallback == NULL || lpdwContext == NULL) {
    *lpErrno = WSAEFAULT;
    return SOCKET_ERROR;
  }
  if (!wpu__catalog_knows(w, dwCatalogEntryId)) {
    *lpErrno = WSAEINVAL;
    return SOCKET_ERROR;
  }
  if (state.hook == NULL) {
    *lplpfnCallback = NULL;
    *lpdwContext = 0;
  } else {
    *lplpfnCallback = blocking_callback;
    *lpdwContext = (DWORD_PTR)&state;
  }
  return 0;
}

FARPROC wpu__set_blocking_hook(FARPROC lpBlockFunc) {
  if (wpu__world() == NULL) {
    WSASetLastError(WSANOTINITIALISED);
    return NULL;
  }
  if (lpBlockFunc == NULL) {
    WSASetLastError(WSAEFAULT);
    return NULL;
  }
  if (state.in_hook) {
    WSASetLastError(WSAEINPROGRESS);
    return NULL;
  }
  FARPROC previous = state.hook;
  state.hook = lpBlockFunc;
  return previous;
}

int wpu__unhook_blocking_hook(void) {
  if (wpu__world() == NULL) {
    WSASetLastError(WSANOTINITIALISED);
    return SOCKET_ERROR;
  }
  if (state.in_hook) {
    WSASetLastError(WSAEINPROGRESS);
    return SOCKET_ERROR;
  }
  state.hook = NULL;
  return 0;
}

int wpu__cancel_blocking_call(void) {
  if (wpu__world() == NULL) {
    WSASetLastError(WSANOTINITIALISED);
    return SOCKET_ERROR;
  }
  if (!state.in_hook) {
    WSASetLastError(WSAEINVAL); /* no blocking call in progress */
    return SOCKET_ERROR;
  }
  state.cancelled = 1;
  return 0;
}

BOOL wpu__is_blocking(void) {
  return state.in_hook ? TRUE : FALSE;
}

#ifndef _WIN32
FARPROC WSAAPI WSASetBlockingHook(FARPROC lpBlockFunc) {
  return wpu__set_blocking_hook(lpBlockFunc);
}

int WSAAPI WSAUnhookBlockingHook(void) {
  return wpu__unhook_blocking_hook();
}

int WSAAPI WSACancelBlockingCall(void) {
  return wpu__cancel_blocking_call();
}

BOOL WSAAPI WSAIsBlocking(void) {
  return wpu__is_blocking();
}
#endif
