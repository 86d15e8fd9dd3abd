# CMake toolchain for Debian's mingw-w64 cross compiler (g++-mingw-w64-x86-64-posix).
# The posix thread model is the one whose libstdc++ has std::thread and std::mutex in
# GCC 12 (the win32 model gains them only in GCC 13).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(DF_MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${DF_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${DF_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${DF_MINGW_TRIPLE}-windres)
set(CMAKE_FIND_ROOT_PATH /usr/${DF_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Programs carry their runtime (libstdc++, libgcc, winpthread) so that a copied .exe runs
# on a Windows machine without MinGW DLLs beside it.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
# The prefix holding the dependencies built from Debian's source packages (build_deps.sh).
if(DEFINED ENV{DF_WIN_DEPS_PREFIX})
  set(DF_WIN_DEPS_PREFIX $ENV{DF_WIN_DEPS_PREFIX})
endif()
if(DF_WIN_DEPS_PREFIX)
  list(APPEND CMAKE_FIND_ROOT_PATH ${DF_WIN_DEPS_PREFIX})
endif()
