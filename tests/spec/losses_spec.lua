-- losses_spec.lua: every loss under every reduction against PyTorch
-- (tests/fixtures/losses.lua, made by tests/fixtures/gen_losses.py), a
-- finite-difference check of each gradient on inputs drawn here, and the
-- errors on bad options and bad input.
local lunet = require "lunet"
local fx = dofile("tests/fixtures/losses.lua")

-- Largest |a - b| / max(|b|, 1e-3 * the largest |b|) over two lists (flat).
local function flat(v, out)
  out = out or {}
  if type(v) == "number" then out[#out + 1] = v
  else for _, x in ipairs(v) do flat(x, out) end end
  return out
end
local function relerr(got, want)
  got, want = flat(got), flat(want)
  assert.equals(#want, #got)
  local scale = 0
  for _, w in ipairs(want) do scale = math.max(scale, math.abs(w)) end
  local worst = 0
  for i, w in ipairs(want) do
    local d = math.abs(got[i] - w) / math.max(math.abs(w), 1e-3 * scale, 1e-30)
    if d > worst then worst = d end
  end
  return worst
end

-- lunet options from a case's: weight lists become tensors.
local function options(o)
  local r = {}
  for k, v in pairs(o) do r[k] = type(v) == "table" and lunet.tensor(v) or v end
  return r
end

local function describe_case(c)
  local s = {}
  for k, v in pairs(c.opts) do s[#s + 1] = k .. "=" .. (type(v) == "table" and "{..}" or v) end
  table.sort(s)
  return c.loss .. "{" .. table.concat(s, ",") .. "}"
end

describe("every loss against PyTorch", function()
  local worst, where = 0, ""
  for i, c in ipairs(fx) do
    it(describe_case(c), function()
      local loss = lunet[c.loss](options(c.opts))
      local x = lunet.tensor(c.x)
      -- labels alternately as a tensor and as a table
      local t = c.t and lunet.tensor(c.t) or (i % 2 == 0 and lunet.tensor(c.labels) or c.labels)
      local v = loss:forward(x, t)
      if c.opts.reduction == "none" then
        assert.equals("userdata", type(v))
        v = v:totable()
      else
        assert.equals("number", type(v))
      end
      local g = loss:backward(x, t):totable()
      local e = math.max(relerr(v, c.value), relerr(g, c.grad))
      if e > worst then worst, where = e, describe_case(c) end
      assert.is_true(e < 1e-4, ("%s: relative error %.3g"):format(describe_case(c), e))
    end)
  end
  it("(largest relative error)", function()
    print(("\nlosses vs PyTorch: %d cases, largest relative error %.3g (%s)"):format(
      #fx, worst, where))
    assert.is_true(worst < 1e-4)
  end)
end)

-- Inputs drawn here, away from each loss's kinks (|x - t| >= 0.05), BCE's
-- in (0.05, 0.95); the gradient of the value ("none": of its sum) against
-- central differences.
local function draw(kind, n, c)
  local x, t = {}, {}
  for i = 1, n do
    x[i], t[i] = {}, {}
    for j = 1, c do
      local a, b
      repeat
        a, b = math.random() * 4 - 2, math.random() * 4 - 2
        if kind == "BCELoss" then a = 0.05 + 0.9 * math.random(); b = math.random() end
        if kind == "BCEWithLogitsLoss" then b = math.random() end
      until math.abs(a - b) >= 0.05 and math.abs(math.abs(a - b) - 0.7) >= 0.05
      x[i][j], t[i][j] = a, b
    end
  end
  return lunet.tensor(x), lunet.tensor(t)
end

local FD = {
  {"MSELoss", {}}, {"L1Loss", {}}, {"SmoothL1Loss", {beta = 0.7}}, {"HuberLoss", {delta = 0.7}},
  {"BCELoss", {}}, {"BCEWithLogitsLoss", {pos_weight = {0.5, 2, 1.5}}},
  {"CrossEntropyLoss", {weight = {1, 0.5, 2}, ignore_index = 2, label_smoothing = 0.2}},
  {"NLLLoss", {weight = {1, 0.5, 2}, ignore_index = 0}},
}

describe("finite differences", function()
  math.randomseed(11)
  for _, k in ipairs(FD) do
    for _, red in ipairs{"mean", "sum", "none"} do
      it(k[1] .. " " .. red, function()
        local o = {}
        for key, v in pairs(k[2]) do o[key] = v end
        o.reduction = red
        local loss = lunet[k[1]](options(o))
        local x, t = draw(k[1], 4, 3)
        -- one row of the ignored class each
        if k[1] == "CrossEntropyLoss" then t = {1, 2, 3, 2} end
        if k[1] == "NLLLoss" then t = {1, 2, 3, 0} end
        local function cost()
          local v = loss:forward(x, t)
          return red == "none" and v:sum() or v
        end
        local g = loss:backward(x, t):clone()
        local fxv, fg, h, worst = x:view(x:numel()), g:view(g:numel()), 1e-3, 0
        for i = 1, x:numel() do
          local v = fxv:get(i)
          fxv:set(i, v + h)
          local up = cost()
          fxv:set(i, v - h)
          local down = cost()
          fxv:set(i, v)
          local num, ana = (up - down) / (2 * h), fg:get(i)
          worst = math.max(worst, math.abs(num - ana) / math.max(1, math.abs(num), math.abs(ana)))
        end
        assert.is_true(worst < 1e-2, ("%s %s: %.3g"):format(k[1], red, worst))
      end)
    end
  end
end)

local function errors(f, part)
  local ok, err = pcall(f)
  assert.is_false(ok, "no error, expected: " .. part)
  assert.matches(part, tostring(err), 1, true)
end

describe("bad options and bad input", function()
  it("refuses unknown options, naming those the loss takes", function()
    errors(function() return lunet.MSELoss{weight = lunet.ones(3)} end,
      "lunet.MSELoss: unknown option 'weight' (expected reduction)")
    errors(function() return lunet.BCELoss{pos_weight = lunet.ones(3)} end,
      "lunet.BCELoss: unknown option 'pos_weight'")
    errors(function() return lunet.NLLLoss{label_smoothing = 0.1} end,
      "lunet.NLLLoss: unknown option 'label_smoothing' (expected reduction, weight or " ..
      "ignore_index)")
    errors(function() return lunet.HuberLoss{beta = 1} end,
      "lunet.HuberLoss: unknown option 'beta' (expected reduction or delta)")
  end)

  it("refuses bad values", function()
    errors(function() return lunet.L1Loss{reduction = "avg"} end,
      'lunet.L1Loss: option \'reduction\' must be "mean", "sum" or "none", got "avg"')
    errors(function() return lunet.SmoothL1Loss{beta = -1} end,
      "lunet.SmoothL1Loss: beta must be a finite number >= 0, got -1")
    errors(function() return lunet.HuberLoss{delta = 0} end,
      "lunet.HuberLoss: delta must be a finite number > 0, got 0")
    errors(function() return lunet.CrossEntropyLoss{label_smoothing = 1.5} end,
      "lunet.CrossEntropyLoss: label_smoothing must be in [0, 1], got 1.5")
    errors(function() return lunet.CrossEntropyLoss{ignore_index = 1.5} end,
      "lunet.CrossEntropyLoss: option 'ignore_index' must be an integer")
    errors(function() return lunet.CrossEntropyLoss{weight = {1, 2}} end,
      "lunet.CrossEntropyLoss: option 'weight' must be a lunet.Tensor")
    errors(function() return lunet.NLLLoss{weight = lunet.ones(2, 2)} end,
      "lunet.NLLLoss: weight must be a 1-D tensor, got 2x2")
  end)

  it("checks weights against the input", function()
    local ce = lunet.CrossEntropyLoss{weight = lunet.ones(4)}
    errors(function() return ce(lunet.zeros(2, 3), {1, 2}) end,
      "CrossEntropyLoss:forward: weight has 4 elements for 3 classes")
    local b = lunet.BCEWithLogitsLoss{pos_weight = lunet.ones(2)}
    errors(function() return b:backward(lunet.zeros(2, 3), lunet.zeros(2, 3)) end,
      "BCEWithLogitsLoss:backward: pos_weight has 2 elements, the input's last dimension 3")
  end)

  it("refuses BCELoss inputs outside [0, 1], and shape mismatches", function()
    errors(function() return lunet.BCELoss()(lunet.tensor{0.5, 1.5}, lunet.zeros(2)) end,
      "BCELoss:forward: input 1.5 is outside [0, 1] (for logits use BCEWithLogitsLoss)")
    errors(function() return lunet.L1Loss():backward(lunet.zeros(2, 3), lunet.zeros(3, 2)) end,
      "L1Loss:backward: input 2x3 and target 3x2 differ in shape")
  end)

  it("accepts the ignored label only where ignore_index says so", function()
    local ce = lunet.CrossEntropyLoss{ignore_index = -99}
    assert.equals(0, ce:backward(lunet.randn(2, 3), {-99, -99}):abs():sum())
    assert.is_false(lunet.isfinite(ce(lunet.randn(2, 3), {-99, -99})))  -- 0/0, as PyTorch
    errors(function() return ce(lunet.randn(2, 3), {-98, 1}) end,
      "CrossEntropyLoss:forward: label -98 at index 1 is out of range 1..3")
    errors(function() return lunet.NLLLoss()(lunet.randn(2, 3), {0, 1}) end,
      "NLLLoss:forward: label 0 at index 1 is out of range 1..3")
  end)

  it("returns losses of the input's shape (rows for a class loss) for 'none'", function()
    local v = lunet.HuberLoss{reduction = "none"}(lunet.zeros(2, 3, 4), lunet.ones(2, 3, 4))
    assert.same({2, 3, 4}, v:size())
    assert.near(0.5, v:get(1, 2, 3), 1e-7)
    local r = lunet.NLLLoss{reduction = "none"}(lunet.zeros(5, 3), {1, 2, 3, 1, 2})
    assert.same({5}, r:size())
  end)
end)

describe("a loss's tostring", function()
  it("shows the options that are not the defaults, as a constructor call", function()
    assert.equals("CrossEntropyLoss()", tostring(lunet.CrossEntropyLoss()))
    assert.equals("CrossEntropyLoss(label_smoothing=0.1)",
                  tostring(lunet.CrossEntropyLoss{label_smoothing = 0.1}))
    assert.equals('HuberLoss(reduction="sum", delta=0.5)',
                  tostring(lunet.HuberLoss{delta = 0.5, reduction = "sum"}))
    assert.equals("CrossEntropyLoss(ignore_index=2, weight=<3 classes>)",
                  tostring(lunet.CrossEntropyLoss{weight = lunet.ones(3), ignore_index = 2}))
  end)
end)
