/* fws2/conformance.h: the conformance suite, which checks that a provider
 * installed in the world's catalog preserves Winsock semantics.
 *
 * The suite is an application: it calls the Winsock API (the ws2_32
 * front), with its sockets made from the catalog entries under test
 * (WSASocketW with the entry's WSAPROTOCOL_INFOW), so every call goes to
 * the top of that entry's chain, i.e. the provider under test and whatever
 * is below it. Both ends of every connection are made from the same entry.
 * The checks (in this order; each name is also a CMocka test,
 * fws2_conformance_test_<name>):
 *
 *   catalog             the entries are visible to WSAEnumProtocolsW, a
 *                       chain is [layered entry, ..., base entry], and a
 *                       socket made from an entry dispatches to that entry
 *                       (WPUCreateSocketHandle or WPUModifyIFSHandle with
 *                       its catalog id) and has its socket type
 *   stream              connect/accept; a three-buffer WSASend arrives
 *                       whole and in order; 256 KiB from another thread
 *                       arrive byte exact through small receives
 *   stream_shutdown     shutdown(SD_SEND) makes the peer's recv return 0;
 *                       closesocket is graceful for the peer
 *   datagram            sendto/recvfrom keep message boundaries and report
 *                       the source; a short buffer gets WSAEMSGSIZE
 *   overlapped_event    WSARecv/WSASend with an event: pending until data
 *                       comes, then the event, WSAGetOverlappedResult
 *   overlapped_routine  WSARecv with a completion routine: run as an APC on
 *                       the issuing thread, only in its alertable wait
 *   overlapped_port     the socket associated with a completion port:
 *                       packets with the key and overlapped, receive and
 *                       send
 *   select              not readable before data, writable when connected,
 *                       readable after data, with the application's handles
 *   event_select        WSAEventSelect: FD_READ then FD_CLOSE, through the
 *                       event and WSAEnumNetworkEvents
 *   async_select        WSAAsyncSelect: messages with the socket as wParam
 *                       and WSAMAKESELECTREPLY(event, 0)
 *   conditional_accept  SO_CONDITIONAL_ACCEPT: CF_REJECT refuses the
 *                       connect, CF_ACCEPT accepts; the condition function
 *                       gets the caller's address
 *   readfile_writefile  WriteFile/ReadFile on the socket handles carry the
 *                       bytes the peer sees (on the Windows build too:
 *                       the front routes kernel32's ReadFile/WriteFile).
 *                       An IFS layer that changes data fails it: ReadFile
 *                       on an IFS handle goes straight to the base provider
 *   close_inflight      closesocket with a receive in flight completes it
 *                       with WSA_OPERATION_ABORTED, through the event and
 *                       the port
 *
 * A failed check says what was expected and what happened, e.g.
 *   overlapped_port: expected a completion packet for the WSARecv within
 *   10000 ms; none came (GetQueuedCompletionStatus: error 258)
 *
 * Each check calls WSAStartup and WSACleanup itself, closes what it opened
 * and waits on events with the timeout of the options (never sleeps).
 * The current world must have the provider's module registered and its
 * entries installed (e.g. fws2_mock_install's way, or
 * wpu_catalog_install_standard + wpu_catalog_install_lsp over memnet).
 * Not thread-safe: run it from one thread (it makes threads of its own).
 * Include <cmocka.h> before this header for the CMocka part.
 */
#ifndef FWS2_CONFORMANCE_H
#define FWS2_CONFORMANCE_H

#include <stddef.h>
#include <winsock2.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fws2_conformance_options {
  /* Catalog ids of the entries to test. 0: the first entry in catalog
   * order an application can see (not hidden, not a layered dummy) for
   * AF_INET and SOCK_STREAM (tcp) or SOCK_DGRAM (udp): an installed LSP's
   * chains come first, so they are picked. */
  DWORD tcp_entry;
  DWORD udp_entry;
  /* How long to wait for something that must happen, in ms (0: 10000). A
   * broken provider makes a check wait this long before it fails. */
  DWORD wait_ms;
  /* Run only the checks whose name contains this (NULL: all). */
  const char *only;
  /* Print nothing (otherwise one line per check on stdout). */
  BOOL quiet;
} fws2_conformance_options;

