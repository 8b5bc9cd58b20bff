/* test_kernel32_modules.c: LoadLibrary(Ex)W/A, GetProcAddress, FreeLibrary,
 * GetModuleHandleW/A, GetModuleFileNameW/A and libwpu's module registry
 * (wpu/modules.h). On mingw-w64 the suite runs against Windows' kernel32
 * under Wine with real DLLs (ws2_32.dll); registrations and shared objects
 * loaded with dlopen are libwpu's and are tested inside #ifndef _WIN32. */
#include <winsock2.h>
#include <ws2spi.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fws2/fixture.h>

#ifndef _WIN32
#include <unistd.h>
#endif

#include <wpu/modules.h>

/* A WCHAR copy of an ASCII string (the tests write no L"..." literals);
 * eight buffers in rotation. */
static const WCHAR *w(const char *s) {
  static WCHAR bufs[8][512];
  static int next;
  WCHAR *b = bufs[next++ % 8];
  size_t i = 0;
  for (; s[i] != 0 && i < 511; i++)
    b[i] = (unsigned char)s[i];
  b[i] = 0;
  return b;
}

/* Function pointer casts through void (*)(void), as GCC wants them. */
#define FN(type, f) ((type)(void (*)(void))(f))

static size_t wlen(const WCHAR *s) {
  size_t n = 0;
  while (s[n] != 0)
    n++;
  return n;
}

