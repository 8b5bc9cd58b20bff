/* hooks.c: the world's hooks (wpu/hooks.h): installing them, reporting
 * calls to them, and the reentrancy guard. */
#include <string.h>

#include "hooks_impl.h"
#include "world_impl.h"

/* Set while a hook runs on this thread: calls it makes are not reported. */
static _Thread_local int in_hook;

int wpu_world_set_hooks(wpu_world *w, const wpu_hooks *hooks) {
  if (w == NULL)
    return WSAEFAULT;
  atomic_store(&w->has_hooks, 0);
  if (hooks != NULL) {
    w->hooks = *hooks;
    atomic_store(&w->has_hooks, 1);
  } else {
    memset(&w->hooks, 0, sizeof w->hooks);
  }
  return 0;
}

int wpu_world_hooks(wpu_world *w, wpu_hooks *out) {
  if (w == NULL || !atomic_load(&w->has_hooks))
    return 0;
  if (out != NULL)
    *out = w->hooks;
  return 1;
}

/* The current world when it has hooks and none is running here. */
static wpu_world *hooked(void) {
  if (in_hook)
    return NULL;
  wpu_world *w = wpu__world();
  if (w == NULL || !atomic_load_explicit(&w->has_hooks, memory_order_acquire))
    return NULL;
  return w;
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
  if (w == NULL || w->hooks.enter == NULL)
    return 0;
  c->live = 1;
  in_hook = 1;
  int rc = w->hooks.enter(c, w->hooks.user);
  in_hook = 0;
  c->fault = rc;
  return rc;
}

void wpu_hook_exit(wpu_hook_call *c) {
  if (!c->live)
    return;
  c->live = 0;
  wpu_world *w = hooked();
  if (w == NULL || (w->hooks.exit == NULL && w->hooks.returned == NULL))
    return;
  if (w->hooks.exit == NULL) {
    if (c->kind == WPU_HOOK_FRONT)
      w->hooks.returned(c, w->hooks.user);
    return;
  }
  in_hook = 1;
  w->hooks.exit(c, w->hooks.user);
  in_hook = 0;
  if (c->kind == WPU_HOOK_FRONT && w->hooks.returned != NULL)
    w->hooks.returned(c, w->hooks.user);
}

FARPROC wpu_hook_wrap_export(const char *name, FARPROC proc,
                             const WCHAR *path) {
  if (proc == NULL || name == NULL || ((uintptr_t)name >> 16) == 0 ||
      strcmp(name, "WSPStartup") != 0)
    return proc;
  wpu_world *w = hooked();
  if (w == NULL || w->hooks.wrap_startup == NULL)
    return proc;
  in_hook = 1;
  LPWSPSTARTUP wrapped = w->hooks.wrap_startup(
      (LPWSPSTARTUP)(void (*)(void))proc, path, w->hooks.user);
  in_hook = 0;
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

int wpu__hook_alloc(const char *what, size_t size) {
  return entry_only(WPU_HOOK_ALLOC, what, size);
}

void wpu__hook_note(const char *what) {
  entry_only(WPU_HOOK_NOTE, what, 0);
}
