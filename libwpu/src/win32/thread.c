/* thread.c: thread objects, APCs and parking (CreateThread, ExitThread,
 * GetExitCodeThread, QueueUserAPC) of the Linux kernel32 emulation.
 *
 * Every thread that touches the emulation gets a thread object: threads
 * made by CreateThread at once, others (the main thread, libuv's threads)
 * on first use. The object is waitable and becomes signaled when the thread
 * ends; its APC queue is run, oldest first, only by the thread itself during
 * an alertable wait (SleepEx, WaitFor...Ex, GetQueuedCompletionStatusEx with
 * fAlertable TRUE). APCs queued to a thread that has ended fail with
 * ERROR_GEN_FAILURE; those still queued when it ends are dropped.
 *
 * ExitThread unwinds to the thread's start (longjmp) for threads made by
 * CreateThread, and ends other threads through the platform. Not supported:
 * CREATE_SUSPENDED (ERROR_NOT_SUPPORTED), stack sizes (ignored),
 * TerminateThread, thread priorities.
 */
#include <stdlib.h>

#include <wpu/threads.h>

#include "kobject.h"

#include "../hooks_impl.h"

static _Atomic(wpu_plat_key *) self_key;
static _Thread_local wpu_thread *self_cache;

static void thread_finish(wpu_thread *t, DWORD code);

/* Runs when a thread libwpu did not start ends with a thread object. */
static void self_destructor(void *value) {
  wpu_thread *t = value;
  if (t != NULL && !t->ours)
    thread_finish(t, 0);
}

static wpu_plat_key *key(void) {
  wpu_plat_key *k = atomic_load_explicit(&self_key, memory_order_acquire);
  if (k == NULL) {
    wpu_plat_key *fresh = wpu_plat_key_new(self_destructor);
    if (fresh == NULL)
      return NULL;
    if (atomic_compare_exchange_strong(&self_key, &k, fresh))
      k = fresh;
    /* else: a leaked key of the losing thread; keys cannot be freed safely */
  }
  return k;
}

static wpu_thread *thread_new(void) {
  wpu_thread *t = calloc(1, sizeof *t);
  if (t == NULL)
    return NULL;
  t->park_mu = wpu_plat_mutex_new();
  t->park_cv = wpu_plat_cond_new();
  if (t->park_mu == NULL || t->park_cv == NULL) {
    wpu_plat_mutex_free(t->park_mu);
    wpu_plat_cond_free(t->park_cv);
    free(t);
    return NULL;
  }
  atomic_init(&t->w.obj.refs, 1); /* the running thread's own reference */
  t->w.obj.kind = WPU_KIND_THREAD;
  t->exit_code = STILL_ACTIVE;
  return t;
}

wpu_thread *wpu__thread_self(void) {
  if (self_cache != NULL)
    return self_cache;
  wpu_plat_key *k = key();
  if (k == NULL)
    return NULL;
  wpu_thread *t = thread_new();
  if (t == NULL)
    return NULL;
  t->id = GetCurrentThreadId();
  wpu_plat_key_set(k, t);
  self_cache = t;
  return t;
}

void wpu__thread_destroy(wpu_kobject *o) {
  wpu_thread *t = (wpu_thread *)o;
  wpu_apc *a = t->apc_head;
  while (a != NULL) {
    wpu_apc *next = a->next;
    free(a);
    a = next;
  }
  wpu__thread_free_messages(t);
  wpu_plat_mutex_free(t->park_mu);
  wpu_plat_cond_free(t->park_cv);
  free(t);
}

/* The thread t ends with code: signal waiters, drop APCs, drop its own
 * reference (its handles may keep the object). */
