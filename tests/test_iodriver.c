/* test_iodriver.c: I/O drivers (wpu/iodriver.h): registration, and threads
 * waiting in GetQueuedCompletionStatus(Ex) that run the driver instead of
 * sleeping. On mingw-w64 the ports are Windows' own and nothing drives:
 * registration fails with ERROR_NOT_SUPPORTED. */
#include <winsock2.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <fws2/fixture.h>
#include <wpu/iodriver.h>
#include <wpu/sockets.h>

#define WAIT_MS 10000

/* A driver for the tests: each drive either posts a packet to port (as a
 * provider completing I/O does) or waits for interrupt or its timeout. */
typedef struct drv {
  void *world;
  SOCKET s; /* associated with port: waiters on it may drive */
  HANDLE port;
  HANDLE interrupted; /* auto-reset: set by interrupt */
  HANDLE started;     /* manual-reset: set when a drive starts */
  int post_in_drive;  /* drives post a packet (7 bytes, key 70) */
  int refuse;         /* drives return non-zero: cannot run */
  int hold_quick;     /* drives of 0 ms wait for release */
  HANDLE release;     /* manual-reset */
  LONG drives, interrupts, running, max_running;
  LONG long_drives; /* drives with a timeout above 0 */
  DWORD last_timeout;
  DWORD drive_thread;
  int registered;
} drv;

static int drv_drive(void *arg, DWORD timeout_ms) {
  drv *d = arg;
  InterlockedIncrement(&d->drives);
  if (d->refuse)
    return -1;
  LONG now = InterlockedIncrement(&d->running);
  if (now > d->max_running)
    d->max_running = now;
  d->last_timeout = timeout_ms;
  d->drive_thread = GetCurrentThreadId();
  if (timeout_ms > 0)
    InterlockedIncrement(&d->long_drives);
  SetEvent(d->started);
  if (timeout_ms == 0 && d->hold_quick)
    WaitForSingleObject(d->release, WAIT_MS);
  else if (d->post_in_drive)
    PostQueuedCompletionStatus(d->port, 7, 70, NULL);
  else
    WaitForSingleObject(d->interrupted, timeout_ms);
  InterlockedDecrement(&d->running);
  return 0;
}

static void drv_interrupt(void *arg) {
  drv *d = arg;
  InterlockedIncrement(&d->interrupts);
  SetEvent(d->interrupted);
}

static int setup(void **state) {
  drv *d = calloc(1, sizeof *d);
  int err = 0;
  if (d == NULL || fws2_world_setup(&d->world) != 0) {
    free(d);
    return -1;
  }
  d->s = wpu_ifs_handle_create(0, &err);
  d->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  if (d->s == INVALID_SOCKET || d->port == NULL ||
      CreateIoCompletionPort((HANDLE)d->s, d->port, 1, 0) != d->port)
    return -1;
  d->interrupted = CreateEventW(NULL, FALSE, FALSE, NULL);
  d->started = CreateEventW(NULL, TRUE, FALSE, NULL);
  d->release = CreateEventW(NULL, TRUE, FALSE, NULL);
  *state = d;
  return d->port != NULL && d->interrupted != NULL && d->started != NULL ? 0
                                                                         : -1;
}

static int teardown(void **state) {
  drv *d = *state;
  if (d->registered)
    wpu_io_driver_unregister(d);
  int err = 0;
  wpu_ifs_handle_close(d->s, &err);
  CloseHandle(d->port);
  CloseHandle(d->interrupted);
  CloseHandle(d->started);
  CloseHandle(d->release);
  int rc = fws2_world_teardown(&d->world);
  free(d);
  return rc;
}

static void
io_driver_register_rejects_null_and_missing_functions(void **state) {
  drv *d = *state;
  const wpu_io_driver no_drive = {NULL, drv_interrupt, d};
  const wpu_io_driver no_interrupt = {drv_drive, NULL, d};
  assert_int_equal(wpu_io_driver_register(NULL), ERROR_INVALID_PARAMETER);
  assert_int_equal(wpu_io_driver_register(&no_drive), ERROR_INVALID_PARAMETER);
  assert_int_equal(wpu_io_driver_register(&no_interrupt),
                   ERROR_INVALID_PARAMETER);
}

