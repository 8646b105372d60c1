-- No Lua garbage in a steady training step: the views a step hands out (a
-- module's output and grad_input, a loss's gradient, fields such as
-- m.weight) are the same userdata from one step to the next while their
-- header is unchanged (bindings/lunet.h, l_pushcached), so 1,000 steps of
-- the seed network and of the Fashion-MNIST MLP leave collectgarbage("count")
-- where it was.
package.path = "scripts/lib/?.lua;" .. package.path
local lunet = require "lunet"
local seed = require "seed"

-- KB that `steps` calls of fn leave behind, the collector stopped.
local function garbage(fn, steps)
  for _ = 1, 10 do fn() end  -- the first steps size the buffers and caches
  collectgarbage()
  collectgarbage("stop")
  local before = collectgarbage("count")
  for _ = 1, steps do fn() end
  local after = collectgarbage("count")
  collectgarbage("restart")
  return after - before
end

-- One SGD step of net on (x, y) under the MSE loss.
local function mse_step(net, mse, opt, x, y)
  return function()
    net:zero_grad()
    local out = net:forward(x)
    mse:forward(out, y)
    net:backward(x, mse:backward(out, y))
    opt:step()
  end
end

local function mlp()
  return lunet.Sequential{lunet.Linear(784, 256), lunet.BatchNorm(256), lunet.ReLU(),
                          lunet.Linear(256, 128), lunet.BatchNorm(128), lunet.ReLU(),
                          lunet.Linear(128, 10)}
end

describe("a steady training step", function()
  it("of the seed network makes no garbage", function()
    lunet.manual_seed(1)
    local net, mse = seed.build(seed.options(), true), lunet.MSELoss()
    local opt = lunet.optim.SGD(net, {lr = 1e-3})
    local x = lunet.linspace(-7, 10, 500):view(500, 1)
    local y = x:pow(2) - 5
    local kb = garbage(mse_step(net, mse, opt, x, y), 1000)
    assert.is_true(kb < 1, kb .. " KB of garbage over 1000 steps")
  end)

  it("of the Fashion-MNIST MLP (cross-entropy, Adam) makes no garbage", function()
    lunet.manual_seed(1)
    local net, ce = mlp(), lunet.CrossEntropyLoss()
    local opt = lunet.optim.Adam(net, {lr = 1e-3})
    local x = lunet.randn(128, 784)
    local y = (lunet.rand(128) * 10):floor() + 1
    local no_input_grad = {input_grad = false}  -- a table literal in the loop is garbage
    local kb = garbage(function()
      local logits = net:forward(x)
      ce:forward(logits, y)
      net:zero_grad()
      net:backward(x, ce:backward(logits, y), no_input_grad)
      opt:step()
    end, 1000)
    assert.is_true(kb < 1, kb .. " KB of garbage over 1000 steps")
  end)

  it("through a module written in Lua makes no garbage of its arguments", function()
    local Double = lunet.Module("GarbageDouble")
    function Double:__init() self.y, self.dx = false, false end
    function Double:forward(x)
      if not self.y then self.y = x:clone() end
      return self.y:copy(x):mul_(2)
    end
    function Double:backward(_, dy)
      if not self.dx then self.dx = dy:clone() end
      return self.dx:copy(dy):mul_(2)
    end
    lunet.manual_seed(1)
    local net = lunet.Sequential{lunet.Linear(8, 16), Double(), lunet.ReLU(), lunet.Linear(16, 1)}
    local mse, opt = lunet.MSELoss(), lunet.optim.SGD(net, {lr = 1e-3})
    local x, y = lunet.randn(32, 8), lunet.randn(32, 1)
    local kb = garbage(mse_step(net, mse, opt, x, y), 1000)
    assert.is_true(kb < 1, kb .. " KB of garbage over 1000 steps")
  end)

  it("reads fields without garbage", function()
    local net = mlp()
    net:forward(lunet.randn(4, 784))
    local lin, bn = net.modules[1], net.modules[2]
    local kb = garbage(function()
      local _ = lin.weight, lin.bias, lin.output, bn.running_mean, bn.running_var
    end, 1000)
    assert.is_true(kb < 1, kb .. " KB of garbage over 1000 reads")
  end)
end)

describe("a cached view", function()
  it("is the same tensor while the module's tensor is unchanged, as Torch7's m.output", function()
    local lin = lunet.Linear(3, 2)
    local x = lunet.randn(4, 3)
    local a = lin:forward(x)
    assert.is_true(rawequal(a, lin:forward(x)))
    assert.is_true(rawequal(a, lin.output))
    assert.is_true(rawequal(lin.weight, lin.weight))
  end)

  it("is a new tensor once the output's shape changes, the old one left as it was", function()
    local lin = lunet.Linear(3, 2)
    local a = lin:forward(lunet.randn(4, 3))
    local b = lin:forward(lunet.randn(5, 3))
    assert.is_false(rawequal(a, b))
    assert.are.same({4, 2}, {a:size(1), a:size(2)})
    assert.are.same({5, 2}, {b:size(1), b:size(2)})
  end)

  it("is replaced after the user closed it", function()
    local lin = lunet.Linear(3, 2)
    local x = lunet.randn(4, 3)
    do
      local out <close> = lin:forward(x)
      assert.are.equal(4, out:size(1))
    end
    local again = lin:forward(x)
    assert.are.equal(8, again:numel())
    assert.are.same(lin.output:totable(), again:totable())
    local w = lin.weight
    getmetatable(w).__close(w)
    assert.are.equal(6, lin.weight:numel())
  end)

  it("of a loss's gradient is replaced after the user closed it", function()
    local mse = lunet.MSELoss()
    local x, y = lunet.randn(4, 2), lunet.randn(4, 2)
    local g = mse:backward(x, y)
    assert.is_true(rawequal(g, mse:backward(x, y)))
    getmetatable(g).__close(g)
    local g2 = mse:backward(x, y)
    assert.are.equal(8, g2:numel())
    assert.is_true(math.abs(g2:sum() - (x - y):sum() * 2 / 8) < 1e-5)
  end)
end)
