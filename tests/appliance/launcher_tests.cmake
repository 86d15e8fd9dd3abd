# Unit tests of the launcher (no VM). Real boots are integration tests (tests/integration).
add_executable(launcher_tests
  ${CMAKE_CURRENT_LIST_DIR}/qemu_command_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/appliance_state_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/process_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/shm_region_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/control_client_test.cc)
target_link_libraries(launcher_tests PRIVATE df_appliance GTest::gtest_main)
gtest_discover_tests(launcher_tests DISCOVERY_TIMEOUT 60)
