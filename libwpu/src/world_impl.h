/* world_impl.h: the world's layout and the current-world pointer (internal). */
#ifndef WPU_WORLD_IMPL_H
#define WPU_WORLD_IMPL_H

#include <stdatomic.h>

#include <winsock2.h>
#include <wpu/hooks.h>
#include <wpu/world.h>

#include "handles.h"

struct wpu_world {
  wpu_handle_table handles;
  wpu_allocator alloc;
  wpu_allocator table_alloc; /* the handle table's: alloc, hooked */
  wpu_report_cb report;
  void *report_user;
  wpu_debug_output_cb debug_output; /* NULL: stderr */
  void *debug_output_user;
  _Atomic size_t debug_breaks;
  uint64_t serial; /* unique among the process's worlds */
  _Atomic(struct wpu_providers *) providers; /* started providers */
  struct wpu_attachment *attachments;        /* guarded by attach_mu */
  struct wpu_plat_mutex *attach_mu;
  struct wpu_catalog *catalog;    /* made on first use (catalog.c) */
  struct wpu_world *retired_next; /* see world.c */
  int implicit; /* made by wpu__world_implicit, replaced by the next create */
  wpu_hooks hooks; /* hooks.c: valid while has_hooks */
  _Atomic int has_hooks;
  _Atomic int hooks_busy; /* hooks.c: hook calls reading hooks now */
};

/* Makes (or returns) the default world kernel32 and the front use when no
 * world was created explicitly. NULL when out of memory. */
wpu_world *wpu__world_implicit(void);

/* Whether id names an entry of the world's catalog (catalog.c). Id 0 never
 * does; while the catalog is empty every other id is taken as valid, so
 * tests that drive a provider without installing it keep working. */
int wpu__catalog_knows(wpu_world *w, DWORD id);

/* Frees the world's catalog (world.c's destroy path; catalog.c). */
void wpu__catalog_free(wpu_world *w);

/* Handles libwpu opens for itself (the front's per-thread WSATHREADID) have
 * this context; leak reports and handle counts skip them. */
#define WPU_CONTEXT_INTERNAL ((uintptr_t)1)

/* What a socket slot's object is released with (overlapped.c). */
void wpu__socket_release(void *object);

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

/* The entry check of every upcall: the current world, or NULL after storing
 * the error (WSAEFAULT as the thread's last error when lpErrno is NULL,
 * WSANOTINITIALISED in *lpErrno when there is no world). */
static inline wpu_world *wpu__enter(LPINT lpErrno) {
  if (lpErrno == NULL) {
    WSASetLastError(WSAEFAULT);
    return NULL;
  }
  wpu_world *w = wpu__world();
  if (w == NULL)
    *lpErrno = WSANOTINITIALISED;
  return w;
}

/* Stores err in *lpErrno, or, when lpErrno is NULL, WSAEFAULT as the
 * thread's last error. */
static inline void wpu__set_errno(LPINT lpErrno, int err) {
  if (lpErrno != NULL)
    *lpErrno = err;
  else
    WSASetLastError(WSAEFAULT);
}

#endif /* WPU_WORLD_IMPL_H */
