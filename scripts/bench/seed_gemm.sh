#!/bin/bash
# The seed step's GEMMs alone (seed_gemm.c): the floor under the seed step's
# time, call by call, at OpenBLAS's speed on this machine, against PyTorch's
# whole seed step in the same run: the best speed-up the seed step could
# reach if everything but its GEMMs took no time. Needs OpenBLAS's headers
# (libopenblas-dev) and /usr/bin/python3 with python3-torch.
set -e
cd "$(dirname "$0")/../.."
B=${B:-build}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
mkdir -p "$B/bench"
flags="-O3 -march=native -std=c99 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE"
flags="$flags $(pkg-config --cflags openblas)"
cc $flags -o "$B/bench/seed_gemm" scripts/bench/seed_gemm.c $(pkg-config --libs openblas)
out=$("$B/bench/seed_gemm")
echo "$out" | grep -v '^seed_gemm_floor_ms'
floor=$(echo "$out" | awk '/^seed_gemm_floor_ms/ {print $2}')
torch=$(/usr/bin/python3 scripts/bench/torch_steps.py seed 500 | awk '{print $2 * 1e3}')
awk -v f="$floor" -v t="$torch" 'BEGIN {
  printf "seed step: GEMMs alone %.3f ms, PyTorch step %.3f ms: at most %.2fx", f, t, t / f
  printf " (8x needs the whole step in %.3f ms)\n", t / 8 }'
. scripts/bench/summary.sh
summary "the tutorial's BN step: its GEMMs alone (OpenBLAS), the ceiling under 8x" \
  "$floor ms" "$torch ms" "$(awk -v f="$floor" -v t="$torch" 'BEGIN { printf "%.2fx", t / f }')" ""
