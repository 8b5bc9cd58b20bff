/* user32_impl.h: what user32.c (windows and message queues) and
 * user32_class.c (window classes and the registry lock) share (internal;
 * user32.c's header says how the emulation behaves). */
#ifndef WPU_USER32_IMPL_H
#define WPU_USER32_IMPL_H

#include "kobject.h"

typedef struct wpu_class {
  struct wpu_class *next;
  WCHAR *name;
  ATOM atom;
  HINSTANCE instance;
  UINT style;
  WNDPROC proc;
  long windows; /* live windows of the class */
} wpu_class;

/* A class as the caller names it: by atom (name NULL) or by name. */
typedef struct class_key {
  ATOM atom;
  const WCHAR *name;
} class_key;

/* The registry lock: guards the classes (their list and window counts) and
 * the list of threads that have a message queue. */
void wpu__user32_lock(void);
void wpu__user32_unlock(void);

/* The class k names for hInstance instance, lock held: one of instance's,
 * else (unless exact) a CS_GLOBALCLASS one of that name; NULL if none. */
wpu_class *wpu__class_find(const class_key *k, HINSTANCE instance, int exact);
/* Fills *k from a class argument: a name or MAKEINTATOM(atom). */
void wpu__class_key_from_w(class_key *k, const WCHAR *name);
/* The same for an A argument; *owned is the widened name to free
 * afterwards. Returns 0 when out of memory. */
int wpu__class_key_from_a(class_key *k, const char *name, WCHAR **owned);

#endif /* WPU_USER32_IMPL_H */
