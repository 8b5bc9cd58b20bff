/* handles.h: the world's one table of emulated kernel-object handles.
 *
 * Sockets (WPUCreateSocketHandle and IFS), and in later areas events,
 * semaphores, threads and completion ports, all get their handle value here.
 * Values look like Windows handles: non-zero multiples of 4 that fit in 31
 * bits, never INVALID_SOCKET, and always have bit 30 set, a range real
 * Windows handles never reach (so the Windows build can tell an emulated
 * handle from a real one by its value alone).
 *
 *   bit 30      1 (emulated-handle tag)
 *   bits 23-29  generation of the slot (7 bits)
 *   bits  2-22  slot index (2^21 slots)
 *   bits  0-1   0
 *
 * The generation is bumped when a slot is freed, so a handle that was closed
 * is rejected even after its slot is reused (for the next 127 reuses of that
 * slot; free slots are reused last-in first-out).
 *
 * Lookups never lock: slots live in segments that are allocated on demand
 * and never moved or freed before the table is destroyed, and a reader
 * validates what it read against the slot's state word (a seqlock whose
 * writers are create and close). Create and close are lock-free too: the free
 * list is a Treiber stack with an ABA tag, and new segments are installed
 * with compare-and-swap, so no lock is ever held across an allocation.
 */
#ifndef WPU_HANDLES_H
#define WPU_HANDLES_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <wpu/world.h>

#define WPU_HANDLE_TAG        0x40000000u
#define WPU_HANDLE_INDEX_BITS 21
#define WPU_HANDLE_GEN_BITS   7
#define WPU_HANDLE_SLOTS      (1u << WPU_HANDLE_INDEX_BITS)
#define WPU_SEGMENT_SHIFT     12
#define WPU_SEGMENT_SLOTS     (1u << WPU_SEGMENT_SHIFT)
#define WPU_SEGMENTS          (WPU_HANDLE_SLOTS / WPU_SEGMENT_SLOTS)

/* What a slot holds. */
typedef enum wpu_kind {
  WPU_KIND_FREE = 0,
  WPU_KIND_SOCKET = 1,     /* made by WPUCreateSocketHandle */
  WPU_KIND_IFS_SOCKET = 2, /* made by a base provider (wpu_ifs_handle_create) */
  WPU_KIND_EVENT = 3,
  WPU_KIND_SEMAPHORE = 4,
  WPU_KIND_THREAD = 5,
  WPU_KIND_PORT = 6, /* I/O completion port */
  WPU_KIND_WINDOW = 7,
  WPU_KIND_COUNT,
  /* Closed, but still pinned by a lookup in progress (never live). */
  WPU_KIND_CLOSING = 0xff
} wpu_kind;

#define WPU_KIND_BIT(k) (1u << (k))
#define WPU_KINDS_SOCKETS                                                      \
  (WPU_KIND_BIT(WPU_KIND_SOCKET) | WPU_KIND_BIT(WPU_KIND_IFS_SOCKET))

/* A slot's state word holds everything that changes while the handle lives,
 * so one compare-and-swap changes it consistently:
 *   bits 48-63 generation, bits 16-47 catalog entry id, bits 0-7 kind. */
typedef struct wpu_slot {
  _Atomic uint64_t state;     /* see above */
  _Atomic uintptr_t context;  /* the owner's context value */
  _Atomic uint32_t next_free; /* free list link: index + 1, 0 = end */
  _Atomic uint32_t pins;      /* 1 while open + lookups holding the slot */
  uint32_t index;             /* this slot's index (fixed) */
  _Atomic(void *) object;     /* kind-specific object, if any */
} wpu_slot;

/* Called once a closed slot is no longer pinned, with what it held. */
typedef void (*wpu_slot_release_fn)(wpu_kind kind, void *object,
                                    uintptr_t context);

typedef struct wpu_handle_table {
  _Atomic(wpu_slot *) segments[WPU_SEGMENTS];
  _Atomic uint64_t free_head;  /* ABA tag << 32 | (index + 1) */
  _Atomic uint32_t next_fresh; /* slots [0, next_fresh) have been handed out */
  uint32_t limit;              /* at most this many slots, so live handles */
  wpu_allocator alloc;
  wpu_slot_release_fn release; /* may be NULL */
} wpu_handle_table;

/* A consistent snapshot of a live slot. */
typedef struct wpu_handle_view {
  wpu_kind kind;
  uint32_t catalog_id;
  uintptr_t context;
  void *object;
} wpu_handle_view;

void wpu_handles_init(wpu_handle_table *t, uint32_t limit,
                      const wpu_allocator *alloc, wpu_slot_release_fn release);
void wpu_handles_fini(wpu_handle_table *t);

/* Makes a handle of the given kind. Returns 0 when the table is full or a
 * segment could not be allocated. */
uintptr_t wpu_handles_create(wpu_handle_table *t, wpu_kind kind,
                             uint32_t catalog_id, uintptr_t context,
                             void *object);

/* Closes a live handle of one of the given kinds: lookups fail from now on,
 * and once no lookup pins the slot any more, the table's release function
 * gets the slot's object and the slot is reused. Returns 0, or -1 when h is
 * not such a live handle (never created, already closed, other kind). */
int wpu_handles_close(wpu_handle_table *t, uintptr_t h, unsigned kinds);

/* Looks a live handle up and pins its slot, so its object stays valid (is
 * not released) until wpu_handles_unpin, even if the handle is closed
 * meanwhile. Returns the slot, or NULL when h is not such a live handle. */
wpu_slot *wpu_handles_pin(wpu_handle_table *t, uintptr_t h, unsigned kinds,
                          wpu_handle_view *view);
void wpu_handles_unpin(wpu_handle_table *t, wpu_slot *slot);

