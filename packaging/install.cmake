# What `cmake --install` (and `ninja install`, and the Debian package) puts where, under
# the prefix:
#   bin/diskferry                              the command
#   lib/diskferry/diskferry-daemon             the appliance's /init, found by FindDaemonBinary
#                                              (appliance/image_session.cc) as
#                                              ../lib/diskferry/ from the command
#   lib/diskferry/nbdkit-diskferry-ewf-plugin.so, lib/diskferry/diskferry-ewf
#                                              E01 support (ewf/), found by FindEwfHelper
#                                              (appliance/ewf.h) the same way; built when
#                                              libewf-dev and nbdkit-plugin-dev are there
#   share/man/man1/diskferry.1                 docs/diskferry.1
#   share/bash-completion/completions/diskferry  packaging/diskferry.bash
#   lib/systemd/system/diskferry-backup@.{service,timer}  with ExecStart at this prefix
#   share/doc/diskferry/                       README.md, docs/*.md, jobs/README.md, examples/
# The daemon is installed as built (its debug information split off): an installed
# command packs the same daemon as the build tree's, so both share one appliance cache.
# Linux only: a Windows host has no daemon or units to install (docs/windows.md).
include(GNUInstallDirs)

install(TARGETS diskferry RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(PROGRAMS $<TARGET_FILE:diskferry-daemon> DESTINATION lib/diskferry)
if(TARGET diskferry-ewf)
  install(TARGETS diskferry-ewf RUNTIME DESTINATION lib/diskferry)
  install(TARGETS nbdkit-diskferry-ewf-plugin LIBRARY DESTINATION lib/diskferry)
endif()
install(FILES ${CMAKE_SOURCE_DIR}/docs/diskferry.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/diskferry.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME diskferry)

# The units name the command by its installed path, which is only known at install time
# (`cmake --install build --prefix P`, P made absolute from the current directory): the
# examples' /usr/bin/diskferry is rewritten then, straight into the destination, so that
# two installs at once (a test's and cpack's) do not share a file.
foreach(unit diskferry-backup@.service diskferry-backup@.timer)
  install(CODE "
    get_filename_component(prefix \"\${CMAKE_INSTALL_PREFIX}\" ABSOLUTE)
    set(dir \"\$ENV{DESTDIR}\${prefix}/lib/systemd/system\")
    message(STATUS \"Installing: \${dir}/${unit}\")
    file(READ \"${CMAKE_SOURCE_DIR}/examples/systemd/${unit}\" text)
    string(REPLACE \"/usr/bin/diskferry\" \"\${prefix}/${CMAKE_INSTALL_BINDIR}/diskferry\"
           text \"\${text}\")
    file(WRITE \"\${dir}/${unit}\" \"\${text}\")")
endforeach()

install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${CMAKE_SOURCE_DIR}/jobs/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR}/jobs)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs
        FILES_MATCHING PATTERN "*.md")
install(DIRECTORY ${CMAKE_SOURCE_DIR}/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
