#!/bin/bash
# Tab completion on a terminal (tmux): fields of lunet's userdata, chains
# with [key], no methods that always fail on the module's kind, and
# nothing (not the globals) for a chain that cannot be looked up.
# Each check types a word, Tab (twice to list), then Q: the line shows
# what Tab made of the word, and the Q says readline has read every key.
cd "$(dirname "$0")/../.." || exit 1
. tests/repl/lib.bash
need tmux

start "$LUNET"
expect "banner and prompt" '^> $'
send 'net = lunet.Sequential{lunet.Linear(2, 3)} lin = lunet.Linear(2, 3)'
send 'opt = lunet.optim.SGD(lin, {lr = 0.1}) t = {inner = {net}}'
send 'C = lunet.Module("C") function C:__init() end c = C()'
send '"ready"'
expect "the objects are made" '^ready$'

# tab WORD: types WORD, Tab, Q and waits for the Q; the line is left typed.
tab() { type_ "$1"; key Tab; [ "${2:-}" = list ] && key Tab; type_ Q; wait_for 'Q$' 50; }
# line ERE: the last prompt line matches; then the line is dropped.
nline=0
line() {
  local l r
  l=$(screen | grep '^> ' | tail -n 1)
  grep -Eq -- "$1" <<<"$l"; r=$?
  nline=$((nline + 1))
  key C-c; send "\"--$nline\""; wait_for "^--$nline\$" 50
  return $r
}

tab 'net.mo'; line '^> net\.modulesQ'; check "net.mo<Tab> gives net.modules (a module's field)" $?
tab 'lin.we'; line '^> lin\.weightQ'; check "lin.we<Tab> gives lin.weight" $?
tab 'opt.param_'; line '^> opt\.param_groupsQ'; check "opt.param_<Tab> gives opt.param_groups" $?
tab 'opt.param_groups[1].para'; line '^> opt\.param_groups\[1\]\.paramsQ'
check "opt.param_groups[1].para<Tab> gives .params" $?
tab 'lin.weight:nume'; line '^> lin\.weight:numelQ'; check "lin.weight:nume<Tab>: a chain's methods" $?
tab 'net.modules[1]:zer'; line '^> net\.modules\[1\]:zero_gradQ'
check "net.modules[1]:zer<Tab> follows [1]" $?
tab 't["inner"][1]:ins'; line '^> t\["inner"\]\[1\]:insertQ'
check "t[\"inner\"][1]:ins<Tab> follows a string key" $?
tab 'net:ins'; line '^> net:insertQ'; check "a Sequential is offered insert" $?
tab 'lin:ins'; line '^> lin:insQ'; check "a Linear is not (it always fails)" $?
tab 'lin:ge'; line '^> lin:geQ'; check "  ...nor get (no children)" $?
tab 'lin:chi'; line '^> lin:chiQ'; check "  ...nor child (not written in Lua)" $?
tab 'c:chi'; line '^> c:childQ'; check "a module written in Lua is offered child" $?

start "$LUNET"
expect "a fresh REPL" '^> $'
send 'net = lunet.Sequential{lunet.Linear(2, 3)}'
tab 'undefined_x:' list; line '^> undefined_x:Q'; check "x:<Tab><Tab> of an unknown x keeps the line" $?
screen | grep -Eq 'collectgarbage|possibilities'; [ $? = 1 ]
check "  ...and lists nothing (not the globals)" $?
tab 'net.modules[9]:' list; line '^> net\.modules\[9\]:Q'
check "net.modules[9]:<Tab><Tab> (no such child) keeps the line" $?
screen | grep -Eq 'collectgarbage|possibilities'; [ $? = 1 ]
check "  ...and lists nothing (not the globals)" $?
tab 'print(1):' list; line '^> print\(1\):Q'; check "a call is not looked up" $?
screen | grep -Eq 'collectgarbage|possibilities'; [ $? = 1 ]
check "  ...and lists nothing" $?

summary
