-- bn_compare.lua: the founding experiment (the README's opening) and its
-- lab. Deep networks, one per normalization of --norm (by default none and
-- batch: the tutorial's two), trained side by side from the same weights on
-- y = x^2 - 5 + noise; every layer's input histogram and every cost curve go
-- to a board, shown live when a display exists and always saved as PNGs.
-- Ends with a summary table, the layers each network lost (dead or
-- saturated), and the test-set costs; for BatchNorm in training mode (batch
-- statistics) and evaluation mode (running statistics), the part the
-- tutorial left out.
--
--   lunet scripts/bn_compare.lua [--norm none,batch,layer,group] [--groups N]
--                                [--optim sgd|adam|adamw|rmsprop|adagrad]
--                                [--activation relu|tanh] [--steps N] [--lr X]
--                                [--seed N] [--out DIR] [--no-window]
local dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = dir .. "/lib/?.lua;" .. package.path
local lunet = require "lunet"
local seed = require "seed"

local usage = "usage: lunet scripts/bn_compare.lua [--norm none,batch,layer,group]\n" ..
  "  [--groups N] [--optim sgd|adam|adamw|rmsprop|adagrad] [--activation relu|tanh]\n" ..
  "  [--steps N] [--lr X] [--seed N] [--out DIR] [--no-window]\n" ..
  "--norm: any list of none, batch (BatchNorm, the input too), layer (LayerNorm),\n" ..
  "group (GroupNorm of --groups groups, default 5; it must divide the 30 units)"
local flags = seed.cli("bn_compare", usage, arg or {}, {
  activation = "relu", steps = 251, lr = 0.001, seed = 1, out = "out", no_window = false,
  norm = "none,batch", groups = 5, optim = "sgd", help = false,
}, function(f)
  if f.activation ~= "relu" and f.activation ~= "tanh" then
    error("--activation must be relu or tanh", 0)
  end
  if f.steps < 1 or f.steps % 1 ~= 0 then error("--steps must be a positive integer", 0) end
  if not seed.optims[f.optim] then
    error("--optim must be one of sgd, adam, adamw, rmsprop, adagrad", 0)
  end
  f.norms = {}
  local seen = {}
  for name in (f.norm .. ","):gmatch("([^,]*),") do
    if not seed.norms[name] then
      error("--norm takes a list of none, batch, layer, group (not '" .. name .. "')", 0)
    end
    if seen[name] then error("--norm lists '" .. name .. "' twice", 0) end
    seen[name] = true
    f.norms[#f.norms + 1] = name
  end
  if f.groups < 1 or seed.defaults.width % f.groups ~= 0 then
    error("--groups must divide the " .. seed.defaults.width .. " units of a layer", 0)
  end
end)
if not flags then return end

-- One board for the window and both PNGs (each draws one kind of panel).
local board = lunet.Board()
local names = {}
for i, n in ipairs(flags.norms) do names[i] = seed.norms[n].name end
local window
local function env_set(name) return (os.getenv(name) or "") ~= "" end
local has_display = env_set("DISPLAY") or env_set("WAYLAND_DISPLAY")
if has_display and not flags.no_window then
  local shown, w = pcall(lunet.viewer.show, board,
    { axis = "panel", log = true, title = "lunet: " .. table.concat(names, " vs ") ..
      " (" .. flags.activation .. ")" })
  if shown then window = w else io.stderr:write("bn_compare: no window: ", tostring(w), "\n") end
end

print(string.format("seed experiment: %s, 7 x 30 units, %s lr %g, %d full-batch steps, "
  .. "seed %d; %s", flags.activation, seed.optims[flags.optim], flags.lr, flags.steps,
  flags.seed, table.concat(names, ", ")))
local t0 = lunet.clock()
local res = seed.compare({
  activation = flags.activation, steps = flags.steps, lr = flags.lr, seed = flags.seed,
  norms = flags.norms, groups = flags.groups, optim = flags.optim,
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
local runs = res.runs
local relu = flags.activation == "relu"
local what = relu and "dead units (0 for every sample)" or "saturated values (|x| > 0.97)"
print(string.format("\ntrained in %.2f s", elapsed))
print(string.format("%-8s %12s %12s  %s", "network", "first cost", "last cost", "weights"))
for _, r in ipairs(runs) do
  print(string.format("%-8s %12s %12s  %s", r.name, seed.fmt(r.costs[1][2]),
    seed.fmt(r.costs[#r.costs][2]), seed.params_finite(r.net) and "finite" or "NaN/Inf"))
end
print(string.format("\nlayer inputs at the last step (L2..L8: outputs of hidden layers 1..7):"
  .. "\n%s, and the share of NaN/Inf values when there are any", what))
local function cell(s)
  local v = relu and s.dead or s.sat
  local txt = string.format("%5.1f%%", 100 * v)
  if s.bad > 0 then txt = txt .. string.format(" (%3.0f%% bad)", 100 * s.bad) end
  return txt
end
local function row(first, cells)
  local t = { string.format("%-6s", first) }
  for _, c in ipairs(cells) do t[#t + 1] = string.format(" %16s", c) end
  print(table.concat(t))
end
row("layer", names)
-- L1 is the network's input, not an activation: nothing to die or saturate.
local inputs = {}
for i in ipairs(runs) do inputs[i] = "(input)" end
row("L1", inputs)
for l = 2, #runs[1].stats do
  local cells = {}
  for i, r in ipairs(runs) do cells[i] = cell(r.stats[l]) end
  row("L" .. l, cells)
end

-- The layers each network lost at the last step: half or more of the units
-- dead (0 for every sample), or half or more of the values saturated
-- (|x| > 0.97) or NaN/Inf.
print("\nlayers lost (half or more of the units dead, of the values saturated or NaN/Inf):")
for _, r in ipairs(runs) do
  local lost = { dead = {}, saturated = {}, ["NaN/Inf"] = {} }
  for l = 2, #r.stats do
    local s = r.stats[l]
    if s.dead >= 0.5 then table.insert(lost.dead, "L" .. l) end
    if s.sat >= 0.5 then table.insert(lost.saturated, "L" .. l) end
    if s.bad >= 0.5 then table.insert(lost["NaN/Inf"], "L" .. l) end
  end
  local parts = {}
  for _, k in ipairs({ "dead", "saturated", "NaN/Inf" }) do
    parts[#parts + 1] = k .. ": " .. (#lost[k] > 0 and table.concat(lost[k], " ") or "none")
  end
  print(string.format("  %-6s %s", r.name, table.concat(parts, "; ")))
end

-- Test mode: the trained networks on held-out points of the curve.
print(string.format("\ntest set: %d points x ~ U(%g, %g) on the same curve", #res.test_x,
  res.options.lo, res.options.hi))
for _, r in ipairs(runs) do
  if r.bn then
    local tc = seed.test_costs(r, res.test_x, res.test_y)
    print(string.format("  %s, evaluation mode (running statistics): %s", r.name,
      seed.fmt(tc.eval)))
    print(string.format("  %s, training mode (the test batch's statistics): %s", r.name,
      seed.fmt(tc.train)))
    print(string.format("  %s, training mode in batches of %d: %s", r.name, tc.small,
      seed.fmt(tc.train_small)))
  else
    r.net:evaluate()
    print(string.format("  %s: %s", r.name, seed.fmt(seed.cost(r, res.test_x, res.test_y))))
  end
end

os.execute("mkdir -p '" .. flags.out:gsub("'", "'\\''") .. "'")
local hist_png, cost_png = flags.out .. "/histograms.png", flags.out .. "/cost.png"
board:save_png(hist_png, { panels = "histograms", axis = "panel" })
board:save_png(cost_png, { panels = "scalars", log = true })
print("\nwrote " .. hist_png .. " and " .. cost_png)

if window then
  print("close the window (q or Esc) to exit")
  window:wait()
end
