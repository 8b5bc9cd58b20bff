/* provider.c: counting_lsp's WSPStartup and WSPCleanup, and how it finds,
 * loads and starts the next layer of each protocol chain it serves.
 *
 * ws2_32 calls WSPStartup once per catalog entry of the LSP, with that
 * entry's WSAPROTOCOL_INFOW; an LSP above calls it with its own chain.
 * Either way the chain (ProtocolChain.ChainEntries) contains one of our
 * entries: our hidden dummy entry (found with WSCEnumProtocols by
 * COUNTING_LSP_GUID) or one of our chain entries (those whose
 * ChainEntries[0] is the dummy). The entry after ours is the next layer:
 * its DLL comes from WSCGetProviderPath, ExpandEnvironmentStringsW and
 * LoadLibraryW, its WSPStartup from GetProcAddress. A base provider
 * (ChainLen 1) is started with its own entry; another LSP with the chain we
 * were given, so that it can find itself in it the same way.
 *
 * One lsp_provider per chain entry we were started for, each starting its
 * next layer once. WSPStartup and WSPCleanup are reference-counted; the last
 * WSPCleanup closes every socket still open, stops the completion worker,
 * cleans up every next layer, FreeLibrary's it and destroys the private
 * heap. Startup and cleanup are serialised by a critical section made once
 * per load of the module (by DllMain, or by the first WSPStartup when no
 * DllMain ran, e.g. a test that registers none).
 *
 * The last WSPCleanup frees nothing another thread may still be using: it
 * waits (STOP_WAIT_MS) until every socket record is gone, i.e. until the
 * calls still in progress on other threads (each holds a reference) and the
 * operations the next layers still owe have ended. If that wait or the
 * completion worker's times out, the heap, the lock, the next layers' DLLs
 * and the worker are left as they are: a deliberate leak (reported with
 * OutputDebugStringW), better than freeing memory in use. */
#include <string.h>

#include "lsp_internal.h"

lsp_globals g;

/* Serialises startup and cleanup. guard_state: 0 not made, 1 being made,
 * 2 ready. */
static CRITICAL_SECTION guard;
static volatile LONG guard_state;
static HINSTANCE instance; /* from DllMain; NULL when none ran */

static void guard_enter(void) {
  if (InterlockedCompareExchange(&guard_state, 1, 0) == 0) {
    InitializeCriticalSection(&guard);
    InterlockedExchange(&guard_state, 2);
  }
  /* Only while another thread runs InitializeCriticalSection, once. */
  while (InterlockedCompareExchange(&guard_state, 2, 2) != 2)
    Sleep(0);
  EnterCriticalSection(&guard);
}

static void guard_leave(void) {
  LeaveCriticalSection(&guard);
}

HINSTANCE lsp_instance(void) {
  return instance;
}

BOOL WINAPI CountingDllMain(HINSTANCE hinstDLL, DWORD fdwReason,
                            LPVOID lpvReserved) {
  (void)lpvReserved;
  if (fdwReason == DLL_PROCESS_ATTACH) {
    instance = hinstDLL;
    if (InterlockedCompareExchange(&guard_state, 1, 0) == 0) {
      InitializeCriticalSection(&guard);
      InterlockedExchange(&guard_state, 2);
    }
  } else if (fdwReason == DLL_PROCESS_DETACH) {
    /* Unloaded: the next load starts afresh. Not when a cleanup leaked
     * (its worker may still run: keep everything). */
    if (!g.leaked && InterlockedCompareExchange(&guard_state, 0, 2) == 2)
      DeleteCriticalSection(&guard);
    instance = NULL;
  }
  return TRUE;
}

void *lsp_alloc(size_t size) {
  return HeapAlloc(g.heap, HEAP_ZERO_MEMORY, size);
}

void lsp_free(void *p) {
  if (p != NULL)
    HeapFree(g.heap, 0, p);
}

/* ---- The catalog ---- */

/* The whole catalog, hidden entries included (free with lsp_free), or NULL
 * with *err. */
