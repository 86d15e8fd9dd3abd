# The Windows halves of the host tree writer and reader (qemu-win/host_tree.cmake): writes
# a tree, reads it back, refuses names Windows cannot hold and paths leaving DEST, and
# never follows a reparse point (where the system can make one: wine cannot).
add_executable(host_tree_win_tests ${DF_WIN_TEST_SOURCES}/host_tree_win_test.cc)
target_link_libraries(host_tree_win_tests PRIVATE df_sinks GTest::gtest_main)
gtest_discover_tests(host_tree_win_tests DISCOVERY_TIMEOUT 120)
