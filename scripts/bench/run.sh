#!/bin/bash
# make bench: every benchmark, lunet against PyTorch in the same run, one
# thread each. Prints the tables the README quotes.
cd "$(dirname "$0")/../.."
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
# This workplace pins OpenBLAS to its Haswell kernels for old builds' sake;
# 0.3.21 runs its AVX-512 kernels correctly here (make test passes with
# them), and PyTorch's oneDNN uses AVX-512 regardless, so both sides get them.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
LUNET=build/lunet
PY=/usr/bin/python3

echo "machine: $(getconf _NPROCESSORS_ONLN) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
echo "| step | lunet ms | PyTorch ms | speed-up (PyTorch / lunet) | goal |"
echo "|---|---|---|---|---|"
bench() {  # name, steps, goal
  local l t
  l=$($LUNET scripts/bench/steps.lua "$1" "$2" | awk '{print $2}')
  t=$($PY scripts/bench/torch_steps.py "$1" "$2" | awk '{print $2}')
  awk -v n="$1" -v l="$l" -v t="$t" -v g="$3" \
    'BEGIN { printf "| %s | %.3f | %.3f | %.2fx | >= %sx |\n", n, l*1e3, t*1e3, t/l, g }'
}
bench seed 500 8
bench gemm 20 1.0
for b in scripts/bench/*.sh; do
  [ "$b" = scripts/bench/run.sh ] && continue
  echo; bash "$b"
done