static WSAPROTOCOL_INFOW *catalog(int *count, LPINT err) {
  for (;;) {
    DWORD len = 0;
    int e = 0;
    if (WSCEnumProtocols(NULL, NULL, &len, &e) != SOCKET_ERROR ||
        e != WSAENOBUFS) {
      *err = WSAEPROVIDERFAILEDINIT;
      return NULL;
    }
    WSAPROTOCOL_INFOW *all = lsp_alloc(len);
    if (all == NULL) {
      *err = WSAENOBUFS;
      return NULL;
    }
    int n = WSCEnumProtocols(NULL, all, &len, &e);
    if (n != SOCKET_ERROR) {
      *count = n;
      return all;
    }
    lsp_free(all);
    if (e != WSAENOBUFS) { /* else it grew meanwhile: again */
      *err = WSAEPROVIDERFAILEDINIT;
      return NULL;
    }
  }
}

static const WSAPROTOCOL_INFOW *by_id(const WSAPROTOCOL_INFOW *all, int n,
                                      DWORD id) {
  for (int i = 0; i < n; i++)
    if (all[i].dwCatalogEntryId == id)
      return &all[i];
  return NULL;
}

/* Whether e is one of our chain entries (dummy: our dummy entry's id). */
static BOOL our_chain(const WSAPROTOCOL_INFOW *e, DWORD dummy) {
  return e != NULL && e->ProtocolChain.ChainLen >= 2 &&
         e->ProtocolChain.ChainEntries[0] == dummy;
}

/* Fills p->layer, p->down and returns the next layer's entry in *next. */
static int find_layers(const WSAPROTOCOL_INFOW *info, lsp_provider *p,
                       WSAPROTOCOL_INFOW *next) {
  int n = 0, err = 0;
  WSAPROTOCOL_INFOW *all = catalog(&n, &err);
  if (all == NULL)
    return err;
  const WSAPROTOCOL_INFOW *dummy = NULL;
  for (int i = 0; i < n && dummy == NULL; i++)
    if (IsEqualGUID(&all[i].ProviderId, &COUNTING_LSP_GUID) &&
        all[i].ProtocolChain.ChainLen == LAYERED_PROTOCOL)
      dummy = &all[i];
  const WSAPROTOCOLCHAIN *chain = &info->ProtocolChain;
  int pos = -1;
  for (int k = 0; dummy != NULL && k < chain->ChainLen && pos < 0; k++) {
    DWORD id = chain->ChainEntries[k];
    if (id == dummy->dwCatalogEntryId ||
        our_chain(by_id(all, n, id), dummy->dwCatalogEntryId))
      pos = k;
  }
  const WSAPROTOCOL_INFOW *below =
      pos < 0 || pos + 1 >= chain->ChainLen
          ? NULL
          : by_id(all, n, chain->ChainEntries[pos + 1]);
  if (below == NULL) {
    lsp_free(all);
    return pos < 0 || pos + 1 >= chain->ChainLen ? WSAEINVAL
                                                 : WSAEPROVIDERFAILEDINIT;
  }
  *next = *below;
  /* Our own entry, under whose id our handles dispatch: the entry we were
   * started for, else ours in the chain, else our chain entry with the same
   * lower chain (the chain names our dummy), else the dummy. */
  const WSAPROTOCOL_INFOW *layer = NULL;
  DWORD d = dummy->dwCatalogEntryId;
  if (our_chain(info, d))
    layer = info;
  else if (our_chain(by_id(all, n, chain->ChainEntries[pos]), d))
    layer = by_id(all, n, chain->ChainEntries[pos]);
  for (int i = 0; i < n && layer == NULL; i++) {
    const WSAPROTOCOLCHAIN *c = &all[i].ProtocolChain;
    if (our_chain(&all[i], d) && c->ChainLen == chain->ChainLen - pos &&
        memcmp(&c->ChainEntries[1], &chain->ChainEntries[pos + 1],
               (size_t)(c->ChainLen - 1) * sizeof(DWORD)) == 0)
      layer = &all[i];
  }
  p->layer = layer != NULL ? *layer : *dummy;
  p->down = below->ProtocolChain.ChainLen == BASE_PROTOCOL ? *below : *info;
  lsp_free(all);
  return 0;
}

