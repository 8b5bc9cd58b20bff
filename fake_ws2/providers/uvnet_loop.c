/* uvnet_loop.c: uvnet's I/O core over libuv: the loop thread, its request
 * queue and the write buffers (uvnet_loop.h is the interface; the real TCP
 * and UDP sockets are uvnet_loop_sock.c's, what both share
 * uvnet_loop_impl.h).
 *
 * With uvnet_loop_sock.c the only uvnet files that include <uv.h>; they
 * include no Windows header. They call libuv only, never the C library's
 * socket functions by name (but sendmsg and recvmsg, see below): programs
 * that link fake_ws2's ws2_32 front define socket, send, bind ...
 * themselves, with the Windows calling convention.
 *
 * Requests go into a queue under a mutex; a uv_async_t wakes the loop,
 * which runs them in order.
 *
 * The loop runs in rounds (uv_run UV_RUN_ONCE), each by the thread that
 * holds the baton: the loop thread, or a thread that waits for
 * completions and drives the loop meanwhile (uvl_drive; libwpu's ports
 * call it through wpu/iodriver.h). A driver takes the baton from a loop
 * thread that is polling by waking it (the async handle); the loop thread
 * then waits until no driver has come for UVL_HANDBACK_NS, so that a
 * program that keeps coming back to its port does all the I/O on its own
 * thread, without a hand-over per completion. A synchronous request or a
 * kick (uvl_kick: a thread about to block on a socket) ends that wait at
 * once; asynchronous requests made meanwhile wait for the next driver or
 * for the end of the wait. A program that never drives sees the loop
 * thread poll all the time, as before. A synchronous request lives on the
 * caller's stack and is finished with a semaphore; an asynchronous one is heap
 * memory the loop frees (a write's with its data, once libuv is done).
 *
 * A graceful close of a connected stream stops reading, lets earlier writes
 * finish and sends the FIN (uv_shutdown) before closing the descriptor; a
 * reset close uses uv_tcp_close_reset (SO_LINGER {1, 0}), or a plain close
 * while a shutdown is in flight (libuv does not allow both). Once a close
 * was asked for, a socket reports nothing but closed.
 *
 * uvl_try_write and uvl_try_read are the exceptions to "the loop does the
 * I/O": on Linux the caller's thread writes a connected stream's
 * descriptor itself with sendmsg (MSG_DONTWAIT | MSG_NOSIGNAL; no Windows
 * program defines that name), when the provider knows that nothing of the
 * socket's waits in the loop, and reads it with recvmsg (MSG_DONTWAIT)
 * while it holds the baton (no round runs) and nothing read is owed to
 * anyone. The descriptor is published to the provider by the connected
 * and accepted callbacks, which run after it is set.
 *
 * A UDP socket's default peer is the loop's, not the kernel's: the kernel
 * socket stays unconnected, sends without an address go to the peer and
 * datagrams from anyone else are dropped on arrival. (Dissolving a kernel
 * association loses a port the kernel chose on Linux, and under Wine the
 * socket cannot be bound again, while Windows keeps the binding.)
 *
 * Not supported: see uvnet_loop.h. Receive errors of UDP sockets (ICMP
 * reports) are ignored.
 */
#include <stdlib.h>
#include <string.h>

#include "uvnet_loop_impl.h"

/* How long the loop thread leaves the loop to drivers after a drive (see
 * above). */
#define UVL_HANDBACK_NS 1000000u

/* ---- The request queue ---- */

/* Runs a list of requests taken from the queue, in order. */
static void run_list(uvl_loop *l, uvl_req *r) {
  while (r != NULL) {
    uvl_req *next = r->next;
    uvl__run(l, r);
    r = next;
  }
}

static void on_wake(uv_async_t *a) {
  uvl_loop *l = a->data;
  uv_mutex_lock(&l->mu);
  uvl_req *r = l->head;
  l->head = l->tail = NULL;
  uv_mutex_unlock(&l->mu);
  run_list(l, r);
}

/* A request made while no thread is in a round needs no wake (a system
 * call to signal, another to clear): the next round runs the queue before
 * it polls (round_once). */
void uvl__submit(uvl_loop *l, uvl_req *r) {
  r->next = NULL;
  uv_mutex_lock(&l->mu);
  if (l->tail != NULL)
    l->tail->next = r;
  else
    l->head = r;
  l->tail = r;
  int polling = l->polling;
  uv_mutex_unlock(&l->mu);
  if (polling)
    uv_async_send(&l->wake);
}

void uvl_kick(uvl_loop *l) {
  uv_mutex_lock(&l->mu);
  l->kicked = 1;
  uv_cond_signal(&l->idle);
  uv_mutex_unlock(&l->mu);
}

/* Runs r on the loop and waits for it. */
int uvl__call(uvl_loop *l, uvl_req *r) {
  uv_sem_t sem;
  if (uv_sem_init(&sem, 0) != 0)
    return UVL_ENOMEM;
  r->done = &sem;
  uvl__submit(l, r);
  uvl_kick(l);
  uv_sem_wait(&sem);
  uv_sem_destroy(&sem);
  return r->result;
}

