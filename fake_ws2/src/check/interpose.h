/* interpose.h: what the interposer's files share (internal): the slots
 * (interpose.c) and the per-world records of sockets and overlapped
 * operations (records.c). */
#ifndef FWS2_INTERPOSE_H
#define FWS2_INTERPOSE_H

#include "check.h"

/* ---- Sockets a provider returned, per slot (records.c; lock held) ---- */

#define F_RESET      1 /* FWS2_FAULT_RESET fired: later I/O fails */
#define F_PEER_CLOSE 2 /* FWS2_FAULT_PEER_CLOSE fired: receives get 0 */

struct fws2_sock_rec {
  fws2_sock_rec *next;
  int slot;
  SOCKET s;
  DWORD entry;    /* the entry it was made for (0: unknown) */
  int flags;      /* F_* */
  int type;       /* SOCK_STREAM, SOCK_DGRAM, ... (0: unknown) */
  int overlapped; /* made with WSA_FLAG_OVERLAPPED (or unknown) */
};

fws2_sock_rec *fws2__sock_find(fws2_state *st, int sl, SOCKET s);
/* The record of s in slot sl, made (type 0, overlapped) when new; NULL
 * when out of memory. */
fws2_sock_rec *fws2__sock_add(fws2_state *st, int sl, SOCKET s);
void fws2__sock_remove(fws2_state *st, int sl, SOCKET s);

/* ---- Overlapped operations (records.c; lock held) ---- */

/* A provider call in slot sl received ov for socket s: marks it in
 * progress, owned by the call (owner), unless it is in progress already.
 * Returns 1 when the call owns it. */
int fws2__ov_submit(fws2_state *st, LPWSAOVERLAPPED ov, const void *owner,
                    int sl, SOCKET s, const char *call);
/* The owning call returned: pending says whether it accepted the
 * operation (a completion is due), else the operation is over. */
void fws2__ov_submitted(fws2_state *st, LPWSAOVERLAPPED ov, const void *owner,
                        int pending);

/* ---- The checks on a returned socket (records.c; lock NOT held) ---- */

typedef struct fws2_sock_info {
  DWORD entry;    /* the catalog entry the call named (0: unknown) */
  int ifs;        /* whether that entry sets XP1_IFS_HANDLES (-1: unknown) */
  int type;       /* the socket type (0: unknown) */
  int overlapped; /* made with WSA_FLAG_OVERLAPPED */
} fws2_sock_info;

/* Checks socket s that slot sl's call returned (foreign-handle and IFS
 * rules) and records it. */
void fws2__check_socket(int sl, const char *call, SOCKET s,
                        const fws2_sock_info *si);

#endif /* FWS2_INTERPOSE_H */
