/* records.c: the interposer's per-world bookkeeping (interpose.h): the
 * sockets providers returned and the overlapped operations they received,
 * and the overlapped rules of the checker at each completion. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wpu/catalog.h>
#include <wpu/sockets.h>

#include "interpose.h"

enum { OV_OVER = 0, OV_PENDING, OV_DONE };

struct fws2_ov_rec {
  fws2_ov_rec *next;
  LPWSAOVERLAPPED ov;
  int state;
  const void *owner; /* the submission in progress that made it pending */
  int slot;
  SOCKET s;
  const char *call;
};

static unsigned bucket(uintptr_t key) {
  return (unsigned)((key >> 2) ^ (key >> 12)) % FWS2_BUCKETS;
}

fws2_sock_rec *fws2__sock_find(fws2_state *st, int sl, SOCKET s) {
  for (fws2_sock_rec *r = st->socks[bucket(s)]; r != NULL; r = r->next)
    if (r->s == s && (sl < 0 || r->slot == sl))
      return r;
  return NULL;
}

fws2_sock_rec *fws2__sock_add(fws2_state *st, int sl, SOCKET s) {
  fws2_sock_rec *r = fws2__sock_find(st, sl, s);
  if (r != NULL)
    return r;
  r = calloc(1, sizeof *r);
  if (r == NULL)
    return NULL;
  r->slot = sl;
  r->s = s;
  r->overlapped = 1;
  r->next = st->socks[bucket(s)];
  st->socks[bucket(s)] = r;
  return r;
}

void fws2__sock_remove(fws2_state *st, int sl, SOCKET s) {
  for (fws2_sock_rec **p = &st->socks[bucket(s)]; *p != NULL; p = &(*p)->next)
    if ((*p)->s == s && (*p)->slot == sl) {
      fws2_sock_rec *r = *p;
      *p = r->next;
      free(r);
      return;
    }
}

static fws2_ov_rec *ov_find(fws2_state *st, LPWSAOVERLAPPED ov) {
  for (fws2_ov_rec *r = st->ovs[bucket((uintptr_t)ov)]; r != NULL; r = r->next)
    if (r->ov == ov)
      return r;
  return NULL;
}

int fws2__ov_submit(fws2_state *st, LPWSAOVERLAPPED ov, const void *owner,
                    int sl, SOCKET s, const char *call) {
  fws2_ov_rec *o = ov_find(st, ov);
  if (o == NULL) {
    o = calloc(1, sizeof *o);
    if (o == NULL)
      return 0;
    o->ov = ov;
    o->next = st->ovs[bucket((uintptr_t)ov)];
    st->ovs[bucket((uintptr_t)ov)] = o;
  }
  if (o->state == OV_PENDING)
    return 0; /* a layer above submitted it: its call owns it */
  o->state = OV_PENDING;
  o->owner = owner;
  o->slot = sl;
  o->s = s;
  o->call = call;
  return 1;
}

void fws2__ov_submitted(fws2_state *st, LPWSAOVERLAPPED ov, const void *owner,
                        int pending) {
  fws2_ov_rec *o = ov_find(st, ov);
  if (o == NULL || o->owner != owner)
    return;
  o->owner = NULL;
  /* An immediate failure is not notified: nothing to complete. */
  if (!pending && o->state == OV_PENDING)
    o->state = OV_OVER;
}

void fws2__interpose_free(fws2_state *st) {
  for (int b = 0; b < FWS2_BUCKETS; b++) {
    while (st->socks[b] != NULL) {
      fws2_sock_rec *r = st->socks[b];
      st->socks[b] = r->next;
      free(r);
    }
    while (st->ovs[b] != NULL) {
      fws2_ov_rec *r = st->ovs[b];
      st->ovs[b] = r->next;
      free(r);
    }
  }
}

void fws2__interpose_pending(fws2_state *st,
                             void (*fn)(LPWSAOVERLAPPED, SOCKET, const char *,
                                        const char *)) {
  for (int b = 0; b < FWS2_BUCKETS; b++)
    for (fws2_ov_rec *r = st->ovs[b]; r != NULL; r = r->next)
      if (r->state == OV_PENDING)
        fn(r->ov, r->s, fws2__slot_name(r->slot), r->call);
}

const char *fws2__provider_of_entry(DWORD entry) {
  fws2_state *st = fws2__state(0);
  for (int i = 0; st != NULL && i < st->n_entries; i++)
    if (st->entry_ids[i] == entry)
      return fws2__slot_name(st->entry_slots[i]);
  return NULL;
}

/* ---- The overlapped rules at a completion (hub.c, before it is done) ---- */

