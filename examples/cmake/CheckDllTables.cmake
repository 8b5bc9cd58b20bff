# CheckDllTables.cmake (cmake -P): fails unless the DLL exports every name in
# EXPORTS and imports from WS2_32.dll every name in IMPORTS plus every
# WPU*/WSC* function the provider's static library LIB leaves undefined.
# Inputs: DLL, LIB, OBJDUMP, NM, EXPORTS and IMPORTS (comma-separated).
cmake_minimum_required(VERSION 3.25) # IN_LIST
foreach(v DLL LIB OBJDUMP NM)
  if(NOT ${v})
    message(FATAL_ERROR "CheckDllTables: ${v} not set")
  endif()
endforeach()
execute_process(COMMAND ${OBJDUMP} -p ${DLL} OUTPUT_VARIABLE dump
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "objdump -p ${DLL} failed")
endif()
string(REPLACE "\n" ";" lines "${dump}")

# Exports: the lines after "[Ordinal/Name Pointer] Table" read "[ n] Name".
set(exported "")
set(in_exports OFF)
# Imports: "DLL Name: X" starts a block; its lines end with the member name.
set(dll "")
set(ws2_imports "")
foreach(line IN LISTS lines)
  if(line MATCHES "\\[Ordinal/Name Pointer\\] Table")
    set(in_exports ON)
  elseif(in_exports AND line MATCHES "^[ \t]*\\[[ 0-9]+\\][ \t]+([A-Za-z_0-9@]+)")
    list(APPEND exported ${CMAKE_MATCH_1})
  elseif(in_exports AND NOT line MATCHES "^[ \t]*$")
    set(in_exports OFF)
  endif()
  if(line MATCHES "DLL Name: (.+)$")
    string(TOUPPER "${CMAKE_MATCH_1}" dll)
  elseif(dll STREQUAL "WS2_32.DLL" AND line MATCHES "^[ \t]+[0-9a-f]+[ \t]+[0-9]+[ \t]+([A-Za-z_0-9]+)[ \t]*$")
    list(APPEND ws2_imports ${CMAKE_MATCH_1})
  endif()
endforeach()

string(REPLACE "," ";" want_exports "${EXPORTS}")
string(REPLACE "," ";" want_imports "${IMPORTS}")
# The WPU/WSC functions the provider calls directly (not through the upcall
# table): undefined in its object code, with or without the __imp_ prefix.
execute_process(COMMAND ${NM} -u ${LIB} OUTPUT_VARIABLE undef RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm -u ${LIB} failed")
endif()
string(REGEX MATCHALL "(__imp_)?(WPU|WSC)[A-Za-z_0-9]+" calls "${undef}")
foreach(c IN LISTS calls)
  string(REGEX REPLACE "^__imp_" "" c "${c}")
  list(APPEND want_imports ${c})
endforeach()
list(REMOVE_DUPLICATES want_imports)

set(missing "")
foreach(e IN LISTS want_exports)
  if(NOT e IN_LIST exported)
    list(APPEND missing "export ${e}")
  endif()
endforeach()
foreach(i IN LISTS want_imports)
  if(NOT i IN_LIST ws2_imports)
    list(APPEND missing "import ${i} from WS2_32.dll")
  endif()
endforeach()
message(STATUS "${DLL}: exports [${exported}]; imports from WS2_32.dll [${ws2_imports}]")
if(missing)
  message(FATAL_ERROR "${DLL}: missing ${missing}")
endif()
message(STATUS "checked: exports [${want_exports}], WS2_32.dll imports [${want_imports}]")
