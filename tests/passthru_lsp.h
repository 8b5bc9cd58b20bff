/* passthru_lsp.h: a pass-through LSP for the mock and conformance suites,
 * in both kinds, with deliberate breakages.
 *
 * pt_ifs_WSPStartup: an IFS LSP (re-associates the next layer's handles
 * with WPUModifyIFSHandle and forwards every call with the same handle).
 * pt_nonifs_WSPStartup: a non-IFS LSP (WPUCreateSocketHandle handles whose
 * context maps to the next layer's socket; overlapped requests go down with
 * a substitute overlapped completed on the LSP's own completion port by a
 * worker thread, which completes the application's with
 * WPUCompleteOverlappedRequest or a WPUQueueApc of its routine; select maps
 * the sets; WSPAsyncSelect relays the next layer's messages through a
 * hidden window). Both load their next layer as a real LSP does
 * (ChainEntries[1]: its catalog entry and path, ExpandEnvironmentStringsW,
 * LoadLibraryW, GetProcAddress). One kind at a time per world.
 *
 * pt_breakage (set before WSAStartup) makes the LSP break one Winsock
 * rule, for the conformance suite to catch. */
#ifndef PASSTHRU_LSP_H
#define PASSTHRU_LSP_H

#include <winsock2.h>
#include <ws2spi.h>

typedef enum pt_break {
  PT_BREAK_NONE = 0,
  PT_BREAK_NO_MODIFY,        /* IFS: never WPUModifyIFSHandle */
  PT_BREAK_DROP_BYTE,        /* a send drops its last byte, reports all */
  PT_BREAK_REORDER,          /* a send of several buffers reverses them */
  PT_BREAK_DGRAM_FROM,       /* recvfrom never reports the source */
  PT_BREAK_NEVER_COMPLETE,   /* non-IFS: the app's overlapped never completes */
  PT_BREAK_ROUTINE_DIRECT,   /* non-IFS: routines run on the worker thread */
  PT_BREAK_NO_PORT,          /* non-IFS: completions only set the event */
  PT_BREAK_SELECT_ALL,       /* non-IFS: select reports every socket ready */
  PT_BREAK_ENUM_NOTHING,     /* WSPEnumNetworkEvents reports no event */
  PT_BREAK_ASYNC_LOWER,      /* non-IFS: messages carry the lower handle */
  PT_BREAK_IGNORE_CONDITION, /* WSPAccept drops the condition function */
  PT_BREAK_XOR,              /* IFS: flips bit 5 of data on send and recv */
  PT_BREAK_DROP_ABORTED      /* non-IFS: aborted requests never complete */
} pt_break;

extern volatile pt_break pt_breakage;

extern const GUID pt_ifs_id, pt_nonifs_id;
extern const WCHAR pt_ifs_path[], pt_nonifs_path[];

int WSPAPI pt_ifs_WSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                             LPWSAPROTOCOL_INFOW lpProtocolInfo,
                             WSPUPCALLTABLE UpcallTable,
                             LPWSPPROC_TABLE lpProcTable);
int WSPAPI pt_nonifs_WSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                                LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                WSPUPCALLTABLE UpcallTable,
                                LPWSPPROC_TABLE lpProcTable);

/* Calls the LSP made to its next layer's WSPSend/WSPRecv so far. */
LONG pt_lower_data_calls(void);

#endif /* PASSTHRU_LSP_H */