#ifdef _WIN32
static void io_driver_register_is_not_supported_on_windows(void **state) {
  drv *d = *state;
  const wpu_io_driver x = {drv_drive, drv_interrupt, d};
  assert_int_equal(wpu_io_driver_register(&x), ERROR_NOT_SUPPORTED);
  assert_int_equal(wpu_io_driver_unregister(d), ERROR_NOT_FOUND);
  assert_int_equal(wpu_io_driver_rounds(), 0);
}
#else
static void must_register(drv *d) {
  const wpu_io_driver x = {drv_drive, drv_interrupt, d};
  assert_int_equal(wpu_io_driver_register(&x), 0);
  d->registered = 1;
}

static void io_driver_register_fails_with_already_exists_when_one_is_registered(
    void **state) {
  drv *d = *state;
  must_register(d);
  int other_arg;
  const wpu_io_driver other = {drv_drive, drv_interrupt, &other_arg};
  assert_int_equal(wpu_io_driver_register(&other), ERROR_ALREADY_EXISTS);
}

static void io_driver_unregister_fails_with_not_found_for_another_arg_or_twice(
    void **state) {
  drv *d = *state;
  assert_int_equal(wpu_io_driver_unregister(d), ERROR_NOT_FOUND);
  must_register(d);
  assert_int_equal(wpu_io_driver_unregister(&d->started), ERROR_NOT_FOUND);
  assert_int_equal(wpu_io_driver_unregister(d), 0);
  d->registered = 0;
  assert_int_equal(wpu_io_driver_unregister(d), ERROR_NOT_FOUND);
  /* and a new registration is possible again */
  must_register(d);
}

static void
waiting_thread_runs_the_driver_and_gets_the_packet_it_posts(void **state) {
  drv *d = *state;
  d->post_in_drive = 1;
  must_register(d);
  uint64_t rounds = wpu_io_driver_rounds();
  DWORD bytes = 0;
  ULONG_PTR key = 0;
  LPOVERLAPPED ov = (LPOVERLAPPED)&key;
  assert_true(GetQueuedCompletionStatus(d->port, &bytes, &key, &ov, WAIT_MS));
  assert_int_equal(bytes, 7);
  assert_int_equal(key, 70);
  assert_null(ov);
  assert_int_equal(d->drives, 1);
  assert_int_equal(d->drive_thread, GetCurrentThreadId());
  assert_true(d->last_timeout <= WAIT_MS && d->last_timeout > WAIT_MS / 2);
  /* Its own post ends the wait after the round: nothing to interrupt. */
  assert_int_equal(d->interrupts, 0);
  assert_true(wpu_io_driver_rounds() >= rounds + 1);
}

/* Busy (not asleep: nothing may drive meanwhile) until more than the
 * nudge interval (250 us) has passed since any drive. */
static void busy_for_a_few_ms(void) {
  DWORD t0 = GetTickCount();
  while (GetTickCount() - t0 < 3)
    ;
}

static void
waiter_that_finds_packets_runs_only_a_round_without_waiting(void **state) {
  drv *d = *state;
  must_register(d);
  OVERLAPPED o;
  assert_true(PostQueuedCompletionStatus(d->port, 3, 30, &o));
  busy_for_a_few_ms();
  OVERLAPPED_ENTRY e[4];
  ULONG n = 0;
  assert_true(GetQueuedCompletionStatusEx(d->port, e, 4, &n, WAIT_MS, FALSE));
  assert_int_equal(n, 1);
  assert_ptr_equal(e[0].lpOverlapped, &o);
  /* A nudge: one round of 0 ms, since no drive ran for a while. */
  assert_int_equal(d->drives, 1);
  assert_int_equal(d->last_timeout, 0);
  /* Right after it, packets are taken without a round. */
  assert_true(PostQueuedCompletionStatus(d->port, 3, 30, &o));
  assert_true(GetQueuedCompletionStatusEx(d->port, e, 4, &n, WAIT_MS, FALSE));
  assert_int_equal(n, 1);
  assert_true(d->drives <= 2); /* 250 us may have passed on a busy machine */
}

