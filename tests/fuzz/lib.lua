-- tests/fuzz/lib.lua: the hostile values and the invariant checks of the API
-- fuzzer, shared by the fuzzer (fuzz.lua) and the reproducers it writes: a
-- reproducer is `local F = dofile(".../lib.lua")` followed by the very
-- statements the fuzzer ran, so replaying one needs nothing else.
local lunet = require "lunet"
local F = {}

-- The marker of the errors our own hostile metamethods raise: such an error
-- is the script's, not lunet's, and may come out of any call unchanged.
F.RAISED = "fuzz-evil raised"
-- and a non-string error value of ours, which must come out as it went in
F.RAISED_VALUE = setmetatable({}, {__tostring = function() return F.RAISED .. " (a table)" end})

-- Closes x through its metatable's __close, as a `<close>` variable would.
function F.close(x)
  local mt = getmetatable(x)
  if type(mt) == "table" and type(rawget(mt, "__close")) == "function" then
    pcall(rawget(mt, "__close"), x)
  end
  return x
end

-- A coroutine holding x in a `<close>` local, suspended: coroutine.close on
-- it closes x from wherever the coroutine is closed.
function F.holder(x)
  local co = coroutine.create(function()
    local held <close> = x
    coroutine.yield()
  end)
  if not pcall(coroutine.resume, co) then return nil end
  return co
end

-- How an evil table harms its victim when one of its metamethods runs.
local harms = {
  function(victim) F.close(victim) end,
  function(victim, co) if co then pcall(coroutine.close, co) end end,
  function() collectgarbage() end,
  function() error(F.RAISED, 0) end,
  function() error(F.RAISED_VALUE) end,
  function() end,
}
F.NHARMS = #harms

-- A table that pretends to be an array of `n` copies of `value` (a number,
-- by default 1) through __index and __len, and on its `when`-th metamethod
-- call (1 by default) harms `victim` with harm number `how`. It stands for
-- an options table, a label table, a betas pair or a nested row, whichever
-- the function reads it as.
function F.evil(victim, how, n, value, when)
  local co = how == 2 and victim ~= nil and F.holder(victim) or nil
  local calls, when_ = 0, when or 1
  local function hit()
    calls = calls + 1
    if calls == when_ then harms[how](victim, co) end
  end
  return setmetatable({}, {
    __index = function(_, k)
      hit()
      if type(k) == "number" and k >= 1 and k <= (n or 2) then return value or 1 end
      return value
    end,
    __len = function() hit(); return n or 2 end,
    __pairs = function(t) hit(); return next, {}, nil end,
    __tostring = function() hit(); return "evil" end,
    __name = nil,
  })
end

-- A table whose __len says something no table could: huge, negative,
-- fractional, NaN, or not a number.
function F.liar(len)
  return setmetatable({}, {__len = function() return len end,
                           __index = function() return 1 end})
end

-- n nested tables, {{{...{1}...}}}: deep nesting without recursion here.
function F.deep(n)
  local t = {1}
  for _ = 2, n do t = {t} end
  return t
end

-- A table that contains itself.
function F.cycle()
  local t = {1, 2}
  t[3] = t
  return t
end

-- n Sequentials, each inside the next (nil if lunet refuses along the way:
-- that refusal is a clean error, not a finding).
function F.deep_seq(n)
  local ok, m = pcall(lunet.ReLU)
  if not ok then return nil end
  for _ = 1, n do
    local ok2, s = pcall(lunet.Sequential, m)
    if not ok2 then return m end
    m = s
  end
  return m
end

-- An object whose __gc has already run but which is still reachable: a
-- finalized table resurrects it (Lua runs the finalizers of one cycle in
-- turn, so the object's own finalizer runs too). make() makes the object.
function F.collected(make)
  local box = {}
  -- in a function of its own, so that no dead local of ours keeps them alive
  local function plant()
    local keeper = setmetatable({}, {__gc = function(self) box[1] = self.obj end})
    keeper.obj = make()
  end
  if not pcall(plant) then return nil end
  collectgarbage()
  collectgarbage()
  return box[1]
end

-- The method `name` of the class registered as `class`, to call on any
-- receiver (a Tensor method on a Board, say).
function F.method(class, name)
  local mt = debug.getregistry()[class]
  return mt and mt.__methods and mt.__methods[name]
end

-- The results of the last call, as table.pack gives them (ok first).
F.R = {n = 0}
function F.run(fn)
  F.R = table.pack(pcall(fn))
  return F.R
end

-- Invariants of a value a call returned; returns a message when one is
-- broken, nil otherwise. A broken invariant is a finding.
local function numel_of(size)
  local n = 1
  for _, s in ipairs(size) do n = n * s end
  return n
end

local function check_tensor(t)
  local ok, d = pcall(t.dim, t)
  if not ok then return "t:dim() failed on a returned tensor: " .. tostring(d) end
  local ok2, size = pcall(t.size, t)
  if not ok2 then return "t:size() failed: " .. tostring(size) end
  local ok3, n = pcall(t.numel, t)
  if not ok3 then return "t:numel() failed: " .. tostring(n) end
  if type(d) ~= "number" or d < 1 or d > 8 then return "dim() is " .. tostring(d) end
  if type(size) ~= "table" or #size ~= d then
    return "size() has " .. (type(size) == "table" and #size or "no") .. " sizes for dim " .. d
  end
  for k = 1, d do
    local s = size[k]
    if math.type(s) ~= "integer" or s < 1 then return "size " .. k .. " is " .. tostring(s) end
  end
  if numel_of(size) ~= n then
    return ("numel() is %s but the sizes {%s} make %s"):format(tostring(n),
      table.concat(size, ", "), tostring(numel_of(size)))
  end
  local ok4, len = pcall(function() return #t end)
  if not ok4 or len ~= size[1] then return "#t is " .. tostring(len) .. ", size 1 " .. size[1] end
  return nil
end

local function check_module(m)
  local ok, p, g = pcall(m.parameters, m)
  if not ok then return "m:parameters() failed on a returned module: " .. tostring(p) end
  if type(p) ~= "table" or type(g) ~= "table" or #p ~= #g then
    return "parameters() gave " .. tostring(p and #p) .. " tensors and "
      .. tostring(g and #g) .. " gradients"
  end
  for i = 1, #p do
    local e = check_tensor(p[i]) or check_tensor(g[i])
    if e then return "parameter " .. i .. ": " .. e end
    if p[i]:numel() ~= g[i]:numel() then return "parameter " .. i .. " and its gradient differ" end
  end
  return nil
end

-- The class name ("lunet.Tensor") of a lunet object, nil for anything else.
function F.class(x)
  if type(x) ~= "userdata" then return nil end
  local mt = getmetatable(x)
  local name = type(mt) == "table" and rawget(mt, "__name")
  return type(name) == "string" and name:match("^lunet%.") and name or nil
end

function F.check(v)
  local class = F.class(v)
  if not class then return nil end
  local ok, s = pcall(tostring, v)
  if not ok or type(s) ~= "string" then return "tostring failed: " .. tostring(s) end
  if class == "lunet.Tensor" then return check_tensor(v) end
  if class == "lunet.Module" then return check_module(v) end
  return nil
end

return F
