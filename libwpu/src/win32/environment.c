/* environment.c: kernel32's process environment (GetEnvironmentVariableW/A,
 * SetEnvironmentVariableW/A, ExpandEnvironmentStringsW/A; Linux only).
 *
 * The variables live in a table of UTF-16 name/value pairs of their own,
 * built on first use: first the values a Windows provider expects,
 * SystemRoot=C:\Windows, windir=C:\Windows, SystemDrive=C: and
 * ProgramFiles=C:\Program Files, then every variable of the Linux
 * environment (converted from UTF-8, ill-formed bytes becoming U+FFFD) whose
 * name is not one of those. Later changes to the Linux environment (setenv)
 * are not seen, and SetEnvironmentVariable does not change it (getenv keeps
 * answering as before). Names compare case-insensitively; letters are folded
 * in the ASCII and Latin-1 ranges only.
 *
 * - GetEnvironmentVariableW(name, buf, size): the number of WCHARs copied,
 *   without the NUL, when buf holds size > length WCHARs; otherwise (buf
 *   NULL or too small) the size needed including the NUL, buf untouched. 0
 *   with ERROR_ENVVAR_NOT_FOUND when there is no such variable (NULL and
 *   empty names included). A variable whose value is empty also returns 0,
 *   with the last error unchanged (clear it first to tell the two apart).
 * - SetEnvironmentVariableW(name, value): creates or replaces the variable;
 *   a NULL value deletes it (TRUE even when it did not exist). FALSE with
 *   ERROR_INVALID_PARAMETER for an empty name or a name with '=' after its
 *   first character (names such as "=C:" are allowed, as on Windows),
 *   ERROR_ENVVAR_NOT_FOUND for a NULL name, ERROR_NOT_ENOUGH_MEMORY. Windows
 *   XP's 32,767-character limit is not enforced.
 * - ExpandEnvironmentStringsW(src, dst, size): replaces each %name% of a
 *   defined variable by its value; an unknown or empty %name% stays as it is,
 *   both percent signs included, and scanning goes on after its closing '%';
 *   a '%' without a closing one is copied. Returns the number of WCHARs the
 *   result needs including the NUL. When that is more than size (or dst is
 *   NULL), dst receives as much of the result as fits before a NUL (when
 *   size > 0) and the last error is set to ERROR_INSUFFICIENT_BUFFER. 0 with
 *   ERROR_INVALID_PARAMETER when src is NULL. cmd.exe's %name:a=b% and
 *   %name:~n,m% forms are not supported (nor by Windows' function).
 * - The A functions convert names and values through the ANSI code page
 *   (Windows-1252, codepage.c): characters it lacks read as '?'. Their sizes
 *   and results count bytes of that encoding.
 *
 * Not implemented: GetEnvironmentStrings(W), FreeEnvironmentStrings(W),
 * SetEnvironmentStrings, ExpandEnvironmentStringsForUser. Thread-safety:
 * every function may be called from any thread at once (one mutex guards the
 * table). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <winsock2.h>

#include <platform.h>

typedef struct {
  WCHAR *name; /* "name=value": value points after the '=' */
  size_t name_len;
  WCHAR *value;
} env_var;

static struct {
  env_var *vars;
  size_t n;
  size_t cap;
  int ready;
} env;

static _Atomic(wpu_plat_mutex *) env_mutex;

static const char *const defaults[] = {
    "SystemRoot=C:\\Windows",
    "windir=C:\\Windows",
    "SystemDrive=C:",
    "ProgramFiles=C:\\Program Files",
};

extern char **environ;

static WCHAR fold(WCHAR c) {
  if (c >= 'a' && c <= 'z')
    return (WCHAR)(c - 'a' + 'A');
  if (c >= 0xe0 && c <= 0xfe && c != 0xf7)
    return (WCHAR)(c - 0x20);
  return c;
}

static size_t wlen(const WCHAR *s) {
  size_t n = 0;
  while (s[n] != 0)
    n++;
  return n;
}

