/* handles.c: the lock-free handle table of emulated kernel objects. */
#include <string.h>

#include "handles.h"

static uintptr_t encode(uint32_t index, uint32_t gen) {
  return (uintptr_t)(WPU_HANDLE_TAG | ((gen & WPU_GEN_MASK) << 23) |
                     (index << 2));
}

static wpu_slot *slot_at(wpu_handle_table *t, uint32_t index) {
  wpu_slot *seg = atomic_load_explicit(&t->segments[index >> WPU_SEGMENT_SHIFT],
                                       memory_order_acquire);
  return &seg[index & (WPU_SEGMENT_SLOTS - 1)];
}

void wpu_handles_init(wpu_handle_table *t, uint32_t limit,
                      const wpu_allocator *alloc, wpu_slot_release_fn release) {
  for (size_t i = 0; i < WPU_SEGMENTS; i++)
    atomic_init(&t->segments[i], NULL);
  atomic_init(&t->free_head, 0);
  atomic_init(&t->next_fresh, 0);
  t->limit =
      (limit == 0 || limit > WPU_HANDLE_SLOTS) ? WPU_HANDLE_SLOTS : limit;
  t->alloc = *alloc;
  t->release = release;
}

void wpu_handles_fini(wpu_handle_table *t) {
  for (size_t i = 0; i < WPU_SEGMENTS; i++) {
    wpu_slot *seg = atomic_load_explicit(&t->segments[i], memory_order_relaxed);
    if (seg != NULL)
      t->alloc.free(seg, t->alloc.user);
    atomic_store_explicit(&t->segments[i], NULL, memory_order_relaxed);
  }
}

/* Pops a recycled slot; returns its index + 1, or 0 when none is free. */
static uint32_t pop_free(wpu_handle_table *t) {
  uint64_t head = atomic_load_explicit(&t->free_head, memory_order_acquire);
  for (;;) {
    uint32_t top = (uint32_t)head;
    if (top == 0)
      return 0;
    uint32_t next = atomic_load_explicit(&slot_at(t, top - 1)->next_free,
                                         memory_order_relaxed);
    uint64_t desired = ((head >> 32) + 1) << 32 | next;
    if (atomic_compare_exchange_weak_explicit(&t->free_head, &head, desired,
                                              memory_order_acquire,
                                              memory_order_acquire))
      return top;
  }
}

static void push_free(wpu_handle_table *t, uint32_t index) {
  wpu_slot *slot = slot_at(t, index);
  uint64_t head = atomic_load_explicit(&t->free_head, memory_order_relaxed);
  for (;;) {
    atomic_store_explicit(&slot->next_free, (uint32_t)head,
                          memory_order_relaxed);
    uint64_t desired = ((head >> 32) + 1) << 32 | (index + 1);
    if (atomic_compare_exchange_weak_explicit(&t->free_head, &head, desired,
                                              memory_order_release,
                                              memory_order_relaxed))
      return;
  }
}

/* Hands out a never-used slot, allocating its segment first if needed.
 * Returns index + 1, or 0 when the limit is reached or allocation failed. */
static uint32_t take_fresh(wpu_handle_table *t) {
  uint32_t n = atomic_load_explicit(&t->next_fresh, memory_order_relaxed);
  for (;;) {
    if (n >= t->limit)
      return 0;
    _Atomic(wpu_slot *) *segp = &t->segments[n >> WPU_SEGMENT_SHIFT];
    if (atomic_load_explicit(segp, memory_order_acquire) == NULL) {
      wpu_slot *seg =
          t->alloc.malloc(WPU_SEGMENT_SLOTS * sizeof(wpu_slot), t->alloc.user);
      if (seg == NULL)
        return 0;
      for (size_t i = 0; i < WPU_SEGMENT_SLOTS; i++) {
        atomic_init(&seg[i].state, WPU_STATE(0, 0, WPU_KIND_FREE));
        atomic_init(&seg[i].context, 0);
        atomic_init(&seg[i].next_free, 0);
        atomic_init(&seg[i].pins, 0);
        seg[i].index = (n & ~(WPU_SEGMENT_SLOTS - 1)) + (uint32_t)i;
        atomic_init(&seg[i].object, NULL);
      }
      wpu_slot *expected = NULL;
      if (!atomic_compare_exchange_strong_explicit(
              segp, &expected, seg, memory_order_acq_rel, memory_order_acquire))
        t->alloc.free(seg, t->alloc.user); /* another thread installed it */
    }
    if (atomic_compare_exchange_weak_explicit(&t->next_fresh, &n, n + 1,
                                              memory_order_relaxed,
                                              memory_order_relaxed))
      return n + 1;
  }
}

