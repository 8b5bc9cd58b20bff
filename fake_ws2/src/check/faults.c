/* faults.c: the fault rules of the current world and their decisions
 * (fws2/faults.h); the interposer applies the network actions, hub.c the
 * held completions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

struct fws2_rule_state {
  fws2_rule_state *next;
  int id;
  char call[48];
  char provider[FWS2_NAME_LEN];
  fws2_fault f;
  unsigned seen, hits;
  uint32_t rng;
};

struct fws2_held {
  fws2_held *next;
  SOCKET s;
  LPWSAOVERLAPPED ov;
  DWORD err, bytes;
};

static const char *action_name(fws2_fault_action a) {
  switch (a) {
  case FWS2_FAULT_REFUSE:
    return "refuse";
  case FWS2_FAULT_RESET:
    return "reset";
  case FWS2_FAULT_PEER_CLOSE:
    return "peer close";
  case FWS2_FAULT_PARTIAL_SEND:
    return "partial send";
  case FWS2_FAULT_DROP_DATAGRAM:
    return "datagram lost";
  case FWS2_FAULT_DELAY:
    return "completion held";
  default:
    return "fail";
  }
}

int fws2_fault_add(const fws2_fault *f) {
  if (f == NULL || f->call == NULL || f->percent > 100 ||
      strlen(f->call) >= 48 ||
      (f->provider != NULL && strlen(f->provider) >= FWS2_NAME_LEN) ||
      f->action < FWS2_FAULT_FAIL || f->action > FWS2_FAULT_DELAY ||
      (f->action == FWS2_FAULT_PARTIAL_SEND && f->arg == 0))
    return -WSAEINVAL;
  fws2_rule_state *r = calloc(1, sizeof *r);
  if (r == NULL)
    return -WSA_NOT_ENOUGH_MEMORY;
  r->f = *f;
  strcpy(r->call, f->call);
  if (f->provider != NULL)
    strcpy(r->provider, f->provider);
  r->f.call = r->call;
  r->f.provider = f->provider != NULL ? r->provider : NULL;
  r->rng = f->seed ^ 0x9e3779b9u;
  if (r->rng == 0)
    r->rng = 1;
  fws2__lock();
  fws2_state *st = fws2__state(1);
  int id = -WSA_NOT_ENOUGH_MEMORY;
  if (st != NULL) {
    id = r->id = st->next_rule_id++;
    /* Appended: the first rule added decides first. */
    fws2_rule_state **p = &st->rules;
    while (*p != NULL)
      p = &(*p)->next;
    *p = r;
    r = NULL;
    fws2__update_wants(st);
  }
  fws2__unlock();
  free(r);
  return id;
}

int fws2_fault_inject(const char *call, unsigned nth, int error) {
  fws2_fault f = {0};
  f.call = call;
  f.nth = nth;
  f.error = error;
  return fws2_fault_add(&f);
}

unsigned fws2_fault_hits(int id) {
  unsigned hits = 0;
  fws2__lock();
  fws2_state *st = fws2__state(0);
  for (fws2_rule_state *r = st != NULL ? st->rules : NULL; r != NULL;
       r = r->next)
    if (r->id == id)
      hits = r->hits;
  fws2__unlock();
  return hits;
}

void fws2_fault_remove(int id) {
  fws2__lock();
  fws2_state *st = fws2__state(0);
  for (fws2_rule_state **p = st != NULL ? &st->rules : NULL;
       p != NULL && *p != NULL;) {
    if (id == 0 || (*p)->id == id) {
      fws2_rule_state *r = *p;
      *p = r->next;
      free(r);
    } else {
      p = &(*p)->next;
    }
  }
  if (st != NULL)
    fws2__update_wants(st);
  fws2__unlock();
}

static int applies(const fws2_rule_state *r, const wpu_hook_call *c) {
  if (c->kind == WPU_HOOK_FRONT || c->kind == WPU_HOOK_NOTE)
    return 0;
  int completion = c->kind == WPU_HOOK_COMPLETION;
  if (strcmp(r->call, c->name) != 0 &&
      !(completion && strcmp(r->call, "completion") == 0))
    return 0;
  if (r->provider[0] != 0) {
    const char *who = c->kind == WPU_HOOK_PROVIDER ? c->callee : c->caller;
    if (who == NULL || strcmp(who, r->provider) != 0)
      return 0;
  }
  /* A network action applies only where it can act. */
  int provider = c->kind == WPU_HOOK_PROVIDER;
  int send = provider && (strcmp(c->name, "WSPSend") == 0 ||
                          strcmp(c->name, "WSPSendTo") == 0);
  switch (r->f.action) {
  case FWS2_FAULT_FAIL:
    return 1;
  case FWS2_FAULT_DELAY:
    return completion;
  case FWS2_FAULT_PARTIAL_SEND:
    return send;
  case FWS2_FAULT_DROP_DATAGRAM:
    return send && c->arg[1] == SOCK_DGRAM; /* the interposer's type */
  case FWS2_FAULT_PEER_CLOSE:
    return provider && (strcmp(c->name, "WSPRecv") == 0 ||
                        strcmp(c->name, "WSPRecvFrom") == 0);
  default:
    return provider;
  }
}

