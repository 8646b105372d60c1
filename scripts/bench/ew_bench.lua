-- Elementwise operations and reductions over all elements, lunet against
-- PyTorch (torch_ew.py, run from here) in the same run, one thread each:
-- on 1e6 contiguous elements (shape n) and on a transposed 1024x1024 view
-- (shape T). Prints a table with the speed-up PyTorch time / lunet time
-- (above 1: lunet is faster).
-- usage: [ROUNDS=n] OPENBLAS_NUM_THREADS=1 build/lunet scripts/bench/ew_bench.lua [case ...]
local lunet = require "lunet"

lunet.manual_seed(1)
lunet.set_num_threads(1)

-- The same cases, in the same order, as torch_ew.py; a is randn, p is
-- positive (log, sqrt), b is a second randn operand, m a 0/1 mask.
local cases = {
  {"abs", function(a) return a:abs() end},
  {"neg", function(a) return a:neg() end},
  {"exp", function(a) return a:exp() end},
  {"log", function(_, p) return p:log() end},
  {"log1p", function(_, p) return p:log1p() end},
  {"sqrt", function(_, p) return p:sqrt() end},
  {"rsqrt", function(_, p) return p:rsqrt() end},
  {"sign", function(a) return a:sign() end},
  {"floor", function(a) return a:floor() end},
  {"ceil", function(a) return a:ceil() end},
  {"round", function(a) return a:round() end},
  {"sin", function(a) return a:sin() end},
  {"cos", function(a) return a:cos() end},
  {"tanh", function(a) return a:tanh() end},
  {"sigmoid", function(a) return a:sigmoid() end},
  {"relu", function(a) return a:relu() end},
  {"clamp", function(a) return a:clamp(-1, 1) end},
  {"isnan", function(a) return a:isnan() end},
  {"abs_", function(a) return a:abs_() end},
  {"neg_", function(a) return a:neg_() end},
  {"clamp_", function(a) return a:clamp_(-3, 3) end},
  {"add", function(a, _, b) return a + b end},
  {"sub", function(a, _, b) return a - b end},
  {"mul", function(a, _, b) return a * b end},
  {"div", function(a, p) return a / p end},
  {"add_number", function(a) return a + 2 end},
  {"mul_number", function(a) return a * 2 end},
  {"pow2", function(a) return a:pow(2) end},
  {"pow_half", function(_, p) return p:pow(0.5) end},
  {"pow_tensor", function(_, p, b) return p:pow(b) end},
  {"maximum", function(a, _, b) return lunet.maximum(a, b) end},
  {"minimum", function(a, _, b) return lunet.minimum(a, b) end},
  {"eq", function(a, _, b) return a:eq(b) end},
  {"lt", function(a, _, b) return a:lt(b) end},
  {"add_", function(a, _, b) return a:add_(b) end},
  {"mul_", function(a) return a:mul_(1.0) end},
  {"where", function(a, _, b, m) return lunet.where(m, a, b) end},
  {"masked_fill", function(a, _, _, m) return a:masked_fill(m, 0) end},
  {"clone", function(a) return a:clone() end},
  {"contiguous", function(a) return a:contiguous() end},
  {"fill", function(a) return a:fill(1.5) end},
  {"sum", function(a) return a:sum() end},
  {"mean", function(a) return a:mean() end},
  {"max", function(a) return a:max() end},
  {"min", function(a) return a:min() end},
  {"std", function(a) return a:std() end},
}

local function inputs(shape)
  local make
  if shape == "n" then
    make = function() return lunet.randn(1000000) end
  else
    make = function() return lunet.randn(1024, 1024):t() end
  end
  local a, b = make(), make()
  local p = make():abs_():add_(0.01)
  local m = make():gt(0)
  return a, p, b, m
end

-- Best time per call over 9 trials of k calls, k giving ~10 ms a trial:
-- the machine is shared, and the best of many short trials is the one
-- least disturbed.
local function seconds(f, ...)
  f(...)
  local t0 = lunet.clock()
  f(...)
  local once = math.max(lunet.clock() - t0, 1e-6)
  local k = math.max(3, math.floor(0.01 / once))
  local best = math.huge
  for _ = 1, 9 do
    t0 = lunet.clock()
    for _ = 1, k do f(...) end
    best = math.min(best, (lunet.clock() - t0) / k)
  end
  return best
end

local want = {}
for _, name in ipairs(arg) do want[name] = true end
local only = next(want) ~= nil

-- ROUNDS (default 3) alternating rounds, lunet's cases then PyTorch's;
-- each side's median over the rounds, and the range of the rounds' own
-- speed-ups, which says how noisy the machine was.
local rounds = tonumber(os.getenv("ROUNDS") or "") or 3
local dir = arg[0]:match("^(.*)/[^/]*$") or "."
local mine, torch, order = {}, {}, {}
for round = 1, rounds do
  for _, shape in ipairs{"n", "T"} do
    for _, c in ipairs(cases) do
      if not only or want[c[1]] then
        local key = c[1] .. " " .. shape
        if round == 1 then order[#order + 1] = key; mine[key], torch[key] = {}, {} end
        mine[key][round] = seconds(c[2], inputs(shape))
      end
    end
  end
  local py = io.popen("/usr/bin/python3 " .. dir .. "/torch_ew.py " .. table.concat(arg, " "))
  for line in py:lines() do
    local name, shape, s = line:match("^(%S+) (%S+) (%S+)$")
    local key = name and name .. " " .. shape
    if key and torch[key] then torch[key][round] = tonumber(s) end
  end
  py:close()
end

local function median(t)
  local s = {}
  for i, v in ipairs(t) do s[i] = v end
  table.sort(s)
  local n = #s
  return n % 2 == 1 and s[(n + 1) // 2] or (s[n // 2] + s[n // 2 + 1]) / 2
end

print("| case | shape | lunet ms | PyTorch ms | speed-up (PyTorch / lunet) | rounds' range |")
print("|---|---|---|---|---|---|")
local slower = 0
for _, key in ipairs(order) do
  local name, shape = key:match("^(%S+) (%S+)$")
  local l = median(mine[key])
  local t = #torch[key] == rounds and median(torch[key]) or nil
  local ratio = t and t / l
  local lo, hi = math.huge, 0
  for r = 1, t and rounds or 0 do
    local q = torch[key][r] / mine[key][r]
    lo, hi = math.min(lo, q), math.max(hi, q)
  end
  if ratio and ratio < 1 then slower = slower + 1 end
  print(string.format("| %s | %s | %.3f | %s | %s | %s |", name, shape, l * 1e3,
                      t and string.format("%.3f", t * 1e3) or "-",
                      ratio and string.format("%.2fx", ratio) or "-",
                      t and string.format("%.2f-%.2fx", lo, hi) or "-"))
end
print(string.format("%d of %d cases slower than PyTorch (medians of %d alternating rounds)",
                    slower, #order, rounds))
