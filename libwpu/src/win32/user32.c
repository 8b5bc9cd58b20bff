/* user32.c: window classes, windows and message queues of the Linux user32
 * emulation: the subset providers use to relay WSAAsyncSelect notifications
 * (RegisterClass(Ex), UnregisterClass, CreateWindowEx, DestroyWindow,
 * IsWindow, PostMessage, PostThreadMessage, PostQuitMessage, GetMessage,
 * PeekMessage, TranslateMessage, DispatchMessage, DefWindowProc; A and W).
 *
 * Classes are process-wide, keyed by case-insensitive name and hInstance;
 * CreateWindowEx finds a class of its hInstance first, then a CS_GLOBALCLASS
 * class of that name. Class atoms start at 0xC000; one name has one atom.
 * Names are compared folding ASCII and Latin-1 letters; the A functions
 * widen names byte by byte as Latin-1 (no code pages).
 *
 * A window is a kernel object whose HWND is a handle of the world's table.
 * It belongs to the thread that created it: messages posted to it go to that
 * thread's queue (in its wpu_thread), only that thread may destroy it
 * (ERROR_ACCESS_DENIED otherwise), and once that thread has ended the window
 * is gone, as on Windows (its handle is closed when next used; until then it
 * counts as an open handle). CreateWindowEx sends WM_NCCREATE and WM_CREATE
 * with a CREATESTRUCTW or CREATESTRUCTA (whichever the call was) in lParam;
 * when WM_NCCREATE returns FALSE or WM_CREATE -1, the window gets only
 * WM_NCDESTROY, as with Wine's user32, and creation fails (the last error as
 * the procedure left it). DestroyWindow sends WM_DESTROY then WM_NCDESTROY,
 * drops the window's queued messages, then closes the HWND. Window
 * procedures are called directly, A and W alike, with no text conversion.
 *
 * A thread gets a message queue on its first call to these functions that
 * reads or creates one (CreateWindowEx, GetMessage, PeekMessage,
 * PostQuitMessage, PostMessage with a NULL hWnd); PostThreadMessage finds
 * threads by id among those (ERROR_INVALID_THREAD_ID otherwise). Queues are
 * FIFO. WM_QUIT (PostQuitMessage) is a flag, returned once no message that
 * matches the filters is queued, whatever the window and range filters (as
 * Wine's user32 does). A window filter must be a window of the calling
 * thread (ERROR_INVALID_WINDOW_HANDLE; Wine just finds no message, so its
 * GetMessage would block). MSG.time is GetTickCount() at posting; MSG.pt is
 * (0, 0).
 *
 * Not supported: sent messages (SendMessage), timers, keyboard and mouse
 * input (TranslateMessage returns FALSE), window hierarchy (a parent must be
 * a window, HWND_MESSAGE or NULL, and is otherwise ignored; no child
 * destruction), window data (Get/SetWindowLongPtr; cbClsExtra and
 * cbWndExtra are only checked not to be negative), system classes,
 * HWND_BROADCAST (ERROR_INVALID_WINDOW_HANDLE), the 10,000-message queue limit,
 * PM_QS_* filters (ignored), class names that are atoms in RegisterClass
 * (ERROR_NOT_SUPPORTED). A class without a name or a window procedure fails
 * with ERROR_INVALID_PARAMETER; NULL pointers where Windows would fault fail
 * with ERROR_NOACCESS. A thread's queue and its thread object are released at
 * the first registration or PostThreadMessage after the thread ended.
 */
#include <stdlib.h>
#include <string.h>

#include <wpu/wstring.h>

#include "kobject.h"

/* ---- The registry: classes, and threads that have a message queue ---- */

typedef struct wpu_class {
  struct wpu_class *next;
  WCHAR *name;
  ATOM atom;
  HINSTANCE instance;
  UINT style;
  WNDPROC proc;
  long windows; /* live windows of the class */
} wpu_class;

