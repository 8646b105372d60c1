-- BatchNorm against PyTorch: tests/fixtures/batchnorm.lua holds PyTorch's
-- numbers (made by tests/fixtures/gen_batchnorm.py) for 2-D, 3-D and 4-D
-- inputs; lunet must agree to 1e-4 relative, element by element, on the
-- training forward, the input/weight/bias gradients, the running statistics
-- after 3 training steps, and the evaluation forward and backward.
local lunet = require "lunet"
local G = dofile("tests/spec/gradcheck.lua")

local here = debug.getinfo(1, "S").source:match("^@(.*)spec/[^/]*$") or "tests/"
local cases = dofile(here .. "fixtures/batchnorm.lua")

local RTOL = 1e-4
local worst = 0

local function T(flat, shape) return lunet.tensor(flat):view(shape) end

-- Largest |got - want| / |want| (|want| floored at 1e-3 of the largest, for
-- values that are ~0); fails above RTOL.
local function agree(got, want, what)
  worst = math.max(worst, G.agree(got, want, what, RTOL, 1e-3))
end

local function grads(bn)
  local _, g = bn:parameters()
  return g[1], g[2]
end

for _, c in ipairs(cases) do
  describe("BatchNorm vs PyTorch, " .. c.name, function()
    local bn = lunet.BatchNorm(c.shape[2], { eps = c.eps, momentum = c.momentum,
                                             affine = c.affine })
    if c.affine then
      bn.weight:copy(T(c.weight, { #c.weight }))
      bn.bias:copy(T(c.bias, { #c.bias }))
    end
    local x = T(c.x, c.shape)

    it("training forward and backward", function()
      bn:train()
      agree(bn:forward(x), c.y, "y")
      bn:zero_grad()
      agree(bn:backward(x, T(c.dy, c.shape)), c.dx, "dx")
      if c.affine then
        local dw, db = grads(bn)
        agree(dw, c.dweight, "dweight")
        agree(db, c.dbias, "dbias")
      else
        assert.are.equal(0, #bn:parameters())
      end
    end)

    it("running statistics after 3 training steps", function()
      bn:forward(T(c.x2, c.shape))
      bn:forward(T(c.x3, c.shape))
      agree(bn.running_mean, c.running_mean, "running_mean")
      agree(bn.running_var, c.running_var, "running_var")
    end)

    it("evaluation forward and backward use the running statistics", function()
      bn:evaluate()
      local xe = T(c.x_eval, c.shape)
      agree(bn:forward(xe), c.y_eval, "y_eval")
      bn:zero_grad()
      agree(bn:backward(xe, T(c.dy_eval, c.shape)), c.dx_eval, "dx_eval")
      if c.affine then
        local dw, db = grads(bn)
        agree(dw, c.dweight_eval, "dweight_eval")
        agree(db, c.dbias_eval, "dbias_eval")
      end
      -- evaluation leaves the running statistics alone
      agree(bn.running_mean, c.running_mean, "running_mean after eval")
    end)
  end)
end

describe("BatchNorm defaults", function()
  it("are PyTorch's: eps 1e-5, momentum 0.1, weight 1, bias 0, stats 0 and 1", function()
    local bn = lunet.BatchNorm(4)
    assert.are.equal(1e-5, bn.eps)
    assert.are.equal(0.1, bn.momentum)
    assert.is_true(bn.affine)
    assert.are.same({ 1, 1, 1, 1 }, bn.weight:totable())
    assert.are.same({ 0, 0, 0, 0 }, bn.bias:totable())
    assert.are.same({ 0, 0, 0, 0 }, bn.running_mean:totable())
    assert.are.same({ 1, 1, 1, 1 }, bn.running_var:totable())
  end)

  it("agree with PyTorch to 1e-4 relative everywhere checked", function()
    assert.is_true(worst > 0 and worst <= RTOL)
    print(string.format("\nBatchNorm vs PyTorch: largest relative difference %.2e", worst))
  end)
end)
