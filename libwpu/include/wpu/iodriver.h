/* wpu/iodriver.h: I/O drivers: a provider's I/O done by the threads that
 * wait for its completions.
 *
 * A base provider that does its I/O on a thread of its own (uvnet's libuv
 * loop) costs a program that waits on a completion port a hand-over per
 * completion: the provider's thread completes, the port wakes the waiting
 * thread, and on a machine with few cores the two take turns on one. A
 * provider can instead register an I/O driver: a thread that would sleep
 * in GetQueuedCompletionStatus(Ex) without alerting, on a port with
 * nothing queued, runs the driver (one round of the provider's I/O) and
 * looks at the port again, until a packet is there or its time is up. The
 * provider's thread meanwhile stays out of the way, so one thread polls,
 * reads, writes and completes, as a single-threaded program over the
 * sockets would.
 *
 * The contract of a driver's functions:
 * - drive(arg, timeout_ms): runs at most one round of I/O on the calling
 *   thread (callbacks included), waiting at most timeout_ms for something
 *   to do (INFINITE: no limit), and returns 0; or returns non-zero at once
 *   when it cannot run now (the waiter then sleeps as usual). A round ends
 *   early, or does not wait, after interrupt. libwpu never runs two drives
 *   at once. Completions the round makes, to any port, are posted as
 *   usual; one handed to the driving thread itself ends its wait after the
 *   round.
 * - interrupt(arg): makes the drive running on another thread (or the next
 *   one to start) return soon; called by a thread that posts a packet to a
 *   waiter that is driving, or by wpu_io_driver_unregister(). Must not
 *   block; any thread.
 *
 * Which waits drive: non-alertable GetQueuedCompletionStatus and
 * GetQueuedCompletionStatusEx of the Linux kernel32 emulation on a port
 * that a socket handle was ever associated with, one thread at a time (any
 * other waiter sleeps). A port that only carries PostQueuedCompletionStatus
 * packets (a thread pool's), alertable waits, the WaitFor... functions and
 * events never drive. A waiter that finds packets queued takes them
 * without waiting, but first runs a round of 0 ms when no drive has started
 * for 250 us: a thread that keeps finding completions (a provider's direct
 * I/O completes at once) keeps driving. A wait with a timeout of 0 that
 * finds nothing runs a round of 0 ms and looks again: a thread that polls
 * its port drives too. A waiter that finds such a round running drives
 * after it. After a drive, a driver's own thread
 * may leave its I/O to waiting threads for a while (uvnet: 1 ms), so I/O that
 * nobody waits on a port for may wait that long. On the Windows build the
 * kernel's ports are used and nothing drives: wpu_io_driver_register() fails
 * with ERROR_NOT_SUPPORTED.
 *
 * At most one driver is registered at a time (one per process, not per
 * world: ports are process-wide). Thread-safe.
 */
#ifndef WPU_IODRIVER_H
#define WPU_IODRIVER_H

#include <stdint.h>

#include <windows.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wpu_io_driver {
  int (*drive)(void *arg, DWORD timeout_ms);
  void (*interrupt)(void *arg);
  void *arg;
} wpu_io_driver;

/* Registers *driver (copied: the caller's struct need not stay). Returns 0,
 * or ERROR_INVALID_PARAMETER (driver, drive or interrupt is NULL),
 * ERROR_ALREADY_EXISTS (a driver is registered) or ERROR_NOT_SUPPORTED (the
 * Windows build). */
DWORD wpu_io_driver_register(const wpu_io_driver *driver);

/* Unregisters the driver registered with this arg: no wait drives it any
 * more, and a drive in progress has returned (it is interrupted first)
 * when this returns. Not from inside a drive. Returns 0, or ERROR_NOT_FOUND
 * (no driver with this arg is registered). */
DWORD wpu_io_driver_unregister(void *arg);

/* How many drives waiting threads have started since the process
 * started: a count for tests and benchmarks that the mechanism is at work
 * (0 on the Windows build). */
uint64_t wpu_io_driver_rounds(void);

#ifdef __cplusplus
}
#endif

#endif /* WPU_IODRIVER_H */
