#!/bin/bash
# Convolution forward and backward: lunet's kernels against PyTorch's, in the
# same run, shape by shape (each shape's lunet and PyTorch timings are taken
# one right after the other, so both see the same machine).
#
# usage: [RUNS=n] scripts/bench/conv_bench.sh [THREADS...]   (default: 1 and 2 threads, 1 run)
# With RUNS > 1 every pair of timings is taken that many times and each cell
# of the table is the fastest: on a shared machine, the least disturbed.
# Needs `make` first (it links the convolution's objects from build/core/)
# and /usr/bin/python3 with python3-torch. With libdnnl-dev installed the
# oneDNN candidate (conv_dnnl.c) is timed too, in its blocked ("any") and
# plain layouts. The reference net's max pooling is timed after the shapes.
# Prints one table row per shape and thread count: forward, backward-data
# (the input gradient) and backward-weight (weight and bias gradients) ms;
# "speed-up" is PyTorch's time over lunet's (above 1: lunet is faster).
set -e
cd "$(dirname "$0")/../.."
B=${B:-build}
threads=${*:-1 2}
out=$B/bench/conv_bench
mkdir -p "$B/bench"
flags="-O3 -march=native -std=c99 -fno-math-errno -fopenmp-simd -D_POSIX_C_SOURCE=200809L"
flags="$flags -D_DEFAULT_SOURCE $(pkg-config --cflags openblas) -Icore -Iscripts/bench"
# MPI's libraries when the core was built with it (build/config.mk's MPI_LIBS)
mpi=$(sed -n 's/^MPI_LIBS = //p' "$B/config.mk" 2>/dev/null)
libs="$(pkg-config --libs openblas) -lz $mpi -lpthread -lm"
# the core's objects (it has no main), those of its current sources only
objs=$(for c in core/*.c; do f=$(basename "$c" .c); echo "$B/core/$f.o"; done)
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
# Columns per implementation: forward, backward-data (backward less
# backward-weight: the input gradient's share; "-" for a first layer and
# for pooling, whose backward is all input gradient), backward-weight.
awk '
  function keep(arr, k, v) { if (v != "-" && (!(k in arr) || v + 0 < arr[k])) arr[k] = v + 0 }
  function cell(k, impl,   d) {
    if (!((k, impl) in f)) return sprintf("%20s", "-")
    d = ((k, impl) in w) ? b[k, impl] - w[k, impl] : b[k, impl]
    if ((k, impl) in w && d < 0.005) d = 0
    return sprintf("%6.2f %6.2f %6s", f[k, impl], d,
                   ((k, impl) in w) ? sprintf("%6.2f", w[k, impl]) : "-")
  }
  function ratio(t, l) { return l > 0 && t > 0 ? sprintf("%5.2fx", t / l) : "    -" }
  { key = $1 " " $2
    keep(f, key SUBSEP $3, $4); keep(b, key SUBSEP $3, $5); keep(w, key SUBSEP $3, $6)
    if (!(key in seen)) { seen[key] = 1; order[n++] = key } }
  END {
    printf "%-16s %3s %20s %20s %20s %20s   %s\n", "shape", "thr", "lunet f/bd/bw ms",
      "torch f/bd/bw ms", "dnnl_any f/bd/bw", "dnnl_nchw f/bd/bw", "speed-up f / bd / bw"
    for (i = 0; i < n; i++) {
      k = order[i]; split(k, kk, " ")
      ld = b[k, "lunet"] - (((k, "lunet") in w) ? w[k, "lunet"] : 0)
      td = b[k, "torch"] - (((k, "torch") in w) ? w[k, "torch"] : 0)
      bd = ((k, "lunet") in w) && ld > 0.005 ? ratio(td, ld) : "    -"
      if (!((k, "lunet") in w)) bd = ratio(b[k, "torch"], b[k, "lunet"])
      printf "%-16s %3s %s %s %s %s   %s / %s / %s\n", kk[1], kk[2], cell(k, "lunet"),
        cell(k, "torch"), cell(k, "dnnl_any"), cell(k, "dnnl_nchw"),
        ratio(f[k, "torch"], f[k, "lunet"]), bd,
        ((k, "lunet") in w) ? ratio(w[k, "torch"], w[k, "lunet"]) : "    -"
    }
  }' "$raw"
