/* modules_win.c: wpu_module_register on the Windows build, and the loader
 * the provider start-up uses there.
 *
 * Windows' own LoadLibraryW cannot find a provider linked into a test, so
 * the provider start-up (providers.c) looks registrations up first: a
 * registered path matches by file name, case-insensitively (Windows finds
 * system32 DLLs by name), and its HMODULE is the registration's record.
 * Anything else goes to the real loader. Provider code that calls
 * LoadLibraryW itself still gets the real one. DllMain is called with
 * DLL_PROCESS_ATTACH/DETACH as on Linux. Not supported: serialising a
 * DllMain against a concurrent load of the same module (the provider
 * start-up loads each provider once, from one thread). Registrations are never
 * freed while the process runs (they are few), so an HMODULE stays valid. */
#include <string.h>

#include <wpu/modules.h>

#include "../providers_impl.h"

typedef struct reg {
  struct reg *next;
  DWORD magic;
  WCHAR name[MAX_PATH]; /* file name part, as registered */
  wpu_export *exports;
  size_t n;
  wpu_dll_main dll_main;
  LONG loads;
  BOOL removed;
} reg;

#define REG_MAGIC 0x4d4f4457u /* "WDOM" */

static reg *regs;
static SRWLOCK lock = SRWLOCK_INIT;

static const WCHAR *file_part(const WCHAR *path) {
  const WCHAR *f = path;
  for (const WCHAR *p = path; *p; p++)
    if (*p == '\\' || *p == '/')
      f = p + 1;
  return f;
}

static reg *find(const WCHAR *path) {
  const WCHAR *f = file_part(path);
  for (reg *r = regs; r != NULL; r = r->next)
    if (!r->removed && _wcsicmp(r->name, f) == 0)
      return r;
  return NULL;
}

DWORD wpu_module_register(const WCHAR *path, const wpu_export *exports,
                          size_t n, wpu_dll_main dll_main) {
  if (path == NULL || (n > 0 && exports == NULL) ||
      wcslen(file_part(path)) >= MAX_PATH)
    return ERROR_INVALID_PARAMETER;
  AcquireSRWLockExclusive(&lock);
  reg *r = find(path);
  DWORD rc = 0;
  if (r != NULL && r->loads > 0) {
    rc = ERROR_BUSY;
  } else {
    wpu_export *copy =
        n == 0 ? NULL : HeapAlloc(GetProcessHeap(), 0, n * sizeof *copy);
    if (n > 0 && copy == NULL) {
      rc = ERROR_NOT_ENOUGH_MEMORY;
    } else {
      if (n > 0)
        memcpy(copy, exports, n * sizeof *copy);
      if (r == NULL) {
        r = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *r);
        if (r == NULL) {
          HeapFree(GetProcessHeap(), 0, copy);
          ReleaseSRWLockExclusive(&lock);
          return ERROR_NOT_ENOUGH_MEMORY;
        }
        r->magic = REG_MAGIC;
        wcscpy(r->name, file_part(path));
        r->next = regs;
        regs = r;
      } else {
        HeapFree(GetProcessHeap(), 0, r->exports);
      }
      r->exports = copy;
      r->n = n;
      r->dll_main = dll_main;
    }
  }
  ReleaseSRWLockExclusive(&lock);
  return rc;
}

DWORD wpu_module_unregister(const WCHAR *path) {
  if (path == NULL)
    return ERROR_MOD_NOT_FOUND;
  AcquireSRWLockExclusive(&lock);
  reg *r = find(path);
  DWORD rc = r == NULL ? ERROR_MOD_NOT_FOUND : r->loads > 0 ? ERROR_BUSY : 0;
  if (rc == 0)
    r->removed = TRUE; /* kept: HMODULEs of it may still be compared */
  ReleaseSRWLockExclusive(&lock);
  return rc;
}

static reg *registered(HMODULE m) {
  for (reg *r = regs; r != NULL; r = r->next)
    if ((HMODULE)r == m)
      return r;
  return NULL;
}

HMODULE wpu__module_load(const WCHAR *path) {
  AcquireSRWLockExclusive(&lock);
  reg *r = find(path);
  LONG loads = r == NULL ? 0 : ++r->loads;
  ReleaseSRWLockExclusive(&lock);
  if (r == NULL)
    return LoadLibraryW(path);
  if (loads == 1 && r->dll_main != NULL &&
      !r->dll_main((HINSTANCE)r, DLL_PROCESS_ATTACH, NULL)) {
    /* As documented: a failed attach is followed by a detach. */
    r->dll_main((HINSTANCE)r, DLL_PROCESS_DETACH, NULL);
    AcquireSRWLockExclusive(&lock);
    r->loads--;
    ReleaseSRWLockExclusive(&lock);
    SetLastError(ERROR_DLL_INIT_FAILED);
    return NULL;
  }
  return (HMODULE)r;
}

FARPROC wpu__module_proc(HMODULE m, const char *name) {
  AcquireSRWLockShared(&lock);
  reg *r = registered(m);
  FARPROC proc = NULL;
  if (r != NULL)
    for (size_t i = 0; i < r->n && !IS_INTRESOURCE(name); i++)
      if (strcmp(r->exports[i].name, name) == 0)
        proc = r->exports[i].proc;
  ReleaseSRWLockShared(&lock);
  if (r == NULL)
    return GetProcAddress(m, name);
  if (proc == NULL)
    SetLastError(ERROR_PROC_NOT_FOUND);
  return proc;
}

void wpu__module_free(HMODULE m) {
  AcquireSRWLockExclusive(&lock);
  reg *r = registered(m);
  LONG loads = r == NULL ? -1 : --r->loads;
  ReleaseSRWLockExclusive(&lock);
  if (r == NULL)
    FreeLibrary(m);
  else if (loads == 0 && r->dll_main != NULL)
    r->dll_main((HINSTANCE)r, DLL_PROCESS_DETACH, NULL);
}
