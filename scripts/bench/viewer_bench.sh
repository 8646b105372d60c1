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
echo "viewer: drawing"
"$B/bench/viewer_bench"
echo
echo "viewer: training"
train() {
  if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    "$B/lunet" scripts/bench/viewer_bench.lua 1000 5
  else
    xvfb-run -a -s "-screen 0 1280x900x24" "$B/lunet" scripts/bench/viewer_bench.lua 1000 5
  fi
}
train
# The goal that matters on a small machine: no free core for the window's
# thread, a second process spinning on the other one meanwhile.
echo "with a second process busy on the other core:"
( while :; do :; done ) &
spin=$!
train
kill "$spin"
