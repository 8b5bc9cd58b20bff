/* modules_win.c: wpu_module_register on the Windows build, and the module
 * functions every caller in the program uses there.
 *
 * Windows' own loader cannot find a provider linked into a test. mingw-w64
 * declares kernel32's functions DECLSPEC_IMPORT, so callers go through
 * __imp_<name> pointers; this file defines the pointers of LoadLibraryW/A,
 * LoadLibraryExW, GetProcAddress, FreeLibrary, GetModuleHandleW/A and
 * GetModuleFileNameW (the technique of route.c), so the provider start-up
 * (providers.c) and provider code linked into the test alike (an LSP
 * loading its next layer) resolve registered paths through the registry.
 * A registered path matches by file name, case-insensitively, with ".dll"
 * appended to a name without extension (Windows finds system32 DLLs by
 * name); its HMODULE is the registration's record. Anything else falls
 * through to the real kernel32 function, found once with ntdll's
 * LdrGetProcedureAddress (ntdll's export table is read directly: the
 * routed GetProcAddress cannot be used to find the real one). DLLs loaded
 * by Windows keep their own import tables, hence the real functions.
 *
 * For a registration: LoadLibrary counts a reference and calls DllMain
 * with DLL_PROCESS_ATTACH on the first (a FALSE return is followed by
 * DLL_PROCESS_DETACH and ERROR_DLL_INIT_FAILED, as documented); FreeLibrary
 * of the last reference calls DLL_PROCESS_DETACH (FALSE with
 * ERROR_MOD_NOT_FOUND when it is not loaded); GetProcAddress finds exports
 * by name (ERROR_PROC_NOT_FOUND for others and for ordinals);
 * GetModuleHandle finds it only while loaded; GetModuleFileNameW gives the
 * path as registered. LoadLibraryExW with flags or a file handle is not
 * routed for registrations (it goes to Windows). Not supported:
 * serialising a DllMain against a concurrent load of the same module.
 * Registrations are never freed while the process runs (they are few), so
 * an HMODULE stays valid. Thread-safety: all functions may be called from
 * any thread at once. */
#include <string.h>

#include <wpu/hooks.h>
#include <wpu/modules.h>

#include "../providers_impl.h"

typedef struct reg {
  struct reg *next;
  DWORD magic;
  WCHAR path[MAX_PATH]; /* as registered */
  wpu_export *exports;
  size_t n;
  wpu_dll_main dll_main;
  LONG loads;
  BOOL removed;
} reg;

#define REG_MAGIC 0x4d4f4457u /* "WDOM" */

static reg *regs;
static SRWLOCK lock = SRWLOCK_INIT;

/* ---- The real kernel32 functions ---- */

typedef HMODULE(WINAPI *load_w_fn)(LPCWSTR);
typedef HMODULE(WINAPI *load_a_fn)(LPCSTR);
typedef HMODULE(WINAPI *load_ex_w_fn)(LPCWSTR, HANDLE, DWORD);
typedef FARPROC(WINAPI *proc_fn)(HMODULE, LPCSTR);
typedef BOOL(WINAPI *free_fn)(HMODULE);
typedef HMODULE(WINAPI *handle_w_fn)(LPCWSTR);
typedef HMODULE(WINAPI *handle_a_fn)(LPCSTR);
typedef DWORD(WINAPI *file_name_w_fn)(HMODULE, LPWSTR, DWORD);

static struct {
  load_w_fn load_w;
  load_a_fn load_a;
  load_ex_w_fn load_ex_w;
  proc_fn proc;
  free_fn free;
  handle_w_fn handle_w;
  handle_a_fn handle_a;
  file_name_w_fn file_name_w;
} real;

typedef struct {
  USHORT Length;
  USHORT MaximumLength;
  char *Buffer;
} ansi_string;

typedef LONG(NTAPI *ldr_proc_fn)(HMODULE, ansi_string *, ULONG, void **);

/* An export of a loaded image by name, from its export directory (ntdll's
 * exports are never forwarded). */
