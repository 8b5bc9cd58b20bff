/* module_path.c: the names and paths of the module loader (module.c):
 * what a name given to LoadLibrary or GetModuleHandle looks for, how paths
 * compare, and the Linux path of a Windows-style one (Linux only). */
#include <stdlib.h>
#include <string.h>

#include <winsock2.h>

#include <wpu/wstring.h>

#include "module_impl.h"

static int is_sep(WCHAR c) {
  return c == '\\' || c == '/';
}

static WCHAR fold(WCHAR c) {
  if (c >= 'a' && c <= 'z')
    return (WCHAR)(c - 'a' + 'A');
  if (c >= 0xe0 && c <= 0xfe && c != 0xf7)
    return (WCHAR)(c - 0x20);
  if (c == '/')
    return '\\';
  return c;
}

/* Paths compare case-insensitively, '/' and '\' alike. */
int wpu__module_path_eq(const WCHAR *a, const WCHAR *b) {
  while (*a != 0 && fold(*a) == fold(*b)) {
    a++;
    b++;
  }
  return *a == 0 && *b == 0;
}

const WCHAR *wpu__module_file_part(const WCHAR *p) {
  const WCHAR *f = p;
  for (; *p != 0; p++)
    if (is_sep(*p))
      f = p + 1;
  return f;
}

void wpu__module_request_free(request *r) {
  free(r->full);
  free(r->name);
}

/* s with environment variables expanded (malloc'd), or NULL with the last
 * error set; on success the last error is left as it was. */
static WCHAR *expand(const WCHAR *s) {
  DWORD saved = GetLastError();
  DWORD cap = 0;
  WCHAR *buf = NULL;
  for (;;) {
    DWORD need = ExpandEnvironmentStringsW(s, buf, cap);
    if (need == 0) {
      free(buf);
      return NULL;
    }
    if (buf != NULL && need <= cap) {
      SetLastError(saved);
      return buf;
    }
    free(buf);
    cap = need;
    buf = malloc((size_t)cap * sizeof *buf);
    if (buf == NULL) {
      SetLastError(ERROR_NOT_ENOUGH_MEMORY);
      return NULL;
    }
  }
}

/* Fills r for name; FALSE with the last error set. */
int wpu__module_request_make(request *r, const WCHAR *name, int expand_vars,
                             int default_ext) {
  memset(r, 0, sizeof *r);
  if (expand_vars) {
    r->full = expand(name);
  } else {
    size_t n = wpu_wcslen(name);
    r->full = malloc((n + 1) * sizeof *r->full);
    if (r->full != NULL)
      memcpy(r->full, name, (n + 1) * sizeof *r->full);
  }
  if (r->full == NULL) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return 0;
  }
  const WCHAR *file = wpu__module_file_part(r->full);
  size_t n = wpu_wcslen(file);
  r->has_dir = file != r->full;
  r->name = malloc((n + 5) * sizeof *r->name);
  if (r->name == NULL) {
    wpu__module_request_free(r);
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return 0;
  }
  memcpy(r->name, file, (n + 1) * sizeof *r->name);
  if (default_ext && !r->has_dir && n > 0) {
    static const WCHAR dll[] = {'.', 'd', 'l', 'l', 0};
    if (r->name[n - 1] == '.')
      r->name[n - 1] = 0; /* "name." means no extension */
    else if (wpu_wcschr(r->name, '.') == NULL)
      memcpy(r->name + n, dll, sizeof dll);
  }
  return 1;
}

/* The UTF-8 Linux path of a Windows-style one (malloc'd), or NULL. */
char *wpu__module_linux_path(const WCHAR *full) {
  const WCHAR *p = full;
  if ((p[0] == 'Z' || p[0] == 'z') && p[1] == ':' && is_sep(p[2]))
    p += 2;
  int n = WideCharToMultiByte(CP_UTF8, 0, p, -1, NULL, 0, NULL, NULL);
  char *out = n > 0 ? malloc((size_t)n + 2) : NULL;
  if (out == NULL)
    return NULL;
  WideCharToMultiByte(CP_UTF8, 0, p, -1, out + 2, n, NULL, NULL);
  int has_slash = 0;
  for (char *c = out + 2; *c != 0; c++) {
    if (*c == '\\')
      *c = '/';
    if (*c == '/')
      has_slash = 1;
  }
  if (has_slash)
    return memmove(out, out + 2, (size_t)n);
  out[0] = '.'; /* keep dlopen from searching the library path */
  out[1] = '/';
  return out;
}

/* s converted from the ANSI code page (malloc'd); NULL for NULL, or NULL
 * with *failed set when memory runs out. */
WCHAR *wpu__module_from_acp(const char *s, int *failed) {
  *failed = 0;
  if (s == NULL)
    return NULL;
  int n = MultiByteToWideChar(CP_ACP, 0, s, -1, NULL, 0);
  WCHAR *w = n > 0 ? malloc((size_t)n * sizeof *w) : NULL;
  if (w == NULL) {
    *failed = 1;
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return NULL;
  }
  MultiByteToWideChar(CP_ACP, 0, s, -1, w, n);
  return w;
}
