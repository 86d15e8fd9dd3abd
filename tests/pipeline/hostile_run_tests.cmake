# Whole runs (RunManifest) over appliances without a VM: the daemon serving a scratch
# directory in-process for honest jobs, a scripted fake guest (tests/appliance/fake_guest.h)
# for hostile ones.
add_executable(hostile_run_tests
  ${CMAKE_CURRENT_LIST_DIR}/hostile_run_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/tree_test_support.cc)
target_link_libraries(hostile_run_tests PRIVATE df_pipeline df_jobs df_daemon_core
                      GTest::gtest_main)
gtest_discover_tests(hostile_run_tests DISCOVERY_TIMEOUT 60)