/* ---- The next layer ---- */

static int load_next(lsp_provider *p, const WSAPROTOCOL_INFOW *next,
                     WORD version) {
  WCHAR stored[MAX_PATH], path[MAX_PATH];
  int len = MAX_PATH, e = 0;
  GUID id = next->ProviderId;
  if (WSCGetProviderPath(&id, stored, &len, &e) != 0)
    return WSAEPROVIDERFAILEDINIT;
  DWORD n = ExpandEnvironmentStringsW(stored, path, MAX_PATH);
  if (n == 0 || n > MAX_PATH)
    return WSAEPROVIDERFAILEDINIT;
  p->module = LoadLibraryW(path);
  if (p->module == NULL)
    return WSAEPROVIDERFAILEDINIT;
  LPWSPSTARTUP start =
      (LPWSPSTARTUP)(void (*)(void))GetProcAddress(p->module, "WSPStartup");
  int rc = start == NULL ? WSAEPROVIDERFAILEDINIT
                         : start(version, &p->data, &p->down, g.up, &p->procs);
  if (rc == 0) {
    void *entries[sizeof p->procs / sizeof(void *)];
    memcpy(entries, &p->procs, sizeof entries);
    for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++)
      if (entries[i] == NULL)
        rc = WSAEINVALIDPROCTABLE;
    if (rc != 0)
      p->procs.lpWSPCleanup(&e);
  }
  if (rc != 0) {
    FreeLibrary(p->module);
    p->module = NULL;
    return rc;
  }
  p->startups = 1;
  return 0;
}

static lsp_provider *find_provider(DWORD started_for) {
  EnterCriticalSection(&g.lock);
  lsp_provider *p = g.providers;
  while (p != NULL && p->started_for != started_for)
    p = p->next;
  LeaveCriticalSection(&g.lock);
  return p;
}

/* Finds or starts the provider for info; call with the guard held. */
static int start_provider(const WSAPROTOCOL_INFOW *info, WORD version,
                          lsp_provider **out) {
  lsp_provider *p = find_provider(info->dwCatalogEntryId);
  if (p != NULL) {
    *out = p;
    return 0;
  }
  p = lsp_alloc(sizeof *p);
  if (p == NULL)
    return WSAENOBUFS;
  p->started_for = info->dwCatalogEntryId;
  WSAPROTOCOL_INFOW next;
  int rc = find_layers(info, p, &next);
  if (rc == 0)
    rc = load_next(p, &next, version);
  if (rc != 0) {
    lsp_free(p);
    return rc;
  }
  EnterCriticalSection(&g.lock);
  p->next = g.providers;
  g.providers = p;
  LeaveCriticalSection(&g.lock);
  *out = p;
  return 0;
}

lsp_provider *lsp_provider_for(const WSAPROTOCOL_INFOW *info, LPINT err) {
  if (info == NULL) {
    *err = WSAEINVAL;
    return NULL;
  }
  lsp_provider *p = find_provider(info->dwCatalogEntryId);
  if (p != NULL)
    return p;
  guard_enter();
  int rc = start_provider(info, MAKEWORD(2, 2), &p);
  guard_leave();
  if (rc != 0) {
    *err = rc;
    return NULL;
  }
  return p;
}

/* ---- Startup and cleanup ---- */

static int global_start(WSPUPCALLTABLE *up) {
  g.heap = HeapCreate(0, 128000, 0);
  if (g.heap == NULL)
    return WSAENOBUFS;
  g.freed = CreateEventW(NULL, FALSE, FALSE, NULL);
  if (g.freed == NULL) {
    HeapDestroy(g.heap);
    g.heap = NULL;
    return WSAENOBUFS;
  }
  InitializeCriticalSection(&g.lock);
  g.up = *up;
  g.providers = NULL;
  g.sockets = NULL;
  int rc = lsp_overlap_start();
  if (rc != 0) {
    CloseHandle(g.freed);
    g.freed = NULL;
    DeleteCriticalSection(&g.lock);
    HeapDestroy(g.heap);
    g.heap = NULL;
  }
  return rc;
}

