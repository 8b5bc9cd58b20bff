# WpuWarnings.cmake: wpu_target_warnings(TARGET) turns on the project's
# warnings, as errors, for the project's own code.
function(wpu_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror
    -Wno-missing-field-initializers)
endfunction()
