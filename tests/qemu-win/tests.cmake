# The Windows test programs (cross-built, run under wine by ctest): protocol and lanes,
# manifests, and the Windows halves of the platform interfaces. The tests of those halves
# call Win32 themselves, so their sources live in qemu-win/tests/ (the only folder that
# includes <windows.h> is qemu-win/); the lists that build them are here.
set(DF_WIN_TEST_SOURCES ${CMAKE_SOURCE_DIR}/qemu-win/tests)
add_executable(win_util_tests ${DF_WIN_TEST_SOURCES}/win_util_test.cc)
target_link_libraries(win_util_tests PRIVATE df_protocol GTest::gtest_main)
gtest_discover_tests(win_util_tests DISCOVERY_TIMEOUT 120)
include(${CMAKE_CURRENT_LIST_DIR}/appliance_tests.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/process_tests.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/shm_tests.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/sockets_tests.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/files_tests.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/host_tree_tests.cmake)
# The command's pure pieces: IMAGE:PATH arguments (Windows paths too), ls formatting.
include(${CMAKE_CURRENT_LIST_DIR}/../cli/tests.cmake)
