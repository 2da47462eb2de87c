# fabric_add_component(NAME
#   SOURCES file...        # the component's .cpp files, listed explicitly
#   DEPS target...)        # public link dependencies
#
# Declares the library target `fabric_<NAME>` with the alias `fabric::<NAME>`.
# Headers are included from the repository root ("model/deployment.hpp"), so
# a component can only use another one it links: a pure component that does
# not list CAF or ZeroMQ fails to build if one of their headers slips in.
function(fabric_add_component name)
  cmake_parse_arguments(arg "" "" "SOURCES;DEPS" ${ARGN})
  add_library(fabric_${name} STATIC ${arg_SOURCES})
  add_library(fabric::${name} ALIAS fabric_${name})
  target_include_directories(fabric_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(fabric_${name} PUBLIC ${arg_DEPS})
endfunction()

# fabric_add_test(NAME
#   SOURCES file...
#   DEPS target...
#   [LABELS label...])     # ctest labels, e.g. unit, integration, bench
#
# One GoogleTest binary; every TEST becomes its own ctest entry so that a
# failure names the case. Test data lives in tests/data and is reached through
# the FABRIC_TEST_DATA compile definition.
function(fabric_add_test name)
  cmake_parse_arguments(arg "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE ${arg_DEPS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    FABRIC_TEST_DATA="${PROJECT_SOURCE_DIR}/tests/data"
    FABRIC_BIN_DIR="${CMAKE_BINARY_DIR}/bin")
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  if(NOT arg_LABELS)
    set(arg_LABELS unit)
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS "${arg_LABELS}" DISCOVERY_TIMEOUT 60)
endfunction()
include(GoogleTest)
