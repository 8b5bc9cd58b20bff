# WpuProvider.cmake: wpu_provider_target(TARGET) makes a target compile
# provider source the way libwpu expects on Linux:
#   - (through wpu::wpu) force-includes wpu/prelude.h, so <winsock2.h> comes
#     before anything glibc defines differently, whatever order the source
#     includes in;
#   - -fshort-wchar -DWINE_UNICODE_NATIVE, so L"..." is UTF-16 and WCHAR is a
#     2-byte wchar_t as on Windows (the prelude maps wcslen & co. to libwpu's
#     2-byte versions).
# On Windows (mingw-w64) the source compiles as it is.
function(wpu_provider_target target)
  target_link_libraries(${target} PRIVATE wpu::wpu)
  if(NOT WIN32)
    target_compile_options(${target} PRIVATE -fshort-wchar)
    target_compile_definitions(${target} PRIVATE WINE_UNICODE_NATIVE)
  endif()
endfunction()
