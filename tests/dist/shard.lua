-- lunet.data.batches with shard = true: each rank its share of the epoch's
-- order, disjoint, covering every row, padded as DistributedSampler does.
local lunet = require "lunet"
package.path = "tests/dist/?.lua;" .. package.path
local T = require "lib"
local dist = lunet.dist
local r, n = dist.rank(), dist.size()

for _, rows in ipairs({12, 13, 5, 2}) do
  local x = lunet.arange(1, rows + 1):view(rows, 1)
  local y = x * 10
  -- The order one process draws from the same seed.
  lunet.manual_seed(5)
  local order = {}
  for bx in lunet.data.batches(x, nil, rows) do
    for i = 1, rows do order[i] = bx:get(i, 1) end
  end
  lunet.manual_seed(5)
  local got, pairs_ok = {}, true
  for bx, by in lunet.data.batches(x, y, 4, {shard = true}) do
    for i = 1, bx:size(1) do
      got[#got + 1] = bx:get(i, 1)
      pairs_ok = pairs_ok and by:get(i, 1) == 10 * bx:get(i, 1)
    end
  end
  local share = math.ceil(rows / n)
  local want_ok = #got == share
  for i = 1, #got do
    want_ok = want_ok and got[i] == order[(r - 1 + n * (i - 1)) % rows + 1]
  end
  local name = ("%d rows over %d ranks"):format(rows, n)
  T.check(name .. ": rank's share is order[r, r + R, ...] padded by wrapping", want_ok,
          table.concat(got, " "))
  T.check(name .. ": x and y rows stay paired", pairs_ok)
  -- Over the ranks: every row, and no row twice unless padding repeats it.
  local seen = dist.all_gather(lunet.tensor(got))
  local count = {}
  for k = 1, n do
    for i = 1, share do
      local v = seen:get(k, i)
      count[v] = (count[v] or 0) + 1
    end
  end
  local pad, ok = share * n - rows, true
  for v = 1, rows do ok = ok and (count[v] or 0) >= 1 end
  local twice = 0
  for _, c in pairs(count) do twice = twice + c - 1 end
  T.check(name .. ": disjoint shares covering every row", ok and twice == pad)
end

-- Without shuffle the shares are strided slices of 1..rows.
local got = {}
local seven = lunet.arange(1, 8):view(7, 1)
for bx in lunet.data.batches(seven, nil, 7, {shuffle = false, shard = true}) do
  for i = 1, bx:size(1) do got[#got + 1] = bx:get(i, 1) end
end
T.check("unshuffled share starts at the rank", got[1] == r and (not got[2] or got[2] == r + n))

-- Ranks seeded differently draw different orders: refused on every rank.
lunet.manual_seed(40 + r)
local ok, err = pcall(lunet.data.batches, lunet.arange(1, 101):view(100, 1), nil, 10,
                      {shard = true})
T.check("differently seeded ranks are refused", (n == 1) == ok and
        (ok or tostring(err):find("shuffled differently") ~= nil), tostring(err))
T.finish()
