/* bench_ports.c: completion ports, wake-up latency, APCs and events against
 * a bare mutex + condvar queue and condvar ping-pong between the same two
 * threads, measured in the same run (line format: see bench_handles.c).
 *
 *   completions_batched:  WPUCompleteOverlappedRequest on one thread,
 *                         GetQueuedCompletionStatusEx(64) on another
 *   completions_single:   the same, one GetQueuedCompletionStatus per packet
 *   wakeup_latency:       half a round trip through two ports, each side
 *                         blocked in GetQueuedCompletionStatus
 *   apc_round_trip:       WPUQueueApc to a thread in SleepEx(INFINITE, TRUE),
 *                         whose APC sets an event the queuing thread waits on
 *   event_set_wait:       half a round trip through two auto-reset events
 */
#include <winsock2.h>
#include <ws2spi.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <platform.h>
#include <wpu/wpu.h>

#include "baselines.h"

#define REPS  5
#define BATCH 64

static double min_d(double a, double b) {
  return a < b ? a : b;
}

static double max_d(double a, double b) {
  return a > b ? a : b;
}

/* ---- Throughput: one producer, one consumer ---- */

typedef struct {
  SOCKET s;
  WSAOVERLAPPED *ov;
  size_t n;
} producer_args;

static void complete_n(void *arg) {
  producer_args *a = arg;
  int err;
  for (size_t i = 0; i < a->n; i++)
    WPUCompleteOverlappedRequest(a->s, &a->ov[i & 1023], 0, 1, &err);
}

static double wpu_completions_mops(size_t n, int batched) {
  int err;
  SOCKET s = WPUCreateSocketHandle(1001, 0, &err);
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  CreateIoCompletionPort((HANDLE)s, port, 1, 0);
  static WSAOVERLAPPED ov[1024];
  producer_args a = {s, ov, n};
  uint64_t t0 = wpu_plat_hrtime();
  wpu_plat_thread *t;
  wpu_plat_thread_create(&t, complete_n, &a);
  size_t got = 0;
  while (got < n) {
    if (batched) {
      OVERLAPPED_ENTRY e[BATCH];
      ULONG k = 0;
      if (GetQueuedCompletionStatusEx(port, e, BATCH, &k, INFINITE, FALSE))
        got += k;
    } else {
      DWORD bytes;
      ULONG_PTR key;
      LPOVERLAPPED o;
      if (GetQueuedCompletionStatus(port, &bytes, &key, &o, INFINITE))
        got++;
    }
  }
  double secs = (double)(wpu_plat_hrtime() - t0) / 1e9;
  wpu_plat_thread_join(t);
  CloseHandle(port);
  WPUCloseSocketHandle(s, &err);
  return (double)n / secs / 1e6;
}

typedef struct {
  cv_queue *q;
  size_t n;
} cvq_args;

static void push_n(void *arg) {
  cvq_args *a = arg;
  for (size_t i = 0; i < a->n; i++)
    cv_queue_push(a->q, &a->q);
}

static double cvq_mops(size_t n, int batched) {
  cvq_args a = {cv_queue_new(n + 1), n};
  uint64_t t0 = wpu_plat_hrtime();
  wpu_plat_thread *t;
  wpu_plat_thread_create(&t, push_n, &a);
  size_t got = 0;
  void *out[BATCH];
  while (got < n)
    got += cv_queue_pop(a.q, out, batched ? BATCH : 1);
  double secs = (double)(wpu_plat_hrtime() - t0) / 1e9;
  wpu_plat_thread_join(t);
  cv_queue_free(a.q);
  return (double)n / secs / 1e6;
}

/* ---- Latency: ping-pong ---- */

typedef struct {
  HANDLE ping, pong; /* ports or events */
  size_t rounds;
} pp_args;

static void port_ponger(void *arg) {
  pp_args *a = arg;
  DWORD bytes;
  ULONG_PTR key;
  LPOVERLAPPED o;
  for (size_t i = 0; i < a->rounds; i++) {
    GetQueuedCompletionStatus(a->ping, &bytes, &key, &o, INFINITE);
    PostQueuedCompletionStatus(a->pong, 0, 0, NULL);
  }
}

static double port_latency_us(size_t rounds) {
  pp_args a = {CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0),
               CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0),
               rounds};
  wpu_plat_thread *t;
  wpu_plat_thread_create(&t, port_ponger, &a);
  DWORD bytes;
  ULONG_PTR key;
  LPOVERLAPPED o;
  uint64_t t0 = wpu_plat_hrtime();
  for (size_t i = 0; i < rounds; i++) {
    PostQueuedCompletionStatus(a.ping, 0, 0, NULL);
    GetQueuedCompletionStatus(a.pong, &bytes, &key, &o, INFINITE);
  }
  double us = (double)(wpu_plat_hrtime() - t0) / 1e3 / (double)rounds / 2;
  wpu_plat_thread_join(t);
  CloseHandle(a.ping);
  CloseHandle(a.pong);
  return us;
}

static void event_ponger(void *arg) {
  pp_args *a = arg;
  for (size_t i = 0; i < a->rounds; i++) {
    WaitForSingleObject(a->ping, INFINITE);
    SetEvent(a->pong);
  }
}

