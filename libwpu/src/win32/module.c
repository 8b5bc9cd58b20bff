/* module.c: the module registry of wpu/modules.h and kernel32's module
 * functions over it (LoadLibraryW/A, LoadLibraryExW/A, GetProcAddress,
 * FreeLibrary, GetModuleHandleW/A, GetModuleFileNameW/A,
 * DisableThreadLibraryCalls; Linux only). How names and paths compare is
 * module_path.c's (module_impl.h).
 *
 * Modules. A module is a registration (wpu_module_register: a DLL path, its
 * exports and DllMain, code linked into the program) or a shared object
 * loaded with dlopen. An HMODULE (= HINSTANCE) is the address of the
 * module's record; every function looks it up among the loaded modules
 * before using it, so a made-up or freed HMODULE fails (NULL:
 * ERROR_INVALID_HANDLE for FreeLibrary; anything else ERROR_MOD_NOT_FOUND)
 * instead of crashing. (A record's memory may be reused by a later module,
 * as a real DLL may be mapped again at the same base.) GetModuleHandle(NULL)
 * is a pseudo-module for the main program: always loaded, exporting
 * nothing, FreeLibrary on it succeeds and does nothing, and its file name is
 * the executable's Linux path as Wine shows it, on drive Z: with
 * backslashes ("Z:\home\me\build\test_x").
 *
 * Finding a module. LoadLibrary expands environment variables in the name
 * (ExpandEnvironmentStringsW, environment.c; Windows' LoadLibrary does not,
 * which is why ws2_32 and LSPs expand the catalog's path themselves first)
 * and then tries, in order:
 *   1. a registration whose expanded path equals the name (case-insensitive,
 *      '/' and '\' alike);
 *   2. a registration whose file name (after the last '\' or '/') equals the
 *      name's, whatever the directories (Windows finds system32 DLLs by name);
 *      the first registered wins;
 *   3. a loaded shared object with that path, or, when the name has no
 *      directory, that file name;
 *   4. a file: the name converted to UTF-8 with '\' turned into '/' and a
 *      leading "Z:" (Wine's drive for '/') dropped; when it names an existing
 *      regular file it is loaded with dlopen(RTLD_NOW | RTLD_LOCAL), its
 *      exports found with dlsym and its "DllMain" called if it exports one.
 *      That DllMain must be BOOL WINAPI DllMain(HINSTANCE, DWORD, LPVOID)
 *      compiled with Wine's headers (WINAPI is the Microsoft x64 calling
 *      convention). Loading the same object again (dlopen returns the same
 *      handle) counts a reference on the same module.
 * As on Windows, a name without a directory and without a '.' gets ".dll"
 * appended, and a trailing '.' means "no extension". GetModuleHandle uses
 * steps 1-3 among loaded modules only, without expanding the name.
 *
 * Reference counting and DllMain. LoadLibrary of a loaded module counts a
 * reference and returns the same HMODULE. The first load calls
 * DllMain(hinst, DLL_PROCESS_ATTACH, NULL); when it returns FALSE, DllMain
 * gets DLL_PROCESS_DETACH at once (as documented), the module is unloaded and
 * LoadLibrary fails with ERROR_DLL_INIT_FAILED. The FreeLibrary of the last
 * reference calls DllMain(hinst, DLL_PROCESS_DETACH, NULL) (lpvReserved NULL:
 * a FreeLibrary, not process exit), then unloads (dlclose for a shared
 * object; a registration stays registered, unloaded). No DLL_THREAD_ATTACH
 * or DLL_THREAD_DETACH notifications are sent (DisableThreadLibraryCalls
 * checks its module and returns TRUE), and modules still loaded when the
 * process exits get no DLL_PROCESS_DETACH.
 *
 * The loader lock. As on Windows, one recursive loader lock serializes
 * LoadLibrary and FreeLibrary and is held while DllMain runs: DllMain may
 * call LoadLibrary, FreeLibrary, GetProcAddress and the rest on its own
 * thread, and another thread's LoadLibrary of the same module waits until
 * the first call's DllMain has returned (it never sees a half-initialized
 * module). A DllMain that waits for a thread which calls LoadLibrary
 * deadlocks, as on Windows. GetProcAddress on a shared object also takes
 * the loader lock around its dlsym (so it waits while another thread's
 * DllMain runs); on a registration it does not. The registry's own mutex is
 * never held while DllMain, dlopen, dlsym or dlclose runs, so code they run
 * may call any of these functions. Inside its own DllMain a module cannot
 * be unloaded (FreeLibrary of its last reference returns TRUE and does
 * nothing) nor, during DLL_PROCESS_DETACH, loaded again (ERROR_MOD_NOT_FOUND).
 *
 * - LoadLibraryW/A(name), LoadLibraryExW/A(name, NULL, flags): NULL with
 *   ERROR_INVALID_PARAMETER (name NULL, hFile not NULL, unsupported flags),
 *   ERROR_MOD_NOT_FOUND (nothing found), ERROR_BAD_EXE_FORMAT (the file
 *   exists but dlopen refused it), ERROR_DLL_INIT_FAILED,
 *   ERROR_NOT_ENOUGH_MEMORY. Flags accepted and without effect:
 *   LOAD_WITH_ALTERED_SEARCH_PATH, LOAD_IGNORE_CODE_AUTHZ_LEVEL,
 *   LOAD_LIBRARY_REQUIRE_SIGNED_TARGET, LOAD_LIBRARY_SAFE_CURRENT_DIRS and
 *   the LOAD_LIBRARY_SEARCH_* flags (the search is the one above).
 *   DONT_RESOLVE_DLL_REFERENCES loads without calling DllMain (a module first
 *   loaded that way never gets DLL_PROCESS_ATTACH nor DETACH, as with the
 *   legacy Windows behaviour; a shared object's constructors still run). Not
 *   supported (ERROR_INVALID_PARAMETER): LOAD_LIBRARY_AS_DATAFILE,
 *   LOAD_LIBRARY_AS_DATAFILE_EXCLUSIVE, LOAD_LIBRARY_AS_IMAGE_RESOURCE and
 *   undefined flags. The A functions convert through the ANSI code page.
 * - GetProcAddress(module, name): the export called name (case-sensitive).
 *   NULL with ERROR_PROC_NOT_FOUND when there is none, when name is an
 *   ordinal (high word zero: modules here have no ordinals) and for the main
 *   program; ERROR_MOD_NOT_FOUND when module is not a loaded module.
 * - FreeLibrary(module): TRUE, or FALSE with ERROR_INVALID_HANDLE (NULL) or
 *   ERROR_MOD_NOT_FOUND (not a loaded module, e.g. freed already).
 * - GetModuleHandleW/A(name): the loaded module, without counting a
 *   reference; NULL with ERROR_MOD_NOT_FOUND. A registration that is not
 *   loaded is not found.
 * - GetModuleFileNameW/A(module, buf, size): the module's expanded path (a
 *   registration's as registered; a shared object's as passed to
 *   LoadLibrary, expanded). Returns its length without the NUL when it fits;
 *   otherwise (Windows Vista and later, XP differs) writes size - 1
 *   characters and a NUL, returns size and sets ERROR_INSUFFICIENT_BUFFER
 *   (size 0: returns 0, same error). 0 with ERROR_MOD_NOT_FOUND for a module
 *   that is not loaded. The A function counts bytes of the ANSI code page.
 * - Not implemented: GetModuleHandleEx, FreeLibraryAndExitThread,
 *   LoadPackagedLibrary, SetDllDirectory, AddDllDirectory, resources.
 *
 * Thread-safety: every function may be called from any thread at once. */
