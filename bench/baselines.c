/* baselines.c: the mutex + hash map socket table, kernel dup+close, the
 * mutex + condvar queue, and the benchmark line printer. */
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <stdio.h>
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

struct cv_queue {
  wpu_plat_mutex *mu;
  wpu_plat_cond *cv;
  void **ring;
  size_t cap, head, count;
};

cv_queue *cv_queue_new(size_t capacity) {
  cv_queue *q = calloc(1, sizeof *q);
  q->mu = wpu_plat_mutex_new();
  q->cv = wpu_plat_cond_new();
  q->ring = malloc(capacity * sizeof *q->ring);
  q->cap = capacity;
  return q;
}

void cv_queue_free(cv_queue *q) {
  wpu_plat_mutex_free(q->mu);
  wpu_plat_cond_free(q->cv);
  free(q->ring);
  free(q);
}

void cv_queue_push(cv_queue *q, void *item) {
  wpu_plat_mutex_lock(q->mu);
  q->ring[(q->head + q->count) % q->cap] = item; /* sized by the caller */
  q->count++;
  wpu_plat_cond_signal(q->cv);
  wpu_plat_mutex_unlock(q->mu);
}

size_t cv_queue_pop(cv_queue *q, void **out, size_t max) {
  wpu_plat_mutex_lock(q->mu);
  while (q->count == 0)
    wpu_plat_cond_wait(q->cv, q->mu);
  size_t n = 0;
  while (n < max && q->count > 0) {
    out[n++] = q->ring[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
  }
  wpu_plat_mutex_unlock(q->mu);
  return n;
}

typedef struct {
  int fd;
  size_t total;
  size_t chunk;
} sp_args;

static void sp_reader(void *arg) {
  sp_args *a = arg;
  char *buf = malloc(a->chunk);
  size_t got = 0;
  while (got < a->total) {
    ssize_t n = read(a->fd, buf, a->chunk);
    if (n <= 0)
      break;
    got += (size_t)n;
  }
  free(buf);
}

double socketpair_stream_bps(size_t total, size_t chunk) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
    return 0;
  sp_args a = {fds[1], total, chunk};
  char *buf = calloc(1, chunk);
  uint64_t t0 = wpu_plat_hrtime();
  wpu_plat_thread *t;
  wpu_plat_thread_create(&t, sp_reader, &a);
  size_t sent = 0;
  while (sent < total) {
    ssize_t n = write(fds[0], buf, chunk);
    if (n <= 0)
      break;
    sent += (size_t)n;
  }
  wpu_plat_thread_join(t);
  double secs = (double)(wpu_plat_hrtime() - t0) / 1e9;
  close(fds[0]);
  close(fds[1]);
  free(buf);
  return (double)total / secs;
}

double socketpair_cycle_ns(void) {
  char buf[1024];
  memset(buf, 7, sizeof buf);
  uint64_t t0 = wpu_plat_hrtime();
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
    return 0;
  if (write(fds[0], buf, sizeof buf) != sizeof buf ||
      read(fds[1], buf, sizeof buf) != sizeof buf ||
      write(fds[1], buf, sizeof buf) != sizeof buf ||
      read(fds[0], buf, sizeof buf) != sizeof buf)
    return 0;
  close(fds[0]);
  close(fds[1]);
  return (double)(wpu_plat_hrtime() - t0);
}

void bench_print(const char *metric, double value, const char *unit,
                 const char *baseline, double baseline_value,
                 int lower_is_better) {
  double ratio =
      lower_is_better ? baseline_value / value : value / baseline_value;
  printf("bench: %s value=%.3f unit=%s baseline=%s baseline_value=%.3f "
         "ratio=%.2f\n",
         metric, value, unit, baseline, baseline_value, ratio);
  fflush(stdout);
}
