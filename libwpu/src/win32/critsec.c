/* critsec.c: kernel32 critical sections within Windows' CRITICAL_SECTION
 * layout (Linux; Windows has its own).
 *
 * The section keeps Windows' fields: OwningThread is the owner's thread id,
 * RecursionCount counts nested entries, LockCount is -1 when free and -2
 * while owned. SpinCount is used as Windows does on a multiprocessor: a
 * thread that finds the section owned tries that many times again (with the
 * processor's pause in between) before it blocks; on one processor it blocks
 * at once. LockSemaphore holds the platform mutex that blocks waiters
 * (allocated at initialisation). Leaving a section
 * the calling thread does not own does nothing (Windows' behaviour there is
 * undefined). */
#include <winsock2.h>

#include <platform.h>

#include "win32.h"

#define OWNER_LOAD(cs) __atomic_load_n(&(cs)->OwningThread, __ATOMIC_RELAXED)
#define OWNER_STORE(cs, v)                                                     \
  __atomic_store_n(&(cs)->OwningThread, (v), __ATOMIC_RELAXED)

static HANDLE self_tid(void) {
  return (HANDLE)(ULONG_PTR)GetCurrentThreadId();
}

BOOL WINAPI InitializeCriticalSectionAndSpinCount(CRITICAL_SECTION *cs,
                                                  DWORD spin) {
  wpu_plat_mutex *m = wpu_plat_mutex_new();
  cs->DebugInfo = NULL;
  cs->LockCount = -1;
  cs->RecursionCount = 0;
  OWNER_STORE(cs, NULL);
  cs->LockSemaphore = (HANDLE)m;
  __atomic_store_n(&cs->SpinCount, (ULONG_PTR)spin, __ATOMIC_RELAXED);
  if (m == NULL) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return FALSE;
  }
  return TRUE;
}

void WINAPI InitializeCriticalSection(CRITICAL_SECTION *cs) {
  InitializeCriticalSectionAndSpinCount(cs, 0);
}

BOOL WINAPI InitializeCriticalSectionEx(CRITICAL_SECTION *cs, DWORD spin,
                                        DWORD flags) {
  (void)flags;
  return InitializeCriticalSectionAndSpinCount(cs, spin);
}

void WINAPI DeleteCriticalSection(CRITICAL_SECTION *cs) {
  wpu_plat_mutex_free((wpu_plat_mutex *)cs->LockSemaphore);
  cs->LockSemaphore = NULL;
  cs->LockCount = -1;
  cs->RecursionCount = 0;
  OWNER_STORE(cs, NULL);
}

static void owned(CRITICAL_SECTION *cs, HANDLE me) {
  OWNER_STORE(cs, me);
  cs->RecursionCount = 1;
  cs->LockCount = -2;
}

void WINAPI EnterCriticalSection(CRITICAL_SECTION *cs) {
  HANDLE me = self_tid();
  if (OWNER_LOAD(cs) == me) {
    cs->RecursionCount++;
    return;
  }
  wpu_plat_mutex *m = (wpu_plat_mutex *)cs->LockSemaphore;
  static int multi = -1; /* more than one processor */
  if (__atomic_load_n(&multi, __ATOMIC_RELAXED) < 0)
    __atomic_store_n(&multi, wpu_plat_cpu_count() > 1, __ATOMIC_RELAXED);
  ULONG_PTR spin = __atomic_load_n(&multi, __ATOMIC_RELAXED)
                       ? __atomic_load_n(&cs->SpinCount, __ATOMIC_RELAXED)
                       : 0;
  spin &= 0xffffff; /* the high bits may carry flags on Windows */
  for (ULONG_PTR i = spin; i > 0; i--) {
    /* Tried only once the owner left (no contended stores meanwhile). */
    if (OWNER_LOAD(cs) == NULL && wpu_plat_mutex_trylock(m) == 0) {
      owned(cs, me);
      return;
    }
    wpu_plat_spin_pause();
  }
  wpu_plat_mutex_lock(m);
  owned(cs, me);
}

BOOL WINAPI TryEnterCriticalSection(CRITICAL_SECTION *cs) {
  HANDLE me = self_tid();
  if (OWNER_LOAD(cs) == me) {
    cs->RecursionCount++;
    return TRUE;
  }
  if (wpu_plat_mutex_trylock((wpu_plat_mutex *)cs->LockSemaphore) != 0)
    return FALSE;
  owned(cs, me);
  return TRUE;
}

void WINAPI LeaveCriticalSection(CRITICAL_SECTION *cs) {
  if (OWNER_LOAD(cs) != self_tid() || cs->RecursionCount <= 0)
    return;
  if (--cs->RecursionCount > 0)
    return;
  OWNER_STORE(cs, NULL);
  cs->LockCount = -1;
  wpu_plat_mutex_unlock((wpu_plat_mutex *)cs->LockSemaphore);
}

DWORD WINAPI SetCriticalSectionSpinCount(CRITICAL_SECTION *cs, DWORD spin) {
  return (DWORD)__atomic_exchange_n(&cs->SpinCount, (ULONG_PTR)spin,
                                    __ATOMIC_RELAXED);
}