static void *image_export(HMODULE m, const char *name) {
  const BYTE *base = (const BYTE *)m;
  const IMAGE_DOS_HEADER *dos = (const IMAGE_DOS_HEADER *)base;
  const IMAGE_NT_HEADERS *nt = (const IMAGE_NT_HEADERS *)(base + dos->e_lfanew);
  const IMAGE_DATA_DIRECTORY *dir =
      &nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_EXPORT];
  if (dir->VirtualAddress == 0)
    return NULL;
  const IMAGE_EXPORT_DIRECTORY *ex =
      (const IMAGE_EXPORT_DIRECTORY *)(base + dir->VirtualAddress);
  const DWORD *names = (const DWORD *)(base + ex->AddressOfNames);
  const WORD *ords = (const WORD *)(base + ex->AddressOfNameOrdinals);
  const DWORD *funcs = (const DWORD *)(base + ex->AddressOfFunctions);
  for (DWORD i = 0; i < ex->NumberOfNames; i++)
    if (strcmp((const char *)(base + names[i]), name) == 0)
      return (void *)(base + funcs[ords[i]]);
  return NULL;
}

static void *real_proc(HMODULE m, const char *name) {
  static ldr_proc_fn ldr;
  if (ldr == NULL) {
    HMODULE ntdll = NULL;
    GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                       L"ntdll.dll", &ntdll);
    void *p =
        ntdll == NULL ? NULL : image_export(ntdll, "LdrGetProcedureAddress");
    memcpy(&ldr, &p, sizeof p);
  }
  ansi_string s = {(USHORT)strlen(name), (USHORT)(strlen(name) + 1),
                   (char *)name};
  void *p = NULL;
  return ldr != NULL && ldr(m, &s, 0, &p) >= 0 ? p : NULL;
}

static BOOL CALLBACK init_real(PINIT_ONCE once, PVOID param, PVOID *ctx) {
  (void)once;
  (void)param;
  (void)ctx;
  HMODULE k32 = NULL;
  GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                     L"kernel32.dll", &k32);
  if (k32 == NULL)
    return FALSE;
#define REAL(field, name)                                                      \
  do {                                                                         \
    void *p_ = real_proc(k32, name);                                           \
    memcpy(&real.field, &p_, sizeof p_);                                       \
  } while (0)
  REAL(load_w, "LoadLibraryW");
  REAL(load_a, "LoadLibraryA");
  REAL(load_ex_w, "LoadLibraryExW");
  REAL(proc, "GetProcAddress");
  REAL(free, "FreeLibrary");
  REAL(handle_w, "GetModuleHandleW");
  REAL(handle_a, "GetModuleHandleA");
  REAL(file_name_w, "GetModuleFileNameW");
#undef REAL
  return TRUE;
}

static void need_real(void) {
  static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
  InitOnceExecuteOnce(&once, init_real, NULL, NULL);
}

/* ---- The registry ---- */

static const WCHAR *file_part(const WCHAR *path) {
  const WCHAR *f = path;
  for (const WCHAR *p = path; *p; p++)
    if (*p == '\\' || *p == '/')
      f = p + 1;
  return f;
}

/* Whether a registration's file name is the one a LoadLibrary name asks for
 * (".dll" appended when it has no extension, a trailing '.' dropped). */
static BOOL same_file(const WCHAR *registered, const WCHAR *asked) {
  const WCHAR *a = file_part(asked);
  size_t n = wcslen(a);
  if (n == 0 || n >= MAX_PATH - 4)
    return FALSE;
  WCHAR want[MAX_PATH];
  wcscpy(want, a);
  if (want[n - 1] == '.')
    want[n - 1] = 0;
  else if (wcschr(want, '.') == NULL)
    wcscat(want, L".dll");
  return _wcsicmp(file_part(registered), want) == 0;
}