int fws2__checker_completion(const wpu_hook_call *c) {
  enum { FINE, UNKNOWN, OVER, TWICE } verdict = FINE;
  int marked = 0;
  const char *prov = "?", *call = "?";
  fws2__lock();
  fws2_state *st = fws2__state(0);
  if (st != NULL && st->checking && c->overlapped != NULL) {
    fws2_ov_rec *r = ov_find(st, c->overlapped);
    if (r == NULL || r->state == OV_OVER) {
      /* Only WPUCompleteOverlappedRequest is the provider's own doing on
       * a socket it owns; the kernel's IFS completions are not checked. */
      fws2_sock_rec *sr = fws2__sock_find(st, -1, c->socket);
      if (sr != NULL && strcmp(c->name, "WPUCompleteOverlappedRequest") == 0) {
        verdict = r == NULL ? UNKNOWN : OVER;
        prov = fws2__slot_name(sr->slot);
        if (r != NULL)
          call = r->call;
      }
    } else if (r->state == OV_DONE) {
      verdict = TWICE;
      prov = fws2__slot_name(r->slot);
    } else {
      r->state = OV_DONE;
      marked = 1;
    }
  }
  fws2__unlock();
  if (verdict == UNKNOWN)
    fws2__violation(FWS2_RULE_UNKNOWN_OVERLAPPED, prov, c->socket, c->name,
                    "completed overlapped %p, which no call to the provider "
                    "owning the socket received",
                    (void *)c->overlapped);
  if (verdict == OVER)
    fws2__violation(FWS2_RULE_UNKNOWN_OVERLAPPED, prov, c->socket, c->name,
                    "completed overlapped %p, whose %s failed at once (an "
                    "operation that fails immediately gets no completion)",
                    (void *)c->overlapped, call);
  if (verdict == TWICE)
    fws2__violation(FWS2_RULE_DOUBLE_COMPLETION, prov, c->socket, c->name,
                    "overlapped %p completed a second time (error %lu, %lu "
                    "bytes)",
                    (void *)c->overlapped, (unsigned long)c->arg[0],
                    (unsigned long)c->arg[1]);
  return marked;
}

void fws2__checker_completion_failed(const wpu_hook_call *c) {
  fws2__lock();
  fws2_state *st = fws2__state(0);
  fws2_ov_rec *r = st != NULL ? ov_find(st, c->overlapped) : NULL;
  if (r != NULL && r->state == OV_DONE)
    r->state = OV_PENDING;
  fws2__unlock();
}

/* ---- The checks on a returned socket ---- */

static int same_name(const char *a, const char *b) {
  for (; *a != 0 && *b != 0; a++, b++)
    if ((*a | 0x20) != (*b | 0x20))
      return 0;
  return *a == *b;
}

/* Whether catalog entry id is one of the provider of slot sl (its module,
 * by file name), and whether it sets XP1_IFS_HANDLES (*ifs). */
static int own_entry(int sl, DWORD id, int *ifs) {
  WSAPROTOCOL_INFOW info;
  WCHAR path[MAX_PATH];
  if (id == 0 || wpu_catalog_get(id, &info, path, MAX_PATH) != 0)
    return 0;
  char name[FWS2_NAME_LEN];
  fws2__wname(name, sizeof name, path);
  *ifs = (info.dwServiceFlags1 & XP1_IFS_HANDLES) != 0;
  return same_name(name, fws2__slot_name(sl));
}

void fws2__check_socket(int sl, const char *call, SOCKET s,
                        const fws2_sock_info *si) {
  int foreign = fws2__checking(FWS2_RULE_FOREIGN_HANDLE);
  int ifs_rule = fws2__checking(FWS2_RULE_IFS);
  char who[80];
  if (si->entry != 0)
    snprintf(who, sizeof who, "%s (entry %lu)", fws2__slot_name(sl),
             (unsigned long)si->entry);
  else
    snprintf(who, sizeof who, "%s", fws2__slot_name(sl));
  DWORD dispatch = 0;
  wpu_socket_kind kind =
      foreign || ifs_rule ? wpu_socket_query(s, &dispatch) : WPU_SOCKET_NONE;
  if ((foreign || ifs_rule) && kind == WPU_SOCKET_NONE) {
    fws2__violation(FWS2_RULE_FOREIGN_HANDLE, who, s, call,
                    "returned a handle that is no socket of the world (not "
                    "made by WPUCreateSocketHandle nor an IFS handle)");
  } else if (foreign || ifs_rule) {
    int ifs = si->ifs;
    /* A layer below another gets the upper layer's protocol info and makes
     * its handles for an entry of its own: any entry of the same provider
     * is right, and its own flags say whether handles are IFS. */
    int own_ifs;
    if (si->entry != 0 && dispatch != si->entry) {
      if (own_entry(sl, dispatch, &own_ifs))
        ifs = own_ifs;
      else
        fws2__violation(
            FWS2_RULE_FOREIGN_HANDLE, who, s, call,
            "returned a %s handle that dispatches to catalog entry %lu, not "
            "to the provider's entry %lu nor another of its own (%s)",
            kind == WPU_SOCKET_IFS ? "IFS" : "WPUCreateSocketHandle",
            (unsigned long)dispatch, (unsigned long)si->entry,
            kind == WPU_SOCKET_IFS ? "WPUModifyIFSHandle not called for it"
                                   : "made for another entry");
    }
    if (ifs_rule && ifs >= 0 && ifs != (kind == WPU_SOCKET_IFS))
      fws2__violation(FWS2_RULE_IFS, who, s, call,
                      ifs ? "the catalog entry sets XP1_IFS_HANDLES but the "
                            "socket came from WPUCreateSocketHandle"
                          : "the catalog entry does not set XP1_IFS_HANDLES "
                            "but the socket is an IFS handle");
  }
  fws2__lock();
  fws2_state *st = fws2__state(0);
  fws2_sock_rec *r = st != NULL ? fws2__sock_add(st, sl, s) : NULL;
  if (r != NULL) {
    r->entry = si->entry;
    r->flags = 0;
    r->type = si->type;
    r->overlapped = si->overlapped;
  }
  fws2__unlock();
}
