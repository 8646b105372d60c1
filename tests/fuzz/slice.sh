#!/bin/bash
# The fixed slice of the API fuzzer that `make test` and `make asan` run (a
# few seconds): three seeds of 300 calls on the build under test ($LUNET).
# `make fuzz SEEDS=... CALLS=...` runs it at length; see docs/architecture.md.
cd "$(dirname "$0")/../.." || exit 1
B=${B:-build}
FUZZ_OUT=${FUZZ_OUT:-$PWD/$B/fuzz-slice} exec tests/fuzz/fuzz.bash "1 2 3" 300
