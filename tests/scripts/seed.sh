#!/bin/bash
# The seed scripts run headless with small step counts, print their tables
# and write valid PNGs; bad flags fail with a usage message.
cd "$(dirname "$0")/../.." || exit 1
LUNET=${LUNET:-build/lunet}
passed=0 failed=0
ok()   { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }
check() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A PNG: the 8-byte signature, an IHDR with a non-zero size, an IEND chunk last.
is_png() {
  [ -s "$1" ] || return 1
  [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || return 1
  [ "$(head -c 16 "$1" | tail -c 4)" = "IHDR" ] || return 1
  local w h
  w=$(head -c 20 "$1" | tail -c 4 | od -An -tu1 | awk '{print $1*16777216+$2*65536+$3*256+$4}')
  h=$(head -c 24 "$1" | tail -c 4 | od -An -tu1 | awk '{print $1*16777216+$2*65536+$3*256+$4}')
  [ "$w" -gt 0 ] && [ "$h" -gt 0 ] || return 1
  [ "$(tail -c 8 "$1" | head -c 4)" = "IEND" ]
}

headless() { env -u DISPLAY -u WAYLAND_DISPLAY "$@"; }

for act in relu tanh; do
  out="$tmp/$act"
  headless timeout 120 "$LUNET" scripts/bn_compare.lua --activation "$act" --steps 51 \
    --out "$out" >"$tmp/$act.log" 2>&1
  rc=$?
  check "bn_compare $act exits 0" '[ $rc = 0 ] || { tail -n 20 "$tmp/$act.log"; false; }'
  check "bn_compare $act writes histograms.png" 'is_png "$out/histograms.png"'
  check "bn_compare $act writes cost.png" 'is_png "$out/cost.png"'
  check "bn_compare $act prints both networks' costs" \
    'grep -Eq "^no BN( +[^ ]+){2} +(finite|NaN/Inf)$" "$tmp/$act.log" &&
     grep -Eq "^BN( +[^ ]+){2} +finite$" "$tmp/$act.log"'
  check "bn_compare $act prints the layer table" 'grep -Eq "^L8 " "$tmp/$act.log"'
  check "bn_compare $act prints the test costs" \
    'grep -q "evaluation mode" "$tmp/$act.log" && grep -q "training mode" "$tmp/$act.log"'
  check "bn_compare $act draws a progress bar" 'grep -q "\[#*\.*\] 100%" "$tmp/$act.log"'
done

# --no-window with a display variable set must not try to open one.
DISPLAY=:999 timeout 120 "$LUNET" scripts/bn_compare.lua --steps 6 --no-window \
  --out "$tmp/nw" >"$tmp/nw.log" 2>&1
rc=$?
check "bn_compare --no-window ignores DISPLAY" \
  '[ $rc = 0 ] && ! grep -q "no window" "$tmp/nw.log" && is_png "$tmp/nw/cost.png"'

headless timeout 120 "$LUNET" scripts/bn_compare.lua --steps 0 >"$tmp/bad.log" 2>&1
rc=$?
check "bn_compare rejects --steps 0" '[ $rc = 2 ] && grep -q "steps" "$tmp/bad.log"'
headless timeout 120 "$LUNET" scripts/bn_compare.lua --activaton relu >"$tmp/bad.log" 2>&1
rc=$?
check "bn_compare rejects an unknown flag with usage" \
  '[ $rc = 2 ] && grep -q "unknown option" "$tmp/bad.log" && grep -q "usage" "$tmp/bad.log"'

# The lab: the four normalizations side by side, and the layers each lost.
headless timeout 120 "$LUNET" scripts/bn_compare.lua --norm none,batch,layer,group --steps 51 \
  --optim adam --out "$tmp/lab" >"$tmp/lab.log" 2>&1
rc=$?
check "bn_compare --norm none,batch,layer,group exits 0" \
  '[ $rc = 0 ] || { tail -n 20 "$tmp/lab.log"; false; }'
check "bn_compare --norm writes both PNGs" 'is_png "$tmp/lab/histograms.png" &&
  is_png "$tmp/lab/cost.png"'
check "bn_compare --norm has a column per network" \
  'grep -Eq "^layer +no BN +BN +LN +GN$" "$tmp/lab.log" && grep -Eq "^L8( +[^ ]+){4}" "$tmp/lab.log"'
check "bn_compare --norm names the layers each network lost" \
  '[ "$(grep -Ec "^  (no BN|BN|LN|GN) +dead: .*; saturated: .*; NaN/Inf: " "$tmp/lab.log")" = 4 ]'
check "bn_compare --norm prints a test cost per network" \
  'grep -Eq "^  LN: " "$tmp/lab.log" && grep -Eq "^  GN: " "$tmp/lab.log"'
for bad in "--norm batch,foo" "--norm batch,batch" "--groups 7" "--optim foo"; do
  headless timeout 120 "$LUNET" scripts/bn_compare.lua $bad >"$tmp/bad.log" 2>&1
  rc=$?
  check "bn_compare rejects $bad" '[ $rc = 2 ] && grep -q "usage" "$tmp/bad.log"'
done

headless timeout 120 "$LUNET" scripts/bn_sweep.lua --epochs 3 --lrs 0.001,0.01 --depths 2 \
  --batches 500,50 --out "$tmp/sweep" >"$tmp/sweep.log" 2>&1
rc=$?
check "bn_sweep exits 0" '[ $rc = 0 ] || { tail -n 20 "$tmp/sweep.log"; false; }'
check "bn_sweep writes sweep.png" 'is_png "$tmp/sweep/sweep.png"'
check "bn_sweep prints one row per setting" \
  '[ "$(grep -Ec "^ +[0-9]+ +(0\.001|0\.01) +2 +(500|50) " "$tmp/sweep.log")" = 4 ]'
headless timeout 120 "$LUNET" scripts/bn_sweep.lua --depths 2,x >"$tmp/bad.log" 2>&1
rc=$?
check "bn_sweep rejects a bad list" '[ $rc = 2 ] && grep -q "depths" "$tmp/bad.log"'

echo "$passed passed, $failed failed"
