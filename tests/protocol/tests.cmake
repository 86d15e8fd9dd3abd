# Protocol tests: framing, lane records, the packer and unpacker, walk order, and the host's
# half of source-file reads; no VM. The same list builds on Linux and, cross-built, for
# Windows (tests/qemu-win/files_tests.cmake), where wine runs it.
set(DF_PROTOCOL_TEST_DIR ${CMAKE_CURRENT_LIST_DIR})
add_executable(protocol_tests
  ${DF_PROTOCOL_TEST_DIR}/errno_wire_test.cc
  ${DF_PROTOCOL_TEST_DIR}/frame_test.cc
  ${DF_PROTOCOL_TEST_DIR}/glob_test.cc
  ${DF_PROTOCOL_TEST_DIR}/lane_records_test.cc
  ${DF_PROTOCOL_TEST_DIR}/lane_packer_test.cc
  ${DF_PROTOCOL_TEST_DIR}/lane_unpacker_test.cc
  ${DF_PROTOCOL_TEST_DIR}/printable_text_test.cc
  ${DF_PROTOCOL_TEST_DIR}/selector_test.cc
  ${DF_PROTOCOL_TEST_DIR}/status_test.cc
  ${DF_PROTOCOL_TEST_DIR}/time_ns_test.cc
  ${DF_PROTOCOL_TEST_DIR}/source_file_test.cc
  ${DF_PROTOCOL_TEST_DIR}/walk_order_test.cc)
target_link_libraries(protocol_tests PRIVATE df_protocol GTest::gtest_main)
gtest_discover_tests(protocol_tests DISCOVERY_TIMEOUT 60)
