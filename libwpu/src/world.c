/* world.c: world lifetime, the current-world pointer and leak reports. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "world_impl.h"

_Atomic(wpu_world *) wpu__current_world;

static void *default_malloc(size_t size, void *user) {
  (void)user;
  return malloc(size);
}

static void default_free(void *ptr, void *user) {
  (void)user;
  free(ptr);
}

static const wpu_allocator default_allocator = {default_malloc, default_free,
                                                NULL};

static void default_report(const char *line, void *user) {
  (void)user;
  fprintf(stderr, "%s\n", line);
}

void wpu__report(wpu_world *w, const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  w->report(line, w->report_user);
}

int wpu_world_create(const wpu_world_options *options, wpu_world **out) {
  static const wpu_world_options defaults;
  if (out == NULL)
    return WSAEFAULT;
  *out = NULL;
  if (options == NULL)
    options = &defaults;
  const wpu_allocator *alloc =
      options->allocator ? options->allocator : &default_allocator;
  wpu_world *w = alloc->malloc(sizeof *w, alloc->user);
  if (w == NULL)
    return WSA_NOT_ENOUGH_MEMORY;
  w->alloc = *alloc;
  w->report = options->report ? options->report : default_report;
  w->report_user = options->report_user;
  wpu_handles_init(&w->handles, options->max_handles, &w->alloc);
  wpu_world *expected = NULL;
  if (!atomic_compare_exchange_strong(&wpu__current_world, &expected, w)) {
    alloc->free(w, alloc->user);
    return WSAEALREADY;
  }
  *out = w;
  return 0;
}

static const char *kind_name(wpu_kind k) {
  switch (k) {
  case WPU_KIND_SOCKET:
    return "socket (WPUCreateSocketHandle)";
  case WPU_KIND_IFS_SOCKET:
    return "socket (IFS)";
  default:
    return "object";
  }
}

static void report_leak(uintptr_t h, const wpu_handle_view *v, void *arg) {
  wpu__report(arg,
              "wpu: leaked handle 0x%08llx: %s, catalog entry %lu, "
              "context 0x%llx",
              (unsigned long long)h, kind_name(v->kind),
              (unsigned long)v->catalog_id, (unsigned long long)v->context);
}

size_t wpu_world_destroy(wpu_world *w) {
  if (w == NULL)
    return 0;
  size_t leaks = wpu_handles_foreach_live(&w->handles, report_leak, w);
  if (leaks != 0)
    wpu__report(w, "wpu: %lu handle(s) still open when the world ended",
                (unsigned long)leaks);
  wpu_world *expected = w;
  atomic_compare_exchange_strong(&wpu__current_world, &expected, NULL);
  wpu_handles_fini(&w->handles);
  w->alloc.free(w, w->alloc.user);
  return leaks;
}

wpu_world *wpu_world_current(void) {
  return wpu__world();
}

size_t wpu_world_handle_count(wpu_world *w) {
  return w == NULL ? 0 : wpu_handles_foreach_live(&w->handles, NULL, NULL);
}
