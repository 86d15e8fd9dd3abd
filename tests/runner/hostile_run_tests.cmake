# Whole runs (RunManifest) over appliances without a VM: the daemon serving a scratch
# directory in-process for honest jobs (daemon_sessions.h), a scripted fake guest
# (tests/appliance/fake_guest.h) for hostile ones.
add_executable(hostile_run_tests
  ${CMAKE_CURRENT_LIST_DIR}/hostile_run_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/daemon_sessions.cc
  ${CMAKE_CURRENT_LIST_DIR}/../sinks/tree_test_support.cc)
target_link_libraries(hostile_run_tests PRIVATE df_runner df_cli_display df_daemon_core
                      GTest::gtest_main)
gtest_discover_tests(hostile_run_tests DISCOVERY_TIMEOUT 60)

# Which launch failures a run retries, over a session factory that fails on purpose.
add_executable(launch_retry_tests
  ${CMAKE_CURRENT_LIST_DIR}/launch_retry_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/../sinks/tree_test_support.cc)
target_link_libraries(launch_retry_tests PRIVATE df_runner df_cli_display GTest::gtest_main)
gtest_discover_tests(launch_retry_tests DISCOVERY_TIMEOUT 60)

# The runner's paths over the in-process daemon, in seconds: resume, retries after a killed
# session, split jobs, fail_fast, cancellation and exit codes (run_manifest_test.cc).
add_executable(runner_run_tests
  ${CMAKE_CURRENT_LIST_DIR}/run_manifest_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/daemon_sessions.cc
  ${CMAKE_CURRENT_LIST_DIR}/../sinks/tree_test_support.cc)
target_link_libraries(runner_run_tests PRIVATE df_runner df_cli_display df_daemon_core
                      GTest::gtest_main)
gtest_discover_tests(runner_run_tests DISCOVERY_TIMEOUT 60)
