# The Windows halves of shm_region.h and temp_dir.h (qemu-win/shm.cmake). The tests open
# the section a second time themselves (OpenFileMappingW), so they include <windows.h>.
add_executable(shm_win_tests
  ${DF_WIN_TEST_SOURCES}/shm_win_test.cc
  ${DF_WIN_TEST_SOURCES}/temp_dir_win_test.cc)
target_link_libraries(shm_win_tests PRIVATE df_appliance GTest::gtest_main)
gtest_discover_tests(shm_win_tests DISCOVERY_TIMEOUT 120)
