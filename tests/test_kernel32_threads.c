/* test_kernel32_threads.c: critical sections, thread and process ids, TLS
 * slots, CreateThread/ExitThread/GetExitCodeThread and APCs as providers use
 * them (on mingw-w64 the same tests run against
 * Windows' kernel32 under Wine). */
#include <winsock2.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fws2/fixture.h>
#include <platform.h>

static void run_on_thread(void (*fn)(void *), void *arg) {
  wpu_plat_thread *t;
  assert_int_equal(wpu_plat_thread_create(&t, fn, arg), 0);
  assert_int_equal(wpu_plat_thread_join(t), 0);
}

static CRITICAL_SECTION cs;

static void try_enter(void *arg) {
  BOOL *got = arg;
  *got = TryEnterCriticalSection(&cs);
  if (*got)
    LeaveCriticalSection(&cs);
}

static void critical_section_is_recursive_for_its_owner(void **state) {
  (void)state;
  InitializeCriticalSection(&cs);
  EnterCriticalSection(&cs);
  EnterCriticalSection(&cs);
  assert_true(TryEnterCriticalSection(&cs));
  assert_int_equal(cs.RecursionCount, 3);
  assert_true(cs.OwningThread == (HANDLE)(ULONG_PTR)GetCurrentThreadId());
  LeaveCriticalSection(&cs);
  LeaveCriticalSection(&cs);
  BOOL got = TRUE;
  run_on_thread(try_enter, &got); /* still held once */
  assert_false(got);
  LeaveCriticalSection(&cs);
  run_on_thread(try_enter, &got); /* free now */
  assert_true(got);
  DeleteCriticalSection(&cs);
}

typedef struct {
  CRITICAL_SECTION *cs;
  volatile long *counter;
  int rounds;
} adder;

static void add(void *arg) {
  adder *a = arg;
  for (int i = 0; i < a->rounds; i++) {
    EnterCriticalSection(a->cs);
    long v = *a->counter;
    *a->counter = v + 1;
    LeaveCriticalSection(a->cs);
  }
}

static void critical_section_excludes_other_threads(void **state) {
  (void)state;
  CRITICAL_SECTION lock;
  volatile long counter = 0;
  assert_true(InitializeCriticalSectionAndSpinCount(&lock, 4000));
  adder a = {&lock, &counter, 100000};
  wpu_plat_thread *t[3];
  for (int i = 0; i < 3; i++)
    assert_int_equal(wpu_plat_thread_create(&t[i], add, &a), 0);
  for (int i = 0; i < 3; i++)
    assert_int_equal(wpu_plat_thread_join(t[i]), 0);
  assert_int_equal(counter, 300000);
  DeleteCriticalSection(&lock);
}

static void other_thread_id(void *arg) {
  *(DWORD *)arg = GetCurrentThreadId();
}

static void thread_ids_are_stable_distinct_multiples_of_four(void **state) {
  (void)state;
  DWORD me = GetCurrentThreadId();
  assert_int_not_equal(me, 0);
  assert_int_equal(me % 4, 0);
  assert_int_equal(GetCurrentThreadId(), me);
  DWORD other = 0;
  run_on_thread(other_thread_id, &other);
  assert_int_not_equal(other, 0);
  assert_int_equal(other % 4, 0);
  assert_int_not_equal(other, me);
  assert_int_not_equal(GetCurrentProcessId(), 0);
  assert_int_equal(GetCurrentProcessId(), GetCurrentProcessId());
}

static DWORD tls_index;

static void tls_reader(void *arg) {
  LPVOID *out = arg;
  out[0] = TlsGetValue(tls_index); /* NULL: never set on this thread */
  TlsSetValue(tls_index, (LPVOID)0x2222);
  out[1] = TlsGetValue(tls_index);
}

static void tls_values_are_per_thread_and_start_null(void **state) {
  (void)state;
  tls_index = TlsAlloc();
  assert_int_not_equal(tls_index, TLS_OUT_OF_INDEXES);
  SetLastError(12345);
  assert_null(TlsGetValue(tls_index));
  assert_int_equal(GetLastError(), ERROR_SUCCESS); /* cleared on success */
  assert_true(TlsSetValue(tls_index, (LPVOID)0x1111));
  LPVOID seen[2] = {(LPVOID)1, NULL};
  run_on_thread(tls_reader, seen);
  assert_null(seen[0]);
  assert_ptr_equal(seen[1], (LPVOID)0x2222);
  assert_ptr_equal(TlsGetValue(tls_index), (LPVOID)0x1111);
  assert_true(TlsFree(tls_index));
}

