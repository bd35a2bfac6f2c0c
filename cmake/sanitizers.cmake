# Sanitizer and fuzzing builds (scripts/sanitizers.sh, scripts/fuzz.sh), applied to every
# target so the core, its protobuf code and the tests are all instrumented. Debian's RocksDB,
# gRPC and Protobuf libraries are not: reports inside them are out of our reach.
#   -DDURABLE_SANITIZE="address;undefined"   ASan + UBSan (gcc or clang)
#   -DDURABLE_SANITIZE=thread                TSan
#   -DDURABLE_FUZZ=ON                        libFuzzer targets in tests/fuzz (clang; ASan+UBSan)
option(DURABLE_FUZZ "Build the libFuzzer targets in tests/fuzz (clang only)" OFF)
set(DURABLE_SANITIZE "" CACHE STRING "Sanitizers for every target, e.g. address;undefined")

if(DURABLE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "DURABLE_FUZZ needs clang (libFuzzer): -DCMAKE_CXX_COMPILER=clang++")
  endif()
  list(APPEND DURABLE_SANITIZE address undefined)
  list(REMOVE_DUPLICATES DURABLE_SANITIZE)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(DURABLE_SANITIZE)
  list(JOIN DURABLE_SANITIZE "," _durable_sanitizers)
  # Fail on the first UBSan report instead of printing and going on: a report is a bug.
  add_compile_options(-fsanitize=${_durable_sanitizers} -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${_durable_sanitizers})
  if("undefined" IN_LIST DURABLE_SANITIZE)
    add_compile_options(-fno-sanitize-recover=undefined)
    add_link_options(-fno-sanitize-recover=undefined)
  endif()
  message(STATUS "durable: sanitizers ${_durable_sanitizers}")
endif()
