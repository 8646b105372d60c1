#!/bin/bash
# Data-parallel Fashion-MNIST MLP: one process against two ranks of mpirun
# (--dist: SyncBatchNorm, gradients averaged), the same global batch,
# interleaved runs, the median of each one's second-epoch time. Prints a
# table: epoch seconds, the speed-up, the communication per step (time in
# MPI, waiting for the other rank included) and the test accuracies.
cd "$(dirname "$0")/../.."
LUNET=${LUNET:-build/lunet}
if ! command -v mpirun >/dev/null || ! grep -q LN_HAVE_MPI build/config.mk; then
  echo "dist bench: lunet was built without MPI"; exit 0
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
ARGS="scripts/fashion_mnist.lua --limit ${DIST_LIMIT:-20000} --epochs 2 --val 0 --no-window
  --out ${TMPDIR:-/tmp}/lunet-dist-bench --batch-size ${DIST_BATCH:-256}"
REPS=${DIST_REPS:-3}
one=() two=() comm=() acc1="" acc2=""
for ((i = 0; i < REPS; i++)); do
  out=$($LUNET $ARGS 2>/dev/null)
  one+=("$(echo "$out" | awk '/^epoch 2\//{print $NF == "s" ? $(NF-1) : $NF}')")
  acc1=$(echo "$out" | awk '/^test accuracy/{print $3}')
  out=$(mpirun --oversubscribe -np 2 "$LUNET" $ARGS --dist 2>/dev/null)
  two+=("$(echo "$out" | awk '/^epoch 2\//{print $(NF-1)}')")
  comm+=("$(echo "$out" | awk '/^communication/{c=$2} END{print c}')")
  acc2=$(echo "$out" | awk '/^test accuracy/{print $3}')
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
m1=$(median "${one[@]}") m2=$(median "${two[@]}") mc=$(median "${comm[@]}")
echo "| Fashion-MNIST MLP, global batch ${DIST_BATCH:-256} | epoch s | speed-up |" \
  "comm ms/step | test acc |"
echo "|---|---|---|---|---|"
echo "| 1 process | $m1 | 1.00x | - | $acc1 |"
awk -v a="$m1" -v b="$m2" -v c="$mc" -v acc="$acc2" \
  'BEGIN { printf "| 2 ranks (--dist) | %s | %.2fx | %s | %s |\n", b, a / b, c, acc }'
echo "(runs: 1 process ${one[*]} s; 2 ranks ${two[*]} s; load $(cut -d' ' -f1-3 /proc/loadavg))"
. scripts/bench/summary.sh
summary "MPI: Fashion-MNIST MLP epoch, 2 ranks vs 1 process (--dist; comm $mc ms/step)" \
  "$m2 s" "$m1 s" "$(awk -v a="$m1" -v b="$m2" 'BEGIN { if (b > 0) printf "%.2fx", a / b }')" \
  ">= 1.7"
summary "MPI: test accuracy, 2 ranks minus 1 process ($acc2 vs $acc1)" "$acc2" "$acc1" \
  "$(awk -v a="$acc1" -v b="$acc2" 'BEGIN { d = b - a; printf "%.4f", d < 0 ? -d : d }')" \
  "<= 0.005"