typedef struct poster {
  drv *d;
  OVERLAPPED ov;
} poster;

static DWORD WINAPI post_once_started(LPVOID arg) {
  poster *p = arg;
  if (WaitForSingleObject(p->d->started, WAIT_MS) == WAIT_OBJECT_0)
    PostQueuedCompletionStatus(p->d->port, 5, 50, &p->ov);
  return 0;
}

static void packet_from_another_thread_interrupts_the_drive(void **state) {
  drv *d = *state;
  must_register(d);
  poster p = {d, {0}};
  HANDLE t = CreateThread(NULL, 0, post_once_started, &p, 0, NULL);
  assert_non_null(t);
  OVERLAPPED_ENTRY e[2];
  ULONG n = 0;
  assert_true(GetQueuedCompletionStatusEx(d->port, e, 2, &n, WAIT_MS, FALSE));
  assert_int_equal(n, 1);
  assert_ptr_equal(e[0].lpOverlapped, &p.ov);
  assert_int_equal(e[0].lpCompletionKey, 50);
  assert_true(d->drives >= 1);
  assert_true(d->interrupts >= 1);
  assert_int_equal(WaitForSingleObject(t, WAIT_MS), WAIT_OBJECT_0);
  CloseHandle(t);
}

static void drive_gets_the_wait_timeout_and_the_wait_times_out(void **state) {
  drv *d = *state;
  must_register(d);
  DWORD bytes = 1;
  ULONG_PTR key = 1;
  LPOVERLAPPED ov = (LPOVERLAPPED)&key;
  SetLastError(0);
  assert_false(GetQueuedCompletionStatus(d->port, &bytes, &key, &ov, 30));
  assert_int_equal(GetLastError(), WAIT_TIMEOUT);
  assert_null(ov);
  assert_true(d->drives >= 1);
  assert_true(d->last_timeout <= 30);
  /* A zero timeout returns at once, after a round of 0 ms (a poll). */
  LONG drives = d->drives;
  assert_false(GetQueuedCompletionStatus(d->port, &bytes, &key, &ov, 0));
  assert_int_equal(GetLastError(), WAIT_TIMEOUT);
  assert_int_equal(d->drives, drives + 1);
  assert_int_equal(d->last_timeout, 0);
}

static void
poll_with_timeout_zero_runs_a_round_and_takes_what_it_completed(void **state) {
  drv *d = *state;
  d->post_in_drive = 1;
  must_register(d);
  DWORD bytes = 0;
  ULONG_PTR key = 0;
  LPOVERLAPPED ov = (LPOVERLAPPED)&key;
  assert_true(GetQueuedCompletionStatus(d->port, &bytes, &key, &ov, 0));
  assert_int_equal(bytes, 7);
  assert_int_equal(key, 70);
  assert_int_equal(d->drives, 1);
  assert_int_equal(d->last_timeout, 0);
}

typedef struct nudger {
  drv *d;
  HANDLE port;
  BOOL ok;
} nudger;

/* Finds a packet queued after no drive for a while: nudges (the test's
 * driver holds that round of 0 ms until release). */
static DWORD WINAPI take_with_a_nudge(LPVOID arg) {
  nudger *n = arg;
  OVERLAPPED o;
  DWORD bytes;
  ULONG_PTR key;
  LPOVERLAPPED got;
  if (!PostQueuedCompletionStatus(n->port, 1, 1, &o))
    return 1;
  busy_for_a_few_ms();
  n->ok = GetQueuedCompletionStatus(n->port, &bytes, &key, &got, WAIT_MS) &&
          got == &o;
  return 0;
}

