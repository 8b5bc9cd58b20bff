/* iodriver.c: the I/O driver registry (wpu/iodriver.h): one driver, run by
 * one waiting thread at a time. */
#include <wpu/iodriver.h>

#include <platform.h>

#include "iodriver.h"

/* The registry, under a spin lock held only to read or change these few
 * fields. The driver's functions are called without it: a drive while
 * busy, an interrupt while counted in calls; unregistering waits for both
 * to be over. */
static struct {
  int lock;
  int registered;        /* also read without the lock (a hint) */
  int closing;           /* unregistering: no new drive starts */
  int busy;              /* a drive is running */
  const uint32_t *owner; /* the state word of the waiter driving */
  int calls;             /* interrupts being made */
  wpu_io_driver d;
} reg;

static uint64_t rounds;

static void reg_lock(void) {
  for (int spins = 0; __atomic_exchange_n(&reg.lock, 1, __ATOMIC_ACQUIRE);
       spins++) {
    if (spins < 64)
      wpu_plat_spin_pause();
    else
      wpu_plat_yield(); /* the holder may have lost its processor */
  }
}

static void reg_unlock(void) {
  __atomic_store_n(&reg.lock, 0, __ATOMIC_RELEASE);
}

DWORD wpu_io_driver_register(const wpu_io_driver *driver) {
  if (driver == NULL || driver->drive == NULL || driver->interrupt == NULL)
    return ERROR_INVALID_PARAMETER;
#ifdef _WIN32
  return ERROR_NOT_SUPPORTED; /* the kernel's ports: nothing drives */
#else
  DWORD e = 0;
  reg_lock();
  if (reg.registered || reg.busy || reg.calls > 0) {
    e = ERROR_ALREADY_EXISTS;
  } else {
    reg.d = *driver;
    reg.closing = 0;
    __atomic_store_n(&reg.registered, 1, __ATOMIC_RELAXED);
  }
  reg_unlock();
  return e;
#endif
}

DWORD wpu_io_driver_unregister(void *arg) {
  reg_lock();
  if (!reg.registered || reg.closing || reg.d.arg != arg) {
    reg_unlock();
    return ERROR_NOT_FOUND;
  }
  reg.closing = 1;
  int busy = reg.busy;
  reg_unlock();
  if (busy)
    reg.d.interrupt(reg.d.arg); /* d stays as it is while closing */
  /* The drive returns after its round: wait for it (briefly). */
  reg_lock();
  while (reg.busy || reg.calls > 0) {
    reg_unlock();
    wpu_plat_yield();
    reg_lock();
  }
  __atomic_store_n(&reg.registered, 0, __ATOMIC_RELAXED);
  reg.closing = 0;
  reg_unlock();
  return 0;
}

uint64_t wpu_io_driver_rounds(void) {
  return __atomic_load_n(&rounds, __ATOMIC_RELAXED);
}

#ifndef _WIN32
/* When the last drive started (wpu_plat_hrtime), for nudges. */
static uint64_t last_start;

/* A waiter that finds packets queued still runs a round without waiting
 * when no drive has started for this long (see wpu__io_nudge). */
#define NUDGE_NS 250000u

/* Whether the calling thread is running a drive. */
static _Thread_local int driving_here;

int wpu__io_driver_present(void) {
  return __atomic_load_n(&reg.registered, __ATOMIC_RELAXED);
}

/* The state word of rounds of 0 ms (nudges, polls): nobody interrupts
 * them, and a waiter that finds one running retries after it. */
static const uint32_t quick = 1;

int wpu__io_drive(const uint32_t *state, uint32_t driving, DWORD timeout_ms) {
  if (!__atomic_load_n(&reg.registered, __ATOMIC_RELAXED) || driving_here)
    return 0;
  if (__atomic_load_n(&reg.busy, __ATOMIC_RELAXED)) /* without the lock */
    return __atomic_load_n(&reg.owner, __ATOMIC_RELAXED) == &quick ? -1 : 0;
  reg_lock();
  if (!reg.registered || reg.closing || reg.busy) {
    int quick_one = reg.busy && reg.owner == &quick;
    reg_unlock();
    return quick_one ? -1 : 0;
  }
  __atomic_store_n(&reg.busy, 1, __ATOMIC_RELAXED);
  __atomic_store_n(&reg.owner, state, __ATOMIC_RELAXED);
  wpu_io_driver d = reg.d;
  reg_unlock();
  int ran = 1;
  if (__atomic_load_n(state, __ATOMIC_ACQUIRE) == driving) {
    __atomic_add_fetch(&rounds, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&last_start, wpu_plat_hrtime(), __ATOMIC_RELAXED);
    driving_here = 1;
    ran = d.drive(d.arg, timeout_ms) == 0;
    driving_here = 0;
  }
  reg_lock();
  __atomic_store_n(&reg.busy, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&reg.owner, NULL, __ATOMIC_RELAXED);
  reg_unlock();
  return ran;
}

void wpu__io_nudge(void) {
  if (driving_here)
    return;
  uint64_t last = __atomic_load_n(&last_start, __ATOMIC_RELAXED);
  if (wpu_plat_hrtime() - last < NUDGE_NS)
    return;
  wpu__io_drive(&quick, 1, 0);
}

void wpu__io_poll(void) {
  wpu__io_drive(&quick, 1, 0);
}

void wpu__io_interrupt(const uint32_t *state) {
  if (driving_here)
    return; /* the round ends by itself */
  reg_lock();
  /* Only the waiter's own drive: another thread's is none of its business
   * (the waiter, not driving yet, sees its state before it drives). */
  int mine = reg.busy && reg.owner == state;
  if (mine)
    reg.calls++;
  wpu_io_driver d = reg.d;
  reg_unlock();
  if (!mine)
    return;
  d.interrupt(d.arg);
  reg_lock();
  reg.calls--;
  reg_unlock();
}
#endif
