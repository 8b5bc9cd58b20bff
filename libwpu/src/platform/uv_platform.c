/* uv_platform.c: platform.h implemented over libuv (the only <uv.h> user). */
#include <stdlib.h>
#include <uv.h>
#ifndef _WIN32
#include <pthread.h>
#include <sched.h>
#endif
#ifdef __linux__
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#endif

#include "platform.h"

struct wpu_plat_thread {
  uv_thread_t tid;
};

struct wpu_plat_mutex {
  uv_mutex_t mu;
};

struct wpu_plat_cond {
  uv_cond_t cv;
};

#ifndef _WIN32
/* libuv's keys have no destructor, so keys are pthread keys (libuv's
 * threads are pthreads on every platform this file is built for). */
struct wpu_plat_key {
  pthread_key_t key;
};
#endif

int wpu_plat_thread_create(wpu_plat_thread **out, void (*fn)(void *),
                           void *arg) {
  wpu_plat_thread *t = malloc(sizeof *t);
  if (t == NULL)
    return UV_ENOMEM;
  int rc = uv_thread_create(&t->tid, fn, arg);
  if (rc != 0) {
    free(t);
    return rc;
  }
  *out = t;
  return 0;
}

int wpu_plat_thread_join(wpu_plat_thread *t) {
  int rc = uv_thread_join(&t->tid);
  free(t);
  return rc;
}

wpu_plat_mutex *wpu_plat_mutex_new(void) {
  wpu_plat_mutex *m = malloc(sizeof *m);
  if (m != NULL && uv_mutex_init(&m->mu) != 0) {
    free(m);
    m = NULL;
  }
  return m;
}

void wpu_plat_mutex_free(wpu_plat_mutex *m) {
  if (m != NULL) {
    uv_mutex_destroy(&m->mu);
    free(m);
  }
}

void wpu_plat_mutex_lock(wpu_plat_mutex *m) {
  uv_mutex_lock(&m->mu);
}

void wpu_plat_mutex_unlock(wpu_plat_mutex *m) {
  uv_mutex_unlock(&m->mu);
}

int wpu_plat_mutex_trylock(wpu_plat_mutex *m) {
  return uv_mutex_trylock(&m->mu);
}

unsigned long wpu_plat_getpid(void) {
  return (unsigned long)uv_os_getpid();
}

uint64_t wpu_plat_hrtime(void) {
  return uv_hrtime();
}

unsigned wpu_plat_cpu_count(void) {
  unsigned n = uv_available_parallelism();
  return n == 0 ? 1 : n;
}

wpu_plat_cond *wpu_plat_cond_new(void) {
  wpu_plat_cond *c = malloc(sizeof *c);
  if (c != NULL && uv_cond_init(&c->cv) != 0) {
    free(c);
    c = NULL;
  }
  return c;
}

void wpu_plat_cond_free(wpu_plat_cond *c) {
  if (c != NULL) {
    uv_cond_destroy(&c->cv);
    free(c);
  }
}

void wpu_plat_cond_signal(wpu_plat_cond *c) {
  uv_cond_signal(&c->cv);
}

void wpu_plat_cond_broadcast(wpu_plat_cond *c) {
  uv_cond_broadcast(&c->cv);
}

void wpu_plat_cond_wait(wpu_plat_cond *c, wpu_plat_mutex *m) {
  uv_cond_wait(&c->cv, &m->mu);
}

int wpu_plat_cond_timedwait(wpu_plat_cond *c, wpu_plat_mutex *m,
                            uint64_t timeout_ns) {
  int rc = uv_cond_timedwait(&c->cv, &m->mu, timeout_ns);
  return rc == UV_ETIMEDOUT ? WPU_PLAT_ETIMEDOUT : rc;
}

#ifndef _WIN32
_Noreturn void wpu_plat_thread_exit(void) {
  pthread_exit(NULL);
}

void wpu_plat_thread_detach(wpu_plat_thread *t) {
  pthread_detach(t->tid); /* uv_thread_t is a pthread_t on Unix */
  free(t);
}

wpu_plat_key *wpu_plat_key_new(void (*destructor)(void *value)) {
  wpu_plat_key *k = malloc(sizeof *k);
  if (k != NULL && pthread_key_create(&k->key, destructor) != 0) {
    free(k);
    k = NULL;
  }
  return k;
}

void *wpu_plat_key_get(wpu_plat_key *k) {
  return pthread_getspecific(k->key);
}

void wpu_plat_key_set(wpu_plat_key *k, void *value) {
  pthread_setspecific(k->key, value);
}

#ifdef __linux__
int wpu_plat_word_wait(uint32_t *word, uint32_t expected, uint64_t timeout_ns) {
  struct timespec ts, *tp = NULL;
  if (timeout_ns != UINT64_MAX) {
    ts.tv_sec = (time_t)(timeout_ns / 1000000000u);
    ts.tv_nsec = (long)(timeout_ns % 1000000000u);
    tp = &ts;
  }
  if (syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, tp, NULL, 0) !=
          0 &&
      errno == ETIMEDOUT)
    return WPU_PLAT_ETIMEDOUT;
  return 0; /* woken, the word changed already, or a signal */
}

void wpu_plat_word_wake(uint32_t *word) {
  syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}
#else
/* Elsewhere: a few mutexes and condition variables shared by address. */
#define WORD_STRIPES 16
static struct {
  uv_mutex_t mu;
  uv_cond_t cv;
} word_stripes[WORD_STRIPES];
static uv_once_t word_once = UV_ONCE_INIT;

static void word_init(void) {
  for (int i = 0; i < WORD_STRIPES; i++)
    if (uv_mutex_init(&word_stripes[i].mu) != 0 ||
        uv_cond_init(&word_stripes[i].cv) != 0)
      abort(); /* nothing else can be done at this point */
}

static unsigned word_stripe(const uint32_t *word) {
  return (unsigned)(((uintptr_t)word >> 2) % WORD_STRIPES);
}

int wpu_plat_word_wait(uint32_t *word, uint32_t expected, uint64_t timeout_ns) {
  uv_once(&word_once, word_init);
  unsigned i = word_stripe(word);
  int rc = 0;
  uv_mutex_lock(&word_stripes[i].mu);
  if (__atomic_load_n(word, __ATOMIC_ACQUIRE) == expected) {
    if (timeout_ns == UINT64_MAX)
      uv_cond_wait(&word_stripes[i].cv, &word_stripes[i].mu);
    else
      rc = uv_cond_timedwait(&word_stripes[i].cv, &word_stripes[i].mu,
                             timeout_ns);
  }
  uv_mutex_unlock(&word_stripes[i].mu);
  return rc == UV_ETIMEDOUT ? WPU_PLAT_ETIMEDOUT : 0;
}

void wpu_plat_word_wake(uint32_t *word) {
  uv_once(&word_once, word_init);
  unsigned i = word_stripe(word);
  uv_mutex_lock(&word_stripes[i].mu);
  uv_cond_broadcast(&word_stripes[i].cv);
  uv_mutex_unlock(&word_stripes[i].mu);
}
#endif
#endif

void wpu_plat_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

void wpu_plat_yield(void) {
#ifdef _WIN32
  uv_sleep(0);
#else
  sched_yield();
#endif
}
