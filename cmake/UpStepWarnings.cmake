# upstep_set_warnings(target): the house warning level, applied per target.
function(upstep_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
endfunction()
