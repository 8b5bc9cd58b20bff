/* test_kernel32_heap.c: heaps, fixed Local/Global memory and the system
 * information providers size memory with (on mingw-w64 the same tests run
 * against Windows' kernel32 under Wine; what only libwpu promises is inside
 * #ifndef _WIN32). */
#include <winsock2.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <platform.h>

#define HUGE_SIZE ((SIZE_T)1 << 60)

static int all_bytes_are(const void *p, int value, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i] != (unsigned char)value)
      return 0;
  return 1;
}

static void get_process_heap_returns_one_usable_heap(void **state) {
  (void)state;
  HANDLE h = GetProcessHeap();
  assert_non_null(h);
  assert_ptr_equal(GetProcessHeap(), h);
  char *p = HeapAlloc(h, 0, 100);
  assert_non_null(p);
  memset(p, 0x5a, 100);
  assert_int_equal(HeapSize(h, 0, p), 100);
  assert_true(HeapFree(h, 0, p));
}

static void heap_alloc_zero_memory_returns_zeroed_block(void **state) {
  (void)state;
  HANDLE h = HeapCreate(0, 0, 0);
  assert_non_null(h);
  for (int round = 0; round < 2; round++) {
    /* The second round likely reuses the memory the first one dirtied. */
    unsigned char *p = HeapAlloc(h, HEAP_ZERO_MEMORY, 3000);
    assert_non_null(p);
    assert_true(all_bytes_are(p, 0, 3000));
    memset(p, 0xff, 3000);
    assert_true(HeapFree(h, 0, p));
  }
  unsigned char *q = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, 777);
  assert_non_null(q);
  assert_true(all_bytes_are(q, 0, 777));
  assert_true(HeapFree(GetProcessHeap(), 0, q));
  assert_true(HeapDestroy(h));
}

static void heap_alloc_returns_16_byte_aligned_blocks(void **state) {
  (void)state;
  HANDLE h = HeapCreate(0, 0, 0);
  void *p[8];
  for (int i = 0; i < 8; i++) {
    p[i] = HeapAlloc(h, 0, (SIZE_T)(1 + 7 * i));
    assert_non_null(p[i]);
    assert_int_equal((uintptr_t)p[i] % 16, 0); /* MEMORY_ALLOCATION_ALIGNMENT */
  }
  for (int i = 0; i < 8; i++)
    assert_true(HeapFree(h, 0, p[i]));
  assert_true(HeapDestroy(h));
}

static void heap_size_returns_the_requested_size(void **state) {
  (void)state;
  HANDLE h = HeapCreate(0, 0, 0);
  static const SIZE_T sizes[] = {1, 15, 17, 100, 4096, 70000};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    void *p = HeapAlloc(h, 0, sizes[i]);
    assert_non_null(p);
    assert_int_equal(HeapSize(h, 0, p), sizes[i]);
    assert_true(HeapFree(h, 0, p));
  }
  assert_true(HeapDestroy(h));
}

static void heap_alloc_of_zero_bytes_returns_distinct_blocks(void **state) {
  (void)state;
  HANDLE h = GetProcessHeap();
  void *a = HeapAlloc(h, 0, 0);
  void *b = HeapAlloc(h, 0, 0);
  assert_non_null(a);
  assert_non_null(b);
  assert_ptr_not_equal(a, b);
  assert_int_equal(HeapSize(h, 0, a), 0);
  assert_true(HeapFree(h, 0, a));
  assert_true(HeapFree(h, 0, b));
}

static void heap_realloc_keeps_contents_and_zeroes_the_growth(void **state) {
  (void)state;
  HANDLE h = HeapCreate(0, 0, 0);
  unsigned char *p = HeapAlloc(h, 0, 24);
  memset(p, 0xab, 24);
  unsigned char *q = HeapReAlloc(h, HEAP_ZERO_MEMORY, p, 100000);
  assert_non_null(q);
  assert_true(all_bytes_are(q, 0xab, 24));
  assert_true(all_bytes_are(q + 24, 0, 100000 - 24));
  assert_int_equal(HeapSize(h, 0, q), 100000);
  unsigned char *r = HeapReAlloc(h, 0, q, 10);
  assert_non_null(r);
  assert_true(all_bytes_are(r, 0xab, 10));
  assert_int_equal(HeapSize(h, 0, r), 10);
  assert_true(HeapFree(h, 0, r));
  assert_true(HeapDestroy(h));
}

