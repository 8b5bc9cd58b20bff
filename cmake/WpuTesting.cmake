# WpuTesting.cmake: wpu_add_test(NAME SOURCES ...) builds one CMocka suite and
# registers it with CTest. In the mingw-w64 build the suite runs under Wine
# (CMAKE_CROSSCOMPILING_EMULATOR) in a prefix inside the build tree, with one
# persistent wineserver for the whole run (a CTest fixture): about 0.1 s per
# suite instead of the 2.5 s a wineserver per process costs. The fixture also
# boots the prefix's services with their output on /dev/null: started by the
# first suite instead, they would hold CTest's output pipe open for ever.

if(WIN32 AND CMAKE_CROSSCOMPILING)
  find_program(WPU_WINESERVER wineserver
    PATHS /usr/lib/wine /usr/lib/x86_64-linux-gnu/wine)
  find_program(WPU_WINEBOOT wineboot)
  set(WPU_WINEPREFIX ${CMAKE_BINARY_DIR}/wineprefix)
  set(WPU_WINE_ENV "WINEPREFIX=${WPU_WINEPREFIX};WINEDEBUG=-all")
  add_test(NAME wine_server_start COMMAND sh -c
    "[ -d '${WPU_WINEPREFIX}' ] || '${WPU_WINEBOOT}' -i >/dev/null 2>&1; '${WPU_WINESERVER}' -k >/dev/null 2>&1; '${WPU_WINESERVER}' -p </dev/null >/dev/null 2>&1; '${WPU_WINEBOOT}' </dev/null >/dev/null 2>&1")
  add_test(NAME wine_server_stop COMMAND sh -c
    "'${WPU_WINESERVER}' -k </dev/null >/dev/null 2>&1 || true")
  set_tests_properties(wine_server_start PROPERTIES
    FIXTURES_SETUP wine ENVIRONMENT "${WPU_WINE_ENV}")
  set_tests_properties(wine_server_stop PROPERTIES
    FIXTURES_CLEANUP wine ENVIRONMENT "${WPU_WINE_ENV}")
endif()

function(wpu_add_test name)
  cmake_parse_arguments(T "PROVIDER" "TIMEOUT" "SOURCES;LIBRARIES" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE fws2::fake_ws2 wpu::wpu wpu_cmocka
                                        ${T_LIBRARIES})
  if(T_PROVIDER)
    wpu_provider_target(${name})
  endif()
  wpu_target_warnings(${name})
  add_test(NAME ${name} COMMAND ${name})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${T_TIMEOUT})
  if(WIN32 AND CMAKE_CROSSCOMPILING)
    set_tests_properties(${name} PROPERTIES
      FIXTURES_REQUIRED wine ENVIRONMENT "${WPU_WINE_ENV}")
  endif()
endfunction()