static DWORD WINAPI release_later(LPVOID arg) {
  drv *d = arg;
  DWORD t0 = GetTickCount(); /* long enough for the waiter to arrive */
  while (GetTickCount() - t0 < 30)
    ;
  SetEvent(d->release);
  return 0;
}

static void
waiter_that_finds_a_round_of_0_ms_running_drives_after_it(void **state) {
  drv *d = *state;
  d->hold_quick = 1;
  must_register(d);
  int err = 0;
  SOCKET s2 = wpu_ifs_handle_create(0, &err);
  HANDLE port2 = CreateIoCompletionPort((HANDLE)s2, NULL, 2, 0);
  assert_non_null(port2);
  nudger n = {d, d->port, FALSE};
  HANDLE t = CreateThread(NULL, 0, take_with_a_nudge, &n, 0, NULL);
  assert_non_null(t);
  assert_int_equal(WaitForSingleObject(d->started, WAIT_MS), WAIT_OBJECT_0);
  assert_int_equal(d->long_drives, 0); /* the nudge holds the driver */
  HANDLE r = CreateThread(NULL, 0, release_later, d, 0, NULL);
  assert_non_null(r);
  DWORD bytes;
  ULONG_PTR key;
  LPOVERLAPPED got;
  assert_false(GetQueuedCompletionStatus(port2, &bytes, &key, &got, 300));
  assert_int_equal(GetLastError(), WAIT_TIMEOUT);
  /* It did not sleep through its wait: it drove once the nudge was over. */
  assert_true(d->long_drives >= 1);
  assert_int_equal(WaitForSingleObject(t, WAIT_MS), WAIT_OBJECT_0);
  assert_int_equal(WaitForSingleObject(r, WAIT_MS), WAIT_OBJECT_0);
  assert_true(n.ok);
  CloseHandle(t);
  CloseHandle(r);
  CloseHandle(port2);
  assert_int_equal(wpu_ifs_handle_close(s2, &err), 0);
}

static void waits_on_a_port_without_sockets_do_not_drive(void **state) {
  drv *d = *state;
  must_register(d);
  HANDLE pool = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  assert_non_null(pool);
  DWORD bytes = 1;
  ULONG_PTR key = 1;
  LPOVERLAPPED ov = (LPOVERLAPPED)&key;
  assert_false(GetQueuedCompletionStatus(pool, &bytes, &key, &ov, 20));
  assert_int_equal(GetLastError(), WAIT_TIMEOUT);
  assert_int_equal(d->drives, 0);
  CloseHandle(pool);
}

static void CALLBACK apc_noop(ULONG_PTR arg) {
  (void)arg;
}

static void alertable_waits_do_not_drive(void **state) {
  drv *d = *state;
  must_register(d);
  assert_true(QueueUserAPC(apc_noop, GetCurrentThread(), 0));
  OVERLAPPED_ENTRY e[1];
  ULONG n = 0;
  SetLastError(0);
  assert_false(GetQueuedCompletionStatusEx(d->port, e, 1, &n, WAIT_MS, TRUE));
  assert_int_equal(GetLastError(), WAIT_IO_COMPLETION);
  assert_false(GetQueuedCompletionStatusEx(d->port, e, 1, &n, 20, TRUE));
  assert_int_equal(GetLastError(), WAIT_TIMEOUT);
  assert_int_equal(d->drives, 0);
}

static void driver_that_cannot_run_lets_the_waiter_sleep(void **state) {
  drv *d = *state;
  d->refuse = 1;
  must_register(d);
  poster p = {d, {0}};
  SetEvent(d->started); /* the poster goes at once */
  HANDLE t = CreateThread(NULL, 0, post_once_started, &p, 0, NULL);
  assert_non_null(t);
  DWORD bytes = 0;
  ULONG_PTR key = 0;
  LPOVERLAPPED ov = NULL;
  assert_true(GetQueuedCompletionStatus(d->port, &bytes, &key, &ov, WAIT_MS));
  assert_ptr_equal(ov, &p.ov);
  assert_int_equal(d->max_running, 0);
  assert_int_equal(WaitForSingleObject(t, WAIT_MS), WAIT_OBJECT_0);
  CloseHandle(t);
}

