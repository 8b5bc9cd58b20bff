# The doubles' suites (included from tests/CMakeLists.txt): the call trace,
# fault injection and the contract checker, with their shared LSP set-up.
foreach(suite trace faults checker)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/test_${suite}.c)
    wpu_add_test(test_${suite} PROVIDER
                 SOURCES test_${suite}.c doubles_lsp.c
                 LIBRARIES fws2::memnet)
  endif()
endforeach()
# The interposer's slots are the process's: the test that takes them all
# runs in a process of its own.
if(TARGET test_checker)
  add_test(NAME test_checker_interposer_full
           COMMAND test_checker interposer_full)
  set_tests_properties(test_checker_interposer_full PROPERTIES TIMEOUT 120)
  if(WIN32 AND CMAKE_CROSSCOMPILING)
    set_tests_properties(test_checker_interposer_full PROPERTIES
      FIXTURES_REQUIRED wine ENVIRONMENT "${WPU_WINE_ENV}")
  endif()
endif()
