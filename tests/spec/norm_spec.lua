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