static WCHAR *wdup_n(const WCHAR *s, size_t n) {
  WCHAR *d = malloc((n + 1) * sizeof *d);
  if (d != NULL) {
    memcpy(d, s, n * sizeof *d);
    d[n] = 0;
  }
  return d;
}

/* Index of the variable called name[0..len), or -1. */
static long find(const WCHAR *name, size_t len) {
  for (size_t i = 0; i < env.n; i++) {
    if (env.vars[i].name_len != len)
      continue;
    size_t k = 0;
    while (k < len && fold(env.vars[i].name[k]) == fold(name[k]))
      k++;
    if (k == len)
      return (long)i;
  }
  return -1;
}

/* Stores name[0..len)=value, replacing an existing variable. Returns 0 or
 * ERROR_NOT_ENOUGH_MEMORY. */
static DWORD store(const WCHAR *name, size_t len, const WCHAR *value) {
  size_t vlen = wlen(value);
  WCHAR *pair = malloc((len + 1 + vlen + 1) * sizeof *pair);
  if (pair == NULL)
    return ERROR_NOT_ENOUGH_MEMORY;
  memcpy(pair, name, len * sizeof *pair);
  pair[len] = '=';
  memcpy(pair + len + 1, value, (vlen + 1) * sizeof *pair);
  long i = find(name, len);
  if (i >= 0) {
    free(env.vars[i].name);
  } else {
    if (env.n == env.cap) {
      size_t cap = env.cap == 0 ? 64 : env.cap * 2;
      env_var *v = realloc(env.vars, cap * sizeof *v);
      if (v == NULL) {
        free(pair);
        return ERROR_NOT_ENOUGH_MEMORY;
      }
      env.vars = v;
      env.cap = cap;
    }
    i = (long)env.n++;
  }
  env.vars[i].name = pair;
  env.vars[i].name_len = len;
  env.vars[i].value = pair + len + 1;
  return 0;
}

static void erase(long i) {
  free(env.vars[i].name);
  env.vars[i] = env.vars[--env.n];
}

/* Adds one "name=value" (UTF-8) unless the name is already defined. */
static void import(const char *entry) {
  int n = MultiByteToWideChar(CP_UTF8, 0, entry, -1, NULL, 0);
  WCHAR *w = n > 0 ? malloc((size_t)n * sizeof *w) : NULL;
  if (w == NULL)
    return;
  MultiByteToWideChar(CP_UTF8, 0, entry, -1, w, n);
  WCHAR *eq = w + 1; /* a name is never empty */
  while (*eq != 0 && *eq != '=')
    eq++;
  if (*eq == '=' && find(w, (size_t)(eq - w)) < 0)
    store(w, (size_t)(eq - w), eq + 1);
  free(w);
}

static void env_init(void) {
  for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
    import(defaults[i]);
  for (char **e = environ; e != NULL && *e != NULL; e++)
    if ((*e)[0] != 0 && (*e)[0] != '=')
      import(*e);
  env.ready = 1;
}

/* Takes the table's lock (creating the lock and the table on first use).
 * Returns the mutex, or NULL with ERROR_NOT_ENOUGH_MEMORY. */
static wpu_plat_mutex *env_lock(void) {
  wpu_plat_mutex *m = atomic_load(&env_mutex);
  if (m == NULL) {
    wpu_plat_mutex *fresh = wpu_plat_mutex_new();
    if (fresh == NULL) {
      SetLastError(ERROR_NOT_ENOUGH_MEMORY);
      return NULL;
    }
    if (atomic_compare_exchange_strong(&env_mutex, &m, fresh))
      m = fresh;
    else
      wpu_plat_mutex_free(fresh);
  }
  wpu_plat_mutex_lock(m);
  if (!env.ready)
    env_init();
  return m;
}

/* A copy of the named variable's value, or NULL with the last error set
 * (ERROR_ENVVAR_NOT_FOUND or ERROR_NOT_ENOUGH_MEMORY). */
