# Host base tests (host/): UTF-8 host paths to std::filesystem and back, resolving paths
# against a base. The same list builds on Linux and, cross-built, for Windows
# (tests/qemu-win/files_tests.cmake), where wine runs it.
add_executable(host_tests ${CMAKE_CURRENT_LIST_DIR}/host_path_test.cc)
target_link_libraries(host_tests PRIVATE df_host GTest::gtest_main)
gtest_discover_tests(host_tests DISCOVERY_TIMEOUT 60)
