#!/bin/bash
# Every file lunet writes (a model with lunet.save, a PNG with
# Board:save_png, a CSV with Board:save_csv) is replaced whole or not at
# all. For each of the three, through the lunet executable
# (tests/files/writer.lua saves one of two fixed contents, a or b):
#  - kill -9: a writer saving a and b in turn is killed at a random moment,
#    $KILLS times (100). Asserted each time: the target is the whole a or
#    the whole b, and at most one temporary file (<target>.*.tmp) is left,
#    the killed save's (no process remains to remove it; the test removes it
#    before the next round). Asserted over the rounds: some kill did land
#    inside a save (left a temporary file), so the rounds tested something.
#  - two writers of one path at once, one saving a, the other b: both
#    succeed every time, every read meanwhile finds a whole a or b, and no
#    temporary file is left.
#  - symlinks: links to a victim planted beforehand at <target>.tmp (the
#    old fixed name) and at names of the <target>.*.tmp pattern, and links
#    planted by an LD_PRELOAD shim (tests/files/plant.c) at the very name
#    the writer is opening, are never written through; a symlink at the
#    target itself is replaced by the file, not followed.
#  - a full disk (a 1 MB tmpfs in a private mount namespace, so this needs
#    root): with the disk full, and with 8 KB left (a write fails midway),
#    the save fails with "No space left on device", the earlier file is
#    unchanged and no temporary file is left.
cd "$(dirname "$0")/../.." || exit 1
LUNET=${LUNET:-$PWD/build/lunet}
# Under ASan (make asan) each writer starts and saves several times slower:
# fewer kills there, where memory errors are the point; 100 in the normal build.
if ldd "$LUNET" 2>/dev/null | grep -q libasan; then KILLS=${KILLS:-25}; fi
KILLS=${KILLS:-100}
KINDS="model png csv"
shopt -s nullglob
passed=0 failed=0
check() {
  if [ "$2" = 0 ]; then passed=$((passed + 1)); echo "ok - $1"
  else failed=$((failed + 1)); echo "not ok - $1"; fi
}
writer() { "$LUNET" tests/files/writer.lua "$@"; }
# whole KIND FILE: FILE is a regular file, all of content a or b of KIND.
# It is copied first, through one open: comparing FILE itself twice could
# read a, then b, as a rename lands between the two reads.
whole() {
  local snap="$2.snapshot" r
  [ -f "$2" ] && [ ! -L "$2" ] && cat <"$2" >"$snap" 2>/dev/null &&
    { cmp -s "$snap" "$REF/$1.a" || cmp -s "$snap" "$REF/$1.b"; }
  r=$?
  rm -f "$snap"
  return $r
}
# running PID: the process is there and not a zombie.
running() { [ -e "/proc/$1" ] && ! grep -q ') Z ' "/proc/$1/stat" 2>/dev/null; }
# temps FILE: the number of regular temporary files of FILE.
temps() {
  local n=0 f
  for f in "$1".*.tmp; do [ -f "$f" ] && [ ! -L "$f" ] && n=$((n + 1)); done
  echo $n
}

