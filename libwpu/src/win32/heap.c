/* heap.c: kernel32 heaps and fixed Local/Global memory (GetProcessHeap,
 * HeapCreate, HeapAlloc, HeapReAlloc, HeapFree, HeapSize, HeapDestroy,
 * LocalAlloc/LocalFree, GlobalAlloc/GlobalFree; Linux only).
 *
 * Every block is C-library memory behind a 48-byte header naming its heap,
 * the size asked for and the usable capacity (the size rounded up to 16), so
 * blocks are 16-byte aligned as MEMORY_ALLOCATION_ALIGNMENT says on x64.
 *
 * Heaps. GetProcessHeap returns one process heap that always exists and
 * cannot be destroyed (HeapDestroy on it fails with ERROR_INVALID_HANDLE).
 * HeapCreate makes a private heap that lists its live blocks, so HeapDestroy
 * frees every block still allocated. A heap handle is the heap's address, as
 * on Windows, but libwpu looks it up among the live heaps before using it:
 * a destroyed or made-up handle fails with ERROR_INVALID_HANDLE (Windows
 * would corrupt memory or crash). A block pointer is checked through its
 * header (alignment, a magic number, the owning heap): a block of another
 * heap fails with ERROR_INVALID_PARAMETER. A pointer no libwpu heap handed
 * out, or one already freed, is undefined behaviour as on Windows.
 *
 * - HeapCreate(flags, initial, maximum): HEAP_NO_SERIALIZE,
 *   HEAP_GENERATE_EXCEPTIONS and HEAP_CREATE_ENABLE_EXECUTE are accepted
 *   (heaps are always serialized; the memory is never executable). Both
 *   sizes are rounded up to 4096. maximum 0 makes a growable heap; otherwise
 *   the heap is fixed-size and a block is charged its capacity plus its
 *   header against the maximum. Fails with ERROR_INVALID_PARAMETER when
 *   initial exceeds a non-zero maximum (the documentation requires it to be
 *   smaller), ERROR_NOT_ENOUGH_MEMORY when a size is larger than the x64
 *   user address space or memory runs out. Windows also refuses single
 *   blocks of about 1 MB or more in a fixed-size heap; libwpu only enforces
 *   the total.
 * - HeapAlloc(heap, flags, size): HEAP_ZERO_MEMORY zeroes the block; 0 bytes
 *   gives a distinct block. Fails (NULL) with ERROR_NOT_ENOUGH_MEMORY when
 *   memory runs out, a fixed-size heap would exceed its maximum, or size is
 *   above 512 GiB (no test machine commits that much, and it keeps the
 *   sanitizers' allocators from aborting). Windows documents no last error
 *   for HeapAlloc and HeapReAlloc; libwpu sets one anyway.
 *   HEAP_GENERATE_EXCEPTIONS (here or at HeapCreate): there is no SEH on
 *   Linux, so instead of raising STATUS_NO_MEMORY the call returns NULL with
 *   ERROR_NOT_ENOUGH_MEMORY, as without the flag.
 * - HeapReAlloc(heap, flags, block, size): keeps the contents up to the
 *   smaller size; HEAP_ZERO_MEMORY zeroes the bytes beyond the old size. The
 *   block stays where it is when size fits its capacity, otherwise it moves
 *   unless HEAP_REALLOC_IN_PLACE_ONLY is given, which then fails with
 *   ERROR_NOT_ENOUGH_MEMORY and leaves the block untouched. A NULL block
 *   fails with ERROR_INVALID_PARAMETER (it does not allocate).
 * - HeapFree(heap, flags, block): TRUE for a NULL block, whatever the heap.
 * - HeapSize(heap, flags, block): the size last asked for (HeapAlloc or
 *   HeapReAlloc); (SIZE_T)-1 on failure, with the last error set as above
 *   (Windows sets none).
 * - HeapDestroy(heap): frees the heap and all its blocks.
 * - LocalAlloc/GlobalAlloc: fixed memory from the process heap;
 *   LMEM_ZEROINIT/GMEM_ZEROINIT (LPTR, GPTR) zero it, obsolete 16-bit flags
 *   are ignored. Movable memory (LMEM_MOVEABLE, GMEM_MOVEABLE, LHND, GHND) is
 *   not supported: NULL with ERROR_INVALID_PARAMETER. Out of memory: NULL
 *   with ERROR_NOT_ENOUGH_MEMORY.
 * - LocalFree/GlobalFree: NULL on success (and for NULL); the handle itself,
 *   with ERROR_INVALID_HANDLE, when it is not a process-heap block.
 *
 * Not implemented: HeapLock, HeapUnlock, HeapWalk, HeapValidate,
 * HeapCompact, HeapSetInformation, GetProcessHeaps, Local/GlobalReAlloc,
 * Lock, Unlock, Size, Flags, Handle. Thread-safety: every function may be
 * called from any thread at once (one mutex per private heap; the process
 * heap takes none). */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <winsock2.h>

