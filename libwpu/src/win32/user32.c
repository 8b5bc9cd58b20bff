/* user32.c: windows and message queues of the Linux user32 emulation
 * (window classes are user32_class.c's, what both share user32_impl.h),
 * the subset providers use to relay WSAAsyncSelect notifications
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

#include "user32_impl.h"

/* ---- Threads that have a message queue ---- */

typedef struct wpu_queue_link {
  struct wpu_queue_link *next;
  wpu_thread *thread; /* a reference */
} wpu_queue_link;

/* Guarded by the registry lock (wpu__user32_lock): */
static wpu_queue_link *queue_threads;

static _Thread_local wpu_thread *queue_self_cache; /* registered already */

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
  wpu__user32_lock();
  wpu_queue_link *dead = prune_locked();
  l->next = queue_threads;
  queue_threads = l;
  wpu__user32_unlock();
  release_links(dead);
  queue_self_cache = t;
  return t;
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
  wpu__user32_lock();
  win->cls->windows--;
  wpu__user32_unlock();
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
  wpu__user32_lock();
  wpu_class *c = wpu__class_find(k, instance, 0);
  if (c != NULL)
    c->windows++;
  wpu__user32_unlock();
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
  wpu__class_key_from_w(&k, lpClassName);
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
  if (!wpu__class_key_from_a(&k, lpClassName, &owned))
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
  wpu__user32_lock();
  wpu_queue_link *dead = prune_locked();
  for (wpu_queue_link *l = queue_threads; l != NULL; l = l->next)
    if (l->thread->id == idThread) {
      t = l->thread;
      wpu__kobject_ref(&t->w.obj);
      break;
    }
  wpu__user32_unlock();
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
