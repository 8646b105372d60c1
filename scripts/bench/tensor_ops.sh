#!/bin/bash
# Tensor operations: lunet against PyTorch in the same run, one thread each
# (elementwise, reductions, matrix products on 1e6-element and 1024x1024
# inputs). Each side runs twice, alternating, and keeps its best time, so a
# burst of load on a shared machine does not decide a ratio. Prints a
# markdown table; goals: elementwise and reductions at least as fast as
# PyTorch, mm within 10% of it.
# usage: scripts/bench/tensor_ops.sh     (make bench runs it)
cd "$(dirname "$0")/../.." || exit 1
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
LUNET=${LUNET:-build/lunet}
PY=/usr/bin/python3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for round in 1 2; do
  $LUNET scripts/bench/tensor_ops.lua >"$dir/l$round" || exit 1
  $PY scripts/bench/torch_tensor_ops.py >"$dir/t$round" || exit 1
done
echo "| tensor operation | lunet ms | PyTorch ms | speed-up (PyTorch / lunet) | goal |"
echo "|---|---|---|---|---|"
paste "$dir/l1" "$dir/l2" "$dir/t1" "$dir/t2" |
  awk 'function min(a, b) { return a < b ? a : b }
       { name = $1; gsub("_", " ", name); goal = name ~ /^mm/ ? ">= 0.9x" : ">= 1.0x"
         t = min($6, $8)
         if ($2 == "n/a") { printf "| %s | n/a | %.3f | - | %s |\n", name, t * 1e3, goal; next }
         l = min($2, $4)
         printf "| %s | %.3f | %.3f | %.2fx | %s |\n", name, l * 1e3, t * 1e3, t / l, goal }'
