#!/usr/bin/env bash
# Builds the dependencies that Debian ships no mingw-w64 build of, from Debian's own source
# packages, into PREFIX: yaml-cpp, oneTBB, FlatBuffers (headers), libarchive (with the
# mingw zlib of libz-mingw-w64-dev), and GoogleTest from the googletest package's tree in
# /usr/src/googletest. Nothing is downloaded from anywhere but the machine's Debian
# mirror, and nothing is copied into the repository.
#
# Usage: build_deps.sh WORK_DIR   (sources in WORK_DIR/src, builds in WORK_DIR/build,
#                                  the result in WORK_DIR/prefix)
# Idempotent: each package is rebuilt only when its stamp is missing or its version changed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
work=$(mkdir -p "$1" && cd "$1" && pwd)
prefix=$work/prefix
toolchain=$here/../toolchain-mingw64.cmake
jobs=$(nproc)
mkdir -p "$work/src" "$work/build" "$prefix"

# The source packages, pinned to what Debian 12 ships for the native build too, so the
# FlatBuffers headers match the flatc that generates our code.
packages=(yaml-cpp onetbb flatbuffers libarchive)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

# apt-get source needs deb-src entries; Debian 12 images ship only deb ones. Add a
# deb-src twin of the distribution's own sources file (same mirror, same suites).
ensure_deb_src() {
  if apt-get source --print-uris yaml-cpp >/dev/null 2>&1; then return; fi
  local list=/etc/apt/sources.list.d/debian.sources
  if [ ! -f "$list" ]; then
    echo "build_deps: $list not found; add deb-src lines for Debian 12 to apt's sources" >&2
    exit 1
  fi
  echo "build_deps: adding deb-src entries (/etc/apt/sources.list.d/diskferry-src.sources)" >&2
  sed 's/^Types: deb$/Types: deb-src/' "$list" |
    "${sudo_cmd[@]}" tee /etc/apt/sources.list.d/diskferry-src.sources >/dev/null
  "${sudo_cmd[@]}" apt-get update -qq >&2
}

# Unpacks package $1 (Debian patches applied) into src/ and prints its directory.
unpack() {
  local pkg=$1 dsc dir
  dsc=$(ls "$work/src/${pkg}"_*.dsc 2>/dev/null | head -1 || true)
  if [ -z "$dsc" ]; then
    ensure_deb_src
    # Only the orig tarball and Debian's patches: the security suite may list a newer
    # .dsc whose debian.tar is already gone from the mirror, so try both ways.
    (cd "$work/src" && apt-get source --download-only "$pkg" >/dev/null 2>&1 ||
      apt-get source --download-only "$pkg" -t bookworm >/dev/null)
    dsc=$(ls "$work/src/${pkg}"_*.dsc | head -1)
  fi
  dir=$work/src/$(basename "$dsc" .dsc)
  if [ ! -d "$dir" ]; then
    dpkg-source --no-check -x "$dsc" "$dir" >/dev/null
  fi
  echo "$dir"
}

# cmake_build NAME SOURCE-DIR CMAKE-ARGS...: configures, builds and installs into $prefix.
# With ONLY_TARGET=T it builds target T alone and calls install_NAME instead of
# `cmake --install` (for libarchive, which always builds a DLL beside its static library).
cmake_build() {
  local name=$1 src=$2; shift 2
  local stamp=$prefix/.stamp-$name version
  version=${DEPS_VERSION:-$(basename "$src")}
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version" ]; then return; fi
  echo "build_deps: building $version for Windows"
  rm -rf "$work/build/$name"
  cmake -S "$src" -B "$work/build/$name" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DCMAKE_PREFIX_PATH="$prefix" -DDF_WIN_DEPS_PREFIX="$prefix" "$@" >"$work/build/$name.log" 2>&1 ||
    { tail -30 "$work/build/$name.log"; exit 1; }
  cmake --build "$work/build/$name" -j"$jobs" ${ONLY_TARGET:+--target "$ONLY_TARGET"} \
    >>"$work/build/$name.log" 2>&1 || { tail -30 "$work/build/$name.log"; exit 1; }
  if [ -n "${ONLY_TARGET:-}" ]; then
    "install_$name" "$src" "$work/build/$name"
  else
    cmake --install "$work/build/$name" >>"$work/build/$name.log" 2>&1
  fi
  echo "$version" >"$stamp"
}

