/* iodriver.h: what the Linux ports (win32/port.c) use of the I/O driver
 * registry (iodriver.c; the public side is wpu/iodriver.h) (internal). */
#ifndef WPU_IODRIVER_IMPL_H
#define WPU_IODRIVER_IMPL_H

#include <stdint.h>

#include <windows.h>

/* Runs the registered driver once for a waiter whose state word is *state,
 * if *state still holds driving (read after the driver is taken, so that a
 * poster that changed it either sees the drive and interrupts it, or is
 * seen here). Returns 1 when it ran (or *state changed: look again), -1
 * when a round of 0 ms (wpu__io_nudge, wpu__io_poll) runs now (try again
 * soon: it ends at once), 0 when no driver can run now (sleep instead). */
int wpu__io_drive(const uint32_t *state, uint32_t driving, DWORD timeout_ms);

/* Whether a driver is registered (a hint, without synchronization: a
 * waiter that sees none sleeps as it always did). */
int wpu__io_driver_present(void);

/* For a waiter about to take packets that are there already: runs a round
 * of the driver without waiting when none has started for a while
 * (250 us), so that a thread that keeps finding completions (direct I/O
 * completes at once) still drives, and the driver's own thread keeps
 * leaving the I/O to it. Does nothing when a drive is running. */
void wpu__io_nudge(void);

/* For a waiter that will not wait (timeout 0) and found nothing: runs a
 * round of the driver without waiting, so that a thread that polls its
 * port drives the I/O it polls for. Does nothing when a drive is running
 * (the driver, e.g. uvnet, may also decline when its own thread is in a
 * round). */
void wpu__io_poll(void);

/* A packet went to the waiter whose state word is *state, which was
 * driving: interrupts its drive, unless the calling thread is the one
 * driving (its round ends by itself) or the drive running is another
 * waiter's. */
void wpu__io_interrupt(const uint32_t *state);

#endif /* WPU_IODRIVER_IMPL_H */
