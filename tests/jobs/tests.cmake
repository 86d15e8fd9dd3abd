# Manifest tests: parsing, validation, variables, globs and plans, no VM. Manifest cases are
# files under cases/ (YAML in, expected plan or expected diagnostics out); the examples/
# manifests are validated too.
set(DF_JOBS_TEST_DIR ${CMAKE_CURRENT_LIST_DIR})
get_filename_component(DF_JOBS_REPO_DIR ${DF_JOBS_TEST_DIR}/../.. ABSOLUTE)
add_executable(jobs_tests
  ${DF_JOBS_TEST_DIR}/case_files.cc
  ${DF_JOBS_TEST_DIR}/did_you_mean_test.cc
  ${DF_JOBS_TEST_DIR}/examples_test.cc
  ${DF_JOBS_TEST_DIR}/host_files_test.cc
  ${DF_JOBS_TEST_DIR}/manifest_cases_test.cc
  ${DF_JOBS_TEST_DIR}/parser_test.cc
  ${DF_JOBS_TEST_DIR}/plan_test.cc
  ${DF_JOBS_TEST_DIR}/shards_test.cc
  ${DF_JOBS_TEST_DIR}/validator_test.cc
  ${DF_JOBS_TEST_DIR}/vars_test.cc)
target_link_libraries(jobs_tests PRIVATE df_jobs GTest::gtest_main)
target_compile_definitions(jobs_tests PRIVATE
  DF_JOBS_CASES_DIR="${DF_JOBS_TEST_DIR}/cases"
  DF_EXAMPLES_DIR="${DF_JOBS_REPO_DIR}/examples")
gtest_discover_tests(jobs_tests DISCOVERY_TIMEOUT 60)
