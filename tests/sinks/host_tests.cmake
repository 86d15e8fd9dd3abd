# The sinks' platform interfaces on this host (host_file.h, host_system.h,
# archive_names.h) and what stands on them: UniqueFd, spool files, tar archives, run
# reports.
# The same list on Linux and, cross-built and run under wine, on Windows
# (tests/qemu-win/files_tests.cmake).
set(DF_SINKS_HOST_TEST_DIR ${CMAKE_CURRENT_LIST_DIR})
add_executable(sinks_host_tests
  ${DF_SINKS_HOST_TEST_DIR}/archive_names_test.cc
  ${DF_SINKS_HOST_TEST_DIR}/evidence_test.cc
  ${DF_SINKS_HOST_TEST_DIR}/host_file_test.cc
  ${DF_SINKS_HOST_TEST_DIR}/host_system_test.cc
  ${DF_SINKS_HOST_TEST_DIR}/run_report_test.cc
  ${DF_SINKS_HOST_TEST_DIR}/spool_file_test.cc
  ${DF_SINKS_HOST_TEST_DIR}/tar_sink_host_test.cc
  ${DF_SINKS_HOST_TEST_DIR}/unique_fd_test.cc)
# KillProcessNow's test spawns its child with appliance/process.h.
target_link_libraries(sinks_host_tests PRIVATE df_sinks df_appliance PkgConfig::LIBARCHIVE
                      GTest::gtest_main)
# Windows has no `sleep`: KillProcessNow's test kills the process tests' child instead.
if(WIN32 AND TARGET process_test_child)
  target_compile_definitions(sinks_host_tests PRIVATE
    DF_TEST_SLEEPER="$<TARGET_FILE:process_test_child>")
  add_dependencies(sinks_host_tests process_test_child)
endif()
gtest_discover_tests(sinks_host_tests DISCOVERY_TIMEOUT 60)
