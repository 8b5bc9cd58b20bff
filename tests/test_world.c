/* test_world.c: world lifetime, leak reports and the upcall table. */
#include <winsock2.h>
#include <ws2spi.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fws2/fixture.h>
#ifndef _WIN32
#include <platform.h>
#endif
#include <wpu/wpu.h>

static void world_create_makes_the_world_current(void **state) {
  (void)state;
  wpu_world *w = NULL;
  assert_null(wpu_world_current());
  assert_int_equal(wpu_world_create(NULL, &w), 0);
  assert_non_null(w);
  assert_ptr_equal(wpu_world_current(), w);
  assert_int_equal(wpu_world_destroy(w), 0);
  assert_null(wpu_world_current());
}

static void
world_create_returns_wsaealready_while_a_world_is_current(void **state) {
  wpu_world *second = (wpu_world *)&second;
  assert_int_equal(wpu_world_create(NULL, &second), WSAEALREADY);
  assert_null(second);
  assert_ptr_equal(wpu_world_current(), *state);
}

static void world_create_returns_wsaefault_for_null_out(void **state) {
  (void)state;
  assert_int_equal(wpu_world_create(NULL, NULL), WSAEFAULT);
  assert_null(wpu_world_current());
}

static void *null_malloc(size_t size, void *user) {
  (void)size;
  (void)user;
  return NULL;
}

static void plain_free(void *p, void *user) {
  (void)user;
  free(p);
}

static void
world_create_returns_not_enough_memory_when_allocation_fails(void **state) {
  (void)state;
  wpu_allocator a = {null_malloc, plain_free, NULL};
  wpu_world_options o = {.allocator = &a};
  wpu_world *w = NULL;
  assert_int_equal(wpu_world_create(&o, &w), WSA_NOT_ENOUGH_MEMORY);
  assert_null(w);
  assert_null(wpu_world_current());
}

typedef struct {
  int lines;
  char first[256];
} capture;

static void capture_line(const char *line, void *user) {
  capture *c = user;
  if (c->lines++ == 0)
    snprintf(c->first, sizeof c->first, "%s", line);
}

static void world_destroy_reports_each_leaked_handle(void **state) {
  (void)state;
  capture c = {0};
  wpu_world_options o = {.report = capture_line, .report_user = &c};
  wpu_world *w = NULL;
  assert_int_equal(wpu_world_create(&o, &w), 0);
  int err;
  SOCKET s = WPUCreateSocketHandle(1001, 0xabc, &err);
  SOCKET ifs = wpu_ifs_handle_create(0xdef, &err);
  SOCKET closed = WPUCreateSocketHandle(1001, 1, &err);
  assert_int_equal(WPUCloseSocketHandle(closed, &err), 0);
  assert_int_equal(wpu_world_handle_count(w), 2);
  assert_int_equal(wpu_world_destroy(w), 2);
  assert_int_equal(c.lines, 3); /* one per handle and a summary */
  char value[32];
  snprintf(value, sizeof value, "0x%08llx", (unsigned long long)s);
  assert_non_null(strstr(c.first, value));
  assert_non_null(strstr(c.first, "WPUCreateSocketHandle"));
  assert_non_null(strstr(c.first, "catalog entry 1001"));
  assert_non_null(strstr(c.first, "context 0xabc"));
  (void)ifs;
}

static void fixture_teardown_fails_the_test_when_handles_leak(void **state) {
  (void)state;
  void *world = NULL;
  assert_int_equal(fws2_world_setup(&world), 0);
  int err;
  SOCKET s = WPUCreateSocketHandle(1001, 1, &err);
  assert_int_not_equal(s, INVALID_SOCKET);
  assert_int_equal(fws2_world_teardown(&world), -1);
  assert_null(world);
  assert_null(wpu_world_current());
  /* And stays quiet when nothing leaked. */
  assert_int_equal(fws2_world_setup(&world), 0);
  assert_int_equal(fws2_world_teardown(&world), 0);
}

static void world_destroy_of_null_returns_zero(void **state) {
  (void)state;
  assert_int_equal(wpu_world_destroy(NULL), 0);
}

static void world_handle_count_counts_live_handles(void **state) {
  int err;
  assert_int_equal(wpu_world_handle_count(*state), 0);
  SOCKET a = WPUCreateSocketHandle(1, 1, &err);
  SOCKET b = wpu_ifs_handle_create(1, &err);
  assert_int_equal(wpu_world_handle_count(*state), 2);
  WPUCloseSocketHandle(a, &err);
  wpu_ifs_handle_close(b, &err);
  assert_int_equal(wpu_world_handle_count(*state), 0);
  assert_int_equal(wpu_world_handle_count(NULL), 0);
}

static void upcall_table_has_all_fifteen_upcalls(void **state) {
  (void)state;
  WSPUPCALLTABLE t = wpu_upcall_table();
  void *entries[15];
  _Static_assert(sizeof t == sizeof entries, "15 upcalls");
  memcpy(entries, &t, sizeof t);
  for (int i = 0; i < 15; i++)
    assert_non_null(entries[i]);
  assert_ptr_equal(t.lpWPUCreateSocketHandle, WPUCreateSocketHandle);
  assert_ptr_equal(t.lpWPUQuerySocketHandleContext,
                   WPUQuerySocketHandleContext);
  assert_ptr_equal(t.lpWPUCloseSocketHandle, WPUCloseSocketHandle);
  assert_ptr_equal(t.lpWPUModifyIFSHandle, WPUModifyIFSHandle);
  assert_ptr_equal(t.lpWPUFDIsSet, WPUFDIsSet);
}

