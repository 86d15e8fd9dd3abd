# The Windows test programs (cross-built, run under wine by ctest): protocol and lanes,
# manifests, and the Windows halves of the platform interfaces.
include(${CMAKE_CURRENT_LIST_DIR}/appliance_tests.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/process_tests.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/shm_tests.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/sockets_tests.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/files_tests.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/host_tree_tests.cmake)