static int fires(fws2_rule_state *r) {
  r->seen++;
  if (r->f.percent != 0) {
    uint32_t x = r->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    r->rng = x;
    return x % 100 < r->f.percent;
  }
  if (r->f.nth == 0)
    return 1;
  unsigned count = r->f.count == 0 ? 1 : r->f.count;
  return r->seen >= r->f.nth && r->seen - r->f.nth < count;
}

static int default_error(const fws2_rule_state *r, const wpu_hook_call *c) {
  if (r->f.error != 0)
    return r->f.error;
  switch (r->f.action) {
  case FWS2_FAULT_REFUSE:
    return WSAECONNREFUSED;
  case FWS2_FAULT_RESET:
    return WSAECONNRESET;
  default:
    break;
  }
  return c->kind == WPU_HOOK_KERNEL32 || c->kind == WPU_HOOK_ALLOC
             ? ERROR_NOT_ENOUGH_MEMORY
             : WSAENOBUFS;
}

int fws2__fault_decide(wpu_hook_call *c) {
  int err = 0, id = 0;
  fws2_fault_action action = FWS2_FAULT_FAIL;
  fws2__lock();
  fws2_state *st = fws2__state(0);
  /* Every matching rule counts the call; the first added of those that
   * fire decides (the others' firing is spent). */
  for (fws2_rule_state *r = st != NULL ? st->rules : NULL; r != NULL;
       r = r->next) {
    if (!applies(r, c) || !fires(r) || err != 0)
      continue;
    r->hits++;
    err = default_error(r, c);
    id = r->id;
    action = r->f.action;
    c->action = (int)action;
    c->action_arg = r->f.arg;
  }
  fws2__unlock();
  if (err != 0) {
    char text[96];
    snprintf(text, sizeof text, "rule %d: %s, error %d", id,
             action_name(action), err);
    fws2__trace_note(FWS2_TRACE_FAULT, c->name,
                     c->kind == WPU_HOOK_PROVIDER ? c->callee : c->caller,
                     c->socket, text);
  }
  return err;
}

void fws2__fault_hold(const wpu_hook_call *c) {
  fws2_held *h = calloc(1, sizeof *h);
  if (h == NULL)
    return;
  h->s = c->socket;
  h->ov = c->overlapped;
  h->err = (DWORD)c->arg[0];
  h->bytes = (DWORD)c->arg[1];
  fws2__lock();
  fws2_state *st = fws2__state(0);
  if (st != NULL) {
    if (st->held_tail != NULL)
      st->held_tail->next = h;
    else
      st->held_head = h;
    st->held_tail = h;
    st->held++;
    h = NULL;
  }
  fws2__unlock();
  free(h);
}

size_t fws2_faults_held(void) {
  fws2__lock();
  fws2_state *st = fws2__state(0);
  size_t n = st != NULL ? st->held : 0;
  fws2__unlock();
  return n;
}

size_t fws2_faults_release(int reversed) {
  fws2__lock();
  fws2_state *st = fws2__state(0);
  fws2_held *list = NULL;
  if (st != NULL) {
    list = st->held_head;
    st->held_head = st->held_tail = NULL;
    st->held = 0;
  }
  fws2__unlock();
  if (reversed) {
    fws2_held *rev = NULL;
    while (list != NULL) {
      fws2_held *h = list;
      list = h->next;
      h->next = rev;
      rev = h;
    }
    list = rev;
  }
  size_t n = 0;
  while (list != NULL) {
    fws2_held *h = list;
    list = h->next;
    fws2__complete(h->s, h->ov, h->err, h->bytes);
    free(h);
    n++;
  }
  return n;
}

void fws2__faults_free(fws2_state *st) {
  while (st->rules != NULL) {
    fws2_rule_state *r = st->rules;
    st->rules = r->next;
    free(r);
  }
  while (st->held_head != NULL) {
    fws2_held *h = st->held_head;
    st->held_head = h->next;
    free(h);
  }
  st->held_tail = NULL;
  st->held = 0;
}
