/* fws2/mock.h: a CMocka mock of the next layer.
 *
 * The mock is a base provider (all 30 WSPPROC_TABLE entries) whose entry
 * points are CMocka mocks: an LSP under test is installed over it in the
 * catalog, the test scripts what each call of the next layer returns and
 * states what it expects the LSP to pass down, with CMocka's own
 * expect_*() and will_return() (through the thin helpers below).
 *
 *   fws2_mock_ids ids;
 *   fws2_mock_layer lsp = {&my_lsp_id, L"C:\\my_lsp.dll", L"my lsp",
 *                          MyWSPStartup, FALSE};
 *   assert_int_equal(fws2_mock_install(&lsp, &ids), 0);
 *   WSADATA d;
 *   WSAStartup(MAKEWORD(2, 2), &d);
 *   SOCKET s = socket(AF_INET, SOCK_STREAM, 0); // LSP -> mock WSPSocket
 *   expect_value(fws2_mock_WSPSend, s, fws2_mock_last_socket());
 *   expect_memory(fws2_mock_WSPSend, data, "hi", 2);
 *   fws2_mock_will(WSPSend, fws2_mock_check(fws2_mock_ok(2),
 *                  FWS2_MOCK_CHECK_SOCKET | FWS2_MOCK_CHECK_DATA));
 *   assert_int_equal(send(s, "hi", 2, 0), 2);
 *
 * Sockets. The mock makes IFS handles (wpu_ifs_handle_create) and registers
 * each with WPUModifyIFSHandle under the catalog id of the entry WSPSocket
 * (or the listener, for WSPAccept/WSPJoinLeaf) got, as MSAFD does: an IFS
 * LSP re-associates them with its own entry, a non-IFS LSP wraps them in
 * WPUCreateSocketHandle handles of its own.
 *
 * Scripts. fws2_mock_will(WSPxxx, result) queues one result for the next
 * call of that entry (will_return on fws2_mock_WSPxxx, plus a count the mock
 * keeps). A call takes the oldest result queued for its entry and:
 *  - FWS2_MOCK_SUCCEED: succeeds. Sends report min(bytes, the buffers'
 *    total) sent (a partial transfer when smaller; bytes
 *    FWS2_MOCK_ALL: everything); receives copy the result's data into the
 *    buffers (truncated to their size, *lpFlags = the result's flags) and
 *    report what was copied; WSPRecvFrom/WSPAccept/WSPGetSockName/
 *    WSPGetPeerName copy the result's addr out; WSPGetSockOpt/WSPIoctl copy
 *    data into the output buffer; WSPAddressToString copies data as a
 *    NUL-terminated WCHAR string; WSPStringToAddress copies addr; WSPSelect
 *    leaves in each set only the sockets of the result's ready list;
 *    WSPAccept and WSPJoinLeaf return a new mock socket. With an overlapped
 *    request the success is also notified, as Windows does without
 *    skip-on-success (see completion below).
 *  - FWS2_MOCK_FAIL: returns SOCKET_ERROR (INVALID_SOCKET, FALSE) with the
 *    result's error.
 *  - FWS2_MOCK_PEND: an overlapped request (WSPSend, WSPSendTo, WSPRecv,
 *    WSPRecvFrom, WSPIoctl) returns WSA_IO_PENDING and stays pending until
 *    the test completes it (fws2_mock_next_pending, fws2_mock_complete).
 *    Without an overlapped the call fails the test.
 * A call of an entry with nothing queued runs the entry's default when it
 * has one (WSPSocket: a new mock socket; WSPCloseSocket: closes it, ending
 * its pending requests with WSA_OPERATION_ABORTED; WSPCleanup: succeeds;
 * WSPGetOverlappedResult: reads the overlapped, waiting on hEvent when
 * asked; WSPEventSelect/WSPAsyncSelect: record the registration;
 * WSPEnumNetworkEvents: returns and clears the events fws2_mock_raise
 * recorded). Any other entry called with nothing queued is an unexpected
 * call: the test fails with a message naming the entry and its arguments.
 *
 * Expectations. A result made with fws2_mock_check(result, mask) checks the
 * call's parameters named by mask with CMocka's check_expected, under
 * these names (the test queues expect_value/expect_memory/expect_any/...
 * for fws2_mock_<entry> and each name; a mismatch, or a checked parameter
 * with nothing queued, fails the test as CMocka does):
 *   FWS2_MOCK_CHECK_SOCKET  "s"      the socket (select: the first socket
 *                                    of the sets)
 *   FWS2_MOCK_CHECK_DATA    "data"   send/sendto: the buffers' bytes,
 *                                    contiguous; setsockopt: optval; ioctl:
 *                                    the input buffer; connect/bind/sendto/
 *                                    joinleaf: no (use ADDR)
 *   FWS2_MOCK_CHECK_LEN     "len"    the byte count of data (send: the
 *                                    buffers' total; receive: their
 *                                    capacity; getsockopt: *optlen)
 *   FWS2_MOCK_CHECK_FLAGS   "flags"  send: dwFlags; receive: *lpFlags on
 *                                    entry; socket: dwFlags
 *   FWS2_MOCK_CHECK_ADDR    "addr"   connect/bind/joinleaf: name;
 *                                    sendto: lpTo (pointers: expect_memory)
 *   FWS2_MOCK_CHECK_CODE    "code"   socket: type; listen: backlog;
 *                                    shutdown: how; ioctl: the control code;
 *                                    get/setsockopt: optname; event/async
 *                                    select: lNetworkEvents
 *   FWS2_MOCK_CHECK_OVERLAPPED "overlapped" lpOverlapped (compare with
 *                                    expect_value(..., 0) for none)
 * Expectations queued and never checked are reported by CMocka at the end
 * of the test, as are results queued and never used.
 *
 * Completion. The mock completes overlapped requests as the kernel does for
 * a base provider's file object: with a completion routine, the results go
 * into the overlapped and an APC (WPUQueueApc to the WSATHREADID the call
 * got) runs the routine; otherwise wpu_ifs_complete_overlapped stores the
 * results, sets hEvent and posts to the completion port associated with the
 * handle (unless hEvent's low bit is set). Receive flags go into Offset,
 * where the default WSPGetOverlappedResult finds them.
 *
 * Threads. CMocka is not thread-safe: scripted calls (and any failure) must
 * happen on the test's thread, or on another thread while the test's thread
 * is blocked waiting for it. fws2_mock_complete and fws2_mock_raise may be
 * called from any thread.
 *
 * State belongs to the current world (scripts and sockets end with it);
 * the result helpers' storage too. Include <cmocka.h> before this header.
 */