typedef struct wpu_queue_link {
  struct wpu_queue_link *next;
  wpu_thread *thread; /* a reference */
} wpu_queue_link;

static _Atomic(wpu_plat_mutex *) registry_mu;
/* Guarded by registry_mu: */
static wpu_class *classes;
static unsigned atom_cursor; /* next atom to try, less 0xC000 */
static wpu_queue_link *queue_threads;

static _Thread_local wpu_thread *queue_self_cache; /* registered already */

#define ATOM_FIRST 0xC000u
#define ATOM_COUNT 0x4000u

static void registry_lock(void) {
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

static void registry_unlock(void) {
  wpu_plat_mutex_unlock(
      atomic_load_explicit(&registry_mu, memory_order_relaxed));
}

/* ---- Messages ---- */

struct wpu_msg {
  struct wpu_msg *next;
  MSG m;
};

static void free_msgs(struct wpu_msg *m) {
  while (m != NULL) {
    struct wpu_msg *next = m->next;
    free(m);
    m = next;
  }
}

/* With t->park_mu held: unlinks the messages for hwnd and returns them. */
static struct wpu_msg *queue_remove_window(wpu_thread *t, HWND hwnd) {
  struct wpu_msg *removed = NULL, *prev = NULL, *m = t->msg_head;
  while (m != NULL) {
    struct wpu_msg *next = m->next;
    if (m->m.hwnd == hwnd) {
      if (prev != NULL)
        prev->next = next;
      else
        t->msg_head = next;
      if (t->msg_tail == m)
        t->msg_tail = prev;
      m->next = removed;
      removed = m;
    } else {
      prev = m;
    }
    m = next;
  }
  return removed;
}

void wpu__thread_free_messages(wpu_thread *t) {
  /* The object is being destroyed: nobody else can reach it. */
  free_msgs(t->msg_head);
  t->msg_head = t->msg_tail = NULL;
}

/* With the registry lock: unlinks the queues of threads that have ended and
 * returns them. */
static wpu_queue_link *prune_locked(void) {
  wpu_queue_link *dead = NULL, **pp = &queue_threads;
  while (*pp != NULL) {
    wpu_queue_link *l = *pp;
    wpu_plat_mutex_lock(l->thread->park_mu);
    int ended = l->thread->exited;
    wpu_plat_mutex_unlock(l->thread->park_mu);
    if (ended) {
      *pp = l->next;
      l->next = dead;
      dead = l;
    } else {
      pp = &l->next;
    }
  }
  return dead;
}

/* Without locks: drops the queued messages and references of pruned
 * threads. */
static void release_links(wpu_queue_link *l) {
  while (l != NULL) {
    wpu_queue_link *next = l->next;
    wpu_thread *t = l->thread;
    wpu_plat_mutex_lock(t->park_mu);
    struct wpu_msg *m = t->msg_head;
    t->msg_head = t->msg_tail = NULL;
    t->quit_posted = 0;
    wpu_plat_mutex_unlock(t->park_mu);
    free_msgs(m);
    wpu__kobject_unref(&t->w.obj);
    free(l);
    l = next;
  }
}

/* The calling thread, with a message queue PostThreadMessage can find. NULL
 * with ERROR_NOT_ENOUGH_MEMORY set when out of memory. */
static wpu_thread *queue_self(void) {
  wpu_thread *t = wpu__thread_self();
  if (t != NULL && queue_self_cache == t)
    return t;
  wpu_queue_link *l = t == NULL ? NULL : malloc(sizeof *l);
  if (l == NULL) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return NULL;
  }
  wpu__kobject_ref(&t->w.obj);
  l->thread = t;
  registry_lock();
  wpu_queue_link *dead = prune_locked();
  l->next = queue_threads;
  queue_threads = l;
  registry_unlock();
  release_links(dead);
  queue_self_cache = t;
  return t;
}

/* ---- Classes ---- */

