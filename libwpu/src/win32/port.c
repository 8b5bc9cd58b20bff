/* port.c: I/O completion ports (CreateIoCompletionPort,
 * GetQueuedCompletionStatus(Ex), PostQueuedCompletionStatus) of the Linux
 * kernel32 emulation.
 *
 * A port is a FIFO of completion packets and a last-in first-out stack of
 * waiting threads, as on Windows: a packet posted while threads wait goes
 * straight to the most recent waiter. Any socket handle of the world (made
 * by WPUCreateSocketHandle or an IFS handle of a base provider) can be
 * associated with one port and a key; a second association fails with
 * ERROR_INVALID_PARAMETER. When the last handle of a port closes, threads
 * blocked on it return FALSE with ERROR_ABANDONED_WAIT_0 (associations keep
 * the port itself alive, as file objects do on Windows).
 *
 * Not supported: the concurrency limit (NumberOfConcurrentThreads is
 * accepted and ignored: every waiter may run), waiting on a port with the
 * WaitFor... functions (ERROR_INVALID_HANDLE), and association of handles
 * other than sockets (ERROR_INVALID_PARAMETER).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <wpu/sockets.h>

#include "kobject.h"
#include "../overlapped.h"

#include "../hooks_impl.h"
#include "../iodriver.h"

typedef struct wpu_packet {
  ULONG_PTR key;
  LPOVERLAPPED ov;
  DWORD bytes;
  DWORD error; /* Win32 error code of the I/O, 0 for success */
} wpu_packet;

/* A waiting thread. An alertable wait parks the thread (an APC wakes it
 * too); any other wait sleeps on its own word (state, a futex on Linux),
 * which the poster changes under the port lock and wakes (one system call)
 * only when the waiter sleeps. (Spinning before sleeping was measured with
 * bench_uvnet: waits for I/O last too long for it to pay.) */
typedef struct wpu_port_waiter {
  struct wpu_port_waiter *next;
  wpu_thread *thread; /* alertable: the thread to wake; else NULL */
  uint32_t state;     /* not alertable: W_AWAKE, W_SLEEP or W_DONE */
  wpu_packet *out;
  ULONG max;
  ULONG got;
  int abandoned;
} wpu_port_waiter;

enum {
  W_AWAKE, /* registered, not asleep yet: a poster need not wake it */
  W_SLEEP, /* sleeping on state (or about to): wake it */
  W_DONE,  /* given a packet, or the port was abandoned */
  W_DRIVE  /* running the I/O driver (or about to): interrupt it */
};

/* The waiter whose state a poster changed from was to W_DONE: woken, held
 * or interrupted. */
static void waiter_alert(uint32_t *state, uint32_t was) {
  if (was == W_SLEEP && !wpu__wake_hold(state))
    wpu_plat_word_wake(state);
  else if (was == W_DRIVE)
    wpu__io_interrupt(state);
}

typedef struct wpu_port {
  wpu_kobject obj;
  wpu_plat_mutex *mu;
  wpu_packet *ring; /* queued packets: count of them from head, cap slots */
  size_t cap, head;
  size_t count; /* written under mu with __atomic stores: read outside it */
  wpu_port_waiter *waiters; /* most recent first */
  int abandoned;
  int sockets; /* a socket was associated: waiters may drive (atomic) */
} wpu_port;

void wpu__port_destroy(wpu_kobject *o) {
  wpu_port *p = (wpu_port *)o;
  wpu_plat_mutex_free(p->mu);
  free(p->ring);
  free(p);
}

void wpu__port_abandon(wpu_kobject *o) {
  wpu_port *p = (wpu_port *)o;
  wpu_plat_mutex_lock(p->mu);
  p->abandoned = 1;
  /* A woken waiter may return at once, its record (on its stack) with it:
   * read the link before the wake. */
  wpu_port_waiter *next;
  for (wpu_port_waiter *w = p->waiters; w != NULL; w = next) {
    next = w->next;
    w->abandoned = 1;
    if (w->thread != NULL) {
      wpu__thread_wake(w->thread);
    } else {
      uint32_t was = __atomic_exchange_n(&w->state, W_DONE, __ATOMIC_RELEASE);
      if (was == W_SLEEP)
        wpu_plat_word_wake(&w->state);
      else if (was == W_DRIVE)
        wpu__io_interrupt(&w->state);
    }
  }
  p->waiters = NULL;
  wpu_plat_mutex_unlock(p->mu);
}

