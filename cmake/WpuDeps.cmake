# WpuDeps.cmake: libuv and CMocka as the targets wpu_uv and wpu_cmocka.
# Linux: Debian's libuv1-dev and libcmocka-dev.
# Windows (mingw-w64): built from Debian's source packages inside the build
# tree on first configure (cmake/build-mingw-deps.sh, about ten seconds).

if(WIN32)
  set(WPU_MINGW_DEPS_PREFIX ${CMAKE_BINARY_DIR}/_deps/prefix)
  if(NOT EXISTS ${WPU_MINGW_DEPS_PREFIX}/lib/libuv_a.winsock-routed
     OR NOT EXISTS ${WPU_MINGW_DEPS_PREFIX}/lib/libcmocka-static.a)
    message(STATUS "Building libuv and CMocka for mingw-w64 from Debian sources")
    execute_process(
      COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/build-mingw-deps.sh
              ${CMAKE_BINARY_DIR}/_deps/src ${WPU_MINGW_DEPS_PREFIX}
              ${CMAKE_CURRENT_LIST_DIR}/toolchain-mingw64.cmake
      RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "building the mingw-w64 dependencies failed")
    endif()
  endif()
  add_library(wpu_uv STATIC IMPORTED GLOBAL)
  set_target_properties(wpu_uv PROPERTIES
    IMPORTED_LOCATION ${WPU_MINGW_DEPS_PREFIX}/lib/libuv_a.a
    INTERFACE_INCLUDE_DIRECTORIES ${WPU_MINGW_DEPS_PREFIX}/include
    INTERFACE_LINK_LIBRARIES "psapi;user32;advapi32;iphlpapi;userenv;ws2_32;dbghelp;ole32;shell32")
  # CMocka's installed config names the import library of the DLL; the
  # static library is what the tests link.
  add_library(wpu_cmocka STATIC IMPORTED GLOBAL)
  set_target_properties(wpu_cmocka PROPERTIES
    IMPORTED_LOCATION ${WPU_MINGW_DEPS_PREFIX}/lib/libcmocka-static.a
    INTERFACE_INCLUDE_DIRECTORIES ${WPU_MINGW_DEPS_PREFIX}/include)
else()
  find_path(WPU_UV_INCLUDE_DIR uv.h)
  find_library(WPU_UV_LIBRARY uv)
  find_path(WPU_CMOCKA_INCLUDE_DIR cmocka.h)
  find_library(WPU_CMOCKA_LIBRARY cmocka)
  if(NOT WPU_UV_INCLUDE_DIR OR NOT WPU_UV_LIBRARY)
    message(FATAL_ERROR "libuv not found: install libuv1-dev (scripts/setup.sh)")
  endif()
  if(NOT WPU_CMOCKA_INCLUDE_DIR OR NOT WPU_CMOCKA_LIBRARY)
    message(FATAL_ERROR "CMocka not found: install libcmocka-dev (scripts/setup.sh)")
  endif()
  find_package(Threads REQUIRED)
  add_library(wpu_uv INTERFACE)
  target_include_directories(wpu_uv SYSTEM INTERFACE ${WPU_UV_INCLUDE_DIR})
  target_link_libraries(wpu_uv INTERFACE ${WPU_UV_LIBRARY} Threads::Threads)
  add_library(wpu_cmocka INTERFACE)
  target_include_directories(wpu_cmocka SYSTEM INTERFACE
    ${WPU_CMOCKA_INCLUDE_DIR})
  target_link_libraries(wpu_cmocka INTERFACE ${WPU_CMOCKA_LIBRARY})
endif()
