# Pipeline unit tests: host-side tree writing and walking in scratch directories, no VM.
set(DF_PIPELINE_TEST_DIR ${CMAKE_CURRENT_LIST_DIR})
add_executable(pipeline_tests
  ${DF_PIPELINE_TEST_DIR}/beneath_dir_test.cc
  ${DF_PIPELINE_TEST_DIR}/host_tree_reader_test.cc
  ${DF_PIPELINE_TEST_DIR}/host_tree_writer_hostile_test.cc
  ${DF_PIPELINE_TEST_DIR}/host_tree_writer_test.cc
  ${DF_PIPELINE_TEST_DIR}/round_trip_test.cc
  ${DF_PIPELINE_TEST_DIR}/tree_test_support.cc
  ${DF_PIPELINE_TEST_DIR}/unique_fd_test.cc)
target_link_libraries(pipeline_tests PRIVATE df_pipeline GTest::gtest_main)
gtest_discover_tests(pipeline_tests DISCOVERY_TIMEOUT 60)