static HANDLE port_create(void) {
  wpu_port *p = calloc(1, sizeof *p);
  if (p != NULL)
    p->mu = wpu_plat_mutex_new();
  if (p == NULL || p->mu == NULL) {
    free(p);
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return NULL;
  }
  atomic_init(&p->obj.refs, 1);
  p->obj.kind = WPU_KIND_PORT;
  return wpu__kobject_handle(&p->obj);
}

static void set_count(wpu_port *p, size_t count) {
  __atomic_store_n(&p->count, count, __ATOMIC_RELAXED);
}

/* Queues a packet or hands it to the latest waiter. Returns 0, or an error
 * code when memory ran out. */
static DWORD port_post(wpu_port *p, const wpu_packet *pk) {
  wpu_plat_mutex_lock(p->mu);
  wpu_port_waiter *w = p->waiters;
  if (w != NULL) {
    p->waiters = w->next;
    w->out[0] = *pk;
    w->got = 1;
    if (w->thread != NULL) {
      /* Woken under the port lock: the waiter cannot leave (its record is
       * on its stack) before it has taken the lock again. */
      wpu__thread_wake(w->thread);
      wpu_plat_mutex_unlock(p->mu);
      return 0;
    }
    /* Changed under the lock: a waiter that timed out meanwhile takes the
     * lock before it leaves, so the record is still there. */
    uint32_t was = __atomic_exchange_n(&w->state, W_DONE, __ATOMIC_RELEASE);
    wpu_plat_mutex_unlock(p->mu);
    /* The waiter may be gone by now: the wake does not touch its record.
     * The wake waits when this thread holds wake-ups (wpu_wakes_hold). */
    waiter_alert(&w->state, was);
    return 0;
  }
  if (p->count == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 64;
    wpu_packet *ring = malloc(cap * sizeof *ring);
    if (ring == NULL) {
      wpu_plat_mutex_unlock(p->mu);
      return ERROR_NOT_ENOUGH_MEMORY;
    }
    for (size_t i = 0; i < p->count; i++)
      ring[i] = p->ring[(p->head + i) % p->cap];
    free(p->ring);
    p->ring = ring;
    p->cap = cap;
    p->head = 0;
  }
  p->ring[(p->head + p->count) % p->cap] = *pk;
  set_count(p, p->count + 1);
  wpu_plat_mutex_unlock(p->mu);
  return 0;
}

/* Moves queued packets to out[n...] up to max, lock held; returns n. */
static ULONG take_queued(wpu_port *p, wpu_packet *out, ULONG n, ULONG max) {
  size_t count = p->count;
  while (n < max && count > 0) {
    out[n++] = p->ring[p->head];
    p->head = (p->head + 1) % p->cap;
    count--;
  }
  set_count(p, count);
  return n;
}

/* A non-alertable wait: sleeps on me->state until a poster or the port's
 * abandonment changes it, or timeout_ms passes. Returns with the port lock
 * held when the state has not been seen W_DONE (the caller then settles
 * with the lock), without it otherwise. */
