#!/bin/bash
# The seed step's GEMMs alone (seed_gemm.c): the floor under the seed step's
# time, call by call, at OpenBLAS's speed on this machine. Needs OpenBLAS's
# headers (libopenblas-dev).
set -e
cd "$(dirname "$0")/../.."
B=${B:-build}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
mkdir -p "$B/bench"
flags="-O3 -march=native -std=c99 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE"
flags="$flags $(pkg-config --cflags openblas)"
cc $flags -o "$B/bench/seed_gemm" scripts/bench/seed_gemm.c \
  $(pkg-config --libs openblas)
"$B/bench/seed_gemm"
