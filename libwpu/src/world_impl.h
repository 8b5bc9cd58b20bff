/* world_impl.h: the world's layout and the current-world pointer (internal). */
#ifndef WPU_WORLD_IMPL_H
#define WPU_WORLD_IMPL_H

#include <stdatomic.h>

#include <winsock2.h>
#include <wpu/world.h>

#include "handles.h"

struct wpu_world {
  wpu_handle_table handles;
  wpu_allocator alloc;
  wpu_report_cb report;
  void *report_user;
};

extern _Atomic(wpu_world *) wpu__current_world;

static inline wpu_world *wpu__world(void) {
  return atomic_load_explicit(&wpu__current_world, memory_order_acquire);
}

/* Writes one formatted report line through the world's report hook. */
void wpu__report(wpu_world *w, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Stores err in *lpErrno, or, when lpErrno is NULL, WSAEFAULT as the
 * thread's last error. */
static inline void wpu__set_errno(LPINT lpErrno, int err) {
  if (lpErrno != NULL)
    *lpErrno = err;
  else
    WSASetLastError(WSAEFAULT);
}

#endif /* WPU_WORLD_IMPL_H */