static void heap_realloc_in_place_only_shrinks_in_place(void **state) {
  (void)state;
  HANDLE h = HeapCreate(0, 0, 0);
  char *p = HeapAlloc(h, 0, 256);
  memset(p, 'x', 256);
  char *q = HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 64);
  assert_ptr_equal(q, p);
  assert_int_equal(HeapSize(h, 0, q), 64);
  assert_true(all_bytes_are(q, 'x', 64));
  assert_true(HeapFree(h, 0, q));
  assert_true(HeapDestroy(h));
}

static void
heap_realloc_in_place_only_fails_when_block_cannot_grow(void **state) {
  (void)state;
  HANDLE h = HeapCreate(0, 0, 0);
  char *p = HeapAlloc(h, 0, 64);
  char *neighbour = HeapAlloc(h, 0, 64);
  memset(p, 'y', 64);
  SetLastError(0);
  assert_null(HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 2 << 20));
#ifndef _WIN32
  assert_int_equal(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
#endif
  /* The block is left as it was. */
  assert_int_equal(HeapSize(h, 0, p), 64);
  assert_true(all_bytes_are(p, 'y', 64));
  assert_true(HeapFree(h, 0, p));
  assert_true(HeapFree(h, 0, neighbour));
  assert_true(HeapDestroy(h));
}

static void heap_realloc_of_null_block_fails(void **state) {
  (void)state;
  SetLastError(0);
  assert_null(HeapReAlloc(GetProcessHeap(), 0, NULL, 16));
#ifndef _WIN32
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
#endif
}

static void heap_free_of_null_block_returns_true(void **state) {
  (void)state;
  HANDLE h = HeapCreate(0, 0, 0);
  assert_true(HeapFree(h, 0, NULL));
  assert_true(HeapFree(GetProcessHeap(), 0, NULL));
  assert_true(HeapDestroy(h));
}

static void heap_destroy_frees_blocks_still_allocated(void **state) {
  (void)state;
  HANDLE h = HeapCreate(0, 4096, 0);
  assert_non_null(h);
  void *kept = NULL;
  for (int i = 0; i < 200; i++) {
    void *p = HeapAlloc(h, 0, (SIZE_T)(16 + i * 37));
    assert_non_null(p);
    if (i % 3 == 0)
      assert_true(HeapFree(h, 0, p));
    else
      kept = p;
  }
  kept = HeapReAlloc(h, 0, kept, 50000); /* a moved block is tracked too */
  assert_non_null(kept);
  assert_true(HeapDestroy(h)); /* the sanitizers see any block left behind */
}