# The static library and the two public headers: all the Windows build links
# (qemu-win/dependencies.cmake), without compiling libarchive a second time for its DLL.
install_libarchive() {  # source-dir build-dir
  mkdir -p "$prefix/include" "$prefix/lib"
  cp "$1/libarchive/archive.h" "$1/libarchive/archive_entry.h" "$prefix/include/"
  cp "$2/libarchive/libarchive_static.a" "$prefix/lib/"
}

if [ ! -f /usr/src/googletest/CMakeLists.txt ]; then
  echo "build_deps: /usr/src/googletest missing: install the googletest package" >&2
  exit 1
fi
# Sources first (apt and dpkg-source, one at a time), then two build lanes side by side:
# libarchive's configure runs one probe after another, so it leaves a core free for the
# others' compiles. Each lane stops at its first failure; both are waited for.
yaml_src=$(unpack yaml-cpp)
tbb_src=$(unpack onetbb)
flatbuffers_src=$(unpack flatbuffers)
libarchive_src=$(unpack libarchive)

lane_libraries() {
  cmake_build yaml-cpp "$yaml_src" -DYAML_CPP_BUILD_TESTS=OFF -DYAML_CPP_BUILD_TOOLS=OFF \
    -DYAML_BUILD_SHARED_LIBS=OFF -DYAML_CPP_BUILD_CONTRIB=OFF
  cmake_build onetbb "$tbb_src" -DTBB_TEST=OFF -DTBB_EXAMPLES=OFF -DTBB_STRICT=OFF \
    -DBUILD_SHARED_LIBS=OFF -DTBBMALLOC_BUILD=OFF
  cmake_build flatbuffers "$flatbuffers_src" -DFLATBUFFERS_BUILD_TESTS=OFF \
    -DFLATBUFFERS_BUILD_FLATC=OFF -DFLATBUFFERS_BUILD_FLATHASH=OFF -DFLATBUFFERS_BUILD_FLATLIB=ON
}

lane_archive() {
  # libarchive's configure runs test programs (its ZLIB_WINAPI probe): under wine, since
  # CMake 3.25 crashes on a cross try_run that has no emulator.
  ONLY_TARGET=archive_static cmake_build libarchive "$libarchive_src" \
    -DCMAKE_CROSSCOMPILING_EMULATOR=wine \
    -DZLIB_LIBRARY=/usr/x86_64-w64-mingw32/lib/libz.a -DENABLE_TEST=OFF -DENABLE_TAR=OFF \
    -DENABLE_CPIO=OFF -DENABLE_CAT=OFF -DENABLE_OPENSSL=OFF -DENABLE_LIBXML2=OFF \
    -DENABLE_EXPAT=OFF -DENABLE_LZMA=OFF -DENABLE_ZSTD=OFF -DENABLE_BZip2=OFF -DENABLE_LZ4=OFF \
    -DENABLE_CNG=ON -DENABLE_ACL=OFF -DENABLE_ICONV=OFF -DENABLE_LIBB2=OFF -DENABLE_ZLIB=ON \
    -DENABLE_LZO=OFF -DENABLE_NETTLE=OFF -DENABLE_MBEDTLS=OFF -DBUILD_SHARED_LIBS=OFF
  DEPS_VERSION=googletest_$(dpkg-query -W -f='${Version}' googletest) \
    cmake_build googletest /usr/src/googletest -DBUILD_GMOCK=OFF -Dgtest_disable_pthreads=OFF
}

(set -e; lane_libraries) &
libraries_pid=$!
(set -e; lane_archive) &
archive_pid=$!
status=0
wait "$libraries_pid" || status=$?
wait "$archive_pid" || status=$?
if [ "$status" -ne 0 ]; then
  echo "build_deps: a dependency failed to build (its log's tail is above)" >&2
  exit "$status"
fi
echo "build_deps: dependencies ready in $prefix"
