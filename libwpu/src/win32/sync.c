/* sync.c: events, semaphores and the waits on them (CreateEvent, SetEvent,
 * ResetEvent, CreateSemaphore, ReleaseSemaphore, WaitForSingleObject(Ex),
 * WaitForMultipleObjects(Ex), Sleep, SleepEx) and the tick count
 * (GetTickCount, GetTickCount64: milliseconds of the monotonic clock) of the
 * Linux kernel32 emulation.
 *
 * Waitable objects are events, semaphores and threads (signaled once the
 * thread has exited). Completion ports and socket handles are not waitable
 * here: waiting on them fails with ERROR_INVALID_HANDLE (completion ports
 * are read with GetQueuedCompletionStatus; the seed page notes that waits
 * and ports do not mix). Mutexes are not provided.
 *
 * Waits follow Windows: wait-any returns the lowest index among the
 * signaled objects and consumes only that one (auto-reset event reset,
 * semaphore count decremented); wait-all returns only when all objects are
 * signaled at once and then consumes all of them; a handle repeated in a
 * wait-all fails with ERROR_INVALID_PARAMETER. An alertable wait first
 * checks its objects, then runs the thread's queued APCs (returning
 * WAIT_IO_COMPLETION) before and during the wait.
 *
 * Not supported: named objects (a non-NULL name fails with
 * ERROR_NOT_SUPPORTED), security attributes (ignored), PulseEvent.
 */
#include <stdlib.h>

#include "kobject.h"

#include "../hooks_impl.h"

static _Atomic(wpu_plat_mutex *) dispatch_mu;

void wpu__dispatch_lock(void) {
  wpu_plat_mutex *m = atomic_load_explicit(&dispatch_mu, memory_order_acquire);
  if (m == NULL) {
    wpu_plat_mutex *fresh = wpu_plat_mutex_new();
    if (fresh == NULL)
      abort(); /* cannot run any wait without it */
    if (atomic_compare_exchange_strong(&dispatch_mu, &m, fresh))
      m = fresh;
    else
      wpu_plat_mutex_free(fresh);
  }
  wpu_plat_mutex_lock(m);
}

void wpu__dispatch_unlock(void) {
  wpu_plat_mutex_unlock(
      atomic_load_explicit(&dispatch_mu, memory_order_relaxed));
}

struct wpu_waitblock {
  wpu_waitblock *prev, *next;
  wpu_waitable *object;
  wpu_wait *wait;
};

struct wpu_wait {
  wpu_thread *thread;
  DWORD count;
  BOOL all;
  long satisfied; /* -1 until a signal satisfies it: then the index */
  wpu_waitable *objects[MAXIMUM_WAIT_OBJECTS];
  wpu_waitblock blocks[MAXIMUM_WAIT_OBJECTS];
};

static int is_signaled(const wpu_waitable *o) {
  return o->signal > 0;
}

static void consume(wpu_waitable *o) {
  if (o->obj.kind == WPU_KIND_SEMAPHORE)
    o->signal--;
  else if (o->auto_reset)
    o->signal = 0;
}

/* With the lock held: satisfies w if its objects allow, returning the index
 * (wait-any: the lowest signaled; wait-all: 0), or -1. */
static long try_satisfy(wpu_wait *w) {
  if (!w->all) {
    for (DWORD i = 0; i < w->count; i++)
      if (is_signaled(w->objects[i])) {
        consume(w->objects[i]);
        return (long)i;
      }
    return -1;
  }
  for (DWORD i = 0; i < w->count; i++)
    if (!is_signaled(w->objects[i]))
      return -1;
  for (DWORD i = 0; i < w->count; i++)
    consume(w->objects[i]);
  return 0;
}

static void link_block(wpu_waitblock *b) {
  wpu_waitable *o = b->object;
  b->next = NULL;
  b->prev = o->tail;
  if (o->tail != NULL)
    o->tail->next = b;
  else
    o->head = b;
  o->tail = b;
}

