#!/bin/bash
# make bench: every benchmark, lunet against PyTorch in the same run, one
# thread each unless a goal says otherwise. Prints each benchmark's own
# table, then one table of every ratio with its goal (the one the README
# quotes), headed by the machine, the date and the load.
cd "$(dirname "$0")/../.."
. scripts/bench/summary.sh
BENCH_SUMMARY=$(mktemp)
export BENCH_SUMMARY
trap 'rm -f "$BENCH_SUMMARY"' EXIT
load0=$(cut -d' ' -f1-3 /proc/loadavg)
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
# This workplace pins OpenBLAS to its Haswell kernels for old builds' sake;
# 0.3.21 runs its AVX-512 kernels correctly here (make test passes with
# them), and PyTorch's oneDNN uses AVX-512 regardless, so both sides get them.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
LUNET=build/lunet
PY=/usr/bin/python3

machine="$(getconf _NPROCESSORS_ONLN) cores, $(grep -m1 'model name' /proc/cpuinfo |
  cut -d: -f2 | xargs)$(grep -qw avx512f /proc/cpuinfo && echo ', AVX-512' ||
  (grep -qw avx2 /proc/cpuinfo && echo ', AVX2'))"
echo "machine: $machine"
echo
echo "| step | lunet ms | PyTorch ms | speed-up (PyTorch / lunet) | goal |"
echo "|---|---|---|---|---|"
bench() {  # name, steps, goal, summary's description
  local l t
  l=$($LUNET scripts/bench/steps.lua "$1" "$2" | awk '{print $2}')
  t=$($PY scripts/bench/torch_steps.py "$1" "$2" | awk '{print $2}')
  awk -v n="$1" -v l="$l" -v t="$t" -v g="$3" \
    'BEGIN { printf "| %s | %.3f | %.3f | %.2fx | >= %sx |\n", n, l*1e3, t*1e3, t/l, g }'
  summary "$4" "$(awk -v l="$l" 'BEGIN { printf "%.3f ms", l * 1e3 }')" \
    "$(awk -v t="$t" 'BEGIN { printf "%.3f ms", t * 1e3 }')" \
    "$(awk -v l="$l" -v t="$t" 'BEGIN { if (l > 0) printf "%.2fx", t / l }')" ">= $3"
}
bench seed 500 8 "the tutorial's BN step, 1 thread"
bench gemm 20 1.1 "GEMM-bound MLP step (784-1024x3-10, BN), 1 thread"
for b in scripts/bench/*.sh; do
  case $b in scripts/bench/run.sh | scripts/bench/summary.sh) continue ;; esac
  echo; bash "$b"
done
echo
echo "## Summary: every ratio against PyTorch, one run"
echo
echo "machine: $machine; $(date -u '+%Y-%m-%d %H:%M UTC'); load at the start $load0," \
  "at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| benchmark | lunet | PyTorch (or baseline) | result | goal | |"
echo "|---|---|---|---|---|---|"
cat "$BENCH_SUMMARY"
