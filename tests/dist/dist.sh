#!/bin/bash
# lunet.dist under mpirun: the collectives, SyncBatchNorm, DataParallel and
# sharded batches on 2 and 3 processes (--oversubscribe: this machine may
# have fewer cores) and in a single process without mpirun; then a rank that
# fails mid-loop, by an error or killed, must end the job within 10 s.
# Skipped only when lunet was built without MPI or mpirun is missing
# (tools/deps.sh installs Open MPI, so on a machine set up by make, never).
cd "$(dirname "$0")/../.." || exit 1
LUNET=${LUNET:-build/lunet}
passed=0 failed=0
ok()   { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }
check() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }

if ! command -v mpirun >/dev/null ||
   ! grep -q LN_HAVE_MPI "$(dirname "$LUNET")/config.mk" 2>/dev/null; then
  echo "SKIP: lunet was built without MPI or mpirun is missing (tools/deps.sh build)"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
fi
# mpirun refuses root unless told twice; containers run as root.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Open MPI's own allocations are still held at exit: leaks are checked by
# the other runners, not by this one.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Runs a test script ($2, its arguments after) on $1 processes (1: without
# mpirun), counting its "ok:" and "FAIL:" lines; a non-zero exit without a
# FAIL line is a failure.
run() {
  local np=$1 script=$2 log="$tmp/out" rc
  shift 2
  if [ "$np" = 1 ]; then
    timeout 120 "$LUNET" "tests/dist/$script.lua" "$@" >"$log" 2>&1
  else
    timeout 120 mpirun --oversubscribe -np "$np" "$LUNET" "tests/dist/$script.lua" "$@" \
      >"$log" 2>&1
  fi
  rc=$?
  local p f
  p=$(grep -c '^ok: ' "$log") f=$(grep -c '^FAIL: ' "$log")
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then failed=$((failed + 1)); fi
  if [ "$rc" != 0 ] || [ "$f" != 0 ]; then
    echo "FAIL: $script on $np: exit $rc"; grep -v '^ok: ' "$log" | tail -n 30
  else
    echo "ok: $script on $np process(es): $p checks, $(grep 'largest relative' "$log")"
  fi
}

for np in 1 2 3; do
  for script in collectives syncbn ddp shard buckets; do run "$np" "$script"; done
done

# Gradients over two buckets, summed through shared memory and with
# MPI_Allreduce (LUNET_DIST_SHM=0): the same sums.
for np in 2 3; do
  LUNET_DIST_SHM=0 run "$np" buckets save "$tmp/sums$np.lnet"
  run "$np" buckets check "$tmp/sums$np.lnet"
done

# A checkpoint taken on 2 ranks resumes on 3, on 1 and on 2; one taken in a
# single process resumes on 3.
run 2 resume save "$tmp/ck2.lnet"
for np in 3 1 2; do run "$np" resume resume "$tmp/ck2.lnet"; done
run 1 resume save "$tmp/ck1.lnet"
run 3 resume resume "$tmp/ck1.lnet"

# The core's data-parallel step allocates nothing once warm, on 2 ranks
# (tests/core/test_dist_alloc.c; tests/run.sh runs it alone too).
alloc="$(dirname "$LUNET")/tests/test_dist_alloc"
timeout 60 mpirun --oversubscribe -np 2 "$alloc" >"$tmp/alloc.log" 2>&1
rc=$?
check "a steady DataParallel step with SyncBatchNorm allocates nothing, on 2 ranks" \
  '[ $rc = 0 ] && [ "$(grep -c "^[0-9]* passed, 0 failed$" "$tmp/alloc.log")" = 2 ] ||
   { tail -n 20 "$tmp/alloc.log"; false; }'

# lunet.so in the stock interpreter under mpirun (its MPI plugins need the
# library's symbols global: core/dist.c). A sanitized lunet.so loads into
# it only with the sanitizers' runtimes preloaded, as tests/run.sh does.
preload=()
if ldd "$LUNET" 2>/dev/null | grep -q libasan; then
  preload=(-x "LD_PRELOAD=$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)")
fi
timeout 60 mpirun --oversubscribe -np 2 "${preload[@]}" "${LUA:-lua5.4}" \
  tests/dist/collectives.lua >"$tmp/lua.log" 2>&1
rc=$?
check "collectives through require 'lunet' in ${LUA:-lua5.4}" \
  '[ $rc = 0 ] && ! grep -q "^FAIL" "$tmp/lua.log" || { tail -n 20 "$tmp/lua.log"; false; }'

# The Fashion-MNIST script with --dist: one report, from rank 1, and the
# accuracy of one process (the shares' order differs: within 0.01).
if [ -d /usr/share/datasets/fashion-mnist ]; then
  fm="scripts/fashion_mnist.lua --limit 3000 --epochs 1 --val 0 --no-window --out $tmp/fm"
  env -u DISPLAY timeout 120 "$LUNET" $fm >"$tmp/fm1.log" 2>&1
  # stdout alone: mpirun forwards the progress bars (stderr) apart, in any order
  env -u DISPLAY timeout 120 mpirun --oversubscribe -np 2 "$LUNET" $fm --dist >"$tmp/fm2.log" \
    2>"$tmp/fm2.err"
  rc=$?
  a1=$(awk '/^test accuracy/{print $3}' "$tmp/fm1.log")
  a2=$(awk '/^test accuracy/{print $3}' "$tmp/fm2.log")
  check "fashion_mnist.lua --dist on 2 ranks exits 0" \
    '[ $rc = 0 ] || { tail "$tmp/fm2.log" "$tmp/fm2.err"; false; }'
  check "fashion_mnist.lua --dist reports once" \
    '[ "$(grep -c "^test accuracy" "$tmp/fm2.log")" = 1 ] &&
     grep -q "^communication" "$tmp/fm2.log"'
  check "fashion_mnist.lua --dist: accuracy $a2, one process $a1" \
    'awk -v a="$a1" -v b="$a2" "BEGIN{d = a - b; exit !(a != \"\" && d < 0.01 && d > -0.01)}"'
fi

for mode in error kill; do
  start=$(date +%s%N)
  timeout 60 mpirun --oversubscribe -np 3 "$LUNET" tests/dist/fail.lua "$mode" \
    >"$tmp/$mode.log" 2>&1
  rc=$?
  ms=$((($(date +%s%N) - start) / 1000000))
  check "rank 2 fails by $mode: mpirun exits non-zero (exit $rc)" '[ $rc != 0 ] && [ $rc != 124 ]'
  check "rank 2 fails by $mode: the job ends within 10 s (${ms} ms)" '[ $ms -lt 10000 ]'
done
check "the failing rank's message names it" \
  'grep -q "rank 2: tests/dist/fail.lua:[0-9]*: rank two fails here" "$tmp/error.log" ||
   { tail -n 20 "$tmp/error.log"; false; }'
check "mpirun names the killed rank" \
  'grep -qi "rank 1 .*signal 9\|signal 9 (Killed)" "$tmp/kill.log" ||
   { tail -n 20 "$tmp/kill.log"; false; }'

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
