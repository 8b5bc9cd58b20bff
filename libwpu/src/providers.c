/* providers.c: starting providers per provider GUID, reference counting the
 * calls in progress, and cleaning up, as ws2_32 does (wpu/providers.h). */
#include <stdlib.h>
#include <string.h>

#include <wpu/catalog.h>
#include <wpu/providers.h>

#include <platform.h>

#include "hooks_impl.h"
#include "providers_impl.h"
#include "world_impl.h"

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

typedef enum { STARTING, STARTED, RETIRED } pstate;

struct wpu_provider {
  struct wpu_provider *next; /* newer first */
  GUID id;
  pstate state;  /* guarded by the list's mutex */
  DWORD starter; /* thread running WSPStartup while STARTING */
  int rc;        /* STARTING that failed: the error, for waiters */
  volatile LONG refs;
  HMODULE module;
  WSPPROC_TABLE procs;
  WSPDATA data;
  WSAPROTOCOL_INFOW info; /* what WSPStartup got (kept: providers may keep
                             the pointer) */
};

struct wpu_providers {
  wpu_plat_mutex *mu;
  wpu_plat_cond *cv; /* a start finished */
  wpu_provider *list;
};

static wpu_providers *providers_of(wpu_world *w) {
  wpu_providers *p = atomic_load_explicit(&w->providers, memory_order_acquire);
  if (p != NULL)
    return p;
  wpu_providers *fresh = calloc(1, sizeof *fresh);
  if (fresh == NULL)
    return NULL;
  fresh->mu = wpu_plat_mutex_new();
  fresh->cv = wpu_plat_cond_new();
  if (fresh->mu == NULL || fresh->cv == NULL) {
    wpu_plat_mutex_free(fresh->mu);
    wpu_plat_cond_free(fresh->cv);
    free(fresh);
    return NULL;
  }
  if (atomic_compare_exchange_strong(&w->providers, &p, fresh)) {
    __atomic_store_n(&wpu__providers_free_fn, wpu__providers_free,
                     __ATOMIC_RELEASE);
    return fresh;
  }
  wpu_plat_mutex_free(fresh->mu);
  wpu_plat_cond_free(fresh->cv);
  free(fresh);
  return p;
}

static int table_complete(const WSPPROC_TABLE *t) {
  /* WSPPROC_TABLE is 30 function pointers and nothing else. */
  const void *const *slot = (const void *const *)t;
  for (size_t i = 0; i < sizeof *t / sizeof(void *); i++)
    if (slot[i] == NULL)
      return 0;
  return 1;
}

/* Loads the provider's library and calls its WSPStartup (no lock held). */
static int start_one(wpu_world *w, wpu_provider *s, const WCHAR *stored) {
  WCHAR path[MAX_PATH];
  DWORD id = s->info.dwCatalogEntryId;
  DWORD n = ExpandEnvironmentStringsW(stored, path, MAX_PATH);
  if (n == 0 || n > MAX_PATH) {
    wpu__report(w, "wpu: cannot expand the path of catalog entry %lu",
                (unsigned long)id);
    return WSAEPROVIDERFAILEDINIT;
  }
  s->module = wpu__module_load(path);
  if (s->module == NULL) {
    wpu__report(w,
                "wpu: cannot load the provider of catalog entry %lu "
                "(error %lu)",
                (unsigned long)id, (unsigned long)GetLastError());
    return WSAEPROVIDERFAILEDINIT;
  }
  LPWSPSTARTUP startup =
      (LPWSPSTARTUP)(void (*)(void))wpu__module_proc(s->module, "WSPStartup");
  if (startup == NULL) {
    wpu__report(w, "wpu: the provider of catalog entry %lu has no WSPStartup",
                (unsigned long)id);
    wpu__module_free(s->module);
    return WSAEPROVIDERFAILEDINIT;
  }
  memset(&s->procs, 0, sizeof s->procs);
  int rc = startup(MAKEWORD(2, 2), &s->data, &s->info, wpu_upcall_table(),
                   &s->procs);
  if (rc != 0) {
    wpu__report(w, "wpu: WSPStartup of catalog entry %lu failed with %d",
                (unsigned long)id, rc);
    wpu__module_free(s->module);
    return WSAEPROVIDERFAILEDINIT;
  }
  if (!table_complete(&s->procs)) {
    wpu__report(w,
                "wpu: WSPStartup of catalog entry %lu returned a proc "
                "table with NULL entries",
                (unsigned long)id);
    if (s->procs.lpWSPCleanup != NULL) {
      int err;
      s->procs.lpWSPCleanup(&err);
    }
    wpu__module_free(s->module);
    return WSAEINVALIDPROCTABLE;
  }
  return 0;
}

/* The last reference of a retired provider: WSPCleanup and unload. */
static void finish(wpu_provider *s) {
  int err;
  s->procs.lpWSPCleanup(&err); /* result ignored, as ws2_32 does */
  wpu__module_free(s->module);
  free(s);
}

void wpu_provider_release(wpu_provider *s) {
  if (s != NULL && InterlockedDecrement(&s->refs) == 0)
    finish(s);
}

