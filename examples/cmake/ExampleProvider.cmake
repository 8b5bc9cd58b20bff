# ExampleProvider.cmake: how the examples build a provider twice from one
# source: as a static library that tests and demos link (with libwpu, on
# Linux and on Windows), and, on the Windows build, as the DLL a real
# Windows would load: linked against mingw-w64's ws2_32 import library only,
# WSPStartup exported through a .def file. A CTest test then reads the DLL's
# export and import tables (objdump -p) and fails unless every function of
# EXPORTS is exported and every WPU*/WSC* function the provider calls directly is
# imported from WS2_32.dll.
#
#   example_provider(NAME <name> SOURCES <provider sources...> DEF <file.def>
#                    [EXPORTS <functions the DLL must export...>]
#                    [IMPORTS <WPU/WSC functions that must be imported...>])
#
# EXPORTS defaults to WSPStartup; an LSP lists GetLspGuid too (installers
# load the DLL and ask it for its GUID).
#
# Targets: <name> (static, links wpu::wpu, include directory = the
# example's folder), and on Windows <name>_dll (output <name>.dll) and the
# test <name>_dll_tables. The functions checked are IMPORTS plus every
# WPU*/WSC* symbol the static library leaves undefined (nm).
#   example_warnings(<target>) turns on -Wall -Wextra -Werror.

set(EXAMPLE_CHECK_DLL ${CMAKE_CURRENT_LIST_DIR}/CheckDllTables.cmake)

function(example_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
endfunction()

function(example_provider)
  cmake_parse_arguments(P "" "NAME;DEF" "SOURCES;EXPORTS;IMPORTS" ${ARGN})
  if(NOT P_NAME OR NOT P_SOURCES OR NOT P_DEF)
    message(FATAL_ERROR "example_provider(NAME <n> SOURCES ... DEF <file> [EXPORTS ...] [IMPORTS ...])")
  endif()
  if(NOT P_EXPORTS)
    set(P_EXPORTS WSPStartup)
  endif()
  add_library(${P_NAME} STATIC ${P_SOURCES})
  target_include_directories(${P_NAME} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  wpu_provider_target(${P_NAME})
  example_warnings(${P_NAME})
  if(NOT WIN32)
    return()
  endif()
  # The Windows DLL: the same source against the real ws2_32, no libwpu.
  add_library(${P_NAME}_dll SHARED ${P_SOURCES} ${P_DEF})
  set_target_properties(${P_NAME}_dll PROPERTIES OUTPUT_NAME ${P_NAME}
                                                 PREFIX "")
  target_link_libraries(${P_NAME}_dll PRIVATE ws2_32)
  target_link_options(${P_NAME}_dll PRIVATE -static-libgcc)
  example_warnings(${P_NAME}_dll)
  string(REPLACE ";" "," imports "${P_IMPORTS}")
  string(REPLACE ";" "," exports "${P_EXPORTS}")
  add_test(NAME ${P_NAME}_dll_tables COMMAND ${CMAKE_COMMAND}
    -DDLL=$<TARGET_FILE:${P_NAME}_dll> -DLIB=$<TARGET_FILE:${P_NAME}>
    -DOBJDUMP=${CMAKE_OBJDUMP} -DNM=${CMAKE_NM} "-DEXPORTS=${exports}"
    "-DIMPORTS=${imports}" -P ${EXAMPLE_CHECK_DLL})
  # The check itself must be able to fail: the same DLL, asked for an export
  # it does not have.
  add_test(NAME ${P_NAME}_dll_tables_check_can_fail COMMAND ${CMAKE_COMMAND}
    -DDLL=$<TARGET_FILE:${P_NAME}_dll> -DLIB=$<TARGET_FILE:${P_NAME}>
    -DOBJDUMP=${CMAKE_OBJDUMP} -DNM=${CMAKE_NM}
    "-DEXPORTS=${exports},NotExportedByAnyProvider" -DIMPORTS=
    -P ${EXAMPLE_CHECK_DLL})
  set_tests_properties(${P_NAME}_dll_tables_check_can_fail PROPERTIES
    WILL_FAIL TRUE)
endfunction()
