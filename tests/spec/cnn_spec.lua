-- The convolutional layers from Lua: Conv2d, MaxPool2d, AvgPool2d,
-- AdaptiveAvgPool2d, Flatten, Dropout2d. Their options and fields, printing
-- as PyTorch prints them, the finite-difference gradient check, saving and
-- loading, state dicts, cloning, and the errors (each naming the layer).
-- PyTorch's numbers are checked in tests/core/test_cnn_layers.c.
local lunet = require "lunet"
local G = dofile("tests/spec/gradcheck.lua")

local errors_with = G.errors_with

local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p '" .. dir .. "'"))

local function ok_grad(net, x, h)
  local worst = G.check(net, x, h)
  assert.is_true(worst < 2e-2, tostring(net) .. ": relative difference " .. worst)
end

describe("Conv2d", function()
  it("takes sizes as a number or {h, w} and prints as PyTorch", function()
    local c = lunet.Conv2d(1, 32, 3, {padding = 1})
    assert.equals("Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))",
      tostring(c))
    assert.same({32, 1, 3, 3}, c.weight:size())
    assert.same({32}, c.bias:size())
    assert.same({3, 3}, c.kernel_size)
    assert.equals(1, c.in_channels)
    assert.equals(32, c.out_channels)
    local g = lunet.Conv2d(4, 6, {3, 2}, {stride = {2, 1}, dilation = {1, 2}, groups = 2,
      bias = false})
    assert.equals("Conv2d(4, 6, kernel_size=(3, 2), stride=(2, 1), dilation=(1, 2), "
      .. "groups=2, bias=false)", tostring(g))
    assert.same({6, 2, 3, 2}, g.weight:size())
    assert.is_false(g.bias ~= nil and lunet.is_tensor(g.bias))
    local s = lunet.Conv2d(2, 2, {2, 4}, {padding = "same"})
    assert.equals("same", s.padding)
    assert.same({3, 2, 5, 7}, s:forward(lunet.randn(3, 2, 5, 7)):size())
  end)

  it("initialises as PyTorch: weight and bias within 1/sqrt(fan_in), by seed", function()
    lunet.manual_seed(4)
    local a = lunet.Conv2d(8, 16, 3)
    lunet.manual_seed(4)
    local b = lunet.Conv2d(8, 16, 3)
    assert.is_true(a.weight:equal(b.weight))
    local bound = 1 / math.sqrt(8 * 9)
    assert.is_true(a.weight:max() <= bound and a.weight:min() >= -bound)
    assert.is_true(a.weight:max() > 0.9 * bound and a.weight:min() < -0.9 * bound)
    assert.is_true(a.bias:max() <= bound and a.bias:min() >= -bound)
  end)

  it("passes the gradient check with every option", function()
    lunet.manual_seed(11)
    ok_grad(lunet.Conv2d(2, 3, 3, {padding = 1}), lunet.randn(2, 2, 5, 4))
    ok_grad(lunet.Conv2d(4, 4, {3, 2}, {stride = 2, padding = {1, 0}, dilation = {1, 2},
      groups = 2}), lunet.randn(2, 4, 6, 7))
    ok_grad(lunet.Conv2d(3, 3, 3, {groups = 3, bias = false, stride = {1, 2}}),
      lunet.randn(1, 3, 5, 6))
    ok_grad(lunet.Conv2d(2, 2, {2, 3}, {padding = "same"}), lunet.randn(2, 2, 4, 5))
  end)

  it("refuses bad input and configurations, naming the layer", function()
    local c = lunet.Conv2d(3, 4, 3)
    errors_with(function() c:forward(lunet.randn(3, 8, 8)) end,
      "Conv2d:forward: input must be 4-D (N,C,H,W), got 3x8x8")
    errors_with(function() c:forward(lunet.randn(1, 2, 8, 8)) end,
      "Conv2d:forward: input has 2 channels, expected 3")
    errors_with(function() lunet.Conv2d(1, 1, 5, {padding = 1}):forward(lunet.randn(1, 1, 2, 2)) end,
      "Conv2d:forward: kernel 5x5 (dilated 5x5) is larger than the padded input 4x4")
    errors_with(function() lunet.Conv2d(3, 4, 3, {groups = 2}) end,
      "lunet.Conv2d: groups (2) must divide in_channels (3) and out_channels (4)")
    errors_with(function() lunet.Conv2d(3, 4, 3, {padding = "same", stride = 2}) end,
      "padding='same' is not supported for strided convolutions")
    errors_with(function() lunet.Conv2d(3, 4, 0) end, "lunet.Conv2d: kernel_size must be positive")
    errors_with(function() lunet.Conv2d(3, 4, {3, 3, 3}) end,
      "kernel_size must be an integer or {h, w}, got a table that is not {h, w}")
    errors_with(function() lunet.Conv2d(3, 4, 3, {padding = "valid"}) end,
      "option 'padding' must be an integer, {h, w} or 'same'")
    errors_with(function() lunet.Conv2d(3, 4, 3, {strid = 2}) end,
      "lunet.Conv2d: unknown option 'strid'")
  end)
end)

