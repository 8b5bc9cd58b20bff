/* baselines.c: the mutex + hash map socket table and kernel dup+close. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <platform.h>

#include "baselines.h"

#define EMPTY 0

struct mutex_map {
  wpu_plat_mutex *mu;
  uint64_t *keys;
  uintptr_t *vals;
  size_t mask;
  uint64_t next;
};

mutex_map *mutex_map_new(size_t capacity) {
  size_t cap = 16;
  while (cap < capacity * 2)
    cap <<= 1;
  mutex_map *m = calloc(1, sizeof *m);
  m->mu = wpu_plat_mutex_new();
  m->keys = calloc(cap, sizeof *m->keys);
  m->vals = calloc(cap, sizeof *m->vals);
  m->mask = cap - 1;
  m->next = 1;
  return m;
}

void mutex_map_free(mutex_map *m) {
  wpu_plat_mutex_free(m->mu);
  free(m->keys);
  free(m->vals);
  free(m);
}

static size_t hash(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return (size_t)h;
}

uint64_t mutex_map_create(mutex_map *m, uintptr_t ctx) {
  wpu_plat_mutex_lock(m->mu);
  uint64_t h = (m->next++) * 4;
  size_t i = hash(h) & m->mask;
  while (m->keys[i] != EMPTY)
    i = (i + 1) & m->mask;
  m->keys[i] = h;
  m->vals[i] = ctx;
  wpu_plat_mutex_unlock(m->mu);
  return h;
}

static size_t find(mutex_map *m, uint64_t h) {
  size_t i = hash(h) & m->mask;
  while (m->keys[i] != EMPTY) {
    if (m->keys[i] == h)
      return i;
    i = (i + 1) & m->mask;
  }
  return (size_t)-1;
}

int mutex_map_query(mutex_map *m, uint64_t h, uintptr_t *ctx) {
  wpu_plat_mutex_lock(m->mu);
  size_t i = find(m, h);
  if (i != (size_t)-1)
    *ctx = m->vals[i];
  wpu_plat_mutex_unlock(m->mu);
  return i == (size_t)-1 ? -1 : 0;
}

int mutex_map_close(mutex_map *m, uint64_t h) {
  wpu_plat_mutex_lock(m->mu);
  size_t i = find(m, h);
  int rc = i == (size_t)-1 ? -1 : 0;
  if (rc == 0) {
    /* Backward-shift deletion keeps probe sequences short without
     * tombstones. */
    for (size_t j = i;;) {
      j = (j + 1) & m->mask;
      if (m->keys[j] == EMPTY)
        break;
      size_t k = hash(m->keys[j]) & m->mask;
      int movable = j > i ? (k <= i || k > j) : (k <= i && k > j);
      if (movable) {
        m->keys[i] = m->keys[j];
        m->vals[i] = m->vals[j];
        i = j;
      }
    }
    m->keys[i] = EMPTY;
  }
  wpu_plat_mutex_unlock(m->mu);
  return rc;
}

double kernel_dup_close_ns(size_t n) {
  int fd = open("/dev/null", O_RDONLY);
  uint64_t t0 = wpu_plat_hrtime();
  for (size_t i = 0; i < n; i++) {
    int d = dup(fd);
    close(d);
  }
  uint64_t t1 = wpu_plat_hrtime();
  close(fd);
  return (double)(t1 - t0) / (double)n;
}