static void unlink_block(wpu_waitblock *b) {
  wpu_waitable *o = b->object;
  if (b->prev != NULL)
    b->prev->next = b->next;
  else
    o->head = b->next;
  if (b->next != NULL)
    b->next->prev = b->prev;
  else
    o->tail = b->prev;
  b->prev = b->next = NULL;
}

static void unlink_wait(wpu_wait *w) {
  for (DWORD i = 0; i < w->count; i++)
    unlink_block(&w->blocks[i]);
}

void wpu__dispatch_signaled(wpu_waitable *o) {
  /* Oldest waiter first; start over after each satisfied wait, since it
   * unlinks all of its blocks (possibly the next one here). */
  wpu_waitblock *b = o->head;
  while (b != NULL && is_signaled(o)) {
    wpu_wait *w = b->wait;
    long idx = try_satisfy(w);
    if (idx < 0) {
      b = b->next;
      continue;
    }
    w->satisfied = idx;
    unlink_wait(w);
    wpu__thread_wake(w->thread);
    b = o->head;
  }
}

DWORD wpu__remaining_ms(DWORD timeout_ms, uint64_t start_ns) {
  if (timeout_ms == INFINITE)
    return INFINITE;
  uint64_t spent = (wpu_plat_hrtime() - start_ns) / 1000000u;
  return spent >= timeout_ms ? 0 : timeout_ms - (DWORD)spent;
}

static DWORD wait_objects(wpu_wait *w, DWORD timeout_ms, BOOL alertable) {
  wpu_thread *self = w->thread;
  wpu__dispatch_lock();
  long idx = try_satisfy(w);
  if (idx >= 0) {
    wpu__dispatch_unlock();
    return WAIT_OBJECT_0 + (DWORD)idx;
  }
  if (alertable && wpu__thread_apc_pending(self)) {
    wpu__dispatch_unlock();
    return WAIT_IO_COMPLETION; /* the caller runs the APCs */
  }
  if (timeout_ms == 0) {
    wpu__dispatch_unlock();
    return WAIT_TIMEOUT;
  }
  w->satisfied = -1;
  for (DWORD i = 0; i < w->count; i++) {
    w->blocks[i].object = w->objects[i];
    w->blocks[i].wait = w;
    link_block(&w->blocks[i]);
  }
  wpu__thread_arm(self);
  wpu__dispatch_unlock();

  /* Woken (why 1) only by the signal that satisfied the wait, which set
   * satisfied first: the dispatcher lock is needed only to give up. */
  int why = wpu__thread_park(self, timeout_ms, alertable);
  if (why == 1) {
    idx = w->satisfied;
  } else {
    wpu__dispatch_lock();
    idx = w->satisfied;
    if (idx < 0)
      unlink_wait(w);
    wpu__dispatch_unlock();
  }
  if (idx >= 0)
    return WAIT_OBJECT_0 + (DWORD)idx;
  return why == 2 ? WAIT_IO_COMPLETION : WAIT_TIMEOUT;
}

static void unref_all(wpu_waitable **objs, DWORD n) {
  for (DWORD i = 0; i < n; i++)
    wpu__kobject_unref(&objs[i]->obj);
}

