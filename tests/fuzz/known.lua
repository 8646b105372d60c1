-- tests/fuzz/known.lua: findings the fuzzer already knows, each with the
-- issue that tracks it. A finding matching one of these patterns (Lua
-- patterns, against "<kind>: <message>") is printed as KNOWN and does not
-- fail a run, so the fixed slice in `make test` stays green while the fix is
-- under way. Remove an entry when its fix lands: the fuzzer then proves it.
-- Crashes, sanitizer reports and hangs are never "known".
return {
}
