# Configure-time layering check (ARCHITECTURE.md): core never includes Qt, ui never includes
# LibTorch. Target links already keep Qt out of core's link line; this catches includes too.
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
upstep_forbid_includes(ui "#include *<(torch|ATen|c10)/" "ui talks to core through its API, not LibTorch")
