# ctest script (train/CMakeLists.txt): fails when the `lepton` binary BINARY depends on libtorch,
# directly or through a library it links. As a control that the check can see torch at all, the
# plugin PLUGIN must depend on it.
#   cmake -DBINARY=build/bin/lepton -DPLUGIN=build/lib/liblepton_torch_plugin.so -P check_no_libtorch.cmake
foreach(var BINARY PLUGIN)
  if(NOT EXISTS "${${var}}")
    message(FATAL_ERROR "${var}: no file ${${var}}")
  endif()
endforeach()

function(torch_libraries file out)
  execute_process(COMMAND ldd "${file}" OUTPUT_VARIABLE deps RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "ldd ${file} failed (${rc})")
  endif()
  string(REGEX MATCHALL "[^ \t\n]*(torch|libc10)[^ \t\n]*" found "${deps}")
  set(${out} "${found}" PARENT_SCOPE)
endfunction()

torch_libraries("${BINARY}" in_binary)
if(in_binary)
  message(FATAL_ERROR "${BINARY} depends on libtorch (${in_binary}); torch must stay in the "
                      "plugin liblepton_torch_plugin.so")
endif()
torch_libraries("${PLUGIN}" in_plugin)
if(NOT in_plugin)
  message(FATAL_ERROR "control failed: ldd shows no torch library for ${PLUGIN}")
endif()
message(STATUS "${BINARY}: no libtorch; the plugin has ${in_plugin}")
