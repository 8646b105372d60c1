#!/bin/bash
# Run logs across processes (the writers are tests/viewer/runlog_writer.lua):
# 1. a finished run reopened by another process draws the same PNGs, byte
#    for byte; 2. kill -9 of a writer in full flow leaves a log that opens
#    with every complete record, a torn tail ignored; 3. a failed write
#    (a file size limit) is raised at the next write and at close;
# 4. `lunet --view` in another process, under Xvfb, follows a live run as
#    it grows (its --png is the board the window draws, compared with the
#    writer's own board at each phase), shows it, compares several runs,
#    and closes on q.
cd "$(dirname "$0")/../.." || exit 1
. tests/viewer/lib.bash
lunet=${LUNET:-$B/lunet}
writer=tests/viewer/runlog_writer.lua

# until CMD... succeeds, for at most ~20 s (what is awaited is a file the
# other process writes: no fixed sleep decides anything)
await() { local i; for i in $(seq 400); do "$@" && return 0; sleep 0.05; done; return 1; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# 1. a finished run, reopened in another process
"$lunet" $writer finished "$out/fin" "$out" >/dev/null; ok $? "finished writer failed"
"$lunet" - "$out/fin" "$out" <<'LUA'
  local b = lunet.Board.open(arg[1])
  local views = {{}, {time = true, width = 900, height = 700},
                 {panels = "scalars", log = true, smoothing = 0.6}}
  for i, v in ipairs(views) do b:save_png(arg[2] .. "/open-" .. i .. ".png", v) end
LUA
for i in 1 2 3; do
  cmp -s "$out/orig-$i.png" "$out/open-$i.png"
  ok $? "view $i: the reopened run's PNG differs from the original's"
done
[ "$(convert "$out/open-1.png" -format %k info: 2>/dev/null)" -gt 20 ] 2>/dev/null
ok $? "the reopened run's PNG is blank"

# 2. kill -9 in full flow
"$lunet" $writer kill "$out/killed" >"$out/kill.out" 2>&1 &
pid=$!
await grep -q "^flushed" "$out/kill.out"; ok $? "the kill writer never flushed"
kill -9 $pid
wait $pid 2>/dev/null
grep -q "not killed" "$out/kill.out" && echo "note: the writer had finished its loop"
check_killed() {  # the log opens; cost/a is steps 1..K, each step/4, K >= $1
  echo 'lunet.Board.open(arg[1]):save_csv(arg[2])' | "$lunet" - "$out/killed" "$out/k.csv" &&
    awk -F, -v min="$1" 'NR > 1 && $1 == "cost/a" {
        k++; if ($2 != k || $3 != k / 4) { print "bad row " NR ": " $0; bad = 1; exit } }
      END { print "steps: " k; exit (bad || k < min) }' "$out/k.csv"
}
check_killed 20000; ok $? "the killed run's log does not open with every complete record"
size=$(stat -c %s "$out/killed/run.lunetlog")
k=$(grep -c '^cost/a,' "$out/k.csv")
# a torn tail made by hand: the first half of the log's first record, then
# a cut through the last record
head -c 56 "$out/killed/run.lunetlog" | tail -c 20 >>"$out/killed/run.lunetlog"
check_killed "$k"; ok $? "a partial record at the end was not ignored"
truncate -s $((size - 3)) "$out/killed/run.lunetlog"
check_killed $((k - 1)); ok $? "a log cut in its last record does not open"

# 3. a write that fails: the file size limit of the shell (1 KB blocks); the
# log's thread meets it within 1 MB of records, the next write raises it
msg=$( (ulimit -f 64; trap '' XFSZ; "$lunet" - "$out/full" <<'LUA'
  local b = lunet.Board{logdir = arg[1]}
  local x = lunet.randn(100)
  local ok, err
  for i = 1, 100000 do
    ok, err = pcall(b.histogram, b, "a/L1", i, x)
    if not ok then break end
  end
  print("write:", err)
  print("close:", select(2, pcall(b.close, b)))
LUA
) 2>&1)
echo "$msg"
[[ "$msg" == *"write:"*"Board:histogram: run log"*"write failed: File too large"* ]]
ok $? "a failed write was not raised at the next write"
[[ "$msg" == *"close:"*"Board:close: run log"*"File too large"* ]]
ok $? "a failed write was not raised at close"

