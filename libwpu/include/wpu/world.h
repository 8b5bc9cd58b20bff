/* wpu/world.h: the world, which owns all emulated ws2_32 state.
 *
 * A world holds the handle table (and, as libwpu grows, the catalog, loaded
 * providers, APC and message queues). The upcalls carry no context
 * parameter, so the world is process-global: wpu_world_create() makes the
 * new world current and wpu_world_destroy() ends it. Tests create one world
 * per test (fws2_world_setup/fws2_world_teardown give a CMocka fixture).
 *
 * Error values of the wpu_ functions are Windows error codes (WSA... or
 * ERROR_...), 0 meaning success.
 */
#ifndef WPU_WORLD_H
#define WPU_WORLD_H

#include <stddef.h>
#include <winsock2.h>
#include <ws2spi.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wpu_world wpu_world;

/* Memory for the world's own tables (not for provider heaps). malloc
 * returning NULL makes the operation that needed memory fail the way
 * Windows reports lack of resources (WPUCreateSocketHandle: WSAENOBUFS). */
typedef struct wpu_allocator {
  void *(*malloc)(size_t size, void *user);
  void (*free)(void *ptr, void *user);
  void *user;
} wpu_allocator;

/* Receives one line of a report (leaks at destroy), without newline. */
typedef void (*wpu_report_cb)(const char *line, void *user);

/* Receives the text of one OutputDebugStringA/W call, as UTF-8. */
typedef void (*wpu_debug_output_cb)(const char *text, void *user);

/* Largest number of live handles a world can hold (2^21). */
#define WPU_MAX_HANDLES (1u << 21)

typedef struct wpu_world_options {
  /* Most handles alive at once (sockets, events, threads, ports together);
   * 0 or more than WPU_MAX_HANDLES means WPU_MAX_HANDLES. */
  unsigned max_handles;
  /* NULL: the C library's malloc and free. */
  const wpu_allocator *allocator;
  /* NULL: lines go to stderr. */
  wpu_report_cb report;
  void *report_user;
  /* OutputDebugStringA/W text; NULL: written to stderr. */
  wpu_debug_output_cb debug_output;
  void *debug_output_user;
} wpu_world_options;

/* Creates a world and makes it the current one.
 * options may be NULL (all defaults).
 * Errors: WSAEFAULT (out is NULL), WSAEALREADY (a world is current already;
 * destroy it first), WSA_NOT_ENOUGH_MEMORY.
 * Thread-safety: call while no other thread uses libwpu. */
int wpu_world_create(const wpu_world_options *options, wpu_world **out);

/* Destroys a world, reporting every handle still open as a leak (one line
 * per handle, naming its value, kind, catalog entry and context), and returns
 * the number of leaks. Destroying NULL returns 0. After this, there is no
 * current world until the next wpu_world_create().
 * Thread-safety: call once no other thread uses the world. */
size_t wpu_world_destroy(wpu_world *world);

/* The current world, or, when there is none, a default world made now (the
 * one kernel32 and the front use when no test made a world; it gives way to
 * the next wpu_world_create once it holds no handle). NULL when out of
 * memory. Thread-safe. */
wpu_world *wpu_world_default(void);

/* Attaches value to the world under key (any address unique to the caller,
 * e.g. of a static variable): how the test doubles keep per-world state.
 * destroy (may be NULL) runs with value when the world is destroyed, after
 * started providers were cleaned up and before leaks are counted.
 * Errors: WSAEFAULT (world or key NULL), WSAEALREADY (key taken),
 * WSA_NOT_ENOUGH_MEMORY. Thread-safe. */
int wpu_world_attach(wpu_world *world, const void *key, void *value,
                     void (*destroy)(void *value));

/* The value attached under key, or NULL. Thread-safe. */
void *wpu_world_attachment(wpu_world *world, const void *key);

/* The current world, or NULL. Thread-safe. */
wpu_world *wpu_world_current(void);

/* Number of live handles of any kind in the world. Thread-safe, but only a
 * snapshot while other threads create or close handles. */
size_t wpu_world_handle_count(wpu_world *world);

/* Number of DebugBreak calls made while the world was current. DebugBreak
 * in the emulation does not raise a signal: it reports a line through the
 * world's report hook and counts, and the fake_ws2 fixture fails the test
 * when the count is not zero at teardown. Thread-safe. */
size_t wpu_world_debug_breaks(wpu_world *world);

/* The upcall table ws2_32 hands to WSPStartup, bound to whichever world is
 * current when an upcall runs. Thread-safe. */
WSPUPCALLTABLE wpu_upcall_table(void);

#ifdef __cplusplus
}
#endif

#endif /* WPU_WORLD_H */
