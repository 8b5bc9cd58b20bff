/* blocking.h: the blocking-hook functions behind WSASetBlockingHook and
 * friends (internal; see blocking.c). */
#ifndef WPU_BLOCKING_H
#define WPU_BLOCKING_H

#include <winsock2.h>

FARPROC wpu__set_blocking_hook(FARPROC lpBlockFunc);
int wpu__unhook_blocking_hook(void);
int wpu__cancel_blocking_call(void);
BOOL wpu__is_blocking(void);

#endif /* WPU_BLOCKING_H */
