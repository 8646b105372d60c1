#!/bin/bash
# Convolution forward and backward: lunet's kernels against PyTorch's, in the
# same run, shape by shape (each shape's lunet and PyTorch timings are taken
# one right after the other, so both see the same machine).
#
# usage: [RUNS=n] scripts/bench/conv_bench.sh [THREADS...]   (default: 1 thread, 1 run)
# With RUNS > 1 every pair of timings is taken that many times and each cell
# of the table is the fastest: on a shared machine, the least disturbed.
# Needs `make` first (it links the convolution's objects from build/core/)
# and /usr/bin/python3 with python3-torch. With libdnnl-dev installed the
# oneDNN candidate (conv_dnnl.c) is timed too, in its blocked ("any") and
# plain layouts. The reference net's max pooling is timed after the shapes.
# Prints one table row per shape and thread count; "speed-up" is PyTorch's
# time over lunet's (above 1: lunet is faster).
set -e
cd "$(dirname "$0")/../.."
B=${B:-build}
threads=${*:-1}
out=$B/bench/conv_bench
mkdir -p "$B/bench"
flags="-O3 -march=native -std=c99 -fno-math-errno -fopenmp-simd -D_POSIX_C_SOURCE=200809L"
flags="$flags -D_DEFAULT_SOURCE $(pkg-config --cflags openblas) -Icore -Iscripts/bench"
libs="$(pkg-config --libs openblas) -lz -lpthread -lm"
objs="$(ls "$B"/core/*.o)"  # the core's objects (it has no main)
if [ -f /usr/include/oneapi/dnnl/dnnl.h ]; then
  cc $flags -DWITH_DNNL -fopenmp -o "$out" scripts/bench/conv_bench.c \
    scripts/bench/conv_dnnl.c $objs $libs -ldnnl
else
  cc $flags -o "$out" scripts/bench/conv_bench.c $objs $libs
fi
shapes="ref_conv1 ref_conv2 3x3_64x56x56 1x1_256x14x14 dw3x3_128x28x28 maxpool_ref1 maxpool_ref2"
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
for r in $(seq "${RUNS:-1}"); do
  for t in $threads; do
    for s in $shapes; do
      "$out" "$t" "$s" >>"$raw"
      /usr/bin/python3 scripts/bench/torch_conv.py "$t" "$s" >>"$raw"
    done
  done
done
awk '
  { key = $1 " " $2
    if (!((key, $3) in f) || $4 < f[key, $3]) f[key, $3] = $4
    if (!((key, $3) in b) || $5 < b[key, $3]) b[key, $3] = $5
    if (!(key in seen)) { seen[key] = 1; order[n++] = key } }
  END {
    printf "%-16s %3s %17s %17s %17s %17s %15s\n", "shape", "thr", "lunet fwd/bwd ms",
      "torch fwd/bwd ms", "dnnl_any fwd/bwd", "dnnl_nchw fwd/bwd", "speed-up f/b"
    for (i = 0; i < n; i++) {
      k = order[i]; split(k, kk, " ")
      da = dn = "-"
      if ((k, "dnnl_any") in f) da = sprintf("%8.2f %8.2f", f[k, "dnnl_any"], b[k, "dnnl_any"])
      if ((k, "dnnl_nchw") in f) dn = sprintf("%8.2f %8.2f", f[k, "dnnl_nchw"], b[k, "dnnl_nchw"])
      printf "%-16s %3s %8.2f %8.2f %8.2f %8.2f %17s %17s %6.2fx %6.2fx\n", kk[1], kk[2],
        f[k, "lunet"], b[k, "lunet"], f[k, "torch"], b[k, "torch"], da, dn,
        f[k, "torch"] / f[k, "lunet"], b[k, "torch"] / b[k, "lunet"]
    }
  }' "$raw"
