-- Options given positionally, in the order of PyTorch's signatures
-- (optim.SGD(net, 0.1, 0.9), StepLR(opt, 30, 0.5), kaiming_normal(t, 0,
-- "fan_out")), are the same as the options table, which may follow them.
local lunet = require "lunet"
local G = dofile("tests/spec/gradcheck.lua")
local errors_with = G.errors_with

describe("options given positionally", function()
  local net = lunet.Linear(3, 2)

  it("are an optimizer's options in PyTorch's order", function()
    assert.equals(tostring(lunet.optim.SGD(net, {lr = 0.1, momentum = 0.9})),
                  tostring(lunet.optim.SGD(net, 0.1, 0.9)))
    assert.equals(tostring(lunet.optim.SGD(net, {lr = 0.1, momentum = 0.5})),
                  tostring(lunet.optim.SGD(net, 0.1, {momentum = 0.5})))
    assert.equals(tostring(lunet.optim.Adam(net, {lr = 0.01, betas = {0.8, 0.9}})),
                  tostring(lunet.optim.Adam(net, 0.01, {0.8, 0.9})))
    assert.equals(tostring(lunet.optim.RMSprop(net, {lr = 0.1, alpha = 0.9})),
                  tostring(lunet.optim.RMSprop(net, 0.1, 0.9)))
    errors_with(function() lunet.optim.SGD(net, 0.1, {lr = 0.2}) end,
      "lunet.optim.SGD: option 'lr' given twice (argument #2 and the options table)")
    errors_with(function() lunet.optim.SGD(net, 0.1, 0.9, 0, 0, true, 1) end,
      "lunet.optim.SGD: unexpected argument #7 (expected at most 6, got 7)")
    errors_with(function() lunet.optim.SGD(net, "fast") end,
      "lunet.optim.SGD: option 'lr' must be a number, got string")
  end)

  it("are a scheduler's options in PyTorch's order, lists included", function()
    local function lrs(s, n)
      local out = {}
      for i = 1, n do s:step(); out[i] = s:get_last_lr()[1] end
      return out
    end
    local function pair(make)
      return lrs(make(lunet.optim.SGD(net, 0.1, 0.9)), 6)
    end
    local S = lunet.optim.lr_scheduler
    assert.same(pair(function(o) return S.StepLR(o, {step_size = 2, gamma = 0.5}) end),
                pair(function(o) return S.StepLR(o, 2, 0.5) end))
    assert.same(pair(function(o) return S.MultiStepLR(o, {milestones = {2, 4}}) end),
                pair(function(o) return S.MultiStepLR(o, {2, 4}) end))
    assert.same(pair(function(o) return S.OneCycleLR(o, {max_lr = 0.2, total_steps = 10}) end),
                pair(function(o) return S.OneCycleLR(o, 0.2, 10) end))
    errors_with(function() S.StepLR(lunet.optim.SGD(net, 0.1), 2, {step_size = 3}) end,
      "option 'step_size' given twice")
  end)

  it("are an initializer's options in PyTorch's order", function()
    local function draw(f, ...)
      lunet.manual_seed(5)
      local t = lunet.zeros(20, 10)
      f(t, ...)
      return t:totable()
    end
    local init = lunet.init
    assert.same(draw(init.kaiming_normal, {a = 0, mode = "fan_out"}),
                draw(init.kaiming_normal, 0, "fan_out"))
    assert.same(draw(init.kaiming_uniform, {a = 0.2}), draw(init.kaiming_uniform, 0.2))
    assert.same(draw(init.xavier_uniform, 2), draw(init.xavier_uniform, {gain = 2}))
    errors_with(function() init.xavier_normal(lunet.zeros(2, 2), {gian = 2}) end,
      "lunet.init.xavier_normal: unknown option 'gian' (expected gain)")
  end)

  it("give Dropout2d PyTorch's default p, as Dropout", function()
    assert.equals("Dropout2d(p=0.5)", tostring(lunet.Dropout2d()))
    assert.equals(0.5, lunet.Dropout().p)
  end)
end)
