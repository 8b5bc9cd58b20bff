/* hub.c: the one set of libwpu hooks (wpu/hooks.h) the trace, the faults
 * and the checker share: the doubles' per-world state, its lock, and the
 * participants each call goes from and to. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <wpu/sockets.h>
#include <wpu/world.h>

#include "check.h"

/* ---- The lock ---- */

static CRITICAL_SECTION lock;
static volatile LONG lock_state; /* 0 none, 1 being made, 2 ready */

void fws2__lock(void) {
  if (InterlockedCompareExchange(&lock_state, 0, 0) != 2) {
    if (InterlockedCompareExchange(&lock_state, 1, 0) == 0) {
      InitializeCriticalSection(&lock);
      InterlockedExchange(&lock_state, 2);
    } else {
      while (InterlockedCompareExchange(&lock_state, 2, 2) != 2)
        Sleep(0);
    }
  }
  EnterCriticalSection(&lock);
}

void fws2__unlock(void) {
  LeaveCriticalSection(&lock);
}

/* ---- Participants ---- */

#define STACK_MAX 32

static _Thread_local const char *stack[STACK_MAX];
static _Thread_local int depth;

static void push(const char *who) {
  if (depth < STACK_MAX)
    stack[depth] = who;
  depth++;
}

static void pop(void) {
  if (depth > 0)
    depth--;
}

void fws2__hub_reset(void) {
  depth = 0;
  memset((void *)stack, 0, sizeof stack);
}

int fws2__depth(void) {
  return depth;
}

const char *fws2__current(void) {
  if (depth == 0)
    return "application";
  return stack[(depth > STACK_MAX ? STACK_MAX : depth) - 1];
}

/* Who makes an upcall or a completion: the provider whose call is running
 * on this thread, else the provider of the entry or socket named. */
static const char *upcaller(const wpu_hook_call *c) {
  const char *cur = fws2__current();
  if (depth > 0 && strcmp(cur, "ws2_32") != 0)
    return cur;
  DWORD entry = c->catalog_id;
  if (entry == 0 && c->socket != 0) {
    wpu_socket_kind k = wpu_socket_query(c->socket, &entry);
    if (k == WPU_SOCKET_IFS && wpu_ifs_handle_owner(c->socket) != 0)
      entry = wpu_ifs_handle_owner(c->socket);
  }
  fws2__lock();
  const char *name = entry == 0 ? NULL : fws2__provider_of_entry(entry);
  fws2__unlock();
  return name != NULL ? name : "provider";
}

/* ---- The hooks ---- */

static int hub_enter(wpu_hook_call *c, void *user) {
  switch (c->kind) {
  case WPU_HOOK_FRONT:
    /* A front call the front makes itself (send -> WSASend) is part of
     * the outer one: not traced. */
    c->cookie =
        depth > 0 && strcmp(fws2__current(), "ws2_32") == 0 ? (void *)1 : NULL;
    c->caller = fws2__current();
    c->callee = "ws2_32";
    push("ws2_32");
    break;
  case WPU_HOOK_PROVIDER:
    /* Only ws2_32 and layers call providers (a test calling a provider
     * directly plays ws2_32). */
    if (c->caller == NULL)
      c->caller = depth == 0 ? "ws2_32" : fws2__current();
    push(c->callee);
    break;
  case WPU_HOOK_UPCALL:
  case WPU_HOOK_COMPLETION:
    c->caller = upcaller(c);
    c->callee = "ws2_32";
    break;
  case WPU_HOOK_KERNEL32:
  case WPU_HOOK_ALLOC:
    /* Entry events nobody asked for cost no lock. */
    if (!atomic_load_explicit(&((fws2_state *)user)->want_entries,
                              memory_order_relaxed))
      return 0;
    if (c->kind == WPU_HOOK_ALLOC) {
      c->caller = "ws2_32";
      c->callee = "ws2_32";
      break;
    }
    c->caller = fws2__current();
    c->callee = "kernel32";
    break;
  default:
    c->caller = "ws2_32";
    c->callee = "ws2_32";
    break;
  }
  if (c->cookie == NULL)
    fws2__trace_call(c, c->caller, c->callee, 0);
  if (c->kind == WPU_HOOK_FRONT)
    return 0;
  if (c->kind == WPU_HOOK_NOTE) {
    if (strcmp(c->name, "providers cleaned up") == 0) {
      fws2__lock();
      fws2_state *st = fws2__state(0);
      fws2__unlock();
      if (st != NULL)
        fws2__checker_cleanup(st);
    }
    return 0;
  }
  int f = fws2__replaying ? 0 : fws2__fault_decide(c);
  if (f != 0 && c->kind == WPU_HOOK_COMPLETION &&
      c->action == FWS2_FAULT_DELAY) {
    fws2__fault_hold(c);
    return WPU_HOOK_DEFER;
  }
  /* A completion the checker sees before it is performed: once performed
   * (the event set, the packet posted), the application may wake and
   * reuse the OVERLAPPED at once. action_arg remembers the transition for
   * exit to undo if the completion failed. */
  if (f == 0 && c->kind == WPU_HOOK_COMPLETION)
    c->action_arg = fws2__checker_completion(c);
  return f;
}