DWORD WINAPI WaitForMultipleObjectsEx(DWORD nCount, const HANDLE *lpHandles,
                                      BOOL bWaitAll, DWORD dwMilliseconds,
                                      BOOL bAlertable) {
  if (nCount == 0 || nCount > MAXIMUM_WAIT_OBJECTS || lpHandles == NULL) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return WAIT_FAILED;
  }
  wpu_wait wait; /* about 2.5 KiB, on the stack */
  wpu_wait *w = &wait;
  wpu_thread *self = wpu__thread_self();
  if (self == NULL) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return WAIT_FAILED;
  }
  w->thread = self;
  w->all = bWaitAll;
  w->count = 0;
  for (DWORD i = 0; i < nCount; i++) {
    wpu_kobject *o = wpu__kobject_get(lpHandles[i], WPU_KINDS_WAITABLE);
    if (o == NULL) {
      unref_all(w->objects, w->count);
      return WAIT_FAILED; /* ERROR_INVALID_HANDLE set */
    }
    w->objects[w->count++] = (wpu_waitable *)o;
  }
  if (bWaitAll)
    for (DWORD i = 0; i < nCount; i++)
      for (DWORD j = i + 1; j < nCount; j++)
        if (w->objects[i] == w->objects[j]) {
          unref_all(w->objects, w->count);
          SetLastError(ERROR_INVALID_PARAMETER);
          return WAIT_FAILED;
        }
  DWORD rc = wait_objects(w, dwMilliseconds, bAlertable);
  unref_all(w->objects, w->count);
  /* APCs run last, with nothing held: one may end the thread (ExitThread)
   * and never come back. */
  if (rc == WAIT_IO_COMPLETION)
    wpu__thread_run_apcs(self);
  return rc;
}

DWORD WINAPI WaitForMultipleObjects(DWORD nCount, const HANDLE *lpHandles,
                                    BOOL bWaitAll, DWORD dwMilliseconds) {
  return WaitForMultipleObjectsEx(nCount, lpHandles, bWaitAll, dwMilliseconds,
                                  FALSE);
}

DWORD WINAPI WaitForSingleObjectEx(HANDLE hHandle, DWORD dwMilliseconds,
                                   BOOL bAlertable) {
  return WaitForMultipleObjectsEx(1, &hHandle, FALSE, dwMilliseconds,
                                  bAlertable);
}

DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds) {
  return WaitForMultipleObjectsEx(1, &hHandle, FALSE, dwMilliseconds, FALSE);
}

DWORD WINAPI SleepEx(DWORD dwMilliseconds, BOOL bAlertable) {
  wpu_thread *self = wpu__thread_self();
  if (self == NULL) /* no thread object: sleep without APCs */
    bAlertable = FALSE;
  if (bAlertable && wpu__thread_apc_pending(self)) {
    wpu__thread_run_apcs(self);
    return WAIT_IO_COMPLETION;
  }
  if (dwMilliseconds == 0) {
    wpu_plat_yield();
    return 0;
  }
  uint64_t start = wpu_plat_hrtime();
  for (;;) {
    DWORD left = wpu__remaining_ms(dwMilliseconds, start);
    if (left == 0)
      return 0;
    int why = self == NULL ? 0 : wpu__thread_park(self, left, bAlertable);
    if (why == 2) {
      wpu__thread_run_apcs(self);
      return WAIT_IO_COMPLETION;
    }
    /* 1: a stale wake; 0: time is up (checked above). */
  }
}

void WINAPI Sleep(DWORD dwMilliseconds) {
  SleepEx(dwMilliseconds, FALSE);
}

/* ---- Events and semaphores ---- */

void wpu__waitable_destroy(wpu_kobject *o) {
  free(o);
}

static HANDLE create_waitable(wpu_kind kind, long signal, long max,
                              int auto_reset, const void *name) {
  if (name != NULL) {
    SetLastError(ERROR_NOT_SUPPORTED);
    return NULL;
  }
  wpu_waitable *o = calloc(1, sizeof *o);
  if (o == NULL) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return NULL;
  }
  atomic_init(&o->obj.refs, 1);
  o->obj.kind = kind;
  o->signal = signal;
  o->max = max;
  o->auto_reset = auto_reset;
  HANDLE h = wpu__kobject_handle(&o->obj);
  if (h != NULL)
    SetLastError(ERROR_SUCCESS); /* not ERROR_ALREADY_EXISTS: unnamed */
  return h;
}