/* The registration a name asks for (lock held). */
static reg *find(const WCHAR *path) {
  for (reg *r = regs; r != NULL; r = r->next)
    if (!r->removed && same_file(r->path, path))
      return r;
  return NULL;
}

/* The registration whose exact file name was registered (lock held). */
static reg *find_registered(const WCHAR *path) {
  for (reg *r = regs; r != NULL; r = r->next)
    if (!r->removed && _wcsicmp(file_part(r->path), file_part(path)) == 0)
      return r;
  return NULL;
}

DWORD wpu_module_register(const WCHAR *path, const wpu_export *exports,
                          size_t n, wpu_dll_main dll_main) {
  if (path == NULL || path[0] == 0 || (n > 0 && exports == NULL) ||
      wcslen(path) >= MAX_PATH)
    return ERROR_INVALID_PARAMETER;
  AcquireSRWLockExclusive(&lock);
  reg *r = find_registered(path);
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
        r->next = regs;
        regs = r;
      } else {
        HeapFree(GetProcessHeap(), 0, r->exports);
      }
      wcscpy(r->path, path);
      r->exports = copy;
      r->n = n;
      r->dll_main = dll_main;
    }
  }
  ReleaseSRWLockExclusive(&lock);
  return rc;
}

DWORD wpu_module_unregister(const WCHAR *path) {
  if (path == NULL || path[0] == 0)
    return ERROR_INVALID_PARAMETER;
  AcquireSRWLockExclusive(&lock);
  reg *r = find_registered(path);
  DWORD rc = r == NULL ? ERROR_MOD_NOT_FOUND : r->loads > 0 ? ERROR_BUSY : 0;
  if (rc == 0)
    r->removed = TRUE; /* kept: HMODULEs of it may still be compared */
  ReleaseSRWLockExclusive(&lock);
  return rc;
}

/* The registration m is, loaded or not (lock held). */
static reg *registered(HMODULE m) {
  for (reg *r = regs; r != NULL; r = r->next)
    if ((HMODULE)r == m)
      return r;
  return NULL;
}

