# WpuWindowsHeaders.cmake: the Windows types, as the target wpu_winheaders.
#
# Linux: Wine's Windows headers (libwine-dev; the windows/ directory only,
# never Wine's msvcrt/, so glibc stays the C library), behind libwpu's compat
# directory, which completes ws2spi.h and strsafe.h. A few probes find which
# SPI declarations this Wine already has (wpu/compat_config.h).
# Windows (mingw-w64): the toolchain's own headers; nothing to add.
# Installed (WpuInstall.cmake) as wpu::winheaders: compat/ goes to
# include/wpu-compat, compat_config.h to include/wpu, and the package's
# config file finds Wine's headers again (libwpuConfig.cmake).

include(GNUInstallDirs)
add_library(wpu_winheaders INTERFACE)
set_target_properties(wpu_winheaders PROPERTIES EXPORT_NAME winheaders)
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
set(WPU_GENERATED_INCLUDE_DIR ${PROJECT_BINARY_DIR}/generated/include)
configure_file(${CMAKE_CURRENT_LIST_DIR}/compat_config.h.in
  ${WPU_GENERATED_INCLUDE_DIR}/wpu/compat_config.h @ONLY)

target_include_directories(wpu_winheaders SYSTEM INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/libwpu/include/compat>
  $<BUILD_INTERFACE:${WPU_GENERATED_INCLUDE_DIR}>
  $<BUILD_INTERFACE:${WPU_WINE_INCLUDE_DIR}>)
# libwpu's own headers are not system headers: their warnings count.
# Installed, all of them are (imported targets), compat first; Wine's
# headers are added by libwpuConfig.cmake.
target_include_directories(wpu_winheaders INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/libwpu/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/wpu-compat>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_compile_definitions(wpu_winheaders INTERFACE ${WPU_WINE_DEFINES})
# Everything that sees the Windows types on Linux sees <winsock2.h> first
# (wpu/prelude.h), whatever order its source includes headers in.
target_compile_options(wpu_winheaders INTERFACE
  "SHELL:-include wpu/prelude.h")