HANDLE WINAPI CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes,
                           BOOL bManualReset, BOOL bInitialState,
                           LPCWSTR lpName) {
  WPU_KERNEL32_HOOK("CreateEventW", NULL);
  (void)lpEventAttributes;
  return create_waitable(WPU_KIND_EVENT, bInitialState ? 1 : 0, 1,
                         !bManualReset, lpName);
}

HANDLE WINAPI CreateEventA(LPSECURITY_ATTRIBUTES lpEventAttributes,
                           BOOL bManualReset, BOOL bInitialState,
                           LPCSTR lpName) {
  WPU_KERNEL32_HOOK("CreateEventA", NULL);
  (void)lpEventAttributes;
  return create_waitable(WPU_KIND_EVENT, bInitialState ? 1 : 0, 1,
                         !bManualReset, lpName);
}

HANDLE WINAPI CreateSemaphoreW(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes,
                               LONG lInitialCount, LONG lMaximumCount,
                               LPCWSTR lpName) {
  WPU_KERNEL32_HOOK("CreateSemaphoreW", NULL);
  (void)lpSemaphoreAttributes;
  if (lMaximumCount <= 0 || lInitialCount < 0 ||
      lInitialCount > lMaximumCount) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return NULL;
  }
  return create_waitable(WPU_KIND_SEMAPHORE, lInitialCount, lMaximumCount, 0,
                         lpName);
}

HANDLE WINAPI CreateSemaphoreA(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes,
                               LONG lInitialCount, LONG lMaximumCount,
                               LPCSTR lpName) {
  WPU_KERNEL32_HOOK("CreateSemaphoreA", NULL);
  (void)lpSemaphoreAttributes;
  if (lMaximumCount <= 0 || lInitialCount < 0 ||
      lInitialCount > lMaximumCount) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return NULL;
  }
  return create_waitable(WPU_KIND_SEMAPHORE, lInitialCount, lMaximumCount, 0,
                         lpName);
}

static BOOL set_event(HANDLE h, long value) {
  wpu_kobject *o = wpu__kobject_get(h, WPU_KIND_BIT(WPU_KIND_EVENT));
  if (o == NULL)
    return FALSE;
  wpu_waitable *e = (wpu_waitable *)o;
  wpu__dispatch_lock();
  e->signal = value;
  if (value)
    wpu__dispatch_signaled(e);
  wpu__dispatch_unlock();
  wpu__kobject_unref(o);
  return TRUE;
}

BOOL WINAPI SetEvent(HANDLE hEvent) {
  return set_event(hEvent, 1);
}

BOOL WINAPI ResetEvent(HANDLE hEvent) {
  return set_event(hEvent, 0);
}

BOOL WINAPI ReleaseSemaphore(HANDLE hSemaphore, LONG lReleaseCount,
                             LPLONG lpPreviousCount) {
  wpu_kobject *o =
      wpu__kobject_get(hSemaphore, WPU_KIND_BIT(WPU_KIND_SEMAPHORE));
  if (o == NULL)
    return FALSE;
  wpu_waitable *s = (wpu_waitable *)o;
  BOOL ok = TRUE;
  wpu__dispatch_lock();
  if (lReleaseCount <= 0) {
    SetLastError(ERROR_INVALID_PARAMETER);
    ok = FALSE;
  } else if (lReleaseCount > s->max - s->signal) {
    SetLastError(ERROR_TOO_MANY_POSTS);
    ok = FALSE;
  } else {
    if (lpPreviousCount != NULL)
      *lpPreviousCount = s->signal;
    s->signal += lReleaseCount;
    wpu__dispatch_signaled(s);
  }
  wpu__dispatch_unlock();
  wpu__kobject_unref(o);
  return ok;
}

/* ---- Time ---- */

ULONGLONG WINAPI GetTickCount64(void) {
  return wpu_plat_hrtime() / 1000000u;
}

DWORD WINAPI GetTickCount(void) {
  return (DWORD)GetTickCount64();
}
