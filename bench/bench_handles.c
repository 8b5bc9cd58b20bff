/* bench_handles.c: the handle/context map against a mutex + hash map and
 * kernel dup+close, measured in the same run. Prints one line per figure:
 *   bench: <metric> value=<v> unit=<u> baseline=<name> baseline_value=<b>
 *          ratio=<r>
 * where ratio > 1 means libwpu did better. Each figure is the best of a few
 * repetitions, to keep scheduler noise out. */
#include <winsock2.h>
#include <ws2spi.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <platform.h>
#include <wpu/wpu.h>

#include "baselines.h"

#define REPS 5
#define SET  1024 /* handles a query loop cycles through */

static volatile uintptr_t sink;

static double ns_since(uint64_t t0, size_t n) {
  return (double)(wpu_plat_hrtime() - t0) / (double)n;
}

static double min_d(double a, double b) {
  return a < b ? a : b;
}

/* --- single-thread query --------------------------------------------- */

static double wpu_query_ns(const SOCKET *h, size_t n) {
  int err;
  DWORD_PTR ctx, sum = 0;
  uint64_t t0 = wpu_plat_hrtime();
  for (size_t i = 0; i < n; i++) {
    WPUQuerySocketHandleContext(h[i & (SET - 1)], &ctx, &err);
    sum += ctx;
  }
  double ns = ns_since(t0, n);
  sink = sum;
  return ns;
}

static double map_query_ns(mutex_map *m, const uint64_t *h, size_t n) {
  uintptr_t ctx, sum = 0;
  uint64_t t0 = wpu_plat_hrtime();
  for (size_t i = 0; i < n; i++) {
    mutex_map_query(m, h[i & (SET - 1)], &ctx);
    sum += ctx;
  }
  double ns = ns_since(t0, n);
  sink = sum;
  return ns;
}

/* --- create + close ------------------------------------------------------ */

static double wpu_create_close_ns(size_t n) {
  int err;
  uint64_t t0 = wpu_plat_hrtime();
  for (size_t i = 0; i < n; i++)
    WPUCloseSocketHandle(WPUCreateSocketHandle(1001, i, &err), &err);
  return ns_since(t0, n);
}

static double map_create_close_ns(mutex_map *m, size_t n) {
  uint64_t t0 = wpu_plat_hrtime();
  for (size_t i = 0; i < n; i++)
    mutex_map_close(m, mutex_map_create(m, i));
  return ns_since(t0, n);
}

/* --- two threads querying ---------------------------------------------- */

typedef struct {
  const SOCKET *wh;
  const uint64_t *mh;
  mutex_map *map;
  size_t n;
} qarg;

static void wpu_query_thread(void *arg) {
  qarg *a = arg;
  wpu_query_ns(a->wh, a->n);
}

static void map_query_thread(void *arg) {
  qarg *a = arg;
  map_query_ns(a->map, a->mh, a->n);
}

/* Runs fn on two threads at once; returns total queries per microsecond. */
static double two_threads_mops(void (*fn)(void *), qarg *args) {
  wpu_plat_thread *t[2];
  uint64_t t0 = wpu_plat_hrtime();
  for (int i = 0; i < 2; i++)
    wpu_plat_thread_create(&t[i], fn, &args[i]);
  for (int i = 0; i < 2; i++)
    wpu_plat_thread_join(t[i]);
  double us = (double)(wpu_plat_hrtime() - t0) / 1000.0;
  return (double)(args[0].n + args[1].n) / us;
}

int main(void) {
  wpu_world *world = NULL;
  if (wpu_world_create(NULL, &world) != 0) {
    fprintf(stderr, "bench: cannot create a world\n");
    return 1;
  }
  int err;
  static SOCKET wh[2][SET];
  static uint64_t mh[2][SET];
  mutex_map *map = mutex_map_new(1u << 21);
  for (int t = 0; t < 2; t++)
    for (int i = 0; i < SET; i++) {
      wh[t][i] = WPUCreateSocketHandle(1001, (DWORD_PTR)i, &err);
      mh[t][i] = mutex_map_create(map, (uintptr_t)i);
    }

  const size_t nq = 20u * 1000 * 1000, nc = 5u * 1000 * 1000;
  double wq = 1e9, mq = 1e9, wc = 1e9, mc = 1e9, kc = 1e9;
  for (int r = 0; r < REPS; r++) {
    wq = min_d(wq, wpu_query_ns(wh[0], nq));
    mq = min_d(mq, map_query_ns(map, mh[0], nq));
    wc = min_d(wc, wpu_create_close_ns(nc));
    mc = min_d(mc, map_create_close_ns(map, nc));
    kc = min_d(kc, kernel_dup_close_ns(nc / 5));
  }
  bench_print("query_context_1thread", wq, "ns/op", "mutex_hash_map", mq, 1);
  bench_print("create_close_pair", wc, "ns/op", "mutex_hash_map", mc, 1);
  bench_print("create_close_pair", wc, "ns/op", "kernel_dup_close", kc, 1);

  double w2 = 0, m2 = 0;
  for (int r = 0; r < REPS; r++) {
    qarg wa[2] = {{wh[0], NULL, NULL, nq}, {wh[1], NULL, NULL, nq}};
    qarg ma[2] = {{NULL, mh[0], map, nq / 4}, {NULL, mh[1], map, nq / 4}};
    double a = two_threads_mops(wpu_query_thread, wa);
    double b = two_threads_mops(map_query_thread, ma);
    w2 = a > w2 ? a : w2;
    m2 = b > m2 ? b : m2;
  }
  bench_print("query_context_2threads", w2, "Mops/s", "mutex_hash_map", m2, 0);

  /* 1 M live handles in both tables, then create+close among them. */
  const size_t live = 1u << 20;
  SOCKET *many = malloc(live * sizeof *many);
  uint64_t *mmany = malloc(live * sizeof *mmany);
  for (size_t i = 0; i < live; i++) {
    many[i] = WPUCreateSocketHandle(1001, i, &err);
    mmany[i] = mutex_map_create(map, i);
  }
  double wl = 1e9, ml = 1e9;
  for (int r = 0; r < REPS; r++) {
    wl = min_d(wl, wpu_create_close_ns(nc));
    ml = min_d(ml, map_create_close_ns(map, nc));
  }
  bench_print("create_close_pair_at_1m_live", wl, "ns/op",
              "wpu_create_close_empty_table", wc, 1);
  bench_print("create_close_pair_at_1m_live", wl, "ns/op",
              "mutex_hash_map_at_1m_live", ml, 1);

  for (size_t i = 0; i < live; i++) {
    WPUCloseSocketHandle(many[i], &err);
    mutex_map_close(map, mmany[i]);
  }
  for (int t = 0; t < 2; t++)
    for (int i = 0; i < SET; i++)
      WPUCloseSocketHandle(wh[t][i], &err);
  free(many);
  free(mmany);
  mutex_map_free(map);
  return wpu_world_destroy(world) == 0 ? 0 : 1;
}
