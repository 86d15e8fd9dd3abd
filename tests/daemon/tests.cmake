# Daemon unit tests: no VM. Serve runs over a socketpair against scratch directories, and
# the diskferry-daemon binary runs in test mode (--sysroot DIR --fd N).
set(DF_DAEMON_TEST_DIR ${CMAKE_CURRENT_LIST_DIR})
add_executable(daemon_tests
  ${DF_DAEMON_TEST_DIR}/block_devices_test.cc
  ${DF_DAEMON_TEST_DIR}/storage_disk_test.cc
  ${DF_DAEMON_TEST_DIR}/daemon_binary_test.cc
  ${DF_DAEMON_TEST_DIR}/deleted_files_test.cc
  ${DF_DAEMON_TEST_DIR}/fs_inspect_test.cc
  ${DF_DAEMON_TEST_DIR}/fs_modify_test.cc
  ${DF_DAEMON_TEST_DIR}/handlers_os_test.cc
  ${DF_DAEMON_TEST_DIR}/hello_restore_test.cc
  ${DF_DAEMON_TEST_DIR}/hello_secret_test.cc
  ${DF_DAEMON_TEST_DIR}/modules_test.cc
  ${DF_DAEMON_TEST_DIR}/os_devices_test.cc
  ${DF_DAEMON_TEST_DIR}/os_inspect_test.cc
  ${DF_DAEMON_TEST_DIR}/os_mount_plan_test.cc
  ${DF_DAEMON_TEST_DIR}/os_tree_test.cc
  ${DF_DAEMON_TEST_DIR}/read_dir_test.cc
  ${DF_DAEMON_TEST_DIR}/serve_fixture.cc
  ${DF_DAEMON_TEST_DIR}/serve_test.cc
  ${DF_DAEMON_TEST_DIR}/shm_test.cc
  ${DF_DAEMON_TEST_DIR}/storage_stack_test.cc
  ${DF_DAEMON_TEST_DIR}/survey_test.cc
  ${DF_DAEMON_TEST_DIR}/sysroot_fs_test.cc
  ${DF_DAEMON_TEST_DIR}/tool_runner_test.cc
  ${DF_DAEMON_TEST_DIR}/transfer_fixture.cc
  ${DF_DAEMON_TEST_DIR}/transfer_range_test.cc
  ${DF_DAEMON_TEST_DIR}/transfer_select_test.cc
  ${DF_DAEMON_TEST_DIR}/transfer_test.cc
  ${DF_DAEMON_TEST_DIR}/tree_reader_range_test.cc
  ${DF_DAEMON_TEST_DIR}/tree_reader_test.cc
  ${DF_DAEMON_TEST_DIR}/tree_samples.cc
  ${DF_DAEMON_TEST_DIR}/tree_writer_test.cc)
target_link_libraries(daemon_tests PRIVATE
  df_daemon_core df_protocol GTest::gmock GTest::gtest_main)
target_compile_definitions(daemon_tests PRIVATE
  DF_DAEMON_BINARY="$<TARGET_FILE:diskferry-daemon>")
add_dependencies(daemon_tests diskferry-daemon)
gtest_discover_tests(daemon_tests DISCOVERY_TIMEOUT 60)