#ifndef FWS2_MOCK_H
#define FWS2_MOCK_H

#include <winsock2.h>
#include <ws2spi.h>

#include <wpu/catalog.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Installing ---- */

/* The mock's provider GUID and DLL path (as stored, unexpanded:
 * %SystemRoot%\system32\fws2_mock.dll). */
extern const GUID fws2_mock_provider_id;
extern const WCHAR fws2_mock_path[];

/* The mock's WSPStartup (registered under fws2_mock_path by
 * fws2_mock_install). Returns 0, WSAVERNOTSUPPORTED or WSAEFAULT. */
int WSPAPI fws2_mock_WSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                                LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                WSPUPCALLTABLE UpcallTable,
                                LPWSPPROC_TABLE lpProcTable);

/* An LSP to install over the mock. */
typedef struct fws2_mock_layer {
  const GUID *id;       /* the LSP's provider GUID (its hidden entry) */
  const WCHAR *path;    /* its DLL path as stored */
  const WCHAR *name;    /* its name, e.g. L"my lsp" */
  LPWSPSTARTUP startup; /* registered as path's WSPStartup; NULL: the test
                           registered path itself */
  BOOL ifs;             /* an IFS LSP (XP1_IFS_HANDLES) */
} fws2_mock_layer;

typedef struct fws2_mock_ids {
  DWORD base[WPU_CATALOG_STANDARD_COUNT];  /* the mock's entries */
  DWORD dummy;                             /* the LSP's hidden entry, or 0 */
  DWORD chain[WPU_CATALOG_STANDARD_COUNT]; /* its chains over base[i] */
} fws2_mock_ids;

