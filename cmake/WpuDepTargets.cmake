# WpuDepTargets.cmake: wpu_dep_targets() defines libuv and CMocka as the
# imported targets wpu::uv and wpu::cmocka. One definition for the build tree
# (WpuDeps.cmake) and the installed package (libwpuConfig.cmake).
#
#   wpu_dep_targets([GLOBAL] [UV_LIBRARY <file> CMOCKA_LIBRARY <file>
#                   [UV_INCLUDE_DIR <dir>] [CMOCKA_INCLUDE_DIR <dir>]]
#                   [ERROR_VARIABLE <var>])
#
# Linux: Debian's libuv1-dev and libcmocka-dev, found on the system (cache
# variables WPU_UV_INCLUDE_DIR, WPU_UV_LIBRARY, WPU_CMOCKA_INCLUDE_DIR,
# WPU_CMOCKA_LIBRARY); needs Threads::Threads (find_package(Threads) first).
# Windows (mingw-w64): the static libraries given (libuv_a.a, whose ws2_32
# references are bound to the real ws2_32, and libcmocka-static.a).
# Without ERROR_VARIABLE a missing dependency is a fatal error; with it, the
# variable is set to the reason (empty on success) and nothing is defined.
function(wpu_dep_targets)
  cmake_parse_arguments(D "GLOBAL"
    "UV_LIBRARY;UV_INCLUDE_DIR;CMOCKA_LIBRARY;CMOCKA_INCLUDE_DIR;ERROR_VARIABLE"
    "" ${ARGN})
  set(error "")
  set(global "")
  if(D_GLOBAL)
    set(global GLOBAL)
  endif()
  if(WIN32)
    foreach(f "${D_UV_LIBRARY}" "${D_CMOCKA_LIBRARY}")
      if(NOT EXISTS "${f}")
        set(error "mingw-w64 libuv/CMocka library not found: '${f}'")
      endif()
    endforeach()
  else()
    find_path(WPU_UV_INCLUDE_DIR uv.h)
    find_library(WPU_UV_LIBRARY uv)
    find_path(WPU_CMOCKA_INCLUDE_DIR cmocka.h)
    find_library(WPU_CMOCKA_LIBRARY cmocka)
    if(NOT WPU_UV_INCLUDE_DIR OR NOT WPU_UV_LIBRARY)
      set(error "libuv not found: install libuv1-dev (scripts/setup.sh)")
    elseif(NOT WPU_CMOCKA_INCLUDE_DIR OR NOT WPU_CMOCKA_LIBRARY)
      set(error "CMocka not found: install libcmocka-dev (scripts/setup.sh)")
    endif()
  endif()
  if(D_ERROR_VARIABLE)
    set(${D_ERROR_VARIABLE} "${error}" PARENT_SCOPE)
  endif()
  if(error)
    if(NOT D_ERROR_VARIABLE)
      message(FATAL_ERROR "${error}")
    endif()
    return()
  endif()
  if(TARGET wpu::uv AND TARGET wpu::cmocka)
    return()
  endif()

  if(WIN32)
    add_library(wpu::uv STATIC IMPORTED ${global})
    set_target_properties(wpu::uv PROPERTIES
      IMPORTED_LOCATION "${D_UV_LIBRARY}"
      INTERFACE_LINK_LIBRARIES "psapi;user32;advapi32;iphlpapi;userenv;ws2_32;dbghelp;ole32;shell32")
    # CMocka's installed config names the import library of the DLL; the
    # static library is what the tests link.
    add_library(wpu::cmocka STATIC IMPORTED ${global})
    set_target_properties(wpu::cmocka PROPERTIES
      IMPORTED_LOCATION "${D_CMOCKA_LIBRARY}")
  else()
    add_library(wpu::uv INTERFACE IMPORTED ${global})
    set_target_properties(wpu::uv PROPERTIES
      INTERFACE_LINK_LIBRARIES "${WPU_UV_LIBRARY};Threads::Threads")
    set(D_UV_INCLUDE_DIR ${WPU_UV_INCLUDE_DIR})
    add_library(wpu::cmocka INTERFACE IMPORTED ${global})
    set_target_properties(wpu::cmocka PROPERTIES
      INTERFACE_LINK_LIBRARIES "${WPU_CMOCKA_LIBRARY}")
    set(D_CMOCKA_INCLUDE_DIR ${WPU_CMOCKA_INCLUDE_DIR})
  endif()
  # Include directories of imported targets are system directories.
  if(D_UV_INCLUDE_DIR)
    set_target_properties(wpu::uv PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${D_UV_INCLUDE_DIR}")
  endif()
  if(D_CMOCKA_INCLUDE_DIR)
    set_target_properties(wpu::cmocka PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${D_CMOCKA_INCLUDE_DIR}")
  endif()
endfunction()