/* A class as the caller names it: by atom (name NULL) or by name. */
typedef struct class_key {
  ATOM atom;
  const WCHAR *name;
} class_key;

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
static wpu_class *class_find(const class_key *k, HINSTANCE instance,
                             int exact) {
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
  registry_lock();
  if (class_find(&k, instance, 1) != NULL)
    err = ERROR_CLASS_ALREADY_EXISTS;
  else if ((c->atom = atom_for(copy)) == 0)
    err = ERROR_NOT_ENOUGH_MEMORY;
  if (err == 0) {
    c->next = classes;
    classes = c;
  }
  registry_unlock();
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
  registry_lock();
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
  registry_unlock();
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
static void key_from_w(class_key *k, const WCHAR *name) {
  k->atom = IS_INTRESOURCE(name) ? (ATOM)(ULONG_PTR)name : 0;
  k->name = IS_INTRESOURCE(name) ? NULL : name;
}

/* The same for an A argument; *owned is the widened name to free
 * afterwards. Returns 0 when out of memory. */
static int key_from_a(class_key *k, const char *name, WCHAR **owned) {
  *owned = NULL;
  if (IS_INTRESOURCE(name)) {
    key_from_w(k, (const WCHAR *)name);
    return 1;
  }
  if ((*owned = widen(name)) == NULL)
    return 0;
  key_from_w(k, *owned);
  return 1;
}

BOOL WINAPI UnregisterClassW(LPCWSTR lpClassName, HINSTANCE hInstance) {
  class_key k;
  key_from_w(&k, lpClassName);
  return unregister_class(&k, hInstance);
}

BOOL WINAPI UnregisterClassA(LPCSTR lpClassName, HINSTANCE hInstance) {
  class_key k;
  WCHAR *owned;
  if (!key_from_a(&k, lpClassName, &owned))
    return FALSE;
  BOOL ok = unregister_class(&k, hInstance);
  free(owned);
  return ok;
}

/* ---- Windows ---- */

typedef struct wpu_window {
  wpu_kobject obj;   /* kind WPU_KIND_WINDOW */
  HWND hwnd;         /* NULL until the handle exists */
  wpu_thread *owner; /* the creating thread (a reference) */
  wpu_class *cls;
  _Atomic int counted; /* still counted in cls->windows */
  WNDPROC proc;
  int destroyed;  /* owner->park_mu: takes no messages, HWND closing */
  int destroying; /* DestroyWindow under way (owner thread only) */
} wpu_window;

static void class_uncount(wpu_window *win) {
  if (!atomic_exchange(&win->counted, 0))
    return;
  registry_lock();
  win->cls->windows--;
  registry_unlock();
}

/* Ends the window as a window, once: it takes no more messages, those queued
 * for it are dropped, its class no longer counts it, and its HWND is closed.
 * The caller holds a reference. */
static void window_invalidate(wpu_window *win) {
  wpu_thread *t = win->owner;
  wpu_plat_mutex_lock(t->park_mu);
  int first = !win->destroyed;
  win->destroyed = 1;
  struct wpu_msg *dropped = first ? queue_remove_window(t, win->hwnd) : NULL;
  wpu_plat_mutex_unlock(t->park_mu);
  free_msgs(dropped);
  if (!first)
    return;
  class_uncount(win);
  wpu_world *w = wpu__world();
  if (w != NULL)
    wpu_handles_close(&w->handles, (uintptr_t)win->hwnd,
                      WPU_KIND_BIT(WPU_KIND_WINDOW));
}

void wpu__window_destroy(wpu_kobject *o) {
  wpu_window *win = (wpu_window *)o;
  wpu_thread *t = win->owner;
  if (win->hwnd != NULL) {
    /* Its handle went with its world: drop what is still queued for it. */
    wpu_plat_mutex_lock(t->park_mu);
    struct wpu_msg *dropped =
        win->destroyed ? NULL : queue_remove_window(t, win->hwnd);
    win->destroyed = 1;
    wpu_plat_mutex_unlock(t->park_mu);
    free_msgs(dropped);
  }
  class_uncount(win);
  wpu__kobject_unref(&t->w.obj);
  free(win);
}

/* The live window hwnd names, with a new reference; NULL with
 * ERROR_INVALID_WINDOW_HANDLE set. A window whose thread has ended is
 * destroyed here, as Windows destroyed it when the thread ended. */
static wpu_window *window_get(HWND hwnd) {
  wpu_kobject *o =
      hwnd == NULL
          ? NULL
          : wpu__kobject_get((HANDLE)hwnd, WPU_KIND_BIT(WPU_KIND_WINDOW));
  if (o == NULL) {
    SetLastError(ERROR_INVALID_WINDOW_HANDLE);
    return NULL;
  }
  wpu_window *win = (wpu_window *)o;
  wpu_plat_mutex_lock(win->owner->park_mu);
  int destroyed = win->destroyed, ended = win->owner->exited;
  wpu_plat_mutex_unlock(win->owner->park_mu);
  if (!destroyed && !ended)
    return win;
  if (!destroyed)
    window_invalidate(win);
  wpu__kobject_unref(o);
  SetLastError(ERROR_INVALID_WINDOW_HANDLE);
  return NULL;
}

/* DestroyWindow's work on the owner thread: WM_DESTROY (when asked), then
 * WM_NCDESTROY, then the HWND goes. Once per window. */
static void window_end(wpu_window *win, int send_destroy) {
  if (win->destroying)
    return;
  win->destroying = 1;
  if (send_destroy)
    win->proc(win->hwnd, WM_DESTROY, 0, 0);
  win->proc(win->hwnd, WM_NCDESTROY, 0, 0);
  window_invalidate(win);
}

static HWND create_window(DWORD ex_style, const class_key *k,
                          const void *class_arg, const void *window_name,
                          DWORD style, int x, int y, int width, int height,
                          HWND parent, HMENU menu, HINSTANCE instance,
                          LPVOID param, int unicode) {
  wpu_thread *self = queue_self();
  if (self == NULL)
    return NULL;
  if (parent != NULL && parent != HWND_MESSAGE) {
    wpu_window *p = window_get(parent);
    if (p == NULL)
      return NULL;
    wpu__kobject_unref(&p->obj);
  }
  wpu_window *win = calloc(1, sizeof *win);
  if (win == NULL) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return NULL;
  }
  registry_lock();
  wpu_class *c = class_find(k, instance, 0);
  if (c != NULL)
    c->windows++;
  registry_unlock();
  if (c == NULL) {
    free(win);
    SetLastError(ERROR_CANNOT_FIND_WND_CLASS);
    return NULL;
  }
  atomic_init(&win->obj.refs, 2); /* the handle's and ours */
  win->obj.kind = WPU_KIND_WINDOW;
  wpu__kobject_ref(&self->w.obj);
  win->owner = self;
  win->cls = c;
  atomic_init(&win->counted, 1);
  win->proc = c->proc;
  HANDLE h = wpu__kobject_handle(&win->obj);
  if (h == NULL) {
    wpu__kobject_unref(&win->obj); /* error set */
    return NULL;
  }
  win->hwnd = (HWND)h;

  CREATESTRUCTW csw = {param,       instance,    menu,      parent,
                       height,      width,       y,         x,
                       (LONG)style, window_name, class_arg, ex_style};
  CREATESTRUCTA csa = {param,       instance,    menu,      parent,
                       height,      width,       y,         x,
                       (LONG)style, window_name, class_arg, ex_style};
  LPARAM cs = unicode ? (LPARAM)&csw : (LPARAM)&csa;
  HWND hwnd = win->hwnd;
  if (win->proc(hwnd, WM_NCCREATE, 0, cs) == 0 ||
      (!win->destroying && win->proc(hwnd, WM_CREATE, 0, cs) == -1))
    window_end(win, 0);
  /* Refused, or destroyed by its own procedure meanwhile (the last error
   * is left as the procedure left it). */
  int failed = win->destroying;
  wpu__kobject_unref(&win->obj);
  return failed ? NULL : hwnd;
}