static WCHAR *value_dup(const WCHAR *name) {
  if (name == NULL || name[0] == 0) {
    SetLastError(ERROR_ENVVAR_NOT_FOUND);
    return NULL;
  }
  wpu_plat_mutex *m = env_lock();
  if (m == NULL)
    return NULL;
  long i = find(name, wlen(name));
  WCHAR *v = i >= 0 ? wdup_n(env.vars[i].value, wlen(env.vars[i].value)) : NULL;
  wpu_plat_mutex_unlock(m);
  if (v == NULL)
    SetLastError(i >= 0 ? ERROR_NOT_ENOUGH_MEMORY : ERROR_ENVVAR_NOT_FOUND);
  return v;
}

DWORD WINAPI GetEnvironmentVariableW(LPCWSTR lpName, LPWSTR lpBuffer,
                                     DWORD nSize) {
  WCHAR *v = value_dup(lpName);
  if (v == NULL)
    return 0;
  size_t len = wlen(v);
  DWORD ret;
  if (lpBuffer != NULL && nSize > len) {
    memcpy(lpBuffer, v, (len + 1) * sizeof *v);
    ret = (DWORD)len;
  } else {
    ret = (DWORD)(len + 1);
  }
  free(v);
  return ret;
}

BOOL WINAPI SetEnvironmentVariableW(LPCWSTR lpName, LPCWSTR lpValue) {
  if (lpName == NULL) {
    SetLastError(ERROR_ENVVAR_NOT_FOUND);
    return FALSE;
  }
  size_t len = wlen(lpName);
  for (size_t i = 1; i < len; i++)
    if (lpName[i] == '=')
      len = 0;
  if (len == 0) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  wpu_plat_mutex *m = env_lock();
  if (m == NULL)
    return FALSE;
  DWORD err = 0;
  long i = find(lpName, len);
  if (lpValue == NULL) {
    if (i >= 0)
      erase(i);
  } else {
    err = store(lpName, len, lpValue);
  }
  wpu_plat_mutex_unlock(m);
  if (err != 0) {
    SetLastError(err);
    return FALSE;
  }
  return TRUE;
}

/* Output of an expansion: counts every WCHAR, stores those that fit. */
typedef struct {
  WCHAR *buf;
  size_t cap;
  size_t len;
} wsink;

static void emit(wsink *o, const WCHAR *s, size_t n) {
  for (size_t i = 0; i < n; i++, o->len++)
    if (o->len < o->cap)
      o->buf[o->len] = s[i];
}

/* Expands src (the lock held); returns the WCHARs needed including the NUL.
 * Writes the whole result and its NUL only when it fits in cap. */
static size_t expand_locked(const WCHAR *src, WCHAR *dst, size_t cap) {
  wsink o = {dst, dst != NULL ? cap : 0, 0};
  const WCHAR *p = src;
  while (*p != 0) {
    if (*p != '%') {
      emit(&o, p++, 1);
      continue;
    }
    const WCHAR *end = p + 1;
    while (*end != 0 && *end != '%')
      end++;
    if (*end == 0) { /* no closing '%' */
      emit(&o, p, (size_t)(end - p));
      break;
    }
    long i = end > p + 1 ? find(p + 1, (size_t)(end - p - 1)) : -1;
    if (i >= 0)
      emit(&o, env.vars[i].value, wlen(env.vars[i].value));
    else
      emit(&o, p, (size_t)(end - p + 1));
    p = end + 1;
  }
  WCHAR nul = 0;
  emit(&o, &nul, 1);
  return o.len;
}

DWORD WINAPI ExpandEnvironmentStringsW(LPCWSTR lpSrc, LPWSTR lpDst,
                                       DWORD nSize) {
  if (lpSrc == NULL) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return 0;
  }
  wpu_plat_mutex *m = env_lock();
  if (m == NULL)
    return 0;
  size_t need = expand_locked(lpSrc, lpDst, nSize);
  wpu_plat_mutex_unlock(m);
  if (need > nSize || lpDst == NULL) {
    if (lpDst != NULL && nSize > 0)
      lpDst[nSize - 1] = 0; /* the part that fit, terminated */
    SetLastError(ERROR_INSUFFICIENT_BUFFER);
  }
  return need > MAXDWORD ? MAXDWORD : (DWORD)need;
}

