#!/bin/bash
# The exports read back: save_csv of histogram summaries and save_json,
# parsed (the CSV by hand, the JSON with dkjson, which busted brings) and
# checked against what was logged; a reopened run exports the same JSON.
cd "$(dirname "$0")/../.." || exit 1
. tests/viewer/lib.bash
"${run[@]}" tests/viewer/export_check.lua "$out"