#include <dlfcn.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <winsock2.h>

#include <platform.h>
#include <wpu/modules.h>
#include <wpu/wstring.h>

#include "../hooks_impl.h"
#include "module_impl.h"

#ifndef LOAD_LIBRARY_SAFE_CURRENT_DIRS
#define LOAD_LIBRARY_SAFE_CURRENT_DIRS 0x00002000
#endif

#define MODULE_MAGIC 0x6c646f6du /* "modl" */

/* LoadLibraryEx flags that change nothing here. */
#define HARMLESS_FLAGS                                                         \
  (DONT_RESOLVE_DLL_REFERENCES | LOAD_WITH_ALTERED_SEARCH_PATH |               \
   LOAD_IGNORE_CODE_AUTHZ_LEVEL | LOAD_LIBRARY_REQUIRE_SIGNED_TARGET |         \
   LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR | LOAD_LIBRARY_SEARCH_APPLICATION_DIR |    \
   LOAD_LIBRARY_SEARCH_USER_DIRS | LOAD_LIBRARY_SEARCH_SYSTEM32 |              \
   LOAD_LIBRARY_SEARCH_DEFAULT_DIRS | LOAD_LIBRARY_SAFE_CURRENT_DIRS)

typedef enum { UNLOADED, ATTACHING, LOADED, DETACHING } mod_state;

