/* hooks_impl.h: how libwpu's own functions report to the world's hooks
 * (wpu/hooks.h), one line per function (internal). */
#ifndef WPU_HOOKS_IMPL_H
#define WPU_HOOKS_IMPL_H

#include <wpu/hooks.h>

#include "world_impl.h"

/* Whether the current world may have hooks: one relaxed load, no lock.
 * The fast path of every hooked function while no double is on (the hook
 * calls themselves check again under the busy count). */
static inline int wpu__hooks_on(void) {
  wpu_world *w = wpu__world();
  return w != NULL && atomic_load_explicit(&w->has_hooks, memory_order_relaxed);
}

/* Stores a fault's error where the call reports errors: *lpErrno, or the
 * thread's last error for calls without one. */
static inline void wpu__hook_fail(LPINT lpErrno, int err) {
  if (lpErrno != NULL)
    *lpErrno = err;
  else
    SetLastError((DWORD)err);
}

/* The body of a hooked upcall: reports the entry, fails with the hooks'
 * error or evaluates expr (the real work), reports the result, returns it.
 * failv is the value that means failure; errp the call's lpErrno (may be
 * NULL). */
#define WPU_HOOKED(type, failv, kind_, name_, cat_, sock_, ov_, errp, expr)    \
  do {                                                                         \
    if (__builtin_expect(!wpu__hooks_on(), 1))                                 \
      return (expr);                                                           \
    wpu_hook_call hc_ = {0};                                                   \
    hc_.kind = (kind_);                                                        \
    hc_.name = (name_);                                                        \
    hc_.catalog_id = (cat_);                                                   \
    hc_.socket = (SOCKET)(sock_);                                              \
    hc_.overlapped = (ov_);                                                    \
    int f_ = wpu_hook_enter(&hc_);                                             \
    type r_;                                                                   \
    if (f_ != 0 && f_ != WPU_HOOK_DEFER) {                                     \
      wpu__hook_fail((errp), f_);                                              \
      r_ = (failv);                                                            \
    } else {                                                                   \
      r_ = (expr);                                                             \
    }                                                                          \
    if (hc_.live) {                                                            \
      hc_.result = (intptr_t)r_;                                               \
      hc_.failed = r_ == (failv);                                              \
      hc_.error = hc_.failed && (errp) != NULL ? *(LPINT)(errp) : 0;           \
      wpu_hook_exit(&hc_);                                                     \
    }                                                                          \
    return r_;                                                                 \
  } while (0)

/* A kernel32-subset function's entry: fails with the hooks' error (as the
 * last error) by returning failv. */
int wpu__hook_kernel32(const char *name);
#define WPU_KERNEL32_HOOK(name, failv)                                         \
  do {                                                                         \
    int kf_ = wpu__hooks_on() ? wpu__hook_kernel32(name) : 0;                  \
    if (kf_ != 0) {                                                            \
      SetLastError((DWORD)kf_);                                                \
      return failv;                                                            \
    }                                                                          \
  } while (0)

/* An internal allocation's entry: nonzero when the hooks make it fail. */
int wpu__hook_alloc_slow(const char *what, size_t size);
static inline int wpu__hook_alloc(const char *what, size_t size) {
  return wpu__hooks_on() ? wpu__hook_alloc_slow(what, size) : 0;
}

/* A note (WPU_HOOK_NOTE) for the hooks. */
void wpu__hook_note(const char *what);

#endif /* WPU_HOOKS_IMPL_H */