HWND WINAPI CreateWindowExW(DWORD dwExStyle, LPCWSTR lpClassName,
                            LPCWSTR lpWindowName, DWORD dwStyle, INT X, INT Y,
                            INT nWidth, INT nHeight, HWND hWndParent,
                            HMENU hMenu, HINSTANCE hInstance, LPVOID lpParam) {
  class_key k;
  key_from_w(&k, lpClassName);
  return create_window(dwExStyle, &k, lpClassName, lpWindowName, dwStyle, X, Y,
                       nWidth, nHeight, hWndParent, hMenu, hInstance, lpParam,
                       1);
}

HWND WINAPI CreateWindowExA(DWORD dwExStyle, LPCSTR lpClassName,
                            LPCSTR lpWindowName, DWORD dwStyle, INT X, INT Y,
                            INT nWidth, INT nHeight, HWND hWndParent,
                            HMENU hMenu, HINSTANCE hInstance, LPVOID lpParam) {
  class_key k;
  WCHAR *owned;
  if (!key_from_a(&k, lpClassName, &owned))
    return NULL;
  HWND h =
      create_window(dwExStyle, &k, lpClassName, lpWindowName, dwStyle, X, Y,
                    nWidth, nHeight, hWndParent, hMenu, hInstance, lpParam, 0);
  free(owned);
  return h;
}

