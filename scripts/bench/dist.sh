#!/bin/bash
# Data-parallel Fashion-MNIST MLP: one process against two ranks of mpirun
# (--dist: SyncBatchNorm, gradients averaged), the same global batch,
# interleaved runs, the median of each one's second-epoch time. Prints a
# table: epoch seconds, the speed-up, the communication per step (time in
# MPI, waiting for the other rank included), the CPU time per step of each
# process (of each rank, with the part spent in MPI) and the test
# accuracies; then the gradient sum alone between ranks in step
# (scripts/bench/dist_sum.lua) and every run's figures with the load.
# CPU times move less than clock times when other work shares the cores:
# one process's CPU time over a rank's, outside MPI, bounds the speed-up.
# env: DIST_LIMIT=20000 DIST_BATCH=256 DIST_REPS=5
cd "$(dirname "$0")/../.."
LUNET=${LUNET:-build/lunet}
if ! command -v mpirun >/dev/null || ! grep -q LN_HAVE_MPI build/config.mk; then
  echo "dist bench: lunet was built without MPI"; exit 0
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
ARGS="scripts/fashion_mnist.lua --limit ${DIST_LIMIT:-20000} --epochs 2 --val 0 --no-window
  --out ${TMPDIR:-/tmp}/lunet-dist-bench --batch-size ${DIST_BATCH:-256}"
REPS=${DIST_REPS:-5}
one=() two=() comm=() cpu1=() cpu2=() mpi2=() runs=() acc1="" acc2=""
# The second epoch's line of a run's output ($1): the field after "time".
epoch2() {
  echo "$1" | awk '/^epoch 2\//{for (i = 1; i < NF; i++) if ($i == "time") print $(i+1)}'
}
# The second epoch's "cpu ms a step:" line, without its label.
cpu2nd() {
  echo "$1" | awk '/^cpu ms a step:/{n++; if (n == 2) {sub(/^cpu ms a step: /, ""); print}}'
}
for ((i = 0; i < REPS; i++)); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  out=$($LUNET $ARGS 2>/dev/null)
  one+=("$(epoch2 "$out")") cpu1+=("$(cpu2nd "$out")")
  acc1=$(echo "$out" | awk '/^test accuracy/{print $3}')
  out=$(mpirun --oversubscribe -np 2 "$LUNET" $ARGS --dist 2>/dev/null)
  two+=("$(epoch2 "$out")")
  comm+=("$(echo "$out" | awk '/^communication/{c=$2} END{print c}')")
  c=$(cpu2nd "$out")  # "a b (in MPI c d)"
  cpu2+=("$(echo "$c" | awk '{print ($1 > $2 ? $1 : $2)}')")
  mpi2+=("$(echo "$c" | tr -d '()' | awk '{print ($5 > $6 ? $5 : $6)}')")
  acc2=$(echo "$out" | awk '/^test accuracy/{print $3}')
  run="load $load: 1 process ${one[i]} s (cpu ${cpu1[i]} ms/step), 2 ranks ${two[i]} s"
  runs+=("$run (cpu $c ms/step, comm ${comm[i]} ms/step)")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
m1=$(median "${one[@]}") m2=$(median "${two[@]}") mc=$(median "${comm[@]}")
c1=$(median "${cpu1[@]}") c2=$(median "${cpu2[@]}") cm=$(median "${mpi2[@]}")
echo "| Fashion-MNIST MLP, global batch ${DIST_BATCH:-256} | epoch s | speed-up |" \
  "comm ms/step | CPU ms/step (in MPI) | test acc |"
echo "|---|---|---|---|---|---|"
echo "| 1 process | $m1 | 1.00x | - | $c1 | $acc1 |"
awk -v a="$m1" -v b="$m2" -v c="$mc" -v acc="$acc2" -v p="$c2" -v q="$cm" \
  'BEGIN { printf "| 2 ranks (--dist) | %s | %.2fx | %s | %s (%s) | %s |\n",
           b, a / b, c, p, q, acc }'
awk -v a="$c1" -v p="$c2" -v q="$cm" 'BEGIN { printf "CPU time: one process over the " \
  "busier rank %.2fx, over its time outside MPI %.2fx\n", a / p, a / (p - q) }'
mpirun --oversubscribe -np 2 "$LUNET" scripts/bench/dist_sum.lua 2>/dev/null
printf '%s\n' "${runs[@]}"
echo "(load now $(cut -d' ' -f1-3 /proc/loadavg))"
. scripts/bench/summary.sh
summary "MPI: Fashion-MNIST MLP epoch, 2 ranks vs 1 process (--dist; comm $mc ms/step)" \
  "$m2 s" "$m1 s" "$(awk -v a="$m1" -v b="$m2" 'BEGIN { if (b > 0) printf "%.2fx", a / b }')" \
  ">= 1.7"
summary "MPI: test accuracy, 2 ranks minus 1 process ($acc2 vs $acc1)" "$acc2" "$acc1" \
  "$(awk -v a="$acc1" -v b="$acc2" 'BEGIN { d = b - a; printf "%.4f", d < 0 ? -d : d }')" \
  "<= 0.005"