static void thread_finish(wpu_thread *t, DWORD code) {
  if (t->front_id.ThreadHandle != NULL) {
    wpu_world *w = wpu__world();
    if (w != NULL && w->serial == t->front_world)
      CloseHandle(t->front_id.ThreadHandle);
    t->front_id.ThreadHandle = NULL;
  }
  wpu_plat_mutex_lock(t->park_mu);
  t->exited = 1;
  wpu_apc *a = t->apc_head;
  t->apc_head = t->apc_tail = NULL;
  wpu_plat_mutex_unlock(t->park_mu);
  while (a != NULL) {
    wpu_apc *next = a->next;
    free(a);
    a = next;
  }
  wpu__dispatch_lock();
  t->exit_code = code;
  t->w.signal = 1;
  wpu__dispatch_signaled(&t->w);
  wpu__dispatch_unlock();
  self_cache = NULL;
  wpu_plat_key *k = key();
  if (k != NULL)
    wpu_plat_key_set(k, NULL);
  wpu__kobject_unref(&t->w.obj);
}

static void trampoline(void *arg) {
  wpu_thread *t = arg;
  wpu_plat_key_set(key(), t);
  self_cache = t;
  wpu__thread_id_adopt(t->id);
  volatile DWORD code = 0;
  if (setjmp(t->exit_jump) == 0)
    code = t->start(t->param);
  else
    code = t->exit_code_pending;
  thread_finish(t, code);
}

HANDLE WINAPI CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes,
                           SIZE_T dwStackSize,
                           LPTHREAD_START_ROUTINE lpStartAddress,
                           LPVOID lpParameter, DWORD dwCreationFlags,
                           LPDWORD lpThreadId) {
  WPU_KERNEL32_HOOK("CreateThread", NULL);
  (void)lpThreadAttributes;
  (void)dwStackSize;
  if (lpStartAddress == NULL) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return NULL;
  }
  if (dwCreationFlags & CREATE_SUSPENDED) {
    SetLastError(ERROR_NOT_SUPPORTED);
    return NULL;
  }
  if (key() == NULL) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return NULL;
  }
  wpu_thread *t = thread_new();
  if (t == NULL) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return NULL;
  }
  t->ours = 1;
  t->id = wpu__thread_id_new();
  t->start = lpStartAddress;
  t->param = lpParameter;
  wpu__kobject_ref(&t->w.obj); /* for the handle */
  HANDLE h = wpu__kobject_handle(&t->w.obj);
  if (h == NULL) {
    wpu__kobject_unref(&t->w.obj);
    return NULL;
  }
  wpu_plat_thread *pt;
  if (wpu_plat_thread_create(&pt, trampoline, t) != 0) {
    CloseHandle(h);
    wpu__kobject_unref(&t->w.obj);
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return NULL;
  }
  wpu_plat_thread_detach(pt);
  if (lpThreadId != NULL)
    *lpThreadId = t->id;
  return h;
}

void WINAPI ExitThread(DWORD dwExitCode) {
  wpu_thread *t = wpu__thread_self();
  if (t != NULL && t->ours) {
    t->exit_code_pending = dwExitCode;
    longjmp(t->exit_jump, 1);
  }
  if (t != NULL)
    thread_finish(t, dwExitCode);
  wpu_plat_thread_exit();
}

BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode) {
  wpu_kobject *o = wpu__kobject_get(hThread, WPU_KIND_BIT(WPU_KIND_THREAD));
  if (o == NULL)
    return FALSE;
  if (lpExitCode == NULL) {
    wpu__kobject_unref(o);
    SetLastError(ERROR_NOACCESS);
    return FALSE;
  }
  wpu__dispatch_lock();
  *lpExitCode = ((wpu_thread *)o)->exit_code;
  wpu__dispatch_unlock();
  wpu__kobject_unref(o);
  return TRUE;
}

DWORD WINAPI GetThreadId(HANDLE hThread) {
  wpu_kobject *o = wpu__kobject_get(hThread, WPU_KIND_BIT(WPU_KIND_THREAD));
  if (o == NULL)
    return 0;
  DWORD id = ((wpu_thread *)o)->id;
  wpu__kobject_unref(o);
  return id;
}

/* ---- Parking and APCs ---- */

void wpu__thread_arm(wpu_thread *t) {
  wpu_plat_mutex_lock(t->park_mu);
  t->woken = 0;
  wpu_plat_mutex_unlock(t->park_mu);
}

