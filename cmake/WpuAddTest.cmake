# WpuAddTest.cmake: registering CMocka suites with CTest, shared by the build
# tree (wpu_add_test, cmake/WpuTesting.cmake) and the installed package
# (find_package(libwpu) includes this file too), and wpu_add_provider_test,
# the helper provider authors use.
#
#   wpu_add_provider_test(NAME <name> SOURCES <provider and test sources...>
#                         [LIBRARIES <libraries...>] [TIMEOUT <seconds>])
#
# builds <name> from the sources as provider code (wpu_provider_target: on
# Linux the prelude, -fshort-wchar, -DWINE_UNICODE_NATIVE), links
# wpu::fake_ws2 (the world fixture, the ws2_32 front, memnet, CMocka) and
# the LIBRARIES, and registers it with CTest (TIMEOUT, default 300 s).
#
# Cross-compiled for Windows (mingw-w64, CMAKE_CROSSCOMPILING_EMULATOR wine),
# the tests run under Wine in WPU_WINEPREFIX (default <build>/wineprefix),
# with one persistent wineserver for the whole run (a CTest fixture): about
# 0.1 s per suite instead of the 2.5 s a wineserver per process costs. The
# fixture also boots the prefix's services with their output on /dev/null:
# started by the first suite instead, they would hold CTest's output pipe
# open for ever.
#
# Nothing here depends on variables of the directory that included it, so
# the functions work from any directory (add_subdirectory(libwpu) included).

# The environment of a test run under Wine; empty when not cross-compiling
# for Windows.
function(wpu_test_environment out)
  if(WIN32 AND CMAKE_CROSSCOMPILING)
    set(WPU_WINEPREFIX ${CMAKE_BINARY_DIR}/wineprefix CACHE PATH
      "Wine prefix the tests run in (created on first use)")
    set(${out} "WINEPREFIX=${WPU_WINEPREFIX};WINEDEBUG=-all" PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

# Defines the CTest fixture "wine" (tests wine_server_start and
# wine_server_stop) in the calling directory, once per build.
function(wpu_wine_test_fixture)
  if(NOT (WIN32 AND CMAKE_CROSSCOMPILING))
    return()
  endif()
  get_property(done GLOBAL PROPERTY WPU_WINE_TEST_FIXTURE)
  if(done)
    return()
  endif()
  set_property(GLOBAL PROPERTY WPU_WINE_TEST_FIXTURE ON)
  find_program(WPU_WINESERVER wineserver
    PATHS /usr/lib/wine /usr/lib/x86_64-linux-gnu/wine)
  find_program(WPU_WINEBOOT wineboot)
  wpu_test_environment(env)
  add_test(NAME wine_server_start COMMAND sh -c
    "[ -d '${WPU_WINEPREFIX}' ] || '${WPU_WINEBOOT}' -i >/dev/null 2>&1; '${WPU_WINESERVER}' -k >/dev/null 2>&1; '${WPU_WINESERVER}' -p </dev/null >/dev/null 2>&1; '${WPU_WINEBOOT}' </dev/null >/dev/null 2>&1")
  add_test(NAME wine_server_stop COMMAND sh -c
    "'${WPU_WINESERVER}' -k </dev/null >/dev/null 2>&1 || true")
  set_tests_properties(wine_server_start PROPERTIES
    FIXTURES_SETUP wine ENVIRONMENT "${env}")
  set_tests_properties(wine_server_stop PROPERTIES
    FIXTURES_CLEANUP wine ENVIRONMENT "${env}")
endfunction()

# Registers the executable target <name> as the CTest test <name>, with the
# timeout and, under Wine, the fixture and the environment.
function(wpu_register_test name timeout)
  if(NOT timeout)
    set(timeout 300)
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT ${timeout})
  if(WIN32 AND CMAKE_CROSSCOMPILING)
    wpu_wine_test_fixture()
    wpu_test_environment(env)
    set_tests_properties(${name} PROPERTIES
      FIXTURES_REQUIRED wine ENVIRONMENT "${env}")
  endif()
endfunction()

function(wpu_add_provider_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT T_NAME OR NOT T_SOURCES)
    message(FATAL_ERROR "wpu_add_provider_test(NAME <name> SOURCES <sources...> [LIBRARIES ...] [TIMEOUT s])")
  endif()
  if(T_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "wpu_add_provider_test: unexpected arguments: ${T_UNPARSED_ARGUMENTS}")
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE wpu::fake_ws2 ${T_LIBRARIES})
  wpu_provider_target(${T_NAME})
  wpu_register_test(${T_NAME} "${T_TIMEOUT}")
endfunction()
