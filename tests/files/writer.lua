-- tests/files/writer.lua KIND PATH VARIANT COUNT, run by tests/files/atomic.sh:
-- saves a model (KIND "model", lunet.save), a PNG ("png", Board:save_png) or
-- a CSV ("csv", Board:save_csv) to PATH, COUNT times (0: until killed).
-- VARIANT "a" or "b" picks one of two fixed contents of different sizes,
-- "alt" alternates them. Prints "ready" once the first save is complete, so
-- whoever kills it knows PATH exists whole. Any failed save is an error
-- (exit status 1).
local lunet = require "lunet"

local kind, path, variant, count = arg[1], arg[2], arg[3], tonumber(arg[4])
assert(kind and path and variant and count, "usage: writer.lua KIND PATH VARIANT COUNT")

local function make(v)
  if kind == "model" then
    lunet.manual_seed(v == "a" and 1 or 2)
    if v == "a" then return lunet.Linear(200, 200) end
    return lunet.Sequential{lunet.Linear(100, 150), lunet.ReLU(), lunet.Linear(150, 100)}
  end
  local b = lunet.Board()
  local n = (v == "a" and 3000 or 5000) // (kind == "png" and 10 or 1)  -- CSV: big files
  for i = 1, n do
    b:scalar("cost/train", v == "a" and math.sin(i / 20) or math.cos(i / 30), i)
  end
  return b
end

local things = {a = make("a"), b = make("b")}

local function save(v)
  if kind == "model" then lunet.save(path, things[v])
  elseif kind == "png" then things[v]:save_png(path)
  else things[v]:save_csv(path) end
end

local i = 0
while count == 0 or i < count do
  save(variant == "alt" and (i % 2 == 0 and "a" or "b") or variant)
  i = i + 1
  if i == 1 then
    io.write("ready\n")
    io.flush()
  end
end