static double event_latency_us(size_t rounds) {
  pp_args a = {CreateEventW(NULL, FALSE, FALSE, NULL),
               CreateEventW(NULL, FALSE, FALSE, NULL), rounds};
  wpu_plat_thread *t;
  wpu_plat_thread_create(&t, event_ponger, &a);
  uint64_t t0 = wpu_plat_hrtime();
  for (size_t i = 0; i < rounds; i++) {
    SetEvent(a.ping);
    WaitForSingleObject(a.pong, INFINITE);
  }
  double us = (double)(wpu_plat_hrtime() - t0) / 1e3 / (double)rounds / 2;
  wpu_plat_thread_join(t);
  CloseHandle(a.ping);
  CloseHandle(a.pong);
  return us;
}

typedef struct {
  WSATHREADID id;
  HANDLE ready, done;
  volatile LONG stop;
} apc_args;

static apc_args *apc_state;

static void CALLBACK apc_fn(DWORD_PTR ctx) {
  (void)ctx;
  SetEvent(apc_state->done);
}

static void CALLBACK apc_stop(DWORD_PTR ctx) {
  (void)ctx;
  apc_state->stop = 1;
}

static void apc_target(void *arg) {
  apc_args *a = arg;
  int err;
  WPUOpenCurrentThread(&a->id, &err);
  SetEvent(a->ready);
  while (!a->stop)
    SleepEx(INFINITE, TRUE);
  WPUCloseThread(&a->id, &err);
}

static double apc_round_trip_us(size_t rounds) {
  apc_args a = {{0},
                CreateEventW(NULL, FALSE, FALSE, NULL),
                CreateEventW(NULL, FALSE, FALSE, NULL),
                0};
  apc_state = &a;
  wpu_plat_thread *t;
  wpu_plat_thread_create(&t, apc_target, &a);
  WaitForSingleObject(a.ready, INFINITE);
  int err;
  uint64_t t0 = wpu_plat_hrtime();
  for (size_t i = 0; i < rounds; i++) {
    WPUQueueApc(&a.id, apc_fn, 0, &err);
    WaitForSingleObject(a.done, INFINITE);
  }
  double us = (double)(wpu_plat_hrtime() - t0) / 1e3 / (double)rounds;
  WPUQueueApc(&a.id, apc_stop, 0, &err);
  wpu_plat_thread_join(t);
  CloseHandle(a.ready);
  CloseHandle(a.done);
  return us;
}

typedef struct {
  wpu_plat_mutex *mu;
  wpu_plat_cond *cv;
  int turn; /* 0: main's, 1: the ponger's */
  size_t rounds;
} cv_pp;

static void cv_ponger(void *arg) {
  cv_pp *p = arg;
  for (size_t i = 0; i < p->rounds; i++) {
    wpu_plat_mutex_lock(p->mu);
    while (p->turn != 1)
      wpu_plat_cond_wait(p->cv, p->mu);
    p->turn = 0;
    wpu_plat_cond_signal(p->cv);
    wpu_plat_mutex_unlock(p->mu);
  }
}

/* Condvar ping-pong: one condvar, two threads taking turns. */
static double cv_latency_us(size_t rounds) {
  cv_pp p = {wpu_plat_mutex_new(), wpu_plat_cond_new(), 0, rounds};
  wpu_plat_thread *t;
  wpu_plat_thread_create(&t, cv_ponger, &p);
  uint64_t t0 = wpu_plat_hrtime();
  for (size_t i = 0; i < rounds; i++) {
    wpu_plat_mutex_lock(p.mu);
    p.turn = 1;
    wpu_plat_cond_signal(p.cv);
    while (p.turn != 0)
      wpu_plat_cond_wait(p.cv, p.mu);
    wpu_plat_mutex_unlock(p.mu);
  }
  double us = (double)(wpu_plat_hrtime() - t0) / 1e3 / (double)rounds / 2;
  wpu_plat_thread_join(t);
  wpu_plat_mutex_free(p.mu);
  wpu_plat_cond_free(p.cv);
  return us;
}

int main(void) {
  wpu_world *world;
  if (wpu_world_create(NULL, &world) != 0) {
    fprintf(stderr, "bench: cannot create a world\n");
    return 1;
  }
  const size_t n = 2000000, rounds = 20000;
  double wb = 0, cb = 0, ws = 0, cs = 0;
  double wl = 1e9, el = 1e9, al = 1e9, cl = 1e9;
  for (int r = 0; r < REPS; r++) {
    wb = max_d(wb, wpu_completions_mops(n, 1));
    cb = max_d(cb, cvq_mops(n, 1));
    ws = max_d(ws, wpu_completions_mops(n / 4, 0));
    cs = max_d(cs, cvq_mops(n / 4, 0));
    wl = min_d(wl, port_latency_us(rounds));
    el = min_d(el, event_latency_us(rounds));
    al = min_d(al, apc_round_trip_us(rounds));
    cl = min_d(cl, cv_latency_us(rounds));
  }
  bench_print("completions_batched", wb, "Mops/s", "mutex_condvar_queue", cb,
              0);
  bench_print("completions_single", ws, "Mops/s", "mutex_condvar_queue", cs, 0);
  bench_print("wakeup_latency", wl, "us", "condvar_ping_pong", cl, 1);
  bench_print("event_set_wait", el, "us", "condvar_ping_pong", cl, 1);
  bench_print("apc_round_trip", al, "us", "condvar_round_trip", 2 * cl, 1);
  return wpu_world_destroy(world) == 0 ? 0 : 1;
}