describe("pooling", function()
  it("prints as PyTorch and exposes its fields", function()
    local m = lunet.MaxPool2d(2)
    assert.equals("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=false)",
      tostring(m))
    assert.same({2, 2}, m.stride)
    assert.equals("AvgPool2d(kernel_size=3, stride=2, padding=1, count_include_pad=false)",
      tostring(lunet.AvgPool2d(3, {stride = 2, padding = 1, count_include_pad = false})))
    assert.equals("AdaptiveAvgPool2d(output_size=(2, 3))", tostring(lunet.AdaptiveAvgPool2d{2, 3}))
    assert.same({4, 3, 1, 1}, lunet.AdaptiveAvgPool2d(1):forward(lunet.randn(4, 3, 5, 5)):size())
  end)

  it("pass the gradient check", function()
    lunet.manual_seed(12)
    ok_grad(lunet.MaxPool2d(2), lunet.randn(2, 2, 6, 6), 1e-3)
    ok_grad(lunet.MaxPool2d(3, {stride = 2, padding = 1, ceil_mode = true}),
      lunet.randn(2, 2, 7, 6), 1e-3)
    ok_grad(lunet.MaxPool2d({3, 2}, {stride = {2, 1}, dilation = {2, 1}}),
      lunet.randn(1, 2, 9, 5), 1e-3)
    ok_grad(lunet.AvgPool2d(3, {stride = 2, padding = 1, ceil_mode = true}),
      lunet.randn(2, 2, 7, 8))
    ok_grad(lunet.AvgPool2d(2, {padding = 1, count_include_pad = false}),
      lunet.randn(1, 3, 5, 5))
    ok_grad(lunet.AdaptiveAvgPool2d({3, 2}), lunet.randn(2, 2, 7, 5))
  end)

  it("max pooling averages nothing: each output is one input", function()
    local x = lunet.tensor{{{{1, 5}, {3, 2}}}}
    assert.same({{{{5}}}}, lunet.MaxPool2d(2):forward(x):totable())
    assert.same({{{{2.75}}}}, lunet.AvgPool2d(2):forward(x):totable())
  end)

  it("refuse bad input and configurations, naming the layer", function()
    errors_with(function() lunet.MaxPool2d(2):forward(lunet.randn(3, 4, 4)) end,
      "MaxPool2d:forward: input must be 4-D (N,C,H,W), got 3x4x4")
    errors_with(function() lunet.AvgPool2d(5):forward(lunet.randn(1, 1, 3, 3)) end,
      "AvgPool2d:forward:")
    errors_with(function() lunet.MaxPool2d(2, {padding = 2}) end,
      "lunet.MaxPool2d: padding (2) must be at most half the kernel size")
    errors_with(function() lunet.AdaptiveAvgPool2d(0) end,
      "lunet.AdaptiveAvgPool2d: output_size must be")
    errors_with(function() lunet.AvgPool2d(2, {dilation = 2}) end,
      "lunet.AvgPool2d: unknown option 'dilation'")
  end)
end)

