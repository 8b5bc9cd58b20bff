/* uv_platform.c: platform.h implemented over libuv (the only <uv.h> user). */
#include <stdlib.h>
#include <uv.h>
#ifndef _WIN32
#include <pthread.h>
#include <sched.h>
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
#endif

void wpu_plat_yield(void) {
#ifdef _WIN32
  uv_sleep(0);
#else
  sched_yield();
#endif
}