/* Waits until no socket record is left (calls in progress on other
 * threads and operations in flight hold theirs); FALSE on timeout. */
static BOOL sockets_gone(void) {
  DWORD start = GetTickCount();
  for (;;) {
    EnterCriticalSection(&g.lock);
    BOOL empty = g.sockets == NULL;
    LeaveCriticalSection(&g.lock);
    if (empty)
      return TRUE;
    DWORD spent = GetTickCount() - start;
    if (spent >= STOP_WAIT_MS ||
        WaitForSingleObject(g.freed, STOP_WAIT_MS - spent) == WAIT_FAILED)
      return FALSE;
  }
}

static void global_stop(void) {
  lsp_socket_close_all();
  lsp_async_stop();
  BOOL idle = lsp_overlap_stop();
  if (idle)
    idle = sockets_gone();
  if (!idle) {
    /* Something still runs in (or will call back into) our records and the
     * next layers: leak them all rather than free memory in use. */
    OutputDebugStringW(L"counting_lsp: WSPCleanup timed out waiting for "
                       L"calls in progress; its memory is left allocated\n");
    g.leaked = TRUE;
    return;
  }
  while (g.providers != NULL) {
    lsp_provider *p = g.providers;
    g.providers = p->next;
    int e;
    for (LONG i = 0; i < p->startups; i++)
      p->procs.lpWSPCleanup(&e); /* its result does not matter now */
    FreeLibrary(p->module);
    lsp_free(p);
  }
  CloseHandle(g.freed);
  g.freed = NULL;
  DeleteCriticalSection(&g.lock);
  HeapDestroy(g.heap);
  g.heap = NULL;
}

int WSPAPI lsp_WSPCleanup(LPINT lpErrno) {
  guard_enter();
  if (g.startups <= 0) {
    guard_leave();
    *lpErrno = WSANOTINITIALISED;
    return SOCKET_ERROR;
  }
  if (--g.startups == 0)
    global_stop();
  guard_leave();
  return 0;
}

int WSPAPI CountingWSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                              LPWSAPROTOCOL_INFOW lpProtocolInfo,
                              WSPUPCALLTABLE UpcallTable,
                              LPWSPPROC_TABLE lpProcTable) {
  if (LOBYTE(wVersionRequested) < 2)
    return WSAVERNOTSUPPORTED;
  if (lpWSPData == NULL || lpProtocolInfo == NULL || lpProcTable == NULL)
    return WSAEFAULT;
  guard_enter();
  /* After a cleanup that had to leak, the old worker and records are still
   * in use: this load of the module cannot start again. */
  int rc = g.leaked          ? WSAEPROVIDERFAILEDINIT
           : g.startups == 0 ? global_start(&UpcallTable)
                             : 0;
  lsp_provider *p = NULL;
  if (rc == 0)
    rc = start_provider(lpProtocolInfo, wVersionRequested, &p);
  if (rc == 0) {
    g.startups++;
    *lpWSPData = p->data; /* the next layer's version and description */
    *lpProcTable = lsp_proc_table; /* all 30 entries our own */
  } else if (g.startups == 0 && g.heap != NULL) {
    global_stop();
  }
  guard_leave();
  return rc;
}

void WSPAPI CountingGetLspGuid(LPGUID lpGuid) {
  if (lpGuid != NULL)
    *lpGuid = COUNTING_LSP_GUID;
}

#ifdef COUNTING_LSP_DLL
/* The DLL's entry point (the loader calls DllMain by that name); the
 * static library keeps CountingDllMain only, so that several providers can
 * be linked into one test. */
BOOL WINAPI DllMain(HINSTANCE hinstDLL, DWORD fdwReason, LPVOID lpvReserved) {
  return CountingDllMain(hinstDLL, fdwReason, lpvReserved);
}
#endif