typedef struct wpu_module wpu_module;

struct wpu_module {
  wpu_module *next;
  uint32_t magic;
  int registered;    /* a registration; otherwise a shared object */
  WCHAR *full;       /* expanded path (GetModuleFileName) */
  const WCHAR *file; /* the file-name part of full */
  wpu_export *exports;
  size_t n_exports;
  wpu_dll_main dll_main;
  void *so;           /* dlopen handle of a shared object */
  unsigned long refs; /* LoadLibrary references */
  mod_state state;
  int attached; /* DllMain(DLL_PROCESS_ATTACH) ran and succeeded */
};

/* The registry: registrations in registration order, then shared objects
 * as they were loaded. Guarded by registry_mutex. */
static wpu_module *modules;
static wpu_module main_module = {.magic = MODULE_MAGIC, .state = LOADED};
static WCHAR main_path[PATH_MAX + 4];

static _Atomic(wpu_plat_mutex *) registry_mutex;
static _Atomic(wpu_plat_mutex *) loader_mutex;

/* The recursive loader lock: owner is the address of a thread-local of the
 * owning thread; depth is touched by the owner only. */
static _Thread_local char self_tag;
static _Atomic(void *) loader_owner;
static unsigned loader_depth;

static wpu_plat_mutex *mutex_get(_Atomic(wpu_plat_mutex *) *slot) {
  wpu_plat_mutex *m = atomic_load(slot);
  if (m != NULL)
    return m;
  wpu_plat_mutex *fresh = wpu_plat_mutex_new();
  if (fresh == NULL) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return NULL;
  }
  if (atomic_compare_exchange_strong(slot, &m, fresh))
    return fresh;
  wpu_plat_mutex_free(fresh);
  return m;
}

/* Takes the registry lock; NULL with ERROR_NOT_ENOUGH_MEMORY. */
static wpu_plat_mutex *reg_lock(void) {
  wpu_plat_mutex *m = mutex_get(&registry_mutex);
  if (m != NULL)
    wpu_plat_mutex_lock(m);
  return m;
}

static int loader_lock(void) {
  if (atomic_load_explicit(&loader_owner, memory_order_relaxed) == &self_tag) {
    loader_depth++;
    return 1;
  }
  wpu_plat_mutex *m = mutex_get(&loader_mutex);
  if (m == NULL)
    return 0;
  wpu_plat_mutex_lock(m);
  atomic_store_explicit(&loader_owner, &self_tag, memory_order_relaxed);
  loader_depth = 1;
  return 1;
}

static void loader_unlock(void) {
  if (--loader_depth != 0)
    return;
  atomic_store_explicit(&loader_owner, NULL, memory_order_relaxed);
  wpu_plat_mutex_unlock(atomic_load(&loader_mutex));
}

