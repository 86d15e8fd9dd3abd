# Unit tests of the launcher (no VM). Real boots are integration tests (tests/integration).
add_executable(launcher_tests
  ${CMAKE_CURRENT_LIST_DIR}/qemu_command_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/appliance_state_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/process_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/shm_region_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/control_client_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/control_replies_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/launch_secret_test.cc)
target_link_libraries(launcher_tests PRIVATE df_appliance GTest::gtest_main)
# A stand-in for QEMU on the tcp control transport (launch_secret_test.cc).
add_executable(fake_qemu
  ${CMAKE_CURRENT_LIST_DIR}/fake_qemu_main.cc
  ${CMAKE_CURRENT_LIST_DIR}/tcp_listener_test_client_posix.cc)
target_link_libraries(fake_qemu PRIVATE df_appliance)
target_compile_definitions(launcher_tests PRIVATE DF_FAKE_QEMU="$<TARGET_FILE:fake_qemu>")
add_dependencies(launcher_tests fake_qemu)
gtest_discover_tests(launcher_tests DISCOVERY_TIMEOUT 60)
include(${CMAKE_CURRENT_LIST_DIR}/sockets_tests.cmake)
# Host-independent pieces of the launcher and session (appliance directories, the cache
# directory, the accelerator per host); the same sources run on Windows
# (tests/qemu-win/appliance_tests.cmake).
add_executable(appliance_host_tests
  ${CMAKE_CURRENT_LIST_DIR}/accelerator_host_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/appliance_dir_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/cache_dir_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/hypervisor_verdict_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/kernel_choice_test.cc)
target_link_libraries(appliance_host_tests PRIVATE df_appliance_session GTest::gtest_main)
gtest_discover_tests(appliance_host_tests DISCOVERY_TIMEOUT 60)
# Checking images before QEMU opens them (image_inspect.h) and making overlays: fixtures
# made with qemu-img, checks run by the code under test.
add_executable(image_inspect_tests
  ${CMAKE_CURRENT_LIST_DIR}/image_inspect_test.cc)
target_link_libraries(image_inspect_tests PRIVATE df_appliance_session GTest::gtest_main)
if(TARGET diskferry-ewf)
  # E01 images (ewf.h): nbdkit with the plugin and diskferry-ewf, found next to the test.
  target_sources(image_inspect_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/ewf_test.cc)
  add_dependencies(image_inspect_tests diskferry-ewf nbdkit-diskferry-ewf-plugin)
endif()
gtest_discover_tests(image_inspect_tests DISCOVERY_TIMEOUT 60)
include(${CMAKE_CURRENT_LIST_DIR}/guest_fs_tests.cmake)
# Transfers against a scripted guest on a socketpair and a real shared-memory file.
add_executable(transfer_tests
  ${CMAKE_CURRENT_LIST_DIR}/transfer_progress_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/transfer_test.cc)
target_link_libraries(transfer_tests PRIVATE df_appliance_session GTest::gtest_main)
gtest_discover_tests(transfer_tests DISCOVERY_TIMEOUT 60)
