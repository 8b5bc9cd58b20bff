# The doubles' suites (included from tests/CMakeLists.txt): the call trace,
# fault injection and the contract checker, with their shared LSP set-up.
foreach(suite trace faults checker)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/test_${suite}.c)
    wpu_add_test(test_${suite} PROVIDER
                 SOURCES test_${suite}.c doubles_lsp.c
                 LIBRARIES fws2::memnet)
  endif()
endforeach()