static void
heap_create_with_maximum_size_refuses_allocations_beyond_it(void **state) {
  (void)state;
  HANDLE h = HeapCreate(0, 0, 64 * 1024);
  assert_non_null(h);
  SetLastError(0);
  assert_null(HeapAlloc(h, 0, 128 * 1024));
#ifndef _WIN32
  assert_int_equal(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
#endif
  void *p[8] = {0};
  int n = 0;
  while (n < 8 && (p[n] = HeapAlloc(h, 0, 16 * 1024)) != NULL)
    n++;
  assert_true(n >= 1);
  assert_true(n <= 4); /* 64 KB hold at most four 16 KB blocks */
  assert_true(HeapFree(h, 0, p[0]));
  p[0] = HeapAlloc(h, 0, 16 * 1024); /* freed room can be used again */
  assert_non_null(p[0]);
  assert_true(HeapDestroy(h));
}

static void heap_realloc_beyond_fixed_heap_maximum_fails(void **state) {
  (void)state;
  HANDLE h = HeapCreate(0, 0, 64 * 1024);
  char *p = HeapAlloc(h, 0, 1024);
  assert_non_null(p);
  memset(p, 'z', 1024);
  SetLastError(0);
  assert_null(HeapReAlloc(h, 0, p, 256 * 1024));
#ifndef _WIN32
  assert_int_equal(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
#endif
  assert_int_equal(HeapSize(h, 0, p), 1024);
  assert_true(all_bytes_are(p, 'z', 1024));
  assert_true(HeapDestroy(h));
}

static void heap_alloc_of_impossible_size_fails(void **state) {
  (void)state;
  HANDLE h = HeapCreate(0, 0, 0);
  SetLastError(0);
  assert_null(HeapAlloc(h, 0, HUGE_SIZE));
#ifndef _WIN32
  assert_int_equal(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
#endif
  assert_null(HeapAlloc(GetProcessHeap(), 0, HUGE_SIZE));
  void *p = HeapAlloc(h, 0, 8);
  SetLastError(0);
  assert_null(HeapReAlloc(h, 0, p, HUGE_SIZE));
#ifndef _WIN32
  assert_int_equal(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
#endif
  assert_true(HeapDestroy(h));
}

static void
heap_create_fails_with_invalid_parameter_when_initial_exceeds_maximum(
    void **state) {
  (void)state;
#ifndef _WIN32 /* Windows' documentation only says it must be smaller */
  SetLastError(0);
  assert_null(HeapCreate(0, 128 * 1024, 64 * 1024));
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
#endif
  HANDLE h = HeapCreate(0, 64 * 1024, 64 * 1024);
  assert_non_null(h);
  assert_true(HeapDestroy(h));
}

static void heap_accepts_no_serialize(void **state) {
  (void)state;
  HANDLE h = HeapCreate(HEAP_NO_SERIALIZE, 0, 0);
  assert_non_null(h);
  void *p = HeapAlloc(h, HEAP_NO_SERIALIZE, 32);
  assert_non_null(p);
  p = HeapReAlloc(h, HEAP_NO_SERIALIZE, p, 64);
  assert_non_null(p);
  assert_int_equal(HeapSize(h, HEAP_NO_SERIALIZE, p), 64);
  assert_true(HeapFree(h, HEAP_NO_SERIALIZE, p));
  assert_true(HeapDestroy(h));
}

static void
heap_destroy_of_process_heap_fails_with_invalid_handle(void **state) {
  (void)state;
  SetLastError(0);
  assert_false(HeapDestroy(GetProcessHeap()));
  assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
  void *p = HeapAlloc(GetProcessHeap(), 0, 8); /* still usable */
  assert_non_null(p);
  assert_true(HeapFree(GetProcessHeap(), 0, p));
}

#ifndef _WIN32
/* Hides where a pointer came from, so the compiler's use-after-free and
 * allocator pairing checks stay out of tests that make frees fail. */
static void *opaque(void *p) {
  void *volatile v = p;
  return v;
}

/* Windows raises STATUS_NO_MEMORY here; without SEH libwpu returns NULL. */
static void
heap_generate_exceptions_returns_null_with_not_enough_memory(void **state) {
  (void)state;
  HANDLE h = HeapCreate(HEAP_GENERATE_EXCEPTIONS, 0, 0);
  assert_non_null(h);
  SetLastError(0);
  assert_null(HeapAlloc(h, 0, HUGE_SIZE));
  assert_int_equal(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
  SetLastError(0);
  assert_null(HeapAlloc(GetProcessHeap(), HEAP_GENERATE_EXCEPTIONS, HUGE_SIZE));
  assert_int_equal(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
  void *p = HeapAlloc(h, 0, 16);
  SetLastError(0);
  assert_null(HeapReAlloc(h, HEAP_GENERATE_EXCEPTIONS, p, HUGE_SIZE));
  assert_int_equal(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
  assert_true(HeapDestroy(h));
}

/* Windows does not promise this: Wine creates such a heap. */
static void
heap_create_fails_with_not_enough_memory_for_impossible_sizes(void **state) {
  (void)state;
  SetLastError(0);
  assert_null(HeapCreate(0, HUGE_SIZE, 0));
  assert_int_equal(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
  SetLastError(0);
  assert_null(HeapCreate(0, 0, HUGE_SIZE));
  assert_int_equal(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
}

/* Windows does not check heap handles; libwpu does. */
static void
heap_alloc_on_destroyed_heap_fails_with_invalid_handle(void **state) {
  (void)state;
  HANDLE h = HeapCreate(0, 0, 0);
  void *p = HeapAlloc(h, 0, 16);
  assert_non_null(p);
  assert_true(HeapDestroy(h));
  SetLastError(0);
  assert_null(HeapAlloc(h, 0, 16));
  assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
  SetLastError(0);
  assert_false(HeapDestroy(h));
  assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
}

static void heap_functions_reject_unknown_heap_handles(void **state) {
  (void)state;
  HANDLE bogus[] = {NULL, (HANDLE)(uintptr_t)0x1234, (HANDLE)&bogus};
  void *p = HeapAlloc(GetProcessHeap(), 0, 16);
  for (size_t i = 0; i < sizeof bogus / sizeof bogus[0]; i++) {
    SetLastError(0);
    assert_null(HeapAlloc(bogus[i], 0, 16));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(0);
    assert_null(HeapReAlloc(bogus[i], 0, p, 32));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(0);
    assert_false(HeapFree(bogus[i], 0, opaque(p)));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(0);
    assert_int_equal(HeapSize(bogus[i], 0, p), (SIZE_T)-1);
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(0);
    assert_false(HeapDestroy(bogus[i]));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
  }
  assert_true(HeapFree(GetProcessHeap(), 0, p));
}

static void heap_functions_reject_blocks_of_another_heap(void **state) {
  (void)state;
  HANDLE a = HeapCreate(0, 0, 0);
  HANDLE b = HeapCreate(0, 0, 0);
  void *pb = HeapAlloc(b, 0, 40);
  SetLastError(0);
  assert_false(HeapFree(a, 0, opaque(pb)));
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_int_equal(HeapSize(a, 0, pb), (SIZE_T)-1);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_null(HeapReAlloc(a, 0, pb, 80));
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_false(HeapFree(GetProcessHeap(), 0, opaque(pb)));
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_int_equal(HeapSize(b, 0, NULL), (SIZE_T)-1);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  assert_int_equal(HeapSize(b, 0, pb), 40); /* untouched */
  assert_true(HeapDestroy(a));
  assert_true(HeapDestroy(b));
}
#endif

typedef struct {
  HANDLE heap;
  int rounds;
  int leave_some; /* leave every other slot for HeapDestroy */
} churn_arg;

static void churn(void *arg) {
  churn_arg *c = arg;
  void *live[16] = {0};
  for (int i = 0; i < c->rounds; i++) {
    int slot = i % 16;
    if (live[slot] != NULL && i % 5 == 0) {
      live[slot] = HeapReAlloc(c->heap, 0, live[slot], (SIZE_T)(i % 300));
    } else if (live[slot] != NULL) {
      HeapFree(c->heap, 0, live[slot]);
      live[slot] = HeapAlloc(c->heap, HEAP_ZERO_MEMORY, (SIZE_T)(i % 200));
    } else {
      live[slot] = HeapAlloc(c->heap, 0, (SIZE_T)(i % 200));
    }
  }
  for (int i = 0; i < 16; i += c->leave_some ? 2 : 1)
    HeapFree(c->heap, 0, live[i]);
}

static void heap_is_safe_to_share_between_threads(void **state) {
  (void)state;
  HANDLE h = HeapCreate(0, 0, 0);
  churn_arg mine = {h, 20000, 1};
  churn_arg process = {GetProcessHeap(), 20000, 0};
  wpu_plat_thread *t[6];
  for (int i = 0; i < 6; i++)
    assert_int_equal(
        wpu_plat_thread_create(&t[i], churn, i < 4 ? &mine : &process), 0);
  for (int i = 0; i < 6; i++)
    assert_int_equal(wpu_plat_thread_join(t[i]), 0);
  assert_true(HeapDestroy(h));
}

static void local_alloc_lptr_returns_zeroed_fixed_memory(void **state) {
  (void)state;
  unsigned char *p = LocalAlloc(LPTR, 500);
  assert_non_null(p);
  assert_true(all_bytes_are(p, 0, 500));
  memset(p, 1, 500);
  unsigned char *q = LocalAlloc(LMEM_FIXED, 16);
  assert_non_null(q);
  q[15] = 1;
  assert_null(LocalFree(p));
  assert_null(LocalFree(q));
  assert_null(LocalFree(NULL));
}

static void global_alloc_gptr_returns_zeroed_fixed_memory(void **state) {
  (void)state;
  unsigned char *p = GlobalAlloc(GPTR, 500);
  assert_non_null(p);
  assert_true(all_bytes_are(p, 0, 500));
  unsigned char *q = GlobalAlloc(GMEM_FIXED, 0);
  assert_non_null(q);
  assert_null(GlobalFree(p));
  assert_null(GlobalFree(q));
  assert_null(GlobalFree(NULL));
}

static void local_and_global_alloc_fail_with_not_enough_memory(void **state) {
  (void)state;
  SetLastError(0);
  assert_null(LocalAlloc(LMEM_FIXED, HUGE_SIZE));
  assert_int_equal(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
  SetLastError(0);
  assert_null(GlobalAlloc(GPTR, HUGE_SIZE));
  assert_int_equal(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
}

#ifndef _WIN32
/* Windows supports movable memory; libwpu does not. */
static void
local_and_global_alloc_of_movable_memory_fail_with_invalid_parameter(
    void **state) {
  (void)state;
  SetLastError(0);
  assert_null(LocalAlloc(LMEM_MOVEABLE, 16));
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_null(LocalAlloc(LHND, 16));
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_null(GlobalAlloc(GMEM_MOVEABLE, 16));
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_null(GlobalAlloc(GHND, 16));
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
}

static void
local_and_global_free_of_foreign_memory_fail_with_invalid_handle(void **state) {
  (void)state;
  HANDLE h = HeapCreate(0, 0, 0);
  void *p = HeapAlloc(h, 0, 16);
  SetLastError(0);
  assert_ptr_equal(LocalFree(opaque(p)), p);
  assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
  SetLastError(0);
  assert_ptr_equal(GlobalFree(opaque(p)), p);
  assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
  assert_true(HeapDestroy(h));
}
#endif

static void get_system_info_reports_x64_memory_layout(void **state) {
  (void)state;
  SYSTEM_INFO si;
  memset(&si, 0xcc, sizeof si);
  GetSystemInfo(&si);
  assert_int_equal(si.wProcessorArchitecture, PROCESSOR_ARCHITECTURE_AMD64);
  assert_int_equal(si.dwPageSize, 4096);
  assert_int_equal(si.dwAllocationGranularity, 65536);
  assert_int_equal(si.dwProcessorType, PROCESSOR_AMD_X8664);
  assert_ptr_equal(si.lpMinimumApplicationAddress, (void *)(uintptr_t)0x10000);
  assert_true((uintptr_t)si.lpMaximumApplicationAddress >= 0x7FFFFFFEFFFFull);
  assert_true((uintptr_t)si.lpMaximumApplicationAddress < 0x800000000000ull);
#ifndef _WIN32
  assert_int_equal((uintptr_t)si.lpMaximumApplicationAddress,
                   0x7FFFFFFEFFFFull);
#endif
}

static void get_system_info_counts_the_available_processors(void **state) {
  (void)state;
  SYSTEM_INFO si;
  GetSystemInfo(&si);
  unsigned n = wpu_plat_cpu_count();
  if (n > 64)
    n = 64;
  assert_true(si.dwNumberOfProcessors >= 1);
  assert_int_equal(si.dwNumberOfProcessors, n);
  DWORD_PTR want = n == 64 ? ~(DWORD_PTR)0 : (((DWORD_PTR)1 << n) - 1);
  assert_int_equal(si.dwActiveProcessorMask, want);
}

static void get_native_system_info_matches_get_system_info(void **state) {
  (void)state;
  SYSTEM_INFO a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  GetSystemInfo(&a);
  GetNativeSystemInfo(&b);
  assert_int_equal(b.wProcessorArchitecture, a.wProcessorArchitecture);
  assert_int_equal(b.dwPageSize, a.dwPageSize);
  assert_int_equal(b.dwAllocationGranularity, a.dwAllocationGranularity);
  assert_int_equal(b.dwNumberOfProcessors, a.dwNumberOfProcessors);
  assert_int_equal(b.dwActiveProcessorMask, a.dwActiveProcessorMask);
  assert_ptr_equal(b.lpMaximumApplicationAddress,
                   a.lpMaximumApplicationAddress);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(get_process_heap_returns_one_usable_heap),
      cmocka_unit_test(heap_alloc_zero_memory_returns_zeroed_block),
      cmocka_unit_test(heap_alloc_returns_16_byte_aligned_blocks),
      cmocka_unit_test(heap_size_returns_the_requested_size),
      cmocka_unit_test(heap_alloc_of_zero_bytes_returns_distinct_blocks),
      cmocka_unit_test(heap_realloc_keeps_contents_and_zeroes_the_growth),
      cmocka_unit_test(heap_realloc_in_place_only_shrinks_in_place),
      cmocka_unit_test(heap_realloc_in_place_only_fails_when_block_cannot_grow),
      cmocka_unit_test(heap_realloc_of_null_block_fails),
      cmocka_unit_test(heap_free_of_null_block_returns_true),
      cmocka_unit_test(heap_destroy_frees_blocks_still_allocated),
      cmocka_unit_test(
          heap_create_with_maximum_size_refuses_allocations_beyond_it),
      cmocka_unit_test(heap_realloc_beyond_fixed_heap_maximum_fails),
      cmocka_unit_test(heap_alloc_of_impossible_size_fails),
      cmocka_unit_test(
          heap_create_fails_with_invalid_parameter_when_initial_exceeds_maximum),
      cmocka_unit_test(heap_accepts_no_serialize),
      cmocka_unit_test(heap_destroy_of_process_heap_fails_with_invalid_handle),
#ifndef _WIN32
      cmocka_unit_test(
          heap_create_fails_with_not_enough_memory_for_impossible_sizes),
      cmocka_unit_test(
          heap_generate_exceptions_returns_null_with_not_enough_memory),
      cmocka_unit_test(heap_alloc_on_destroyed_heap_fails_with_invalid_handle),
      cmocka_unit_test(heap_functions_reject_unknown_heap_handles),
      cmocka_unit_test(heap_functions_reject_blocks_of_another_heap),
#endif
      cmocka_unit_test(heap_is_safe_to_share_between_threads),
      cmocka_unit_test(local_alloc_lptr_returns_zeroed_fixed_memory),
      cmocka_unit_test(global_alloc_gptr_returns_zeroed_fixed_memory),
      cmocka_unit_test(local_and_global_alloc_fail_with_not_enough_memory),
#ifndef _WIN32
      cmocka_unit_test(
          local_and_global_alloc_of_movable_memory_fail_with_invalid_parameter),
      cmocka_unit_test(
          local_and_global_free_of_foreign_memory_fail_with_invalid_handle),
#endif
      cmocka_unit_test(get_system_info_reports_x64_memory_layout),
      cmocka_unit_test(get_system_info_counts_the_available_processors),
      cmocka_unit_test(get_native_system_info_matches_get_system_info),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
