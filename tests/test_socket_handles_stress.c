/* test_socket_handles_stress.c: the handle/context map under concurrency:
 * threads create, query and close 1 M handles together and nothing is lost. */
#include <winsock2.h>
#include <ws2spi.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fws2/fixture.h>
#include <platform.h>
#include <wpu/wpu.h>

#define THREADS      4
#define TOTAL_CYCLES (1u << 20) /* create+query+close cycles, all threads */
#define WINDOW       64         /* handles each thread keeps alive */

/* Handles every thread has made visible to the others, for cross queries. */
static _Atomic(SOCKET) shared[THREADS][WINDOW];

typedef struct {
  int id;
  unsigned cycles;
  unsigned lost;       /* own context read back wrong or handle vanished */
  unsigned foreign_ok; /* successful queries of other threads' handles */
  unsigned foreign_bad;
} worker;

static DWORD_PTR make_ctx(int id, unsigned n) {
  return ((DWORD_PTR)0xC0DE << 48) | ((DWORD_PTR)id << 32) | n;
}

static void run(void *arg) {
  worker *w = arg;
  SOCKET mine[WINDOW] = {0};
  DWORD_PTR ctxs[WINDOW] = {0};
  for (unsigned n = 0; n < w->cycles; n++) {
    unsigned slot = n % WINDOW;
    int err = 0;
    DWORD_PTR got = 0;
    if (mine[slot] != 0) {
      if (WPUQuerySocketHandleContext(mine[slot], &got, &err) != 0 ||
          got != ctxs[slot])
        w->lost++;
      atomic_store(&shared[w->id][slot], (SOCKET)0);
      if (WPUCloseSocketHandle(mine[slot], &err) != 0)
        w->lost++;
    }
    ctxs[slot] = make_ctx(w->id, n);
    mine[slot] = WPUCreateSocketHandle(1001, ctxs[slot], &err);
    if (mine[slot] == INVALID_SOCKET) {
      w->lost++;
      mine[slot] = 0;
      continue;
    }
    atomic_store(&shared[w->id][slot], mine[slot]);
    /* Query a handle of another thread, which may be closed meanwhile: the
     * answer is either WSAENOTSOCK or a context that thread really stored. */
    int other = (w->id + 1 + (int)(n % (THREADS - 1))) % THREADS;
    SOCKET theirs = atomic_load(&shared[other][(n * 7) % WINDOW]);
    if (theirs != 0) {
      if (WPUQuerySocketHandleContext(theirs, &got, &err) == 0) {
        if ((got >> 48) == 0xC0DE && (int)((got >> 32) & 0xffff) == other)
          w->foreign_ok++;
        else
          w->foreign_bad++;
      } else if (err != WSAENOTSOCK) {
        w->foreign_bad++;
      }
    }
  }
  for (unsigned slot = 0; slot < WINDOW; slot++) {
    int err;
    if (mine[slot] != 0) {
      atomic_store(&shared[w->id][slot], (SOCKET)0);
      if (WPUCloseSocketHandle(mine[slot], &err) != 0)
        w->lost++;
    }
  }
}

static void
concurrent_create_query_close_of_1m_handles_loses_nothing(void **state) {
  worker workers[THREADS];
  wpu_plat_thread *threads[THREADS];
  for (int i = 0; i < THREADS; i++) {
    workers[i] = (worker){i, TOTAL_CYCLES / THREADS, 0, 0, 0};
    for (int j = 0; j < WINDOW; j++)
      atomic_init(&shared[i][j], (SOCKET)0);
  }
  for (int i = 0; i < THREADS; i++)
    assert_int_equal(wpu_plat_thread_create(&threads[i], run, &workers[i]), 0);
  unsigned foreign_ok = 0;
  for (int i = 0; i < THREADS; i++) {
    assert_int_equal(wpu_plat_thread_join(threads[i]), 0);
    assert_int_equal(workers[i].lost, 0);
    assert_int_equal(workers[i].foreign_bad, 0);
    foreign_ok += workers[i].foreign_ok;
  }
  /* The cross-thread queries did find live handles. */
  assert_true(foreign_ok > 0);
  assert_int_equal(wpu_world_handle_count(*state), 0);
}

typedef struct {
  int id;
  unsigned count;
  SOCKET *out;
  unsigned failed;
} filler;

static void run_fill(void *arg) {
  filler *f = arg;
  for (unsigned n = 0; n < f->count; n++) {
    int err;
    f->out[n] = WPUCreateSocketHandle(1001, make_ctx(f->id, n), &err);
    if (f->out[n] == INVALID_SOCKET)
      f->failed++;
  }
}

static int cmp_socket(const void *a, const void *b) {
  SOCKET x = *(const SOCKET *)a, y = *(const SOCKET *)b;
  return x < y ? -1 : x > y;
}

static void concurrent_creators_never_receive_the_same_handle(void **state) {
  enum { PER = 50000 };
  static SOCKET made[THREADS][PER];
  static SOCKET sorted[THREADS * PER];
  filler fillers[THREADS];
  wpu_plat_thread *threads[THREADS];
  for (int i = 0; i < THREADS; i++) {
    fillers[i] = (filler){i, PER, made[i], 0};
    assert_int_equal(wpu_plat_thread_create(&threads[i], run_fill, &fillers[i]),
                     0);
  }
  for (int i = 0; i < THREADS; i++) {
    assert_int_equal(wpu_plat_thread_join(threads[i]), 0);
    assert_int_equal(fillers[i].failed, 0);
  }
  memcpy(sorted, made, sizeof sorted);
  qsort(sorted, THREADS * PER, sizeof(SOCKET), cmp_socket);
  for (size_t i = 1; i < THREADS * PER; i++)
    assert_true(sorted[i - 1] != sorted[i]);
  assert_int_equal(wpu_world_handle_count(*state), THREADS * PER);
  for (int i = 0; i < THREADS; i++) {
    for (unsigned n = 0; n < PER; n++) {
      DWORD_PTR ctx = 0;
      int err;
      assert_int_equal(WPUQuerySocketHandleContext(made[i][n], &ctx, &err), 0);
      assert_true(ctx == make_ctx(i, n));
      assert_int_equal(WPUCloseSocketHandle(made[i][n], &err), 0);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          concurrent_create_query_close_of_1m_handles_loses_nothing,
          fws2_world_setup, fws2_world_teardown),
      cmocka_unit_test_setup_teardown(
          concurrent_creators_never_receive_the_same_handle, fws2_world_setup,
          fws2_world_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
