-- Arguments whose metamethods run Lua in the middle of a call (label tables,
-- options, betas, lists of modules), and finalizers that run during the
-- allocations of a call: that Lua closes the very object the call is using.
-- Each case runs in a child Lua so that a crash, or a sanitizer report under
-- `make asan` (the child inherits busted's preload), fails that case alone.
-- A case passes when the child exits 0 having printed what is expected: the
-- clean error, or the result.
local LUA = os.getenv("LUA") or "lua5.4"

local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p '" .. dir .. "'"))

-- Runs code (a function body using `lunet`) in a child; returns its status
-- and everything it printed.
local function child(code)
  local path = dir .. "/case.lua"
  local f = assert(io.open(path, "w"))
  f:write('local lunet = require "lunet"\n',
          "local ok, err = pcall(function()\n", code, "\nend)\n",
          "collectgarbage(); collectgarbage()\n",
          'io.write(ok and "ok: " .. tostring(err) or "error: " .. tostring(err))\n')
  f:close()
  local p = assert(io.popen(LUA .. " '" .. path .. "' 2>&1"))
  local out = p:read("a")
  local _, how, status = p:close()
  return how == "exit" and status or -1, out
end

local function expect(code, want)
  local status, out = child(code)
  assert(status == 0, "the child died (status " .. status .. "):\n" .. out)
  assert(out:find(want, 1, true), "the child printed\n" .. out .. "\nnot\n" .. want)
end

-- A coroutine holding obj in a <close> local: closing the coroutine closes
-- obj, as the fuzzer does.
local HOLD = [[
local function holder(obj)
  local co = coroutine.create(function() local h <close> = obj; coroutine.yield() end)
  coroutine.resume(co)
  return co
end
]]

describe("a metamethod that closes the object mid-call", function()
  teardown(function() os.execute("rm -rf '" .. dir .. "'") end)

  for _, method in ipairs{"forward", "backward"} do
    it("CrossEntropyLoss:" .. method .. ": labels closing the loss", function()
      expect(HOLD .. [[
        local ce = lunet.CrossEntropyLoss()
        local co = holder(ce)
        return ce:]] .. method .. [[(lunet.zeros(2, 3), setmetatable({}, {
          __len = function() return 2 end,
          __index = function() coroutine.close(co); return 1 end}))]],
        ": CrossEntropyLoss:" .. method .. ": loss has been closed")
    end)

    it("CrossEntropyLoss:" .. method .. ": labels closing the input", function()
      expect([[
        local ce, x = lunet.CrossEntropyLoss(), lunet.zeros(2, 3)
        return ce:]] .. method .. [[(x, setmetatable({}, {
          __len = function() return 2 end,
          __index = function() getmetatable(x).__close(x); return 1 end}))]],
        "tensor has been freed")
    end)
  end

  it("CrossEntropyLoss: a hostile table that plays fair still works", function()
    expect([[
      local ce = lunet.CrossEntropyLoss()
      local labels = setmetatable({}, {__len = function() return 2 end,
                                       __index = function(_, i) return i end})
      local a = ce:forward(lunet.zeros(2, 3), labels)
      local b = ce:forward(lunet.zeros(2, 3), {1, 2})
      return a == b and ce:backward(lunet.zeros(2, 3), labels):size(2)]], "ok: 3")
  end)

  it("lunet.optim.Adam: betas closing the net", function()
    expect([[
      local net = lunet.Linear(2, 2)
      local opt = lunet.optim.Adam(net, {betas = setmetatable({}, {__index = function(_, k)
        getmetatable(net).__close(net); return ({0.9, 0.999})[k] end})})
      opt:step()]], "error: ")
    expect([[
      local net = lunet.Linear(2, 2)
      local opt = lunet.optim.Adam(net, {betas = setmetatable({}, {__index = function(_, k)
        getmetatable(net).__close(net); return ({0.9, 0.999})[k] end})})]],
      "(Linear module has been closed)")
  end)

  it("opt.betas = a table closing the optimizer", function()
    expect([[
      local opt = lunet.optim.Adam(lunet.Linear(2, 2))
      opt.betas = setmetatable({}, {__index = function(_, k)
        getmetatable(opt).__close(opt); return ({0.5, 0.6})[k] end})]],
      "Adam.betas: optimizer has been closed")
  end)

  it("opt.betas = a table changing lr meanwhile: both changes stay", function()
    expect([[
      local opt = lunet.optim.Adam(lunet.Linear(2, 2))
      opt.betas = setmetatable({}, {__index = function(_, k)
        opt.lr = 0.5; return ({0.5, 0.6})[k] end})
      return opt.lr .. " " .. opt.betas[1] .. " " .. opt.betas[2] ]], "ok: 0.5 0.5 0.6")
  end)

  it("lunet.Sequential{...}: a list whose __index closes what it returned before", function()
    expect([[
      local a, b = lunet.Linear(2, 2), lunet.ReLU()
      local list = setmetatable({}, {__len = function() return 2 end, __index = function(_, i)
        if i == 2 then getmetatable(a).__close(a) end
        return i == 1 and a or b end})
      local s = lunet.Sequential(list)
      return #s.modules .. " " .. s.modules[1]:type()]], "ok: 2 Linear")
    expect([[
      local a = lunet.Linear(2, 2)
      local list = setmetatable({}, {__len = function() return 1 end, __index = function()
        getmetatable(a).__close(a); return a end})
      return lunet.Sequential(list)]], "element 1 is not a module (got a closed module)")
  end)

  it("lunet.init.kaiming_uniform: options closing the tensor", function()
    expect([[
      local t = lunet.zeros(4, 4)
      lunet.init.kaiming_uniform(t, setmetatable({}, {__index = function()
        getmetatable(t).__close(t) end}))]], "tensor has been freed")
  end)

  it("Module:forward and tostring keep working when a finalizer closes the module", function()
    -- Finalizers run inside the allocations a call makes (a GC step); with
    -- the collector this eager, some of these run mid-call. Whatever runs
    -- when, every call either works or says the module is closed.
    expect([[
      collectgarbage("incremental", 1, 1000)  -- a pause of 1%: steps all the time
      local closed, done = 0, 0
      for i = 1, 300 do
        local net = lunet.Sequential{lunet.Linear(3, 4), lunet.ReLU(),
                                     lunet.Sequential{lunet.Linear(4, 2)}}
        local x = lunet.randn(5, 3)
        for _ = 1, 3 do
          setmetatable({}, {__gc = function() getmetatable(net).__close(net) end})
        end
        local calls = {
          function() return net:forward(x) end,
          function() return tostring(net) end,
          function() return net:parameters() end,
          function() return net.modules end,
          function() return net.modules[1].weight end,
          function() return net:backward(x, lunet.ones(5, 2)) end,
        }
        for _, f in ipairs(calls) do
          local ok, err = pcall(f)
          if ok then done = done + 1
          elseif tostring(err):find("closed", 1, true) then closed = closed + 1
          else error(err) end
        end
      end
      return done + closed]], "ok: 1800")
  end)
end)