#include <platform.h>

#include "win32.h"

#include "../hooks_impl.h"

#define PAGE_SIZE_BYTES 4096
/* Largest block or heap size considered at all (512 GiB). */
#define MAX_REQUEST ((SIZE_T)1 << 39)
/* Size of the x64 user address space (sysinfo.c's address range). */
#define USER_SPACE  ((SIZE_T)0x7FFFFFFE0000)
#define BLOCK_MAGIC 0x6b6c6275706d6568ull /* "hempubkl" */
#define HEAP_MAGIC  0x70616568u

typedef struct wpu_heap wpu_heap;
typedef struct wpu_block wpu_block;

struct wpu_block {
  wpu_block *prev; /* private heaps: the heap's list of live blocks */
  wpu_block *next;
  wpu_heap *owner;
  size_t size;     /* what the caller last asked for */
  size_t capacity; /* usable bytes after the header */
  uint64_t magic;  /* BLOCK_MAGIC while the block is live */
};

_Static_assert(sizeof(wpu_block) % 16 == 0, "blocks stay 16-byte aligned");

struct wpu_heap {
  wpu_heap *prev; /* the registry of live private heaps */
  wpu_heap *next;
  wpu_plat_mutex *lock; /* NULL for the process heap */
  size_t max;           /* 0: growable */
  size_t used;          /* bytes charged against max */
  wpu_block blocks;     /* sentinel of the list of live blocks */
  uint32_t magic;
};

static wpu_heap process_heap = {.magic = HEAP_MAGIC};

/* The live private heaps, and the lock that guards the list (made by the
 * first HeapCreate: before it, no private heap handle can be valid). */
static wpu_heap registry = {&registry, &registry};
static _Atomic(wpu_plat_mutex *) registry_mutex;

static wpu_plat_mutex *registry_lock_make(void) {
  wpu_plat_mutex *m = atomic_load(&registry_mutex);
  if (m != NULL)
    return m;
  wpu_plat_mutex *fresh = wpu_plat_mutex_new();
  if (fresh == NULL)
    return NULL;
  if (atomic_compare_exchange_strong(&registry_mutex, &m, fresh))
    return fresh;
  wpu_plat_mutex_free(fresh);
  return m;
}

static void *fail(DWORD err) {
  SetLastError(err);
  return NULL;
}

static size_t round_up(size_t n, size_t to) {
  return (n + to - 1) & ~(to - 1);
}

/* Finds and locks the heap h names, or sets ERROR_INVALID_HANDLE. */
static wpu_heap *heap_lock(HANDLE h) {
  if (h == (HANDLE)&process_heap)
    return &process_heap;
  wpu_plat_mutex *m = atomic_load(&registry_mutex);
  wpu_heap *found = NULL;
  if (h != NULL && m != NULL) {
    wpu_plat_mutex_lock(m);
    for (wpu_heap *p = registry.next; p != &registry; p = p->next) {
      if (p == (wpu_heap *)h && p->magic == HEAP_MAGIC) {
        found = p;
        wpu_plat_mutex_lock(p->lock);
        break;
      }
    }
    wpu_plat_mutex_unlock(m);
  }
  if (found == NULL)
    SetLastError(ERROR_INVALID_HANDLE);
  return found;
}

static void heap_unlock(wpu_heap *hp) {
  if (hp->lock != NULL)
    wpu_plat_mutex_unlock(hp->lock);
}

/* The header of a live block of hp, or NULL with ERROR_INVALID_PARAMETER. */
static wpu_block *block_of(wpu_heap *hp, const void *mem) {
  if (mem == NULL || ((uintptr_t)mem & 15) != 0)
    return fail(ERROR_INVALID_PARAMETER);
  wpu_block *b = (wpu_block *)mem - 1;
  if (b->magic != BLOCK_MAGIC || b->owner != hp)
    return fail(ERROR_INVALID_PARAMETER);
  return b;
}

static size_t charge(size_t capacity) {
  return sizeof(wpu_block) + capacity;
}