BOOL WINAPI DestroyWindow(HWND hWnd) {
  wpu_window *win = window_get(hWnd);
  if (win == NULL)
    return FALSE;
  if (win->owner != wpu__thread_self()) {
    wpu__kobject_unref(&win->obj);
    SetLastError(ERROR_ACCESS_DENIED);
    return FALSE;
  }
  window_end(win, 1);
  wpu__kobject_unref(&win->obj);
  return TRUE;
}

BOOL WINAPI IsWindow(HWND hWnd) {
  wpu_window *win = window_get(hWnd);
  if (win == NULL)
    return FALSE;
  wpu__kobject_unref(&win->obj);
  return TRUE;
}

/* ---- Posting ---- */

/* Queues a message for t (for win, when not NULL). Fails with gone_error
 * when t has ended or win is being destroyed. */
static BOOL post(wpu_thread *t, wpu_window *win, HWND hwnd, UINT msg, WPARAM wp,
                 LPARAM lp, DWORD gone_error) {
  struct wpu_msg *m = malloc(sizeof *m);
  if (m == NULL) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return FALSE;
  }
  memset(m, 0, sizeof *m);
  m->m.hwnd = hwnd;
  m->m.message = msg;
  m->m.wParam = wp;
  m->m.lParam = lp;
  m->m.time = GetTickCount();
  wpu_plat_mutex_lock(t->park_mu);
  int ok = !t->exited && (win == NULL || !win->destroyed);
  if (ok) {
    if (t->msg_tail != NULL)
      t->msg_tail->next = m;
    else
      t->msg_head = m;
    t->msg_tail = m;
    /* park_cv also serves the thread's other waits: wake them all. */
    wpu_plat_cond_broadcast(t->park_cv);
  }
  wpu_plat_mutex_unlock(t->park_mu);
  if (!ok) {
    free(m);
    SetLastError(gone_error);
  }
  return ok;
}

BOOL WINAPI PostMessageW(HWND hWnd, UINT Msg, WPARAM wParam, LPARAM lParam) {
  if (hWnd == NULL) {
    wpu_thread *self = queue_self();
    return self != NULL &&
           post(self, NULL, NULL, Msg, wParam, lParam, ERROR_INVALID_THREAD_ID);
  }
  wpu_window *win = window_get(hWnd);
  if (win == NULL)
    return FALSE;
  BOOL ok = post(win->owner, win, hWnd, Msg, wParam, lParam,
                 ERROR_INVALID_WINDOW_HANDLE);
  wpu__kobject_unref(&win->obj);
  return ok;
}

