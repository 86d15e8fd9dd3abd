# libFuzzer targets (tests/fuzz/README.md), built only with -DDISKFERRY_BUILD_FUZZERS=ON in a
# build directory of their own configured with clang and the sanitizers for the whole tree:
#   CC=clang CXX=clang++ cmake -B build-fuzz -DDISKFERRY_BUILD_FUZZERS=ON \
#     "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-sanitize-recover=undefined
#      -fsanitize=fuzzer-no-link -fno-omit-frame-pointer"
#     "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined"
# (scripts/test.sh does this). Each target links -fsanitize=fuzzer for libFuzzer's main;
# the libraries under it carry the coverage instrumentation from CMAKE_CXX_FLAGS.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "DISKFERRY_BUILD_FUZZERS needs clang (libFuzzer): configure with "
                      "CXX=clang++ (Debian: clang, libclang-rt-14-dev)")
endif()
set(DF_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})

# df_fuzzer(NAME SOURCES... LIBS libs...)
function(df_fuzzer name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "" "SOURCES;LIBS")
  add_executable(${name} ${DF_FUZZ_DIR}/${name}.cc ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
endfunction()

# The reply decoders alone, not the whole launcher library: they need no more than the
# protocol library, and the sanitizer build stays short.
df_fuzzer(control_reply_fuzzer SOURCES ${CMAKE_SOURCE_DIR}/appliance/control_replies.cc
          LIBS df_protocol)
df_fuzzer(glob_fuzzer LIBS df_protocol)
df_fuzzer(lane_fuzzer LIBS df_protocol)
df_fuzzer(manifest_fuzzer LIBS df_jobs)
df_fuzzer(request_fuzzer LIBS df_protocol)
# The host tree writer and the tar sink with what they call, not the whole sinks library
# (reports, forensic listings, hashing): the sanitizer build stays short.
set(DF_FUZZ_WRITER_SOURCES
    archive_names_posix.cc beneath_dir.cc held_budget.cc host_file_posix.cc host_metadata.cc
    host_safety.cc host_tree_writer.cc host_tree_writer_posix.cc host_tree_writer_streams.cc
    spool_file.cc tar_sink.cc tar_sink_entries.cc)
list(TRANSFORM DF_FUZZ_WRITER_SOURCES PREPEND ${CMAKE_SOURCE_DIR}/sinks/)
df_fuzzer(writer_fuzzer SOURCES ${DF_FUZZ_WRITER_SOURCES} LIBS df_protocol df_host PkgConfig::LIBARCHIVE)
# Writes the seeds of corpus/ from real messages (tests/fuzz/README.md); not run by tests.
add_executable(fuzz_seeds ${DF_FUZZ_DIR}/fuzz_seeds.cc)
target_link_libraries(fuzz_seeds PRIVATE df_protocol)
add_custom_target(fuzzers DEPENDS control_reply_fuzzer glob_fuzzer lane_fuzzer manifest_fuzzer
                                  request_fuzzer writer_fuzzer)