/* A heap request for s, or NULL. */
uvl_req *uvl__req_new(uvl_sock *s, req_kind kind) {
  uvl_req *r = calloc(1, sizeof *r);
  if (r != NULL) {
    r->kind = kind;
    r->heap = 1;
    r->sock = s;
  }
  return r;
}

/* ---- The loop ---- */

/* Prepare handles run right before the loop polls for I/O, which may
 * block. */
static void on_prepare(uv_prepare_t *p) {
  uvl_loop *l = p->data;
  l->before_wait(l->arg);
}

/* One round of the loop on the calling thread, which holds the baton;
 * returns whether the loop is still alive. */
static int round_once(uvl_loop *l, uv_run_mode mode) {
  uv_mutex_lock(&l->mu);
  l->polling = 1; /* requests from now on wake the poll */
  uvl_req *r = l->head;
  l->head = l->tail = NULL;
  uv_mutex_unlock(&l->mu);
  run_list(l, r);
  int alive = uv_run(&l->loop, mode) != 0;
  if (l->before_wait != NULL)
    l->before_wait(l->arg); /* the round's callbacks are over */
  uv_mutex_lock(&l->mu);
  l->polling = 0;
  uv_mutex_unlock(&l->mu);
  return alive;
}

/* Whether the loop thread should leave the loop to drivers now; mu held.
 * *wait_ns: how long to wait before asking again. */
static int leave_to_drivers(uvl_loop *l, uint64_t *wait_ns) {
  if (l->stopping)
    return 0;
  *wait_ns = UVL_HANDBACK_NS;
  /* A driver waiting for the baton or running goes first: its round runs
   * what a kick asked for too (taking the baton back from it would leave
   * it waiting while this thread polls without end). */
  if (l->drivers > 0)
    return 1;
  if (l->kicked)
    return 0;
  uint64_t since = uv_hrtime() - l->last_drive;
  if (l->last_drive == 0 || since >= UVL_HANDBACK_NS)
    return 0;
  *wait_ns = UVL_HANDBACK_NS - since;
  return 1;
}

static void loop_main(void *arg) {
  uvl_loop *l = arg;
  int alive = 1;
  while (alive) {
    uint64_t wait_ns;
    uv_mutex_lock(&l->mu);
    while (leave_to_drivers(l, &wait_ns))
      (void)uv_cond_timedwait(&l->idle, &l->mu, wait_ns);
    l->kicked = 0;
    l->in_round = 1;
    uv_mutex_unlock(&l->mu);
    uv_mutex_lock(&l->baton);
    alive = round_once(l, UV_RUN_ONCE);
    uv_mutex_unlock(&l->baton);
    uv_mutex_lock(&l->mu);
    l->in_round = 0;
    uv_mutex_unlock(&l->mu);
  }
}

/* The drive's time is up: its round ends. (Stopping, not just firing:
 * libuv runs due timers before it polls, and a timer that fired there
 * would leave the poll without a time limit.) */
static void on_drive_timer(uv_timer_t *t) {
  uv_stop(t->loop);
}

/* The end of a drive: the loop thread leaves the loop to drivers for a
 * while from now; mu held. */
static void drive_ended(uvl_loop *l) {
  l->last_drive = uv_hrtime();
}

/* A round of 0 ms: only when no thread runs the loop (it never waits for
 * the baton, nor makes the loop thread give it up). */
static int drive_quick(uvl_loop *l) {
  if (uv_mutex_trylock(&l->baton) != 0)
    return 0;
  uv_mutex_lock(&l->mu);
  int stopping = l->stopping;
  uv_mutex_unlock(&l->mu);
  if (!stopping)
    round_once(l, UV_RUN_NOWAIT);
  uv_mutex_lock(&l->mu);
  if (!stopping)
    drive_ended(l);
  uv_mutex_unlock(&l->mu);
  uv_mutex_unlock(&l->baton);
  return stopping ? UVL_ECANCELED : 0;
}

int uvl_drive(uvl_loop *l, uint32_t timeout_ms) {
  if (timeout_ms == 0)
    return drive_quick(l);
  uv_mutex_lock(&l->mu);
  if (l->stopping) {
    uv_mutex_unlock(&l->mu);
    return UVL_ECANCELED;
  }
  l->drivers++;
  int evict = l->in_round;
  uv_mutex_unlock(&l->mu);
  if (evict) /* the loop thread polls: its round ends, the baton is free */
    uv_async_send(&l->wake);
  uv_mutex_lock(&l->baton);
  if (!__atomic_exchange_n(&l->interrupted, 0, __ATOMIC_ACQ_REL)) {
    if (timeout_ms != UVL_INFINITE) {
      uv_update_time(&l->loop); /* the loop's clock may be a round old */
      uv_timer_start(&l->drive_timer, on_drive_timer, timeout_ms, 0);
    }
    round_once(l, UV_RUN_ONCE);
    uv_timer_stop(&l->drive_timer);
  }
  /* Interrupts for this round are spent (a late one costs an empty
   * round, never a lost wake-up: the port is looked at after every
   * round). */
  __atomic_store_n(&l->interrupted, 0, __ATOMIC_RELEASE);
  uv_mutex_lock(&l->mu);
  l->drivers--;
  drive_ended(l);
  uv_mutex_unlock(&l->mu);
  uv_mutex_unlock(&l->baton);
  return 0;
}

