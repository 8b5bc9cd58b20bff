/* providers.c: starting providers per catalog entry and cleaning them up,
 * as ws2_32 does (see wpu/providers.h). */
#include <stdlib.h>
#include <string.h>

#include <wpu/catalog.h>
#include <wpu/providers.h>

#include <platform.h>

#include "providers_impl.h"

#ifndef _WIN32
/* Linux: kernel32's loader is libwpu's own, registry included. */
static HMODULE wpu__module_load(const WCHAR *path) {
  return LoadLibraryW(path);
}
static FARPROC wpu__module_proc(HMODULE m, const char *name) {
  return GetProcAddress(m, name);
}
static void wpu__module_free(HMODULE m) {
  FreeLibrary(m);
}
#endif
#include "world_impl.h"

typedef struct started {
  struct started *next; /* newer first */
  DWORD catalog_id;
  HMODULE module;
  WSPPROC_TABLE procs;
  WSPDATA data;
  WSAPROTOCOL_INFOW info; /* what WSPStartup was given (kept: providers
                             may keep the pointer) */
} started;

struct wpu_providers {
  wpu_plat_mutex *mu;
  started *list;
};

static wpu_providers *providers_of(wpu_world *w) {
  wpu_providers *p = atomic_load_explicit(&w->providers, memory_order_acquire);
  if (p != NULL)
    return p;
  wpu_providers *fresh = calloc(1, sizeof *fresh);
  if (fresh == NULL)
    return NULL;
  fresh->mu = wpu_plat_mutex_new();
  if (fresh->mu == NULL) {
    free(fresh);
    return NULL;
  }
  if (atomic_compare_exchange_strong(&w->providers, &p, fresh)) {
    __atomic_store_n(&wpu__providers_free_fn, wpu__providers_free,
                     __ATOMIC_RELEASE);
    return fresh;
  }
  wpu_plat_mutex_free(fresh->mu);
  free(fresh);
  return p;
}

static started *find(wpu_providers *p, DWORD id) {
  for (started *s = p->list; s != NULL; s = s->next)
    if (s->catalog_id == id)
      return s;
  return NULL;
}

static int table_complete(const WSPPROC_TABLE *t) {
  /* WSPPROC_TABLE is 30 function pointers and nothing else. */
  const void *const *slot = (const void *const *)t;
  for (size_t i = 0; i < sizeof *t / sizeof(void *); i++)
    if (slot[i] == NULL)
      return 0;
  return 1;
}

/* Loads the entry's library and calls its WSPStartup; fills s. */
static int start_one(wpu_world *w, started *s, const WCHAR *stored_path) {
  WCHAR path[MAX_PATH];
  DWORD n = ExpandEnvironmentStringsW(stored_path, path, MAX_PATH);
  if (n == 0 || n > MAX_PATH) {
    wpu__report(w, "wpu: cannot expand the path of catalog entry %lu",
                (unsigned long)s->catalog_id);
    return WSAEPROVIDERFAILEDINIT;
  }
  s->module = wpu__module_load(path);
  if (s->module == NULL) {
    wpu__report(w,
                "wpu: cannot load the provider of catalog entry %lu "
                "(error %lu)",
                (unsigned long)s->catalog_id, (unsigned long)GetLastError());
    return WSAEPROVIDERFAILEDINIT;
  }
  LPWSPSTARTUP startup =
      (LPWSPSTARTUP)(void (*)(void))wpu__module_proc(s->module, "WSPStartup");
  if (startup == NULL) {
    wpu__report(w, "wpu: the provider of catalog entry %lu has no WSPStartup",
                (unsigned long)s->catalog_id);
    wpu__module_free(s->module);
    return WSAEPROVIDERFAILEDINIT;
  }
  memset(&s->procs, 0, sizeof s->procs);
  int rc = startup(MAKEWORD(2, 2), &s->data, &s->info, wpu_upcall_table(),
                   &s->procs);
  if (rc != 0) {
    wpu__report(w, "wpu: WSPStartup of catalog entry %lu failed with %d",
                (unsigned long)s->catalog_id, rc);
    wpu__module_free(s->module);
    return WSAEPROVIDERFAILEDINIT;
  }
  if (!table_complete(&s->procs)) {
    wpu__report(w,
                "wpu: WSPStartup of catalog entry %lu returned a proc "
                "table with NULL entries",
                (unsigned long)s->catalog_id);
    if (s->procs.lpWSPCleanup != NULL) {
      int err;
      s->procs.lpWSPCleanup(&err);
    }
    wpu__module_free(s->module);
    return WSAEINVALIDPROCTABLE;
  }
  return 0;
}

