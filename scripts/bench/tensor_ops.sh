#!/bin/bash
# Tensor operations: lunet against PyTorch in the same run, one thread each
# (elementwise, reductions, matrix products on 1e6-element and 1024x1024
# inputs). The two sides run ROUNDS times (default 5), alternating, each
# round keeping an operation's best of 5 timed trials; the table gives each
# side's median over the rounds, the speed-up of the medians, and the range
# of the rounds' own speed-ups, which says how noisy the machine was.
# Goals: elementwise and reductions at least as fast as PyTorch, mm within
# 10% of it.
# usage: [ROUNDS=n] scripts/bench/tensor_ops.sh     (make bench runs it)
cd "$(dirname "$0")/../.." || exit 1
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
LUNET=${LUNET:-build/lunet}
PY=/usr/bin/python3
ROUNDS=${ROUNDS:-5}
. scripts/bench/summary.sh
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for round in $(seq "$ROUNDS"); do
  $LUNET scripts/bench/tensor_ops.lua >"$dir/l$round" || exit 1
  $PY scripts/bench/torch_tensor_ops.py >"$dir/t$round" || exit 1
done
echo "| tensor operation | lunet ms | PyTorch ms | speed-up (PyTorch / lunet) |" \
  "rounds' range | goal |"
echo "|---|---|---|---|---|---|"
# one line per operation: name, then lunet's times, then PyTorch's
for round in $(seq "$ROUNDS"); do paste "$dir/l$round" "$dir/t$round"; done |
  awk -v r="$ROUNDS" -v rows="$dir/rows" '
    function median(a, n,   i, j, t) {
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
        t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { if (!($1 in seen)) { seen[$1] = 1; order[++ops] = $1 }
      k = ++count[$1]; l[$1, k] = $2; t[$1, k] = $4 }
    END {
      for (o = 1; o <= ops; o++) {
        name = order[o]; shown = name; gsub("_", " ", shown)
        goal = shown ~ /^mm/ ? ">= 0.9x" : ">= 1.0x"
        n = count[name]; lo = 1e30; hi = 0
        for (k = 1; k <= n; k++) {
          lt[k] = l[name, k]; tt[k] = t[name, k]
          if (lt[k] != "n/a") { q = tt[k] / lt[k]; lo = q < lo ? q : lo; hi = q > hi ? q : hi }
        }
        tm = median(tt, n)
        if (l[name, 1] == "n/a") {
          printf "| %s | n/a | %.3f | - | - | %s |\n", shown, tm * 1e3, goal
          continue
        }
        lm = median(lt, n)
        printf "| %s | %.3f | %.3f | %.2fx | %.2f-%.2fx | %s |\n", shown, lm * 1e3, tm * 1e3,
               tm / lm, lo, hi, goal
        printf "tensor %s, 1 thread|%.3f ms|%.3f ms|%.2fx|%s\n", shown, lm * 1e3, tm * 1e3,
               tm / lm, substr(goal, 1, length(goal) - 1) >rows
      }
      printf "\n%d alternating rounds; machine load at the end: %s\n", r, load
    }' load="$(cut -d' ' -f1-3 /proc/loadavg)"
while IFS='|' read -r what l t q goal; do summary "$what" "$l" "$t" "$q" "$goal"; done \
  <"$dir/rows"
