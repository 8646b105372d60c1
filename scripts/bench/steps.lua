-- lunet side of the step benchmarks (torch_steps.py is PyTorch's).
-- Prints one line: `<name> <seconds per step>`.
-- usage: lunet steps.lua seed|gemm [steps]
local lunet = require "lunet"

local name, steps = arg[1], tonumber(arg[2] or 200)
lunet.manual_seed(1)

local function seed_net()
  local net = lunet.Sequential{lunet.BatchNorm(1, {eps = 1e-3, momentum = 0.5})}
  local width = 1
  for _ = 1, 7 do
    net:add(lunet.Linear(width, 30))
    net:add(lunet.BatchNorm(30, {eps = 1e-3, momentum = 0.5}))
    net:add(lunet.ReLU())
    width = 30
  end
  net:add(lunet.Linear(30, 1))
  local x = lunet.linspace(-7, 10, 500):view(500, 1)
  local y = x:pow(2) - 5 + lunet.randn(500, 1) * 8
  return net, x, y, lunet.MSELoss(), lunet.optim.SGD(net, {lr = 0.001})
end

local function gemm_net()
  local sizes = {784, 1024, 1024, 1024}
  local net = lunet.Sequential{}
  for i = 1, #sizes - 1 do
    net:add(lunet.Linear(sizes[i], sizes[i + 1]))
    net:add(lunet.BatchNorm(sizes[i + 1]))
    net:add(lunet.ReLU())
  end
  net:add(lunet.Linear(1024, 10))
  local x = lunet.rand(256, 784)
  local y = lunet.zeros(256)
  for i = 1, 256 do y:set(i, math.random(1, 10)) end
  return net, x, y, lunet.CrossEntropyLoss(), lunet.optim.SGD(net, {lr = 0.01, momentum = 0.9})
end

local net, x, y, loss, opt
if name == "seed" then
  net, x, y, loss, opt = seed_net()
elseif name == "gemm" then
  net, x, y, loss, opt = gemm_net()
else
  error("usage: lunet steps.lua seed|gemm [steps]")
end

local function step()
  net:zero_grad()
  local out = net:forward(x)
  local cost = loss:forward(out, y)
  net:backward(x, loss:backward(out, y), {input_grad = false})
  opt:step()
  return cost
end

for _ = 1, math.max(3, steps // 10) do step() end
local best = math.huge
for _ = 1, 3 do
  local t0 = lunet.clock()
  for _ = 1, steps do step() end
  best = math.min(best, (lunet.clock() - t0) / steps)
end
print(name, string.format("%.9f", best))
