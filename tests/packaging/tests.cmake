# Packaging: the install layout, the Debian package, the man page, the bash completion, the
# systemd units and the cron line (shell scripts beside this file). Packaging.Install
# installs the build into packaging-test/prefix first; the tests that need an installed
# tree name it as their fixture, so `ctest -R Packaging.Man` installs too. The two
# Packaging.Integration tests boot appliances with the installed command.
set(DF_PACKAGING_TESTS ${CMAKE_CURRENT_LIST_DIR})
set(DF_INSTALL_PREFIX ${CMAKE_BINARY_DIR}/packaging-test/prefix)

add_test(NAME Packaging.Install
         COMMAND ${DF_PACKAGING_TESTS}/install_prefix.sh ${CMAKE_BINARY_DIR} ${DF_INSTALL_PREFIX})
set_tests_properties(Packaging.Install PROPERTIES FIXTURES_SETUP df_installed)

add_test(NAME Packaging.InstalledLayout
         COMMAND ${DF_PACKAGING_TESTS}/installed_layout_test.sh ${CMAKE_BINARY_DIR}
                 ${DF_INSTALL_PREFIX})
add_test(NAME Packaging.SystemdUnitsVerify
         COMMAND ${DF_PACKAGING_TESTS}/systemd_units_test.sh ${DF_INSTALL_PREFIX})
add_test(NAME Packaging.ManPageCoversEveryFlag
         COMMAND ${DF_PACKAGING_TESTS}/man_page_test.sh ${DF_INSTALL_PREFIX}/bin/diskferry
                 ${DF_INSTALL_PREFIX}/share/man/man1/diskferry.1)
add_test(NAME Packaging.BashCompletion
         COMMAND ${DF_PACKAGING_TESTS}/bash_completion_test.sh ${DF_INSTALL_PREFIX}/bin/diskferry
                 ${DF_INSTALL_PREFIX}/share/bash-completion/completions/diskferry)
add_test(NAME Packaging.CronLineSkipsWhileARunHoldsTheLock
         COMMAND ${DF_PACKAGING_TESTS}/cron_line_test.sh ${CMAKE_SOURCE_DIR}/examples/cron/diskferry
                 ${DF_INSTALL_PREFIX}/bin ${CMAKE_SOURCE_DIR}/docs/scheduling.md)
set_tests_properties(Packaging.InstalledLayout Packaging.SystemdUnitsVerify
                     Packaging.ManPageCoversEveryFlag Packaging.BashCompletion
                     Packaging.CronLineSkipsWhileARunHoldsTheLock
                     PROPERTIES FIXTURES_REQUIRED df_installed LABELS packaging)

# cpack stages its own install under a scratch directory; about 20 s, most of it stripping
# and compressing.
add_test(NAME Packaging.DebianPackage
         COMMAND ${DF_PACKAGING_TESTS}/debian_package_test.sh ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR})
set_tests_properties(Packaging.DebianPackage PROPERTIES LABELS packaging TIMEOUT 300)

# The installed daemon is another cache key than the build tree's (the key names each
# input's path): the first of these builds an appliance and its template in the test cache.
add_test(NAME Packaging.Integration.InstalledCommandListsAnImage
         COMMAND ${DF_PACKAGING_TESTS}/installed_ls_test.sh ${DF_INSTALL_PREFIX}
                 ${CMAKE_BINARY_DIR}/test-cache)
add_test(NAME Packaging.Integration.ServiceCommandRunsTheNightlyManifest
         COMMAND ${DF_PACKAGING_TESTS}/service_run_test.sh ${DF_INSTALL_PREFIX}
                 ${CMAKE_SOURCE_DIR}/examples ${CMAKE_BINARY_DIR}/test-cache)
set_tests_properties(Packaging.Integration.InstalledCommandListsAnImage
                     Packaging.Integration.ServiceCommandRunsTheNightlyManifest
                     PROPERTIES FIXTURES_REQUIRED df_installed LABELS "packaging;integration"
                                TIMEOUT 600 RESOURCE_LOCK df_installed_cache)

# examples/k8s without a cluster or a container engine: the Jobs' YAML against the shard
# logic, the ConfigMap's manifest through the built command, the shard pod's script with a
# stand-in diskferry, and the Dockerfile against this build's package and Debian 12.
find_package(yaml-cpp REQUIRED)
add_executable(k8s_example_tests ${DF_PACKAGING_TESTS}/k8s_example_test.cc)
target_link_libraries(k8s_example_tests PRIVATE df_runner yaml-cpp GTest::gtest_main)
target_compile_definitions(k8s_example_tests PRIVATE
  DF_K8S_EXAMPLE_DIR="${CMAKE_SOURCE_DIR}/examples/k8s"
  DF_DISKFERRY_BINARY="$<TARGET_FILE:diskferry>")
add_dependencies(k8s_example_tests diskferry)
gtest_discover_tests(k8s_example_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS packaging)
