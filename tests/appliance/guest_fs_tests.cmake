# GuestFs (appliance/guest_fs.h) against a scripted fake daemon on a socketpair.
add_executable(guest_fs_tests ${CMAKE_CURRENT_LIST_DIR}/guest_fs_test.cc)
target_link_libraries(guest_fs_tests PRIVATE df_appliance_session GTest::gtest_main)
gtest_discover_tests(guest_fs_tests DISCOVERY_TIMEOUT 60)