static void tls_alloc_after_free_starts_from_null(void **state) {
  (void)state;
  DWORD a = TlsAlloc();
  assert_true(TlsSetValue(a, (LPVOID)0x33));
  assert_true(TlsFree(a));
  DWORD b = TlsAlloc();
  assert_int_not_equal(b, TLS_OUT_OF_INDEXES);
  assert_null(TlsGetValue(b)); /* a new index reads NULL everywhere */
  assert_true(TlsFree(b));
}

static void tls_functions_reject_out_of_range_indexes(void **state) {
  (void)state;
  SetLastError(0);
  assert_null(TlsGetValue(5000));
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_false(TlsSetValue(5000, (LPVOID)1));
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_false(TlsFree(5000));
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
}

static void tls_alloc_returns_out_of_indexes_when_exhausted(void **state) {
  (void)state;
  static DWORD got[2048];
  int n = 0;
  while (n < 2048 && (got[n] = TlsAlloc()) != TLS_OUT_OF_INDEXES)
    n++;
  assert_true(n < 2048);
  assert_true(n >= 64); /* at least TLS_MINIMUM_AVAILABLE */
  for (int i = 0; i < n; i++)
    assert_true(TlsFree(got[i]));
}

/* ---- CreateThread, ExitThread, GetExitCodeThread, APCs ---- */

#define WAIT_MS 10000

static DWORD WINAPI return_param(LPVOID arg) {
  return (DWORD)(ULONG_PTR)arg;
}

static void thread_handle_is_signaled_with_its_exit_code(void **state) {
  (void)state;
  DWORD tid = 0;
  HANDLE t =
      CreateThread(NULL, 0, return_param, (LPVOID)(ULONG_PTR)42, 0, &tid);
  assert_non_null(t);
  assert_int_not_equal(tid, 0);
  assert_int_not_equal(tid, GetCurrentThreadId());
  assert_int_equal(WaitForSingleObject(t, WAIT_MS), WAIT_OBJECT_0);
  DWORD code = 0;
  assert_true(GetExitCodeThread(t, &code));
  assert_int_equal(code, 42);
  /* A thread's handle stays signaled. */
  assert_int_equal(WaitForSingleObject(t, 0), WAIT_OBJECT_0);
  assert_true(CloseHandle(t));
}

static DWORD WINAPI exit_early(LPVOID arg) {
  (void)arg;
  ExitThread(7);
}

static void exit_thread_ends_the_thread_with_its_code(void **state) {
  (void)state;
  HANDLE t = CreateThread(NULL, 0, exit_early, NULL, 0, NULL);
  assert_non_null(t);
  assert_int_equal(WaitForSingleObject(t, WAIT_MS), WAIT_OBJECT_0);
  DWORD code = 0;
  assert_true(GetExitCodeThread(t, &code));
  assert_int_equal(code, 7);
  assert_true(CloseHandle(t));
}

typedef struct {
  HANDLE ready; /* set by the thread once it runs */
  HANDLE go;    /* set by the test */
  DWORD tid;
} gate;

static DWORD WINAPI wait_at_gate(LPVOID arg) {
  gate *g = arg;
  g->tid = GetCurrentThreadId();
  SetEvent(g->ready);
  return WaitForSingleObject(g->go, WAIT_MS) == WAIT_OBJECT_0 ? 0 : 1;
}

static void exit_code_is_still_active_while_running(void **state) {
  (void)state;
  gate g = {CreateEventW(NULL, TRUE, FALSE, NULL),
            CreateEventW(NULL, TRUE, FALSE, NULL), 0};
  DWORD tid = 0;
  HANDLE t = CreateThread(NULL, 0, wait_at_gate, &g, 0, &tid);
  assert_non_null(t);
  assert_int_equal(WaitForSingleObject(g.ready, WAIT_MS), WAIT_OBJECT_0);
  assert_int_equal(g.tid, tid); /* the id CreateThread reported */
  DWORD code = 0;
  assert_true(GetExitCodeThread(t, &code));
  assert_int_equal(code, STILL_ACTIVE);
  assert_int_equal(WaitForSingleObject(t, 0), WAIT_TIMEOUT);
  SetEvent(g.go);
  assert_int_equal(WaitForSingleObject(t, WAIT_MS), WAIT_OBJECT_0);
  assert_true(GetExitCodeThread(t, &code));
  assert_int_equal(code, 0);
  CloseHandle(t);
  CloseHandle(g.ready);
  CloseHandle(g.go);
}

static void closing_a_thread_handle_lets_the_thread_run_on(void **state) {
  (void)state;
  gate g = {CreateEventW(NULL, TRUE, FALSE, NULL),
            CreateEventW(NULL, TRUE, FALSE, NULL), 0};
  HANDLE t = CreateThread(NULL, 0, wait_at_gate, &g, 0, NULL);
  assert_non_null(t);
  HANDLE dup = NULL;
  assert_true(DuplicateHandle(GetCurrentProcess(), t, GetCurrentProcess(), &dup,
                              0, FALSE, DUPLICATE_SAME_ACCESS));
  assert_true(CloseHandle(t));
  SetEvent(g.go);
  assert_int_equal(WaitForSingleObject(dup, WAIT_MS), WAIT_OBJECT_0);
  CloseHandle(dup);
  CloseHandle(g.ready);
  CloseHandle(g.go);
}

