/* test_socket_handles.c: WPUCreateSocketHandle, WPUQuerySocketHandleContext,
 * WPUCloseSocketHandle, WPUModifyIFSHandle and IFS handles. */
#include <winsock2.h>
#include <ws2spi.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <fws2/fixture.h>
#include <wpu/wpu.h>

#define CAT_BASE 1001
#define CAT_LSP  2001

static SOCKET must_create(DWORD_PTR ctx) {
  int err = 0;
  SOCKET s = WPUCreateSocketHandle(CAT_LSP, ctx, &err);
  assert_int_not_equal(s, INVALID_SOCKET);
  return s;
}

static void must_close(SOCKET s) {
  int err = 0;
  assert_int_equal(WPUCloseSocketHandle(s, &err), 0);
}

static void assert_query_fails(SOCKET s, int expected) {
  int err = 0;
  DWORD_PTR ctx = 0x5a5a;
  assert_int_equal(WPUQuerySocketHandleContext(s, &ctx, &err), SOCKET_ERROR);
  assert_int_equal(err, expected);
  assert_int_equal(ctx, 0x5a5a); /* untouched on failure */
}

static void
create_socket_handle_returns_value_shaped_like_a_windows_handle(void **state) {
  (void)state;
  SOCKET s = must_create(1);
  assert_true(s != 0);
  assert_true(s != INVALID_SOCKET);
  assert_int_equal(s % 4, 0);
  assert_true(s <= 0x7fffffff); /* survives truncation to 32 bits */
  must_close(s);
}

static void create_socket_handle_returns_distinct_handles(void **state) {
  (void)state;
  SOCKET h[100];
  for (int i = 0; i < 100; i++) {
    h[i] = must_create((DWORD_PTR)i);
    for (int j = 0; j < i; j++)
      assert_true(h[i] != h[j]);
  }
  for (int i = 0; i < 100; i++)
    must_close(h[i]);
}

static void query_context_returns_the_context_given_at_create(void **state) {
  (void)state;
  SOCKET a = must_create((DWORD_PTR)0x1234);
  SOCKET b = must_create(~(DWORD_PTR)0); /* full-width pointer values */
  DWORD_PTR ctx = 0;
  int err = 0;
  assert_int_equal(WPUQuerySocketHandleContext(a, &ctx, &err), 0);
  assert_int_equal(ctx, 0x1234);
  assert_int_equal(WPUQuerySocketHandleContext(b, &ctx, &err), 0);
  assert_true(ctx == ~(DWORD_PTR)0);
  must_close(a);
  must_close(b);
}

static void
handle_and_context_stay_valid_until_close_socket_handle(void **state) {
  (void)state;
  SOCKET s = must_create((DWORD_PTR)&state);
  /* Other sockets come and go; s keeps its context throughout. */
  for (int i = 0; i < 10000; i++)
    must_close(must_create((DWORD_PTR)i));
  DWORD_PTR ctx = 0;
  int err = 0;
  assert_int_equal(WPUQuerySocketHandleContext(s, &ctx, &err), 0);
  assert_true(ctx == (DWORD_PTR)&state);
  must_close(s);
  assert_query_fails(s, WSAENOTSOCK);
}

static void query_context_returns_wsaenotsock_for_closed_handle(void **state) {
  (void)state;
  SOCKET s = must_create(7);
  must_close(s);
  assert_query_fails(s, WSAENOTSOCK);
}

