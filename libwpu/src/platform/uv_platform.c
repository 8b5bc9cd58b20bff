/* uv_platform.c: platform.h implemented over libuv (the only <uv.h> user). */
#include <stdlib.h>
#include <uv.h>

#include "platform.h"

struct wpu_plat_thread {
  uv_thread_t tid;
};

struct wpu_plat_mutex {
  uv_mutex_t mu;
};

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