static void *fail(DWORD err) {
  SetLastError(err);
  return NULL;
}

/* The module r names (registry lock held): steps 1-3 of the search.
 * only_live: loaded modules only. */
static wpu_module *lookup_locked(const request *r, int only_live) {
  for (int pass = 0; pass < 4; pass++) {
    for (wpu_module *m = modules; m != NULL; m = m->next) {
      if ((pass < 2) != (m->registered != 0))
        continue;
      if ((only_live || !m->registered) && m->state == UNLOADED)
        continue;
      if (pass % 2 == 0 ? wpu__module_path_eq(m->full, r->full)
                        : (m->registered || !r->has_dir) &&
                              wpu__module_path_eq(m->file, r->name))
        return m;
    }
  }
  return NULL;
}

/* The loaded module h is (registry lock held), or NULL. */
static wpu_module *live_locked(HMODULE h) {
  for (wpu_module *m = modules; m != NULL; m = m->next)
    if (m == (wpu_module *)h && m->state != UNLOADED)
      return m;
  return NULL;
}

static void unlink_locked(wpu_module *m) {
  for (wpu_module **p = &modules; *p != NULL; p = &(*p)->next) {
    if (*p == m) {
      *p = m->next;
      return;
    }
  }
}

static void append_locked(wpu_module *m) {
  wpu_module **p = &modules;
  while (*p != NULL)
    p = &(*p)->next;
  m->next = NULL;
  *p = m;
}

static void module_free(wpu_module *m) {
  if (m == NULL)
    return;
  m->magic = 0;
  free(m->full);
  free(m->exports);
  free(m);
}

/* The main program's path, "Z:" + the Linux path (registry lock held). */
static const WCHAR *main_path_locked(void) {
  if (main_module.full != NULL)
    return main_module.full;
  char exe[PATH_MAX + 1];
  ssize_t n = readlink("/proc/self/exe", exe, PATH_MAX);
  if (n <= 0)
    n = 0;
  exe[n] = 0;
  main_path[0] = 'Z';
  main_path[1] = ':';
  int w = MultiByteToWideChar(CP_UTF8, 0, exe, -1, main_path + 2, PATH_MAX + 2);
  if (w <= 0)
    main_path[2] = 0;
  for (WCHAR *p = main_path; *p != 0; p++)
    if (*p == '/')
      *p = '\\';
  main_module.full = main_path;
  main_module.file = wpu__module_file_part(main_path);
  return main_path;
}

/* Runs DllMain(DLL_PROCESS_ATTACH) of m, which the caller marked ATTACHING
 * with one reference (loader lock held, registry lock not). */
static HMODULE attach(wpu_module *m, DWORD flags) {
  int call = m->dll_main != NULL && !(flags & DONT_RESOLVE_DLL_REFERENCES);
  BOOL ok = TRUE;
  if (call) {
    ok = m->dll_main((HINSTANCE)m, DLL_PROCESS_ATTACH, NULL);
    if (!ok)
      m->dll_main((HINSTANCE)m, DLL_PROCESS_DETACH, NULL);
  }
  wpu_plat_mutex *lock = reg_lock(); /* exists: the caller took it before */
  void *so = NULL;
  if (ok) {
    m->state = LOADED;
    m->attached = call;
  } else {
    m->state = UNLOADED;
    m->refs = 0;
    m->attached = 0;
    if (!m->registered) {
      unlink_locked(m);
      so = m->so;
    }
  }
  wpu_plat_mutex_unlock(lock);
  if (ok)
    return (HMODULE)m;
  if (so != NULL) {
    dlclose(so);
    module_free(m);
  }
  return fail(ERROR_DLL_INIT_FAILED);
}