/* WPUGetProviderPath needs the catalog, which a later area adds. */
static void
get_provider_path_fails_with_einval_until_the_catalog_exists(void **state) {
  (void)state;
  WSPUPCALLTABLE t = wpu_upcall_table();
  int err = 0;
  GUID g = {0};
  WCHAR path[8];
  int len = 8;
  assert_int_equal(t.lpWPUGetProviderPath(&g, path, &len, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
}

#ifndef _WIN32
/* kernel32 works before any world exists (a provider's DllMain, a program
 * that creates an event before WSAStartup): it makes an implicit world,
 * which an explicit wpu_world_create replaces once it holds nothing. */
static void kernel32_without_a_world_uses_an_implicit_world(void **state) {
  (void)state;
  assert_null(wpu_world_current());
  HANDLE e = CreateEventW(NULL, TRUE, FALSE, NULL);
  assert_non_null(e);
  wpu_world *implicit = wpu_world_current();
  assert_non_null(implicit);
  wpu_world *w = NULL;
  assert_int_equal(wpu_world_create(NULL, &w), WSAEALREADY); /* e is open */
  assert_true(CloseHandle(e));
  assert_int_equal(wpu_world_create(NULL, &w), 0);
  assert_ptr_equal(wpu_world_current(), w);
  assert_int_equal(wpu_world_destroy(w), 0);
  assert_null(wpu_world_current());
}

typedef struct {
  HANDLE h[200];
} racer;

static void create_events(void *arg) {
  racer *r = arg;
  for (int i = 0; i < 200; i++)
    r->h[i] = CreateEventW(NULL, TRUE, FALSE, NULL);
}

/* Two threads whose first kernel32 call races both end up in one implicit
 * world: no handle lands in a world that was thrown away. */
static void first_kernel32_calls_racing_share_one_implicit_world(void **state) {
  (void)state;
  for (int round = 0; round < 20; round++) {
    assert_null(wpu_world_current());
    racer a, b;
    wpu_plat_thread *ta, *tb;
    assert_int_equal(wpu_plat_thread_create(&ta, create_events, &a), 0);
    assert_int_equal(wpu_plat_thread_create(&tb, create_events, &b), 0);
    wpu_plat_thread_join(ta);
    wpu_plat_thread_join(tb);
    wpu_world *w = wpu_world_current();
    assert_non_null(w);
    assert_int_equal(wpu_world_handle_count(w), 400);
    for (int i = 0; i < 200; i++) {
      assert_true(CloseHandle(a.h[i]));
      assert_true(CloseHandle(b.h[i]));
    }
    assert_int_equal(wpu_world_destroy(w), 0);
  }
}
#endif

static void wpu_fd_is_set_reports_membership(void **state) {
  (void)state;
  fd_set set;
  FD_ZERO(&set);
  FD_SET((SOCKET)0x40000004, &set);
  FD_SET((SOCKET)0x40000008, &set);
  assert_true(WPUFDIsSet((SOCKET)0x40000004, &set));
  assert_true(WPUFDIsSet((SOCKET)0x40000008, &set));
  assert_false(WPUFDIsSet((SOCKET)0x4000000c, &set));
  assert_false(WPUFDIsSet((SOCKET)0x40000004, NULL));
  FD_ZERO(&set);
  assert_false(WPUFDIsSet((SOCKET)0x40000004, &set));
}

static void wpu_fd_is_set_reads_sets_larger_than_fd_setsize(void **state) {
  (void)state;
  /* Providers are often built with FD_SETSIZE 1024 (the Microsoft samples
   * are): the set's own fd_count decides. */
  struct {
    u_int fd_count;
    SOCKET fd_array[1024];
  } big;
  big.fd_count = 1024;
  for (int i = 0; i < 1024; i++)
    big.fd_array[i] = (SOCKET)(0x40000000 + 4 * i);
  assert_true(WPUFDIsSet((SOCKET)(0x40000000 + 4 * 1023), (fd_set *)&big));
  assert_false(WPUFDIsSet((SOCKET)(0x40000000 + 4 * 1024), (fd_set *)&big));
}

#define WORLD_TEST(f)                                                          \
  cmocka_unit_test_setup_teardown(f, fws2_world_setup, fws2_world_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(world_create_makes_the_world_current),
      WORLD_TEST(world_create_returns_wsaealready_while_a_world_is_current),
      cmocka_unit_test(world_create_returns_wsaefault_for_null_out),
      cmocka_unit_test(
          world_create_returns_not_enough_memory_when_allocation_fails),
      cmocka_unit_test(world_destroy_reports_each_leaked_handle),
      cmocka_unit_test(fixture_teardown_fails_the_test_when_handles_leak),
      cmocka_unit_test(world_destroy_of_null_returns_zero),
      WORLD_TEST(world_handle_count_counts_live_handles),
      WORLD_TEST(upcall_table_has_all_fifteen_upcalls),
      WORLD_TEST(get_provider_path_fails_with_einval_until_the_catalog_exists),
#ifndef _WIN32
      cmocka_unit_test(kernel32_without_a_world_uses_an_implicit_world),
      cmocka_unit_test(first_kernel32_calls_racing_share_one_implicit_world),
#endif
      WORLD_TEST(wpu_fd_is_set_reports_membership),
      WORLD_TEST(wpu_fd_is_set_reads_sets_larger_than_fd_setsize),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