# 4. lunet --view, live, in its own Xvfb
mkfifo "$out/go"
"$lunet" $writer live "$out/live" "$out" "$out/go" >"$out/live.out" 2>&1 &
wpid=$!
await grep -q "^phase 1" "$out/live.out"; ok $? "the live writer never reached phase 1"
cat >"$out/drive.sh" <<'SH'
# under xvfb-run: $1 lunet, $2 the scratch directory
lunet=$1 out=$2
await() { local i; for i in $(seq 400); do "$@" && return 0; sleep 0.05; done; return 1; }
shot() { import -window root "$out/$1.png"; }
colours() { convert "$out/$1.png" -fill black +opaque "$2" -fill white -opaque "$2" \
              -format "%[fx:int(mean*w*h)]" info: ; }
"$lunet" --view --png "$out/view.png" "$out/live" >"$out/view.out" 2>&1 &
vpid=$!
id=$(timeout 20 xdotool search --sync --name "^lunet --view $out/live\$" | head -n 1)
echo "window ${id:+found}"
await cmp -s "$out/view.png" "$out/ref-1.png" && echo "view = phase 1"
await shot 1; echo "blue pixels $(colours 1 'rgb(31,119,180)')"
for phase in 2 3; do
  echo go >"$out/go"
  await grep -q "^phase $phase" "$out/live.out" && echo "writer phase $phase"
  await cmp -s "$out/view.png" "$out/ref-$phase.png" && echo "view = phase $phase"
done
# the window draws the new points: its picture changes from phase 1
await eval 'shot 3 && ! cmp -s <(convert "$out/1.png" rgb:-) <(convert "$out/3.png" rgb:-)' &&
  echo "window redrawn"
echo "blue pixels $(colours 3 'rgb(31,119,180)')"
[ -n "$id" ] && xdotool windowfocus --sync "$id" key q
timeout 20 tail --pid=$vpid -f /dev/null
wait $vpid; echo "view exit $?"
# several runs: the live one and the finished one, renamed apart
"$lunet" --view --png "$out/two.png" "$out/live" "$out/fin" >>"$out/view.out" 2>&1 &
vpid=$!
await cmp -s "$out/two.png" "$out/two-ref.png" && echo "two runs = Board.open of both"
id=$(timeout 20 xdotool search --sync --name "^lunet --view $out/live $out/fin\$" | head -n 1)
[ -n "$id" ] && xdotool windowfocus --sync "$id" key q
timeout 20 tail --pid=$vpid -f /dev/null
wait $vpid; echo "two exit $?"
SH
# what the second window must show, drawn by a third process once the live
# run has ended
( await grep -q "^phase 3" "$out/live.out" && echo go >"$out/go" && await gone $wpid &&
  "$lunet" - "$out/live" "$out/fin" "$out/two-ref.png" >"$out/two-tags.out" 2>&1 <<'LUA'
    local b = lunet.Board.open(arg[1], arg[2])
    b:save_png(arg[3], {width = 1280, height = 800})
    local t = b:tags()
    print(table.concat(t.scalars, ","), table.concat(t.histograms, ","))
LUA
) &
log=$(timeout 200 xvfb-run -a -s "-screen 0 1400x900x24" bash "$out/drive.sh" "$lunet" "$out" 2>&1)
echo "$log"
cat "$out/view.out"
for want in "window found" "view = phase 1" "writer phase 2" "view = phase 2" \
            "writer phase 3" "view = phase 3" "window redrawn" "view exit 0" \
            "two runs = Board.open of both" "two exit 0"; do
  grep -qxF "$want" <<<"$log"; ok $? "the live view: no '$want'"
done
n=$(grep -m1 "blue pixels" <<<"$log" | grep -o '[0-9]*$')
[ "${n:-0}" -gt 100 ]; ok $? "the window does not show the run's curves ($n blue pixels)"
# after a failure above the writer may still wait on its FIFO: never hang
await gone $wpid || kill $wpid 2>/dev/null
wait
tags=$(cat "$out/two-tags.out")
echo "$tags"
[[ "$tags" == "cost/live:BN,cost/live:no BN,cost/fin:BN,cost/fin:no BN"*"live:BN/L1"* ]]
ok $? "several runs are not named after their directories: $tags"
summary
