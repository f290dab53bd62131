# Sanitizer run-time options for scripts/sanitize (docs/ROBUSTNESS.md "Sanitizers"). Source it:
#   source tests/sanitizers/options.sh && ctest --test-dir build/asan --output-on-failure
# Every option below is here for the reason written beside it; the suppression files next to this
# one say why each of their entries is not a bug in UpStep's code.
UPSTEP_SANITIZERS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

asan_options=(
  halt_on_error=1                    # the first report ends the process: every report is fatal
  exitcode=86                        # not 1: the robustness tests must not read a report as the CLI's own "refused" exit 1
  detect_leaks=1                     # LeakSanitizer at exit (the default on x86-64; stated so it is not lost)
  detect_stack_use_after_return=1    # off by default: catches a pointer or reference to a returned frame
  check_initialization_order=1       # static initialisation order between our translation units
  strict_init_order=1                #   (also when the dependency is initialised later by luck)
  "suppressions=$UPSTEP_SANITIZERS_DIR/asan.supp"
)
lsan_options=(
  "suppressions=$UPSTEP_SANITIZERS_DIR/lsan.supp"
  print_suppressions=1               # list which suppressions matched, so a stale one is visible
)
ubsan_options=(
  print_stacktrace=1                 # a UBSan report without a stack is not actionable
  halt_on_error=1                    # every undefined-behaviour report is fatal, like ASan's
  exitcode=86                        # same reason as ASan's exitcode
  "suppressions=$UPSTEP_SANITIZERS_DIR/ubsan.supp"
)
tsan_options=(
  halt_on_error=0                    # keep going: collect every distinct report of a run
  second_deadlock_stack=1            # both stacks of a lock-order inversion
  history_size=4                     # longer per-thread history, fewer "failed to restore the stack"
  ignore_noninstrumented_modules=1   # what Debian's Qt, OpenBLAS and LibTorch do inside themselves is
                                     #   invisible to TSan (not built with it); judge only our code
  "suppressions=$UPSTEP_SANITIZERS_DIR/tsan.supp"
)
# exitcode stays TSan's default 66: a report that no suppression explains fails the test.

join_options() { local IFS=:; echo "$*"; }
export ASAN_OPTIONS="$(join_options "${asan_options[@]}")"
export LSAN_OPTIONS="$(join_options "${lsan_options[@]}")"
export UBSAN_OPTIONS="$(join_options "${ubsan_options[@]}")"
export TSAN_OPTIONS="$(join_options "${tsan_options[@]}")"
unset -f join_options
