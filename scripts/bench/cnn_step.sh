#!/bin/bash
# The reference CNN's training step (scripts/fashion_cnn.lua's net, batch 128,
# Adam, cross-entropy): lunet against PyTorch in the same run, at 1 and 2
# threads. Prints a markdown table with the speed-ups and the goals.
# usage: scripts/bench/cnn_step.sh      env: STEPS=20 BATCH=128 ROUNDS=3
# Each round times lunet and PyTorch at 1 thread, then at 2, one right after
# the other (interleaved, so both see the same machine); each timing is the
# best of 3 runs of STEPS steps. The table gives the median over the rounds
# and, for the ratios, the median with the range [lowest, highest] of the
# rounds' own ratios: how noisy the machine was. A second table takes the
# fastest single step of each timing instead (the step most likely to have
# had its cores to itself on a shared machine).
cd "$(dirname "$0")/../.." || exit 1
STEPS=${STEPS:-20}
BATCH=${BATCH:-128}
ROUNDS=${ROUNDS:-3}
LUNET=${LUNET:-build/lunet}
PY=/usr/bin/python3

. scripts/bench/summary.sh
raw=$(mktemp) rows=$(mktemp)
trap 'rm -f "$raw" "$rows"' EXIT
for r in $(seq "$ROUNDS"); do
  for t in 1 2; do
    l=$(OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t \
      $LUNET scripts/bench/cnn_step.lua "$t" "$STEPS" "$BATCH" | awk '{print $3, $4}')
    p=$(OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t \
      $PY scripts/bench/cnn_step_torch.py "$t" "$STEPS" "$BATCH" | awk '{print $3, $4}')
    echo "$r $t ${l:-0 0} ${p:-0 0}" >>"$raw"
  done
done
echo "CNN training step, batch $BATCH ($ROUNDS interleaved rounds of $STEPS-step runs; medians,"
echo "ratio ranges over the rounds in brackets)"
echo
awk -v rounds="$ROUNDS" -v rows="$rows" '
  function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) {
      t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
  }
  function range(a, n,   i, lo, hi) {
    lo = hi = a[1]
    for (i = 2; i <= n; i++) { if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i] }
    return sprintf("[%.2f-%.2f]", lo, hi)
  }
  { l[$1, $2] = $3 + 0; p[$1, $2] = $5 + 0; l1[$1, $2] = $4 + 0; p1[$1, $2] = $6 + 0 }
  function table(l, p, what,   t, r, a, b, q, rg) {
    print what
    print ""
    print "| threads | lunet ms | PyTorch ms | speed-up (PyTorch / lunet) | goal |"
    print "|---|---|---|---|---|"
    for (t = 1; t <= 2; t++) {
      for (r = 1; r <= rounds; r++) {
        a[r] = l[r, t]; b[r] = p[r, t]; q[r] = l[r, t] > 0 ? p[r, t] / l[r, t] : 0
      }
      rg = range(q, rounds)
      printf "| %d | %.1f | %.1f | %.2fx %s | >= 1.5x |\n", t, median(a, rounds) * 1e3,
        median(b, rounds) * 1e3, median(q, rounds), rg
      if (what ~ /^Per step/)  # the summary row: WHAT, LUNET, REFERENCE, RESULT, GOAL
        printf "CNN step (Fashion-MNIST CNN, batch 128), %d thread%s|%.1f ms|%.1f ms|" \
          "%.2fx|>= 1.5\n", t, (t > 1 ? "s" : ""), median(a, rounds) * 1e3,
          median(b, rounds) * 1e3, median(q, rounds) >rows
    }
    for (r = 1; r <= rounds; r++) q[r] = l[r, 2] > 0 ? l[r, 1] / l[r, 2] : 0
    rg = range(q, rounds)
    printf "\nlunet 2 threads vs 1: %.2fx %s (goal >= 1.6x)\n\n", median(q, rounds), rg
    if (what ~ /^Per step/)
      printf "CNN step, lunet 2 threads vs 1 thread|||%.2fx|>= 1.6\n", median(q, rounds) >rows
  }
  END {
    table(l, p, "Per step, best of 3 runs:")
    table(l1, p1, "Fastest single step:")
  }' "$raw"
while IFS='|' read -r what l r q goal; do summary "$what" "$l" "$r" "$q" "$goal"; done <"$rows"