/* Step 4: a shared object (loader lock held). */
static HMODULE load_shared_object(const request *r, DWORD flags) {
  char *path = wpu__module_linux_path(r->full);
  if (path == NULL)
    return fail(ERROR_NOT_ENOUGH_MEMORY);
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
    free(path);
    return fail(ERROR_MOD_NOT_FOUND);
  }
  void *so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  free(path);
  if (so == NULL)
    return fail(ERROR_BAD_EXE_FORMAT);
  wpu_module *fresh = calloc(1, sizeof *fresh);
  size_t n = wpu_wcslen(r->full);
  WCHAR *full = fresh != NULL ? malloc((n + 1) * sizeof *full) : NULL;
  wpu_plat_mutex *lock = full != NULL ? reg_lock() : NULL;
  if (lock == NULL) {
    free(full);
    free(fresh);
    dlclose(so);
    return fail(ERROR_NOT_ENOUGH_MEMORY);
  }
  for (wpu_module *m = modules; m != NULL; m = m->next) {
    if (!m->registered && m->so == so && m->state != UNLOADED) {
      HMODULE found = NULL;
      if (m->state == DETACHING) {
        SetLastError(ERROR_MOD_NOT_FOUND);
      } else {
        m->refs++;
        found = (HMODULE)m;
      }
      wpu_plat_mutex_unlock(lock);
      free(full);
      free(fresh);
      dlclose(so); /* dlopen counted a reference of its own */
      return found;
    }
  }
  memcpy(full, r->full, (n + 1) * sizeof *full);
  fresh->magic = MODULE_MAGIC;
  fresh->full = full;
  fresh->file = wpu__module_file_part(full);
  fresh->so = so;
  fresh->refs = 1;
  fresh->state = ATTACHING;
  append_locked(fresh);
  wpu_plat_mutex_unlock(lock);
  /* dlsym yields an object pointer; DllMain is WINAPI code. */
  void *entry = dlsym(so, "DllMain");
  memcpy(&fresh->dll_main, &entry, sizeof entry);
  return attach(fresh, flags);
}

HMODULE WINAPI LoadLibraryExW(LPCWSTR lpLibFileName, HANDLE hFile,
                              DWORD dwFlags) {
  WPU_KERNEL32_HOOK("LoadLibraryExW", NULL);
  if (lpLibFileName == NULL || hFile != NULL ||
      (dwFlags & ~(DWORD)HARMLESS_FLAGS) != 0)
    return fail(ERROR_INVALID_PARAMETER);
  if (lpLibFileName[0] == 0)
    return fail(ERROR_MOD_NOT_FOUND);
  request r;
  if (!wpu__module_request_make(&r, lpLibFileName, 1, 1))
    return NULL;
  if (!loader_lock()) {
    wpu__module_request_free(&r);
    return NULL;
  }
  HMODULE result = NULL;
  wpu_plat_mutex *lock = reg_lock();
  if (lock != NULL) {
    wpu_module *m = lookup_locked(&r, 0);
    if (m == NULL) {
      wpu_plat_mutex_unlock(lock);
      result = load_shared_object(&r, dwFlags);
    } else if (m->state == DETACHING) {
      wpu_plat_mutex_unlock(lock);
      SetLastError(ERROR_MOD_NOT_FOUND);
    } else if (m->state != UNLOADED) {
      m->refs++;
      wpu_plat_mutex_unlock(lock);
      result = (HMODULE)m;
    } else {
      m->state = ATTACHING;
      m->refs = 1;
      wpu_plat_mutex_unlock(lock);
      result = attach(m, dwFlags);
    }
  }
  loader_unlock();
  wpu__module_request_free(&r);
  return result;
}

HMODULE WINAPI LoadLibraryW(LPCWSTR lpLibFileName) {
  return LoadLibraryExW(lpLibFileName, NULL, 0);
}

HMODULE WINAPI LoadLibraryExA(LPCSTR lpLibFileName, HANDLE hFile,
                              DWORD dwFlags) {
  int failed;
  WCHAR *name = wpu__module_from_acp(lpLibFileName, &failed);
  if (failed)
    return NULL;
  HMODULE m = LoadLibraryExW(name, hFile, dwFlags);
  free(name);
  return m;
}

