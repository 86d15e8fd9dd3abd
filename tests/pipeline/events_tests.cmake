# Run events unit tests.
target_sources(pipeline_tests PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/rate_window_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/run_events_json_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/run_events_terminal_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/run_events_text_test.cc)