uintptr_t wpu_handles_create(wpu_handle_table *t, wpu_kind kind,
                             uint32_t catalog_id, uintptr_t context,
                             void *object) {
  uint32_t taken = pop_free(t);
  if (taken == 0)
    taken = take_fresh(t);
  if (taken == 0)
    return 0;
  uint32_t index = taken - 1;
  wpu_slot *slot = slot_at(t, index);
  uint32_t gen =
      WPU_STATE_GEN(atomic_load_explicit(&slot->state, memory_order_relaxed));
  /* Seqlock writer: the slot's previous free state must be visible to any
   * reader that sees the new fields (pairs with the reader's fence). */
  WPU_SLOT_FENCE(&slot->state, memory_order_release);
  atomic_store_explicit(&slot->pins, 1, memory_order_relaxed);
  atomic_store_explicit(&slot->context, context, memory_order_relaxed);
  atomic_store_explicit(&slot->object, object, memory_order_relaxed);
  atomic_store_explicit(&slot->state, WPU_STATE(gen, catalog_id, kind),
                        memory_order_release);
  return encode(index, gen);
}

/* Drops one pin; the last one of a closed slot releases it. */
void wpu_handles_unpin(wpu_handle_table *t, wpu_slot *slot) {
  if (atomic_fetch_sub_explicit(&slot->pins, 1, memory_order_acq_rel) != 1)
    return;
  /* The last pin: pins only rise from 0 by a create, which needs this
   * release first, so the slot is ours and closed (CLOSING). */
  uint64_t s = atomic_load_explicit(&slot->state, memory_order_acquire);
  atomic_store_explicit(&slot->state,
                        WPU_STATE(WPU_STATE_GEN(s) + 1, 0, WPU_KIND_FREE),
                        memory_order_release);
  wpu_kind kind = (wpu_kind)WPU_STATE_CATALOG(s); /* parked there by close */
  void *object = atomic_load_explicit(&slot->object, memory_order_relaxed);
  uintptr_t context =
      atomic_load_explicit(&slot->context, memory_order_relaxed);
  atomic_store_explicit(&slot->object, NULL, memory_order_relaxed);
  if (t->release != NULL)
    t->release(kind, object, context);
  push_free(t, slot->index);
}

int wpu_handles_close(wpu_handle_table *t, uintptr_t h, unsigned kinds) {
  uint32_t gen;
  wpu_slot *slot = wpu_handles_slot(t, h, &gen);
  if (slot == NULL)
    return -1;
  uint64_t s = atomic_load_explicit(&slot->state, memory_order_acquire);
  /* Closing keeps the generation (lookups compare it) and
   * parks the kind where the catalog entry was, for the release. */
  do {
    if (!wpu_handles_live_match(s, gen, kinds))
      return -1;
  } while (!atomic_compare_exchange_weak_explicit(
      &slot->state, &s,
      WPU_STATE(WPU_STATE_GEN(s), WPU_STATE_KIND(s), WPU_KIND_CLOSING),
      memory_order_acq_rel, memory_order_acquire));
  wpu_handles_unpin(t, slot);
  return 0;
}