/* Registers the mock as the module fws2_mock_path, installs its four
 * standard entries (TCP/UDP over IPv4/IPv6) in the current world's catalog
 * and, when layer is not NULL, registers layer->startup under layer->path
 * and installs the LSP over the four entries (wpu_catalog_install_lsp: its
 * chains come first in the catalog, so socket() picks them). ids may be
 * NULL. Returns 0, or WSANOTINITIALISED (no current world), WSAEINVAL (a
 * NULL field in layer), WSASYSNOTREADY (a module cannot be registered) or
 * the catalog's errors. Call it before WSAStartup, on the test's thread. */
int fws2_mock_install(const fws2_mock_layer *layer, fws2_mock_ids *ids);

/* ---- The entry points (names for expect_* and will_return) ---- */

#define FWS2_MOCK_ENTRIES(X)                                                   \
  X(WSPAccept)                                                                 \
  X(WSPAddressToString)                                                        \
  X(WSPAsyncSelect)                                                            \
  X(WSPBind)                                                                   \
  X(WSPCancelBlockingCall)                                                     \
  X(WSPCleanup)                                                                \
  X(WSPCloseSocket)                                                            \
  X(WSPConnect)                                                                \
  X(WSPDuplicateSocket)                                                        \
  X(WSPEnumNetworkEvents)                                                      \
  X(WSPEventSelect)                                                            \
  X(WSPGetOverlappedResult)                                                    \
  X(WSPGetPeerName)                                                            \
  X(WSPGetSockName)                                                            \
  X(WSPGetSockOpt)                                                             \
  X(WSPGetQOSByName)                                                           \
  X(WSPIoctl)                                                                  \
  X(WSPJoinLeaf)                                                               \
  X(WSPListen)                                                                 \
  X(WSPRecv)                                                                   \
  X(WSPRecvDisconnect)                                                         \
  X(WSPRecvFrom)                                                               \
  X(WSPSelect)                                                                 \
  X(WSPSend)                                                                   \
  X(WSPSendDisconnect)                                                         \
  X(WSPSendTo)                                                                 \
  X(WSPSetSockOpt)                                                             \
  X(WSPShutdown)                                                               \
  X(WSPSocket)                                                                 \
  X(WSPStringToAddress)

/* FWS2_MOCK_ID_WSPAccept ... in WSPPROC_TABLE order. */
typedef enum fws2_mock_entry {
#define FWS2_MOCK_ID_(name) FWS2_MOCK_ID_##name,
  FWS2_MOCK_ENTRIES(FWS2_MOCK_ID_)
#undef FWS2_MOCK_ID_
      FWS2_MOCK_ENTRY_COUNT
} fws2_mock_entry;

/* The proc table the mock hands out: fws2_mock_WSPAccept, ... (each the
 * function CMocka's expect_*(fws2_mock_WSPxxx, ...) and will_return name). */
extern const WSPPROC_TABLE fws2_mock_procs;

/* ---- Results ---- */

typedef enum fws2_mock_action {
  FWS2_MOCK_SUCCEED = 0,
  FWS2_MOCK_FAIL = 1,
  FWS2_MOCK_PEND = 2
} fws2_mock_action;

/* bytes: everything the buffers hold. */
#define FWS2_MOCK_ALL 0xffffffffu

enum {
  FWS2_MOCK_CHECK_SOCKET = 1 << 0,
  FWS2_MOCK_CHECK_DATA = 1 << 1,
  FWS2_MOCK_CHECK_LEN = 1 << 2,
  FWS2_MOCK_CHECK_FLAGS = 1 << 3,
  FWS2_MOCK_CHECK_ADDR = 1 << 4,
  FWS2_MOCK_CHECK_CODE = 1 << 5,
  FWS2_MOCK_CHECK_OVERLAPPED = 1 << 6
};

