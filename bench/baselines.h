/* baselines.h: what libwpu's figures are measured against, in the same run.
 * Plain C, no Windows types (baselines.c may include POSIX headers). */
#ifndef WPU_BENCH_BASELINES_H
#define WPU_BENCH_BASELINES_H

#include <stddef.h>
#include <stdint.h>

/* A straightforward socket table: one mutex around an open-addressing hash
 * map from handle value to context, handles from a counter. */
typedef struct mutex_map mutex_map;
mutex_map *mutex_map_new(size_t capacity);
void mutex_map_free(mutex_map *m);
uint64_t mutex_map_create(mutex_map *m, uintptr_t ctx);
int mutex_map_query(mutex_map *m, uint64_t h, uintptr_t *ctx);
int mutex_map_close(mutex_map *m, uint64_t h);

/* Kernel file descriptors: dup() of an open descriptor, then close(). Returns
 * nanoseconds per dup+close pair over n pairs. */
double kernel_dup_close_ns(size_t n);

/* A bare mutex + condition-variable queue of pointers between threads: what
 * a completion port is measured against. push never blocks; pop takes up to
 * max items, waiting while the queue is empty. */
typedef struct cv_queue cv_queue;
cv_queue *cv_queue_new(size_t capacity);
void cv_queue_free(cv_queue *q);
void cv_queue_push(cv_queue *q, void *item);
size_t cv_queue_pop(cv_queue *q, void **out, size_t max);

/* A Unix-domain stream socket pair: one thread writes total bytes in
 * chunk-sized writes, another reads them. Returns bytes per second. */
double socketpair_stream_bps(size_t total, size_t chunk);

/* One socketpair + 1 KiB echo + close cycle; returns nanoseconds. */
double socketpair_cycle_ns(void);

/* Prints one benchmark line (see bench_handles.c for the format). */
void bench_print(const char *metric, double value, const char *unit,
                 const char *baseline, double baseline_value,
                 int lower_is_better);

#endif
