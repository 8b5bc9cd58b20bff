/* platform.h: the neutral OS layer under libwpu (threads, mutexes, time).
 *
 * The only interface to libuv. It uses no Windows types and no libuv types, so
 * code above it never sees <uv.h> and Wine's headers never meet glibc's socket
 * headers. Every function is thread-safe. Errors are returned as negative
 * numbers (libuv's error codes), 0 means success.
 */
#ifndef WPU_PLATFORM_H
#define WPU_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wpu_plat_thread wpu_plat_thread;
typedef struct wpu_plat_mutex wpu_plat_mutex;

/* Starts fn(arg) on a new OS thread. */
int wpu_plat_thread_create(wpu_plat_thread **out, void (*fn)(void *),
                           void *arg);
/* Waits for the thread to finish and releases it. */
int wpu_plat_thread_join(wpu_plat_thread *t);

wpu_plat_mutex *wpu_plat_mutex_new(void);
void wpu_plat_mutex_free(wpu_plat_mutex *m);
void wpu_plat_mutex_lock(wpu_plat_mutex *m);
void wpu_plat_mutex_unlock(wpu_plat_mutex *m);
/* Returns 0 when the mutex was taken, non-zero when it is held elsewhere. */
int wpu_plat_mutex_trylock(wpu_plat_mutex *m);

/* The process id. */
unsigned long wpu_plat_getpid(void);

/* Monotonic time in nanoseconds. */
uint64_t wpu_plat_hrtime(void);
/* Number of logical processors available to the process (at least 1). */
unsigned wpu_plat_cpu_count(void);

#ifdef __cplusplus
}
#endif

#endif /* WPU_PLATFORM_H */
