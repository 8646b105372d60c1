#!/bin/bash
# Fashion-MNIST: lunet against PyTorch on the same MLP (784-256-128-10, BN +
# ReLU, Adam, cosine schedule), same epochs and batch size, in the same run.
# lunet runs with one BLAS thread and with two; PyTorch with one. Prints a
# markdown table: training time per epoch, final test accuracy, speed-up over
# PyTorch, peak RSS. Logs go to $OUT (default out/bench).
# usage: scripts/bench/fashion_mnist.sh      env: EPOCHS=10 BATCH=128 LIMIT=0
#        LUNET_CMD="build/lunet" (the command that runs a lunet script)
cd "$(dirname "$0")/../.." || exit 1
EPOCHS=${EPOCHS:-10}
BATCH=${BATCH:-128}
LIMIT=${LIMIT:-0}
OUT=${OUT:-out/bench}
LUNET_CMD=${LUNET_CMD:-build/lunet}
PY=/usr/bin/python3
mkdir -p "$OUT"

if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  echo "Fashion-MNIST benchmark skipped: sudo apt-get install dataset-fashion-mnist"
  exit 0
fi

# Runs a command with its stdout in $1.log and its peak RSS (kB) in $1.rss:
# /usr/bin/time -v when there, else getrusage of the child from Python.
measure() {
  local base=$1; shift
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -v -o "$base.time" "$@" >"$base.log" 2>"$base.err"
    local rc=$?
    awk -F': ' '/Maximum resident set size/ {print $2}' "$base.time" >"$base.rss"
    return $rc
  fi
  $PY -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)' "$base.rss" "$@" >"$base.log" 2>"$base.err"
}

common="--epochs $EPOCHS --batch-size $BATCH --limit $LIMIT"
# name | threads | command
runs=(
  "lunet BN|1|$LUNET_CMD scripts/fashion_mnist.lua $common --no-window --out $OUT"
  "lunet BN|2|$LUNET_CMD scripts/fashion_mnist.lua $common --no-window --out $OUT"
  "PyTorch BN|1|$PY scripts/bench/fashion_mnist_torch.py $common"
  "lunet no BN|1|$LUNET_CMD scripts/fashion_mnist.lua $common --no-bn --no-window --out $OUT"
  "PyTorch no BN|1|$PY scripts/bench/fashion_mnist_torch.py $common --no-bn"
)

declare -A time acc rss
i=0
for r in "${runs[@]}"; do
  IFS='|' read -r name threads cmd <<<"$r"
  base="$OUT/fmnist_$i"
  # shellcheck disable=SC2086  # cmd is a word list on purpose
  if OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads measure "$base" $cmd; then
    time[$i]=$(awk '/^epoch .* time / {s += $(NF-1); n++} END {if (n) printf "%.3f", s / n}' \
      "$base.log")
    acc[$i]=$(awk -F': ' '/^test accuracy: / {a = $2} END {print a}' "$base.log")
  else
    echo "$name ($threads thread(s)) failed; see $base.log and $base.err" >&2
    time[$i]=""; acc[$i]=""; rm -f "$base.rss"
  fi
  rss[$i]=$(awk '{printf "%.0f", $1 / 1024}' "$base.rss" 2>/dev/null)
  i=$((i + 1))
done

subset=""; [ "$LIMIT" != 0 ] && subset=", first $LIMIT training examples"
echo "Fashion-MNIST, $EPOCHS epochs, batch $BATCH$subset"
echo
echo "| run | threads | time/epoch (s) | speed-up vs PyTorch | test accuracy | peak RSS (MB) |"
echo "|---|---|---|---|---|---|"
i=0
for r in "${runs[@]}"; do
  IFS='|' read -r name threads _ <<<"$r"
  ref=2; [[ $name == *"no BN" ]] && ref=4   # the PyTorch run of the same network
  ratio=$(awk -v t="${time[$ref]}" -v l="${time[$i]}" \
    'BEGIN { if (t > 0 && l > 0) printf "%.2fx", t / l; else print "-" }')
  echo "| $name | $threads | ${time[$i]:-failed} | $ratio | ${acc[$i]:--} | ${rss[$i]:--} |"
  i=$((i + 1))
done
echo "| published baseline: MLPClassifier 256-128-100 (Fashion-MNIST README) | | | | 0.883 | |"
echo
goal() {  # description, awk condition on a b
  awk -v a="$2" -v b="$3" "BEGIN { exit !(a != \"\" && b != \"\" && ($4)) }" \
    && echo "goal met: $1" || echo "goal NOT met: $1"
}
goal "BN test accuracy >= 0.89 (${acc[0]})" "${acc[0]}" 0 "a >= 0.89"
ratio() {  # b / a as "1.85x", or "-"
  awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2fx", b / a; else print "-" }'
}
r1=$(ratio "${time[0]}" "${time[2]}")
r2=$(ratio "${time[1]}" "${time[0]}")
goal "lunet 1 thread >= 1.8x faster than PyTorch ($r1: ${time[0]} s vs ${time[2]} s)" \
  "${time[0]}" "${time[2]}" "a > 0 && b / a >= 1.8"
goal "lunet 2 threads >= 1.7x faster than 1 ($r2: ${time[1]} s vs ${time[0]} s)" \
  "${time[1]}" "${time[0]}" "a > 0 && b / a >= 1.7"
goal "lunet peak RSS < 200 MB (${rss[0]} MB)" "${rss[0]}" 0 "a < 200"
. scripts/bench/summary.sh
summary "Fashion-MNIST MLP epoch (784-256-128-10, BN, batch 128), 1 thread" \
  "${time[0]} s" "${time[2]} s" "$r1" ">= 1.8"
summary "Fashion-MNIST MLP epoch, lunet 2 threads vs PyTorch 1 thread" \
  "${time[1]} s" "${time[2]} s" "$(ratio "${time[1]}" "${time[2]}")" ""
summary "Fashion-MNIST MLP epoch, lunet 2 threads vs 1 thread" \
  "${time[1]} s" "${time[0]} s" "$r2" ">= 1.7"
summary "Fashion-MNIST MLP epoch without BN, 1 thread" \
  "${time[3]} s" "${time[4]} s" "$(ratio "${time[3]}" "${time[4]}")" ""
