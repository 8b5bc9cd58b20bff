/* kobject.c: kernel-object references and handles (CloseHandle,
 * DuplicateHandle) of the Linux kernel32 emulation.
 *
 * Not supported: handles to other processes (any process handle but
 * GetCurrentProcess() fails with ERROR_INVALID_HANDLE), inheritance and
 * access masks (accepted and ignored), and CloseHandle/DuplicateHandle on
 * socket handles (ERROR_INVALID_HANDLE; close sockets with closesocket). */
#include <stdlib.h>

#include "kobject.h"

void wpu__kobject_unref(wpu_kobject *o) {
  if (atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) != 1)
    return;
  switch (o->kind) {
  case WPU_KIND_EVENT:
  case WPU_KIND_SEMAPHORE:
    wpu__waitable_destroy(o);
    break;
  case WPU_KIND_THREAD:
    wpu__thread_destroy(o);
    break;
  case WPU_KIND_PORT:
    wpu__port_destroy(o);
    break;
  case WPU_KIND_WINDOW:
    wpu__window_destroy(o);
    break;
  default:
    abort(); /* not a kernel object: memory corruption */
  }
}

static void handle_gone(wpu_kobject *o);

void wpu__kobject_slot_release(wpu_kind kind, void *object) {
  wpu_kobject *o = object;
  (void)kind;
  if (o == NULL)
    return;
  handle_gone(o);
  wpu__kobject_unref(o);
}

wpu_world *wpu__world_for_kernel32(void) {
  wpu_world *w = wpu__world();
  if (w != NULL)
    return w;
  return wpu__world_implicit();
}

/* Drops one open-handle count; the last one of a port abandons it. */
static void handle_gone(wpu_kobject *o) {
  if (atomic_fetch_sub_explicit(&o->handles, 1, memory_order_acq_rel) == 1 &&
      o->kind == WPU_KIND_PORT)
    wpu__port_abandon(o);
}

static HANDLE make_handle(wpu_kobject *o, uintptr_t context, int dup) {
  /* A port whose last handle is closing is abandoned for good: a duplicate
   * made now must fail rather than name a dead port. */
  uint32_t n = atomic_load_explicit(&o->handles, memory_order_relaxed);
  do {
    if (dup && n == 0 && o->kind == WPU_KIND_PORT) {
      wpu__kobject_unref(o);
      SetLastError(ERROR_INVALID_HANDLE);
      return NULL;
    }
  } while (!atomic_compare_exchange_weak_explicit(
      &o->handles, &n, n + 1, memory_order_acq_rel, memory_order_relaxed));
  wpu_world *w = wpu__world_for_kernel32();
  uintptr_t h = 0;
  if (w != NULL)
    h = wpu_handles_create(&w->handles, o->kind, 0, context, o);
  if (h == 0) {
    handle_gone(o);
    wpu__kobject_unref(o);
    SetLastError(w == NULL ? ERROR_NOT_ENOUGH_MEMORY
                           : ERROR_NO_SYSTEM_RESOURCES);
    return NULL;
  }
  return (HANDLE)h;
}

HANDLE wpu__kobject_handle(wpu_kobject *o) {
  return make_handle(o, 0, 0);
}

HANDLE wpu__kobject_handle_ctx(wpu_kobject *o, uintptr_t context) {
  return make_handle(o, context, 0);
}

wpu_kobject *wpu__kobject_get(HANDLE h, unsigned kinds) {
  if (h == WPU_PSEUDO_THREAD && (kinds & WPU_KIND_BIT(WPU_KIND_THREAD))) {
    wpu_thread *t = wpu__thread_self();
    if (t == NULL) {
      SetLastError(ERROR_NOT_ENOUGH_MEMORY);
      return NULL;
    }
    wpu__kobject_ref(&t->w.obj);
    return &t->w.obj;
  }
  wpu_world *w = wpu__world();
  wpu_handle_view v;
  wpu_slot *slot =
      w == NULL ? NULL : wpu_handles_pin(&w->handles, (uintptr_t)h, kinds, &v);
  if (slot == NULL) {
    SetLastError(ERROR_INVALID_HANDLE);
    return NULL;
  }
  wpu_kobject *o = v.object;
  wpu__kobject_ref(o);
  wpu_handles_unpin(&w->handles, slot);
  return o;
}

BOOL WINAPI CloseHandle(HANDLE h) {
  if (h == WPU_PSEUDO_THREAD || h == WPU_PSEUDO_PROCESS)
    return TRUE; /* closing a pseudo-handle does nothing, as documented */
  wpu_world *w = wpu__world();
  if (w == NULL ||
      wpu_handles_close(&w->handles, (uintptr_t)h, WPU_KINDS_KERNEL) != 0) {
    SetLastError(ERROR_INVALID_HANDLE);
    return FALSE;
  }
  return TRUE;
}

BOOL WINAPI DuplicateHandle(HANDLE hSourceProcessHandle, HANDLE hSourceHandle,
                            HANDLE hTargetProcessHandle,
                            LPHANDLE lpTargetHandle, DWORD dwDesiredAccess,
                            BOOL bInheritHandle, DWORD dwOptions) {
  (void)dwDesiredAccess;
  (void)bInheritHandle;
  BOOL close_source = (dwOptions & DUPLICATE_CLOSE_SOURCE) != 0;
  if (hSourceProcessHandle != WPU_PSEUDO_PROCESS) {
    SetLastError(ERROR_INVALID_HANDLE);
    return FALSE;
  }
  if (hTargetProcessHandle != WPU_PSEUDO_PROCESS) {
    /* The source is closed "regardless of any error status". */
    if (close_source)
      CloseHandle(hSourceHandle);
    SetLastError(ERROR_INVALID_HANDLE);
    return FALSE;
  }
  wpu_kobject *o = wpu__kobject_get(hSourceHandle, WPU_KINDS_KERNEL);
  if (o == NULL) {
    if (close_source)
      CloseHandle(hSourceHandle);
    return FALSE;
  }
  /* make_handle takes over our reference. */
  HANDLE dup = make_handle(o, 0, 1);
  DWORD err = dup == NULL ? GetLastError() : 0;
  /* DUPLICATE_CLOSE_SOURCE closes the source whatever happened. */
  if (close_source)
    CloseHandle(hSourceHandle);
  if (dup == NULL) {
    SetLastError(err);
    return FALSE;
  }
  /* A NULL lpTargetHandle: duplicated but not returned (documented as kept
   * for compatibility: the duplicate stays open). */
  if (lpTargetHandle != NULL)
    *lpTargetHandle = dup;
  return TRUE;
}

/* Wine's headers declare these (they are inline only inside Wine). */
HANDLE WINAPI GetCurrentProcess(void) {
  return WPU_PSEUDO_PROCESS;
}

HANDLE WINAPI GetCurrentThread(void) {
  return WPU_PSEUDO_THREAD;
}
