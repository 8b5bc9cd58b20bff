/* wpu/threads.h: the per-thread identity ws2_32 hands to providers.
 *
 * Overlapped SPI calls (WSPSend, WSPRecv, WSPIoctl, ...) receive an
 * LPWSATHREADID naming the application's thread, which a provider later
 * passes to WPUQueueApc to run a completion routine on that thread. ws2_32
 * passes a pointer to per-thread storage that stays valid for the thread's
 * life, and some providers keep the pointer; this is that storage.
 */
#ifndef WPU_THREADS_H
#define WPU_THREADS_H

#include <winsock2.h>
#include <ws2spi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The calling thread's WSATHREADID in the current world. The pointer and the
 * ThreadHandle in it stay valid until the thread ends or the world is
 * destroyed (the handle is libwpu's own: it is not a leak, and providers must
 * not close it). Returns NULL when no world is current or memory ran out.
 * Thread-safe (each thread gets its own). */
LPWSATHREADID wpu_thread_id_current(void);

#ifdef __cplusplus
}
#endif

#endif /* WPU_THREADS_H */
