# Target helpers after Abseil's absl_cc_library. Every module is one library target
# `lepton_<name>` with the alias `lepton::<name>`. PUBLIC_DEPS are the dependencies whose types
# appear in the module's headers; DEPS are private. The layering check (tools/check_layering.py)
# reads the dependency list recorded here from build/lepton_modules.json.

set_property(GLOBAL PROPERTY LEPTON_MODULES "")

# lepton_cc_library(NAME n [HDRS ...] SRCS ... [PUBLIC_DEPS ...] [DEPS ...] [DIR subdir])
function(lepton_cc_library)
  cmake_parse_arguments(L "" "NAME" "HDRS;SRCS;PUBLIC_DEPS;DEPS" ${ARGN})
  set(target lepton_${L_NAME})
  add_library(${target} STATIC ${L_SRCS} ${L_HDRS})
  add_library(lepton::${L_NAME} ALIAS ${target})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${target} PUBLIC ${L_PUBLIC_DEPS} PRIVATE ${L_DEPS})
  # Record the module, its folder and its lepton dependencies for the layering check.
  set(deps "")
  foreach(d IN LISTS L_PUBLIC_DEPS L_DEPS)
    if(d MATCHES "^lepton::(.+)$")
      list(APPEND deps "\"${CMAKE_MATCH_1}\"")
    endif()
  endforeach()
  list(JOIN deps "," deps_json)
  file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
  set_property(GLOBAL APPEND PROPERTY LEPTON_MODULES
    "{\"name\":\"${L_NAME}\",\"dir\":\"${rel}\",\"deps\":[${deps_json}]}")
endfunction()

# lepton_cc_test(NAME n SRCS ... DEPS ... [LABELS unit|integration|slow] [ENV k=v ...])
function(lepton_cc_test)
  if(NOT LEPTON_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(L "" "NAME" "SRCS;DEPS;LABELS;ENV" ${ARGN})
  set(target lepton_${L_NAME})
  add_executable(${target} ${L_SRCS})
  target_link_libraries(${target} PRIVATE ${L_DEPS} GTest::gmock GTest::gtest_main)
  if(NOT L_LABELS)
    set(L_LABELS unit)
  endif()
  add_test(NAME ${L_NAME} COMMAND ${target})
  set_tests_properties(${L_NAME} PROPERTIES LABELS "${L_LABELS}" TIMEOUT 600)
  if(L_ENV)
    set_tests_properties(${L_NAME} PROPERTIES ENVIRONMENT "${L_ENV}")
  endif()
endfunction()

# lepton_cc_benchmark(NAME n SRCS ... DEPS ...): built with LEPTON_BUILD_BENCHMARKS only. With
# tests on too, a smoke test runs each benchmark briefly so that none rots.
function(lepton_cc_benchmark)
  if(NOT LEPTON_BUILD_BENCHMARKS)
    return()
  endif()
  cmake_parse_arguments(L "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(lepton_${L_NAME} ${L_SRCS})
  target_link_libraries(lepton_${L_NAME} PRIVATE ${L_DEPS} benchmark::benchmark_main)
  if(LEPTON_BUILD_TESTS)
    add_test(NAME ${L_NAME}_smoke COMMAND lepton_${L_NAME} --benchmark_min_time=0.01)
    set_tests_properties(${L_NAME}_smoke PROPERTIES LABELS benchmark TIMEOUT 300)
  endif()
endfunction()

# Writes build/lepton_modules.json once every module has been declared.
function(lepton_write_module_graph)
  get_property(mods GLOBAL PROPERTY LEPTON_MODULES)
  list(JOIN mods ",\n " body)
  file(WRITE ${PROJECT_BINARY_DIR}/lepton_modules.json "[\n ${body}\n]\n")
endfunction()
