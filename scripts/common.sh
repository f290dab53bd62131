# Shared by the set-up scripts: paths and small helpers. Source it, do not run it.
set -euo pipefail
UPSTEP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Data and caches live outside git.
UPSTEP_CACHE="${UPSTEP_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/upstep}"
UPSTEP_DATA="$UPSTEP_CACHE/data"
UPSTEP_PRESET="${UPSTEP_PRESET:-release}"
UPSTEP_BUILD="$UPSTEP_ROOT/build/$UPSTEP_PRESET"
# Debian's python, which sees python3-torch; the first python3 on PATH may not.
UPSTEP_PYTHON="${UPSTEP_PYTHON:-/usr/bin/python3}"
export UPSTEP_CACHE UPSTEP_DATA

log() { printf '[upstep] %s\n' "$*" >&2; }
die() { printf '[upstep] error: %s\n' "$*" >&2; exit 1; }
nproc_build() { local n; n=$(nproc); echo "$n"; }
