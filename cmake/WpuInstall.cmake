# WpuInstall.cmake: what `cmake --install` puts in the prefix, for provider
# authors who consume libwpu as a package (README: "Using libwpu from your
# project"):
#   include/wpu, include/fws2        the public headers
#   include/wpu/compat_config.h      (Linux) the generated Wine probe results
#   include/wpu-compat               (Linux) libwpu/include/compat, searched
#                                    before Wine's headers (#include_next)
#   include/wpu-deps, lib/libuv_a.a, lib/libcmocka-static.a
#                                    (Windows) the mingw-w64 dependencies
#   lib/lib*.a                       wpu, wpu_platform and every static
#                                    library of fake_ws2 (fake_ws2, the
#                                    front, the base providers)
#   lib/cmake/libwpu                 find_package(libwpu CONFIG): the targets
#                                    wpu::wpu, wpu::fake_ws2, ... and the
#                                    helpers wpu_provider_target and
#                                    wpu_add_provider_test
#   lib/pkgconfig/libwpu.pc
# Included by the top-level CMakeLists.txt once every target exists.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(WPU_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/libwpu)

# Headers.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/libwpu/include/wpu
                  ${PROJECT_SOURCE_DIR}/fake_ws2/include/fws2
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
if(NOT WIN32)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/libwpu/include/compat/
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/wpu-compat
    FILES_MATCHING PATTERN "*.h")
  install(FILES ${WPU_GENERATED_INCLUDE_DIR}/wpu/compat_config.h
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/wpu)
endif()

# Libraries: libwpu's two, and every static library fake_ws2 defines (the
# fixture, the front, memnet, and whichever other base providers and their
# helpers exist in this configuration).
set(wpu_install_targets wpu wpu_platform)
get_property(wpu_fws2_targets DIRECTORY ${PROJECT_SOURCE_DIR}/fake_ws2
  PROPERTY BUILDSYSTEM_TARGETS)
foreach(t IN LISTS wpu_fws2_targets)
  get_target_property(type ${t} TYPE)
  if(type STREQUAL "STATIC_LIBRARY")
    list(APPEND wpu_install_targets ${t})
  endif()
endforeach()
foreach(t fake_ws2 fws2_front fws2_memnet)
  if(NOT TARGET ${t})
    message(FATAL_ERROR "WpuInstall: ${t} is missing")
  endif()
endforeach()
# And the project's libraries those link (wpu_winheaders, helper libraries a
# provider may gain), so that the export set is complete.
set(wpu_todo ${wpu_install_targets})
while(wpu_todo)
  list(POP_FRONT wpu_todo t)
  get_target_property(deps ${t} LINK_LIBRARIES)
  get_target_property(ideps ${t} INTERFACE_LINK_LIBRARIES)
  foreach(d IN LISTS deps ideps)
    string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" d "${d}")
    if(NOT TARGET "${d}")
      continue()
    endif()
    get_target_property(aliased ${d} ALIASED_TARGET)
    if(aliased)
      set(d ${aliased})
    endif()
    get_target_property(imported ${d} IMPORTED)
    get_target_property(type ${d} TYPE)
    if(NOT imported AND type MATCHES "^(STATIC|INTERFACE)_LIBRARY$"
       AND NOT d IN_LIST wpu_install_targets)
      list(APPEND wpu_install_targets ${d})
      list(APPEND wpu_todo ${d})
    endif()
  endforeach()
endwhile()

# A sanitized build's libraries need the sanitizer's runtime in whatever
# links them.
if(WPU_SANITIZE STREQUAL "address")
  target_link_options(wpu INTERFACE
    $<INSTALL_INTERFACE:-fsanitize=address,undefined>)
  set(WPU_PC_SANITIZE " -fsanitize=address,undefined")
elseif(WPU_SANITIZE STREQUAL "thread")
  target_link_options(wpu INTERFACE $<INSTALL_INTERFACE:-fsanitize=thread>)
  set(WPU_PC_SANITIZE " -fsanitize=thread")
else()
  set(WPU_PC_SANITIZE "")
endif()

install(TARGETS ${wpu_install_targets}
  EXPORT libwpuTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT libwpuTargets
  NAMESPACE wpu::
  FILE libwpuTargets.cmake
  DESTINATION ${WPU_INSTALL_CMAKEDIR})

