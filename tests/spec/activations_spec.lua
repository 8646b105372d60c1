-- LeakyReLU, ELU, GELU, SiLU, Softplus, Softmax, LogSoftmax and Dropout.
-- tests/fixtures/activations.lua holds PyTorch's numbers (made by
-- tests/fixtures/gen_activations.py) on random inputs with large
-- magnitudes mixed in: forward and input gradient must agree to 1e-4
-- relative, element by element (the largest difference is printed). Then
-- finite differences, bad arguments, printing, saving and loading, and
-- Dropout's masks.
local lunet = require "lunet"
local G = dofile("tests/spec/gradcheck.lua")

local here = debug.getinfo(1, "S").source:match("^@(.*)spec/[^/]*$") or "tests/"
local cases = dofile(here .. "fixtures/activations.lua")

local RTOL = 1e-4
local worst, worst_gelu = 0, 0

local function T(flat, shape) return lunet.tensor(flat):view(shape) end

local make = G.make

-- Largest |got - want| / |want|, |want| floored at 1e-6 of the largest (a
-- value that underflows to 0 in float is ~1e-30 in double); fails above RTOL.
local function agree(got, want, what) return G.agree(got, want, what, RTOL, 1e-6) end

describe("activations vs PyTorch", function()
  for _, c in ipairs(cases) do
    local name = tostring(make(c)) .. " on " .. table.concat(c.shape, "x")
    it(name, function()
      local m = make(c)
      local x = T(c.x, c.shape)
      local r = math.max(agree(m:forward(x), c.y, name .. " y"),
                         agree(m:backward(x, T(c.dy, c.shape)), c.dx, name .. " dx"))
      worst = math.max(worst, r)
      if c.kind == "GELU" and not c.opts.approximate then worst_gelu = math.max(worst_gelu, r) end
    end)
  end

  it("agree to 1e-4 relative everywhere checked; exact GELU to 1e-6", function()
    assert.is_true(worst > 0 and worst <= RTOL)
    assert.is_true(worst_gelu <= 1e-6, "GELU: " .. worst_gelu)
    print(string.format("\nactivations vs PyTorch: largest relative difference %.2e "
                        .. "(GELU erf form %.2e)", worst, worst_gelu))
  end)
end)

-- Inputs away from LeakyReLU's and ELU's kink at 0, where a central
-- difference straddles two slopes.
local function input(...)
  local x = lunet.randn(...)
  local f = x:view(x:numel())
  for i = 1, f:numel() do
    local v = f:get(i)
    if math.abs(v) < 0.1 then f:set(i, v < 0 and v - 0.2 or v + 0.2) end
  end
  return x
end

describe("activations: finite differences", function()
  local mods = {
    function() return lunet.LeakyReLU{ negative_slope = 0.2 } end,
    function() return lunet.ELU{ alpha = 0.7 } end,
    function() return lunet.GELU() end,
    function() return lunet.GELU{ approximate = "tanh" } end,
    function() return lunet.SiLU() end,
    function() return lunet.Softplus{ beta = 2, threshold = 3 } end,
    function() return lunet.Softmax(2) end,
    function() return lunet.Softmax(-1) end,
    function() return lunet.LogSoftmax(1) end,
    function() return lunet.LogSoftmax(-2) end,
  }
  for _, new in ipairs(mods) do
    local m = new()
    it(tostring(m), function()
      lunet.manual_seed(7)
      local d = G.check(m, input(3, 4, 2))
      assert.is_true(d < 2e-2, "relative difference " .. d)
    end)
  end
  it("Dropout (one mask: the same draws for every difference)", function()
    local d = lunet.Dropout{ p = 0.3 }
    d:evaluate()
    assert.is_true(G.check(d, input(4, 5)) < 1e-2)
  end)
end)

describe("activations: arguments", function()
  it("have PyTorch's defaults and print as PyTorch", function()
    assert.equals("LeakyReLU(negative_slope=0.01)", tostring(lunet.LeakyReLU()))
    assert.equals("ELU(alpha=1.0)", tostring(lunet.ELU()))
    assert.equals("GELU(approximate='none')", tostring(lunet.GELU()))
    assert.equals("GELU(approximate='tanh')", tostring(lunet.GELU{ approximate = "tanh" }))
    assert.equals("SiLU()", tostring(lunet.SiLU()))
    assert.equals("Softplus(beta=1, threshold=20)", tostring(lunet.Softplus()))
    assert.equals("Softmax(dim=-1)", tostring(lunet.Softmax(-1)))
    assert.equals("LogSoftmax(dim=2)", tostring(lunet.LogSoftmax(2)))
    assert.equals("Dropout(p=0.5)", tostring(lunet.Dropout()))
    assert.equals("Dropout(p=0.25)", tostring(lunet.Dropout{ p = 0.25 }))
    assert.equals(0.01, lunet.LeakyReLU().negative_slope)
    assert.equals("tanh", lunet.GELU{ approximate = "tanh" }.approximate)
    assert.equals(-2, lunet.Softmax(-2).dim)
    assert.equals(0.5, lunet.Dropout().p)
  end)

  it("refuse a dim out of range, p outside [0, 1], unknown choices and options", function()
    local x = lunet.zeros(2, 3)
    G.errors_with(function() lunet.Softmax(3):forward(x) end,
                  "Softmax:forward: dim 3 is out of range for a 2-D input (expected -2 to 2")
    G.errors_with(function() lunet.LogSoftmax(-3):forward(x) end,
                  "LogSoftmax:forward: dim -3 is out of range for a 2-D input")
    G.errors_with(function() lunet.Softmax(0) end, "lunet.Softmax: dim is 1-based")
    G.errors_with(function() lunet.Softmax(99) end, "lunet.Softmax: dim 99 is out of range")
    G.errors_with(function() lunet.Softmax() end, "bad argument #1 to 'Softmax'")
    G.errors_with(function() lunet.Dropout{ p = 1.5 } end,
                  "lunet.Dropout: p must be in [0, 1], got 1.5")
    G.errors_with(function() lunet.Dropout{ p = -0.1 } end, "p must be in [0, 1], got -0.1")
    G.errors_with(function() lunet.Dropout{ p = 0 / 0 } end, "p must be in [0, 1]")
    G.errors_with(function() lunet.GELU{ approximate = "fast" } end,
                  "option 'approximate' must be 'none' or 'tanh', got 'fast'")
    G.errors_with(function() lunet.GELU{ approximate = 1 } end,
                  "option 'approximate' must be a string, got number")
    G.errors_with(function() lunet.ELU{ alpha = 1 / 0 } end, "ELU: alpha must be a finite")
    G.errors_with(function() lunet.Softplus{ beta = 0 } end, "Softplus: beta must not be 0")
    G.errors_with(function() lunet.LeakyReLU{ slope = 0.1 } end, "unknown option 'slope'")
    G.errors_with(function() lunet.SiLU(1) end, "unexpected argument #1")
    G.errors_with(function() lunet.Softmax(1):backward(lunet.zeros(2), lunet.zeros(2)) end,
                  "backward called before forward")
  end)
end)