BOOL WINAPI PostMessageA(HWND hWnd, UINT Msg, WPARAM wParam, LPARAM lParam) {
  return PostMessageW(hWnd, Msg, wParam, lParam);
}

BOOL WINAPI PostThreadMessageW(DWORD idThread, UINT Msg, WPARAM wParam,
                               LPARAM lParam) {
  wpu_thread *t = NULL;
  registry_lock();
  wpu_queue_link *dead = prune_locked();
  for (wpu_queue_link *l = queue_threads; l != NULL; l = l->next)
    if (l->thread->id == idThread) {
      t = l->thread;
      wpu__kobject_ref(&t->w.obj);
      break;
    }
  registry_unlock();
  release_links(dead);
  if (t == NULL) {
    SetLastError(ERROR_INVALID_THREAD_ID);
    return FALSE;
  }
  BOOL ok = post(t, NULL, NULL, Msg, wParam, lParam, ERROR_INVALID_THREAD_ID);
  wpu__kobject_unref(&t->w.obj);
  return ok;
}

BOOL WINAPI PostThreadMessageA(DWORD idThread, UINT Msg, WPARAM wParam,
                               LPARAM lParam) {
  return PostThreadMessageW(idThread, Msg, wParam, lParam);
}

void WINAPI PostQuitMessage(INT nExitCode) {
  wpu_thread *self = queue_self();
  if (self == NULL)
    return;
  wpu_plat_mutex_lock(self->park_mu);
  self->quit_posted = 1;
  self->quit_code = nExitCode;
  wpu_plat_cond_broadcast(self->park_cv);
  wpu_plat_mutex_unlock(self->park_mu);
}

/* ---- Retrieving ---- */

static int in_range(UINT msg, UINT lo, UINT hi) {
  return (lo == 0 && hi == 0) || (msg >= lo && msg <= hi);
}

static int matches(const MSG *m, HWND filter, UINT lo, UINT hi) {
  if (filter == (HWND)-1) {
    if (m->hwnd != NULL)
      return 0;
  } else if (filter != NULL && m->hwnd != filter) {
    return 0;
  }
  return in_range(m->message, lo, hi);
}

/* With t->park_mu held: the oldest message that matches, else WM_QUIT if
 * posted. Returns 1 with *out filled; a removed message is left
 * in *taken for the caller to free. */
static int take_locked(wpu_thread *t, MSG *out, HWND filter, UINT lo, UINT hi,
                       int remove, struct wpu_msg **taken) {
  struct wpu_msg *prev = NULL;
  for (struct wpu_msg *m = t->msg_head; m != NULL; prev = m, m = m->next) {
    if (!matches(&m->m, filter, lo, hi))
      continue;
    *out = m->m;
    if (remove) {
      if (prev != NULL)
        prev->next = m->next;
      else
        t->msg_head = m->next;
      if (t->msg_tail == m)
        t->msg_tail = prev;
      *taken = m;
    }
    return 1;
  }
  if (t->quit_posted) { /* whatever the filters, as Wine's user32 does */
    memset(out, 0, sizeof *out);
    out->message = WM_QUIT;
    out->wParam = (WPARAM)(INT_PTR)t->quit_code;
    out->time = GetTickCount();
    if (remove)
      t->quit_posted = 0;
    return 1;
  }
  return 0;
}

/* Checks the window filter of GetMessage and PeekMessage: NULL, (HWND)-1
 * or a window of the calling thread. */
static int filter_ok(wpu_thread *self, HWND filter) {
  if (filter == NULL || filter == (HWND)-1)
    return 1;
  wpu_window *win = window_get(filter);
  if (win == NULL)
    return 0;
  int mine = win->owner == self;
  wpu__kobject_unref(&win->obj);
  if (!mine)
    SetLastError(ERROR_INVALID_WINDOW_HANDLE);
  return mine;
}

