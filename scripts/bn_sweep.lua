-- bn_sweep.lua: the seed's comparison (no BN against BN, same data, same
-- initial weights N(0, 1) and biases 0.1) over learning rates, depths and
-- batch sizes, to see where batch normalization helps and where it does not.
-- Mini-batches are drawn from the 500 training points, reshuffled every
-- epoch by lunet's seeded generator, and both networks see the same batches.
-- The final cost is measured on the whole training set in evaluation mode
-- (the BN network uses its running statistics, as it would in use).
--
--   lunet scripts/bn_sweep.lua [--activation relu|tanh] [--lrs 0.0001,0.001,0.01,0.1]
--     [--depths 2,4,7] [--batches 500,50,5] [--epochs N] [--seed N] [--out DIR]
local dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = dir .. "/lib/?.lua;" .. package.path
local lunet = require "lunet"
local seed = require "seed"

local usage = "usage: lunet scripts/bn_sweep.lua [--activation relu|tanh] [--lrs L,L]\n" ..
  "  [--depths D,D] [--batches B,B] [--epochs N] [--seed N] [--out DIR]"
local function list(s, name)
  local t = {}
  for v in tostring(s):gmatch("[^,]+") do
    local n = tonumber(v)
    if not n or n <= 0 then
      error("--" .. name .. " needs positive numbers, got '" .. v .. "'", 0)
    end
    t[#t + 1] = n
  end
  if #t == 0 then error("--" .. name .. " is empty", 0) end
  return t
end
local lrs, depths, batches
local flags = seed.cli("bn_sweep", usage, arg or {}, {
  activation = "relu", lrs = "0.0001,0.001,0.01,0.1", depths = "2,4,7", batches = "500,50,5",
  epochs = 100, seed = 1, out = "out", help = false,
}, function(f)
  lrs, depths, batches = list(f.lrs, "lrs"), list(f.depths, "depths"), list(f.batches, "batches")
  if f.activation ~= "relu" and f.activation ~= "tanh" then
    error("--activation must be relu or tanh", 0)
  end
  if f.epochs < 1 or f.epochs % 1 ~= 0 then error("--epochs must be >= 1", 0) end
end)
if not flags then return end

local settings = {}
for _, lr in ipairs(lrs) do
  for _, depth in ipairs(depths) do
    for _, bs in ipairs(batches) do
      settings[#settings + 1] = { lr = lr, depth = math.tointeger(depth) or depth,
                                  batch = math.tointeger(bs) or bs }
    end
  end
end

-- One setting: both networks from the same seed, trained on the same batches.
local function run_setting(s)
  local o = seed.options({ activation = flags.activation, lr = s.lr, depth = s.depth,
                           seed = flags.seed })
  lunet.manual_seed(o.seed)
  local x, y = seed.train_data(o)
  local runs = {}
  for i, bn in ipairs({ false, true }) do
    lunet.manual_seed(o.seed)
    runs[i] = seed.new_run(o, bn, bn and "BN" or "no BN")
  end
  lunet.manual_seed(o.seed)
  for _ = 1, flags.epochs do
    for bx, by in lunet.data.batches(x, y, s.batch, { shuffle = true }) do
      -- A batch of one row has no batch variance: BN cannot train on it.
      if #bx > 1 then
        for _, r in ipairs(runs) do seed.step(r, bx, by) end
      end
    end
  end
  local final = {}
  for i, r in ipairs(runs) do
    r.net:evaluate()
    final[i] = seed.cost(r, x, y)
  end
  return final[1], final[2]
end

print(string.format("sweep: %s, %d epochs, %d settings x 2 networks", flags.activation,
  flags.epochs, #settings))
-- A cost above this (or NaN/Inf) is a run that blew up; predicting the mean
-- of y already scores about 700 on this data.
local DIVERGED = 1e6
local function diverged(v) return not seed.finite(v) or v > DIVERGED end
local function plotted(v) return diverged(v) and math.log(DIVERGED, 10) or math.log(v, 10) end

local board = lunet.Board()
local tag = "final cost/"
board:axis("final cost", { xlabel = "setting (# in the table)",
                           ylabel = "log10 final cost (6 = diverged)" })
local t0 = lunet.clock()
for i, s in ipairs(settings) do
  s.nobn, s.bn = run_setting(s)
  board:scalar(tag .. "no BN", i, plotted(s.nobn))
  board:scalar(tag .. "BN", i, plotted(s.bn))
  seed.progress(i, #settings, string.format("setting %d/%d", i, #settings))
end

print(string.format("\nfinal cost on the training set (evaluation mode), %.1f s",
  lunet.clock() - t0))
print(string.format("(predicting the mean of y scores about 700; diverged: NaN/Inf or > %g)",
  DIVERGED))
print(string.format("%3s %8s %6s %6s %12s %12s  %s", "#", "lr", "depth", "batch", "no BN", "BN",
  "better"))
local wins = { BN = 0, ["no BN"] = 0 }
for i, s in ipairs(settings) do
  local better
  local da, db = diverged(s.nobn), diverged(s.bn)
  if not da and not db then
    local ratio = s.nobn / s.bn
    better = ratio >= 1.5 and string.format("BN (%.3gx)", ratio)
      or ratio <= 1 / 1.5 and string.format("no BN (%.3gx)", 1 / ratio) or "same"
  else
    better = da and db and "both diverged" or da and "BN (no BN diverged)"
      or "no BN (BN diverged)"
  end
  local winner = better:match("^(n?o? ?BN) %(")
  if winner then wins[winner] = wins[winner] + 1 end
  print(string.format("%3d %8g %6d %6d %12s %12s  %s", i, s.lr, s.depth, s.batch,
    seed.fmt(s.nobn), seed.fmt(s.bn), better))
end
print(string.format("BN better in %d settings, no BN better in %d, the rest tied or both diverged",
  wins.BN, wins["no BN"]))

os.execute("mkdir -p '" .. flags.out:gsub("'", "'\\''") .. "'")
local png = flags.out .. "/sweep.png"
board:save_png(png, { width = 900, height = 450 })
print("\nwrote " .. png)
