#!/bin/bash
# help(): every function and method of the API has an entry in docs/api.md
# (the README's API reference, compiled into lunet), found by value, by
# name and by object.
cd "$(dirname "$0")/../.." || exit 1
LUNET=${LUNET:-$PWD/build/lunet}
passed=0 failed=0
check() {
  if [ "$2" = 0 ]; then passed=$((passed + 1)); echo "ok - $1"
  else failed=$((failed + 1)); echo "not ok - $1"; fi
}
has() { echo "$out" | grep -Eq -- "$2"; check "$1" $?; }

# The format help() parses: "### `signature`" then one paragraph.
bad=$(awk '/^### / && !/^### `[^`]+`$/ { print FILENAME ":" NR ": " $0 }
           prev ~ /^### / && $0 == "" { print FILENAME ":" NR ": empty paragraph" }
           { prev = $0 }' docs/api.md)
[ -z "$bad" ]; check "docs/api.md entries are '### \`signature\`' and a paragraph" $?
[ -z "$bad" ] || echo "$bad"

out=$("$LUNET" tests/repl/api_coverage.lua)
n=$(echo "$out" | grep -c '^== ')
[ "$n" -ge 60 ]; check "the API has many functions to check ($n)" $?
missing=$(echo "$out" | grep -B1 '^no help for' | grep '^== ')
[ -z "$missing" ]; check "every lunet function and method has a help entry" $?
[ -z "$missing" ] || echo "$missing"

out=$("$LUNET" -e 'help(lunet.Linear)')
has "help(lunet.Linear) prints the signature" '^lunet\.Linear\(in, out \[, opts\]\)$'
para=$(echo "$out" | sed -n 2p | sed 's/^  //')
grep -qF -- "$para" docs/api.md; check "  ...and the paragraph of docs/api.md" $?
out=$("$LUNET" -e 'help("Linear")')
has 'help("Linear") finds it by short name' '^lunet\.Linear\(in, out \[, opts\]\)$'
out=$("$LUNET" -e 'help(lunet.zeros(2, 2))')
has "help(tensor) describes the class" '^lunet\.Tensor$'
has "  ...and lists its methods" 'methods: .*t:numel\(\)'
out=$("$LUNET" -e 'help(lunet.Tensor)')
has "help(lunet.Tensor) gives the class, its methods..." 'methods: .*t:numel\(\)'
has "  ...and the constructor" '^lunet\.Tensor\(d1, \.\.\.\)$'
out=$("$LUNET" -e 'help(lunet.zeros(2).numel)')
has "help(method) finds the method" '^t:numel\(\)$'
out=$("$LUNET" -e 'help(lunet.Sequential{lunet.ReLU()})')
has "help(module) gives its layer" '^lunet\.Sequential\{m1, m2, \.\.\.\}$'
out=$("$LUNET" -e 'help(lunet.optim.Adam)')
has "help of a nested function" '^lunet\.optim\.Adam\(net \[, opts\]\)$'
out=$("$LUNET" -e 'help()')
has "help() lists the sections" '^Layers:$'
has "  ...and the names" 'lunet\.BatchNorm'
out=$("$LUNET" -e 'help()')
n=$(echo "$out" | tr ' ' '\n' | grep -cx 'lunet\.Module')
[ "$n" = 1 ]; check "help() lists lunet.Module once ($n)" $?

# The names errors give ("Tensor:view: ...", "lunet.Board.open: ...").
out=$("$LUNET" -e 'help("Tensor:view")')
has 'help("Tensor:view") is t:view' '^t:view\(d1, \.\.\.\)$'
out=$("$LUNET" -e 'help("Linear:forward")')
has 'help("Linear:forward") is m:forward' '^m:forward\(x\)$'
out=$("$LUNET" -e 'help("StepLR:step")')
has 'help("StepLR:step") is sched:step' '^sched:step\(\[metric\]\)$'
echo "$out" | grep -q '^opt:'; [ $? = 1 ]; check "  ...and not opt:step" $?
out=$("$LUNET" -e 'help("SGD:step")')
has 'help("SGD:step") is opt:step' '^opt:step\(\)$'
out=$("$LUNET" -e 'help("Board.open")')
has 'help("Board.open") is lunet.Board.open' '^lunet\.Board\.open\('
out=$("$LUNET" -e 'help("Tensor +")')
has 'help("Tensor +") (an operator) is lunet.Tensor' '^lunet\.Tensor$'
out=$("$LUNET" -e 'help("Board:watch")')
has 'help("Board:watch") is board:watch' '^board:watch\('

# A class lists its own methods, not those of its section's other class.
out=$("$LUNET" -e 'help("LRScheduler")')
has 'help("LRScheduler") lists sched:step' 'methods: sched:step'
echo "$out" | grep -q 'opt:'; [ $? = 1 ]; check "  ...and no opt: method" $?
out=$("$LUNET" -e 'help("Optim")')
echo "$out" | grep -q 'sched:'; [ $? = 1 ]; check 'help("Optim") lists no sched: method' $?

# BatchNorm's entry has the sync paragraph; InstanceNorm (no sync) not.
out=$("$LUNET" -e 'help("BatchNorm")')
has 'help("BatchNorm") describes sync' 'With `sync = true`'
has '  ...and 3-D input' '\(N,n,L\)'
out=$("$LUNET" -e 'help("InstanceNorm")')
echo "$out" | grep -q 'sync'; [ $? = 1 ]; check 'help("InstanceNorm") does not' $?

# An optimizer, scheduler or loss object: the entry of its kind.
out=$("$LUNET" -e 'help(lunet.optim.Adam(lunet.Linear(2, 2)))')
has "help(adam) gives lunet.optim.Adam" '^lunet\.optim\.Adam\(net \[, opts\]\)$'
has '  ...and points to the class' 'help\("Optim"\)'
out=$("$LUNET" -e 'o = lunet.optim.SGD(lunet.Linear(2, 2), {lr = 1})
  help(lunet.optim.lr_scheduler.StepLR(o, {step_size = 1}))')
has "help(sched) gives its kind" '^lunet\.optim\.lr_scheduler\.StepLR\('
out=$("$LUNET" -e 'help(lunet.MSELoss())')
has "help(loss) gives its kind" '^lunet\.MSELoss\('

out=$("$LUNET" -e 'help(print)')
has "help(print) points to the Lua manual" "^'print' is part of Lua's standard library"
out=$("$LUNET" -e 'help("no_such_thing")')
has "an unknown name says so" "^no help for 'no_such_thing'"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
