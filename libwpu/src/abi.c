/* abi.c: builds the Windows x64 layout checks into every libwpu build. */
#include <winsock2.h>
#include <ws2spi.h>

#include <wpu/abi_assert.h>

/* Keeps the translation unit non-empty for -Wpedantic toolchains. */
extern const int wpu_abi_checked;
const int wpu_abi_checked = 1;
