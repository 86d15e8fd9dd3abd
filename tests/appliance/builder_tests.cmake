# builder_tests: unit tests of the appliance image builder (fake kernel trees in scratch
# directories) plus one end-to-end build from the host's real kernel, skipped without one.
add_executable(builder_tests
  ${CMAKE_CURRENT_LIST_DIR}/appliance_builder_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/appliance_cache_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/elf_dynamic_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/initramfs_writer_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/kernel_locator_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/module_index_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/module_plan_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/storage_tools_test.cc)
target_link_libraries(builder_tests PRIVATE
  df_appliance_builder PkgConfig::LIBARCHIVE Threads::Threads GTest::gtest_main)
gtest_discover_tests(builder_tests DISCOVERY_TIMEOUT 60)