HMODULE WINAPI LoadLibraryA(LPCSTR lpLibFileName) {
  return LoadLibraryExA(lpLibFileName, NULL, 0);
}

BOOL WINAPI FreeLibrary(HMODULE hLibModule) {
  if (hLibModule == NULL) {
    SetLastError(ERROR_INVALID_HANDLE);
    return FALSE;
  }
  if (hLibModule == (HMODULE)&main_module)
    return TRUE;
  if (!loader_lock())
    return FALSE;
  wpu_plat_mutex *lock = reg_lock();
  wpu_module *m = lock != NULL ? live_locked(hLibModule) : NULL;
  if (m == NULL) {
    if (lock != NULL) {
      wpu_plat_mutex_unlock(lock);
      SetLastError(ERROR_MOD_NOT_FOUND);
    }
    loader_unlock();
    return FALSE;
  }
  if (m->refs > 1 || m->state != LOADED) {
    if (m->refs > 1)
      m->refs--;
    wpu_plat_mutex_unlock(lock);
    loader_unlock();
    return TRUE;
  }
  m->refs = 0;
  m->state = DETACHING;
  wpu_plat_mutex_unlock(lock);
  if (m->attached)
    m->dll_main((HINSTANCE)m, DLL_PROCESS_DETACH, NULL);
  lock = reg_lock();
  void *so = NULL;
  m->state = UNLOADED;
  m->attached = 0;
  if (!m->registered) {
    unlink_locked(m);
    so = m->so;
  }
  wpu_plat_mutex_unlock(lock);
  if (so != NULL) {
    dlclose(so);
    module_free(m);
  }
  loader_unlock();
  return TRUE;
}

/* The export of a registration (registry lock held). */
static FARPROC export_locked(const wpu_module *m, const char *name) {
  for (size_t i = 0; i < m->n_exports; i++)
    if (m->exports[i].name != NULL && strcmp(m->exports[i].name, name) == 0)
      return m->exports[i].proc;
  return NULL;
}

FARPROC WINAPI GetProcAddress(HMODULE hModule, LPCSTR lpProcName) {
  WPU_KERNEL32_HOOK("GetProcAddress", NULL);
  if (hModule == NULL || hModule == (HMODULE)&main_module)
    return fail(ERROR_PROC_NOT_FOUND);
  wpu_plat_mutex *lock = reg_lock();
  if (lock == NULL)
    return NULL;
  wpu_module *m = live_locked(hModule);
  int ordinal = ((uintptr_t)lpProcName >> 16) == 0;
  FARPROC proc = NULL;
  void *so = NULL;
  WCHAR path[MAX_PATH]; /* for the hooks (wpu/hooks.h) */
  path[0] = 0;
  if (m != NULL && !ordinal) {
    if (m->registered)
      proc = export_locked(m, lpProcName);
    else
      so = m->so;
    size_t n = wpu_wcslen(m->full);
    if (n < MAX_PATH)
      memcpy(path, m->full, (n + 1) * sizeof *path);
  }
  wpu_plat_mutex_unlock(lock);
  if (m == NULL)
    return fail(ERROR_MOD_NOT_FOUND);
  if (so != NULL) {
    /* dlsym outside the registry lock (a constructor running inside dlopen
     * may call in here), under the loader lock, which keeps dlclose away;
     * then check that the module is still the one asked about. */
    if (!loader_lock())
      return NULL;
    lock = reg_lock();
    int same = live_locked(hModule) == m && m->so == so;
    wpu_plat_mutex_unlock(lock);
    if (!same) {
      loader_unlock();
      return fail(ERROR_MOD_NOT_FOUND);
    }
    void *sym = dlsym(so, lpProcName);
    loader_unlock();
    memcpy(&proc, &sym, sizeof sym); /* dlsym gives an object pointer */
  }
  if (proc == NULL)
    SetLastError(ERROR_PROC_NOT_FOUND);
  return wpu_hook_wrap_export(lpProcName, proc, path);
}

