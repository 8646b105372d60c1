#!/bin/bash
# The filter typed in a real window under Xvfb, driven by xdotool: `/`,
# then "loss" (whose l, o, s would act if keys were not typed), Enter: the
# title says 1 of 14 tags match and the picture changes; Esc clears the
# filter (the picture is the first one again), a second Esc closes.
# SHOT=dir keeps screenshots of the screen while typing and filtered.
cd "$(dirname "$0")/../.." || exit 1
. tests/viewer/lib.bash

window_script filter
expect_lines "window	lunet filter	true	true" "typed, nothing saved	true" \
             "title	true	lunet filter · filter \"loss\": 1 of 14 tags" \
             "Escape closed	true" "done"
for i in 1 2 3; do
  grep -qE "^saved	$i	.*	true$" <<<"$log"; ok $? "the window did not save lunet-$i.png"
done
ls "$out"/lunet-4.png >/dev/null 2>&1; [ $? != 0 ]; ok $? "a key saved a PNG while typing"

diff_px() {
  compare -metric AE "$out/lunet-$1.png" "$out/lunet-$2.png" null: 2>&1 | cut -d' ' -f1
}
if [ -f "$out/lunet-3.png" ]; then
  d=$(diff_px 1 2)
  [ "${d:-0}" -gt 5000 ] 2>/dev/null; ok $? "the filtered window looks the same: $d pixels"
  d=$(diff_px 1 3)
  [ "$d" = 0 ]; ok $? "cleared, the window differs from the first: $d pixels"
  # filtered: the one panel, the loss curve, and no histogram bars (tab10 blue
  # of run "train" in the grid's place)
  blue=$(convert "$out/lunet-2.png" -crop 900x250+0+40 +repage -fill black +opaque '#1f77b4' \
         -fill white -opaque '#1f77b4' -format '%[fx:int(mean*w*h)]' info:)
  [ "${blue:-0}" -gt 100 ]; ok $? "the filtered window has no curve in its top part: $blue"
else
  ok 1 "no lunet-3.png in $(ls "$out")"
fi
summary
