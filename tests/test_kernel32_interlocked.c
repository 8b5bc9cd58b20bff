/* test_kernel32_interlocked.c: the Interlocked* family and interlocked
 * singly linked lists as providers use them (reference counts, look-aside
 * lists); on mingw-w64 the same tests run against Windows' kernel32. */
#include <winsock2.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define WAIT_MS 10000

static void interlocked_functions_return_documented_values(void **state) {
  (void)state;
  volatile LONG l = 5;
  assert_int_equal(InterlockedIncrement(&l), 6);
  assert_int_equal(InterlockedDecrement(&l), 5);
  assert_int_equal(InterlockedExchange(&l, 9), 5);
  assert_int_equal(InterlockedCompareExchange(&l, 1, 8), 9); /* no swap */
  assert_int_equal(InterlockedCompareExchange(&l, 1, 9), 9);
  assert_int_equal(l, 1);
  assert_int_equal(InterlockedExchangeAdd(&l, 10), 1);
  assert_int_equal(l, 11);
  volatile LONGLONG ll = 1;
  assert_int_equal(InterlockedIncrement64(&ll), 2);
  assert_int_equal(InterlockedExchange64(&ll, 7), 2);
  assert_int_equal(InterlockedCompareExchange64(&ll, 3, 7), 7);
  assert_int_equal(ll, 3);
  volatile SHORT s = 4;
  assert_int_equal(InterlockedCompareExchange16(&s, 6, 4), 4);
  assert_int_equal(s, 6);
  void *volatile p = NULL;
  int x;
  assert_null(InterlockedExchangePointer((PVOID volatile *)&p, &x));
  assert_ptr_equal(
      InterlockedCompareExchangePointer((PVOID volatile *)&p, NULL, &x), &x);
  assert_null(p);
}

typedef struct item {
  SLIST_ENTRY link; /* first, 16-byte aligned as SLIST_ENTRY requires */
  int value;
} item;

static void slist_pops_in_lifo_order_and_tracks_depth(void **state) {
  (void)state;
  SLIST_HEADER head;
  InitializeSListHead(&head);
  assert_null(InterlockedPopEntrySList(&head));
  static item items[3];
  for (int i = 0; i < 3; i++) {
    items[i].value = i;
    InterlockedPushEntrySList(&head, &items[i].link);
  }
  assert_int_equal(QueryDepthSList(&head), 3);
  item *top = (item *)InterlockedPopEntrySList(&head);
  assert_int_equal(top->value, 2);
  assert_int_equal(QueryDepthSList(&head), 2);
  PSLIST_ENTRY rest = InterlockedFlushSList(&head);
  assert_ptr_equal(rest, &items[1].link);
  assert_ptr_equal(rest->Next, &items[0].link);
  assert_int_equal(QueryDepthSList(&head), 0);
  assert_null(InterlockedPopEntrySList(&head));
}

enum { PER_THREAD = 20000 };

typedef struct {
  volatile LONG *counter;
  PSLIST_HEADER head;
  item *items;
} worker_args;

static DWORD WINAPI hammer(LPVOID arg) {
  worker_args *a = arg;
  for (int i = 0; i < PER_THREAD; i++) {
    InterlockedIncrement(a->counter);
    InterlockedPushEntrySList(a->head, &a->items[i].link);
  }
  return 0;
}

static void interlocked_operations_lose_nothing_across_threads(void **state) {
  (void)state;
  static item items[3][PER_THREAD];
  static SLIST_HEADER head;
  volatile LONG counter = 0;
  InitializeSListHead(&head);
  worker_args args[3];
  HANDLE t[3];
  for (int i = 0; i < 3; i++) {
    args[i] = (worker_args){&counter, &head, items[i]};
    t[i] = CreateThread(NULL, 0, hammer, &args[i], 0, NULL);
    assert_non_null(t[i]);
  }
  assert_int_equal(WaitForMultipleObjects(3, t, TRUE, WAIT_MS), WAIT_OBJECT_0);
  for (int i = 0; i < 3; i++)
    CloseHandle(t[i]);
  assert_int_equal(counter, 3 * PER_THREAD);
  int popped = 0;
  while (InterlockedPopEntrySList(&head) != NULL)
    popped++;
  assert_int_equal(popped, 3 * PER_THREAD);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(interlocked_functions_return_documented_values),
      cmocka_unit_test(slist_pops_in_lifo_order_and_tracks_depth),
      cmocka_unit_test(interlocked_operations_lose_nothing_across_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
