# Sinks unit tests: host-side tree writing and walking in scratch directories, tar output,
# selection, hashing and forensic listings; no VM.
set(DF_SINKS_TEST_DIR ${CMAKE_CURRENT_LIST_DIR})
add_executable(sinks_tests
  ${DF_SINKS_TEST_DIR}/beneath_dir_test.cc
  ${DF_SINKS_TEST_DIR}/forensic_outputs_test.cc
  ${DF_SINKS_TEST_DIR}/hashing_sink_test.cc
  ${DF_SINKS_TEST_DIR}/held_memory_hostile_test.cc
  ${DF_SINKS_TEST_DIR}/ordering_sink_test.cc
  ${DF_SINKS_TEST_DIR}/host_costs_test.cc
  ${DF_SINKS_TEST_DIR}/host_tree_reader_test.cc
  ${DF_SINKS_TEST_DIR}/host_tree_writer_hostile_test.cc
  ${DF_SINKS_TEST_DIR}/host_tree_writer_test.cc
  ${DF_SINKS_TEST_DIR}/job_status_test.cc
  ${DF_SINKS_TEST_DIR}/round_trip_test.cc
  ${DF_SINKS_TEST_DIR}/selecting_sink_test.cc
  ${DF_SINKS_TEST_DIR}/tar_round_trip_test.cc
  ${DF_SINKS_TEST_DIR}/tar_sink_test.cc
  ${DF_SINKS_TEST_DIR}/tar_test_support.cc
  ${DF_SINKS_TEST_DIR}/tree_test_support.cc)
target_link_libraries(sinks_tests PRIVATE df_sinks PkgConfig::LIBARCHIVE OpenSSL::Crypto
                      GTest::gtest_main)
# The DFXML schema the forensic outputs' tests validate against (xmllint, offline).
target_compile_definitions(sinks_tests PRIVATE
  DF_DFXML_XSD="${CMAKE_SOURCE_DIR}/tests/data/dfxml/dfxml.xsd")
gtest_discover_tests(sinks_tests DISCOVERY_TIMEOUT 60)
include(${DF_SINKS_TEST_DIR}/digests_tests.cmake)
include(${DF_SINKS_TEST_DIR}/host_tests.cmake)
