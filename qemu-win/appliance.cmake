# The appliance libraries' Windows halves: the cache directory (LOCALAPPDATA) for
# df_appliance_cache; the WHPX probe, the launch secret (BCryptGenRandom) and the template
# store's refusal for the launcher; and, for the session, the builder's entry points on a
# host that boots exported appliances only, E01 servers and overlays.
target_sources(df_appliance_cache PRIVATE ${CMAKE_CURRENT_LIST_DIR}/cache_dir_win.cc)
target_sources(df_appliance PRIVATE ${CMAKE_CURRENT_LIST_DIR}/accelerator_win.cc
                                    ${CMAKE_CURRENT_LIST_DIR}/launch_secret_win.cc
                                    ${CMAKE_CURRENT_LIST_DIR}/template_store_win.cc)
target_link_libraries(df_appliance PRIVATE bcrypt)
target_sources(df_appliance_session PRIVATE ${CMAKE_CURRENT_LIST_DIR}/appliance_build_win.cc
                                            ${CMAKE_CURRENT_LIST_DIR}/ewf_win.cc
                                            ${CMAKE_CURRENT_LIST_DIR}/overlay_win.cc)
