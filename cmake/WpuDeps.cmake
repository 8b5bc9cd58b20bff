# WpuDeps.cmake: libuv and CMocka as the targets wpu_uv and wpu_cmocka
# (aliases of the imported targets wpu::uv and wpu::cmocka, which the
# installed package recreates: cmake/WpuDepTargets.cmake).
# Linux: Debian's libuv1-dev and libcmocka-dev.
# Windows (mingw-w64): built from Debian's source packages inside the build
# tree on first configure (cmake/build-mingw-deps.sh, about ten seconds), or
# taken from WPU_MINGW_DEPS_PREFIX when that already holds them.
include(${CMAKE_CURRENT_LIST_DIR}/WpuDepTargets.cmake)

if(WIN32)
  set(WPU_MINGW_DEPS_PREFIX ${PROJECT_BINARY_DIR}/_deps/prefix CACHE PATH
    "Where the mingw-w64 builds of libuv and CMocka are (built there if missing)")
  if(NOT EXISTS ${WPU_MINGW_DEPS_PREFIX}/lib/libuv_a.winsock-routed
     OR NOT EXISTS ${WPU_MINGW_DEPS_PREFIX}/lib/libcmocka-static.a)
    message(STATUS "Building libuv and CMocka for mingw-w64 from Debian sources")
    execute_process(
      COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/build-mingw-deps.sh
              ${PROJECT_BINARY_DIR}/_deps/src ${WPU_MINGW_DEPS_PREFIX}
              ${CMAKE_CURRENT_LIST_DIR}/toolchain-mingw64.cmake
      RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "building the mingw-w64 dependencies failed")
    endif()
  endif()
  wpu_dep_targets(GLOBAL
    UV_LIBRARY ${WPU_MINGW_DEPS_PREFIX}/lib/libuv_a.a
    UV_INCLUDE_DIR ${WPU_MINGW_DEPS_PREFIX}/include
    CMOCKA_LIBRARY ${WPU_MINGW_DEPS_PREFIX}/lib/libcmocka-static.a
    CMOCKA_INCLUDE_DIR ${WPU_MINGW_DEPS_PREFIX}/include)
else()
  find_package(Threads REQUIRED)
  wpu_dep_targets(GLOBAL)
endif()
add_library(wpu_uv ALIAS wpu::uv)
add_library(wpu_cmocka ALIAS wpu::cmocka)
