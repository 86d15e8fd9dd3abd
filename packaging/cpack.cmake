# The Debian package: `cpack -G DEB` in the build directory (scripts/package.sh). CPack's
# DEB generator ships with Debian's cmake and writes the .deb itself, so packaging needs no
# package beyond the build's own (docs/install.md, "Debian package").
set(CPACK_PACKAGE_NAME diskferry)
set(CPACK_PACKAGE_VENDOR diskferry)
set(CPACK_PACKAGE_CONTACT "diskferry maintainers <diskferry@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "copy files out of and into Linux disk images, in batches")
# One string: separate arguments would make a list, written with ';' between them.
set(CPACK_PACKAGE_DESCRIPTION "diskferry boots small QEMU appliance VMs with the host's kernel \
and drives a daemon inside each, so every Linux filesystem is read and written by the real \
kernel driver; job manifests run extract, inject, verify and list jobs in parallel.")
set(CPACK_GENERATOR DEB)
# Install with the real prefix (/usr) and a staging DESTDIR, so that the systemd units name
# /usr/bin/diskferry (packaging/install.cmake rewrites ExecStart from the install prefix).
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/diskferry/diskferry")
# Shared libraries of bin/diskferry (libarchive, OpenSSL, oneTBB, yaml-cpp, libstdc++):
# found by dpkg-shlibdeps (dpkg-dev). The daemon is static.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# What an appliance is made of at run time (appliance/README.md): QEMU and qemu-img, a
# kernel with its modules, a static busybox. The storage tools are packed from the host
# when present and a disk that needs a missing one says which package to install: they
# are recommended (apt installs them by default), not required. nbdkit serves E01
# images (format ewf, appliance/ewf.h), which fail in one line naming it when it is
# missing: recommended too (the plugin's libewf is found by dpkg-shlibdeps).
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "qemu-system-x86, qemu-utils, linux-image-cloud-amd64 | linux-image-amd64, busybox-static")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS
    "lvm2, cryptsetup-bin, mdadm, dmsetup, thin-provisioning-tools, ntfs-3g, nbdkit")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "linux-image-amd64")
include(CPack)