static int wait_on_state(wpu_port *p, wpu_port_waiter *me, DWORD timeout_ms) {
  uint32_t awake = W_AWAKE;
  if (__atomic_compare_exchange_n(&me->state, &awake, W_SLEEP, 0,
                                  __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
    uint64_t start = wpu_plat_hrtime();
    while (__atomic_load_n(&me->state, __ATOMIC_ACQUIRE) == W_SLEEP) {
      DWORD left = wpu__remaining_ms(timeout_ms, start);
      if (left == 0)
        break;
      wpu_plat_word_wait(&me->state, W_SLEEP,
                         left == INFINITE ? UINT64_MAX
                                          : (uint64_t)left * 1000000u);
    }
  }
  if (__atomic_load_n(&me->state, __ATOMIC_ACQUIRE) == W_DONE)
    return 1;
  wpu_plat_mutex_lock(p->mu);
  return 0;
}

/* Whether a non-alertable waiter on p may run the I/O driver
 * (wpu/iodriver.h): one is registered and p had a socket associated (a
 * port that only carries PostQueuedCompletionStatus packets, a thread
 * pool's, has no I/O of a provider to wait for). */
static int may_drive(wpu_port *p) {
  return __atomic_load_n(&p->sockets, __ATOMIC_RELAXED) &&
         wpu__io_driver_present();
}

/* wait_on_state, but first, while the I/O driver can run, runs it instead
 * of sleeping: a poster then interrupts the drive instead of waking a
 * sleeper. */
static int wait_driving(wpu_port *p, wpu_port_waiter *me, DWORD timeout_ms) {
  if (!may_drive(p))
    return wait_on_state(p, me, timeout_ms);
  uint64_t start = wpu_plat_hrtime();
  DWORD left = timeout_ms;
  for (;;) {
    uint32_t st = W_AWAKE;
    if (!__atomic_compare_exchange_n(&me->state, &st, W_DRIVE, 0,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
      return 1; /* W_DONE */
    int drove = wpu__io_drive(&me->state, W_DRIVE, left);
    st = W_DRIVE;
    if (!__atomic_compare_exchange_n(&me->state, &st, W_AWAKE, 0,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
      return 1; /* W_DONE meanwhile */
    left = wpu__remaining_ms(timeout_ms, start);
    if (drove == 0 || left == 0)
      break;
    if (drove < 0) /* another thread's round of 0 ms: drive after it */
      wpu_plat_yield();
  }
  return wait_on_state(p, me, left);
}

/* Takes up to max packets, waiting as GetQueuedCompletionStatusEx does.
 * Returns the number taken, or 0 with the reason in *err (WAIT_TIMEOUT,
 * WAIT_IO_COMPLETION, ERROR_ABANDONED_WAIT_0). */
static ULONG port_take(wpu_port *p, wpu_packet *out, ULONG max,
                       DWORD timeout_ms, BOOL alertable, DWORD *err) {
  wpu_thread *self = NULL;
  if (alertable) {
    self = wpu__thread_self();
    if (self == NULL) {
      *err = ERROR_NOT_ENOUGH_MEMORY;
      return 0;
    }
  }
  if (!alertable && __atomic_load_n(&p->count, __ATOMIC_RELAXED) > 0 &&
      may_drive(p))
    wpu__io_nudge(); /* a waiter that keeps finding packets drives too */
  wpu_plat_mutex_lock(p->mu);
  if (p->count > 0) {
    ULONG n = take_queued(p, out, 0, max);
    wpu_plat_mutex_unlock(p->mu);
    return n;
  }
  if (p->abandoned) {
    wpu_plat_mutex_unlock(p->mu);
    *err = ERROR_ABANDONED_WAIT_0;
    return 0;
  }
  if (alertable && wpu__thread_apc_pending(self)) {
    wpu_plat_mutex_unlock(p->mu);
    *err = WAIT_IO_COMPLETION; /* the caller runs the APCs */
    return 0;
  }
  if (timeout_ms == 0) {
    wpu_plat_mutex_unlock(p->mu);
    if (!alertable && may_drive(p)) {
      wpu__io_poll(); /* a thread that polls its port drives */
      wpu_plat_mutex_lock(p->mu);
      ULONG n = take_queued(p, out, 0, max);
      wpu_plat_mutex_unlock(p->mu);
      if (n > 0)
        return n;
    }
    *err = WAIT_TIMEOUT;
    return 0;
  }
  wpu_port_waiter me = {p->waiters, self, W_AWAKE, out, max, 0, 0};
  p->waiters = &me;
  int why = 0, locked;
  if (alertable) {
    wpu__thread_arm(self);
    wpu_plat_mutex_unlock(p->mu);
    why = wpu__thread_park(self, timeout_ms, alertable);
    /* Woken (why 1) only by a poster that handed us a packet or by the
     * port's abandonment, both published before the wake: the port lock,
     * which the waker may still hold, is needed only to take more. */
    locked = 0;
    if (why != 1) {
      wpu_plat_mutex_lock(p->mu);
      locked = 1;
    }
  } else {
    wpu_plat_mutex_unlock(p->mu);
    locked = !wait_driving(p, &me, timeout_ms);
  }
  /* Given one packet: more may have been queued since; take them too when
   * the lock is free or held already (no convoy behind a poster). */
  if (!locked && me.got > 0 && me.got < max &&
      __atomic_load_n(&p->count, __ATOMIC_RELAXED) > 0 &&
      wpu_plat_mutex_trylock(p->mu) == 0)
    locked = 1;
  if (locked) {
    if (me.got == 0 && !me.abandoned) {
      for (wpu_port_waiter **pp = &p->waiters; *pp != NULL; pp = &(*pp)->next)
        if (*pp == &me) {
          *pp = me.next;
          break;
        }
    }
    if (me.got > 0)
      me.got = take_queued(p, out, me.got, max);
    wpu_plat_mutex_unlock(p->mu);
  }
  if (me.got > 0)
    return me.got;
  if (me.abandoned)
    *err = ERROR_ABANDONED_WAIT_0;
  else if (why == 2)
    *err = WAIT_IO_COMPLETION; /* the caller runs the APCs */
  else
    *err = WAIT_TIMEOUT;
  return 0;
}

/* ---- What overlapped.c needs: association and posting with a status. */

void *wpu__port_from_handle(HANDLE port) {
  return wpu__kobject_get(port, WPU_KIND_BIT(WPU_KIND_PORT));
}

void wpu__port_release(void *port) {
  wpu__kobject_unref(port);
}

void wpu__port_note_socket(void *port) {
  __atomic_store_n(&((wpu_port *)port)->sockets, 1, __ATOMIC_RELAXED);
}

DWORD wpu__port_post(void *port, DWORD bytes, ULONG_PTR key, LPOVERLAPPED ov,
                     DWORD error) {
  wpu_packet pk = {key, ov, bytes, error};
  return port_post(port, &pk);
}

/* ---- kernel32 ---- */

HANDLE WINAPI CreateIoCompletionPort(HANDLE FileHandle,
                                     HANDLE ExistingCompletionPort,
                                     ULONG_PTR CompletionKey,
                                     DWORD NumberOfConcurrentThreads) {
  WPU_KERNEL32_HOOK("CreateIoCompletionPort", NULL);
  (void)NumberOfConcurrentThreads;
  if (FileHandle == INVALID_HANDLE_VALUE) {
    if (ExistingCompletionPort != NULL) {
      SetLastError(ERROR_INVALID_PARAMETER);
      return NULL;
    }
    return port_create();
  }
  DWORD err = wpu__socket_check_associable((SOCKET)FileHandle);
  if (err != 0) {
    SetLastError(err);
    return NULL;
  }
  HANDLE port = ExistingCompletionPort;
  if (port == NULL) {
    port = port_create();
    if (port == NULL)
      return NULL;
  }
  err = wpu__socket_associate((SOCKET)FileHandle, port, CompletionKey);
  if (err != 0) {
    if (ExistingCompletionPort == NULL)
      CloseHandle(port);
    SetLastError(err);
    return NULL;
  }
  return port;
}

BOOL WINAPI PostQueuedCompletionStatus(HANDLE CompletionPort,
                                       DWORD dwNumberOfBytesTransferred,
                                       ULONG_PTR dwCompletionKey,
                                       LPOVERLAPPED lpOverlapped) {
  WPU_KERNEL32_HOOK("PostQueuedCompletionStatus", FALSE);
  wpu_kobject *o =
      wpu__kobject_get(CompletionPort, WPU_KIND_BIT(WPU_KIND_PORT));
  if (o == NULL)
    return FALSE;
  wpu_packet pk = {dwCompletionKey, lpOverlapped, dwNumberOfBytesTransferred,
                   0};
  DWORD err = port_post((wpu_port *)o, &pk);
  wpu__kobject_unref(o);
  if (err != 0) {
    SetLastError(err);
    return FALSE;
  }
  return TRUE;
}

BOOL WINAPI GetQueuedCompletionStatus(HANDLE CompletionPort,
                                      LPDWORD lpNumberOfBytesTransferred,
                                      PULONG_PTR lpCompletionKey,
                                      LPOVERLAPPED *lpOverlapped,
                                      DWORD dwMilliseconds) {
  WPU_KERNEL32_HOOK("GetQueuedCompletionStatus", FALSE);
  if (lpNumberOfBytesTransferred == NULL || lpCompletionKey == NULL ||
      lpOverlapped == NULL) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  *lpOverlapped = NULL;
  wpu_kobject *o =
      wpu__kobject_get(CompletionPort, WPU_KIND_BIT(WPU_KIND_PORT));
  if (o == NULL)
    return FALSE;
  wpu_packet pk;
  DWORD err = 0;
  ULONG n = port_take((wpu_port *)o, &pk, 1, dwMilliseconds, FALSE, &err);
  wpu__kobject_unref(o);
  if (n == 0) {
    SetLastError(err);
    return FALSE;
  }
  *lpNumberOfBytesTransferred = pk.bytes;
  *lpCompletionKey = pk.key;
  *lpOverlapped = pk.ov;
  if (pk.error != 0) {
    /* A packet of a failed I/O: FALSE, with the packet's values filled. */
    SetLastError(pk.error);
    return FALSE;
  }
  return TRUE;
}

BOOL WINAPI GetQueuedCompletionStatusEx(
    HANDLE CompletionPort, LPOVERLAPPED_ENTRY lpCompletionPortEntries,
    ULONG ulCount, PULONG ulNumEntriesRemoved, DWORD dwMilliseconds,
    BOOL fAlertable) {
  if (lpCompletionPortEntries == NULL || ulNumEntriesRemoved == NULL ||
      ulCount == 0) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  *ulNumEntriesRemoved = 0;
  wpu_kobject *o =
      wpu__kobject_get(CompletionPort, WPU_KIND_BIT(WPU_KIND_PORT));
  if (o == NULL)
    return FALSE;
  wpu_packet stack_pk[64];
  wpu_packet *pk = stack_pk;
  if (ulCount > 64) {
    pk = malloc(ulCount * sizeof *pk);
    if (pk == NULL) {
      wpu__kobject_unref(o);
      SetLastError(ERROR_NOT_ENOUGH_MEMORY);
      return FALSE;
    }
  }
  DWORD err = 0;
  ULONG n =
      port_take((wpu_port *)o, pk, ulCount, dwMilliseconds, fAlertable, &err);
  wpu__kobject_unref(o);
  for (ULONG i = 0; i < n; i++) {
    lpCompletionPortEntries[i].lpCompletionKey = pk[i].key;
    lpCompletionPortEntries[i].lpOverlapped = pk[i].ov;
    lpCompletionPortEntries[i].Internal =
        pk[i].error == 0 ? 0 : WPU_NTSTATUS_FROM_WIN32(pk[i].error);
    lpCompletionPortEntries[i].dwNumberOfBytesTransferred = pk[i].bytes;
  }
  if (pk != stack_pk)
    free(pk);
  if (n == 0) {
    /* APCs run last, with nothing held: one may call ExitThread. */
    if (err == WAIT_IO_COMPLETION)
      wpu__thread_run_apcs(wpu__thread_self());
    SetLastError(err);
    return FALSE;
  }
  *ulNumEntriesRemoved = n;
  return TRUE;
}
