/* win32.h: what the Linux kernel32 files share (internal). */
#ifndef WPU_WIN32_H
#define WPU_WIN32_H

#include <winsock2.h>

/* Number of TlsAlloc indexes (TLS_MINIMUM_AVAILABLE plus the expansion
 * slots, as on Windows since Windows 2000). */
#define WPU_TLS_SLOTS 1088

#endif
