# CMake helpers for the RTL (rtl/): the source list and the sf_chip parameters of a chip YAML.
# Included by emulator/rtl/ (the Verilated chips) and tests/rtl/ (lint, synthesis, benches).

set(SF_RTL_DIR "${CMAKE_CURRENT_LIST_DIR}")
set(SF_RTL_WAIVERS "${SF_RTL_DIR}/sf_lint.vlt")
set(SF_RTL_BUILD_VLT "${SF_RTL_DIR}/sf_build.vlt")

# SF_RTL_SOURCES: the SystemVerilog files in dependency order (rtl/sources.f; Verilator
# reads it too, so its comments are //).
file(STRINGS "${SF_RTL_DIR}/sources.f" _sf_rtl_files REGEX "^[^/].*\\.sv$")
set(SF_RTL_SOURCES "")
foreach(_f ${_sf_rtl_files})
  list(APPEND SF_RTL_SOURCES "${SF_RTL_DIR}/${_f}")
endforeach()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${SF_RTL_DIR}/sources.f")

# SF_RTL_LIST_ARGS: the Verilator arguments that name the RTL for verilate(): the lint
# waivers, then the file list, which Verilator reads itself (-F). A Verilated model's
# rebuild rule keeps the command line of the last configure; with the list read at run
# time, a file added to sources.f (and instantiated in an existing one) is found by that
# rule instead of failing it before CMake can re-configure. The list's hash on the command
# line makes a changed list re-run Verilator at configure time. verilate() needs at least
# one SOURCES file: pass SF_RTL_BUILD_VLT (build options, read after the sources) or a
# testbench.
file(MD5 "${SF_RTL_DIR}/sources.f" _sf_rtl_list_md5)
set(SF_RTL_LIST_ARGS "${SF_RTL_WAIVERS}" -F "${SF_RTL_DIR}/sources.f"
    "-DSF_RTL_SOURCES_MD5=${_sf_rtl_list_md5}")

# sf_rtl_chip_params(CHIP OUT_VERILATOR OUT_KEY): Verilator -G arguments for the chip
# (preset name or YAML path), and a key "MeshW=4,MeshH=4,..." naming the parameter set.
function(sf_rtl_chip_params chip out_args out_key)
  execute_process(COMMAND "${SF_RTL_DIR}/chip_params.sh" "${chip}"
                  OUTPUT_VARIABLE _out ERROR_VARIABLE _err RESULT_VARIABLE _rc
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(_rc)
    message(FATAL_ERROR "rtl/chip_params.sh ${chip} failed: ${_err}")
  endif()
  string(REPLACE "\n" ";" _lines "${_out}")
  set(_args "")
  set(_key "")
  foreach(_l ${_lines})
    list(APPEND _args "-G${_l}")
    if(_key)
      string(APPEND _key ",")
    endif()
    string(APPEND _key "${_l}")
  endforeach()
  set(${out_args} "${_args}" PARENT_SCOPE)
  set(${out_key} "${_key}" PARENT_SCOPE)
endfunction()

# Verilator arguments of every Verilated model: assertions on, memories and registers start
# at zero (the models zero their memories at reset, microarchitecture.md section 6).
set(SF_RTL_VERILATOR_ARGS --assert --x-assign fast --x-initial 0 -O3 -Wno-fatal)
