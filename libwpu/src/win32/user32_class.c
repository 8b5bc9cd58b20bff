/* user32_class.c: window classes of the Linux user32 emulation
 * (RegisterClass(Ex)A/W, UnregisterClassA/W; see user32.c for what the
 * emulation does and does not) and the registry lock that guards them and
 * the message-queue threads. */
#include <stdlib.h>
#include <string.h>

#include <wpu/wstring.h>

#include "user32_impl.h"

static _Atomic(wpu_plat_mutex *) registry_mu;
/* Guarded by registry_mu: */
static wpu_class *classes;
static unsigned atom_cursor; /* next atom to try, less 0xC000 */

#define ATOM_FIRST 0xC000u
#define ATOM_COUNT 0x4000u

void wpu__user32_lock(void) {
  wpu_plat_mutex *m = atomic_load_explicit(&registry_mu, memory_order_acquire);
  if (m == NULL) {
    wpu_plat_mutex *fresh = wpu_plat_mutex_new();
    if (fresh == NULL)
      abort(); /* no class or queue can be found without it */
    if (atomic_compare_exchange_strong(&registry_mu, &m, fresh))
      m = fresh;
    else
      wpu_plat_mutex_free(fresh);
  }
  wpu_plat_mutex_lock(m);
}

void wpu__user32_unlock(void) {
  wpu_plat_mutex_unlock(
      atomic_load_explicit(&registry_mu, memory_order_relaxed));
}

/* ---- Classes ---- */

static WCHAR fold(WCHAR c) {
  if ((c >= 'a' && c <= 'z') || (c >= 0xe0 && c <= 0xfe && c != 0xf7))
    return (WCHAR)(c - 0x20);
  return c;
}

static int names_equal(const WCHAR *a, const WCHAR *b) {
  for (;; a++, b++) {
    if (fold(*a) != fold(*b))
      return 0;
    if (*a == 0)
      return 1;
  }
}

static int key_matches(const wpu_class *c, const class_key *k) {
  return k->name == NULL ? c->atom == k->atom : names_equal(c->name, k->name);
}

/* With the registry lock: the class k names for instance; unless exact, an
 * application global class (CS_GLOBALCLASS) of that name will do too. */
wpu_class *wpu__class_find(const class_key *k, HINSTANCE instance, int exact) {
  wpu_class *global = NULL;
  for (wpu_class *c = classes; c != NULL; c = c->next) {
    if (!key_matches(c, k))
      continue;
    if (c->instance == instance)
      return c;
    if (!exact && global == NULL && (c->style & CS_GLOBALCLASS))
      global = c;
  }
  return global;
}

static int atom_used(unsigned atom) {
  for (wpu_class *c = classes; c != NULL; c = c->next)
    if (c->atom == atom)
      return 1;
  return 0;
}

/* With the registry lock: the atom of a name (shared by the classes of that
 * name), or a free one; 0 when all are taken. */
static ATOM atom_for(const WCHAR *name) {
  for (wpu_class *c = classes; c != NULL; c = c->next)
    if (names_equal(c->name, name))
      return c->atom;
  for (unsigned i = 0; i < ATOM_COUNT; i++) {
    unsigned a = ATOM_FIRST + (atom_cursor + i) % ATOM_COUNT;
    if (!atom_used(a)) {
      atom_cursor = (a - ATOM_FIRST + 1) % ATOM_COUNT;
      return (ATOM)a;
    }
  }
  return 0;
}

static ATOM register_class(UINT style, WNDPROC proc, int cls_extra,
                           int wnd_extra, HINSTANCE instance,
                           const WCHAR *name) {
  if (proc == NULL || cls_extra < 0 || wnd_extra < 0) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return 0;
  }
  size_t n = wpu_wcslen(name);
  wpu_class *c = calloc(1, sizeof *c);
  WCHAR *copy = malloc((n + 1) * sizeof *copy);
  if (c == NULL || copy == NULL) {
    free(c);
    free(copy);
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return 0;
  }
  memcpy(copy, name, (n + 1) * sizeof *copy);
  c->name = copy;
  c->instance = instance;
  c->style = style;
  c->proc = proc;
  class_key k = {0, copy};
  DWORD err = 0;
  wpu__user32_lock();
  if (wpu__class_find(&k, instance, 1) != NULL)
    err = ERROR_CLASS_ALREADY_EXISTS;
  else if ((c->atom = atom_for(copy)) == 0)
    err = ERROR_NOT_ENOUGH_MEMORY;
  if (err == 0) {
    c->next = classes;
    classes = c;
  }
  wpu__user32_unlock();
  if (err != 0) {
    free(copy);
    free(c);
    SetLastError(err);
    return 0;
  }
  return c->atom;
}

