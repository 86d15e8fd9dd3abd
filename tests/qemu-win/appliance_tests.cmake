# The launcher's host-independent tests, on Windows: appliance directories (what a
# Windows host boots), the cache directory and the accelerator choice (WHPX, else TCG).
add_executable(appliance_host_tests
  ${CMAKE_CURRENT_LIST_DIR}/../appliance/accelerator_host_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/../appliance/appliance_dir_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/../appliance/cache_dir_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/../appliance/hypervisor_verdict_test.cc)
target_link_libraries(appliance_host_tests PRIVATE df_appliance_session GTest::gtest_main)
gtest_discover_tests(appliance_host_tests DISCOVERY_TIMEOUT 120)