typedef struct waiter {
  drv *d;
  LPOVERLAPPED got;
  BOOL ok;
} waiter;

static DWORD WINAPI wait_port(LPVOID arg) {
  waiter *w = arg;
  DWORD bytes;
  ULONG_PTR key;
  w->ok = GetQueuedCompletionStatus(w->d->port, &bytes, &key, &w->got, WAIT_MS);
  return 0;
}

static void only_one_waiting_thread_drives_at_a_time(void **state) {
  drv *d = *state;
  must_register(d);
  waiter w[3];
  HANDLE t[3];
  for (int i = 0; i < 3; i++) {
    w[i].d = d;
    w[i].got = NULL;
    w[i].ok = FALSE;
    t[i] = CreateThread(NULL, 0, wait_port, &w[i], 0, NULL);
    assert_non_null(t[i]);
  }
  assert_int_equal(WaitForSingleObject(d->started, WAIT_MS), WAIT_OBJECT_0);
  OVERLAPPED ov[3];
  for (int i = 0; i < 3; i++)
    assert_true(PostQueuedCompletionStatus(d->port, 1, 1, &ov[i]));
  assert_int_equal(WaitForMultipleObjects(3, t, TRUE, WAIT_MS), WAIT_OBJECT_0);
  int seen = 0;
  for (int i = 0; i < 3; i++) {
    assert_true(w[i].ok);
    for (int j = 0; j < 3; j++)
      if (w[i].got == &ov[j])
        seen |= 1 << j;
    CloseHandle(t[i]);
  }
  assert_int_equal(seen, 7); /* each packet to one waiter */
  assert_int_equal(d->max_running, 1);
}

static void
unregister_interrupts_a_running_drive_and_waits_for_it(void **state) {
  drv *d = *state;
  must_register(d);
  waiter w = {d, NULL, FALSE};
  HANDLE t = CreateThread(NULL, 0, wait_port, &w, 0, NULL);
  assert_non_null(t);
  assert_int_equal(WaitForSingleObject(d->started, WAIT_MS), WAIT_OBJECT_0);
  assert_int_equal(wpu_io_driver_unregister(d), 0);
  d->registered = 0;
  /* The drive has returned, and no drive starts any more. */
  assert_int_equal(d->running, 0);
  assert_true(d->interrupts >= 1);
  LONG drives = d->drives;
  OVERLAPPED ov;
  assert_true(PostQueuedCompletionStatus(d->port, 1, 1, &ov));
  assert_int_equal(WaitForSingleObject(t, WAIT_MS), WAIT_OBJECT_0);
  assert_true(w.ok);
  assert_ptr_equal(w.got, &ov);
  assert_int_equal(d->drives, drives);
  CloseHandle(t);
}
#endif

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(io_driver_register_rejects_null_and_missing_functions),
#ifdef _WIN32
      T(io_driver_register_is_not_supported_on_windows),
#else
      T(io_driver_register_fails_with_already_exists_when_one_is_registered),
      T(io_driver_unregister_fails_with_not_found_for_another_arg_or_twice),
      T(waiting_thread_runs_the_driver_and_gets_the_packet_it_posts),
      T(waiter_that_finds_packets_runs_only_a_round_without_waiting),
      T(packet_from_another_thread_interrupts_the_drive),
      T(drive_gets_the_wait_timeout_and_the_wait_times_out),
      T(alertable_waits_do_not_drive),
      T(poll_with_timeout_zero_runs_a_round_and_takes_what_it_completed),
      T(waiter_that_finds_a_round_of_0_ms_running_drives_after_it),
      T(waits_on_a_port_without_sockets_do_not_drive),
      T(driver_that_cannot_run_lets_the_waiter_sleep),
      T(only_one_waiting_thread_drives_at_a_time),
      T(unregister_interrupts_a_running_drive_and_waits_for_it),
#endif
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
