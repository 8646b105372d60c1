-- bn_compare.lua: the founding experiment (the README's opening). Two deep
-- networks, one without and one with batch normalization, trained side by
-- side on y = x^2 - 5 + noise; every layer's input histogram and both cost
-- curves go to a board, shown live when a display exists and always saved
-- as PNGs. Ends with a summary table and the test-set costs of the BN
-- network in training mode (batch statistics) and evaluation mode (running
-- statistics), the part the tutorial left out.
--
--   lunet scripts/bn_compare.lua [--activation relu|tanh] [--steps N] [--lr X]
--                                [--seed N] [--out DIR] [--no-window]
local dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = dir .. "/lib/?.lua;" .. package.path
local lunet = require "lunet"
local seed = require "seed"

local usage = "usage: lunet scripts/bn_compare.lua [--activation relu|tanh] [--steps N]\n" ..
  "  [--lr X] [--seed N] [--out DIR] [--no-window]"
local flags = seed.cli("bn_compare", usage, arg or {}, {
  activation = "relu", steps = 251, lr = 0.001, seed = 1, out = "out", no_window = false,
  help = false,
})
if not flags then return end
if flags.activation ~= "relu" and flags.activation ~= "tanh" then
  io.stderr:write("bn_compare: --activation must be relu or tanh\n")
  os.exit(2)
end
if flags.steps < 1 or flags.steps % 1 ~= 0 then
  io.stderr:write("bn_compare: --steps must be a positive integer\n")
  os.exit(2)
end

-- One board for the window and both PNGs (each draws one kind of panel).
local board = lunet.Board()
local window
local function env_set(name) return (os.getenv(name) or "") ~= "" end
local has_display = env_set("DISPLAY") or env_set("WAYLAND_DISPLAY")
if has_display and not flags.no_window then
  local shown, w = pcall(lunet.viewer.show, board,
    { axis = "panel", log = true, title = "lunet: BN against no BN (" .. flags.activation .. ")" })
  if shown then window = w else io.stderr:write("bn_compare: no window: ", tostring(w), "\n") end
end

print(string.format("seed experiment: %s, 7 x 30 units, lr %g, %d full-batch steps, seed %d",
  flags.activation, flags.lr, flags.steps, flags.seed))
local t0 = lunet.clock()
local res = seed.compare({
  activation = flags.activation, steps = flags.steps, lr = flags.lr, seed = flags.seed,
}, {
  on_cost = function(r, step, cost)
    board:scalar("cost/" .. r.name, step, cost)
  end,
  on_hist = function(r, step, inputs)
    for l, t in ipairs(inputs) do
      board:histogram(r.name .. "/L" .. l, step, t)
    end
  end,
  on_step = function(step)
    if step % 5 == 0 or step == flags.steps - 1 then
      seed.progress(step + 1, flags.steps, string.format("step %d/%d", step + 1, flags.steps))
    end
  end,
})
local elapsed = lunet.clock() - t0

-- The summary: costs per network, then the state of every layer's input.
local nobn, bn = res.runs[1], res.runs[2]
local what = flags.activation == "relu" and "dead units (0 for every sample)"
  or "saturated values (|x| > 0.97)"
print(string.format("\ntrained in %.2f s", elapsed))
print(string.format("%-8s %12s %12s  %s", "network", "first cost", "last cost", "weights"))
for _, r in ipairs(res.runs) do
  print(string.format("%-8s %12s %12s  %s", r.name, seed.fmt(r.costs[1][2]),
    seed.fmt(r.costs[#r.costs][2]), seed.params_finite(r.net) and "finite" or "NaN/Inf"))
end
print(string.format("\nlayer inputs at the last step (L2..L8: outputs of hidden layers 1..7):"
  .. "\n%s, and the share of NaN/Inf values when there are any", what))
print(string.format("%-6s %14s %14s", "layer", "no BN", "BN"))
local function cell(s)
  local v = flags.activation == "relu" and s.dead or s.sat
  local txt = string.format("%5.1f%%", 100 * v)
  if s.bad > 0 then txt = txt .. string.format(" (%3.0f%% bad)", 100 * s.bad) end
  return txt
end
-- L1 is the network's input, not an activation: nothing to die or saturate.
print(string.format("%-6s %14s %14s", "L1", "(input)", "(input)"))
for l = 2, #nobn.stats do
  print(string.format("%-6s %14s %14s", "L" .. l, cell(nobn.stats[l]), cell(bn.stats[l])))
end

-- Test mode: the same trained BN network on held-out points of the curve.
local tc = seed.test_costs(bn, res.test_x, res.test_y)
nobn.net:evaluate()
local nobn_test = seed.cost(nobn, res.test_x, res.test_y)
print(string.format("\ntest set: %d points x ~ U(%g, %g) on the same curve", #res.test_x,
  res.options.lo, res.options.hi))
print(string.format("  BN, evaluation mode (running statistics): %s", seed.fmt(tc.eval)))
print(string.format("  BN, training mode (the test batch's statistics): %s", seed.fmt(tc.train)))
print(string.format("  BN, training mode in batches of %d: %s", tc.small,
  seed.fmt(tc.train_small)))
print(string.format("  no BN: %s", seed.fmt(nobn_test)))

os.execute("mkdir -p '" .. flags.out:gsub("'", "'\\''") .. "'")
local hist_png, cost_png = flags.out .. "/histograms.png", flags.out .. "/cost.png"
board:save_png(hist_png, { panels = "histograms", axis = "panel" })
board:save_png(cost_png, { panels = "scalars", log = true })
print("\nwrote " .. hist_png .. " and " .. cost_png)

if window then
  print("close the window (q or Esc) to exit")
  window:wait()
end