static void
get_exit_code_of_closed_handle_fails_with_invalid_handle(void **state) {
  (void)state;
  HANDLE t = CreateThread(NULL, 0, return_param, NULL, 0, NULL);
  assert_non_null(t);
  assert_int_equal(WaitForSingleObject(t, WAIT_MS), WAIT_OBJECT_0);
  assert_true(CloseHandle(t));
  DWORD code = 0;
  SetLastError(0);
  assert_false(GetExitCodeThread(t, &code));
  assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
}

typedef struct {
  DWORD order[8];
  volatile LONG n;
  DWORD thread[8];
} apc_log;

static apc_log *current_log;

static void CALLBACK record_apc(ULONG_PTR data) {
  LONG i = InterlockedIncrement(&current_log->n) - 1;
  current_log->order[i] = (DWORD)data;
  current_log->thread[i] = GetCurrentThreadId();
}

static void apcs_run_in_fifo_order_during_an_alertable_sleep(void **state) {
  (void)state;
  apc_log log = {{0}, 0, {0}};
  current_log = &log;
  for (ULONG_PTR i = 1; i <= 3; i++)
    assert_int_not_equal(QueueUserAPC(record_apc, GetCurrentThread(), i), 0);
  assert_int_equal(log.n, 0);             /* not run before an alertable wait */
  assert_int_equal(SleepEx(0, FALSE), 0); /* nor in a non-alertable one */
  assert_int_equal(log.n, 0);
  assert_int_equal(SleepEx(WAIT_MS, TRUE), WAIT_IO_COMPLETION);
  assert_int_equal(log.n, 3);
  assert_int_equal(log.order[0], 1);
  assert_int_equal(log.order[1], 2);
  assert_int_equal(log.order[2], 3);
}

static void
alertable_wait_returns_io_completion_after_running_apcs(void **state) {
  (void)state;
  apc_log log = {{0}, 0, {0}};
  current_log = &log;
  HANDLE e = CreateEventW(NULL, TRUE, FALSE, NULL);
  assert_int_not_equal(QueueUserAPC(record_apc, GetCurrentThread(), 9), 0);
  assert_int_equal(WaitForSingleObjectEx(e, 0, FALSE), WAIT_TIMEOUT);
  assert_int_equal(log.n, 0);
  assert_int_equal(WaitForSingleObjectEx(e, WAIT_MS, TRUE), WAIT_IO_COMPLETION);
  assert_int_equal(log.n, 1);
  HANDLE both[2] = {e, e};
  assert_int_not_equal(QueueUserAPC(record_apc, GetCurrentThread(), 10), 0);
  assert_int_equal(WaitForMultipleObjectsEx(2, both, FALSE, WAIT_MS, TRUE),
                   WAIT_IO_COMPLETION);
  assert_int_equal(log.n, 2);
  CloseHandle(e);
}

typedef struct {
  HANDLE ready;
  HANDLE done;
  HANDLE me; /* the thread's own handle, for QueueUserAPC */
} alertable_args;

static DWORD WINAPI sleep_alertably(LPVOID arg) {
  alertable_args *a = arg;
  DuplicateHandle(GetCurrentProcess(), GetCurrentThread(), GetCurrentProcess(),
                  &a->me, 0, FALSE, DUPLICATE_SAME_ACCESS);
  SetEvent(a->ready);
  DWORD rc = SleepEx(WAIT_MS, TRUE);
  SetEvent(a->done);
  return rc;
}

static void
apc_queued_from_another_thread_runs_on_the_target_thread(void **state) {
  (void)state;
  apc_log log = {{0}, 0, {0}};
  current_log = &log;
  alertable_args a = {CreateEventW(NULL, TRUE, FALSE, NULL),
                      CreateEventW(NULL, TRUE, FALSE, NULL), NULL};
  DWORD tid = 0;
  HANDLE t = CreateThread(NULL, 0, sleep_alertably, &a, 0, &tid);
  assert_non_null(t);
  assert_int_equal(WaitForSingleObject(a.ready, WAIT_MS), WAIT_OBJECT_0);
  assert_int_not_equal(QueueUserAPC(record_apc, a.me, 5), 0);
  assert_int_equal(WaitForSingleObject(t, WAIT_MS), WAIT_OBJECT_0);
  DWORD code = 0;
  GetExitCodeThread(t, &code);
  assert_int_equal(code, WAIT_IO_COMPLETION);
  assert_int_equal(log.n, 1);
  assert_int_equal(log.thread[0], tid); /* never on the queuing thread */
  CloseHandle(a.me);
  CloseHandle(t);
  CloseHandle(a.ready);
  CloseHandle(a.done);
}

