/* test_kernel32_threads.c: critical sections, thread and process ids and TLS
 * slots as providers use them (on mingw-w64 the same tests run against
 * Windows' kernel32 under Wine). */
#include <winsock2.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(critical_section_is_recursive_for_its_owner),
      cmocka_unit_test(critical_section_excludes_other_threads),
      cmocka_unit_test(thread_ids_are_stable_distinct_multiples_of_four),
      cmocka_unit_test(tls_values_are_per_thread_and_start_null),
      cmocka_unit_test(tls_alloc_after_free_starts_from_null),
      cmocka_unit_test(tls_functions_reject_out_of_range_indexes),
      cmocka_unit_test(tls_alloc_returns_out_of_indexes_when_exhausted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
