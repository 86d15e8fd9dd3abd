# The appliance pool (appliance_pool.h): N appliances shared by the jobs of a run.
# It opens ImageSessions (df_appliance_session, linked by inject.cmake too) and runs a
# watchdog thread.
target_sources(df_pipeline PRIVATE ${CMAKE_CURRENT_LIST_DIR}/appliance_pool.cc)
target_link_libraries(df_pipeline PUBLIC df_appliance_session Threads::Threads)