static BOOL unregister_class(const class_key *k, HINSTANCE instance) {
  DWORD err = 0;
  wpu_class *found = NULL;
  wpu__user32_lock();
  for (wpu_class **pp = &classes; *pp != NULL; pp = &(*pp)->next) {
    wpu_class *c = *pp;
    if (c->instance != instance || !key_matches(c, k))
      continue;
    if (c->windows > 0) {
      err = ERROR_CLASS_HAS_WINDOWS;
    } else {
      *pp = c->next;
      found = c;
    }
    break;
  }
  if (found == NULL && err == 0)
    err = ERROR_CLASS_DOES_NOT_EXIST;
  wpu__user32_unlock();
  if (err != 0) {
    SetLastError(err);
    return FALSE;
  }
  free(found->name);
  free(found);
  return TRUE;
}

/* A Latin-1 copy of an ANSI string (free it), NULL when out of memory. */
static WCHAR *widen(const char *s) {
  size_t n = strlen(s);
  WCHAR *w = malloc((n + 1) * sizeof *w);
  if (w == NULL) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return NULL;
  }
  for (size_t i = 0; i <= n; i++)
    w[i] = (unsigned char)s[i];
  return w;
}

/* Checks a class name given to RegisterClass: 0 (error set) when it is not
 * a string. */
static int class_name_ok(const void *name) {
  if (name == NULL) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return 0;
  }
  if (IS_INTRESOURCE(name)) {
    SetLastError(ERROR_NOT_SUPPORTED); /* no global atom table */
    return 0;
  }
  return 1;
}

ATOM WINAPI RegisterClassW(const WNDCLASSW *lpWndClass) {
  if (lpWndClass == NULL) {
    SetLastError(ERROR_NOACCESS);
    return 0;
  }
  if (!class_name_ok(lpWndClass->lpszClassName))
    return 0;
  return register_class(lpWndClass->style, lpWndClass->lpfnWndProc,
                        lpWndClass->cbClsExtra, lpWndClass->cbWndExtra,
                        lpWndClass->hInstance, lpWndClass->lpszClassName);
}

ATOM WINAPI RegisterClassExW(const WNDCLASSEXW *lpwcx) {
  if (lpwcx == NULL) {
    SetLastError(ERROR_NOACCESS);
    return 0;
  }
  if (lpwcx->cbSize != sizeof *lpwcx) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return 0;
  }
  if (!class_name_ok(lpwcx->lpszClassName))
    return 0;
  return register_class(lpwcx->style, lpwcx->lpfnWndProc, lpwcx->cbClsExtra,
                        lpwcx->cbWndExtra, lpwcx->hInstance,
                        lpwcx->lpszClassName);
}

static ATOM register_class_a(UINT style, WNDPROC proc, int cls_extra,
                             int wnd_extra, HINSTANCE instance,
                             const char *name) {
  if (!class_name_ok(name))
    return 0;
  WCHAR *w = widen(name);
  if (w == NULL)
    return 0;
  ATOM atom = register_class(style, proc, cls_extra, wnd_extra, instance, w);
  free(w);
  return atom;
}

ATOM WINAPI RegisterClassA(const WNDCLASSA *lpWndClass) {
  if (lpWndClass == NULL) {
    SetLastError(ERROR_NOACCESS);
    return 0;
  }
  return register_class_a(lpWndClass->style, lpWndClass->lpfnWndProc,
                          lpWndClass->cbClsExtra, lpWndClass->cbWndExtra,
                          lpWndClass->hInstance, lpWndClass->lpszClassName);
}

ATOM WINAPI RegisterClassExA(const WNDCLASSEXA *lpwcx) {
  if (lpwcx == NULL) {
    SetLastError(ERROR_NOACCESS);
    return 0;
  }
  if (lpwcx->cbSize != sizeof *lpwcx) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return 0;
  }
  return register_class_a(lpwcx->style, lpwcx->lpfnWndProc, lpwcx->cbClsExtra,
                          lpwcx->cbWndExtra, lpwcx->hInstance,
                          lpwcx->lpszClassName);
}

/* Fills *k from a class argument: a name or MAKEINTATOM(atom). */
void wpu__class_key_from_w(class_key *k, const WCHAR *name) {
  k->atom = IS_INTRESOURCE(name) ? (ATOM)(ULONG_PTR)name : 0;
  k->name = IS_INTRESOURCE(name) ? NULL : name;
}

/* The same for an A argument; *owned is the widened name to free
 * afterwards. Returns 0 when out of memory. */
int wpu__class_key_from_a(class_key *k, const char *name, WCHAR **owned) {
  *owned = NULL;
  if (IS_INTRESOURCE(name)) {
    wpu__class_key_from_w(k, (const WCHAR *)name);
    return 1;
  }
  if ((*owned = widen(name)) == NULL)
    return 0;
  wpu__class_key_from_w(k, *owned);
  return 1;
}

BOOL WINAPI UnregisterClassW(LPCWSTR lpClassName, HINSTANCE hInstance) {
  class_key k;
  wpu__class_key_from_w(&k, lpClassName);
  return unregister_class(&k, hInstance);
}

BOOL WINAPI UnregisterClassA(LPCSTR lpClassName, HINSTANCE hInstance) {
  class_key k;
  WCHAR *owned;
  if (!wpu__class_key_from_a(&k, lpClassName, &owned))
    return FALSE;
  BOOL ok = unregister_class(&k, hInstance);
  free(owned);
  return ok;
}
