#!/bin/bash
# The reference CNN's training step (scripts/fashion_cnn.lua's net, batch 128,
# Adam, cross-entropy): lunet against PyTorch in the same run, at 1 and 2
# threads. Prints a markdown table with the speed-ups and the goals.
# usage: scripts/bench/cnn_step.sh      env: STEPS=20 BATCH=128
cd "$(dirname "$0")/../.." || exit 1
STEPS=${STEPS:-20}
BATCH=${BATCH:-128}
LUNET=${LUNET:-build/lunet}
PY=/usr/bin/python3

echo "CNN training step, batch $BATCH (best of 3 rounds of $STEPS steps)"
echo
echo "| threads | lunet ms | PyTorch ms | speed-up (PyTorch / lunet) | goal |"
echo "|---|---|---|---|---|"
declare -A l
for t in 1 2; do
  l[$t]=$(OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t \
    $LUNET scripts/bench/cnn_step.lua "$t" "$STEPS" "$BATCH" | awk '{print $3}')
  p=$(OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t \
    $PY scripts/bench/cnn_step_torch.py "$t" "$STEPS" "$BATCH" | awk '{print $3}')
  awk -v t="$t" -v l="${l[$t]}" -v p="$p" 'BEGIN {
    if (l > 0 && p > 0) printf "| %d | %.1f | %.1f | %.2fx | >= 1.5x |\n", t, l*1e3, p*1e3, p/l
    else printf "| %d | %s | %s | - | >= 1.5x |\n", t, l, p }'
done
awk -v a="${l[1]}" -v b="${l[2]}" 'BEGIN {
  if (a > 0 && b > 0) printf "\nlunet 2 threads vs 1: %.2fx (goal >= 1.6x)\n", a / b }'
