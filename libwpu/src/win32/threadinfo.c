/* threadinfo.c: thread and process ids and thread-local storage slots
 * (kernel32's GetCurrentThreadId, GetCurrentProcessId, Tls*; Linux only).
 *
 * Thread ids are non-zero multiples of 4, unique for the life of the
 * process, given to a thread the first time it asks. TlsAlloc hands out one
 * of WPU_TLS_SLOTS indexes (TLS_OUT_OF_INDEXES when none is left) whose value
 * reads as NULL in every thread until that thread sets it; TlsFree makes the
 * index available again. TlsGetValue clears the last error when it succeeds,
 * as documented. */
#include <stdatomic.h>
#include <stdint.h>

#include <winsock2.h>

#include <platform.h>

#include "kobject.h"
#include "win32.h"

static _Atomic DWORD next_tid;
static _Thread_local DWORD my_tid;

DWORD wpu__thread_id_new(void) {
  return (atomic_fetch_add(&next_tid, 1) + 1) * 4;
}

void wpu__thread_id_adopt(DWORD id) {
  my_tid = id;
}

DWORD WINAPI GetCurrentThreadId(void) {
  if (my_tid == 0)
    my_tid = wpu__thread_id_new();
  return my_tid;
}

DWORD WINAPI GetCurrentProcessId(void) {
  return (DWORD)wpu_plat_getpid();
}

/* Each index has a generation, bumped when it is allocated; a thread's value
 * counts only if it was set under the current generation. */
static _Atomic uint32_t slot_gen[WPU_TLS_SLOTS];
static _Atomic uint8_t slot_used[WPU_TLS_SLOTS];

typedef struct {
  uint32_t gen;
  void *value;
} tls_value;

static _Thread_local tls_value values[WPU_TLS_SLOTS];

DWORD WINAPI TlsAlloc(void) {
  for (DWORD i = 0; i < WPU_TLS_SLOTS; i++) {
    uint8_t expected = 0;
    if (atomic_compare_exchange_strong(&slot_used[i], &expected, 1)) {
      atomic_fetch_add(&slot_gen[i], 1);
      return i;
    }
  }
  SetLastError(ERROR_NO_MORE_ITEMS);
  return TLS_OUT_OF_INDEXES;
}

static int valid(DWORD index) {
  if (index >= WPU_TLS_SLOTS || !atomic_load(&slot_used[index])) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return 0;
  }
  return 1;
}

BOOL WINAPI TlsFree(DWORD index) {
  if (!valid(index))
    return FALSE;
  atomic_store(&slot_used[index], 0);
  return TRUE;
}

LPVOID WINAPI TlsGetValue(DWORD index) {
  if (!valid(index))
    return NULL;
  SetLastError(ERROR_SUCCESS);
  tls_value *v = &values[index];
  return v->gen == atomic_load(&slot_gen[index]) ? v->value : NULL;
}

BOOL WINAPI TlsSetValue(DWORD index, LPVOID value) {
  if (!valid(index))
    return FALSE;
  values[index].gen = atomic_load(&slot_gen[index]);
  values[index].value = value;
  return TRUE;
}