static void hub_exit(wpu_hook_call *c, void *user) {
  (void)user;
  if (c->kind == WPU_HOOK_FRONT || c->kind == WPU_HOOK_PROVIDER)
    pop();
  if (c->cookie == NULL)
    fws2__trace_call(c, c->caller, c->callee, 1);
  if (c->kind == WPU_HOOK_COMPLETION && c->fault == 0 && c->action_arg != 0 &&
      c->failed)
    fws2__checker_completion_failed(c);
}

static void hub_returned(wpu_hook_call *c, void *user);

static LPWSPSTARTUP hub_wrap(LPWSPSTARTUP startup, const WCHAR *path,
                             void *user) {
  (void)user;
  return fws2__interpose(startup, path);
}

/* ---- The per-world state ---- */

static const char state_key = 0;

static void state_free(void *value) {
  fws2_state *st = value;
  fws2__checker_teardown(st);
  /* Not under the lock: it waits for hooks running on other threads,
   * which may be waiting for the lock. */
  wpu_world_set_hooks(st->world, NULL);
  fws2__lock();
  fws2__faults_free(st);
  fws2__interpose_free(st);
  free(st->ring);
  free(st);
  fws2__unlock();
}

extern fws2_state *fws2__closing; /* checker.c */

fws2_state *fws2__state(int create) {
  wpu_world *w = wpu_world_current();
  if (fws2__closing != NULL && fws2__closing->world == w)
    return fws2__closing;
  if (w == NULL && create)
    w = wpu_world_default();
  if (w == NULL)
    return NULL;
  fws2_state *st = wpu_world_attachment(w, &state_key);
  if (st != NULL || !create)
    return st;
  st = calloc(1, sizeof *st);
  if (st == NULL)
    return NULL;
  st->world = w;
  st->next_rule_id = 1;
  if (wpu_world_attach(w, &state_key, st, state_free) != 0) {
    free(st);
    return wpu_world_attachment(w, &state_key);
  }
  /* A new world's doubles on this thread: what a test that failed inside
   * a call (longjmp) left on the thread's participant stack is stale. */
  fws2__hub_reset();
  wpu_hooks h = {hub_enter, hub_exit, hub_wrap, hub_returned, st};
  wpu_world_set_hooks(w, &h);
  return st;
}

void fws2__update_wants(fws2_state *st) {
  int want = st->rules != NULL ||
             (st->tracing && (st->trace_flags & (FWS2_TRACE_WITH_KERNEL32 |
                                                 FWS2_TRACE_WITH_ALLOC)) != 0);
  atomic_store_explicit(&st->want_entries, want, memory_order_relaxed);
}

void fws2__wname(char *out, size_t cap, const WCHAR *path) {
  /* The file name without directories and without ".dll", ASCII. */
  const WCHAR *f = path;
  for (const WCHAR *p = path; p != NULL && *p != 0; p++)
    if (*p == '\\' || *p == '/')
      f = p + 1;
  size_t n = 0;
  for (; f != NULL && f[n] != 0 && n + 1 < cap; n++)
    out[n] = f[n] < 128 ? (char)f[n] : '_';
  out[n] = 0;
  if (n > 4 && (out[n - 4] == '.') && (out[n - 3] | 0x20) == 'd' &&
      (out[n - 2] | 0x20) == 'l' && (out[n - 1] | 0x20) == 'l')
    out[n - 4] = 0;
  if (out[0] == 0 && cap > 8)
    strcpy(out, "provider");
}

/* After a front call returned: the checker's safe point, when the
 * application (not the front itself) made the call. */
static void hub_returned(wpu_hook_call *c, void *user) {
  (void)c;
  (void)user;
  if (depth == 0)
    fws2__checker_safe_point();
}
