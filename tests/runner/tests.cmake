# Runner unit tests: the appliance pool over fake sessions, splitting, inject steps, session
# configs and bounded memory through the journal; whole runs (RunManifest) over the
# in-process daemon (hostile_run_tests.cmake); no VM.
add_executable(runner_tests
  ${CMAKE_CURRENT_LIST_DIR}/appliance_pool_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/bounded_memory_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/guest_delete_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/partition_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/session_config_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/upload_source_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/../sinks/tree_test_support.cc)
target_link_libraries(runner_tests PRIVATE df_runner GTest::gtest_main)
gtest_discover_tests(runner_tests DISCOVERY_TIMEOUT 60)
include(${CMAKE_CURRENT_LIST_DIR}/host_tests.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/hostile_run_tests.cmake)
