#!/bin/bash
# The window's keys, pressed with xdotool in a real window under Xvfb:
# `s` writes a PNG of the window, `l` toggles log scale (the cost panel's
# y-axis labels change, and back), left/right step through histogram
# snapshots, space follows the newest, `q` and Escape close the window while
# the script keeps logging and then exits normally.
cd "$(dirname "$0")/../.." || exit 1
. tests/viewer/lib.bash

window_script keys
expect_lines "window	lunet keys	true	true" "q closed	true	true" \
             "window	lunet keys 2	true	true" "Escape closed	true" "done	"
for i in 1 2 3 4 5 6 7 8; do
  grep -qE "^saved	$i	.*	true$" <<<"$log"; ok $? "the window did not save lunet-$i.png"
done

# differing pixels between two PNGs, over a crop (WxH+X+Y) or all of them
diff_px() {
  convert "$out/lunet-$1.png" ${3:+-crop $3 +repage} "$out/a.png" &&
    convert "$out/lunet-$2.png" ${3:+-crop $3 +repage} "$out/b.png" &&
    compare -metric AE "$out/a.png" "$out/b.png" null: 2>&1 | cut -d' ' -f1
}
same() {  # shot, shot, [crop]
  local d
  d=$(diff_px "$1" "$2" "$3")
  [ "$d" = 0 ]; ok $? "lunet-$1 and lunet-$2 differ${3:+ in $3}: $d"
}
differ() {  # shot, shot, crop or "", more than this many pixels
  local d
  d=$(diff_px "$1" "$2" "$3")
  [ "${d:-0}" -gt "$4" ] 2>/dev/null
  ok $? "lunet-$1 and lunet-$2 should differ${3:+ in $3} (> $4 pixels): $d"
}

if [ -f "$out/lunet-8.png" ]; then
  size=$(identify -format %wx%h "$out/lunet-1.png")
  [ "$size" = 800x600 ]; ok $? "lunet-1.png is $size, not the window's 800x600"
  colors=$(convert "$out/lunet-1.png" -format %k info:)
  [ "${colors:-0}" -gt 20 ]; ok $? "lunet-1.png is blank ($colors colours)"
  # 800x600: header 26, histograms 58% of the rest, then the cost panel
  ylabels=66x225+0+350 hists=800x320+0+26 costs=800x230+0+347
  same 1 2                       # nothing changed: the same picture
  differ 1 3 "" 500              # l
  differ 1 3 $ylabels 50         # ... relabels the y-axis
  same 1 3 $hists                # ... and leaves the histograms
  same 1 4                       # l again: linear
  differ 1 5 $hists 500          # left: an older snapshot
  same 1 5 $costs                # ... the curves stay
  differ 5 6 $hists 500          # left left right: one further back
  same 5 7                       # right: 5 again
  same 1 8                       # space: the newest again
  [ -n "${KEEP_SHOTS:-}" ] && cp "$out"/lunet-*.png "$KEEP_SHOTS"
else
  ok 1 "no lunet-8.png in $(ls "$out")"
fi
summary
