# WpuTesting.cmake: wpu_add_test(NAME SOURCES ...) builds one of libwpu's own
# CMocka suites and registers it with CTest through wpu_register_test
# (cmake/WpuAddTest.cmake, shared with the installed wpu_add_provider_test):
# in the mingw-w64 build the suite runs under Wine (CMAKE_CROSSCOMPILING_
# EMULATOR) in a prefix inside the build tree, with one persistent wineserver
# for the whole run (the CTest fixture "wine").
include(${CMAKE_CURRENT_LIST_DIR}/WpuAddTest.cmake)

wpu_wine_test_fixture()
# For tests added with add_test directly.
wpu_test_environment(WPU_WINE_ENV)

function(wpu_add_test name)
  cmake_parse_arguments(T "PROVIDER" "TIMEOUT" "SOURCES;LIBRARIES" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE fws2::fake_ws2 wpu::wpu wpu_cmocka
                                        ${T_LIBRARIES})
  if(T_PROVIDER)
    wpu_provider_target(${name})
  endif()
  wpu_target_warnings(${name})
  wpu_register_test(${name} "${T_TIMEOUT}")
endfunction()
