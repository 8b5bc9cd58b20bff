# WpuWindowsHeaders.cmake: the Windows types, as the target wpu_winheaders.
#
# Linux: Wine's Windows headers (libwine-dev; the windows/ directory only,
# never Wine's msvcrt/, so glibc stays the C library), behind libwpu's compat
# directory, which completes ws2spi.h and strsafe.h. A few probes find which
# SPI declarations this Wine already has (wpu/compat_config.h).
# Windows (mingw-w64): the toolchain's own headers; nothing to add.

add_library(wpu_winheaders INTERFACE)
if(WIN32)
  target_compile_definitions(wpu_winheaders INTERFACE WIN32_LEAN_AND_MEAN)
  return()
endif()

find_path(WPU_WINE_INCLUDE_DIR winsock2.h
  PATHS /usr/include/wine/wine/windows /usr/include/wine/windows
        /usr/local/include/wine/windows
  NO_DEFAULT_PATH)
if(NOT WPU_WINE_INCLUDE_DIR)
  message(FATAL_ERROR "Wine's Windows headers were not found: install libwine-dev (scripts/setup.sh)")
endif()

# DECLSPEC_HIDDEN is how Wine's headers mark imported functions on ELF; the
# emulation defines those functions itself, so they must stay visible.
set(WPU_WINE_DEFINES DECLSPEC_HIDDEN=)

include(CheckCSourceCompiles)
function(wpu_probe_wine var code)
  set(CMAKE_REQUIRED_INCLUDES ${WPU_WINE_INCLUDE_DIR})
  set(CMAKE_REQUIRED_DEFINITIONS -DDECLSPEC_HIDDEN=)
  set(CMAKE_REQUIRED_QUIET ON)
  check_c_source_compiles("#include <winsock2.h>
#include <ws2spi.h>
int main(void) { ${code}; return 0; }" ${var})
  set(${var} ${${var}} PARENT_SCOPE)
endfunction()
wpu_probe_wine(WPU_WINE_HAS_WSPDATA "WSPDATA d; (void)d")
wpu_probe_wine(WPU_WINE_HAS_WSATHREADID "WSATHREADID t; (void)t")
wpu_probe_wine(WPU_WINE_HAS_LPBLOCKINGCALLBACK "LPBLOCKINGCALLBACK f = 0; (void)f")
wpu_probe_wine(WPU_WINE_HAS_LPWSAUSERAPC "LPWSAUSERAPC f = 0; (void)f")
wpu_probe_wine(WPU_WINE_HAS_WSPPROC_TABLE "WSPPROC_TABLE t; (void)t")
wpu_probe_wine(WPU_WINE_HAS_WSPUPCALLTABLE "WSPUPCALLTABLE t; (void)t")
wpu_probe_wine(WPU_WINE_HAS_LPWPUPOSTMESSAGE "LPWPUPOSTMESSAGE f = 0; (void)f")
wpu_probe_wine(WPU_WINE_HAS_LPWSPSTARTUP "LPWSPSTARTUP f = 0; (void)f")
foreach(v WSPDATA WSATHREADID LPBLOCKINGCALLBACK LPWSAUSERAPC WSPPROC_TABLE
          WSPUPCALLTABLE LPWPUPOSTMESSAGE LPWSPSTARTUP)
  if(WPU_WINE_HAS_${v})
    set(WPU_WINE_HAS_${v} 1)
  else()
    set(WPU_WINE_HAS_${v} 0)
  endif()
endforeach()
set(WPU_GENERATED_INCLUDE_DIR ${CMAKE_BINARY_DIR}/generated/include)
configure_file(${CMAKE_CURRENT_LIST_DIR}/compat_config.h.in
  ${WPU_GENERATED_INCLUDE_DIR}/wpu/compat_config.h @ONLY)

target_include_directories(wpu_winheaders SYSTEM INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/libwpu/include/compat>
  $<BUILD_INTERFACE:${WPU_GENERATED_INCLUDE_DIR}>
  ${WPU_WINE_INCLUDE_DIR})
# libwpu's own headers are not system headers: their warnings count.
target_include_directories(wpu_winheaders INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/libwpu/include>)
target_compile_definitions(wpu_winheaders INTERFACE ${WPU_WINE_DEFINES})
# Everything that sees the Windows types on Linux sees <winsock2.h> first
# (wpu/prelude.h), whatever order its source includes headers in.
target_compile_options(wpu_winheaders INTERFACE
  "SHELL:-include wpu/prelude.h")
