/* wpu/wpu.h: everything libwpu offers, in one include. */
#ifndef WPU_WPU_H
#define WPU_WPU_H

#include <winsock2.h>
#include <ws2spi.h>

#include <wpu/world.h>
#include <wpu/sockets.h>
#include <wpu/threads.h>
#include <wpu/iodriver.h>

#endif /* WPU_WPU_H */
