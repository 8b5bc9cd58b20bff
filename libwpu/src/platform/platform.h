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
typedef struct wpu_plat_cond wpu_plat_cond;
typedef struct wpu_plat_key wpu_plat_key;

/* What wpu_plat_cond_timedwait returns when the time ran out. */
#define WPU_PLAT_ETIMEDOUT (-110)

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

/* Condition variables, used with a wpu_plat_mutex. */
wpu_plat_cond *wpu_plat_cond_new(void);
void wpu_plat_cond_free(wpu_plat_cond *c);
void wpu_plat_cond_signal(wpu_plat_cond *c);
void wpu_plat_cond_broadcast(wpu_plat_cond *c);
void wpu_plat_cond_wait(wpu_plat_cond *c, wpu_plat_mutex *m);
/* Returns 0 when woken (perhaps spuriously), WPU_PLAT_ETIMEDOUT when
 * timeout_ns nanoseconds passed. */
int wpu_plat_cond_timedwait(wpu_plat_cond *c, wpu_plat_mutex *m,
                            uint64_t timeout_ns);

#ifndef _WIN32
/* Ends the calling thread (for threads started by wpu_plat_thread_create);
 * thread-local destructors run. Does not return. Not on Windows. */
_Noreturn void wpu_plat_thread_exit(void);
/* Lets the thread run on without a join; releases t. Not on Windows. */
void wpu_plat_thread_detach(wpu_plat_thread *t);

/* Thread-local keys whose destructor runs with the thread's non-NULL value
 * when a thread ends. */
wpu_plat_key *wpu_plat_key_new(void (*destructor)(void *value));
void *wpu_plat_key_get(wpu_plat_key *k);
void wpu_plat_key_set(wpu_plat_key *k, void *value);

/* Waiting on a 32-bit word (a futex on Linux), for hand-offs cheaper than a
 * mutex and condition variable: the callers read and write the word with
 * atomic builtins (__atomic_*), the waker changes it before it wakes.
 * wpu_plat_word_wait blocks while *word holds expected, at most timeout_ns
 * nanoseconds (UINT64_MAX: no limit), and may return early for no reason:
 * the caller looks at the word again. Returns 0, or WPU_PLAT_ETIMEDOUT.
 * wpu_plat_word_wake wakes every thread waiting on word; it does not touch
 * the word, so the word's memory may already be reused (a thread waiting
 * on that address then wakes early, which it must tolerate). Not on
 * Windows. */
int wpu_plat_word_wait(uint32_t *word, uint32_t expected, uint64_t timeout_ns);
void wpu_plat_word_wake(uint32_t *word);
#endif

/* A hint to the processor that the caller spins (x86's pause). */
void wpu_plat_spin_pause(void);

/* Gives up the processor. */
void wpu_plat_yield(void);

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