/* Sets a live handle's object if it has none yet (compare-and-swap from
 * NULL). Returns 0, or -1 when the object was set already. The caller holds
 * a pin. */
int wpu_handles_set_object(wpu_slot *slot, void *object);

/* Changes the catalog entry of a live handle of one of the given kinds. */
int wpu_handles_set_catalog(wpu_handle_table *t, uintptr_t h, unsigned kinds,
                            uint32_t catalog_id);

/* Calls fn for every live handle (not safe against concurrent changes);
 * fn may close the handle it is given. */
size_t wpu_handles_foreach_live(wpu_handle_table *t,
                                void (*fn)(uintptr_t h,
                                           const wpu_handle_view *v, void *arg),
                                void *arg);

/* Orders the surrounding accesses of a slot as a fence would. TSan does not
 * model stand-alone fences, so under TSan a read-modify-write of the slot's
 * state word, whose ordering it does see, takes their place. */
#if defined(__SANITIZE_THREAD__)
#define WPU_SLOT_FENCE(state, order)                                           \
  ((void)atomic_fetch_add_explicit((state), 0, memory_order_acq_rel))
#else
#define WPU_SLOT_FENCE(state, order) atomic_thread_fence(order)
#endif

#define WPU_GEN_MASK   ((1u << WPU_HANDLE_GEN_BITS) - 1)
#define WPU_INDEX_MASK (WPU_HANDLE_SLOTS - 1)
#define WPU_STATE(gen, catalog, kind)                                          \
  (((uint64_t)((gen)&0xffff) << 48) | ((uint64_t)(catalog) << 16) |            \
   (uint64_t)(kind))
#define WPU_STATE_GEN(s)     ((uint32_t)((s) >> 48))
#define WPU_STATE_CATALOG(s) ((uint32_t)((s) >> 16))
#define WPU_STATE_KIND(s)    ((wpu_kind)((s)&0xff))
/* What identifies the occupant: generation and kind, not the catalog entry,
 * which WPUModifyIFSHandle may change under a reader. */
#define WPU_STATE_IDENTITY(s) ((s) & ~((uint64_t)0xffffffff << 16))

/* Finds the slot a handle value names, or NULL if it cannot name one. */
static inline wpu_slot *wpu_handles_slot(wpu_handle_table *t, uintptr_t h,
                                         uint32_t *gen) {
  if ((h & ~(uintptr_t)0x7ffffffc) != 0 || (h & WPU_HANDLE_TAG) == 0)
    return NULL;
  uint32_t index = (uint32_t)(h >> 2) & WPU_INDEX_MASK;
  wpu_slot *seg = atomic_load_explicit(&t->segments[index >> WPU_SEGMENT_SHIFT],
                                       memory_order_acquire);
  if (seg == NULL)
    return NULL;
  *gen = (uint32_t)(h >> 23) & WPU_GEN_MASK;
  return &seg[index & (WPU_SEGMENT_SLOTS - 1)];
}

static inline int wpu_handles_live_match(uint64_t s, uint32_t gen,
                                         unsigned kinds) {
  wpu_kind k = WPU_STATE_KIND(s);
  return k != WPU_KIND_FREE && k < WPU_KIND_COUNT &&
         (kinds & WPU_KIND_BIT(k)) && (WPU_STATE_GEN(s) & WPU_GEN_MASK) == gen;
}

/* Reads a live handle's slot: the context always, the rest when full is
 * non-zero (a constant at every call site, so the unused loads fold away).
 * Returns 0, or -1 when h is not a live handle of one of the given kinds. */
static inline int wpu_handles_read(wpu_handle_table *t, uintptr_t h,
                                   unsigned kinds, int full,
                                   wpu_handle_view *view) {
  uint32_t gen;
  wpu_slot *slot = wpu_handles_slot(t, h, &gen);
  if (slot == NULL)
    return -1;
  uint64_t s1 = atomic_load_explicit(&slot->state, memory_order_acquire);
  if (!wpu_handles_live_match(s1, gen, kinds))
    return -1;
  uintptr_t context =
      atomic_load_explicit(&slot->context, memory_order_relaxed);
  void *object = NULL;
  if (full)
    object = atomic_load_explicit(&slot->object, memory_order_relaxed);
  WPU_SLOT_FENCE(&slot->state, memory_order_acquire);
  /* Closed (and perhaps reused) while we read: the handle is stale now. */
  if (WPU_STATE_IDENTITY(atomic_load_explicit(
          &slot->state, memory_order_relaxed)) != WPU_STATE_IDENTITY(s1))
    return -1;
  view->kind = WPU_STATE_KIND(s1);
  view->context = context;
  view->catalog_id = WPU_STATE_CATALOG(s1);
  view->object = object;
  return 0;
}

/* Looks a live handle up; kinds is a mask of WPU_KIND_BIT()s it may have.
 * Returns 0 and fills *view, or -1 when h is not such a live handle.
 * Inline: lookups are the hot path of every SPI call a layered provider
 * makes, and staying inside the (ms_abi) upcall avoids a System V call whose
 * register saves would cost more than the lookup itself. */
static inline int wpu_handles_get(wpu_handle_table *t, uintptr_t h,
                                  unsigned kinds, wpu_handle_view *view) {
  return wpu_handles_read(t, h, kinds, 1, view);
}

/* The same, for callers that need only the context. */
static inline int wpu_handles_context(wpu_handle_table *t, uintptr_t h,
                                      unsigned kinds, uintptr_t *context) {
  wpu_handle_view v;
  int rc = wpu_handles_read(t, h, kinds, 0, &v);
  *context = v.context;
  return rc;
}

#endif /* WPU_HANDLES_H */