typedef enum fws2_conformance_status {
  FWS2_CONFORMANCE_PASS = 0,
  FWS2_CONFORMANCE_FAIL = 1,
  FWS2_CONFORMANCE_SKIP = 2
} fws2_conformance_status;

typedef struct fws2_conformance_result {
  const char *name; /* the check's name (static) */
  fws2_conformance_status status;
  char message[600]; /* FAIL: expected and happened; SKIP: why */
} fws2_conformance_result;

/* Number of checks, and the name of check i (NULL past the end). */
size_t fws2_conformance_count(void);
const char *fws2_conformance_name(size_t i);

/* Runs the checks selected by o (NULL: defaults) and returns how many
 * failed (0: the provider conforms). results (may be NULL) receives the
 * result of each check run, in order, up to n of them. A check that cannot
 * start (no such entry, WSAStartup fails) fails with that message. */
int fws2_conformance_run(const fws2_conformance_options *o,
                         fws2_conformance_result *results, size_t n);

/* Runs the check named name: 0 (passed or skipped) or 1 (failed) and
 * *out; -1 for an unknown name. */
int fws2_conformance_check(const char *name, const fws2_conformance_options *o,
                           fws2_conformance_result *out);

/* ---- As CMocka tests ---- */

/* Options the fws2_conformance_test_* functions use in the current world
 * (call from the test's setup, after installing the provider; copied).
 * Without it they use the defaults. Returns 0, WSANOTINITIALISED (no
 * world) or WSA_NOT_ENOUGH_MEMORY. */
int fws2_conformance_set_options(const fws2_conformance_options *o);

/* One CMocka test per check: runs it with the options set for the world
 * and fails (fail_msg) with its message; a skipped check is skipped. */
void fws2_conformance_test_catalog(void **state);
void fws2_conformance_test_stream(void **state);
void fws2_conformance_test_stream_shutdown(void **state);
void fws2_conformance_test_datagram(void **state);
void fws2_conformance_test_overlapped_event(void **state);
void fws2_conformance_test_overlapped_routine(void **state);
void fws2_conformance_test_overlapped_port(void **state);
void fws2_conformance_test_select(void **state);
void fws2_conformance_test_event_select(void **state);
void fws2_conformance_test_async_select(void **state);
void fws2_conformance_test_conditional_accept(void **state);
void fws2_conformance_test_readfile_writefile(void **state);
void fws2_conformance_test_close_inflight(void **state);

/* The entries of a CMUnitTest array, each check with the caller's fixture
 * (which makes the world and installs the provider):
 *
 *   const struct CMUnitTest tests[] = {
 *       FWS2_CONFORMANCE_TESTS(setup_my_lsp, teardown_my_lsp),
 *   };
 *   return cmocka_run_group_tests(tests, NULL, NULL);
 */
#define FWS2_CONFORMANCE_TEST_(name, setup, teardown)                          \
  cmocka_unit_test_setup_teardown(fws2_conformance_test_##name, setup, teardown)
#define FWS2_CONFORMANCE_TESTS(setup, teardown)                                \
  FWS2_CONFORMANCE_TEST_(catalog, setup, teardown),                            \
      FWS2_CONFORMANCE_TEST_(stream, setup, teardown),                         \
      FWS2_CONFORMANCE_TEST_(stream_shutdown, setup, teardown),                \
      FWS2_CONFORMANCE_TEST_(datagram, setup, teardown),                       \
      FWS2_CONFORMANCE_TEST_(overlapped_event, setup, teardown),               \
      FWS2_CONFORMANCE_TEST_(overlapped_routine, setup, teardown),             \
      FWS2_CONFORMANCE_TEST_(overlapped_port, setup, teardown),                \
      FWS2_CONFORMANCE_TEST_(select, setup, teardown),                         \
      FWS2_CONFORMANCE_TEST_(event_select, setup, teardown),                   \
      FWS2_CONFORMANCE_TEST_(async_select, setup, teardown),                   \
      FWS2_CONFORMANCE_TEST_(conditional_accept, setup, teardown),             \
      FWS2_CONFORMANCE_TEST_(readfile_writefile, setup, teardown),             \
      FWS2_CONFORMANCE_TEST_(close_inflight, setup, teardown)

#ifdef __cplusplus
}
#endif

#endif /* FWS2_CONFORMANCE_H */
