/* slist.c: kernel32's interlocked singly linked lists (InitializeSListHead,
 * InterlockedPushEntrySList, InterlockedPopEntrySList,
 * InterlockedFlushSList, QueryDepthSList) on Linux.
 *
 * Wine's headers declare them only. The header keeps Windows' 16-byte size
 * and alignment; its first word holds the first entry and its second the
 * depth. Each operation holds one of 64 spin locks chosen by the header's
 * address for a few instructions (not lock-free as on Windows, but atomic
 * for all callers, and the entries are the caller's memory as documented). */
#include <stdatomic.h>
#include <stdint.h>

#include <winsock2.h>

#include <platform.h>

static atomic_flag locks[64] = {ATOMIC_FLAG_INIT};

static atomic_flag *lock_of(PSLIST_HEADER h) {
  return &locks[((uintptr_t)h >> 4) & 63];
}

static void lock(atomic_flag *f) {
  while (atomic_flag_test_and_set_explicit(f, memory_order_acquire))
    wpu_plat_yield();
}

static void unlock(atomic_flag *f) {
  atomic_flag_clear_explicit(f, memory_order_release);
}

void WINAPI InitializeSListHead(PSLIST_HEADER ListHead) {
  ListHead->Alignment = 0;
  ListHead->Region = 0;
}

PSLIST_ENTRY WINAPI InterlockedPushEntrySList(PSLIST_HEADER ListHead,
                                              PSLIST_ENTRY ListEntry) {
  atomic_flag *f = lock_of(ListHead);
  lock(f);
  PSLIST_ENTRY first = (PSLIST_ENTRY)(uintptr_t)ListHead->Alignment;
  ListEntry->Next = first;
  ListHead->Alignment = (ULONGLONG)(uintptr_t)ListEntry;
  ListHead->Region++;
  unlock(f);
  return first;
}

PSLIST_ENTRY WINAPI InterlockedPopEntrySList(PSLIST_HEADER ListHead) {
  atomic_flag *f = lock_of(ListHead);
  lock(f);
  PSLIST_ENTRY first = (PSLIST_ENTRY)(uintptr_t)ListHead->Alignment;
  if (first != NULL) {
    ListHead->Alignment = (ULONGLONG)(uintptr_t)first->Next;
    ListHead->Region--;
  }
  unlock(f);
  return first;
}

PSLIST_ENTRY WINAPI InterlockedFlushSList(PSLIST_HEADER ListHead) {
  atomic_flag *f = lock_of(ListHead);
  lock(f);
  PSLIST_ENTRY first = (PSLIST_ENTRY)(uintptr_t)ListHead->Alignment;
  ListHead->Alignment = 0;
  ListHead->Region = 0;
  unlock(f);
  return first;
}

USHORT WINAPI QueryDepthSList(PSLIST_HEADER ListHead) {
  atomic_flag *f = lock_of(ListHead);
  lock(f);
  USHORT depth = (USHORT)ListHead->Region;
  unlock(f);
  return depth;
}