/* src converted from the ANSI code page (malloc'd), or NULL with the last
 * error set. */
static WCHAR *from_acp(const char *src) {
  int n = MultiByteToWideChar(CP_ACP, 0, src, -1, NULL, 0);
  WCHAR *w = n > 0 ? malloc((size_t)n * sizeof *w) : NULL;
  if (w == NULL) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return NULL;
  }
  MultiByteToWideChar(CP_ACP, 0, src, -1, w, n);
  return w;
}

/* w converted to the ANSI code page (malloc'd), its size including the NUL
 * in *bytes; NULL with ERROR_NOT_ENOUGH_MEMORY. */
static char *to_acp(const WCHAR *w, size_t *bytes) {
  int n = WideCharToMultiByte(CP_ACP, 0, w, -1, NULL, 0, NULL, NULL);
  char *a = n > 0 ? malloc((size_t)n) : NULL;
  if (a == NULL) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return NULL;
  }
  WideCharToMultiByte(CP_ACP, 0, w, -1, a, n, NULL, NULL);
  *bytes = (size_t)n;
  return a;
}

DWORD WINAPI GetEnvironmentVariableA(LPCSTR lpName, LPSTR lpBuffer,
                                     DWORD nSize) {
  if (lpName == NULL || lpName[0] == 0) {
    SetLastError(ERROR_ENVVAR_NOT_FOUND);
    return 0;
  }
  WCHAR *name = from_acp(lpName);
  WCHAR *v = name != NULL ? value_dup(name) : NULL;
  free(name);
  size_t bytes = 0;
  char *a = v != NULL ? to_acp(v, &bytes) : NULL;
  free(v);
  if (a == NULL)
    return 0;
  DWORD ret = (DWORD)bytes; /* the size needed, NUL included */
  if (lpBuffer != NULL && nSize >= bytes) {
    memcpy(lpBuffer, a, bytes);
    ret = (DWORD)(bytes - 1);
  }
  free(a);
  return ret;
}

BOOL WINAPI SetEnvironmentVariableA(LPCSTR lpName, LPCSTR lpValue) {
  if (lpName == NULL)
    return SetEnvironmentVariableW(NULL, NULL);
  WCHAR *name = from_acp(lpName);
  WCHAR *value = lpValue != NULL && name != NULL ? from_acp(lpValue) : NULL;
  BOOL ok = FALSE;
  if (name != NULL && (lpValue == NULL || value != NULL))
    ok = SetEnvironmentVariableW(name, value);
  free(name);
  free(value);
  return ok;
}

DWORD WINAPI ExpandEnvironmentStringsA(LPCSTR lpSrc, LPSTR lpDst, DWORD nSize) {
  if (lpSrc == NULL) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return 0;
  }
  WCHAR *src = from_acp(lpSrc);
  if (src == NULL)
    return 0;
  wpu_plat_mutex *m = env_lock();
  if (m == NULL) {
    free(src);
    return 0;
  }
  size_t need = expand_locked(src, NULL, 0);
  WCHAR *w = malloc(need * sizeof *w);
  if (w != NULL)
    expand_locked(src, w, need);
  wpu_plat_mutex_unlock(m);
  free(src);
  size_t bytes = 0;
  char *a = w != NULL ? to_acp(w, &bytes) : NULL;
  free(w);
  if (a == NULL) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return 0;
  }
  if (lpDst != NULL && nSize >= bytes) {
    memcpy(lpDst, a, bytes);
  } else {
    if (lpDst != NULL && nSize > 0) {
      memcpy(lpDst, a, nSize - 1);
      lpDst[nSize - 1] = 0;
    }
    SetLastError(ERROR_INSUFFICIENT_BUFFER);
  }
  free(a);
  return bytes > MAXDWORD ? MAXDWORD : (DWORD)bytes;
}