describe("Flatten and Dropout2d", function()
  it("Flatten keeps dimension 1 and shares storage", function()
    local f = lunet.Flatten()
    assert.equals("Flatten()", tostring(f))
    local x = lunet.randn(3, 2, 4, 5)
    local y = f:forward(x)
    assert.same({3, 40}, y:size())
    x:set(1, 1, 1, 1, 42)
    assert.equals(42, y:get(1, 1))
    ok_grad(lunet.Sequential{lunet.Conv2d(1, 2, 3), lunet.Flatten(), lunet.Linear(18, 2)},
      lunet.randn(2, 1, 5, 5))
    errors_with(function() f:forward(lunet.randn(4)) end,
      "Flatten:forward: dimensions 2..-1 do not fit an input of 4")
  end)

  it("Flatten(start_dim, end_dim) makes those dimensions one, as PyTorch's", function()
    local x = lunet.randn(2, 3, 4, 5)
    for _, case in ipairs{{{1}, {120}}, {{2, 3}, {2, 12, 5}}, {{-2}, {2, 3, 20}},
                          {{{start_dim = 3, end_dim = 3}}, {2, 3, 4, 5}}} do
      local f = lunet.Flatten(table.unpack(case[1]))
      local y = f:forward(x)
      assert.same(case[2], y:size())
      assert.same(x:size(), f:backward(x, y):size())
      assert.same(x:view(-1):totable(), y:contiguous():view(-1):totable())
    end
    assert.equals("Flatten(start_dim=2, end_dim=3)", tostring(lunet.Flatten(2, 3)))
    assert.equals(3, lunet.Flatten(3).start_dim)
    local p = os.tmpname()
    lunet.save(p, lunet.Flatten(2, 3))
    assert.equals("Flatten(start_dim=2, end_dim=3)", tostring(lunet.load(p)))
    os.remove(p)
    errors_with(function() lunet.Flatten(0) end, "dimensions are 1-based")
    errors_with(function() lunet.Flatten(3, 2):forward(x) end,
      "Flatten:forward: dimensions 3..2 do not fit an input of 2x3x4x5")
  end)

  it("Dropout2d drops whole planes, scales the rest, is the identity in evaluation", function()
    lunet.manual_seed(3)
    local d = lunet.Dropout2d(0.5)
    assert.equals("Dropout2d(p=0.5)", tostring(d))
    assert.equals(0.5, d.p)
    local x = lunet.rand(8, 6, 3, 3) + 1
    lunet.manual_seed(9)
    local y = d:forward(x):clone()
    local dx = d:backward(x, lunet.ones(8, 6, 3, 3))
    -- y = x * s and dx = s, with s 0 or 2 per plane
    assert.is_true(lunet.allclose(y, x * dx))
    local planes = dx:view(48, 9)
    local dropped = 0
    for i = 1, 48 do
      local s = planes:get(i, 1)
      assert.is_true(s == 0 or s == 2)
      assert.equals(9 * s, planes:select(1, i):sum())
      if s == 0 then dropped = dropped + 1 end
    end
    assert.is_true(dropped > 10 and dropped < 38, dropped .. " of 48 dropped")
    lunet.manual_seed(9)
    assert.is_true(lunet.Dropout2d(0.5):forward(x):equal(y), "masks from lunet's generator")
    d:evaluate()
    assert.is_true(d:forward(x):equal(x))
    errors_with(function() d:forward(lunet.randn(2, 3, 4)) end,
      "Dropout2d:forward: input must be 4-D (N,C,H,W) or 2-D (N,C), got 2x3x4")
    errors_with(function() lunet.Dropout2d(2) end, "lunet.Dropout2d: p must be in 0..1")
  end)
end)

describe("a CNN", function()
  local function net()
    return lunet.Sequential{
      lunet.Conv2d(1, 4, 3, {padding = 1}), lunet.BatchNorm(4), lunet.ReLU(), lunet.MaxPool2d(2),
      lunet.Conv2d(4, 6, {3, 2}, {stride = {1, 2}, bias = false}), lunet.AvgPool2d(2),
      lunet.AdaptiveAvgPool2d(1), lunet.Flatten(), lunet.Dropout2d(0.3), lunet.Linear(6, 3)}
  end

  it("saves and loads, clones and loads state dicts with the same outputs", function()
    lunet.manual_seed(21)
    local a = net()
    local x = lunet.randn(4, 1, 12, 12)
    a:forward(x)  -- running statistics move
    a:evaluate()
    local want = a:forward(x):clone()
    local p = dir .. "/cnn.lunet"
    lunet.save(p, a)
    local b = lunet.load(p)
    assert.equals(tostring(a), tostring(b))
    b:evaluate()
    assert.is_true(b:forward(x):equal(want))
    local c = a:clone()
    assert.is_true(c:forward(x):equal(want))
    local d = net()
    d:load_state_dict(a:state_dict())
    d:evaluate()
    assert.is_true(d:forward(x):equal(want))
    local sd = a:state_dict()
    assert.same({4, 1, 3, 3}, sd["1.weight"]:size())
    assert.is_nil(sd["5.bias"])
    local s = lunet.Conv2d(2, 2, 2, {padding = "same"})
    lunet.save(p, s)
    assert.equals("same", lunet.load(p).padding)
  end)

  it("trains: the loss falls", function()
    lunet.manual_seed(22)
    local m = net()
    local x, y = lunet.randn(16, 1, 12, 12), {}
    for i = 1, 16 do y[i] = i % 3 + 1 end
    local loss = lunet.CrossEntropyLoss()
    local opt = lunet.optim.Adam(m, {lr = 1e-2})
    local first, last
    for _ = 1, 60 do
      local out = m:forward(x)
      last = loss:forward(out, y)
      first = first or last
      m:zero_grad()
      m:backward(x, loss:backward(out, y), {input_grad = false})
      opt:step()
    end
    assert.is_true(last < 0.7 * first, first .. " -> " .. last)
  end)
end)
