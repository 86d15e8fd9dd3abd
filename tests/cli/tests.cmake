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
