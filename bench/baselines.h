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

#endif
