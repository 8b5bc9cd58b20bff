/* overlapped.c: WPUCompleteOverlappedRequest, the completion-port
 * association of socket handles, and held wake-ups (wpu_wakes_hold). */
#include <stdlib.h>

#include <platform.h>

#include "hooks_impl.h"
#include "overlapped.h"
#include "world_impl.h"

/* A socket slot's object: what Windows keeps in a socket's file object. */
typedef struct wpu_assoc {
  void *port; /* held (see overlapped.h) */
  ULONG_PTR key;
} wpu_assoc;

typedef struct wpu_sockx {
  _Atomic(wpu_assoc *) assoc; /* set once: one port per handle */
  _Atomic DWORD ifs_owner;    /* first WPUModifyIFSHandle's catalog id */
} wpu_sockx;

void wpu__socket_release(void *object) {
  wpu_sockx *x = object;
  wpu_assoc *a = atomic_load(&x->assoc);
  if (a != NULL) {
    wpu__port_release(a->port);
    free(a);
  }
  free(x);
}

/* The slot's extra record, made on first need (the caller holds a pin). */
static wpu_sockx *sockx(wpu_slot *slot) {
  wpu_sockx *x = atomic_load_explicit(&slot->object, memory_order_acquire);
  if (x != NULL)
    return x;
  x = wpu__hook_alloc("socket record", sizeof *x) ? NULL : calloc(1, sizeof *x);
  if (x == NULL)
    return NULL;
  if (wpu_handles_set_object(slot, x) != 0) {
    free(x);
    x = atomic_load_explicit(&slot->object, memory_order_acquire);
  }
  return x;
}

void wpu__socket_note_owner(wpu_slot *slot, DWORD catalog_id) {
  wpu_sockx *x = sockx(slot);
  DWORD none = 0;
  if (x != NULL)
    atomic_compare_exchange_strong(&x->ifs_owner, &none, catalog_id);
}

DWORD wpu_ifs_handle_owner(SOCKET s) {
  wpu_world *w = wpu__world();
  wpu_handle_view v;
  if (w == NULL || wpu_handles_get(&w->handles, (uintptr_t)s,
                                   WPU_KIND_BIT(WPU_KIND_IFS_SOCKET), &v) != 0)
    return 0;
  wpu_sockx *x = v.object;
  return x == NULL ? 0 : atomic_load(&x->ifs_owner);
}

DWORD wpu__socket_check_associable(SOCKET s) {
  wpu_world *w = wpu__world();
  wpu_handle_view v;
  if (w == NULL || wpu_handles_get(&w->handles, (uintptr_t)s, ~0u, &v) != 0)
    return ERROR_INVALID_HANDLE;
  return (WPU_KIND_BIT(v.kind) & WPU_KINDS_SOCKETS) ? 0
                                                    : ERROR_INVALID_PARAMETER;
}

DWORD wpu__socket_associate(SOCKET s, HANDLE port, ULONG_PTR key) {
  wpu_world *w = wpu__world();
  if (w == NULL)
    return ERROR_INVALID_PARAMETER;
  wpu_slot *slot =
      wpu_handles_pin(&w->handles, (uintptr_t)s, WPU_KINDS_SOCKETS, NULL);
  if (slot == NULL)
    return ERROR_INVALID_PARAMETER;
  DWORD err = 0;
  wpu_sockx *x = sockx(slot);
  wpu_assoc *a = x == NULL || wpu__hook_alloc("port association", sizeof *a)
                     ? NULL
                     : malloc(sizeof *a);
  if (a == NULL) {
    err = ERROR_NOT_ENOUGH_MEMORY;
  } else if ((a->port = wpu__port_from_handle(port)) == NULL) {
    err = ERROR_INVALID_HANDLE;
    free(a);
  } else {
    a->key = key;
    wpu_assoc *none = NULL;
    if (!atomic_compare_exchange_strong(&x->assoc, &none, a)) {
      err = ERROR_INVALID_PARAMETER; /* one port per handle */
      wpu__port_release(a->port);
      free(a);
    } else {
      wpu__port_note_socket(a->port);
    }
  }
  wpu_handles_unpin(&w->handles, slot);
  return err;
}

/* Completes an overlapped operation on a socket of one of the given kinds:
 * the work of WPUCompleteOverlappedRequest, and of the kernel for IFS
 * handles. */