if(WIN32)
  # libuv (winsock-routed) and CMocka as built for mingw-w64 (WpuDeps.cmake).
  install(FILES ${WPU_MINGW_DEPS_PREFIX}/lib/libuv_a.a
                ${WPU_MINGW_DEPS_PREFIX}/lib/libcmocka-static.a
    DESTINATION ${CMAKE_INSTALL_LIBDIR})
  file(GLOB wpu_cmocka_headers ${WPU_MINGW_DEPS_PREFIX}/include/cmocka*.h)
  install(FILES ${wpu_cmocka_headers}
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/wpu-deps)
  set(WPU_PACKAGE_WINDOWS ON)
else()
  set(WPU_PACKAGE_WINDOWS OFF)
endif()
set(WPU_PACKAGE_SYSTEM ${CMAKE_SYSTEM_NAME})
if(WPU_SANITIZE)
  string(APPEND WPU_PACKAGE_SYSTEM ", WPU_SANITIZE=${WPU_SANITIZE}")
endif()
set(WPU_PACKAGE_BUILD_TYPE "${CMAKE_BUILD_TYPE}")

# The CMake package.
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/libwpuConfig.cmake.in
  ${PROJECT_BINARY_DIR}/package/libwpuConfig.cmake
  INSTALL_DESTINATION ${WPU_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR)
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/package/libwpuConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/package/libwpuConfig.cmake
  ${PROJECT_BINARY_DIR}/package/libwpuConfigVersion.cmake
  ${CMAKE_CURRENT_LIST_DIR}/WpuDepTargets.cmake
  ${CMAKE_CURRENT_LIST_DIR}/WpuProvider.cmake
  ${CMAKE_CURRENT_LIST_DIR}/WpuAddTest.cmake
  DESTINATION ${WPU_INSTALL_CMAKEDIR})

# libwpu.pc: relocatable (${pcfiledir}); the same flags as wpu::fake_ws2.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(WPU_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(WPU_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH wpu_pc_up /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
  string(REGEX REPLACE "/$" "" wpu_pc_up "${wpu_pc_up}")
  set(WPU_PC_PREFIX "\${pcfiledir}/${wpu_pc_up}")
  set(WPU_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(WPU_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(WPU_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
# In dependency order (static archives); scripts/check-package.sh links a
# test with these flags.
set(WPU_PC_FWS2 "-lfake_ws2 -lfws2_mock -lfws2_conformance -Wl,--whole-archive -lfws2_front -Wl,--no-whole-archive -lfws2_memnet")
# The front links uvnet (FWS2_BASE=uvnet) where it exists.
if(TARGET fws2_uvnet)
  string(APPEND WPU_PC_FWS2 " -lfws2_uvnet -lfws2_uvnet_loop")
endif()
if(TARGET fws2_wsp_common)
  string(APPEND WPU_PC_FWS2 " -lfws2_wsp_common")
endif()
string(APPEND WPU_PC_FWS2 " -lfws2_echo_peer -lwpu -lwpu_platform")
if(WIN32)
  set(WPU_PC_CFLAGS "-I\${includedir} -I\${includedir}/wpu-deps -DWIN32_LEAN_AND_MEAN")
  set(WPU_PC_LIBS "-L\${libdir} ${WPU_PC_FWS2} -luv_a -lcmocka-static -lws2_32 -lpsapi -luser32 -ladvapi32 -liphlpapi -luserenv -ldbghelp -lole32 -lshell32")
  set(WPU_PC_PROVIDER_CFLAGS "")
else()
  set(WPU_PC_CFLAGS "-I\${includedir} -isystem \${includedir}/wpu-compat -isystem ${WPU_WINE_INCLUDE_DIR}")
  foreach(d IN LISTS WPU_WINE_DEFINES)
    string(APPEND WPU_PC_CFLAGS " -D${d}")
  endforeach()
  string(APPEND WPU_PC_CFLAGS " -include wpu/prelude.h")
  list(TRANSFORM CMAKE_DL_LIBS PREPEND "-l" OUTPUT_VARIABLE wpu_pc_dl)
  string(JOIN " " wpu_pc_dl ${wpu_pc_dl})
  set(WPU_PC_LIBS "-L\${libdir} ${WPU_PC_FWS2} -Wl,--exclude-libs,ALL -luv -lcmocka -pthread ${wpu_pc_dl}")
  set(WPU_PC_PROVIDER_CFLAGS "-fshort-wchar -DWINE_UNICODE_NATIVE")
endif()
string(APPEND WPU_PC_LIBS "${WPU_PC_SANITIZE}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/libwpu.pc.in
  ${PROJECT_BINARY_DIR}/package/libwpu.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/package/libwpu.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
