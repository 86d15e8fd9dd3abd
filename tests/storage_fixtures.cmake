# Storage-stack fixture images (LVM, LUKS, md RAID, dirty journals, whole-OS disks, NTFS,
# f2fs), made by tests/fixtures/storage/make.sh with tools other than diskferry; see
# tests/fixtures/storage/README.md. A CTest fixture: a test that reads them declares
#   FIXTURES_REQUIRED storage_fixtures
#   ENVIRONMENT "DF_STORAGE_FIXTURES=${DF_STORAGE_FIXTURES_DIR}"
# make.sh is idempotent (its stamp is its own sha256): after the first build it returns
# at once. It keeps both cores busy, hence RUN_SERIAL.
set(DF_STORAGE_FIXTURES_DIR ${CMAKE_BINARY_DIR}/fixtures/storage)
add_test(NAME storage_fixtures
  COMMAND ${CMAKE_SOURCE_DIR}/tests/fixtures/storage/make.sh ${DF_STORAGE_FIXTURES_DIR})
set_tests_properties(storage_fixtures PROPERTIES
  FIXTURES_SETUP storage_fixtures
  TIMEOUT 1800
  RUN_SERIAL TRUE
  LABELS "integration;fixtures")

# The tests that read them: real appliances through the built `diskferry`, one binary of
# their own so that only they wait for the fixtures.
add_executable(storage_integration_tests
  fixtures/storage/storage_fixture.cc
  integration/fs_images.cc
  integration/tree_compare.cc
  integration/storage_stack_test.cc
  integration/storage_luks_test.cc
  integration/storage_replay_test.cc
  integration/storage_os_test.cc
  integration/storage_kernel_test.cc
  integration/storage_manifest_test.cc
  integration/storage_example_test.cc)
target_link_libraries(storage_integration_tests PRIVATE df_appliance_session df_runner df_cli_display
  GTest::gtest_main)
target_compile_definitions(storage_integration_tests PRIVATE
  DF_EXAMPLES_DIR="${CMAKE_SOURCE_DIR}/examples")
add_dependencies(storage_integration_tests diskferry diskferry-daemon)
gtest_discover_tests(storage_integration_tests
  DISCOVERY_TIMEOUT 60
  PROPERTIES TIMEOUT 300 LABELS integration FIXTURES_REQUIRED storage_fixtures
  ENVIRONMENT "XDG_CACHE_HOME=${CMAKE_BINARY_DIR}/test-cache"
  # A second variable: gtest_discover_tests drops the rest of a ";" list.
  ENVIRONMENT_MODIFICATION "DF_STORAGE_FIXTURES=set:${DF_STORAGE_FIXTURES_DIR}")