/* Whether a fixed-size heap can take `more` bytes after giving back `less`
 * (the process heap is growable and keeps no count). */
static int fits(const wpu_heap *hp, size_t less, size_t more) {
  return hp->max == 0 || hp->used - less + more <= hp->max;
}

static void link_after(wpu_block *at, wpu_block *b) {
  b->prev = at;
  b->next = at->next;
  at->next->prev = b;
  at->next = b;
}

static void unlink_block(wpu_block *b) {
  b->prev->next = b->next;
  b->next->prev = b->prev;
}

static void *alloc_locked(wpu_heap *hp, DWORD flags, SIZE_T size) {
  if (size > MAX_REQUEST)
    return fail(ERROR_NOT_ENOUGH_MEMORY);
  size_t cap = round_up(size, 16);
  if (!fits(hp, 0, charge(cap)))
    return fail(ERROR_NOT_ENOUGH_MEMORY);
  wpu_block *b = malloc(sizeof *b + cap);
  if (b == NULL)
    return fail(ERROR_NOT_ENOUGH_MEMORY);
  if (flags & HEAP_ZERO_MEMORY)
    memset(b + 1, 0, cap);
  b->owner = hp;
  b->size = size;
  b->capacity = cap;
  b->magic = BLOCK_MAGIC;
  b->prev = b->next = NULL;
  if (hp->lock != NULL) {
    link_after(&hp->blocks, b);
    hp->used += charge(cap);
  }
  return b + 1;
}

HANDLE WINAPI GetProcessHeap(void) {
  return (HANDLE)&process_heap;
}

HANDLE WINAPI HeapCreate(DWORD options, SIZE_T initial, SIZE_T maximum) {
  (void)options;
  if (initial > USER_SPACE || maximum > USER_SPACE)
    return fail(ERROR_NOT_ENOUGH_MEMORY);
  initial = round_up(initial, PAGE_SIZE_BYTES);
  maximum = round_up(maximum, PAGE_SIZE_BYTES);
  if (maximum != 0 && initial > maximum)
    return fail(ERROR_INVALID_PARAMETER);
  wpu_plat_mutex *reg = registry_lock_make();
  wpu_heap *hp = calloc(1, sizeof *hp);
  wpu_plat_mutex *lock = hp != NULL ? wpu_plat_mutex_new() : NULL;
  if (reg == NULL || lock == NULL) {
    wpu_plat_mutex_free(lock);
    free(hp);
    return fail(ERROR_NOT_ENOUGH_MEMORY);
  }
  hp->lock = lock;
  hp->max = maximum;
  hp->blocks.prev = hp->blocks.next = &hp->blocks;
  hp->magic = HEAP_MAGIC;
  wpu_plat_mutex_lock(reg);
  hp->prev = &registry;
  hp->next = registry.next;
  registry.next->prev = hp;
  registry.next = hp;
  wpu_plat_mutex_unlock(reg);
  return (HANDLE)hp;
}

BOOL WINAPI HeapDestroy(HANDLE h) {
  wpu_plat_mutex *m = atomic_load(&registry_mutex);
  wpu_heap *found = NULL;
  if (h != NULL && h != (HANDLE)&process_heap && m != NULL) {
    wpu_plat_mutex_lock(m);
    for (wpu_heap *p = registry.next; p != &registry; p = p->next) {
      if (p == (wpu_heap *)h && p->magic == HEAP_MAGIC) {
        found = p;
        p->prev->next = p->next;
        p->next->prev = p->prev;
        /* Wait for calls that found the heap before it left the list. */
        wpu_plat_mutex_lock(p->lock);
        wpu_plat_mutex_unlock(p->lock);
        break;
      }
    }
    wpu_plat_mutex_unlock(m);
  }
  if (found == NULL) {
    SetLastError(ERROR_INVALID_HANDLE);
    return FALSE;
  }
  wpu_block *b = found->blocks.next;
  while (b != &found->blocks) {
    wpu_block *next = b->next;
    b->magic = 0;
    free(b);
    b = next;
  }
  wpu_plat_mutex_free(found->lock);
  found->magic = 0;
  free(found);
  return TRUE;
}

LPVOID WINAPI HeapAlloc(HANDLE h, DWORD flags, SIZE_T size) {
  WPU_KERNEL32_HOOK("HeapAlloc", NULL);
  wpu_heap *hp = heap_lock(h);
  if (hp == NULL)
    return NULL;
  void *mem = alloc_locked(hp, flags, size);
  heap_unlock(hp);
  return mem;
}

