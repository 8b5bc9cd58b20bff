/* wpu/interlocked.h: the Interlocked* functions Windows' headers provide as
 * compiler intrinsics but Wine's headers (for gcc on x86-64) do not define:
 * InterlockedExchange64 and InterlockedCompareExchange16. Included by the
 * prelude on Linux; the rest of the family comes from Wine's winnt.h, and
 * the SList functions from libwpu (slist.c). Full barriers, as on Windows. */
#ifndef WPU_INTERLOCKED_H
#define WPU_INTERLOCKED_H

#if !defined(_WIN32)
#include <winsock2.h>

#ifndef InterlockedExchange64
static inline LONGLONG InterlockedExchange64(LONGLONG volatile *target,
                                             LONGLONG value) {
  return __atomic_exchange_n(target, value, __ATOMIC_SEQ_CST);
}
#endif

#ifndef InterlockedCompareExchange16
static inline SHORT InterlockedCompareExchange16(SHORT volatile *destination,
                                                 SHORT exchange,
                                                 SHORT comparand) {
  __atomic_compare_exchange_n(destination, &comparand, exchange, 0,
                              __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return comparand; /* the initial value either way */
}
#endif
#endif /* !_WIN32 */

#endif /* WPU_INTERLOCKED_H */