wpu_slot *wpu_handles_pin(wpu_handle_table *t, uintptr_t h, unsigned kinds,
                          wpu_handle_view *view) {
  uint32_t gen;
  wpu_slot *slot = wpu_handles_slot(t, h, &gen);
  if (slot == NULL)
    return NULL;
  uint64_t s = atomic_load_explicit(&slot->state, memory_order_acquire);
  if (!wpu_handles_live_match(s, gen, kinds))
    return NULL;
  /* Pin only a slot somebody else holds (pins never rise from 0 but by a
   * create): a slot whose last pin is gone is being released, and a pin
   * taken then could outlive the release. */
  uint32_t pins = atomic_load_explicit(&slot->pins, memory_order_relaxed);
  do {
    if (pins == 0)
      return NULL;
  } while (!atomic_compare_exchange_weak_explicit(&slot->pins, &pins, pins + 1,
                                                  memory_order_acq_rel,
                                                  memory_order_relaxed));
  /* Re-check after pinning: if the handle is still live now, its release
   * cannot run before our unpin. A pin that landed on a later occupant of
   * the slot is that occupant's, and dropping it is correct for it too. */
  uint64_t s2 = atomic_load_explicit(&slot->state, memory_order_acquire);
  if (WPU_STATE_IDENTITY(s2) != WPU_STATE_IDENTITY(s)) {
    wpu_handles_unpin(t, slot);
    return NULL;
  }
  if (view != NULL) {
    view->kind = WPU_STATE_KIND(s2);
    view->catalog_id = WPU_STATE_CATALOG(s2);
    view->context = atomic_load_explicit(&slot->context, memory_order_relaxed);
    view->object = atomic_load_explicit(&slot->object, memory_order_acquire);
  }
  return slot;
}

int wpu_handles_set_object(wpu_slot *slot, void *object) {
  void *expected = NULL;
  return atomic_compare_exchange_strong_explicit(&slot->object, &expected,
                                                 object, memory_order_acq_rel,
                                                 memory_order_acquire)
             ? 0
             : -1;
}

int wpu_handles_set_catalog(wpu_handle_table *t, uintptr_t h, unsigned kinds,
                            uint32_t catalog_id) {
  uint32_t gen;
  wpu_slot *slot = wpu_handles_slot(t, h, &gen);
  if (slot == NULL)
    return -1;
  /* One CAS on the state word: a concurrent close either happens first (and
   * we fail) or after (and frees the handle with its new catalog entry). */
  uint64_t s = atomic_load_explicit(&slot->state, memory_order_acquire);
  do {
    if (!wpu_handles_live_match(s, gen, kinds))
      return -1;
  } while (!atomic_compare_exchange_weak_explicit(
      &slot->state, &s,
      WPU_STATE(WPU_STATE_GEN(s), catalog_id, WPU_STATE_KIND(s)),
      memory_order_acq_rel, memory_order_acquire));
  return 0;
}

size_t wpu_handles_foreach_live(wpu_handle_table *t,
                                void (*fn)(uintptr_t h,
                                           const wpu_handle_view *v, void *arg),
                                void *arg) {
  size_t live = 0;
  uint32_t n = atomic_load_explicit(&t->next_fresh, memory_order_acquire);
  for (uint32_t i = 0; i < n; i++) {
    wpu_slot *slot = slot_at(t, i);
    uint64_t s = atomic_load_explicit(&slot->state, memory_order_acquire);
    wpu_kind k = WPU_STATE_KIND(s);
    if (k == WPU_KIND_FREE || k == WPU_KIND_CLOSING)
      continue;
    live++;
    if (fn != NULL) {
      wpu_handle_view v = {
          WPU_STATE_KIND(s), WPU_STATE_CATALOG(s),
          atomic_load_explicit(&slot->context, memory_order_relaxed),
          atomic_load_explicit(&slot->object, memory_order_relaxed)};
      fn(encode(i, WPU_STATE_GEN(s)), &v, arg);
    }
  }
  return live;
}
