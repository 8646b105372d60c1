-- LayerNorm, GroupNorm, InstanceNorm and BatchNorm's track_running_stats and
-- momentum = false (PyTorch's momentum=None) against PyTorch:
-- tests/fixtures/norm.lua (made by tests/fixtures/gen_norm.py) holds
-- PyTorch's numbers; lunet must agree to 1e-4 relative, element by element,
-- on the training forward, the input, weight and bias gradients, the buffers
-- after 3 training steps, the evaluation forward and backward and the names
-- in the state dict. Then the finite-difference gradient check, the error
-- messages, printing, fields, saving and loading.
local lunet = require "lunet"
local G = dofile("tests/spec/gradcheck.lua")

local here = debug.getinfo(1, "S").source:match("^@(.*)spec/[^/]*$") or "tests/"
local cases = dofile(here .. "fixtures/norm.lua")

local RTOL = 1e-4
local worst = 0

local function T(flat, shape) return lunet.tensor(flat):view(shape) end

-- |want| floored at 1e-3 of the largest: float rounding of values ~0.
local function agree(got, want, what)
  worst = math.max(worst, G.agree(got, want, what, RTOL, 1e-3))
end

for _, c in ipairs(cases) do
  describe("vs PyTorch, " .. c.name, function()
    local m = G.make(c)
    if c.weight then
      m.weight:copy(T(c.weight, m.weight:size()))
      m.bias:copy(T(c.bias, m.bias:size()))
    end
    local x = T(c.x, c.shape)

    local function grads(suffix)
      if not c.weight then return assert.are.equal(0, #m:parameters()) end
      local _, g = m:parameters()
      agree(g[1], c["dweight" .. suffix], "dweight" .. suffix)
      agree(g[2], c["dbias" .. suffix], "dbias" .. suffix)
    end

    it("training forward and backward", function()
      m:train()
      agree(m:forward(x), c.y, "y")
      m:zero_grad()
      agree(m:backward(x, T(c.dy, c.shape)), c.dx, "dx")
      grads("")
    end)

    it("buffers after 3 training steps, and the state dict's names", function()
      m:forward(T(c.x2, c.shape))
      m:forward(T(c.x3, c.shape))
      -- lunet counts batches only for the cumulative average, which needs it
      local want = {}
      for _, k in ipairs(c.keys) do
        if k ~= "num_batches_tracked" or c.opts.momentum == false then want[#want + 1] = k end
      end
      local sd = m:state_dict()
      assert.are.same(want, G.sorted_keys(sd))
      for k, v in pairs(c.buffers) do
        if sd[k] then agree(sd[k], v, k) end
      end
    end)

    it("evaluation forward and backward", function()
      m:evaluate()
      local xe = T(c.x_eval, c.shape)
      agree(m:forward(xe), c.y_eval, "y_eval")
      m:zero_grad()
      agree(m:backward(xe, T(c.dy_eval, c.shape)), c.dx_eval, "dx_eval")
      grads("_eval")
    end)
  end)
end

describe("normalization layers", function()
  it("largest relative difference from PyTorch", function()
    print(("\nnormalization layers vs PyTorch: largest relative difference %.2e"):format(worst))
    assert.is_true(worst <= RTOL)
  end)
end)

local roundtrip = G.roundtrip

local function ok_grad(net, x)
  local worst_fd = G.check(net, x, 1e-2)
  assert.is_true(worst_fd < 2e-2, tostring(net) .. ": relative difference " .. worst_fd)
end

-- Weights away from 1 and 0, and running statistics from 3 training steps.
local function perturbed(m, x)
  if #m:parameters() > 0 then
    m.weight:copy(lunet.rand(table.unpack(m.weight:size())) + 0.5)
    m.bias:copy(lunet.randn(table.unpack(m.bias:size())))
  end
  for _ = 1, 3 do m:forward(x) end
  return m
end

describe("normalization layers from Lua", function()
  it("pass the finite-difference gradient check", function()
    lunet.manual_seed(5)
    local cases = {
      {lunet.LayerNorm({3, 4}), {2, 3, 4}},
      {lunet.LayerNorm(5, {elementwise_affine = false}), {4, 5}},
      {lunet.GroupNorm(2, 6), {2, 6, 3}},
      {lunet.GroupNorm(3, 3, {affine = false}), {2, 3, 2, 2}},
      {lunet.InstanceNorm(3, {affine = true}), {2, 3, 2, 3}},
      {lunet.InstanceNorm(2, {affine = true, track_running_stats = true}), {3, 2, 4}, "eval"},
      {lunet.BatchNorm(3, {momentum = false}), {6, 3}},
      {lunet.BatchNorm(3, {track_running_stats = false}), {4, 3, 2}, "eval"},
    }
    for _, c in ipairs(cases) do
      local x = lunet.randn(table.unpack(c[2])) * 2 + 1
      local m = perturbed(c[1], x)
      if c[3] then m:evaluate() end
      ok_grad(m, x)
    end
  end)

  it("print, expose their fields and take PyTorch's options", function()
    local ln = lunet.LayerNorm({3, 4}, {eps = 1e-3})
    assert.equals("LayerNorm((3, 4), eps=0.001, elementwise_affine=true)", tostring(ln))
    assert.same({3, 4}, ln.normalized_shape)
    assert.same({3, 4}, ln.weight:size())
    assert.equals("LayerNorm((5,), eps=1e-05, elementwise_affine=false)",
                  tostring(lunet.LayerNorm(5, 1e-5, false)))
    local gn = lunet.GroupNorm(2, 6, {affine = false})
    assert.equals("GroupNorm(2, 6, eps=1e-05, affine=false)", tostring(gn))
    assert.equals(2, gn.num_groups)
    assert.equals(6, gn.num_channels)
    assert.equals(0, #gn:parameters())
    local inorm = lunet.InstanceNorm(3)
    assert.equals("InstanceNorm(3, eps=1e-05, momentum=0.1, affine=false, "
                  .. "track_running_stats=false)", tostring(inorm))
    assert.same({}, G.sorted_keys(inorm:state_dict()))
    local bn = lunet.BatchNorm(4, {momentum = false})
    assert.equals("BatchNorm(4, eps=1e-05, momentum=false)", tostring(bn))
    assert.is_false(bn.momentum)
    assert.is_true(bn.track_running_stats)
    assert.equals(0, bn.num_batches_tracked:get(1))
    local off = lunet.BatchNorm(4, {track_running_stats = false})
    assert.equals("BatchNorm(4, eps=1e-05, momentum=0.1, track_running_stats=false)",
                  tostring(off))
    assert.same({"bias", "weight"}, G.sorted_keys(off:state_dict()))
  end)

  it("save, load and clone with their configuration and state", function()
    lunet.manual_seed(9)
    local x = lunet.randn(4, 6, 3, 3)
    local net = lunet.Sequential{
      lunet.GroupNorm(3, 6, {eps = 1e-4}), lunet.InstanceNorm(6, {affine = true,
        track_running_stats = true, momentum = 0.2}),
      lunet.LayerNorm({3, 3}, {elementwise_affine = false}),
      lunet.BatchNorm(6, {momentum = false}), lunet.BatchNorm(6, {track_running_stats = false}),
    }
    for _ = 1, 3 do net:forward(x) end
    net.modules[1].weight:copy(lunet.rand(6) + 0.5)
    net:evaluate()
    local want = net:forward(x):clone()
    for _, copy in ipairs{roundtrip, net.clone} do
      local back = copy(net)
      assert.equals(tostring(net), tostring(back))
      assert.same(G.sorted_keys(net:state_dict()), G.sorted_keys(back:state_dict()))
      assert.equals(net.modules[4].num_batches_tracked:get(1),
                    back.modules[4].num_batches_tracked:get(1))
      assert.is_true((back:forward(x) - want):abs():max() == 0)
      -- training goes on from the same state: the cumulative average continues
      back:train()
      net:train()
      assert.is_true((back:forward(x) - net:forward(x)):abs():max() == 0)
      assert.is_true((back.modules[4].running_mean - net.modules[4].running_mean):abs():max()
                     == 0)
      net:evaluate()
      want = net:forward(x):clone()
    end
  end)

  it("give clear errors naming the layer", function()
    local E = G.errors_with
    E(function() lunet.GroupNorm(4, 6) end,
      "lunet.GroupNorm: num_groups (4) must divide num_channels (6)")
    E(function() lunet.GroupNorm(0, 6) end, "size must be positive")
    E(function() lunet.GroupNorm(2, 4):forward(lunet.randn(2, 6, 3)) end,
      "GroupNorm:forward: input has 6 channels, expected 4")
    E(function() lunet.LayerNorm({3, 4}):forward(lunet.randn(2, 4, 3)) end,
      "LayerNorm:forward: input of shape 2x4x3 does not end in normalized_shape (3, 4)")
    E(function() lunet.LayerNorm({3, 0}) end, "normalized_shape must be a positive integer")
    E(function() lunet.LayerNorm({}) end, "a table that is not a list of 1 to 8 sizes")
    E(function() lunet.LayerNorm("4") end, "normalized_shape must be a positive integer")
    E(function() lunet.LayerNorm(4, {eps = 0}) end,
      "lunet.LayerNorm: eps must be a finite number > 0, got 0")
    E(function() lunet.LayerNorm(4, {affine = true}) end, "unknown option 'affine'")
    E(function() lunet.InstanceNorm(3, {eps = -1}) end, "eps must be a finite number > 0")
    E(function() lunet.InstanceNorm(3):forward(lunet.randn(2, 4, 5)) end,
      "InstanceNorm:forward: input has 4 channels, expected 3")
    E(function() lunet.InstanceNorm(3):forward(lunet.randn(2, 3, 1)) end,
      "needs more than one value per channel")
    E(function() lunet.InstanceNorm(3):forward(lunet.randn(3)) end,
      "input must be (N,C,H,W), (N,C,L) or (C,L)")
    E(function() lunet.BatchNorm(3, {momentum = true}) end,
      "option 'momentum' must be a number or false, got boolean")
    E(function() lunet.BatchNorm(3, {momentum = 1.5}) end,
      "momentum must be in [0, 1], got 1.5 (false: a cumulative average)")
    E(function() lunet.BatchNorm(3, {track_running_stats = 0}) end,
      "option 'track_running_stats' must be a boolean")
    local bn = lunet.BatchNorm(3, {track_running_stats = false})
    bn:evaluate()
    E(function() bn:forward(lunet.randn(1, 3)) end, "more than one value per channel")
  end)
end)