HMODULE WINAPI GetModuleHandleW(LPCWSTR lpModuleName) {
  if (lpModuleName == NULL)
    return (HMODULE)&main_module;
  request r;
  if (!wpu__module_request_make(&r, lpModuleName, 0, 1))
    return NULL;
  wpu_plat_mutex *lock = reg_lock();
  wpu_module *m = NULL;
  if (lock != NULL) {
    m = lookup_locked(&r, 1);
    wpu_plat_mutex_unlock(lock);
    if (m == NULL)
      SetLastError(ERROR_MOD_NOT_FOUND);
  }
  wpu__module_request_free(&r);
  return (HMODULE)m;
}

HMODULE WINAPI GetModuleHandleA(LPCSTR lpModuleName) {
  if (lpModuleName == NULL)
    return (HMODULE)&main_module;
  int failed;
  WCHAR *name = wpu__module_from_acp(lpModuleName, &failed);
  if (failed)
    return NULL;
  HMODULE m = GetModuleHandleW(name);
  free(name);
  return m;
}

/* A copy of the module's file name, or NULL with the last error set. */
static WCHAR *file_name_dup(HMODULE h) {
  wpu_plat_mutex *lock = reg_lock();
  if (lock == NULL)
    return NULL;
  const WCHAR *src = NULL;
  if (h == NULL || h == (HMODULE)&main_module) {
    src = main_path_locked();
  } else {
    wpu_module *m = live_locked(h);
    if (m != NULL)
      src = m->full;
  }
  WCHAR *copy = NULL;
  if (src != NULL) {
    size_t n = wpu_wcslen(src);
    copy = malloc((n + 1) * sizeof *copy);
    if (copy != NULL)
      memcpy(copy, src, (n + 1) * sizeof *copy);
  }
  wpu_plat_mutex_unlock(lock);
  if (copy == NULL)
    SetLastError(src == NULL ? ERROR_MOD_NOT_FOUND : ERROR_NOT_ENOUGH_MEMORY);
  return copy;
}

DWORD WINAPI GetModuleFileNameW(HMODULE hModule, LPWSTR lpFilename,
                                DWORD nSize) {
  WCHAR *name = file_name_dup(hModule);
  if (name == NULL)
    return 0;
  size_t n = wpu_wcslen(name);
  DWORD ret;
  if (nSize == 0 || lpFilename == NULL) {
    SetLastError(nSize == 0 ? ERROR_INSUFFICIENT_BUFFER
                            : ERROR_INVALID_PARAMETER);
    ret = 0;
  } else if (n < nSize) {
    memcpy(lpFilename, name, (n + 1) * sizeof *name);
    ret = (DWORD)n;
  } else {
    memcpy(lpFilename, name, (nSize - 1) * sizeof *name);
    lpFilename[nSize - 1] = 0;
    SetLastError(ERROR_INSUFFICIENT_BUFFER);
    ret = nSize;
  }
  free(name);
  return ret;
}

DWORD WINAPI GetModuleFileNameA(HMODULE hModule, LPSTR lpFilename,
                                DWORD nSize) {
  WCHAR *name = file_name_dup(hModule);
  if (name == NULL)
    return 0;
  int bytes = WideCharToMultiByte(CP_ACP, 0, name, -1, NULL, 0, NULL, NULL);
  char *a = bytes > 0 ? malloc((size_t)bytes) : NULL;
  DWORD ret = 0;
  if (a == NULL) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
  } else {
    WideCharToMultiByte(CP_ACP, 0, name, -1, a, bytes, NULL, NULL);
    size_t n = (size_t)bytes - 1;
    if (nSize == 0 || lpFilename == NULL) {
      SetLastError(nSize == 0 ? ERROR_INSUFFICIENT_BUFFER
                              : ERROR_INVALID_PARAMETER);
    } else if (n < nSize) {
      memcpy(lpFilename, a, n + 1);
      ret = (DWORD)n;
    } else {
      memcpy(lpFilename, a, nSize - 1);
      lpFilename[nSize - 1] = 0;
      SetLastError(ERROR_INSUFFICIENT_BUFFER);
      ret = nSize;
    }
  }
  free(a);
  free(name);
  return ret;
}

