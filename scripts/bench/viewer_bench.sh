#!/bin/bash
# The viewer's two benchmarks (issue 3): the cost of a board and an open
# window to training, and the time of one redraw of a big board.
cd "$(dirname "$0")/../.."
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
B=${B:-build}
mkdir -p "$B/bench"
cc -O3 -march=native -std=c99 -Wall -Wextra -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
  $(pkg-config --cflags sdl2 SDL2_ttf) -Iviewer -o "$B/bench/viewer_bench" \
  scripts/bench/viewer_bench.c "$B"/viewer/*.o "$B"/core/file.o "$B"/core/base.o \
  $(pkg-config --libs sdl2 SDL2_ttf SDL2_image zlib) -lpthread -lm || exit 1
. scripts/bench/summary.sh
echo "viewer: drawing"
draw=$("$B/bench/viewer_bench") || exit 1
echo "$draw"
ms=$(echo "$draw" | awk '/^redraw 1280x800, bars:/ {print $4}')
summary "viewer: one redraw, 1280x800, 16 tags x 100 histograms + 4 x 1M points" \
  "$ms ms" "-" "$ms ms" "<= 16"
echo
echo "viewer: training"
train() {  # summary's description
  local out
  if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    out=$("$B/lunet" scripts/bench/viewer_bench.lua 1000 5)
  else
    out=$(xvfb-run -a -s "-screen 0 1280x900x24" "$B/lunet" scripts/bench/viewer_bench.lua 1000 5)
  fi
  echo "$out"
  summary "$1" "$(echo "$out" | awk '/board \+ open window/ {print $5 " s"}')" \
    "$(echo "$out" | awk '/no board/ {print $3 " s"}')" \
    "$(echo "$out" | awk -F'[(,]' '/board \+ open window/ {print $2}')" "<= 5"
}
train "viewer: training cost of a board + open window (the tutorial's step; vs no board)"
# The goal that matters on a small machine: no free core for the window's
# thread, a second process spinning on the other one meanwhile.
echo "with a second process busy on the other core:"
( while :; do :; done ) &
spin=$!
train "viewer: the same, a second process spinning on the other core"
kill "$spin"
