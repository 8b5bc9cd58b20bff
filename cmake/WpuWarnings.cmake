# WpuWarnings.cmake: wpu_target_warnings(TARGET) turns on the project's
# warnings, as errors (WPU_WERROR, on unless libwpu is a subproject), for the
# project's own code.
function(wpu_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra
    -Wno-missing-field-initializers)
  if(WPU_WERROR OR NOT DEFINED WPU_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
