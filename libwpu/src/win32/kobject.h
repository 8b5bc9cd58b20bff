/* kobject.h: kernel objects of the Linux kernel32 emulation and what their
 * files share: reference counts, handles in the world's table, the
 * dispatcher lock and waits, threads and their parking (internal). */
#ifndef WPU_KOBJECT_H
#define WPU_KOBJECT_H

#include <setjmp.h>
#include <stdatomic.h>

#include <winsock2.h>

#include <platform.h>

#include "../handles.h"
#include "../world_impl.h"

/* Every kernel object starts with this. Each handle naming the object holds
 * one reference; so does a running thread for its own object. */
typedef struct wpu_kobject {
  _Atomic uint32_t refs;
  _Atomic uint32_t handles; /* open handles naming it */
  wpu_kind kind;
} wpu_kobject;

#define WPU_KINDS_KERNEL                                                       \
  (WPU_KIND_BIT(WPU_KIND_EVENT) | WPU_KIND_BIT(WPU_KIND_SEMAPHORE) |           \
   WPU_KIND_BIT(WPU_KIND_THREAD) | WPU_KIND_BIT(WPU_KIND_PORT))
#define WPU_KINDS_WAITABLE                                                     \
  (WPU_KIND_BIT(WPU_KIND_EVENT) | WPU_KIND_BIT(WPU_KIND_SEMAPHORE) |           \
   WPU_KIND_BIT(WPU_KIND_THREAD))

/* The pseudo-handles GetCurrentProcess() and GetCurrentThread() return. */
#define WPU_PSEUDO_PROCESS ((HANDLE)(LONG_PTR)-1)
#define WPU_PSEUDO_THREAD  ((HANDLE)(LONG_PTR)-2)

static inline void wpu__kobject_ref(wpu_kobject *o) {
  atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed);
}
/* Drops a reference; the last one destroys the object. */
void wpu__kobject_unref(wpu_kobject *o);

/* The current world, creating a default one if there is none (kernel32
 * works before any test or WSAStartup made a world). NULL when out of
 * memory. */
wpu_world *wpu__world_for_kernel32(void);

/* Makes a handle for o in the current world, taking over one reference the
 * caller holds. On failure drops that reference, sets the last error and
 * returns NULL. */
HANDLE wpu__kobject_handle(wpu_kobject *o);
/* The same with a slot context (WPU_CONTEXT_INTERNAL for libwpu's own). */
HANDLE wpu__kobject_handle_ctx(wpu_kobject *o, uintptr_t context);

/* Looks h up (pseudo-handles included, as the thread object) and returns
 * the object with a new reference, or NULL with ERROR_INVALID_HANDLE set
 * when h is no live handle of the given kinds. */
wpu_kobject *wpu__kobject_get(HANDLE h, unsigned kinds);

/* The release function of every kernel-object slot (see handles.h). */
void wpu__kobject_slot_release(wpu_kind kind, void *object);

/* Destructors, by kind (called by the last wpu__kobject_unref). */
void wpu__waitable_destroy(wpu_kobject *o); /* events, semaphores */
void wpu__thread_destroy(wpu_kobject *o);
void wpu__port_destroy(wpu_kobject *o);
void wpu__window_destroy(wpu_kobject *o);
/* Called when the last handle of a port closes (its waiters give up). */
void wpu__port_abandon(wpu_kobject *o);

/* ---- The dispatcher: events, semaphores and threads are waitable. ---- */

typedef struct wpu_wait wpu_wait;
typedef struct wpu_waitblock wpu_waitblock;

typedef struct wpu_waitable {
  wpu_kobject obj;
  long signal;    /* event: 0/1, semaphore: count, thread: 1 once exited */
  long max;       /* semaphore: maximum count */
  int auto_reset; /* event: reset by the wait it satisfies */
  wpu_waitblock *head, *tail; /* waits on this object, oldest first */
} wpu_waitable;

/* All waitable state and every wait list is guarded by one lock, as NT's
 * dispatcher lock once did: wait-all over several objects is then one
 * atomic check. */
void wpu__dispatch_lock(void);
void wpu__dispatch_unlock(void);
/* With the lock held: after o became signaled, satisfies and wakes the
 * waits it can. */
void wpu__dispatch_signaled(wpu_waitable *o);

/* ---- Threads ---- */

typedef struct wpu_apc {
  struct wpu_apc *next;
  PAPCFUNC fn;
  ULONG_PTR data;
} wpu_apc;

typedef struct wpu_thread {
  wpu_waitable w; /* kind WPU_KIND_THREAD; signaled when it exits */
  DWORD id;
  DWORD exit_code; /* STILL_ACTIVE while running (dispatcher lock) */
  /* Parking: guarded by park_mu. */
  wpu_plat_mutex *park_mu;
  wpu_plat_cond *park_cv;
  int woken;  /* a wait of this thread was satisfied */
  int exited; /* APCs are no longer accepted */
  wpu_apc *apc_head, *apc_tail;
  /* The thread's message queue (user32.c), also guarded by park_mu; a
   * thread blocked in GetMessage waits on park_cv. */
  struct wpu_msg *msg_head, *msg_tail;
  int quit_posted; /* PostQuitMessage was called */
  int quit_code;
  /* Threads made by CreateThread: */
  int ours;
  LPTHREAD_START_ROUTINE start;
  void *param;
  jmp_buf exit_jump;
  DWORD exit_code_pending; /* ExitThread's code, read after the jump */
  /* The WSATHREADID the front hands to providers for this thread. */
  WSATHREADID front_id;
  uint64_t front_world; /* serial of the world front_id belongs to */
} wpu_thread;

/* Thread ids (threadinfo.c): a fresh one, and making it the caller's. */
DWORD wpu__thread_id_new(void);
void wpu__thread_id_adopt(DWORD id);

/* The calling thread's object (made on first use for threads libwpu did not
 * start). NULL only when out of memory. */
wpu_thread *wpu__thread_self(void);

/* Parks the calling thread until it is woken (woken set), an APC is queued
 * while alertable, or timeout_ms passes (INFINITE: never). Returns 1 when
 * woken, 2 for an APC, 0 on timeout. Clears woken. */
int wpu__thread_park(wpu_thread *t, DWORD timeout_ms, BOOL alertable);
/* Sets t->woken and wakes t if parked. */
void wpu__thread_wake(wpu_thread *t);
/* Clears t->woken before a new wait is published. */
void wpu__thread_arm(wpu_thread *t);
/* Runs the calling thread's queued APCs, oldest first; returns how many. */
int wpu__thread_run_apcs(wpu_thread *t);
/* Whether APCs are queued for t. */
int wpu__thread_apc_pending(wpu_thread *t);
void wpu__thread_free_messages(wpu_thread *t); /* user32.c: on destroy */

/* Milliseconds left of a timeout that started at start_ns (INFINITE
 * stays INFINITE). */
DWORD wpu__remaining_ms(DWORD timeout_ms, uint64_t start_ns);

#endif /* WPU_KOBJECT_H */
