/* baseline_uv_echo.h: raw libuv TCP on 127.0.0.1, bench_uvnet's baseline
 * (its echo server is fake_ws2's, fws2/echo_peer.h). Plain C, no Windows types;
 * baseline_uv_echo.c includes only <uv.h> (and the C library). */
#ifndef WPU_BENCH_BASELINE_UV_ECHO_H
#define WPU_BENCH_BASELINE_UV_ECHO_H

#include <stddef.h>
#include <stdint.h>

/* A raw libuv client on the calling thread: connects to 127.0.0.1:port,
 * writes total bytes in chunk-sized writes (the next once the previous one
 * is done) while reading the echo back in 64 KiB reads. Returns echoed
 * bytes per second, first write to last byte back; 0 on failure. */
double uv_echo_client_bps(uint16_t port, size_t chunk, size_t total);

/* CPU time the whole process used so far (user + system), in seconds. */
double uv_process_cpu_seconds(void);

#endif
