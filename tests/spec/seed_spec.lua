-- The seed's finding, asserted on lunet's numbers: the tutorial's own
-- settings (7 x 30 units, N(0, 1) weights, lr 0.001, 251 full-batch steps)
-- run in well under a second per activation, so they are tested as they are.
package.path = "scripts/lib/?.lua;" .. package.path
local lunet = require "lunet"
local seed = require "seed"

local function deep(stats) return { table.unpack(stats, 3) } end  -- L3..L8

describe("seed experiment with ReLU", function()
  local res = seed.compare({ activation = "relu" })
  local nobn, bn = res.runs[1], res.runs[2]

  it("starts both networks from the same weights", function()
    lunet.manual_seed(1)
    local a = seed.build(seed.options(), false)
    lunet.manual_seed(1)
    local b = seed.build(seed.options(), true)
    local la, lb = {}, {}
    for _, m in ipairs(a.modules) do if seed.is_linear(m) then la[#la + 1] = m end end
    for _, m in ipairs(b.modules) do if seed.is_linear(m) then lb[#lb + 1] = m end end
    assert.are.equal(8, #la)
    assert.are.equal(8, #lb)
    for i = 1, #la do
      assert.are.same(la[i].weight:totable(), lb[i].weight:totable())
      assert.is_true(math.abs(la[i].bias:mean() - 0.1) < 1e-6)
    end
    -- weights drawn N(0, 1) as the tutorial's add_layer draws them
    assert.is_true(math.abs(la[2].weight:std() - 1) < 0.1)
    assert.is_true(math.abs(la[2].weight:mean()) < 0.1)
  end)

  it("kills the deep layers without BN, or the cost is not finite", function()
    local last = nobn.costs[#nobn.costs][2]
    local dead = true
    for _, s in ipairs(deep(nobn.stats)) do dead = dead and s.zeros >= 0.9 end
    assert.is_true(dead or not seed.finite(last))
  end)

  it("keeps every layer alive with BN and the cost falls below 10% of the first", function()
    -- 0% at seed 1; seeds 1..10 stay under 20%: "alive" = most units live.
    for l = 2, #bn.stats do assert.is_true(bn.stats[l].dead < 0.5, "layer " .. l) end
    local first, last = bn.costs[1][2], bn.costs[#bn.costs][2]
    assert.is_true(seed.finite(last) and seed.params_finite(bn.net))
    assert.is_true(last < 0.1 * first, ("first %g, last %g"):format(first, last))
  end)

  it("records a cost every 5 steps and the last step", function()
    assert.are.equal(51, #bn.costs)
    assert.are.equal(0, bn.costs[1][1])
    assert.are.equal(250, bn.costs[51][1])
  end)
end)

describe("seed experiment with tanh", function()
  local res = seed.compare({ activation = "tanh" })
  local nobn, bn = res.runs[1], res.runs[2]

  it("saturates most units of the deep layers without BN, not with BN", function()
    for i, s in ipairs(deep(nobn.stats)) do
      assert.is_true(s.sat > 0.5, ("no BN L%d: %.3f saturated"):format(i + 2, s.sat))
    end
    for i, s in ipairs(deep(bn.stats)) do
      assert.is_true(s.sat < 0.5, ("BN L%d: %.3f saturated"):format(i + 2, s.sat))
    end
  end)

  it("lowers the cost with BN", function()
    local first, last = bn.costs[1][2], bn.costs[#bn.costs][2]
    assert.is_true(last < 0.1 * first, ("first %g, last %g"):format(first, last))
  end)
end)

describe("BN network in evaluation mode", function()
  local o = seed.options({ steps = 20 })
  local res = seed.compare(o)
  local r = res.runs[2]

  -- Row 1 of the output for a batch whose other rows are `others`.
  local function row1(others)
    local x = lunet.tensor(others)
    x:set(1, 1, 2.5)
    return r.net:forward(x):get(1, 1)
  end
  local a_rows = { { 0 }, { -6 }, { 9 }, { 1 } }
  local b_rows = { { 0 }, { 3 }, { 3.5 }, { 4 }, { -1 }, { 8 } }

  it("gives a row the same output whatever else is in the batch", function()
    r.net:evaluate()
    local rm = {}
    for _, m in ipairs(r.net.modules) do
      if m:type() == "BatchNorm" then rm[#rm + 1] = m.running_mean:clone() end
    end
    local a, b = row1(a_rows), row1(b_rows)
    assert.are.equal(a, b)
    assert.is_true(seed.finite(a))
    -- and evaluating leaves the running statistics alone
    local k = 0
    for _, m in ipairs(r.net.modules) do
      if m:type() == "BatchNorm" then
        k = k + 1
        assert.are.same(rm[k]:totable(), m.running_mean:totable())
      end
    end
  end)

  it("uses the batch statistics in training mode (the same row changes)", function()
    r.net:train()
    assert.are_not.equal(row1(a_rows), row1(b_rows))
    r.net:evaluate()
  end)

  it("reports train and eval test costs without moving the running statistics", function()
    local bn1 = r.net.modules[1]
    local before = { bn1.running_mean:get(1), bn1.running_var:get(1) }
    local tc = seed.test_costs(r, res.test_x, res.test_y)
    assert.is_true(seed.finite(tc.eval) and seed.finite(tc.train) and seed.finite(tc.train_small))
    assert.are.same(before, { bn1.running_mean:get(1), bn1.running_var:get(1) })
  end)
end)

describe("seed helpers", function()
  it("stats tells dead, zero and saturated apart", function()
    local s = seed.stats(lunet.tensor{ { 0, 0.99, 0 }, { 0, -0.98, 0.5 } })
    assert.are.equal(3 / 6, s.zeros)
    assert.are.equal(1 / 3, s.dead)        -- column 1 only
    assert.are.equal(2 / 6, s.sat)
    assert.are.equal(1 / 3, s.sat_units)   -- column 2 only
    assert.are.equal(0, s.bad)
  end)

  it("parses flags and rejects unknown ones", function()
    local spec = { steps = 251, out = "out", no_window = false }
    local o = seed.parse_args({ "--steps", "10", "--no-window" }, spec)
    assert.are.equal(10, o.steps)
    assert.is_true(o.no_window)
    assert.are.equal("out", o.out)
    assert.has_error(function() seed.parse_args({ "--stpes", "3" }, spec) end,
      "unknown option '--stpes'")
    assert.has_error(function() seed.parse_args({ "--steps", "x" }, spec) end,
      "option '--steps' needs a number")
  end)
end)
