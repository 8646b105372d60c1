-- lunet side of the CNN step benchmark (cnn_step_torch.py is PyTorch's): a
-- training step (forward, cross-entropy, backward, Adam) of the reference
-- net of scripts/fashion_cnn.lua on a batch of random 28x28 images.
-- Prints one line: `cnn <threads> <seconds per step> <seconds of the fastest step>`
-- (best of 3 rounds; then the fastest single step of those rounds: on a
-- shared machine, the step most likely to have had its cores to itself).
-- usage: lunet cnn_step.lua [threads] [steps] [batch]
local lunet = require "lunet"

local threads, steps, batch = tonumber(arg[1] or 1), tonumber(arg[2] or 20),
  tonumber(arg[3] or 128)
lunet.set_num_threads(threads)
lunet.manual_seed(1)

local net = lunet.Sequential{
  lunet.Conv2d(1, 32, 3, {padding = 1}), lunet.BatchNorm(32), lunet.ReLU(), lunet.MaxPool2d(2),
  lunet.Conv2d(32, 64, 3, {padding = 1}), lunet.BatchNorm(64), lunet.ReLU(), lunet.MaxPool2d(2),
  lunet.Flatten(), lunet.Linear(3136, 128), lunet.BatchNorm(128), lunet.ReLU(),
  lunet.Dropout(0.25), lunet.Linear(128, 10)}
local x = lunet.rand(batch, 1, 28, 28)
local y = {}
for i = 1, batch do y[i] = (i - 1) % 10 + 1 end
local loss, opt = lunet.CrossEntropyLoss(), lunet.optim.Adam(net, {lr = 1e-3})

local function step()
  net:zero_grad()
  local out = net:forward(x)
  loss:forward(out, y)
  net:backward(x, loss:backward(out, y), {input_grad = false})
  opt:step()
end

for _ = 1, 3 do step() end
local best, one = math.huge, math.huge
for _ = 1, 3 do
  local t0 = lunet.clock()
  for _ = 1, steps do
    local t1 = lunet.clock()
    step()
    one = math.min(one, lunet.clock() - t1)
  end
  best = math.min(best, (lunet.clock() - t0) / steps)
end
print("cnn", threads, string.format("%.9f", best), string.format("%.9f", one))
