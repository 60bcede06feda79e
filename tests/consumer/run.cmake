# run.cmake: proves that find_package(chat) works from an installed tree and
# that the README's embedding example compiles and runs.
#
#   cmake -DSOURCE_DIR=<repo> -DBUILD_DIR=<built tree> -DWORK_DIR=<scratch>
#         -P tests/consumer/run.cmake
#
# BUILD_DIR must already hold a built library (ctest runs after the build).
# Steps: README example -> WORK_DIR/src/main.cpp; install BUILD_DIR into
# WORK_DIR/prefix; configure and build WORK_DIR/src in WORK_DIR/build; run it.
cmake_minimum_required(VERSION 3.25)

foreach(var SOURCE_DIR BUILD_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run.cmake: pass -D${var}=...")
  endif()
endforeach()

set(marker "<!-- example: embed -->")
set(expected "bob got \"hello, bob\" from alice")

# Runs a command; on failure stops with `what` and the command's output.
function(run_step what)
  execute_process(COMMAND ${ARGN}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "${what} failed (${rc}):\n  ${cmd}\n${out}")
  endif()
endfunction()

# (a) The ```cpp block right after the marker, as main.cpp.
file(READ "${SOURCE_DIR}/README.md" readme)
string(FIND "${readme}" "${marker}\n```cpp\n" at)
if(at EQUAL -1)
  message(FATAL_ERROR
    "${SOURCE_DIR}/README.md has no \"${marker}\" line followed directly by "
    "a ```cpp fence: the consumer test builds that example")
endif()
string(LENGTH "${marker}\n```cpp\n" skip)
math(EXPR at "${at} + ${skip}")
string(SUBSTRING "${readme}" ${at} -1 rest)
string(FIND "${rest}" "\n```" end)
if(end EQUAL -1)
  message(FATAL_ERROR "README.md: the embed example's ```cpp block never closes")
endif()
string(SUBSTRING "${rest}" 0 ${end} code)

file(REMOVE_RECURSE "${WORK_DIR}/src" "${WORK_DIR}/prefix" "${WORK_DIR}/build")
file(WRITE "${WORK_DIR}/src/main.cpp" "${code}\n")
file(COPY "${CMAKE_CURRENT_LIST_DIR}/CMakeLists.txt" DESTINATION "${WORK_DIR}/src")

# (b) Install the built tree, as an embedder would.
run_step("install of ${BUILD_DIR}"
  "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${WORK_DIR}/prefix")

# (c) Configure and build the consumer against the install only.
set(configure_args -G Ninja
  "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix" -DCMAKE_BUILD_TYPE=Release)
find_program(CCACHE ccache)
if(CCACHE)
  list(APPEND configure_args "-DCMAKE_CXX_COMPILER_LAUNCHER=${CCACHE}")
endif()
run_step("configure of the consumer"
  "${CMAKE_COMMAND}" -S "${WORK_DIR}/src" -B "${WORK_DIR}/build" ${configure_args})
run_step("build of the consumer (README example)"
  "${CMAKE_COMMAND}" --build "${WORK_DIR}/build")

# (d) Run it.
execute_process(COMMAND "${WORK_DIR}/build/embed"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "embed exited ${rc}\nstdout:\n${out}\nstderr:\n${err}")
endif()
string(FIND "${out}" "${expected}" found)
if(found EQUAL -1)
  message(FATAL_ERROR "embed did not print '${expected}'\nstdout:\n${out}\nstderr:\n${err}")
endif()
message(STATUS "consumer: ${out}")
