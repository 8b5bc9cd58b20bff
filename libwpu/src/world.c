/* world.c: world lifetime, the current-world pointer and leak reports. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <platform.h>

#include "hooks_impl.h"
#include "providers_impl.h"
#include "world_impl.h"
#ifndef _WIN32
#include "kobject.h"
#endif

_Atomic(wpu_world *) wpu__current_world;
void (*wpu__providers_free_fn)(struct wpu_world *w);

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

static size_t open_handles(wpu_world *w);

/* The handle table's memory: the world's allocator, unless the hooks make
 * the allocation fail (user is the world). */
static void *table_malloc(size_t size, void *user) {
  wpu_world *w = user;
  if (wpu__hook_alloc("handle table", size) != 0)
    return NULL;
  return w->alloc.malloc(size, w->alloc.user);
}

static void table_free(void *ptr, void *user) {
  wpu_world *w = user;
  w->alloc.free(ptr, w->alloc.user);
}

static void release_slot(wpu_kind kind, void *object, uintptr_t context) {
  (void)context;
  if (kind == WPU_KIND_SOCKET || kind == WPU_KIND_IFS_SOCKET) {
    if (object != NULL)
      wpu__socket_release(object);
    return;
  }
#ifndef _WIN32
  wpu__kobject_slot_release(kind, object);
#endif
}

static void close_one(uintptr_t h, const wpu_handle_view *v, void *arg) {
  (void)v;
  wpu_world *w = arg;
  wpu_handles_close(&w->handles, h, ~0u);
}

typedef struct wpu_attachment {
  struct wpu_attachment *next;
  const void *key;
  void *value;
  void (*destroy)(void *value);
} wpu_attachment;

/* Detaches every attachment (under attach_mu: wpu_world_attachment may be
 * walking the list on another thread) and runs their destructors. */
static void run_attachment_destructors(wpu_world *w) {
  wpu_plat_mutex_lock(w->attach_mu);
  wpu_attachment *a = w->attachments;
  w->attachments = NULL;
  wpu_plat_mutex_unlock(w->attach_mu);
  while (a != NULL) {
    wpu_attachment *next = a->next;
    if (a->destroy != NULL)
      a->destroy(a->value);
    w->alloc.free(a, w->alloc.user);
    a = next;
  }
}

static void destroy_world(wpu_world *w) {
  wpu_world *expected = w;
  atomic_compare_exchange_strong(&wpu__current_world, &expected, NULL);
  /* Objects of handles left open are released now (their leak was already
   * reported); a thread still running keeps its own object alive. */
  wpu_handles_foreach_live(&w->handles, close_one, w);
  wpu_handles_fini(&w->handles);
  wpu_plat_mutex_free(w->attach_mu);
  wpu__catalog_free(w);
  w->alloc.free(w, w->alloc.user);
}

/* Implicit worlds replaced by an explicit one are retired, not freed: a
 * thread that read the current-world pointer just before the replacement
 * may still be using it (kernel32 calls take no reference on the world). */
static wpu_world *_Atomic retired;

static void retire(wpu_world *w) {
  void (*free_providers)(struct wpu_world *) =
      __atomic_load_n(&wpu__providers_free_fn, __ATOMIC_ACQUIRE);
  if (atomic_load(&w->providers) != NULL && free_providers != NULL)
    free_providers(w);
  run_attachment_destructors(w);
  w->retired_next = atomic_load(&retired);
  while (!atomic_compare_exchange_weak(&retired, &w->retired_next, w))
    ;
}

static void free_unpublished(wpu_world *w) {
  wpu_handles_fini(&w->handles);
  wpu_plat_mutex_free(w->attach_mu);
  w->alloc.free(w, w->alloc.user);
}

/* Makes a world and publishes it as the current one. An implicit world
 * that loses the race to another world returns that one (rc 0, *out the
 * winner); an explicit one replaces an implicit world that holds nothing,
 * and otherwise fails with WSAEALREADY. */
static int create_world(const wpu_world_options *options, int implicit,
                        wpu_world **out) {
  static const wpu_world_options defaults;
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
  w->debug_output = options->debug_output;
  w->debug_output_user = options->debug_output_user;
  atomic_init(&w->debug_breaks, 0);
  w->implicit = implicit; /* before publication: others read it */
  w->retired_next = NULL;
  atomic_init(&w->providers, NULL);
  w->attachments = NULL;
  w->catalog = NULL;
  memset(&w->hooks, 0, sizeof w->hooks);
  atomic_init(&w->has_hooks, 0);
  w->table_alloc.malloc = table_malloc;
  w->table_alloc.free = table_free;
  w->table_alloc.user = w;
  w->attach_mu = wpu_plat_mutex_new();
  if (w->attach_mu == NULL) {
    alloc->free(w, alloc->user);
    return WSA_NOT_ENOUGH_MEMORY;
  }
  static _Atomic uint64_t serials;
  w->serial = atomic_fetch_add(&serials, 1) + 1;
  wpu_handles_init(&w->handles, options->max_handles, &w->table_alloc,
                   release_slot);
  wpu_world *expected = NULL;
  while (!atomic_compare_exchange_strong(&wpu__current_world, &expected, w)) {
    /* expected is the current world now (never NULL here). */
    if (implicit) {
      free_unpublished(w);
      *out = expected;
      return 0;
    }
    if (!expected->implicit || open_handles(expected) != 0) {
      free_unpublished(w);
      return WSAEALREADY;
    }
    /* An implicit world with nothing in it gives way to an explicit one. */
    wpu_world *old = expected;
    if (atomic_compare_exchange_strong(&wpu__current_world, &expected, w)) {
      retire(old);
      break;
    }
    /* It changed meanwhile (perhaps to NULL): try again from the top. */
    expected = NULL;
  }
  *out = w;
  return 0;
}

