/* mock_internal.h: what the mock's files share (internal).
 *
 * mock.c owns the per-world state (sockets, pending requests, script
 * counts, result storage), installation, the result helpers and
 * completion; mock_wsp.c the 30 entry points. One critical section per
 * world guards the state; CMocka is called without it held.
 */
#ifndef FWS2_MOCK_INTERNAL_H
#define FWS2_MOCK_INTERNAL_H

#include <winsock2.h>
#include <ws2spi.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fws2/mock.h>

typedef struct mk_sock {
  struct mk_sock *next;
  SOCKET h;
  DWORD catalog_id;
  WSAPROTOCOL_INFOW info;
  WSAEVENT ev; /* WSPEventSelect */
  HWND hwnd;   /* WSPAsyncSelect */
  UINT msg;
  LONG mask;
  LONG events; /* recorded, not enumerated yet */
  int errors[FD_MAX_EVENTS];
} mk_sock;

struct fws2_mock_op {
  struct fws2_mock_op *next;
  fws2_mock_entry entry;
  SOCKET s;
  LPWSAOVERLAPPED ov;
  LPWSAOVERLAPPED_COMPLETION_ROUTINE routine;
  WSATHREADID thread;
  BOOL receive;
  DWORD nbufs;
  WSABUF bufs[];
};

typedef struct mk_state {
  CRITICAL_SECTION lock;
  mk_sock *socks;
  int nsocks;
  SOCKET last;
  fws2_mock_op *ops; /* oldest first */
  int scripted[FWS2_MOCK_ENTRY_COUNT];
  void *blocks; /* result storage, freed with the world */
} mk_state;

/* The current world's state (made on first use), or NULL. */
mk_state *mk_state_get(void);
/* The upcall table WSPStartup got. */
extern WSPUPCALLTABLE mk_up;
extern volatile LONG mk_startups;

/* What one call looks like to the checks and the messages. */
typedef struct mk_call {
  fws2_mock_entry entry;
  SOCKET s;
  const void *data;
  DWORD len;
  DWORD flags;
  const void *addr;
  LONG code;
  const void *overlapped;
} mk_call;

/* Takes the call's script: the result queued with fws2_mock_will (its
 * parameter checks done), NULL to run the entry's default (has_default and
 * nothing queued); an entry without default and nothing queued fails the
 * test with a message naming the call. */
const fws2_mock_result *mk_script(const mk_call *c, BOOL has_default);
/* The entry's name ("WSPSend"). */
const char *mk_entry_name(fws2_mock_entry e);

/* Makes a mock socket for info's catalog entry; the handle or
 * INVALID_SOCKET with *err. */
SOCKET mk_socket_new(const WSAPROTOCOL_INFOW *info, LPINT err);
/* Closes a mock socket (its pending requests end with
 * WSA_OPERATION_ABORTED): 0 or WSAENOTSOCK. */
int mk_socket_close(SOCKET s);
/* Whether s is a live mock socket; copies its record's info when asked. */
BOOL mk_socket_find(SOCKET s, WSAPROTOCOL_INFOW *info);
/* Closes every mock socket (the last WSPCleanup). */
void mk_socket_close_all(void);

/* Overlapped requests. mk_ov_begin checks the request (WSAEFAULT for a
 * routine without thread id) and marks it in progress; mk_ov_pend queues
 * it pending (0 or WSAENOBUFS); mk_ov_notify notifies its completion. */
int mk_ov_begin(LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                LPWSATHREADID thread);
int mk_ov_pend(fws2_mock_entry e, SOCKET s, LPWSAOVERLAPPED ov,
               LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, LPWSATHREADID thread,
               BOOL receive, const WSABUF *bufs, DWORD nbufs);
void mk_ov_notify(SOCKET s, LPWSAOVERLAPPED ov,
                  LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                  const WSATHREADID *thread, DWORD err, DWORD bytes,
                  DWORD flags);

/* Network events: the registration (0 or WSAENOTSOCK), and what was
 * recorded (cleared). */
int mk_select_event(SOCKET s, WSAEVENT ev, HWND hwnd, UINT msg, LONG mask);
int mk_enum_events(SOCKET s, WSAEVENT ev, LPWSANETWORKEVENTS out);

#endif /* FWS2_MOCK_INTERNAL_H */
