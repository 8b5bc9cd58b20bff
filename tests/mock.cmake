# mock.cmake: the suites of the CMocka mock of the next layer and of the
# conformance suite, both over a pass-through LSP written for them
# (passthru_lsp.c, IFS and non-IFS, with deliberate breakages). Included
# from tests/CMakeLists.txt.
if(TARGET fws2_front)
  wpu_add_test(test_mock PROVIDER SOURCES test_mock.c passthru_lsp.c)
  wpu_add_test(test_conformance PROVIDER
               SOURCES test_conformance.c passthru_lsp.c)
  # A failing expectation is reported: each case runs in its own process
  # and must print CMocka's (or the mock's) message naming what failed.
  set(mock_fail_wrong_argument
    "Check of parameter data, function fws2_mock_WSPSend failed")
  set(mock_fail_unexpected_call
    "unexpected call to the next layer: WSPSend\\(")
  # (CMocka 1.1.5 prints "'%s'" and "%s()" literally in these two.)
  set(mock_fail_unchecked_expectation
    "fws2_mock_WSPShutdown: .* parameter still has values that haven't been checked")
  set(mock_fail_unused_result
    "has remaining non-returned values.*test_mock.c:[0-9]+: note: remaining item")
  foreach(case wrong_argument unexpected_call unchecked_expectation
               unused_result)
    add_test(NAME test_mock_reports_${case} COMMAND test_mock ${case})
    # A failed check unwinds the call it happened in (CMocka's longjmp),
    # leaking what the call held (e.g. the front's provider reference):
    # the case has failed, as it must, so leaks are not reported.
    set(env "ASAN_OPTIONS=detect_leaks=0")
    if(WIN32 AND CMAKE_CROSSCOMPILING)
      set(env "${WPU_WINE_ENV}")
      set_tests_properties(test_mock_reports_${case} PROPERTIES
        FIXTURES_REQUIRED wine)
    endif()
    set_tests_properties(test_mock_reports_${case} PROPERTIES
      PASS_REGULAR_EXPRESSION "${mock_fail_${case}}" TIMEOUT 120
      ENVIRONMENT "${env}")
  endforeach()
endif()

# The README's "Testing your provider" walkthrough, compiled and run.
if(TARGET fws2_front)
  wpu_add_test(test_readme_walkthrough PROVIDER
               SOURCES test_readme_walkthrough.c passthru_lsp.c)
endif()