local roundtrip = G.roundtrip

describe("activations: saving and state dicts", function()
  it("save, load and clone every kind with its configuration", function()
    local net = lunet.Sequential{
      lunet.Linear(4, 6), lunet.LeakyReLU{ negative_slope = 0.3 }, lunet.ELU{ alpha = 0.5 },
      lunet.GELU{ approximate = "tanh" }, lunet.SiLU(), lunet.Softplus{ beta = 3, threshold = 7 },
      lunet.Dropout{ p = 0.2 }, lunet.Softmax(-1), lunet.LogSoftmax(2),
    }
    net:evaluate()
    local x = lunet.randn(5, 4)
    local want = net:forward(x):clone()
    for _, back in ipairs{ roundtrip(net), net:clone() } do
      assert.equals(tostring(net), tostring(back))
      back:evaluate()
      assert.is_true((back:forward(x) - want):abs():max() == 0)
    end
    local keys = {}
    for k in pairs(net:state_dict()) do keys[#keys + 1] = k end
    table.sort(keys)
    assert.are.same({ "1.bias", "1.weight" }, keys)
  end)
end)

describe("Dropout", function()
  local x = lunet.randn(40, 50)

  it("zeroes with probability p and scales the rest by 1/(1-p); backward uses the mask",
     function()
    local d = lunet.Dropout{ p = 0.3 }
    local y = d:forward(x):clone()
    local dy = lunet.randn(40, 50)
    local dx = d:backward(x, dy)
    local xs, ys, gs, ds = x:view(2000):totable(), y:view(2000):totable(),
                           dx:view(2000):totable(), dy:view(2000):totable()
    local zeros = 0
    for i = 1, 2000 do
      if ys[i] == 0 then
        zeros = zeros + 1
        assert.equals(0, gs[i])
      else
        assert.is_true(math.abs(ys[i] - xs[i] / 0.7) <= 1e-6 * math.abs(xs[i]) + 1e-7)
        assert.is_true(math.abs(gs[i] - ds[i] / 0.7) <= 1e-6 * math.abs(ds[i]) + 1e-7)
      end
    end
    -- 600 expected; 4.5 standard deviations is 92
    assert.is_true(math.abs(zeros - 600) < 92, "zeros: " .. zeros)
  end)

  it("draws from lunet's generator: the same seed gives the same masks", function()
    local d = lunet.Dropout()
    lunet.manual_seed(11)
    local a = d:forward(x):clone()
    local b = d:forward(x):clone()
    lunet.manual_seed(11)
    local c = d:forward(x):clone()
    assert.is_true((a - c):abs():max() == 0)
    assert.is_true((a - b):abs():max() > 0)
  end)

  it("is the identity in evaluation, and for p = 0; p = 1 zeroes everything", function()
    local d = lunet.Dropout{ p = 0.9 }
    d:evaluate()
    assert.is_true((d:forward(x) - x):abs():max() == 0)
    assert.is_true((d:backward(x, x) - x):abs():max() == 0)
    local z = lunet.Dropout{ p = 0 }
    assert.is_true((z:forward(x) - x):abs():max() == 0)
    assert.is_true((z:backward(x, x) - x):abs():max() == 0)
    local one = lunet.Dropout{ p = 1 }
    assert.equals(0, one:forward(x):abs():max())
    assert.equals(0, one:backward(x, x):abs():max())
    assert.is_false(one:forward(x):isnan():any())
  end)
end)

describe("layer options as arguments", function()
  local lunet = require "lunet"
  it("take PyTorch's positional forms: LeakyReLU(0.2), Dropout(0.3), ELU(2), Softplus(2, 10)", function()
    assert.equals(0.2, lunet.LeakyReLU(0.2).negative_slope)
    assert.equals(0.3, lunet.Dropout(0.3).p)
    assert.equals(2, lunet.ELU(2).alpha)
    local sp = lunet.Softplus(2, 10)
    assert.equals(2, sp.beta)
    assert.equals(10, sp.threshold)
    assert.equals(0.5, lunet.Dropout().p)
    assert.equals(0.1, lunet.Dropout{p = 0.1}.p)
    local ok, err = pcall(lunet.Dropout, 0.3, {p = 0.2})
    assert.is_false(ok)
    assert.matches("lunet.Dropout: unexpected argument #2", err, 1, true)
  end)
end)