const WSPPROC_TABLE *wpu_provider_procs(const wpu_provider *s) {
  return &s->procs;
}

const WSAPROTOCOL_INFOW *wpu_provider_info(const wpu_provider *s) {
  return &s->info;
}

static wpu_provider *find(wpu_providers *p, const GUID *id) {
  for (wpu_provider *s = p->list; s != NULL; s = s->next)
    if (s->state != RETIRED && memcmp(&s->id, id, sizeof *id) == 0)
      return s;
  return NULL;
}

static void unlink_provider(wpu_providers *p, wpu_provider *s) {
  for (wpu_provider **pp = &p->list; *pp != NULL; pp = &(*pp)->next)
    if (*pp == s) {
      *pp = s->next;
      return;
    }
}

int wpu_provider_acquire(DWORD catalog_id, wpu_provider **out) {
  *out = NULL;
  wpu_world *w = wpu__world();
  if (w == NULL)
    return WSANOTINITIALISED;
  wpu_providers *p = providers_of(w);
  if (p == NULL)
    return WSA_NOT_ENOUGH_MEMORY;
  WSAPROTOCOL_INFOW info;
  WCHAR path[MAX_PATH];
  if (wpu_catalog_get(catalog_id, &info, path, MAX_PATH) != 0)
    return WSAEINVAL;
  wpu_plat_mutex_lock(p->mu);
  for (;;) {
    wpu_provider *s = find(p, &info.ProviderId);
    if (s == NULL)
      break;
    if (s->state == STARTED) {
      InterlockedIncrement(&s->refs);
      wpu_plat_mutex_unlock(p->mu);
      *out = s;
      return 0;
    }
    /* STARTING: WSPStartup of this provider asking for itself cannot
     * wait for itself. */
    if (s->starter == GetCurrentThreadId()) {
      wpu_plat_mutex_unlock(p->mu);
      return WSAEPROVIDERFAILEDINIT;
    }
    wpu_plat_cond_wait(p->cv, p->mu);
  }
  wpu_provider *s =
      wpu__hook_alloc("provider", sizeof *s) ? NULL : calloc(1, sizeof *s);
  if (s == NULL) {
    wpu_plat_mutex_unlock(p->mu);
    return WSA_NOT_ENOUGH_MEMORY;
  }
  s->id = info.ProviderId;
  s->info = info;
  s->state = STARTING;
  s->starter = GetCurrentThreadId();
  s->refs = 1; /* the list's */
  s->next = p->list;
  p->list = s;
  wpu_plat_mutex_unlock(p->mu);

  int rc = start_one(w, s, path);

  wpu_plat_mutex_lock(p->mu);
  if (rc != 0) {
    unlink_provider(p, s);
  } else {
    s->state = STARTED;
    InterlockedIncrement(&s->refs); /* the caller's */
  }
  wpu_plat_cond_broadcast(p->cv);
  wpu_plat_mutex_unlock(p->mu);
  if (rc != 0) {
    free(s);
    return rc;
  }
  *out = s;
  return 0;
}

/* Takes every started provider off the list and drops the list's
 * reference; returns how many. */
static int retire_all(wpu_providers *p) {
  wpu_plat_mutex_lock(p->mu);
  /* A start in progress finishes first (its WSPStartup may still run). */
  for (;;) {
    int starting = 0;
    for (wpu_provider *s = p->list; s != NULL; s = s->next)
      starting |= s->state == STARTING;
    if (!starting)
      break;
    wpu_plat_cond_wait(p->cv, p->mu);
  }
  wpu_provider *list = p->list;
  p->list = NULL;
  for (wpu_provider *s = list; s != NULL; s = s->next)
    s->state = RETIRED;
  wpu_plat_mutex_unlock(p->mu);
  int n = 0;
  while (list != NULL) {
    wpu_provider *s = list;
    list = s->next;
    wpu_provider_release(s);
    n++;
  }
  return n;
}

int wpu_providers_cleanup(void) {
  wpu_world *w = wpu__world();
  wpu_providers *p =
      w == NULL ? NULL
                : atomic_load_explicit(&w->providers, memory_order_acquire);
  int n = p == NULL ? 0 : retire_all(p);
  wpu__hook_note("providers cleaned up");
  return n;
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
  for (wpu_provider *s = p->list; s != NULL; s = s->next)
    n += s->state == STARTED;
  wpu_plat_mutex_unlock(p->mu);
  return n;
}

void wpu__providers_free(wpu_world *w) {
  wpu_providers *p = atomic_load_explicit(&w->providers, memory_order_acquire);
  if (p == NULL)
    return;
  int n = retire_all(p);
  if (n != 0)
    wpu__report(w,
                "wpu: %d provider%s still started when the world ended "
                "(WSACleanup missing); cleaned up",
                n, n == 1 ? "" : "s");
  wpu_plat_mutex_free(p->mu);
  wpu_plat_cond_free(p->cv);
  free(p);
  atomic_store(&w->providers, NULL);
}