void uvl_drive_interrupt(uvl_loop *l) {
  __atomic_store_n(&l->interrupted, 1, __ATOMIC_RELEASE);
  uv_async_send(&l->wake);
}

static void close_unclosed(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

/* Undoes a start that failed after the mutex was made: closes the handles
 * made so far and frees the loop. */
static int start_failed(uvl_loop *l) {
  uv_walk(&l->loop, close_unclosed, NULL);
  uv_run(&l->loop, UV_RUN_DEFAULT);
  uv_loop_close(&l->loop);
  uv_cond_destroy(&l->idle);
  uv_mutex_destroy(&l->baton);
  uv_mutex_destroy(&l->mu);
  free(l);
  return UVL_EIO;
}

int uvl_loop_start(void (*before_wait)(void *arg), void *arg, uvl_loop **out) {
  uvl_loop *l = calloc(1, sizeof *l);
  if (l == NULL)
    return UVL_ENOMEM;
  if (uv_loop_init(&l->loop) != 0) {
    free(l);
    return UVL_EIO;
  }
  if (uv_mutex_init(&l->mu) != 0) {
    uv_loop_close(&l->loop);
    free(l);
    return UVL_EIO;
  }
  if (uv_mutex_init(&l->baton) != 0) {
    uv_mutex_destroy(&l->mu);
    uv_loop_close(&l->loop);
    free(l);
    return UVL_EIO;
  }
  if (uv_cond_init(&l->idle) != 0) {
    uv_mutex_destroy(&l->baton);
    uv_mutex_destroy(&l->mu);
    uv_loop_close(&l->loop);
    free(l);
    return UVL_EIO;
  }
  l->before_wait = before_wait;
  l->arg = arg;
  l->wake.data = l;
  l->prepare.data = l;
  if (uv_async_init(&l->loop, &l->wake, on_wake) != 0 ||
      uv_timer_init(&l->loop, &l->drive_timer) != 0 ||
      (before_wait != NULL &&
       (uv_prepare_init(&l->loop, &l->prepare) != 0 ||
        uv_prepare_start(&l->prepare, on_prepare) != 0)) ||
      uv_thread_create(&l->thread, loop_main, l) != 0)
    return start_failed(l);
  *out = l;
  return 0;
}

void uvl_loop_stop(uvl_loop *l) {
  uvl_req stop;
  memset(&stop, 0, sizeof stop);
  stop.kind = R_STOP;
  uv_mutex_lock(&l->mu);
  l->stopping = 1; /* no drive starts any more */
  uv_mutex_unlock(&l->mu);
  uvl__submit(l, &stop);
  uvl_kick(l);
  uv_thread_join(&l->thread);
  /* Whatever was asked after the stop: nothing runs it any more. */
  for (uvl_req *r = l->head, *next; r != NULL; r = next) {
    next = r->next;
    if (r->done != NULL) {
      r->result = UVL_ECANCELED;
      uv_sem_post(r->done);
    } else if (r->heap || r->kind == R_WRITE || r->kind == R_SEND) {
      free(r); /* a write's request heads its buffer */
    }
  }
  uv_loop_close(&l->loop);
  uv_cond_destroy(&l->idle);
  uv_mutex_destroy(&l->baton);
  uv_mutex_destroy(&l->mu);
  while (l->pool != NULL) {
    wreq *w = l->pool;
    l->pool = w->next_free;
    free(w);
  }
  free(l);
}

/* ---- Buffers ---- */

char *uvl_buf_new(uvl_loop *l, size_t len) {
  return uvl__buf_alloc(l, len, len <= UVL_READ_BLOCK);
}

/* A buffer of len bytes; pooled: a recycled UVL_READ_BLOCK one. */
char *uvl__buf_alloc(uvl_loop *l, size_t len, int pooled) {
  wreq *w = NULL;
  if (pooled) {
    uv_mutex_lock(&l->mu);
    if ((w = l->pool) != NULL) {
      l->pool = w->next_free;
      l->npool--;
    }
    uv_mutex_unlock(&l->mu);
  }
  if (w == NULL &&
      (w = malloc(sizeof *w + (pooled ? UVL_READ_BLOCK : len))) == NULL)
    return NULL;
  memset(&w->req, 0, sizeof w->req);
  w->pooled = pooled;
  w->len = len;
  return (char *)w->data;
}

void uvl_buf_free(uvl_loop *l, char *buf) {
  if (buf != NULL)
    uvl__pool_put(l, (wreq *)(buf - offsetof(wreq, data)));
}

void uvl__pool_put(uvl_loop *l, wreq *w) {
  if (w->pooled) {
    uv_mutex_lock(&l->mu);
    if (l->npool < POOL_MAX) {
      w->next_free = l->pool;
      l->pool = w;
      l->npool++;
      w = NULL;
    }
    uv_mutex_unlock(&l->mu);
  }
  free(w);
}
