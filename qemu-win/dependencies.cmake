# Dependencies of the Windows build. yaml-cpp, oneTBB, FlatBuffers, libarchive and
# GoogleTest come from DF_WIN_DEPS_PREFIX (qemu-win/deps/build_deps.sh builds them from
# Debian's source packages); zlib from Debian's libz-mingw-w64-dev. CLI11 and nlohmann-json
# are header-only: their Debian headers (libcli11-dev, nlohmann-json3-dev) include only the
# C++ standard library, so the Windows build uses them in place, through a directory that
# holds just them (never /usr/include itself, whose glibc headers must not be seen).
if(NOT DF_WIN_DEPS_PREFIX)
  message(FATAL_ERROR "set DF_WIN_DEPS_PREFIX to the prefix build_deps.sh filled")
endif()
list(APPEND CMAKE_PREFIX_PATH ${DF_WIN_DEPS_PREFIX})

set(DF_WIN_HEADER_ONLY ${CMAKE_BINARY_DIR}/header-only)
file(MAKE_DIRECTORY ${DF_WIN_HEADER_ONLY})
foreach(dir CLI nlohmann)
  if(NOT EXISTS /usr/include/${dir})
    message(FATAL_ERROR "/usr/include/${dir} missing: install libcli11-dev and nlohmann-json3-dev")
  endif()
  file(CREATE_LINK /usr/include/${dir} ${DF_WIN_HEADER_ONLY}/${dir} SYMBOLIC)
endforeach()
add_library(CLI11::CLI11 INTERFACE IMPORTED)
target_include_directories(CLI11::CLI11 INTERFACE ${DF_WIN_HEADER_ONLY})
add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED)
target_include_directories(nlohmann_json::nlohmann_json INTERFACE ${DF_WIN_HEADER_ONLY})

# libarchive, static, with the mingw zlib; the same target name pkg-config gives on Linux.
find_library(DF_WIN_ARCHIVE_LIB NAMES libarchive_static.a archive_static archive
             PATHS ${DF_WIN_DEPS_PREFIX}/lib NO_DEFAULT_PATH REQUIRED)
find_library(DF_WIN_ZLIB NAMES libz.a z REQUIRED)
add_library(PkgConfig::LIBARCHIVE INTERFACE IMPORTED)
target_include_directories(PkgConfig::LIBARCHIVE INTERFACE ${DF_WIN_DEPS_PREFIX}/include)
target_compile_definitions(PkgConfig::LIBARCHIVE INTERFACE LIBARCHIVE_STATIC)
target_link_libraries(PkgConfig::LIBARCHIVE INTERFACE ${DF_WIN_ARCHIVE_LIB} ${DF_WIN_ZLIB} bcrypt)

# Windows programs run under wine on the build machine: ctest and gtest_discover_tests
# prefix each test command with it (scripts/test.sh skips them, saying why, without wine).
find_program(DF_WINE NAMES wine wine64)
if(DF_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${DF_WINE})
endif()

# Windows 10 and later: the oldest Windows that QEMU for Windows supports. mingw-w64's
# <time.h> offers localtime_r/gmtime_r (over localtime_s) with _POSIX_THREAD_SAFE_FUNCTIONS.
add_compile_definitions(_WIN32_WINNT=0x0A00 WIN32_LEAN_AND_MEAN NOMINMAX UNICODE _UNICODE
                        _POSIX_THREAD_SAFE_FUNCTIONS=200112L)

# windres compiles diskferry.exe's resources (its manifest: qemu-win/program.cmake).
enable_language(RC)
