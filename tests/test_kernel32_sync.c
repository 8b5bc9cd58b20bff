/* test_kernel32_sync.c: events, semaphores, waits (wait-any, wait-all,
 * timeouts), Sleep, CloseHandle and DuplicateHandle (on mingw-w64 the same
 * tests run against Windows' kernel32 under Wine). */
#include <winsock2.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fws2/fixture.h>
#include <wpu/wpu.h>

#define WAIT_MS 10000 /* generous: a failing test fails, it never hangs */

static HANDLE must_event(BOOL manual, BOOL initial) {
  HANDLE h = CreateEventW(NULL, manual, initial, NULL);
  assert_non_null(h);
  return h;
}

static void must_close(HANDLE h) {
  assert_true(CloseHandle(h));
}

static void manual_reset_event_stays_signaled_until_reset(void **state) {
  (void)state;
  HANDLE e = must_event(TRUE, FALSE);
  assert_int_equal(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
  assert_true(SetEvent(e));
  assert_int_equal(WaitForSingleObject(e, 0), WAIT_OBJECT_0);
  assert_int_equal(WaitForSingleObject(e, 0), WAIT_OBJECT_0);
  assert_true(ResetEvent(e));
  assert_int_equal(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
  must_close(e);
}

static void auto_reset_event_is_consumed_by_one_wait(void **state) {
  (void)state;
  HANDLE e = must_event(FALSE, TRUE);
  assert_int_equal(WaitForSingleObject(e, 0), WAIT_OBJECT_0);
  assert_int_equal(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
  must_close(e);
}

static void create_event_a_makes_an_event(void **state) {
  (void)state;
  HANDLE e = CreateEventA(NULL, TRUE, TRUE, NULL);
  assert_non_null(e);
  assert_int_equal(WaitForSingleObject(e, 0), WAIT_OBJECT_0);
  must_close(e);
}

static void set_event_on_closed_handle_fails_with_invalid_handle(void **state) {
  (void)state;
  HANDLE e = must_event(TRUE, FALSE);
  must_close(e);
  SetLastError(0);
  assert_false(SetEvent(e));
  assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
  assert_false(ResetEvent(e));
  assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
}

static void close_handle_twice_fails_with_invalid_handle(void **state) {
  (void)state;
  HANDLE e = must_event(TRUE, FALSE);
  must_close(e);
  SetLastError(0);
  assert_false(CloseHandle(e));
  assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
}

static void set_event_on_a_semaphore_fails_with_invalid_handle(void **state) {
  (void)state;
  HANDLE s = CreateSemaphoreW(NULL, 0, 1, NULL);
  assert_non_null(s);
  SetLastError(0);
  assert_false(SetEvent(s));
  assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
  must_close(s);
}

static void semaphore_counts_down_per_wait(void **state) {
  (void)state;
  HANDLE s = CreateSemaphoreW(NULL, 2, 5, NULL);
  assert_non_null(s);
  assert_int_equal(WaitForSingleObject(s, 0), WAIT_OBJECT_0);
  assert_int_equal(WaitForSingleObject(s, 0), WAIT_OBJECT_0);
  assert_int_equal(WaitForSingleObject(s, 0), WAIT_TIMEOUT);
  LONG prev = -1;
  assert_true(ReleaseSemaphore(s, 3, &prev));
  assert_int_equal(prev, 0);
  assert_true(ReleaseSemaphore(s, 2, &prev));
  assert_int_equal(prev, 3);
  must_close(s);
}

static void
release_semaphore_past_maximum_fails_with_too_many_posts(void **state) {
  (void)state;
  HANDLE s = CreateSemaphoreA(NULL, 1, 2, NULL);
  assert_non_null(s);
  SetLastError(0);
  assert_false(ReleaseSemaphore(s, 2, NULL));
  assert_int_equal(GetLastError(), ERROR_TOO_MANY_POSTS);
  LONG prev = -1;
  assert_true(ReleaseSemaphore(s, 1, &prev)); /* count unchanged by failure */
  assert_int_equal(prev, 1);
  must_close(s);
}

#ifndef _WIN32 /* Windows refuses this; Wine accepts it */
static void
release_semaphore_with_zero_count_fails_with_invalid_parameter(void **state) {
  (void)state;
  HANDLE s = CreateSemaphoreW(NULL, 0, 2, NULL);
  assert_non_null(s);
  SetLastError(0);
  assert_false(ReleaseSemaphore(s, 0, NULL));
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  must_close(s);
}
#endif

static void
create_semaphore_with_bad_counts_fails_with_invalid_parameter(void **state) {
  (void)state;
  SetLastError(0);
  assert_null(CreateSemaphoreW(NULL, 3, 2, NULL));
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_null(CreateSemaphoreW(NULL, 0, 0, NULL));
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_null(CreateSemaphoreW(NULL, -1, 2, NULL));
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
}

static void wait_any_returns_lowest_signaled_index(void **state) {
  (void)state;
  HANDLE h[3] = {must_event(TRUE, FALSE), must_event(FALSE, TRUE),
                 must_event(FALSE, TRUE)};
  assert_int_equal(WaitForMultipleObjects(3, h, FALSE, 0), WAIT_OBJECT_0 + 1);
  /* Only the one returned was consumed. */
  assert_int_equal(WaitForMultipleObjects(3, h, FALSE, 0), WAIT_OBJECT_0 + 2);
  assert_int_equal(WaitForMultipleObjects(3, h, FALSE, 0), WAIT_TIMEOUT);
  for (int i = 0; i < 3; i++)
    must_close(h[i]);
}

static void wait_all_consumes_nothing_until_all_are_signaled(void **state) {
  (void)state;
  HANDLE sem = CreateSemaphoreW(NULL, 1, 1, NULL);
  HANDLE ev = must_event(FALSE, FALSE);
  HANDLE h[2] = {sem, ev};
  assert_int_equal(WaitForMultipleObjects(2, h, TRUE, 0), WAIT_TIMEOUT);
  /* The semaphore was not taken by the failed wait-all. */
  LONG prev = -1;
  assert_false(ReleaseSemaphore(sem, 1, &prev));
  assert_int_equal(GetLastError(), ERROR_TOO_MANY_POSTS);
  assert_true(SetEvent(ev));
  assert_int_equal(WaitForMultipleObjects(2, h, TRUE, 0), WAIT_OBJECT_0);
  assert_int_equal(WaitForSingleObject(sem, 0), WAIT_TIMEOUT);
  assert_int_equal(WaitForSingleObject(ev, 0), WAIT_TIMEOUT);
  must_close(sem);
  must_close(ev);
}

#ifndef _WIN32 /* Windows refuses this; Wine accepts it */
static void
wait_all_with_a_handle_twice_fails_with_invalid_parameter(void **state) {
  (void)state;
  HANDLE e = must_event(TRUE, TRUE);
  HANDLE h[2] = {e, e};
  SetLastError(0);
  assert_int_equal(WaitForMultipleObjects(2, h, TRUE, 0), WAIT_FAILED);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  /* In a wait-any the same handle twice is fine. */
  assert_int_equal(WaitForMultipleObjects(2, h, FALSE, 0), WAIT_OBJECT_0);
  must_close(e);
}
#endif

static void
wait_for_zero_or_too_many_objects_fails_with_invalid_parameter(void **state) {
  (void)state;
  HANDLE h[MAXIMUM_WAIT_OBJECTS + 1];
  HANDLE e = must_event(TRUE, TRUE);
  for (int i = 0; i <= MAXIMUM_WAIT_OBJECTS; i++)
    h[i] = e;
  SetLastError(0);
  assert_int_equal(WaitForMultipleObjects(0, h, FALSE, 0), WAIT_FAILED);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_int_equal(
      WaitForMultipleObjects(MAXIMUM_WAIT_OBJECTS + 1, h, FALSE, 0),
      WAIT_FAILED);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  assert_int_equal(WaitForMultipleObjects(MAXIMUM_WAIT_OBJECTS, h, FALSE, 0),
                   WAIT_OBJECT_0);
  must_close(e);
}

static void wait_on_closed_handle_fails_with_invalid_handle(void **state) {
  (void)state;
  HANDLE e = must_event(TRUE, TRUE);
  must_close(e);
  SetLastError(0);
  assert_int_equal(WaitForSingleObject(e, 0), WAIT_FAILED);
  assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
}

static void wait_times_out_after_its_timeout(void **state) {
  (void)state;
  HANDLE e = must_event(TRUE, FALSE);
  DWORD start = GetTickCount();
  assert_int_equal(WaitForSingleObject(e, 50), WAIT_TIMEOUT);
  assert_true(GetTickCount() - start >= 40); /* clock granularity */
  must_close(e);
}

typedef struct {
  HANDLE ready;
  HANDLE go;
  HANDLE sem;
} signal_args;

static DWORD WINAPI set_after_ready(LPVOID arg) {
  signal_args *a = arg;
  SetEvent(a->ready);
  if (WaitForSingleObject(a->go, WAIT_MS) != WAIT_OBJECT_0)
    return 1;
  ReleaseSemaphore(a->sem, 1, NULL);
  return 0;
}

static void
wait_all_is_satisfied_by_a_signal_from_another_thread(void **state) {
  (void)state;
  signal_args a = {must_event(TRUE, FALSE), must_event(TRUE, FALSE),
                   CreateSemaphoreW(NULL, 0, 1, NULL)};
  HANDLE t = CreateThread(NULL, 0, set_after_ready, &a, 0, NULL);
  assert_non_null(t);
  assert_int_equal(WaitForSingleObject(a.ready, WAIT_MS), WAIT_OBJECT_0);
  HANDLE both[2] = {a.go, a.sem};
  SetEvent(a.go);
  assert_int_equal(WaitForMultipleObjects(2, both, TRUE, WAIT_MS),
                   WAIT_OBJECT_0);
  assert_int_equal(WaitForSingleObject(t, WAIT_MS), WAIT_OBJECT_0);
  must_close(t);
  must_close(a.ready);
  must_close(a.go);
  must_close(a.sem);
}

typedef struct {
  HANDLE event;
  volatile LONG woke;
} waiter_args;

static DWORD WINAPI wait_for_event(LPVOID arg) {
  waiter_args *a = arg;
  if (WaitForSingleObject(a->event, WAIT_MS) != WAIT_OBJECT_0)
    return 1;
  InterlockedIncrement(&a->woke);
  return 0;
}

static void manual_reset_event_releases_every_waiter(void **state) {
  (void)state;
  waiter_args a = {must_event(TRUE, FALSE), 0};
  HANDLE t[4];
  for (int i = 0; i < 4; i++) {
    t[i] = CreateThread(NULL, 0, wait_for_event, &a, 0, NULL);
    assert_non_null(t[i]);
  }
  assert_true(SetEvent(a.event));
  assert_int_equal(WaitForMultipleObjects(4, t, TRUE, WAIT_MS), WAIT_OBJECT_0);
  assert_int_equal(a.woke, 4);
  for (int i = 0; i < 4; i++) {
    DWORD code = 99;
    assert_true(GetExitCodeThread(t[i], &code));
    assert_int_equal(code, 0);
    must_close(t[i]);
  }
  must_close(a.event);
}

static void sleep_zero_returns_at_once(void **state) {
  (void)state;
  Sleep(0);
  assert_int_equal(SleepEx(0, FALSE), 0);
  assert_int_equal(SleepEx(1, TRUE), 0); /* no APC queued */
}

static void duplicate_handle_names_the_same_object(void **state) {
  (void)state;
  HANDLE e = must_event(TRUE, FALSE);
  HANDLE dup = NULL;
  assert_true(DuplicateHandle(GetCurrentProcess(), e, GetCurrentProcess(), &dup,
                              0, FALSE, DUPLICATE_SAME_ACCESS));
  assert_non_null(dup);
  assert_ptr_not_equal(dup, e);
  assert_true(SetEvent(dup));
  must_close(dup);
  /* The object lives on through the first handle. */
  assert_int_equal(WaitForSingleObject(e, 0), WAIT_OBJECT_0);
  must_close(e);
}

static void duplicate_handle_with_close_source_closes_it(void **state) {
  (void)state;
  HANDLE e = must_event(TRUE, TRUE);
  HANDLE dup = NULL;
  assert_true(DuplicateHandle(GetCurrentProcess(), e, GetCurrentProcess(), &dup,
                              0, FALSE,
                              DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE));
  /* The source is closed (its value may be reused for the duplicate). */
  assert_int_equal(WaitForSingleObject(dup, 0), WAIT_OBJECT_0);
#ifndef _WIN32
  assert_int_equal(wpu_world_handle_count(wpu_world_current()), 1);
#endif
  must_close(dup);
}

/* DUPLICATE_CLOSE_SOURCE closes the source "regardless of any error
 * status", including a target process that is not valid. */
static void
duplicate_handle_closes_the_source_even_when_it_fails(void **state) {
  (void)state;
  HANDLE e = must_event(TRUE, TRUE);
  SetLastError(0);
  assert_false(DuplicateHandle(GetCurrentProcess(), e, NULL, NULL, 0, FALSE,
                               DUPLICATE_CLOSE_SOURCE));
  assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
  SetLastError(0);
  assert_false(CloseHandle(e)); /* already closed */
  assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
}

static void
duplicate_handle_of_closed_handle_fails_with_invalid_handle(void **state) {
  (void)state;
  HANDLE e = must_event(TRUE, TRUE);
  must_close(e);
  HANDLE dup = NULL;
  SetLastError(0);
  assert_false(DuplicateHandle(GetCurrentProcess(), e, GetCurrentProcess(),
                               &dup, 0, FALSE, DUPLICATE_SAME_ACCESS));
  assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
}

static void duplicate_of_current_thread_is_a_real_thread_handle(void **state) {
  (void)state;
  HANDLE me = NULL;
  assert_true(DuplicateHandle(GetCurrentProcess(), GetCurrentThread(),
                              GetCurrentProcess(), &me, 0, FALSE,
                              DUPLICATE_SAME_ACCESS));
  assert_ptr_not_equal(me, GetCurrentThread());
  DWORD code = 0;
  assert_true(GetExitCodeThread(me, &code));
  assert_int_equal(code, STILL_ACTIVE);
  assert_int_equal(WaitForSingleObject(me, 0), WAIT_TIMEOUT);
  must_close(me);
  assert_true(CloseHandle(GetCurrentThread())); /* pseudo: a no-op */
}

#ifndef _WIN32
static void named_objects_are_not_supported(void **state) {
  (void)state;
  static const WCHAR name[] = {'n', 'a', 'm', 'e', 0};
  SetLastError(0);
  assert_null(CreateEventW(NULL, TRUE, FALSE, name));
  assert_int_equal(GetLastError(), ERROR_NOT_SUPPORTED);
  assert_null(CreateSemaphoreA(NULL, 0, 1, "name"));
  assert_int_equal(GetLastError(), ERROR_NOT_SUPPORTED);
}

static void world_handle_count_includes_open_events(void **state) {
  (void)state;
  wpu_world *w = wpu_world_current();
  HANDLE e = must_event(TRUE, FALSE);
  assert_int_equal(wpu_world_handle_count(w), 1);
  must_close(e);
  assert_int_equal(wpu_world_handle_count(w), 0);
}
#endif

#define T(fn)                                                                  \
  cmocka_unit_test_setup_teardown(fn, fws2_world_setup, fws2_world_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(manual_reset_event_stays_signaled_until_reset),
      T(auto_reset_event_is_consumed_by_one_wait),
      T(create_event_a_makes_an_event),
      T(set_event_on_closed_handle_fails_with_invalid_handle),
      T(close_handle_twice_fails_with_invalid_handle),
      T(set_event_on_a_semaphore_fails_with_invalid_handle),
      T(semaphore_counts_down_per_wait),
      T(release_semaphore_past_maximum_fails_with_too_many_posts),
#ifndef _WIN32
      T(release_semaphore_with_zero_count_fails_with_invalid_parameter),
#endif
      T(create_semaphore_with_bad_counts_fails_with_invalid_parameter),
      T(wait_any_returns_lowest_signaled_index),
      T(wait_all_consumes_nothing_until_all_are_signaled),
#ifndef _WIN32
      T(wait_all_with_a_handle_twice_fails_with_invalid_parameter),
#endif
      T(wait_for_zero_or_too_many_objects_fails_with_invalid_parameter),
      T(wait_on_closed_handle_fails_with_invalid_handle),
      T(wait_times_out_after_its_timeout),
      T(wait_all_is_satisfied_by_a_signal_from_another_thread),
      T(manual_reset_event_releases_every_waiter),
      T(sleep_zero_returns_at_once),
      T(duplicate_handle_names_the_same_object),
      T(duplicate_handle_with_close_source_closes_it),
      T(duplicate_handle_closes_the_source_even_when_it_fails),
      T(duplicate_handle_of_closed_handle_fails_with_invalid_handle),
      T(duplicate_of_current_thread_is_a_real_thread_handle),
#ifndef _WIN32
      T(named_objects_are_not_supported),
      T(world_handle_count_includes_open_events),
#endif
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