/* Loads a registration; NULL with the last error set. */
static HMODULE load_registered(reg *r) {
  AcquireSRWLockExclusive(&lock);
  LONG loads = ++r->loads;
  ReleaseSRWLockExclusive(&lock);
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

static reg *lookup(const WCHAR *path) {
  AcquireSRWLockShared(&lock);
  reg *r = path == NULL ? NULL : find(path);
  ReleaseSRWLockShared(&lock);
  return r;
}

HMODULE wpu__module_load(const WCHAR *path) {
  reg *r = lookup(path);
  if (r != NULL)
    return load_registered(r);
  need_real();
  return real.load_w(path);
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
  if (r == NULL) {
    need_real();
    proc = real.proc(m, name);
    /* The module's path matters only to a start-up the hooks may wrap. */
    if (proc == NULL || IS_INTRESOURCE(name) || strcmp(name, "WSPStartup") != 0)
      return proc;
    DWORD last = GetLastError();
    WCHAR path[MAX_PATH];
    if (real.file_name_w(m, path, MAX_PATH) == 0)
      path[0] = 0;
    SetLastError(last);
    return wpu_hook_wrap_export(name, proc, path);
  }
  if (proc == NULL)
    SetLastError(ERROR_PROC_NOT_FOUND);
  return wpu_hook_wrap_export(name, proc, r->path);
}

/* FreeLibrary of a registration or a real module. */
static BOOL module_free(HMODULE m) {
  AcquireSRWLockExclusive(&lock);
  reg *r = registered(m);
  LONG loads = r == NULL ? -1 : r->loads > 0 ? --r->loads : -2;
  ReleaseSRWLockExclusive(&lock);
  if (r == NULL) {
    need_real();
    return real.free(m);
  }
  if (loads == -2) {
    SetLastError(ERROR_MOD_NOT_FOUND);
    return FALSE;
  }
  if (loads == 0 && r->dll_main != NULL)
    r->dll_main((HINSTANCE)r, DLL_PROCESS_DETACH, NULL);
  return TRUE;
}

void wpu__module_free(HMODULE m) {
  module_free(m);
}

/* ---- The routed kernel32 functions ---- */

static HMODULE WINAPI route_LoadLibraryW(LPCWSTR name) {
  return wpu__module_load(name);
}

/* name from the ANSI code page, into buf; FALSE when it does not fit. */
static BOOL widen(LPCSTR name, WCHAR *buf) {
  return name != NULL &&
         MultiByteToWideChar(CP_ACP, 0, name, -1, buf, MAX_PATH) > 0;
}

static HMODULE WINAPI route_LoadLibraryA(LPCSTR name) {
  WCHAR wide[MAX_PATH];
  reg *r = widen(name, wide) ? lookup(wide) : NULL;
  if (r != NULL)
    return load_registered(r);
  need_real();
  return real.load_a(name);
}

static HMODULE WINAPI route_LoadLibraryExW(LPCWSTR name, HANDLE file,
                                           DWORD flags) {
  reg *r = file == NULL && flags == 0 ? lookup(name) : NULL;
  if (r != NULL)
    return load_registered(r);
  need_real();
  return real.load_ex_w(name, file, flags);
}

static FARPROC WINAPI route_GetProcAddress(HMODULE m, LPCSTR name) {
  return wpu__module_proc(m, name);
}

static BOOL WINAPI route_FreeLibrary(HMODULE m) {
  return module_free(m);
}

/* A loaded registration, or NULL. */
static reg *loaded(const WCHAR *name) {
  AcquireSRWLockShared(&lock);
  reg *r = name == NULL ? NULL : find(name);
  if (r != NULL && r->loads == 0)
    r = NULL;
  ReleaseSRWLockShared(&lock);
  return r;
}

static HMODULE WINAPI route_GetModuleHandleW(LPCWSTR name) {
  reg *r = loaded(name);
  if (r != NULL)
    return (HMODULE)r;
  need_real();
  return real.handle_w(name);
}

static HMODULE WINAPI route_GetModuleHandleA(LPCSTR name) {
  WCHAR wide[MAX_PATH];
  reg *r = widen(name, wide) ? loaded(wide) : NULL;
  if (r != NULL)
    return (HMODULE)r;
  need_real();
  return real.handle_a(name);
}

static DWORD WINAPI route_GetModuleFileNameW(HMODULE m, LPWSTR buf,
                                             DWORD size) {
  AcquireSRWLockShared(&lock);
  reg *r = registered(m);
  ReleaseSRWLockShared(&lock);
  if (r == NULL) {
    need_real();
    return real.file_name_w(m, buf, size);
  }
  if (r->loads == 0) {
    SetLastError(ERROR_MOD_NOT_FOUND);
    return 0;
  }
  size_t n = wcslen(r->path);
  if (size == 0 || buf == NULL) {
    SetLastError(ERROR_INSUFFICIENT_BUFFER);
    return 0;
  }
  if (n < size) {
    memcpy(buf, r->path, (n + 1) * sizeof *buf);
    return (DWORD)n;
  }
  memcpy(buf, r->path, (size - 1) * sizeof *buf);
  buf[size - 1] = 0;
  SetLastError(ERROR_INSUFFICIENT_BUFFER);
  return size;
}

/* The import pointers callers use (see the top of this file). */
void *__imp_LoadLibraryW = (void *)route_LoadLibraryW;
void *__imp_LoadLibraryA = (void *)route_LoadLibraryA;
void *__imp_LoadLibraryExW = (void *)route_LoadLibraryExW;
void *__imp_GetProcAddress = (void *)route_GetProcAddress;
void *__imp_FreeLibrary = (void *)route_FreeLibrary;
void *__imp_GetModuleHandleW = (void *)route_GetModuleHandleW;
void *__imp_GetModuleHandleA = (void *)route_GetModuleHandleA;
void *__imp_GetModuleFileNameW = (void *)route_GetModuleFileNameW;