typedef struct fws2_mock_result {
  fws2_mock_action action;
  int error;        /* FAIL */
  DWORD bytes;      /* SUCCEED: send count, or FWS2_MOCK_ALL */
  const void *data; /* SUCCEED: bytes a receive delivers, option/ioctl
                       output, an address string (WCHAR) */
  DWORD len;        /* data's size in bytes */
  DWORD flags;      /* SUCCEED receive: *lpFlags out (e.g. MSG_PARTIAL) */
  const struct sockaddr *addr; /* SUCCEED: the address copied out */
  int addrlen;
  const SOCKET *ready; /* SUCCEED WSPSelect: sockets left in the sets */
  int nready;
  unsigned check; /* FWS2_MOCK_CHECK_* */
} fws2_mock_result;

/* Results kept until the world ends (the test may also pass its own, as
 * long as they outlive the call). NULL only when out of memory. */
const fws2_mock_result *fws2_mock_ok(DWORD bytes);
const fws2_mock_result *fws2_mock_error(int error);
const fws2_mock_result *fws2_mock_pend(void);
/* Success delivering a copy of data (receives, getsockopt, ioctl,
 * address strings). */
const fws2_mock_result *fws2_mock_data(const void *data, DWORD len);
/* Success copying out a copy of addr (recvfrom's source, accept,
 * getsockname, getpeername, stringtoaddress). */
const fws2_mock_result *fws2_mock_addr(const struct sockaddr *addr,
                                       int addrlen);
/* Success of WSPSelect leaving only these sockets (copied). */
const fws2_mock_result *fws2_mock_ready(const SOCKET *ready, int nready);
/* A copy of r that checks the parameters of mask. */
const fws2_mock_result *fws2_mock_check(const fws2_mock_result *r,
                                        unsigned mask);

/* Queues r for the next call of entry fn (WSPSend, ...). */
#define fws2_mock_will(fn, r) fws2_mock_will_count(fn, r, 1)
#define fws2_mock_will_count(fn, r, n)                                         \
  do {                                                                         \
    fws2__mock_scripted(FWS2_MOCK_ID_##fn, (n));                               \
    will_return_count(fws2_mock_##fn, (r), (n));                               \
  } while (0)
void fws2__mock_scripted(fws2_mock_entry fn, int n);

/* ---- Sockets, pending requests, events ---- */

/* The mock socket made last (WSPSocket, WSPAccept, WSPJoinLeaf), or
 * INVALID_SOCKET. */
SOCKET fws2_mock_last_socket(void);
/* Mock sockets open now. */
int fws2_mock_socket_count(void);

typedef struct fws2_mock_op fws2_mock_op;

/* The oldest pending request not completed yet, or NULL. Thread-safe. */
fws2_mock_op *fws2_mock_next_pending(void);
/* Pending requests not completed yet. Thread-safe. */
int fws2_mock_pending_count(void);
/* Which entry made op (FWS2_MOCK_ID_WSPRecv, ...), and its socket. */
fws2_mock_entry fws2_mock_op_entry(const fws2_mock_op *op);
SOCKET fws2_mock_op_socket(const fws2_mock_op *op);

/* Completes pending request op through the mechanism its caller chose
 * (see Completion above) with error and bytes. For a receive with data,
 * min(bytes, the buffers' capacity) bytes of data are copied into its
 * buffers first and that is the count; flags go to Offset. Frees op.
 * Returns 0, or WSAEINVAL (op is not pending). Thread-safe. */
int fws2_mock_complete(fws2_mock_op *op, int error, const void *data,
                       DWORD bytes, DWORD flags);

/* Records network event (FD_READ, ...; one bit) with error on mock socket
 * s, as a base provider does when its condition occurs: sets the
 * WSPEventSelect event or posts the WSPAsyncSelect message (wParam s,
 * WSAMAKESELECTREPLY(event, error)), when the event is selected. Returns
 * 0 or WSAENOTSOCK. Thread-safe. */
int fws2_mock_raise(SOCKET s, LONG event, int error);

#ifdef __cplusplus
}
#endif

#endif /* FWS2_MOCK_H */