int wpu_provider_start(DWORD catalog_id, const WSPPROC_TABLE **procs,
                       const WSAPROTOCOL_INFOW **info) {
  wpu_world *w = wpu__world();
  if (w == NULL)
    return WSANOTINITIALISED;
  wpu_providers *p = providers_of(w);
  if (p == NULL)
    return WSA_NOT_ENOUGH_MEMORY;
  wpu_plat_mutex_lock(p->mu);
  started *s = find(p, catalog_id);
  int rc = 0;
  if (s == NULL) {
    WCHAR path[MAX_PATH];
    s = calloc(1, sizeof *s);
    if (s == NULL) {
      rc = WSA_NOT_ENOUGH_MEMORY;
    } else if (wpu_catalog_get(catalog_id, &s->info, path, MAX_PATH) != 0) {
      rc = WSAEINVAL;
    } else {
      s->catalog_id = catalog_id;
      /* Started under the lock: a second thread asking for the same entry
       * waits rather than starting it twice. WSPStartup may itself start
       * lower entries (LSPs load their next layer themselves, not through
       * here), so this lock is not held across anything that comes back. */
      rc = start_one(w, s, path);
    }
    if (rc != 0) {
      free(s);
      s = NULL;
    } else {
      s->next = p->list;
      p->list = s;
    }
  }
  wpu_plat_mutex_unlock(p->mu);
  if (rc != 0)
    return rc;
  if (procs != NULL)
    *procs = &s->procs;
  if (info != NULL)
    *info = &s->info;
  return 0;
}

static int cleanup(wpu_providers *p) {
  wpu_plat_mutex_lock(p->mu);
  started *list = p->list;
  p->list = NULL;
  wpu_plat_mutex_unlock(p->mu);
  int n = 0;
  while (list != NULL) {
    started *s = list;
    list = s->next;
    int err;
    s->procs.lpWSPCleanup(&err); /* result ignored, as ws2_32 does */
    wpu__module_free(s->module);
    free(s);
    n++;
  }
  return n;
}

int wpu_providers_cleanup(void) {
  wpu_world *w = wpu__world();
  wpu_providers *p =
      w == NULL ? NULL
                : atomic_load_explicit(&w->providers, memory_order_acquire);
  return p == NULL ? 0 : cleanup(p);
}

int wpu_providers_started(void) {
  wpu_world *w = wpu__world();
  wpu_providers *p =
      w == NULL ? NULL
                : atomic_load_explicit(&w->providers, memory_order_acquire);
  if (p == NULL)
    return 0;
  int n = 0;
  wpu_plat_mutex_lock(p->mu);
  for (started *s = p->list; s != NULL; s = s->next)
    n++;
  wpu_plat_mutex_unlock(p->mu);
  return n;
}

void wpu__providers_free(wpu_world *w) {
  wpu_providers *p = atomic_load_explicit(&w->providers, memory_order_acquire);
  if (p == NULL)
    return;
  int n = cleanup(p);
  if (n != 0)
    wpu__report(w,
                "wpu: %d provider entr%s still started when the world "
                "ended (WSACleanup missing); cleaned up",
                n, n == 1 ? "y" : "ies");
  wpu_plat_mutex_free(p->mu);
  free(p);
  atomic_store(&w->providers, NULL);
}
