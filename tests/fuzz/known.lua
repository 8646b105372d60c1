-- tests/fuzz/known.lua: findings the fuzzer already knows, each with the
-- issue that tracks it. A finding matching one of these patterns (Lua
-- patterns, against "<kind>: <message>") is printed as KNOWN and does not
-- fail a run, so the fixed slice in `make test` stays green while the fix is
-- under way. Remove an entry when its fix lands: the fuzzer then proves it.
-- Crashes, sanitizer reports and hangs are never "known".
return {
  {"^error not naming Tensor:reshape.*Tensor:view: ", "issue 9: t:reshape errors say Tensor:view"},
  {"^error not naming %w+ or Module: fuzz:%d+: module has been closed$",
   "issue 9: a closed module says 'module has been closed' without its type"},
  {"^error not naming Tensor [-+*/]: .*to '%?'", "issue 9: '\"x\" - t' says bad argument to '?'"},
  {"^file damaged: victim%.txt", "issue 9: save_png/save_csv follow a symlinked <path>.tmp"},
}
