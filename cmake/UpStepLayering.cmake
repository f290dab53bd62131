# Layering rules (docs/ARCHITECTURE.md), enforced when the project is configured and built.
#
# 1. core never includes Qt (checked here, over core's sources).
# 2. ui/ and the workbench never reach LibTorch, directly or through a core header: their targets
#    force-include cmake/forbid_torch.h, which poisons the identifiers every LibTorch header uses,
#    so such an include stops the build (tests/layering proves it with deliberately bad files).
# 3. core's modules include only modules below them (kCoreModuleOrder): no cycles, nothing upward.

set(UPSTEP_FORBID_TORCH_HEADER "${CMAKE_CURRENT_LIST_DIR}/forbid_torch.h")

# upstep_forbid_torch(target): the target's translation units may not include LibTorch.
function(upstep_forbid_torch target)
  target_compile_options(${target} PRIVATE -include "${UPSTEP_FORBID_TORCH_HEADER}")
endfunction()

# upstep_add_api_header_check(target include_dir): one generated translation unit per public
# header, each compiled alone with LibTorch forbidden.
function(upstep_add_api_header_check target include_dir)
  file(GLOB_RECURSE headers RELATIVE "${include_dir}" CONFIGURE_DEPENDS "${include_dir}/*.h")
  set(sources)
  foreach(header IN LISTS headers)
    string(MAKE_C_IDENTIFIER "${header}" stem)
    set(source "${CMAKE_CURRENT_BINARY_DIR}/${target}/${stem}.cpp")
    file(CONFIGURE OUTPUT "${source}" CONTENT "#include \"${header}\"\n")
    list(APPEND sources "${source}")
  endforeach()
  add_library(${target} OBJECT ${sources})
  target_include_directories(${target} PRIVATE "${include_dir}")
  target_link_libraries(${target} PRIVATE nlohmann_json::nlohmann_json)
  target_compile_features(${target} PRIVATE cxx_std_20)
  upstep_set_warnings(${target})
  upstep_forbid_torch(${target})
endfunction()

function(upstep_forbid_includes folder pattern why)
  file(GLOB_RECURSE sources "${CMAKE_SOURCE_DIR}/${folder}/*.h" "${CMAKE_SOURCE_DIR}/${folder}/*.cpp")
  foreach(source IN LISTS sources)
    file(STRINGS "${source}" hits REGEX "${pattern}")
    if(hits)
      message(FATAL_ERROR "${source}: ${why}\n  ${hits}")
    endif()
  endforeach()
endfunction()

upstep_forbid_includes(core "#include *<(Q[A-Za-z]|qcustomplot)" "core must stay Qt-free")
# A quick, readable message for the common case; the poisoned header catches the rest.
upstep_forbid_includes(ui "#include *<(torch|ATen|c10)/" "ui talks to core through its API, not LibTorch")

# Core modules from the bottom up. A file in module M (core/M/ or core/include/upstep/M/) may
# include only modules listed before M, and M itself.
set(UPSTEP_CORE_MODULE_ORDER common io models data method run eval train export)

function(upstep_check_core_module_order)
  set(order ${UPSTEP_CORE_MODULE_ORDER})
  list(LENGTH order count)
  math(EXPR last "${count} - 1")
  foreach(index RANGE ${last})
    list(GET order ${index} module)
    list(SUBLIST order ${index} -1 above)
    list(REMOVE_ITEM above ${module})
    if(NOT above)
      continue()
    endif()
    list(JOIN above "|" above_regex)
    file(GLOB_RECURSE sources
      "${CMAKE_SOURCE_DIR}/core/${module}/*.h" "${CMAKE_SOURCE_DIR}/core/${module}/*.cpp"
      "${CMAKE_SOURCE_DIR}/core/include/upstep/${module}/*.h")
    foreach(source IN LISTS sources)
      file(STRINGS "${source}" hits REGEX "#include *\"(upstep/)?(${above_regex})/")
      if(hits)
        message(FATAL_ERROR "${source}: module '${module}' includes a module above it "
                            "(order: ${order})\n  ${hits}")
      endif()
    endforeach()
  endforeach()
endfunction()
upstep_check_core_module_order()