static void
query_context_returns_wsaenotsock_for_stale_handle_after_reuse(void **state) {
  (void)state;
  SOCKET old = must_create(1);
  must_close(old);
  /* The slot is reused at once (LIFO); the generation tells the two apart. */
  SOCKET reused = must_create(2);
  assert_true(reused != old);
  assert_query_fails(old, WSAENOTSOCK);
  int err = 0;
  assert_int_equal(WPUCloseSocketHandle(old, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAENOTSOCK);
  DWORD_PTR ctx = 0;
  assert_int_equal(WPUQuerySocketHandleContext(reused, &ctx, &err), 0);
  assert_int_equal(ctx, 2);
  must_close(reused);
}

static void query_context_returns_wsaenotsock_for_values_that_are_not_handles(
    void **state) {
  (void)state;
  SOCKET live = must_create(3);
  const SOCKET bogus[] = {
      0,
      INVALID_SOCKET,
      1,
      live + 1,                   /* not a multiple of 4 */
      live + 4,                   /* neighbouring slot, never handed out */
      live & ~(SOCKET)0x40000000, /* without the emulation's tag */
      live | ((SOCKET)1 << 40),   /* upper half set */
      0x120,                      /* a value a real kernel handle could have */
      0x7ffffffc,                 /* highest slot, segment never allocated */
  };
  for (size_t i = 0; i < sizeof bogus / sizeof bogus[0]; i++)
    assert_query_fails(bogus[i], WSAENOTSOCK);
  must_close(live);
}

static void query_context_returns_wsaenotsock_for_ifs_handle(void **state) {
  (void)state;
  int err = 0;
  SOCKET ifs = wpu_ifs_handle_create(99, &err);
  assert_int_not_equal(ifs, INVALID_SOCKET);
  assert_query_fails(ifs, WSAENOTSOCK);
  assert_int_equal(wpu_ifs_handle_close(ifs, &err), 0);
}

static void
query_context_returns_wsaefault_for_null_context_pointer(void **state) {
  (void)state;
  SOCKET s = must_create(3);
  int err = 0;
  assert_int_equal(WPUQuerySocketHandleContext(s, NULL, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
  must_close(s);
}

static void
upcalls_set_wsaefault_as_last_error_for_null_errno_pointer(void **state) {
  (void)state;
  SOCKET s = must_create(3);
  DWORD_PTR ctx;
  WSASetLastError(0);
  assert_int_equal(WPUCreateSocketHandle(CAT_LSP, 1, NULL), INVALID_SOCKET);
  assert_int_equal(WSAGetLastError(), WSAEFAULT);
  WSASetLastError(0);
  assert_int_equal(WPUQuerySocketHandleContext(s, &ctx, NULL), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEFAULT);
  WSASetLastError(0);
  assert_int_equal(WPUCloseSocketHandle(s, NULL), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEFAULT);
  WSASetLastError(0);
  assert_int_equal(WPUModifyIFSHandle(CAT_LSP, s, NULL), INVALID_SOCKET);
  assert_int_equal(WSAGetLastError(), WSAEFAULT);
  /* Nothing happened to s. */
  int err;
  assert_int_equal(WPUQuerySocketHandleContext(s, &ctx, &err), 0);
  must_close(s);
}

static void
close_socket_handle_returns_wsaenotsock_on_double_close(void **state) {
  (void)state;
  SOCKET s = must_create(3);
  must_close(s);
  int err = 0;
  assert_int_equal(WPUCloseSocketHandle(s, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAENOTSOCK);
}

static void
close_socket_handle_returns_wsaenotsock_for_foreign_handles(void **state) {
  (void)state;
  int err = 0;
  SOCKET ifs = wpu_ifs_handle_create(1, &err);
  assert_int_equal(WPUCloseSocketHandle(ifs, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAENOTSOCK);
  assert_int_equal(WPUCloseSocketHandle(0, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAENOTSOCK);
  assert_int_equal(WPUCloseSocketHandle(INVALID_SOCKET, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAENOTSOCK);
  /* The IFS handle is still alive: closing it the wrong way did nothing. */
  assert_int_equal(wpu_ifs_handle_close(ifs, &err), 0);
}

static void create_socket_handle_returns_enobufs_when_table_full(void **state) {
  fws2_world_teardown(state);
  wpu_world_options o = {.max_handles = 8};
  assert_int_equal(fws2_world_setup_with(state, &o), 0);
  SOCKET h[8];
  for (int i = 0; i < 8; i++)
    h[i] = must_create((DWORD_PTR)i);
  int err = 0;
  assert_int_equal(WPUCreateSocketHandle(CAT_LSP, 9, &err), INVALID_SOCKET);
  assert_int_equal(err, WSAENOBUFS);
  /* IFS handles share the namespace and the limit. */
  err = 0;
  assert_int_equal(wpu_ifs_handle_create(9, &err), INVALID_SOCKET);
  assert_int_equal(err, WSAENOBUFS);
  /* Closing one makes room for exactly one. */
  must_close(h[3]);
  h[3] = must_create(33);
  assert_int_equal(WPUCreateSocketHandle(CAT_LSP, 9, &err), INVALID_SOCKET);
  assert_int_equal(err, WSAENOBUFS);
  for (int i = 0; i < 8; i++)
    must_close(h[i]);
}

/* An allocator that refuses after a number of allocations. */
typedef struct {
  int allowed;
} budget;

static void *budget_malloc(size_t size, void *user) {
  budget *b = user;
  if (b->allowed-- <= 0)
    return NULL;
  return malloc(size);
}

static void budget_free(void *p, void *user) {
  (void)user;
  free(p);
}

static void
create_socket_handle_returns_enobufs_when_allocation_fails(void **state) {
  fws2_world_teardown(state);
  budget b = {1}; /* the world itself, then nothing */
  wpu_allocator a = {budget_malloc, budget_free, &b};
  wpu_world_options o = {.allocator = &a};
  assert_int_equal(fws2_world_setup_with(state, &o), 0);
  int err = 0;
  assert_int_equal(WPUCreateSocketHandle(CAT_LSP, 1, &err), INVALID_SOCKET);
  assert_int_equal(err, WSAENOBUFS);
  /* Memory is back: the same call now succeeds. */
  b.allowed = 1;
  SOCKET s = must_create(1);
  must_close(s);
}

static void handle_remembers_its_catalog_entry(void **state) {
  (void)state;
  int err = 0;
  SOCKET a = WPUCreateSocketHandle(CAT_LSP, 1, &err);
  SOCKET b = WPUCreateSocketHandle(CAT_LSP + 1, 2, &err);
  DWORD cat = 0;
  assert_int_equal(wpu_socket_query(a, &cat), WPU_SOCKET_CREATED);
  assert_int_equal(cat, CAT_LSP);
  assert_int_equal(wpu_socket_query(b, &cat), WPU_SOCKET_CREATED);
  assert_int_equal(cat, CAT_LSP + 1);
  must_close(a);
  must_close(b);
  assert_int_equal(wpu_socket_query(a, &cat), WPU_SOCKET_NONE);
  assert_int_equal(cat, 0);
}

static void
modify_ifs_handle_returns_proposed_handle_and_last_call_wins(void **state) {
  (void)state;
  int err = 0;
  SOCKET s = wpu_ifs_handle_create(0xbeef, &err);
  assert_int_not_equal(s, INVALID_SOCKET);
  DWORD cat = 1;
  assert_int_equal(wpu_socket_query(s, &cat), WPU_SOCKET_IFS);
  assert_int_equal(cat, 0); /* announced to no catalog entry yet */
  /* The base provider announces it, then an IFS LSP takes it over. */
  assert_int_equal(WPUModifyIFSHandle(CAT_BASE, s, &err), s);
  assert_int_equal(wpu_socket_query(s, &cat), WPU_SOCKET_IFS);
  assert_int_equal(cat, CAT_BASE);
  assert_int_equal(WPUModifyIFSHandle(CAT_LSP, s, &err), s);
  assert_int_equal(wpu_socket_query(s, &cat), WPU_SOCKET_IFS);
  assert_int_equal(cat, CAT_LSP);
  /* The provider's own context is untouched. */
  DWORD_PTR ctx = 0;
  assert_int_equal(wpu_ifs_handle_context(s, &ctx, &err), 0);
  assert_int_equal(ctx, 0xbeef);
  assert_int_equal(wpu_ifs_handle_close(s, &err), 0);
}

static void
modify_ifs_handle_returns_wsaeinval_for_invalid_proposed_handle(void **state) {
  (void)state;
  int err = 0;
  SOCKET closed = wpu_ifs_handle_create(1, &err);
  assert_int_equal(wpu_ifs_handle_close(closed, &err), 0);
  SOCKET created = must_create(1);
  const SOCKET bad[] = {closed, created, 0, INVALID_SOCKET, 0x120};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err = 0;
    assert_int_equal(WPUModifyIFSHandle(CAT_LSP, bad[i], &err), INVALID_SOCKET);
    assert_int_equal(err, WSAEINVAL);
  }
  /* The WPUCreateSocketHandle handle kept its own catalog entry. */
  DWORD cat = 0;
  assert_int_equal(wpu_socket_query(created, &cat), WPU_SOCKET_CREATED);
  assert_int_equal(cat, CAT_LSP);
  must_close(created);
}

static void ifs_handle_functions_return_documented_errors(void **state) {
  (void)state;
  int err = 0;
  DWORD_PTR ctx = 0;
  SOCKET s = wpu_ifs_handle_create(5, &err);
  assert_int_equal(wpu_ifs_handle_context(s, NULL, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEFAULT);
  SOCKET created = must_create(1);
  assert_int_equal(wpu_ifs_handle_context(created, &ctx, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAENOTSOCK);
  assert_int_equal(wpu_ifs_handle_close(created, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAENOTSOCK);
  assert_int_equal(wpu_ifs_handle_close(s, &err), 0);
  assert_int_equal(wpu_ifs_handle_close(s, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAENOTSOCK);
  WSASetLastError(0);
  assert_int_equal(wpu_ifs_handle_create(5, NULL), INVALID_SOCKET);
  assert_int_equal(WSAGetLastError(), WSAEFAULT);
  must_close(created);
}

static void upcall_table_entries_reach_the_socket_upcalls(void **state) {
  (void)state;
  WSPUPCALLTABLE up = wpu_upcall_table();
  int err = 0;
  SOCKET s = up.lpWPUCreateSocketHandle(CAT_LSP, 42, &err);
  assert_int_not_equal(s, INVALID_SOCKET);
  DWORD_PTR ctx = 0;
  assert_int_equal(up.lpWPUQuerySocketHandleContext(s, &ctx, &err), 0);
  assert_int_equal(ctx, 42);
  assert_int_equal(up.lpWPUCloseSocketHandle(s, &err), 0);
  SOCKET ifs = wpu_ifs_handle_create(0, &err);
  assert_int_equal(up.lpWPUModifyIFSHandle(CAT_BASE, ifs, &err), ifs);
  assert_int_equal(wpu_ifs_handle_close(ifs, &err), 0);
}

static void
socket_upcalls_return_wsanotinitialised_without_a_world(void **state) {
  (void)state;
  assert_null(wpu_world_current());
  int err = 0;
  DWORD_PTR ctx;
  assert_int_equal(WPUCreateSocketHandle(CAT_LSP, 1, &err), INVALID_SOCKET);
  assert_int_equal(err, WSANOTINITIALISED);
  assert_int_equal(WPUQuerySocketHandleContext(0x40000000, &ctx, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSANOTINITIALISED);
  assert_int_equal(WPUCloseSocketHandle(0x40000000, &err), SOCKET_ERROR);
  assert_int_equal(err, WSANOTINITIALISED);
  assert_int_equal(WPUModifyIFSHandle(CAT_LSP, 0x40000000, &err),
                   INVALID_SOCKET);
  assert_int_equal(err, WSANOTINITIALISED);
  assert_int_equal(wpu_ifs_handle_create(1, &err), INVALID_SOCKET);
  assert_int_equal(err, WSANOTINITIALISED);
  assert_int_equal(wpu_socket_query(0x40000000, NULL), WPU_SOCKET_NONE);
}

static void handles_of_a_destroyed_world_are_unknown_to_the_next(void **state) {
  (void)state;
  wpu_world *w1 = NULL, *w2 = NULL;
  assert_int_equal(wpu_world_create(NULL, &w1), 0);
  int err = 0;
  SOCKET s = WPUCreateSocketHandle(CAT_LSP, 1, &err);
  assert_int_equal(WPUCloseSocketHandle(s, &err), 0);
  assert_int_equal(wpu_world_destroy(w1), 0);
  assert_int_equal(wpu_world_create(NULL, &w2), 0);
  assert_query_fails(s, WSAENOTSOCK);
  assert_int_equal(wpu_world_destroy(w2), 0);
}

#define WORLD_TEST(f)                                                          \
  cmocka_unit_test_setup_teardown(f, fws2_world_setup, fws2_world_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      WORLD_TEST(
          create_socket_handle_returns_value_shaped_like_a_windows_handle),
      WORLD_TEST(create_socket_handle_returns_distinct_handles),
      WORLD_TEST(query_context_returns_the_context_given_at_create),
      WORLD_TEST(handle_and_context_stay_valid_until_close_socket_handle),
      WORLD_TEST(query_context_returns_wsaenotsock_for_closed_handle),
      WORLD_TEST(
          query_context_returns_wsaenotsock_for_stale_handle_after_reuse),
      WORLD_TEST(
          query_context_returns_wsaenotsock_for_values_that_are_not_handles),
      WORLD_TEST(query_context_returns_wsaenotsock_for_ifs_handle),
      WORLD_TEST(query_context_returns_wsaefault_for_null_context_pointer),
      WORLD_TEST(upcalls_set_wsaefault_as_last_error_for_null_errno_pointer),
      WORLD_TEST(close_socket_handle_returns_wsaenotsock_on_double_close),
      WORLD_TEST(close_socket_handle_returns_wsaenotsock_for_foreign_handles),
      WORLD_TEST(create_socket_handle_returns_enobufs_when_table_full),
      WORLD_TEST(create_socket_handle_returns_enobufs_when_allocation_fails),
      WORLD_TEST(handle_remembers_its_catalog_entry),
      WORLD_TEST(modify_ifs_handle_returns_proposed_handle_and_last_call_wins),
      WORLD_TEST(
          modify_ifs_handle_returns_wsaeinval_for_invalid_proposed_handle),
      WORLD_TEST(ifs_handle_functions_return_documented_errors),
      WORLD_TEST(upcall_table_entries_reach_the_socket_upcalls),
      cmocka_unit_test(socket_upcalls_return_wsanotinitialised_without_a_world),
      cmocka_unit_test(handles_of_a_destroyed_world_are_unknown_to_the_next),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
