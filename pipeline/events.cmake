# Run events (run_events.h): the progress display, --json events and quiet output.
target_sources(df_pipeline PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/rate_window.cc
  ${CMAKE_CURRENT_LIST_DIR}/run_events.cc
  ${CMAKE_CURRENT_LIST_DIR}/run_events_json.cc
  ${CMAKE_CURRENT_LIST_DIR}/run_events_terminal.cc
  ${CMAKE_CURRENT_LIST_DIR}/run_events_text.cc)
