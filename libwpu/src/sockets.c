/* sockets.c: the socket handle/context map (WPUCreateSocketHandle and
 * friends) and IFS socket handles made on behalf of base providers. */
#include <wpu/sockets.h>

#include "hooks_impl.h"
#include "overlapped.h"
#include "world_impl.h"

#define KINDS_CREATED WPU_KIND_BIT(WPU_KIND_SOCKET)
#define KINDS_IFS     WPU_KIND_BIT(WPU_KIND_IFS_SOCKET)

static SOCKET create(wpu_kind kind, DWORD catalog_id, DWORD_PTR context,
                     LPINT lpErrno) {
  wpu_world *w = wpu__enter(lpErrno);
  if (w == NULL)
    return INVALID_SOCKET;
  uintptr_t h =
      wpu_handles_create(&w->handles, kind, catalog_id, context, NULL);
  if (h == 0) {
    *lpErrno = WSAENOBUFS;
    return INVALID_SOCKET;
  }
  return (SOCKET)h;
}

static inline __attribute__((always_inline)) int
get_context(SOCKET s, unsigned kinds, PDWORD_PTR lpContext, LPINT lpErrno) {
  wpu_world *w = wpu__enter(lpErrno);
  if (w == NULL)
    return SOCKET_ERROR;
  if (lpContext == NULL) {
    *lpErrno = WSAEFAULT;
    return SOCKET_ERROR;
  }
  uintptr_t context;
  if (wpu_handles_context(&w->handles, (uintptr_t)s, kinds, &context) != 0) {
    *lpErrno = WSAENOTSOCK;
    return SOCKET_ERROR;
  }
  *lpContext = context;
  return 0;
}

static int close_socket(SOCKET s, unsigned kinds, LPINT lpErrno) {
  wpu_world *w = wpu__enter(lpErrno);
  if (w == NULL)
    return SOCKET_ERROR;
  if (wpu_handles_close(&w->handles, (uintptr_t)s, kinds) != 0) {
    *lpErrno = WSAENOTSOCK;
    return SOCKET_ERROR;
  }
  return 0;
}

/* The three hot upcalls keep their hooked body in a function of the same
 * calling convention of its own, reached by a tail call only while a double
 * is on: their fast path then makes no call at all, so it neither pays the
 * ms_abi -> sysv register saves nor the hook bookkeeping (bench_handles). */
static SOCKET WSPAPI __attribute__((noinline))
create_hooked(DWORD dwCatalogEntryId, DWORD_PTR dwContext, LPINT lpErrno) {
  WPU_HOOKED(SOCKET, INVALID_SOCKET, WPU_HOOK_UPCALL, "WPUCreateSocketHandle",
             dwCatalogEntryId, 0, NULL, lpErrno,
             create(WPU_KIND_SOCKET, dwCatalogEntryId, dwContext, lpErrno));
}

SOCKET WSPAPI WPUCreateSocketHandle(DWORD dwCatalogEntryId, DWORD_PTR dwContext,
                                    LPINT lpErrno) {
  if (__builtin_expect(wpu__hooks_on(), 0))
    return create_hooked(dwCatalogEntryId, dwContext, lpErrno);
  return create(WPU_KIND_SOCKET, dwCatalogEntryId, dwContext, lpErrno);
}

static int WSPAPI __attribute__((noinline))
query_hooked(SOCKET s, PDWORD_PTR lpContext, LPINT lpErrno) {
  WPU_HOOKED(int, SOCKET_ERROR, WPU_HOOK_UPCALL, "WPUQuerySocketHandleContext",
             0, s, NULL, lpErrno,
             get_context(s, KINDS_CREATED, lpContext, lpErrno));
}

int WSPAPI WPUQuerySocketHandleContext(SOCKET s, PDWORD_PTR lpContext,
                                       LPINT lpErrno) {
  if (__builtin_expect(wpu__hooks_on(), 0))
    return query_hooked(s, lpContext, lpErrno);
  return get_context(s, KINDS_CREATED, lpContext, lpErrno);
}

static int WSPAPI __attribute__((noinline))
close_hooked(SOCKET s, LPINT lpErrno) {
  WPU_HOOKED(int, SOCKET_ERROR, WPU_HOOK_UPCALL, "WPUCloseSocketHandle", 0, s,
             NULL, lpErrno, close_socket(s, KINDS_CREATED, lpErrno));
}

int WSPAPI WPUCloseSocketHandle(SOCKET s, LPINT lpErrno) {
  if (__builtin_expect(wpu__hooks_on(), 0))
    return close_hooked(s, lpErrno);
  return close_socket(s, KINDS_CREATED, lpErrno);
}

static SOCKET modify_ifs(DWORD dwCatalogEntryId, SOCKET ProposedHandle,
                         LPINT lpErrno);

SOCKET WSPAPI WPUModifyIFSHandle(DWORD dwCatalogEntryId, SOCKET ProposedHandle,
                                 LPINT lpErrno) {
  WPU_HOOKED(SOCKET, INVALID_SOCKET, WPU_HOOK_UPCALL, "WPUModifyIFSHandle",
             dwCatalogEntryId, ProposedHandle, NULL, lpErrno,
             modify_ifs(dwCatalogEntryId, ProposedHandle, lpErrno));
}

static SOCKET modify_ifs(DWORD dwCatalogEntryId, SOCKET ProposedHandle,
                         LPINT lpErrno) {
  wpu_world *w = wpu__enter(lpErrno);
  if (w == NULL)
    return INVALID_SOCKET;
  wpu_slot *slot =
      wpu_handles_pin(&w->handles, (uintptr_t)ProposedHandle, KINDS_IFS, NULL);
  if (slot == NULL ||
      wpu_handles_set_catalog(&w->handles, (uintptr_t)ProposedHandle, KINDS_IFS,
                              dwCatalogEntryId) != 0) {
    if (slot != NULL)
      wpu_handles_unpin(&w->handles, slot);
    *lpErrno = WSAEINVAL;
    return INVALID_SOCKET;
  }
  /* The first registration is the base provider's (MSAFD registers the
   * handles it makes; an IFS LSP re-registers them later). */
  wpu__socket_note_owner(slot, dwCatalogEntryId);
  wpu_handles_unpin(&w->handles, slot);
  return ProposedHandle;
}

SOCKET wpu_ifs_handle_create(DWORD_PTR context, LPINT lpErrno) {
  return create(WPU_KIND_IFS_SOCKET, 0, context, lpErrno);
}

int wpu_ifs_handle_context(SOCKET s, PDWORD_PTR lpContext, LPINT lpErrno) {
  return get_context(s, KINDS_IFS, lpContext, lpErrno);
}

int wpu_ifs_handle_close(SOCKET s, LPINT lpErrno) {
  return close_socket(s, KINDS_IFS, lpErrno);
}

wpu_socket_kind wpu_socket_query(SOCKET s, DWORD *catalog_id) {
  wpu_world *w = wpu__world();
  wpu_handle_view v;
  if (catalog_id != NULL)
    *catalog_id = 0;
  if (w == NULL ||
      wpu_handles_get(&w->handles, (uintptr_t)s, WPU_KINDS_SOCKETS, &v) != 0)
    return WPU_SOCKET_NONE;
  if (catalog_id != NULL)
    *catalog_id = v.catalog_id;
  return v.kind == WPU_KIND_SOCKET ? WPU_SOCKET_CREATED : WPU_SOCKET_IFS;
}
