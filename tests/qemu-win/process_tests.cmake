# The Windows half of process.h and child_registry.h (qemu-win/process.cmake), tested by
# spawning process_test_child.exe, which the tests find next to themselves.
# wmain (-municode): the child sees its arguments in UTF-16, as the C runtime split them.
add_executable(process_test_child ${DF_WIN_TEST_SOURCES}/test_child_main.cc)
target_link_libraries(process_test_child PRIVATE df_appliance)
target_link_options(process_test_child PRIVATE -municode)

add_executable(process_win_tests ${DF_WIN_TEST_SOURCES}/process_win_test.cc)
target_link_libraries(process_win_tests PRIVATE df_appliance GTest::gtest_main)
target_compile_definitions(process_win_tests PRIVATE
  DF_TEST_CHILD="$<TARGET_FILE_NAME:process_test_child>")
add_dependencies(process_win_tests process_test_child)
gtest_discover_tests(process_win_tests DISCOVERY_TIMEOUT 120)
