# Sanitizer builds (EVSTORE_SANITIZE, see CMakePresets.json and
# scripts/sanitize.sh). The flags go to every target this project defines:
# our libraries, the generated proto code, the binaries and the tests. The
# Debian libraries we link (gRPC, protobuf, RocksDB, Abseil) stay
# uninstrumented.
#
#   address: AddressSanitizer (with LeakSanitizer) + UndefinedBehaviorSanitizer,
#            every finding fatal (-fno-sanitize-recover=all).
#   thread:  ThreadSanitizer. Also defines EVSTORE_TSAN for base/mutex.h.
#
# Compiler: gcc 12 for both (the presets pin g++). It is the compiler every
# other build uses, so the sanitized code is the code we ship, and its
# runtimes (libasan8, libubsan1, libtsan2) come with build-essential. Debian's
# clang 14 would add a second compiler and a second C++20 front end against
# libstdc++ 12 for no gain: both use the same compiler-rt runtimes.
#
# Sanitizer builds use -O1 and keep assert() on (no NDEBUG) whatever the
# build type: they are for finding bugs, not for speed. -g1 (line tables)
# is all the reports need for file:line and compiles faster than -g.
if(NOT EVSTORE_SANITIZE)
  return()
endif()

if(EVSTORE_SANITIZE STREQUAL "address")
  set(EVSTORE_SANITIZER_FLAGS -fsanitize=address,undefined
      -fno-sanitize-recover=all)
elseif(EVSTORE_SANITIZE STREQUAL "thread")
  set(EVSTORE_SANITIZER_FLAGS -fsanitize=thread)
  add_compile_definitions(EVSTORE_TSAN=1)
  # gcc 12 warns (-Wtsan, an error with -Werror) wherever a header it
  # inlines uses std::atomic_thread_fence, which TSan does not model: here
  # Abseil's flag SequenceLock, inlined by absl::GetFlag of an absl::Duration
  # flag (--shutdown_timeout). Flags are read at startup, before any thread.
  add_compile_options(-Wno-tsan)
else()
  message(FATAL_ERROR
    "EVSTORE_SANITIZE must be empty, address or thread, not '${EVSTORE_SANITIZE}'")
endif()

add_compile_options(${EVSTORE_SANITIZER_FLAGS} -fno-omit-frame-pointer)
add_link_options(${EVSTORE_SANITIZER_FLAGS})
foreach(config RELWITHDEBINFO RELEASE DEBUG MINSIZEREL)
  set(CMAKE_CXX_FLAGS_${config} "-O1 -g1")
endforeach()
message(STATUS "evstore: sanitizer build (${EVSTORE_SANITIZE})")
