# Appliance pool unit tests: fake sessions, no VM.
target_sources(pipeline_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/appliance_pool_test.cc)