BOOL WINAPI GetMessageW(LPMSG lpMsg, HWND hWnd, UINT wMsgFilterMin,
                        UINT wMsgFilterMax) {
  if (lpMsg == NULL) {
    SetLastError(ERROR_NOACCESS);
    return -1;
  }
  wpu_thread *self = queue_self();
  if (self == NULL || !filter_ok(self, hWnd))
    return -1;
  struct wpu_msg *taken = NULL;
  wpu_plat_mutex_lock(self->park_mu);
  while (
      !take_locked(self, lpMsg, hWnd, wMsgFilterMin, wMsgFilterMax, 1, &taken))
    wpu_plat_cond_wait(self->park_cv, self->park_mu);
  wpu_plat_mutex_unlock(self->park_mu);
  free(taken);
  return lpMsg->message != WM_QUIT;
}

BOOL WINAPI GetMessageA(LPMSG lpMsg, HWND hWnd, UINT wMsgFilterMin,
                        UINT wMsgFilterMax) {
  return GetMessageW(lpMsg, hWnd, wMsgFilterMin, wMsgFilterMax);
}

BOOL WINAPI PeekMessageW(LPMSG lpMsg, HWND hWnd, UINT wMsgFilterMin,
                         UINT wMsgFilterMax, UINT wRemoveMsg) {
  if (lpMsg == NULL) {
    SetLastError(ERROR_NOACCESS);
    return FALSE;
  }
  wpu_thread *self = queue_self();
  if (self == NULL || !filter_ok(self, hWnd))
    return FALSE;
  struct wpu_msg *taken = NULL;
  wpu_plat_mutex_lock(self->park_mu);
  int got = take_locked(self, lpMsg, hWnd, wMsgFilterMin, wMsgFilterMax,
                        (wRemoveMsg & PM_REMOVE) != 0, &taken);
  wpu_plat_mutex_unlock(self->park_mu);
  free(taken);
  return got;
}

BOOL WINAPI PeekMessageA(LPMSG lpMsg, HWND hWnd, UINT wMsgFilterMin,
                         UINT wMsgFilterMax, UINT wRemoveMsg) {
  return PeekMessageW(lpMsg, hWnd, wMsgFilterMin, wMsgFilterMax, wRemoveMsg);
}

/* ---- Dispatching ---- */

BOOL WINAPI TranslateMessage(const MSG *lpMsg) {
  (void)lpMsg; /* no keyboard: nothing to translate */
  return FALSE;
}

LRESULT WINAPI DispatchMessageW(const MSG *lpMsg) {
  if (lpMsg == NULL) {
    SetLastError(ERROR_NOACCESS);
    return 0;
  }
  if (lpMsg->hwnd == NULL)
    return 0; /* thread messages go to no window procedure */
  wpu_window *win = window_get(lpMsg->hwnd);
  if (win == NULL)
    return 0;
  LRESULT r =
      win->proc(lpMsg->hwnd, lpMsg->message, lpMsg->wParam, lpMsg->lParam);
  wpu__kobject_unref(&win->obj);
  return r;
}

LRESULT WINAPI DispatchMessageA(const MSG *lpMsg) {
  return DispatchMessageW(lpMsg);
}

LRESULT WINAPI DefWindowProcW(HWND hWnd, UINT Msg, WPARAM wParam,
                              LPARAM lParam) {
  (void)wParam;
  (void)lParam;
  switch (Msg) {
  case WM_NCCREATE:
    return TRUE;
  case WM_CLOSE:
    DestroyWindow(hWnd);
    return 0;
  default:
    return 0;
  }
}

LRESULT WINAPI DefWindowProcA(HWND hWnd, UINT Msg, WPARAM wParam,
                              LPARAM lParam) {
  return DefWindowProcW(hWnd, Msg, wParam, lParam);
}
