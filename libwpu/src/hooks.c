/* hooks.c: the world's hooks (wpu/hooks.h): installing and removing them
 * while other threads call them, reporting calls to them, and the guard
 * against nesting. */
#include <errno.h>
#include <string.h>

#include <platform.h>

#include "hooks_impl.h"
#include "world_impl.h"

/* The world whose hook runs on this thread now (NULL: none): calls the hook
 * makes are not reported. Left set when a hook jumped out (longjmp);
 * wpu_world_set_hooks on this thread clears it. */
static _Thread_local wpu_world *in_hook;

/* The hooks of w for one hook call: w->hooks_busy counts the callers
 * between acquire() and release(); wpu_world_set_hooks waits for it to
 * drop before changing w->hooks. */
static int acquire(wpu_world *w, wpu_hooks *out) {
  if (!atomic_load_explicit(&w->has_hooks, memory_order_relaxed))
    return 0;
  atomic_fetch_add(&w->hooks_busy, 1);
  if (!atomic_load(&w->has_hooks)) {
    atomic_fetch_sub(&w->hooks_busy, 1);
    return 0;
  }
  *out = w->hooks;
  return 1;
}

static void release(wpu_world *w) {
  atomic_fetch_sub(&w->hooks_busy, 1);
}

int wpu_world_set_hooks(wpu_world *w, const wpu_hooks *hooks) {
  if (w == NULL)
    return WSAEFAULT;
  /* A hook of w that jumped out on this thread still counts as busy. */
  int self = in_hook == w;
  if (self)
    atomic_fetch_sub(&w->hooks_busy, 1);
  in_hook = NULL;
  atomic_store(&w->has_hooks, 0);
  /* Hook calls already reading the old hooks finish with them first. */
  while (atomic_load(&w->hooks_busy) > 0)
    wpu_plat_yield();
  if (hooks != NULL) {
    w->hooks = *hooks;
    atomic_store(&w->has_hooks, 1);
  } else {
    memset(&w->hooks, 0, sizeof w->hooks);
  }
  return 0;
}

int wpu_world_hooks(wpu_world *w, wpu_hooks *out) {
  wpu_hooks h;
  if (w == NULL || !acquire(w, &h))
    return 0;
  release(w);
  if (out != NULL)
    *out = h;
  return 1;
}

/* The current world when it has hooks and none is running here. */
static wpu_world *hooked(void) {
  if (in_hook != NULL)
    return NULL;
  return wpu__world();
}

/* Runs around each hook: the guard, and the caller's last error and errno
 * (a hook may clobber both; the call's own error is set after it). */
typedef struct guard {
  DWORD last_error;
  int err;
} guard;

static void guard_in(guard *g, wpu_world *w) {
  g->last_error = GetLastError();
  g->err = errno;
  in_hook = w;
}

static void guard_out(const guard *g) {
  in_hook = NULL;
  errno = g->err;
  SetLastError(g->last_error);
}

int wpu_hook_enter(wpu_hook_call *c) {
  c->result = 0;
  c->failed = 0;
  c->error = 0;
  c->fault = 0;
  c->action = 0;
  c->action_arg = 0;
  c->cookie = NULL;
  c->live = 0;
  wpu_world *w = hooked();
  wpu_hooks h;
  if (w == NULL || !acquire(w, &h))
    return 0;
  int rc = 0;
  if (h.enter != NULL) {
    c->live = 1;
    guard g;
    guard_in(&g, w);
    rc = h.enter(c, h.user);
    guard_out(&g);
    c->fault = rc;
  }
  release(w);
  return rc;
}

void wpu_hook_exit(wpu_hook_call *c) {
  if (!c->live)
    return;
  c->live = 0;
  wpu_world *w = hooked();
  wpu_hooks h;
  if (w == NULL || !acquire(w, &h))
    return;
  if (h.exit != NULL) {
    guard g;
    guard_in(&g, w);
    h.exit(c, h.user);
    guard_out(&g);
  }
  release(w);
  /* Outside the count: returned may end the test (longjmp). */
  if (c->kind == WPU_HOOK_FRONT && h.returned != NULL) {
    guard g;
    g.last_error = GetLastError();
    g.err = errno;
    h.returned(c, h.user);
    errno = g.err;
    SetLastError(g.last_error);
  }
}

FARPROC wpu_hook_wrap_export(const char *name, FARPROC proc,
                             const WCHAR *path) {
  if (proc == NULL || name == NULL || ((uintptr_t)name >> 16) == 0 ||
      strcmp(name, "WSPStartup") != 0)
    return proc;
  wpu_world *w = hooked();
  wpu_hooks h;
  if (w == NULL || !acquire(w, &h))
    return proc;
  LPWSPSTARTUP wrapped = NULL;
  if (h.wrap_startup != NULL) {
    guard g;
    guard_in(&g, w);
    wrapped = h.wrap_startup((LPWSPSTARTUP)(void (*)(void))proc, path, h.user);
    guard_out(&g);
  }
  release(w);
  return wrapped == NULL ? proc : (FARPROC)(void (*)(void))wrapped;
}

/* An entry-only report; returns the hooks' answer. */
static int entry_only(wpu_hook_kind kind, const char *name, uintptr_t arg) {
  wpu_hook_call c = {0};
  c.kind = kind;
  c.name = name;
  c.arg[0] = arg;
  int rc = wpu_hook_enter(&c);
  c.live = 0;
  return rc == WPU_HOOK_DEFER ? 0 : rc;
}

int wpu__hook_kernel32(const char *name) {
  return entry_only(WPU_HOOK_KERNEL32, name, 0);
}

int wpu__hook_alloc_slow(const char *what, size_t size) {
  return entry_only(WPU_HOOK_ALLOC, what, size);
}

void wpu__hook_note(const char *what) {
  entry_only(WPU_HOOK_NOTE, what, 0);
}
