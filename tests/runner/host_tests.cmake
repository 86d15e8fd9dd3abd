# The runner's own files on the sinks' platform interfaces: journals and merged shard
# reports. The same list on Linux and, cross-built and run under wine, on Windows
# (tests/qemu-win/files_tests.cmake).
add_executable(runner_host_tests
  ${CMAKE_CURRENT_LIST_DIR}/job_journal_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/report_merge_test.cc)
target_link_libraries(runner_host_tests PRIVATE df_runner GTest::gtest_main)
gtest_discover_tests(runner_host_tests DISCOVERY_TIMEOUT 60)
