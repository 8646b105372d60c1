-- A training run checkpointed at step k, loaded in a new process and
-- continued to step n, ends bit for bit where the uninterrupted run ends:
-- every parameter, every buffer (BatchNorm's running statistics) and the
-- optimizer's state. The legs are tests/scripts/checkpoint_run.lua, run by
-- the executable ($LUNET, set by tests/run.sh).
local lunet = require "lunet"
local exact = dofile("tests/spec/exact.lua")

local data = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
local exe = os.getenv("LUNET") or "build/lunet"
local script = "tests/scripts/checkpoint_run.lua"
local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p '" .. dir .. "'"))

local function path(name) return dir .. "/" .. name end

local function run(...)
  local cmd = string.format("'%s' %s %s 2>&1", exe, script, table.concat({...}, " "))
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  assert.is_true(p:close(), cmd .. ": " .. out)
end

local function usable()
  local f = io.open(data, "rb")
  if f then f:close() end
  local x = io.open(exe, "rb")
  if x then x:close() end
  if not f or not x then
    pending("needs dataset-fashion-mnist and the executable ($LUNET or build/lunet)")
  end
  return f and x
end

describe("a checkpointed training run", function()
  -- SGD's checkpoint falls inside an epoch (30 steps each), Adam's at the end of one,
  -- OneCycle's (a scheduler, and Dropout drawing from the generator) inside one.
  for _, case in ipairs{{"SGD", 45}, {"Adam", 60}, {"OneCycle", 50}} do
    local optim, k, n = case[1], case[2], 90
    it("with " .. optim .. " resumes in a new process bit for bit (k = " .. k .. ")", function()
      if not usable() then return end
      local full, ckpt, resumed = path(optim .. "_full"), path(optim .. "_k"),
        path(optim .. "_resumed")
      run(optim, n, full, "--save-at", k, ckpt)
      run(optim, n, resumed, "--resume", ckpt)
      local a, b, c = lunet.load(full), lunet.load(resumed), lunet.load(ckpt)
      assert.equals(k, c.step)
      assert.equals(b.net, b.opt.param_groups[1].module)
      local sa, sb = a.net:state_dict(), b.net:state_dict()
      assert.is_not_nil(sa["2.running_mean"])
      for name, t in pairs(sa) do
        assert.same(exact(t), exact(sb[name]), name)
      end
      for name in pairs(sb) do assert.is_not_nil(sa[name], name) end
      assert.same(exact(a.opt:state_dict()), exact(b.opt:state_dict()))
      -- the steps after k moved the weights: the comparison is not of the checkpoint
      assert.are_not.same(exact(c.net:state_dict()), exact(sb))
    end)
  end

  it("differs when the optimizer's state is not restored", function()
    if not usable() then return end
    local ckpt, full, fresh = path("SGD_k"), path("SGD_full"), path("SGD_fresh")
    local c = lunet.load(ckpt)
    c.opt = lunet.optim.SGD(c.net, {lr = 0.05, momentum = 0.9})  -- no momentum buffers
    lunet.save(ckpt .. "_fresh", c)
    run("SGD", 90, fresh, "--resume", ckpt .. "_fresh")
    assert.are_not.same(exact(lunet.load(full).net:state_dict()),
      exact(lunet.load(fresh).net:state_dict()))
  end)
end)
