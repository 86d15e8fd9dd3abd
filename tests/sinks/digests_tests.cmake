# Hashing (sinks/digests.h) on its own: the same test on Linux (OpenSSL) and, cross-built
# and run under wine, on Windows (CNG).
add_executable(digests_tests ${CMAKE_CURRENT_LIST_DIR}/digests_test.cc)
target_link_libraries(digests_tests PRIVATE df_digests GTest::gtest_main)
gtest_discover_tests(digests_tests DISCOVERY_TIMEOUT 60)