static void
queue_user_apc_to_closed_handle_fails_with_invalid_handle(void **state) {
  (void)state;
  HANDLE me = NULL;
  DuplicateHandle(GetCurrentProcess(), GetCurrentThread(), GetCurrentProcess(),
                  &me, 0, FALSE, DUPLICATE_SAME_ACCESS);
  CloseHandle(me);
  SetLastError(0);
  assert_int_equal(QueueUserAPC(record_apc, me, 1), 0);
  assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
}

#ifndef _WIN32
static void queue_user_apc_to_an_ended_thread_fails(void **state) {
  (void)state;
  HANDLE t = CreateThread(NULL, 0, return_param, NULL, 0, NULL);
  assert_int_equal(WaitForSingleObject(t, WAIT_MS), WAIT_OBJECT_0);
  SetLastError(0);
  assert_int_equal(QueueUserAPC(record_apc, t, 1), 0);
  assert_int_equal(GetLastError(), ERROR_GEN_FAILURE);
  CloseHandle(t);
}

static void create_thread_suspended_is_not_supported(void **state) {
  (void)state;
  SetLastError(0);
  assert_null(
      CreateThread(NULL, 0, return_param, NULL, CREATE_SUSPENDED, NULL));
  assert_int_equal(GetLastError(), ERROR_NOT_SUPPORTED);
  SetLastError(0);
  assert_null(CreateThread(NULL, 0, NULL, NULL, 0, NULL));
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
}
#endif

static void CALLBACK exit_from_apc(ULONG_PTR code) {
  ExitThread((DWORD)code);
}

static DWORD WINAPI wait_alertably_for_ever(LPVOID arg) {
  alertable_args *a = arg;
  DuplicateHandle(GetCurrentProcess(), GetCurrentThread(), GetCurrentProcess(),
                  &a->me, 0, FALSE, DUPLICATE_SAME_ACCESS);
  SetEvent(a->ready);
  /* An APC ends the thread from inside the wait; under ASan a reference the
   * wait still held would show up as a leak. */
  WaitForSingleObjectEx(a->done, INFINITE, TRUE); /* never set */
  return 99;                                      /* not reached */
}

static void exit_thread_from_an_apc_ends_the_thread_cleanly(void **state) {
  (void)state;
  alertable_args a = {CreateEventW(NULL, TRUE, FALSE, NULL),
                      CreateEventW(NULL, TRUE, FALSE, NULL), NULL};
  HANDLE t = CreateThread(NULL, 0, wait_alertably_for_ever, &a, 0, NULL);
  assert_non_null(t);
  assert_int_equal(WaitForSingleObject(a.ready, WAIT_MS), WAIT_OBJECT_0);
  assert_int_not_equal(QueueUserAPC(exit_from_apc, a.me, 5), 0);
  assert_int_equal(WaitForSingleObject(t, WAIT_MS), WAIT_OBJECT_0);
  DWORD code = 0;
  assert_true(GetExitCodeThread(t, &code));
  assert_int_equal(code, 5);
  CloseHandle(a.me);
  CloseHandle(t);
  CloseHandle(a.ready);
  CloseHandle(a.done);
}

#define W(fn)                                                                  \
  cmocka_unit_test_setup_teardown(fn, fws2_world_setup, fws2_world_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(critical_section_is_recursive_for_its_owner),
      cmocka_unit_test(critical_section_excludes_other_threads),
      cmocka_unit_test(thread_ids_are_stable_distinct_multiples_of_four),
      cmocka_unit_test(tls_values_are_per_thread_and_start_null),
      cmocka_unit_test(tls_alloc_after_free_starts_from_null),
      cmocka_unit_test(tls_functions_reject_out_of_range_indexes),
      cmocka_unit_test(tls_alloc_returns_out_of_indexes_when_exhausted),
      W(thread_handle_is_signaled_with_its_exit_code),
      W(exit_thread_ends_the_thread_with_its_code),
      W(exit_code_is_still_active_while_running),
      W(closing_a_thread_handle_lets_the_thread_run_on),
      W(get_exit_code_of_closed_handle_fails_with_invalid_handle),
      W(apcs_run_in_fifo_order_during_an_alertable_sleep),
      W(alertable_wait_returns_io_completion_after_running_apcs),
      W(apc_queued_from_another_thread_runs_on_the_target_thread),
      W(queue_user_apc_to_closed_handle_fails_with_invalid_handle),
      W(exit_thread_from_an_apc_ends_the_thread_cleanly),
#ifndef _WIN32
      W(queue_user_apc_to_an_ended_thread_fails),
      W(create_thread_suspended_is_not_supported),
#endif
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