int wpu_world_create(const wpu_world_options *options, wpu_world **out) {
  if (out == NULL)
    return WSAEFAULT;
  *out = NULL;
  return create_world(options, 0, out);
}

static const char *kind_name(wpu_kind k) {
  switch (k) {
  case WPU_KIND_SOCKET:
    return "socket (WPUCreateSocketHandle)";
  case WPU_KIND_IFS_SOCKET:
    return "socket (IFS)";
  case WPU_KIND_EVENT:
    return "event";
  case WPU_KIND_SEMAPHORE:
    return "semaphore";
  case WPU_KIND_THREAD:
    return "thread";
  case WPU_KIND_PORT:
    return "completion port";
  case WPU_KIND_WINDOW:
    return "window";
  default:
    return "object";
  }
}

static int is_internal(const wpu_handle_view *v) {
  return v->kind >= WPU_KIND_EVENT && v->context == WPU_CONTEXT_INTERNAL;
}

static void count_open(uintptr_t h, const wpu_handle_view *v, void *arg) {
  (void)h;
  if (!is_internal(v))
    ++*(size_t *)arg;
}

static size_t open_handles(wpu_world *w) {
  size_t n = 0;
  wpu_handles_foreach_live(&w->handles, count_open, &n);
  return n;
}

static void report_leak(uintptr_t h, const wpu_handle_view *v, void *arg) {
  if (is_internal(v))
    return;
  wpu__report(arg,
              "wpu: leaked handle 0x%08llx: %s, catalog entry %lu, "
              "context 0x%llx",
              (unsigned long long)h, kind_name(v->kind),
              (unsigned long)v->catalog_id, (unsigned long long)v->context);
}

size_t wpu_world_destroy(wpu_world *w) {
  if (w == NULL)
    return 0;
  /* What was started in the world ends first (providers close their
   * sockets in WSPCleanup), then the doubles' state, then leaks count. */
  /* Set by providers.c once it started something: the world does not link
   * the provider loader unless a program uses it. */
  void (*free_providers)(struct wpu_world *) =
      __atomic_load_n(&wpu__providers_free_fn, __ATOMIC_ACQUIRE);
  if (atomic_load(&w->providers) != NULL && free_providers != NULL)
    free_providers(w);
  run_attachment_destructors(w);
  size_t leaks = open_handles(w);
  wpu_handles_foreach_live(&w->handles, report_leak, w);
  if (leaks != 0)
    wpu__report(w, "wpu: %lu handle(s) still open when the world ended",
                (unsigned long)leaks);
  destroy_world(w);
  return leaks;
}

wpu_world *wpu_world_current(void) {
  return wpu__world();
}

size_t wpu_world_handle_count(wpu_world *w) {
  return w == NULL ? 0 : open_handles(w);
}

size_t wpu_world_debug_breaks(wpu_world *w) {
  return w == NULL ? 0 : atomic_load(&w->debug_breaks);
}

wpu_world *wpu__world_implicit(void) {
  wpu_world *w = wpu__world();
  if (w != NULL)
    return w;
  return create_world(NULL, 1, &w) == 0 ? w : NULL;
}

wpu_world *wpu_world_default(void) {
  return wpu__world_implicit();
}

int wpu_world_attach(wpu_world *w, const void *key, void *value,
                     void (*destroy)(void *value)) {
  if (w == NULL || key == NULL)
    return WSAEFAULT;
  wpu_attachment *a = w->alloc.malloc(sizeof *a, w->alloc.user);
  if (a == NULL)
    return WSA_NOT_ENOUGH_MEMORY;
  a->key = key;
  a->value = value;
  a->destroy = destroy;
  wpu_plat_mutex_lock(w->attach_mu);
  for (wpu_attachment *b = w->attachments; b != NULL; b = b->next)
    if (b->key == key) {
      wpu_plat_mutex_unlock(w->attach_mu);
      w->alloc.free(a, w->alloc.user);
      return WSAEALREADY;
    }
  a->next = w->attachments;
  w->attachments = a;
  wpu_plat_mutex_unlock(w->attach_mu);
  return 0;
}

void *wpu_world_attachment(wpu_world *w, const void *key) {
  if (w == NULL)
    return NULL;
  void *value = NULL;
  wpu_plat_mutex_lock(w->attach_mu);
  for (wpu_attachment *a = w->attachments; a != NULL; a = a->next)
    if (a->key == key) {
      value = a->value;
      break;
    }
  wpu_plat_mutex_unlock(w->attach_mu);
  return value;
}

typedef struct foreach_arg {
  void (*fn)(uintptr_t, const char *, DWORD, uintptr_t, void *);
  void *user;
} foreach_arg;

static void foreach_one(uintptr_t h, const wpu_handle_view *v, void *arg) {
  foreach_arg *a = arg;
  if (!is_internal(v))
    a->fn(h, kind_name(v->kind), v->catalog_id, v->context, a->user);
}

void wpu_world_foreach_handle(wpu_world *w,
                              void (*fn)(uintptr_t handle, const char *kind,
                                         DWORD catalog_id, uintptr_t context,
                                         void *user),
                              void *user) {
  if (w == NULL || fn == NULL)
    return;
  foreach_arg a = {fn, user};
  wpu_handles_foreach_live(&w->handles, foreach_one, &a);
}
