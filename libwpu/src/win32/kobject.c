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

void wpu__kobject_slot_release(wpu_kind kind, void *object) {
  wpu_kobject *o = object;
  if (o == NULL)
    return;
  if (atomic_fetch_sub_explicit(&o->handles, 1, memory_order_acq_rel) == 1 &&
      kind == WPU_KIND_PORT)
    wpu__port_abandon(o);
  wpu__kobject_unref(o);
}

wpu_world *wpu__world_for_kernel32(void) {
  wpu_world *w = wpu__world();
  if (w != NULL)
    return w;
  return wpu__world_implicit();
}

HANDLE wpu__kobject_handle(wpu_kobject *o) {
  return wpu__kobject_handle_ctx(o, 0);
}

HANDLE wpu__kobject_handle_ctx(wpu_kobject *o, uintptr_t context) {
  wpu_world *w = wpu__world_for_kernel32();
  uintptr_t h = 0;
  atomic_fetch_add_explicit(&o->handles, 1, memory_order_relaxed);
  if (w != NULL)
    h = wpu_handles_create(&w->handles, o->kind, 0, context, o);
  if (h == 0) {
    atomic_fetch_sub_explicit(&o->handles, 1, memory_order_relaxed);
    wpu__kobject_unref(o);
    SetLastError(w == NULL ? ERROR_NOT_ENOUGH_MEMORY
                           : ERROR_NO_SYSTEM_RESOURCES);
    return NULL;
  }
  return (HANDLE)h;
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
  if (hSourceProcessHandle != WPU_PSEUDO_PROCESS ||
      hTargetProcessHandle != WPU_PSEUDO_PROCESS) {
    SetLastError(ERROR_INVALID_HANDLE);
    return FALSE;
  }
  wpu_kobject *o = wpu__kobject_get(hSourceHandle, WPU_KINDS_KERNEL);
  if (o == NULL)
    return FALSE;
  if (lpTargetHandle == NULL) {
    /* Windows allows a NULL target only to close the source. */
    wpu__kobject_unref(o);
    if (dwOptions & DUPLICATE_CLOSE_SOURCE)
      return CloseHandle(hSourceHandle);
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  HANDLE dup = wpu__kobject_handle(o); /* takes our reference */
  if (dup == NULL)
    return FALSE;
  if (dwOptions & DUPLICATE_CLOSE_SOURCE)
    CloseHandle(hSourceHandle);
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
