add_executable(cli_tests
  cli/cat_sink_test.cc
  cli/image_spec_test.cc
  cli/ls_format_test.cc
  cli/disk_options_test.cc
  cli/session_notes_test.cc
  cli/exit_codes_test.cc
  appliance/filesystem_choice_test.cc
  appliance/key_file_test.cc
  appliance/luks_keys_test.cc)
target_link_libraries(cli_tests PRIVATE df_cli_core df_appliance_session GTest::gtest_main)
gtest_discover_tests(cli_tests DISCOVERY_TIMEOUT 60)

# The run displays (cli/run_events_display.h): text, terminal and JSON renderings. Linux
# only: their scratch files come from tests/sinks/tree_test_support.h (POSIX).
if(NOT WIN32)
  add_executable(cli_display_tests
    cli/rate_window_test.cc
    cli/run_events_json_test.cc
    cli/run_events_terminal_test.cc
    cli/run_events_text_test.cc
    sinks/tree_test_support.cc)
  target_link_libraries(cli_display_tests PRIVATE df_cli_display GTest::gtest_main)
  gtest_discover_tests(cli_display_tests DISCOVERY_TIMEOUT 60)
endif()