static int lower(int c) {
  return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Whether ASCII text occurs in s, ignoring case. */
static int contains_ci(const WCHAR *s, const char *text) {
  size_t n = strlen(text);
  for (; *s != 0; s++) {
    size_t i = 0;
    while (i < n && s[i] != 0 && lower(s[i]) == lower(text[i]))
      i++;
    if (i == n)
      return 1;
  }
  return 0;
}

static int equal_ci(const WCHAR *s, const char *text) {
  return wlen(s) == strlen(text) && contains_ci(s, text);
}

/* The path of a DLL every system has, expanded as a layered provider
 * expands the catalog's path; on Linux a registration stands in for it. */
#ifdef _WIN32
#define SYSTEM_DLL          "ws2_32"
#define SYSTEM_DLL_PATH     "%SystemRoot%\\system32\\ws2_32.dll"
#define SYSTEM_EXPORT       "WSAStartup"
#define SYSTEM_EXPORT_LOWER "wsastartup"
#else
#define SYSTEM_DLL          "wpu_fake_system"
#define SYSTEM_DLL_PATH     "%SystemRoot%\\system32\\wpu_fake_system.dll"
#define SYSTEM_EXPORT       "WSPStartup"
#define SYSTEM_EXPORT_LOWER "wspstartup"
#endif

/* The registration wpu_module_register makes (both platforms; on Linux it
 * is also the "system DLL" above). */
#define REG_DLL      "wpu_fake_system"
#define REG_DLL_PATH "%SystemRoot%\\system32\\wpu_fake_system.dll"

static const WCHAR *expanded(const char *path) {
  static WCHAR buf[512];
  DWORD n = ExpandEnvironmentStringsW(w(path), buf, 512);
  assert_true(n > 0 && n <= 512);
  return buf;
}

/* ---- libwpu's registry (both platforms) ------------------------------ */

/* What the registered DllMains saw. */
static struct {
  LONG attach;
  LONG detach;
  HINSTANCE hinst;
  LPVOID attach_reserved;
  LPVOID detach_reserved;
  BOOL result; /* what DLL_PROCESS_ATTACH returns */
  DWORD sleep_ms;
  LONG ready; /* set at the end of DLL_PROCESS_ATTACH */
} seen;

static BOOL WINAPI record_dll_main(HINSTANCE h, DWORD reason, LPVOID rsv) {
  if (reason == DLL_PROCESS_ATTACH) {
    InterlockedIncrement(&seen.attach);
    seen.hinst = h;
    seen.attach_reserved = rsv;
    if (seen.sleep_ms != 0)
      Sleep(seen.sleep_ms);
    InterlockedExchange(&seen.ready, seen.result);
    return seen.result;
  }
  if (reason == DLL_PROCESS_DETACH) {
    InterlockedIncrement(&seen.detach);
    seen.detach_reserved = rsv;
    InterlockedExchange(&seen.ready, 0);
  }
  return TRUE;
}

static int WSPAPI fake_wsp_startup(WORD version, LPWSPDATA data,
                                   LPWSAPROTOCOL_INFOW info,
                                   WSPUPCALLTABLE upcalls,
                                   LPWSPPROC_TABLE procs) {
  (void)info;
  (void)upcalls;
  (void)procs;
  data->wVersion = version;
  return NO_ERROR;
}

static const wpu_export fake_exports[] = {
    {"WSPStartup", FN(FARPROC, fake_wsp_startup)},
};

static int registry_setup(void **state) {
  memset(&seen, 0, sizeof seen);
  seen.result = TRUE;
  seen.attach_reserved = seen.detach_reserved = (LPVOID)1;
  assert_int_equal(
      wpu_module_register(w(REG_DLL_PATH), fake_exports, 1, record_dll_main),
      0);
  return fws2_world_setup(state);
}

static int registry_teardown(void **state) {
  assert_int_equal(wpu_module_unregister(w(REG_DLL_PATH)), 0);
  return fws2_world_teardown(state);
}

/* ---- both platforms ------------------------------------------------- */

typedef int(WSPAPI *startup_fn)(WORD, LPWSPDATA, LPWSAPROTOCOL_INFOW,
                                WSPUPCALLTABLE, LPWSPPROC_TABLE);

static void
load_library_of_registered_path_calls_dll_main_attach_once(void **state) {
  (void)state;
  HMODULE m = LoadLibraryW(w(REG_DLL_PATH));
  assert_non_null(m);
  assert_int_equal(seen.attach, 1);
  assert_ptr_equal(LoadLibraryW(w(REG_DLL_PATH)), m);
  assert_ptr_equal(LoadLibraryW(expanded(REG_DLL_PATH)), m);
  assert_int_equal(seen.attach, 1);
  assert_int_equal(seen.detach, 0);
  for (int i = 0; i < 3; i++)
    assert_true(FreeLibrary(m));
}

static void free_library_of_last_reference_calls_dll_main_detach(void **state) {
  (void)state;
  HMODULE m = LoadLibraryW(w(REG_DLL_PATH));
  assert_ptr_equal(LoadLibraryW(w(REG_DLL)), m);
  assert_true(FreeLibrary(m));
  assert_int_equal(seen.detach, 0);
  assert_true(FreeLibrary(m));
  assert_int_equal(seen.detach, 1);
  assert_int_equal(seen.attach, 1);
  /* Loading it again attaches again. */
  m = LoadLibraryW(w(REG_DLL_PATH));
  assert_non_null(m);
  assert_int_equal(seen.attach, 2);
  assert_true(FreeLibrary(m));
  assert_int_equal(seen.detach, 2);
}

static void load_library_fails_with_dll_init_failed_when_dll_main_returns_false(
    void **state) {
  (void)state;
  seen.result = FALSE;
  SetLastError(0);
  assert_null(LoadLibraryW(w(REG_DLL_PATH)));
  assert_int_equal(GetLastError(), ERROR_DLL_INIT_FAILED);
  assert_int_equal(seen.attach, 1);
  assert_int_equal(seen.detach, 1); /* detached at once, as documented */
  assert_null(GetModuleHandleW(w(REG_DLL)));
  seen.result = TRUE;
  HMODULE m = LoadLibraryW(w(REG_DLL_PATH));
  assert_non_null(m);
  assert_int_equal(seen.attach, 2);
  assert_true(FreeLibrary(m));
}

static void get_proc_address_finds_registered_wsp_startup(void **state) {
  (void)state;
  HMODULE m = LoadLibraryW(w(REG_DLL_PATH));
  FARPROC p = GetProcAddress(m, "WSPStartup");
  assert_ptr_equal(p, FN(FARPROC, fake_wsp_startup));
  startup_fn startup = FN(startup_fn, p);
  WSPDATA data;
  memset(&data, 0, sizeof data);
  WSPUPCALLTABLE upcalls;
  memset(&upcalls, 0, sizeof upcalls);
  assert_int_equal(startup(MAKEWORD(2, 2), &data, NULL, upcalls, NULL), 0);
  assert_int_equal(data.wVersion, MAKEWORD(2, 2));
  assert_true(FreeLibrary(m));
}

static void
get_module_handle_finds_registered_module_only_while_loaded(void **state) {
  (void)state;
  SetLastError(0);
  assert_null(GetModuleHandleW(w(REG_DLL_PATH))); /* registered only */
  assert_int_equal(GetLastError(), ERROR_MOD_NOT_FOUND);
  HMODULE m = LoadLibraryW(w(REG_DLL_PATH));
  assert_ptr_equal(GetModuleHandleW(expanded(REG_DLL_PATH)), m);
  assert_ptr_equal(GetModuleHandleW(w("D:\\elsewhere\\" REG_DLL ".dll")), m);
  assert_ptr_equal(GetModuleHandleW(w(REG_DLL ".")), NULL);
  /* GetModuleHandle counts no reference. */
  assert_true(FreeLibrary(m));
  assert_int_equal(seen.detach, 1);
  assert_null(GetModuleHandleW(w(REG_DLL)));
}

static void wpu_module_register_fails_with_busy_while_loaded(void **state) {
  (void)state;
  HMODULE m = LoadLibraryW(w(REG_DLL_PATH));
  assert_int_equal(
      wpu_module_register(w(REG_DLL_PATH), NULL, 0, record_dll_main),
      ERROR_BUSY);
  assert_int_equal(wpu_module_unregister(expanded(REG_DLL_PATH)), ERROR_BUSY);
  assert_true(FreeLibrary(m));
}

static void registered_module_is_found_by_ansi_names_too(void **state) {
  (void)state;
  HMODULE m = LoadLibraryA("C:\\Somewhere\\" REG_DLL ".DLL");
  assert_non_null(m);
  assert_int_equal(seen.attach, 1);
  assert_ptr_equal(GetModuleHandleA(REG_DLL), m);
  assert_ptr_equal(GetProcAddress(m, "WSPStartup"),
                   FN(FARPROC, fake_wsp_startup));
  SetLastError(0);
  assert_null(GetProcAddress(m, "WSPCleanup"));
  assert_int_equal(GetLastError(), ERROR_PROC_NOT_FOUND);
  WCHAR path[512];
  assert_true(GetModuleFileNameW(m, path, 512) > 0);
  assert_true(contains_ci(path, REG_DLL ".dll"));
  assert_true(FreeLibrary(m));
  assert_int_equal(seen.detach, 1);
}

static void get_module_handle_of_null_is_the_main_program(void **state) {
  (void)state;
  HMODULE self = GetModuleHandleW(NULL);
  assert_non_null(self);
  assert_ptr_equal(GetModuleHandleA(NULL), self);
  WCHAR path[1024];
  DWORD n = GetModuleFileNameW(NULL, path, 1024);
  assert_true(n > 0 && n < 1024);
  assert_int_equal(wlen(path), n);
  assert_true(contains_ci(path, "test_kernel32_modules"));
  assert_int_equal(path[1], ':'); /* a drive letter: "Z:\..." on Linux */
  WCHAR again[1024];
  assert_int_equal(GetModuleFileNameW(self, again, 1024), n);
  assert_memory_equal(again, path, (n + 1) * sizeof(WCHAR));
  assert_true(FreeLibrary(self)); /* does nothing */
  assert_ptr_equal(GetModuleHandleW(NULL), self);
}

static void get_module_file_name_truncates_and_fails_with_insufficient_buffer(
    void **state) {
  (void)state;
  WCHAR full[1024];
  DWORD n = GetModuleFileNameW(NULL, full, 1024);
  assert_true(n > 5);
  WCHAR tiny[8];
  for (int i = 0; i < 8; i++)
    tiny[i] = '#';
  SetLastError(0);
  assert_int_equal(GetModuleFileNameW(NULL, tiny, 5), 5);
  assert_int_equal(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
  assert_memory_equal(tiny, full, 4 * sizeof(WCHAR));
#ifndef _WIN32
  /* Vista and later (documented): size - 1 characters and a NUL. (Wine
   * keeps XP's behaviour: size characters, no NUL.) */
  assert_int_equal(tiny[4], 0);
#endif
  assert_int_equal(tiny[5], '#');
  /* Exactly the length: no room for the NUL either. */
  WCHAR *exact = malloc(n * sizeof *exact);
  assert_non_null(exact);
  SetLastError(0);
  assert_int_equal(GetModuleFileNameW(NULL, exact, n), n);
  assert_int_equal(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
#ifndef _WIN32
  assert_int_equal(exact[n - 1], 0);
#endif
  free(exact);
  SetLastError(0);
  assert_int_equal(GetModuleFileNameW(NULL, tiny, 0), 0);
  assert_int_equal(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
  SetLastError(1234);
  assert_int_equal(GetModuleFileNameW(NULL, full, n + 1), n);
#ifndef _WIN32
  /* libwpu's choice on success, which the documentation leaves open (Wine
   * clears the last error). */
  assert_int_equal(GetLastError(), 1234);
#endif
}

static void
get_module_file_name_a_counts_bytes_like_the_w_function(void **state) {
  (void)state;
  WCHAR wide[1024];
  char narrow[1024];
  DWORD n = GetModuleFileNameW(NULL, wide, 1024);
  assert_int_equal(GetModuleFileNameA(NULL, narrow, 1024), n);
  for (DWORD i = 0; i < n; i++)
    if (wide[i] < 0x80)
      assert_int_equal(narrow[i], (char)wide[i]);
  char tiny[8];
  memset(tiny, '#', sizeof tiny);
  SetLastError(0);
  assert_int_equal(GetModuleFileNameA(NULL, tiny, 3), 3);
  assert_int_equal(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
#ifndef _WIN32
  assert_int_equal(tiny[2], 0); /* Wine: no NUL, as on XP */
#endif
  assert_int_equal(tiny[3], '#');
}

static void
load_library_of_missing_file_fails_with_mod_not_found(void **state) {
  (void)state;
  SetLastError(0);
  assert_null(LoadLibraryW(w("C:\\wpu-nonexistent\\wpu_missing.dll")));
  assert_int_equal(GetLastError(), ERROR_MOD_NOT_FOUND);
  SetLastError(0);
  assert_null(LoadLibraryA("wpu_missing_module_name.dll"));
  assert_int_equal(GetLastError(), ERROR_MOD_NOT_FOUND);
  SetLastError(0);
  assert_null(LoadLibraryExW(w("wpu_missing_module_name"), NULL, 0));
  assert_int_equal(GetLastError(), ERROR_MOD_NOT_FOUND);
}

static void load_library_of_null_fails_with_invalid_parameter(void **state) {
  (void)state;
  SetLastError(0);
  assert_null(LoadLibraryW(NULL));
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_null(LoadLibraryA(NULL));
#ifdef _WIN32
  /* Undocumented; Wine reports ERROR_MOD_NOT_FOUND for the A function. */
  assert_true(GetLastError() == ERROR_INVALID_PARAMETER ||
              GetLastError() == ERROR_MOD_NOT_FOUND);
#else
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
#endif
}

static void free_library_of_null_fails_with_invalid_handle(void **state) {
  (void)state;
  SetLastError(0);
  assert_false(FreeLibrary(NULL));
  assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
}

static void
get_module_handle_of_unknown_name_fails_with_mod_not_found(void **state) {
  (void)state;
  SetLastError(0);
  assert_null(GetModuleHandleW(w("wpu_never_loaded.dll")));
  assert_int_equal(GetLastError(), ERROR_MOD_NOT_FOUND);
  SetLastError(0);
  assert_null(GetModuleHandleA("wpu_never_loaded"));
  assert_int_equal(GetLastError(), ERROR_MOD_NOT_FOUND);
}

static void
load_library_expands_system_root_and_matches_by_file_name(void **state) {
  (void)state;
  HMODULE m = LoadLibraryW(expanded(SYSTEM_DLL_PATH));
  assert_non_null(m);
  /* Other case, no directory, no extension: the same module, counted. */
  assert_ptr_equal(LoadLibraryW(w(SYSTEM_DLL)), m);
  assert_ptr_equal(LoadLibraryA("C:\\WINDOWS\\SYSTEM32\\" SYSTEM_DLL ".DLL"),
                   m);
  assert_ptr_equal(GetModuleHandleW(w(SYSTEM_DLL ".dll")), m);
  assert_ptr_equal(GetModuleHandleA(SYSTEM_DLL), m);
  WCHAR path[512];
  DWORD n = GetModuleFileNameW(m, path, 512);
  assert_true(n > 0);
  assert_true(equal_ci(path, "C:\\windows\\system32\\" SYSTEM_DLL ".dll"));
  assert_non_null(GetProcAddress(m, SYSTEM_EXPORT));
  assert_true(FreeLibrary(m));
  assert_true(FreeLibrary(m));
  assert_true(FreeLibrary(m));
}

static void
get_proc_address_of_unknown_name_fails_with_proc_not_found(void **state) {
  (void)state;
  HMODULE m = LoadLibraryW(expanded(SYSTEM_DLL_PATH));
  assert_non_null(m);
  SetLastError(0);
  assert_null(GetProcAddress(m, "WpuNoSuchFunction"));
  assert_int_equal(GetLastError(), ERROR_PROC_NOT_FOUND);
  SetLastError(0);
  /* Names are case-sensitive. */
  assert_null(GetProcAddress(m, SYSTEM_EXPORT_LOWER));
  assert_int_equal(GetLastError(), ERROR_PROC_NOT_FOUND);
  assert_true(FreeLibrary(m));
}

static void
get_proc_address_by_ordinal_fails_with_proc_not_found(void **state) {
  (void)state;
  HMODULE m = LoadLibraryW(expanded(SYSTEM_DLL_PATH));
  assert_non_null(m);
  SetLastError(0);
  assert_null(GetProcAddress(m, (LPCSTR)(uintptr_t)60000));
  assert_int_equal(GetLastError(), ERROR_PROC_NOT_FOUND);
  assert_true(FreeLibrary(m));
}

/* ---- libwpu's registry (Linux) -------------------------------------- */

#ifndef _WIN32

static void
dll_main_receives_the_module_handle_and_null_reserved(void **state) {
  (void)state;
  HMODULE m = LoadLibraryW(w(SYSTEM_DLL_PATH));
  assert_non_null(m);
  assert_ptr_equal(seen.hinst, (HINSTANCE)m);
  assert_null(seen.attach_reserved); /* a dynamic load */
  WCHAR path[512];
  assert_true(GetModuleFileNameW((HMODULE)seen.hinst, path, 512) > 0);
  assert_true(FreeLibrary(m));
  assert_null(seen.detach_reserved); /* a FreeLibrary, not process exit */
}

static void
get_proc_address_of_freed_module_fails_with_mod_not_found(void **state) {
  (void)state;
  HMODULE m = LoadLibraryW(w(SYSTEM_DLL_PATH));
  assert_true(FreeLibrary(m));
  SetLastError(0);
  assert_null(GetProcAddress(m, "WSPStartup"));
  assert_int_equal(GetLastError(), ERROR_MOD_NOT_FOUND);
  SetLastError(0);
  assert_null(GetProcAddress((HMODULE)&seen, "WSPStartup")); /* made up */
  assert_int_equal(GetLastError(), ERROR_MOD_NOT_FOUND);
  SetLastError(0);
  assert_int_equal(GetModuleFileNameW(m, (WCHAR[8]){0}, 8), 0);
  assert_int_equal(GetLastError(), ERROR_MOD_NOT_FOUND);
}

static void
free_library_of_freed_module_fails_with_mod_not_found(void **state) {
  (void)state;
  HMODULE m = LoadLibraryW(w(SYSTEM_DLL_PATH));
  assert_true(FreeLibrary(m));
  SetLastError(0);
  assert_false(FreeLibrary(m));
  assert_int_equal(GetLastError(), ERROR_MOD_NOT_FOUND);
  assert_int_equal(seen.detach, 1);
  SetLastError(0);
  assert_false(FreeLibrary((HMODULE)&seen));
  assert_int_equal(GetLastError(), ERROR_MOD_NOT_FOUND);
}

static void
get_module_file_name_of_registered_module_is_its_expanded_path(void **state) {
  (void)state;
  HMODULE m = LoadLibraryW(w("wpu_fake_system.dll"));
  assert_non_null(m);
  WCHAR path[512];
  DWORD n = GetModuleFileNameW(m, path, 512);
  assert_int_equal(n, strlen("C:\\Windows\\system32\\wpu_fake_system.dll"));
  assert_true(equal_ci(path, "C:\\Windows\\system32\\wpu_fake_system.dll"));
  char narrow[512];
  assert_int_equal(GetModuleFileNameA(m, narrow, 512), n);
  assert_string_equal(narrow, "C:\\Windows\\system32\\wpu_fake_system.dll");
  assert_true(FreeLibrary(m));
}

static void
load_library_appends_dll_only_to_names_without_extension(void **state) {
  (void)state;
  HMODULE m = LoadLibraryW(w("WPU_FAKE_SYSTEM"));
  assert_non_null(m);
  SetLastError(0);
  assert_null(LoadLibraryW(w("wpu_fake_system.")));
  assert_int_equal(GetLastError(), ERROR_MOD_NOT_FOUND);
  SetLastError(0);
  assert_null(LoadLibraryW(w("wpu_fake_system.drv")));
  assert_int_equal(GetLastError(), ERROR_MOD_NOT_FOUND);
  assert_true(FreeLibrary(m));
}

static void
load_library_ex_with_file_handle_fails_with_invalid_parameter(void **state) {
  (void)state;
  /* The documentation: hFile is reserved and must be NULL. (Wine ignores
   * it.) */
  SetLastError(0);
  assert_null(LoadLibraryExW(w(SYSTEM_DLL_PATH), (HANDLE)1, 0));
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  assert_int_equal(seen.attach, 0);
}

static void load_library_ex_rejects_data_file_flags(void **state) {
  (void)state;
  static const DWORD unsupported[] = {
      LOAD_LIBRARY_AS_DATAFILE, LOAD_LIBRARY_AS_DATAFILE_EXCLUSIVE,
      LOAD_LIBRARY_AS_IMAGE_RESOURCE, 0x80000000u};
  for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++) {
    SetLastError(0);
    assert_null(LoadLibraryExW(w(SYSTEM_DLL_PATH), NULL, unsupported[i]));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  }
  assert_int_equal(seen.attach, 0);
}

static void load_library_ex_accepts_search_flags(void **state) {
  (void)state;
  HMODULE m = LoadLibraryExW(w(SYSTEM_DLL_PATH), NULL,
                             LOAD_WITH_ALTERED_SEARCH_PATH |
                                 LOAD_LIBRARY_SEARCH_SYSTEM32);
  assert_non_null(m);
  assert_int_equal(seen.attach, 1);
  assert_ptr_equal(
      LoadLibraryExA(SYSTEM_DLL, NULL, LOAD_LIBRARY_SEARCH_DEFAULT_DIRS), m);
  assert_true(FreeLibrary(m));
  assert_true(FreeLibrary(m));
  assert_int_equal(seen.detach, 1);
}

static void
load_library_ex_dont_resolve_dll_references_skips_dll_main(void **state) {
  (void)state;
  HMODULE m =
      LoadLibraryExW(w(SYSTEM_DLL_PATH), NULL, DONT_RESOLVE_DLL_REFERENCES);
  assert_non_null(m);
  assert_non_null(GetProcAddress(m, "WSPStartup"));
  assert_int_equal(seen.attach, 0);
  assert_true(FreeLibrary(m));
  assert_int_equal(seen.detach, 0);
}

/* A second module whose DllMain loads the first one and frees it again. */
/* (No cmocka assertions inside DllMain: they would jump out of the loader
 * with its lock held.) */
static HMODULE nested_inner;
static LONG nested_attach;
static LONG nested_detach;
static BOOL nested_ok;

static BOOL WINAPI nesting_dll_main(HINSTANCE h, DWORD reason, LPVOID rsv) {
  (void)rsv;
  if (reason == DLL_PROCESS_ATTACH) {
    nested_attach++;
    nested_inner = LoadLibraryW(w(SYSTEM_DLL_PATH));
    nested_ok = GetModuleHandleW(w("wpu_nesting.dll")) == (HMODULE)h &&
                DisableThreadLibraryCalls((HMODULE)h);
    return nested_inner != NULL;
  }
  if (reason == DLL_PROCESS_DETACH) {
    nested_detach++;
    nested_ok = nested_ok && FreeLibrary(nested_inner);
  }
  return TRUE;
}

static void dll_main_may_load_and_free_another_module(void **state) {
  (void)state;
  assert_int_equal(wpu_module_register(w("C:\\lsp\\wpu_nesting.dll"), NULL, 0,
                                       nesting_dll_main),
                   0);
  nested_attach = nested_detach = 0;
  nested_ok = FALSE;
  HMODULE outer = LoadLibraryW(w("C:\\lsp\\wpu_nesting.dll"));
  assert_non_null(outer);
  assert_int_equal(nested_attach, 1);
  assert_int_equal(seen.attach, 1);
  assert_ptr_equal(GetModuleHandleW(w(SYSTEM_DLL)), nested_inner);
  assert_true(FreeLibrary(outer));
  assert_int_equal(nested_detach, 1);
  assert_true(nested_ok);
  assert_int_equal(seen.detach, 1);
  assert_int_equal(wpu_module_unregister(w("C:\\lsp\\wpu_nesting.dll")), 0);
}

#define LOADERS 8

static HANDLE loaders_go;
static WCHAR loaders_path[512]; /* w() is not thread-safe */
static HMODULE loaded_by[LOADERS];
static LONG ready_after_load[LOADERS];

static DWORD WINAPI loader_thread(LPVOID arg) {
  size_t i = (size_t)(uintptr_t)arg;
  WaitForSingleObject(loaders_go, INFINITE);
  loaded_by[i] = LoadLibraryW(loaders_path);
  ready_after_load[i] = InterlockedCompareExchange(&seen.ready, 0, 0);
  return 0;
}

static void load_library_from_many_threads_attaches_once(void **state) {
  (void)state;
  seen.sleep_ms = 50; /* a slow DllMain: the others must wait for it */
  memcpy(loaders_path, w(SYSTEM_DLL_PATH), sizeof loaders_path);
  loaders_go = CreateEventW(NULL, TRUE, FALSE, NULL);
  assert_non_null(loaders_go);
  HANDLE threads[LOADERS];
  for (size_t i = 0; i < LOADERS; i++) {
    threads[i] =
        CreateThread(NULL, 0, loader_thread, (LPVOID)(uintptr_t)i, 0, NULL);
    assert_non_null(threads[i]);
  }
  assert_true(SetEvent(loaders_go));
  assert_int_equal(WaitForMultipleObjects(LOADERS, threads, TRUE, 10000),
                   WAIT_OBJECT_0);
  assert_int_equal(seen.attach, 1);
  for (size_t i = 0; i < LOADERS; i++) {
    assert_ptr_equal(loaded_by[i], loaded_by[0]);
    assert_int_equal(ready_after_load[i], TRUE);
    CloseHandle(threads[i]);
  }
  CloseHandle(loaders_go);
  for (size_t i = 0; i < LOADERS; i++)
    assert_true(FreeLibrary(loaded_by[i]));
  assert_int_equal(seen.detach, 1);
}

static void wpu_module_register_rejects_bad_arguments(void **state) {
  (void)state;
  assert_int_equal(wpu_module_register(NULL, NULL, 0, NULL),
                   ERROR_INVALID_PARAMETER);
  assert_int_equal(wpu_module_register(w(""), NULL, 0, NULL),
                   ERROR_INVALID_PARAMETER);
  assert_int_equal(wpu_module_register(w("C:\\x.dll"), NULL, 1, NULL),
                   ERROR_INVALID_PARAMETER);
  assert_int_equal(wpu_module_unregister(w("C:\\wpu\\never_registered.dll")),
                   ERROR_MOD_NOT_FOUND);
  assert_int_equal(wpu_module_unregister(NULL), ERROR_INVALID_PARAMETER);
}

static void
wpu_module_register_replaces_exports_of_unloaded_module(void **state) {
  (void)state;
  static const wpu_export other[] = {
      {"WSPStartupEx", FN(FARPROC, fake_wsp_startup)},
  };
  /* The same path written differently names the same registration. */
  assert_int_equal(wpu_module_register(w("c:\\windows\\SYSTEM32\\"
                                         "wpu_fake_system.dll"),
                                       other, 1, NULL),
                   0);
  HMODULE m = LoadLibraryW(w(SYSTEM_DLL));
  assert_null(GetProcAddress(m, "WSPStartup"));
  assert_non_null(GetProcAddress(m, "WSPStartupEx"));
  assert_int_equal(seen.attach, 0); /* no DllMain now */
  assert_true(FreeLibrary(m));
  assert_int_equal(
      wpu_module_register(w(SYSTEM_DLL_PATH), fake_exports, 1, record_dll_main),
      0);
}

/* ---- shared objects (Linux) ----------------------------------------- */

typedef void(WINAPI *watch_fn)(LONG *calls, LPVOID *reserved);

static void load_library_of_shared_object_calls_dll_main_and_finds_wsp_startup(
    void **state) {
  (void)state;
  HMODULE m = LoadLibraryA(WPU_TEST_MODULE_SO);
  assert_non_null(m);
  LONG *attach = (LONG *)GetProcAddress(m, "test_so_attach_calls");
  HINSTANCE *hinst = (HINSTANCE *)GetProcAddress(m, "test_so_hinstance");
  LPVOID *reserved = (LPVOID *)GetProcAddress(m, "test_so_attach_reserved");
  assert_non_null(attach);
  assert_non_null(hinst);
  assert_non_null(reserved);
  assert_int_equal(*attach, 1);
  assert_ptr_equal(*hinst, (HINSTANCE)m);
  assert_null(*reserved);
  startup_fn startup = FN(startup_fn, GetProcAddress(m, "WSPStartup"));
  assert_non_null(startup);
  WSPDATA data;
  memset(&data, 0, sizeof data);
  WSPUPCALLTABLE upcalls;
  memset(&upcalls, 0, sizeof upcalls);
  assert_int_equal(startup(MAKEWORD(2, 2), &data, NULL, upcalls, NULL), 0);
  assert_int_equal(data.wHighVersion, MAKEWORD(2, 2));
  SetLastError(0);
  assert_null(GetProcAddress(m, "NoSuchSymbol"));
  assert_int_equal(GetLastError(), ERROR_PROC_NOT_FOUND);
  /* Again: the same module, attached once. */
  assert_ptr_equal(LoadLibraryA(WPU_TEST_MODULE_SO), m);
  assert_int_equal(*attach, 1);
  assert_true(FreeLibrary(m));
  assert_true(FreeLibrary(m));
}

static void
free_library_of_shared_object_calls_detach_and_unloads(void **state) {
  (void)state;
  HMODULE m = LoadLibraryA(WPU_TEST_MODULE_SO);
  assert_non_null(m);
  watch_fn watch = FN(watch_fn, GetProcAddress(m, "test_so_watch"));
  assert_non_null(watch);
  LONG detach = 0;
  LPVOID reserved = (LPVOID)1;
  watch(&detach, &reserved);
  assert_true(FreeLibrary(m));
  assert_int_equal(detach, 1);
  assert_null(reserved);
  SetLastError(0);
  assert_null(GetProcAddress(m, "WSPStartup"));
  assert_int_equal(GetLastError(), ERROR_MOD_NOT_FOUND);
  /* Unloaded for real: loading it again starts from scratch. */
  m = LoadLibraryA(WPU_TEST_MODULE_SO);
  assert_non_null(m);
  LONG *attach = (LONG *)GetProcAddress(m, "test_so_attach_calls");
  assert_int_equal(*attach, 1);
  assert_true(FreeLibrary(m));
}

static void
load_library_of_shared_object_accepts_windows_style_path(void **state) {
  (void)state;
  char path[1024];
  snprintf(path, sizeof path, "Z:%s", WPU_TEST_MODULE_SO);
  for (char *c = path; *c != 0; c++)
    if (*c == '/')
      *c = '\\';
  HMODULE m = LoadLibraryA(path);
  assert_non_null(m);
  char name[1024];
  assert_int_equal(GetModuleFileNameA(m, name, sizeof name), strlen(path));
  assert_string_equal(name, path);
  /* By file name, as Windows finds a loaded DLL. */
  const char *file = strrchr(WPU_TEST_MODULE_SO, '/') + 1;
  assert_ptr_equal(GetModuleHandleA(file), m);
  assert_ptr_equal(LoadLibraryA(WPU_TEST_MODULE_SO), m);
  assert_true(FreeLibrary(m));
  assert_true(FreeLibrary(m));
  assert_null(GetModuleHandleA(file));
}

static void
load_library_of_shared_object_fails_when_dll_main_returns_false(void **state) {
  (void)state;
  assert_int_equal(setenv("WPU_TEST_SO_FAIL_ATTACH", "1", 1), 0);
  SetLastError(0);
  HMODULE m = LoadLibraryA(WPU_TEST_MODULE_SO);
  unsetenv("WPU_TEST_SO_FAIL_ATTACH");
  assert_null(m);
  assert_int_equal(GetLastError(), ERROR_DLL_INIT_FAILED);
  const char *file = strrchr(WPU_TEST_MODULE_SO, '/') + 1;
  assert_null(GetModuleHandleA(file));
}

static void
load_library_of_file_that_is_no_module_fails_with_bad_exe_format(void **state) {
  (void)state;
  char path[] = "/tmp/wpu_not_a_module_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "MZ not really\n", 14), 14);
  close(fd);
  SetLastError(0);
  assert_null(LoadLibraryA(path));
  assert_int_equal(GetLastError(), ERROR_BAD_EXE_FORMAT);
  unlink(path);
}
#endif

int main(void) {
#define T(name)                                                                \
  cmocka_unit_test_setup_teardown(name, registry_setup, registry_teardown)
  const struct CMUnitTest tests[] = {
      T(get_module_handle_of_null_is_the_main_program),
      T(get_module_file_name_truncates_and_fails_with_insufficient_buffer),
      T(get_module_file_name_a_counts_bytes_like_the_w_function),
      T(load_library_of_missing_file_fails_with_mod_not_found),
      T(load_library_of_null_fails_with_invalid_parameter),
      T(free_library_of_null_fails_with_invalid_handle),
      T(get_module_handle_of_unknown_name_fails_with_mod_not_found),
      T(load_library_expands_system_root_and_matches_by_file_name),
      T(get_proc_address_of_unknown_name_fails_with_proc_not_found),
      T(get_proc_address_by_ordinal_fails_with_proc_not_found),
      T(load_library_of_registered_path_calls_dll_main_attach_once),
      T(free_library_of_last_reference_calls_dll_main_detach),
      T(load_library_fails_with_dll_init_failed_when_dll_main_returns_false),
      T(get_proc_address_finds_registered_wsp_startup),
      T(get_module_handle_finds_registered_module_only_while_loaded),
      T(wpu_module_register_fails_with_busy_while_loaded),
      T(registered_module_is_found_by_ansi_names_too),
#ifndef _WIN32
      T(dll_main_receives_the_module_handle_and_null_reserved),
      T(get_proc_address_of_freed_module_fails_with_mod_not_found),
      T(free_library_of_freed_module_fails_with_mod_not_found),
      T(get_module_file_name_of_registered_module_is_its_expanded_path),
      T(load_library_appends_dll_only_to_names_without_extension),
      T(load_library_ex_with_file_handle_fails_with_invalid_parameter),
      T(load_library_ex_rejects_data_file_flags),
      T(load_library_ex_accepts_search_flags),
      T(load_library_ex_dont_resolve_dll_references_skips_dll_main),
      T(dll_main_may_load_and_free_another_module),
      T(load_library_from_many_threads_attaches_once),
      T(wpu_module_register_rejects_bad_arguments),
      T(wpu_module_register_replaces_exports_of_unloaded_module),
      T(load_library_of_shared_object_calls_dll_main_and_finds_wsp_startup),
      T(free_library_of_shared_object_calls_detach_and_unloads),
      T(load_library_of_shared_object_accepts_windows_style_path),
      T(load_library_of_shared_object_fails_when_dll_main_returns_false),
      T(load_library_of_file_that_is_no_module_fails_with_bad_exe_format),
#endif
  };
#undef T
  return cmocka_run_group_tests(tests, NULL, NULL);
}
