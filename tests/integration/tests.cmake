# Integration tests: real QEMU appliances on real filesystem images. They run the built
# `diskferry` and `diskferry-daemon`, so those are dependencies.
add_executable(integration_tests
  integration/fs_images.cc
  integration/ls_test.cc
  integration/launch_test.cc
  integration/kernel_choice_test.cc
  integration/tree_compare.cc
  integration/copy_test.cc
  integration/ewf_test.cc
  integration/inject_steps_test.cc
  integration/run_test.cc
  integration/select_test.cc
  integration/hostile_image_test.cc
  integration/storage_tools_test.cc
  integration/storage_daemon_test.cc
  integration/parallel_run_test.cc
  integration/windows_path_test.cc
  integration/manifest_storage_disks_test.cc
  integration/template_test.cc
  integration/backup_example_test.cc
  integration/manifest_keys_test.cc
  integration/inject_examples_test.cc
  integration/backup_tools_test.cc
  integration/deleted_files_test.cc
  integration/forensic_outputs_test.cc
  integration/forensic_example_test.cc
  integration/evidence_test.cc
  integration/shard_run_test.cc
  integration/slurm_test.cc)
target_link_libraries(integration_tests PRIVATE df_appliance_session df_runner df_cli_display GTest::gtest_main)
target_compile_definitions(integration_tests PRIVATE DF_EXAMPLES_DIR="${CMAKE_SOURCE_DIR}/examples"
                           DF_DFXML_XSD="${CMAKE_SOURCE_DIR}/tests/data/dfxml/dfxml.xsd"
                           DF_SLURM_CLUSTER="${CMAKE_SOURCE_DIR}/tests/scaleout/slurm_cluster.sh")
add_dependencies(integration_tests diskferry diskferry-daemon)
# Each test boots its own appliance(s); under TCG on 2 cores a boot takes a few seconds.
gtest_discover_tests(integration_tests
  TEST_FILTER "-ParallelRunTest.*:SlurmTest.*"
  DISCOVERY_TIMEOUT 60
  PROPERTIES TIMEOUT 300 LABELS integration
  ENVIRONMENT "XDG_CACHE_HOME=${CMAKE_BINARY_DIR}/test-cache")
# A representative set again with every appliance cold-booted (DISKFERRY_TEMPLATE=off):
# templated and cold launches must give the same results; the rest run templated.
gtest_discover_tests(integration_tests
  TEST_FILTER "Filesystems/LsTest.*:Filesystems/CopyOutTest.*"
  TEST_PREFIX "cold/"
  DISCOVERY_TIMEOUT 60
  PROPERTIES TIMEOUT 300 LABELS integration
  ENVIRONMENT "XDG_CACHE_HOME=${CMAKE_BINARY_DIR}/test-cache;DISKFERRY_TEMPLATE=off")
# The pool tests boot two appliances each and act on timing (a kill or a Ctrl-C while a
# job runs): they run alone, so that two of them never share the 2 cores.
gtest_discover_tests(integration_tests
  TEST_FILTER "ParallelRunTest.*"
  DISCOVERY_TIMEOUT 60
  PROPERTIES TIMEOUT 600 LABELS integration RUN_SERIAL TRUE
  ENVIRONMENT "XDG_CACHE_HOME=${CMAKE_BINARY_DIR}/test-cache")
# The scale-out test starts a single-node Slurm cluster (tests/scaleout/slurm_cluster.sh)
# and runs a manifest on it as a job array, two tasks at once, after a single-host run of
# it: it runs alone, and skips where slurmctld, slurmd or munged cannot start. Its label is
# scaleout alone: gtest_discover_tests (CMake 3.25) splits a list of labels into properties.
gtest_discover_tests(integration_tests
  TEST_FILTER "SlurmTest.*"
  DISCOVERY_TIMEOUT 60
  PROPERTIES TIMEOUT 900 LABELS scaleout RUN_SERIAL TRUE
  ENVIRONMENT "XDG_CACHE_HOME=${CMAKE_BINARY_DIR}/test-cache")
