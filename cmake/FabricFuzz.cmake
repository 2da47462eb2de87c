# The clang sub-build of fuzz/CMakeLists.txt (FABRIC_FUZZ_BUILD=ON): every
# component is instrumented for libFuzzer's coverage and checked by ASan and
# UBSan; a UBSan finding aborts (it is a crash to the fuzzer, not a warning).
# Included by the top-level CMakeLists.txt before the components.
option(FABRIC_FUZZ_BUILD "Internal: this is the clang/libFuzzer sub-build" OFF)
if(FABRIC_FUZZ_BUILD)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                      -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
