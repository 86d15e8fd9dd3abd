# The host-independent unit tests of what a Windows diskferry.exe runs with files: the
# protocol (lanes, packer, source-file reads through the Windows half), host paths and the
# manifests.
# Each list is the one Linux builds.
include(${CMAKE_CURRENT_LIST_DIR}/../protocol/tests.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/../host/tests.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/../jobs/tests.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/../sinks/digests_tests.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/../sinks/host_tests.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/../runner/host_tests.cmake)