void wpu__thread_wake(wpu_thread *t) {
  wpu_plat_mutex_lock(t->park_mu);
  t->woken = 1;
  wpu_plat_cond_signal(t->park_cv);
  wpu_plat_mutex_unlock(t->park_mu);
}

int wpu__thread_park(wpu_thread *t, DWORD timeout_ms, BOOL alertable) {
  uint64_t start = wpu_plat_hrtime();
  int why = 0;
  wpu_plat_mutex_lock(t->park_mu);
  for (;;) {
    if (t->woken) {
      t->woken = 0;
      why = 1;
      break;
    }
    if (alertable && t->apc_head != NULL) {
      why = 2;
      break;
    }
    DWORD left = wpu__remaining_ms(timeout_ms, start);
    if (left == 0)
      break;
    if (left == INFINITE)
      wpu_plat_cond_wait(t->park_cv, t->park_mu);
    else
      wpu_plat_cond_timedwait(t->park_cv, t->park_mu,
                              (uint64_t)left * 1000000u);
  }
  wpu_plat_mutex_unlock(t->park_mu);
  return why;
}

int wpu__thread_apc_pending(wpu_thread *t) {
  wpu_plat_mutex_lock(t->park_mu);
  int pending = t->apc_head != NULL;
  wpu_plat_mutex_unlock(t->park_mu);
  return pending;
}

int wpu__thread_run_apcs(wpu_thread *t) {
  int n = 0;
  for (;;) {
    wpu_plat_mutex_lock(t->park_mu);
    wpu_apc *a = t->apc_head;
    if (a != NULL) {
      t->apc_head = a->next;
      if (t->apc_head == NULL)
        t->apc_tail = NULL;
    }
    wpu_plat_mutex_unlock(t->park_mu);
    if (a == NULL)
      return n;
    PAPCFUNC fn = a->fn;
    ULONG_PTR data = a->data;
    free(a);
    fn(data);
    n++;
  }
}

DWORD WINAPI QueueUserAPC(PAPCFUNC pfnAPC, HANDLE hThread, ULONG_PTR dwData) {
  WPU_KERNEL32_HOOK("QueueUserAPC", 0);
  if (pfnAPC == NULL) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return 0;
  }
  wpu_kobject *o = wpu__kobject_get(hThread, WPU_KIND_BIT(WPU_KIND_THREAD));
  if (o == NULL)
    return 0;
  wpu_thread *t = (wpu_thread *)o;
  wpu_apc *a = malloc(sizeof *a);
  if (a == NULL) {
    wpu__kobject_unref(o);
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return 0;
  }
  a->next = NULL;
  a->fn = pfnAPC;
  a->data = dwData;
  DWORD ok = 1;
  wpu_plat_mutex_lock(t->park_mu);
  if (t->exited) {
    ok = 0;
  } else {
    if (t->apc_tail != NULL)
      t->apc_tail->next = a;
    else
      t->apc_head = a;
    t->apc_tail = a;
    wpu_plat_cond_signal(t->park_cv);
  }
  wpu_plat_mutex_unlock(t->park_mu);
  if (!ok) {
    free(a);
    SetLastError(ERROR_GEN_FAILURE);
  }
  wpu__kobject_unref(o);
  return ok;
}

/* ---- The front's WSATHREADID ---- */

LPWSATHREADID wpu_thread_id_current(void) {
  wpu_world *w = wpu__world();
  wpu_thread *t = wpu__thread_self();
  if (w == NULL || t == NULL)
    return NULL;
  if (t->front_id.ThreadHandle == NULL || t->front_world != w->serial) {
    /* First use in this world (the one of an earlier world went with it). */
    wpu__kobject_ref(&t->w.obj);
    HANDLE h = wpu__kobject_handle_ctx(&t->w.obj, WPU_CONTEXT_INTERNAL);
    if (h == NULL)
      return NULL;
    t->front_id.ThreadHandle = h;
    t->front_id.Reserved = t->id;
    t->front_world = w->serial;
  }
  return &t->front_id;
}