static void *realloc_locked(wpu_heap *hp, DWORD flags, wpu_block *b,
                            SIZE_T size) {
  if (size > MAX_REQUEST)
    return fail(ERROR_NOT_ENOUGH_MEMORY);
  if (size <= b->capacity) {
    if ((flags & HEAP_ZERO_MEMORY) && size > b->size)
      memset((char *)(b + 1) + b->size, 0, size - b->size);
    b->size = size;
    return b + 1;
  }
  if (flags & HEAP_REALLOC_IN_PLACE_ONLY)
    return fail(ERROR_NOT_ENOUGH_MEMORY);
  size_t cap = round_up(size, 16);
  if (!fits(hp, charge(b->capacity), charge(cap)))
    return fail(ERROR_NOT_ENOUGH_MEMORY);
  wpu_block *nb = malloc(sizeof *nb + cap);
  if (nb == NULL)
    return fail(ERROR_NOT_ENOUGH_MEMORY);
  memcpy(nb + 1, b + 1, b->size);
  if (flags & HEAP_ZERO_MEMORY)
    memset((char *)(nb + 1) + b->size, 0, cap - b->size);
  *nb = *b;
  nb->size = size;
  nb->capacity = cap;
  if (hp->lock != NULL) {
    nb->prev->next = nb;
    nb->next->prev = nb;
    hp->used = hp->used - charge(b->capacity) + charge(cap);
  }
  b->magic = 0;
  free(b);
  return nb + 1;
}

LPVOID WINAPI HeapReAlloc(HANDLE h, DWORD flags, LPVOID mem, SIZE_T size) {
  WPU_KERNEL32_HOOK("HeapReAlloc", NULL);
  wpu_heap *hp = heap_lock(h);
  if (hp == NULL)
    return NULL;
  wpu_block *b = block_of(hp, mem);
  void *out = b != NULL ? realloc_locked(hp, flags, b, size) : NULL;
  heap_unlock(hp);
  return out;
}

/* HeapFree's work (the exported name carries the compiler's deallocator
 * attribute, which would flag fixed_free's use of a block it failed to free).
 */
static BOOL free_block(HANDLE h, void *mem) {
  if (mem == NULL)
    return TRUE;
  wpu_heap *hp = heap_lock(h);
  if (hp == NULL)
    return FALSE;
  wpu_block *b = block_of(hp, mem);
  if (b != NULL) {
    if (hp->lock != NULL) {
      unlink_block(b);
      hp->used -= charge(b->capacity);
    }
    b->magic = 0;
  }
  heap_unlock(hp);
  BOOL freed = b != NULL;
  free(b);
  return freed;
}

BOOL WINAPI HeapFree(HANDLE h, DWORD flags, LPVOID mem) {
  (void)flags;
  return free_block(h, mem);
}

SIZE_T WINAPI HeapSize(HANDLE h, DWORD flags, LPCVOID mem) {
  (void)flags;
  wpu_heap *hp = heap_lock(h);
  if (hp == NULL)
    return (SIZE_T)-1;
  wpu_block *b = block_of(hp, mem);
  SIZE_T size = b != NULL ? b->size : (SIZE_T)-1;
  heap_unlock(hp);
  return size;
}

/* LocalAlloc and GlobalAlloc: the flag values are the same for both. */
static void *fixed_alloc(UINT flags, SIZE_T bytes) {
  if (flags & LMEM_MOVEABLE)
    return fail(ERROR_INVALID_PARAMETER);
  return HeapAlloc(GetProcessHeap(),
                   (flags & LMEM_ZEROINIT) ? HEAP_ZERO_MEMORY : 0, bytes);
}

static void *fixed_free(void *mem) {
  if (free_block(&process_heap, mem))
    return NULL;
  SetLastError(ERROR_INVALID_HANDLE);
  return mem;
}

HLOCAL WINAPI LocalAlloc(UINT flags, SIZE_T bytes) {
  WPU_KERNEL32_HOOK("LocalAlloc", NULL);
  return fixed_alloc(flags, bytes);
}

HLOCAL WINAPI LocalFree(HLOCAL mem) {
  return fixed_free(mem);
}

HGLOBAL WINAPI GlobalAlloc(UINT flags, SIZE_T bytes) {
  WPU_KERNEL32_HOOK("GlobalAlloc", NULL);
  return fixed_alloc(flags, bytes);
}

HGLOBAL WINAPI GlobalFree(HGLOBAL mem) {
  return fixed_free(mem);
}
