# df_appliance_builder: the appliance image builder (kernel choice, module index and plan,
# initramfs layout and writer, host storage tools with their libraries, on-disk cache).
# Host only; knows nothing of QEMU. The cache entries it publishes are df_appliance_cache's
# (cache.cmake), which the launcher's template store shares.
add_library(df_appliance_builder STATIC
  ${CMAKE_CURRENT_LIST_DIR}/appliance_builder.cc
  ${CMAKE_CURRENT_LIST_DIR}/elf_dynamic.cc
  ${CMAKE_CURRENT_LIST_DIR}/initramfs_layout.cc
  ${CMAKE_CURRENT_LIST_DIR}/initramfs_writer.cc
  ${CMAKE_CURRENT_LIST_DIR}/kernel_locator.cc
  ${CMAKE_CURRENT_LIST_DIR}/module_index.cc
  ${CMAKE_CURRENT_LIST_DIR}/module_plan.cc
  ${CMAKE_CURRENT_LIST_DIR}/storage_tools.cc)
target_link_libraries(df_appliance_builder
  PUBLIC df_protocol df_appliance_cache
  PRIVATE PkgConfig::LIBARCHIVE OpenSSL::Crypto Threads::Threads)
