-- DataParallel: N ranks with batch B each take the same 20 SGD steps as
-- one process with batch N B (to 1e-5 relative), through a network with
-- SyncBatchNorm and a module written in Lua; the ranks start from different
-- weights, and DataParallel gives them rank 1's.
local lunet = require "lunet"
package.path = "tests/dist/?.lua;" .. package.path
local T = require "lib"
local dist = lunet.dist
local r, n = dist.rank(), dist.size()
local B, STEPS, TOL = 6, 20, 1e-5

local Scale = lunet.Module("Scale")
function Scale:__init(k) self:parameter("weight", lunet.rand(k) + 0.5) end
function Scale:forward(x) return x * self.weight end
function Scale:backward(x, dy)
  self.grad.weight:add_((dy * x):sum(1))
  return dy * self.weight
end

local function make(sync)
  return lunet.Sequential{
    lunet.Linear(6, 8), lunet.BatchNorm(8, {sync = sync}), lunet.ReLU(), Scale(8),
    lunet.Linear(8, 3),
  }
end

lunet.manual_seed(1)
local xs, ys = {}, {}
for s = 1, STEPS do
  xs[s] = lunet.randn(n * B, 6)
  ys[s] = lunet.randn(n * B, 3)
end

lunet.manual_seed(100)
local ref = make(false)
lunet.manual_seed(100 + r - 1)  -- rank 1 draws ref's weights, the others not
local net = make(true)
local ddp = dist.DataParallel(net)
T.check("DataParallel gives every rank rank 1's weights",
        T.rel(net.modules[1].weight, ref.modules[1].weight) == 0)

local loss = lunet.MSELoss()
local opt_ref = lunet.optim.SGD(ref, {lr = 0.05, momentum = 0.9})
local opt = lunet.optim.SGD(ddp, {lr = 0.05, momentum = 0.9})
for s = 1, STEPS do
  opt_ref:zero_grad()
  local out = ref:forward(xs[s])
  loss:forward(out, ys[s])
  ref:backward(xs[s], loss:backward(out, ys[s]))
  opt_ref:step()

  local x, y = xs[s]:narrow(1, (r - 1) * B + 1, B), ys[s]:narrow(1, (r - 1) * B + 1, B)
  opt:zero_grad()
  local o = ddp(x)
  loss:forward(o, y)
  ddp:backward(x, loss:backward(o, y))
  opt:step()
end

local got, want = ddp:state_dict(), ref:state_dict()
local keys = 0
for k, v in pairs(want) do
  keys = keys + 1
  T.close(("%s after %d steps"):format(k, STEPS), got[k], v, TOL)
end
local extra = 0
for _ in pairs(got) do extra = extra + 1 end
T.check("state_dict has the network's names", extra == keys and got["1.weight"] ~= nil)
T.check("parameters pass through", #ddp:parameters() == #net:parameters())

-- Saved, it is the network it wraps.
do
  local path = os.tmpname()
  lunet.save(path, {model = ddp, net = net})
  local back = lunet.load(path)
  os.remove(path)
  T.check("lunet.save of a DataParallel saves the network",
          tostring(back.model):match("^Sequential") ~= nil and rawequal(back.model, back.net))
  T.close("the saved network's weights", back.model.modules[5].weight,
          net.modules[5].weight, 0)
end
T.finish()
