# df_appliance_cache: the lowest appliance library, what the builder and the launcher both
# keep on disk: where the cache is (cache_dir.h), exported appliance directories
# (appliance_dir.h) and, on Linux, the cache's entries with their lock (appliance_cache.h)
# and the small file helpers they use (builder_io.h). Links only df_protocol and system
# libraries; the builder and the launcher link it, never each other. The Windows half of
# cache_dir.h is added by qemu-win/appliance.cmake.
add_library(df_appliance_cache STATIC
  ${CMAKE_CURRENT_LIST_DIR}/appliance_dir.cc
  ${CMAKE_CURRENT_LIST_DIR}/cache_dir.cc)
target_link_libraries(df_appliance_cache PUBLIC df_protocol)
if(NOT WIN32)
  target_sources(df_appliance_cache PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/appliance_cache.cc
    ${CMAKE_CURRENT_LIST_DIR}/builder_io.cc
    ${CMAKE_CURRENT_LIST_DIR}/cache_dir_posix.cc)
  target_link_libraries(df_appliance_cache PRIVATE PkgConfig::LIBARCHIVE OpenSSL::Crypto)
endif()