# ---- the full-disk part, run by the main part in a private mount namespace ----
if [ "$1" = --full-disk ]; then
  MNT=$2 REF=$3
  mount -t tmpfs -o size=1m tmpfs "$MNT" || exit 3
  for k in $KINDS; do
    for left in 0 8; do
      rm -rf "${MNT:?}"/*
      target="$MNT/$k.target"
      writer "$k" "$target" a 1 >/dev/null
      dd if=/dev/zero of="$MNT/fill" bs=4k 2>/dev/null
      [ "$left" = 0 ] || truncate -s "-${left}K" "$MNT/fill"
      writer "$k" "$target" b 1 >/dev/null 2>"$MNT.err"  # not on the full disk
      rc=$?
      what="$k: a save with ${left} KB left"
      [ "$rc" != 0 ] && grep -q "No space left on device" "$MNT.err"
      check "$what fails, saying No space left on device" $?
      [ "$rc" != 0 ] || cat "$MNT.err"
      cmp -s "$target" "$REF/$k.a"
      check "  ...the earlier file is unchanged" $?
      [ "$(temps "$target")" = 0 ]
      check "  ...no temporary file is left" $?
    done
    rm -f "$MNT/fill"
    writer "$k" "$target" b 1 >/dev/null && cmp -s "$target" "$REF/$k.b"
    check "$k: with room again, the save succeeds" $?
  done
  umount "$MNT"
  echo "$passed passed, $failed failed"
  exit 0
fi

TMP=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null; rm -rf "$TMP"' EXIT
REF="$TMP/ref"
mkdir -p "$REF"
for k in $KINDS; do
  writer "$k" "$REF/$k.a" a 1 >/dev/null && writer "$k" "$REF/$k.b" b 1 >/dev/null &&
    ! cmp -s "$REF/$k.a" "$REF/$k.b"
  check "$k: two distinct reference files" $?
done

# ---- kill -9 at random moments ----
for k in $KINDS; do
  d="$TMP/kill.$k"
  mkdir -p "$d"
  target="$d/target"
  torn=0 over=0 landed=0 unready=0
  for ((r = 1; r <= KILLS; r++)); do
    coproc W { exec "$LUNET" tests/files/writer.lua "$k" "$target" alt 0; }
    pid=$W_PID
    line=""
    read -r -t 60 line <&"${W[0]}"
    [ "$line" = ready ] || unready=$((unready + 1))
    sleep "0.0$(printf %02d $((RANDOM % 39 + 1)))"  # a random moment, not a synchronisation
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    whole "$k" "$target" || torn=$((torn + 1))
    n=$(temps "$target")
    [ "$n" -le 1 ] || over=$((over + 1))
    [ "$n" = 0 ] || landed=$((landed + 1))
    rm -f "$target".*.tmp
  done
  [ "$unready" = 0 ]
  check "$k: $KILLS writers each finished a first save before being killed" $?
  [ "$torn" = 0 ]
  check "$k: after each of $KILLS kill -9s the target is the whole old or new file ($torn not)" $?
  [ "$over" = 0 ]
  check "$k:   ...and at most one temporary file is left, the killed save's ($over more)" $?
  [ "$landed" -gt 0 ]
  check "$k:   ...$landed of the kills landed inside a save (left its temporary file)" $?
done

# ---- two writers of one path at once ----
for k in $KINDS; do
  d="$TMP/two.$k"
  mkdir -p "$d"
  target="$d/target"
  case $k in model) n=200 ;; png) n=15 ;; csv) n=100 ;; esac
  writer "$k" "$target" a 1 >/dev/null
  writer "$k" "$target" a "$n" >/dev/null 2>"$d/err.a" &
  pa=$!
  writer "$k" "$target" b "$n" >/dev/null 2>"$d/err.b" &
  pb=$!
  reads=0 torn=0
  while running "$pa" || running "$pb"; do
    whole "$k" "$target" || torn=$((torn + 1))
    reads=$((reads + 1))
  done
  wait "$pa"; ra=$?
  wait "$pb"; rb=$?
  [ "$ra" = 0 ] && [ "$rb" = 0 ]
  check "$k: two writers saving one path $n times each at once both always succeed" $?
  [ "$ra" = 0 ] && [ "$rb" = 0 ] || cat "$d/err.a" "$d/err.b"
  [ "$torn" = 0 ] && whole "$k" "$target"
  check "$k:   ...every one of $reads reads meanwhile, and the end, is a whole file" $?
  [ "$(temps "$target")" = 0 ]
  check "$k:   ...and no temporary file is left" $?
done

# ---- symlinks ----
SHIM="$TMP/plant.so"
cc -shared -fPIC -o "$SHIM" tests/files/plant.c -ldl
check "the symlink-planting shim builds" $?
for k in $KINDS; do
  d="$TMP/link.$k"
  mkdir -p "$d"
  target="$d/target" victim="$d/victim"
  echo "precious" >"$victim"
  writer "$k" "$target" a 1 >/dev/null
  links=("$target.tmp")
  for i in 1 2 3 4 5 6 7 8; do links+=("$target.$(printf '%06x%06x' $RANDOM$RANDOM $i).tmp"); done
  for l in "${links[@]}"; do ln -s "$victim" "$l"; done
  writer "$k" "$target" b 3 >/dev/null && cmp -s "$target" "$REF/$k.b"
  check "$k: saves beside symlinks planted at temporary-looking names succeed" $?
  ok=0
  for l in "${links[@]}"; do [ "$(readlink "$l")" = "$victim" ] || ok=1; done
  [ "$(cat "$victim")" = precious ] && [ "$ok" = 0 ]
  check "$k:   ...never writing through them (victim and links unchanged)" $?
  rm -f "${links[@]}" "$target.planted"
  # The shim plants a symlink at the exact name being opened, every other open.
  PLANT_PREFIX="$target" PLANT_VICTIM="$victim" LD_PRELOAD="$SHIM" \
    ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
    writer "$k" "$target" a 4 >/dev/null 2>"$d/err"
  rc=$?
  planted=$(cat "$target.planted" 2>/dev/null)
  [ "$rc" = 0 ] && cmp -s "$target" "$REF/$k.a" && [ "${#planted}" = 4 ]
  check "$k: 4 saves, each finding a symlink at its temporary name, succeed (${#planted} planted)" \
    $?
  [ "$rc" = 0 ] || cat "$d/err"
  [ "$(cat "$victim")" = precious ] && [ "$(temps "$target")" = 0 ]
  check "$k:   ...never writing through one, leaving no temporary file" $?
  rm -f "$target".*.tmp
  rm -f "$target"
  ln -s "$victim" "$target"
  writer "$k" "$target" b 1 >/dev/null && [ ! -L "$target" ] && cmp -s "$target" "$REF/$k.b" &&
    [ "$(cat "$victim")" = precious ]
  check "$k: a symlink at the target is replaced by the file, not followed" $?
done

# ---- a full disk ----
mkdir -p "$TMP/mnt"
unshare -m --propagation private bash "$0" --full-disk "$TMP/mnt" "$REF" >"$TMP/full" 2>&1
rc=$?
if [ "$rc" = 0 ]; then
  grep -v -E '^[0-9]+ passed, [0-9]+ failed' "$TMP/full"
  line=$(tail -n 1 "$TMP/full")
  passed=$((passed + ${line%% passed*}))
  f=${line#*passed, }
  failed=$((failed + ${f%% failed*}))
else
  # Without root there is no private tmpfs to fill: said, not hidden.
  echo "# skip - full disk: no tmpfs could be mounted (status $rc; needs root)"
  cat "$TMP/full"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