BOOL WINAPI DisableThreadLibraryCalls(HMODULE hLibModule) {
  if (hLibModule == (HMODULE)&main_module)
    return TRUE;
  wpu_plat_mutex *lock = reg_lock();
  if (lock == NULL)
    return FALSE;
  wpu_module *m = live_locked(hLibModule);
  wpu_plat_mutex_unlock(lock);
  if (m == NULL) {
    SetLastError(ERROR_MOD_NOT_FOUND);
    return FALSE;
  }
  return TRUE;
}

/* The registration at exactly this expanded path (registry lock held). */
static wpu_module *registration_locked(const WCHAR *full) {
  for (wpu_module *m = modules; m != NULL; m = m->next)
    if (m->registered && wpu__module_path_eq(m->full, full))
      return m;
  return NULL;
}

DWORD wpu_module_register(const WCHAR *path, const wpu_export *exports,
                          size_t n, wpu_dll_main dll_main) {
  if (path == NULL || path[0] == 0 || (n > 0 && exports == NULL))
    return ERROR_INVALID_PARAMETER;
  if (n > SIZE_MAX / sizeof *exports)
    return ERROR_NOT_ENOUGH_MEMORY;
  request r;
  if (!wpu__module_request_make(&r, path, 1, 0))
    return GetLastError();
  wpu_module *fresh = calloc(1, sizeof *fresh);
  wpu_export *copy = malloc(n > 0 ? n * sizeof *copy : 1);
  wpu_plat_mutex *lock = fresh != NULL && copy != NULL ? reg_lock() : NULL;
  if (lock == NULL) {
    free(copy);
    free(fresh);
    wpu__module_request_free(&r);
    return ERROR_NOT_ENOUGH_MEMORY;
  }
  if (n > 0)
    memcpy(copy, exports, n * sizeof *copy);
  DWORD err = 0;
  wpu_module *m = registration_locked(r.full);
  if (m != NULL && m->state != UNLOADED) {
    err = ERROR_BUSY;
  } else if (m != NULL) {
    free(m->exports);
    m->exports = copy;
    m->n_exports = n;
    m->dll_main = dll_main;
    copy = NULL;
  } else {
    fresh->magic = MODULE_MAGIC;
    fresh->registered = 1;
    fresh->full = r.full;
    fresh->file = wpu__module_file_part(r.full);
    fresh->exports = copy;
    fresh->n_exports = n;
    fresh->dll_main = dll_main;
    fresh->state = UNLOADED;
    append_locked(fresh);
    r.full = NULL;
    fresh = NULL;
    copy = NULL;
  }
  wpu_plat_mutex_unlock(lock);
  free(copy);
  free(fresh);
  wpu__module_request_free(&r);
  return err;
}

DWORD wpu_module_unregister(const WCHAR *path) {
  if (path == NULL || path[0] == 0)
    return ERROR_INVALID_PARAMETER;
  request r;
  if (!wpu__module_request_make(&r, path, 1, 0))
    return GetLastError();
  wpu_plat_mutex *lock = reg_lock();
  if (lock == NULL) {
    wpu__module_request_free(&r);
    return ERROR_NOT_ENOUGH_MEMORY;
  }
  DWORD err = 0;
  wpu_module *m = registration_locked(r.full);
  if (m == NULL)
    err = ERROR_MOD_NOT_FOUND;
  else if (m->state != UNLOADED)
    err = ERROR_BUSY;
  else
    unlink_locked(m);
  wpu_plat_mutex_unlock(lock);
  if (err == 0)
    module_free(m);
  wpu__module_request_free(&r);
  return err;
}
