# df_appliance: the launcher. QEMU command line, accelerator choice, child processes and
# their cleanup, the shared-memory region, the control client and the appliance
# lifecycle. Files named *_posix.cc are the Linux half of a platform interface whose
# Windows half lives in qemu-win/.
add_library(df_appliance STATIC
  ${CMAKE_CURRENT_LIST_DIR}/accelerator.cc
  ${CMAKE_CURRENT_LIST_DIR}/appliance.cc
  ${CMAKE_CURRENT_LIST_DIR}/appliance_launch.cc
  ${CMAKE_CURRENT_LIST_DIR}/appliance_state.cc
  ${CMAKE_CURRENT_LIST_DIR}/appliance_template.cc
  ${CMAKE_CURRENT_LIST_DIR}/child_registry.cc
  ${CMAKE_CURRENT_LIST_DIR}/control_client.cc
  ${CMAKE_CURRENT_LIST_DIR}/control_greeting.cc
  ${CMAKE_CURRENT_LIST_DIR}/control_replies.cc
  ${CMAKE_CURRENT_LIST_DIR}/hypervisor_verdict.cc
  ${CMAKE_CURRENT_LIST_DIR}/launch_report.cc
  ${CMAKE_CURRENT_LIST_DIR}/launch_secret.cc
  ${CMAKE_CURRENT_LIST_DIR}/qemu_command.cc)
if(NOT WIN32)
  target_sources(df_appliance PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/accelerator_posix.cc
    ${CMAKE_CURRENT_LIST_DIR}/child_registry_posix.cc
    ${CMAKE_CURRENT_LIST_DIR}/launch_secret_posix.cc
    ${CMAKE_CURRENT_LIST_DIR}/process_posix.cc
    ${CMAKE_CURRENT_LIST_DIR}/qmp_client_posix.cc
    ${CMAKE_CURRENT_LIST_DIR}/shm_posix.cc
    ${CMAKE_CURRENT_LIST_DIR}/spawn_posix.cc
    ${CMAKE_CURRENT_LIST_DIR}/temp_dir_posix.cc
    ${CMAKE_CURRENT_LIST_DIR}/template_store_posix.cc
    ${CMAKE_CURRENT_LIST_DIR}/unix_listener_posix.cc)
endif()
if(NOT TARGET nlohmann_json::nlohmann_json)
  find_package(nlohmann_json REQUIRED)
endif()
target_link_libraries(df_appliance PUBLIC df_protocol df_host df_appliance_cache Threads::Threads
                      PRIVATE nlohmann_json::nlohmann_json)
if(NOT WIN32)
  target_link_libraries(df_appliance PRIVATE OpenSSL::Crypto)
endif()
include(${CMAKE_CURRENT_LIST_DIR}/sockets.cmake)