static int complete(SOCKET s, unsigned kinds, LPWSAOVERLAPPED lpOverlapped,
                    DWORD dwError, DWORD cbTransferred, LPINT lpErrno,
                    int bad_socket_error) {
  wpu_world *w = wpu__enter(lpErrno);
  if (w == NULL)
    return SOCKET_ERROR;
  wpu_handle_view v;
  wpu_slot *slot = wpu_handles_pin(&w->handles, (uintptr_t)s, kinds, &v);
  if (slot == NULL) {
    *lpErrno = bad_socket_error;
    return SOCKET_ERROR;
  }
  if (lpOverlapped == NULL) {
    wpu_handles_unpin(&w->handles, slot);
    *lpErrno = WSAEFAULT;
    return SOCKET_ERROR;
  }
  /* The results first, then Internal (no longer WSS_OPERATION_IN_PROGRESS)
   * with release order, so whoever sees Internal change sees them. */
  lpOverlapped->InternalHigh = cbTransferred;
  lpOverlapped->OffsetHigh = dwError;
  __atomic_store_n(&lpOverlapped->Internal,
                   dwError == 0 ? 0 : WPU_NTSTATUS_FROM_WIN32(dwError),
                   __ATOMIC_RELEASE);
  WSAEVENT hEvent = lpOverlapped->hEvent;
  HANDLE event = (HANDLE)((ULONG_PTR)hEvent & ~(ULONG_PTR)1);
  if (event != NULL)
    SetEvent(event);
  int rc = 0;
  /* The low-order bit of hEvent set: no completion-port notification. */
  wpu_sockx *x = v.object;
  wpu_assoc *a = x == NULL ? NULL : atomic_load(&x->assoc);
  if (!((ULONG_PTR)hEvent & 1) && a != NULL) {
    DWORD err = wpu__port_post(a->port, cbTransferred, a->key,
                               (LPOVERLAPPED)lpOverlapped, dwError);
    if (err != 0) {
      *lpErrno = WSA_NOT_ENOUGH_MEMORY;
      rc = SOCKET_ERROR;
    }
  }
  wpu_handles_unpin(&w->handles, slot);
  return rc;
}

/* complete() as the hooks see it: reported as a completion (error and
 * bytes in arg), which they may defer (reported done, performed later by
 * calling again) or fail. */
static int hooked_complete(const char *name, SOCKET s, unsigned kinds,
                           LPWSAOVERLAPPED ov, DWORD dwError,
                           DWORD cbTransferred, LPINT lpErrno, int bad) {
  wpu_hook_call c = {0};
  c.kind = WPU_HOOK_COMPLETION;
  c.name = name;
  c.socket = s;
  c.overlapped = ov;
  c.arg[0] = dwError;
  c.arg[1] = cbTransferred;
  int f = wpu_hook_enter(&c);
  int rc;
  if (f == WPU_HOOK_DEFER) {
    rc = 0;
  } else if (f != 0) {
    wpu__hook_fail(lpErrno, f);
    rc = SOCKET_ERROR;
  } else {
    rc = complete(s, kinds, ov, dwError, cbTransferred, lpErrno, bad);
  }
  if (c.live) {
    c.result = rc;
    c.failed = rc == SOCKET_ERROR;
    c.error = c.failed && lpErrno != NULL ? *lpErrno : 0;
    wpu_hook_exit(&c);
  }
  return rc;
}

int WSPAPI WPUCompleteOverlappedRequest(SOCKET s, LPWSAOVERLAPPED lpOverlapped,
                                        DWORD dwError, DWORD cbTransferred,
                                        LPINT lpErrno) {
  /* Only WPUCreateSocketHandle handles: WSAEINVAL for anything else. */
  return hooked_complete("WPUCompleteOverlappedRequest", s,
                         WPU_KIND_BIT(WPU_KIND_SOCKET), lpOverlapped, dwError,
                         cbTransferred, lpErrno, WSAEINVAL);
}

int wpu_ifs_complete_overlapped(SOCKET s, LPWSAOVERLAPPED lpOverlapped,
                                DWORD dwError, DWORD cbTransferred,
                                LPINT lpErrno) {
  return hooked_complete("IFS completion", s, WPU_KIND_BIT(WPU_KIND_IFS_SOCKET),
                         lpOverlapped, dwError, cbTransferred, lpErrno,
                         WSAENOTSOCK);
}

/* ---- Held wake-ups (wpu/sockets.h) ---- */

/* On Windows the kernel wakes the port's waiters: nothing is held. */
#define WAKES_HELD_MAX 16

static _Thread_local struct {
  int depth; /* nesting of wpu_wakes_hold */
  int n;
  uint32_t *word[WAKES_HELD_MAX];
} held;

void wpu_wakes_hold(void) {
  held.depth++;
}

void wpu_wakes_release(void) {
  if (held.depth == 0 || --held.depth > 0)
    return;
  /* The sleepers' records may be gone by now (a waiter that timed out):
   * a wake does not touch the word, and a spurious one is harmless. */
  int n = held.n;
  held.n = 0;
#ifndef _WIN32
  for (int i = 0; i < n; i++)
    wpu_plat_word_wake(held.word[i]);
#else
  (void)n;
#endif
}

int wpu_wakes_held(void) {
  return held.n;
}

int wpu__wake_hold(uint32_t *word) {
  if (held.depth == 0 || held.n == WAKES_HELD_MAX)
    return 0;
  held.word[held.n++] = word;
  return 1;
}
