# Inject jobs' steps (inject_steps.h): the one part of pipeline/ that drives an appliance,
# so df_pipeline links the appliance session and the job specs it runs.
target_sources(df_pipeline PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/guest_delete.cc
  ${CMAKE_CURRENT_LIST_DIR}/guest_walk.cc
  ${CMAKE_CURRENT_LIST_DIR}/inject_steps.cc
  ${CMAKE_CURRENT_LIST_DIR}/upload_source.cc)
target_link_libraries(df_pipeline PUBLIC df_appliance_session df_jobs)
