-- all_reduce for every op, broadcast from every root, all_gather and
-- barrier, on odd sizes and strided views; rank r holds values made from r.
local lunet = require "lunet"
package.path = "tests/dist/?.lua;" .. package.path
local T = require "lib"
local dist = lunet.dist

dist.init()
dist.init()  -- idempotent
local r, n = dist.rank(), dist.size()
T.check("rank in 1..size", r >= 1 and r <= n and math.type(r) == "integer")

-- Rank k's value at element i (1-based): exact in float.
local function val(k, i) return (k * 37 + i * 11) % 101 - 50 + k / 4 end
local function mine(len)
  local t = lunet.zeros(len)
  for i = 1, len do t:set(i, val(r, i)) end
  return t
end
local function expect(len, op)
  local e = lunet.zeros(len)
  for i = 1, len do
    local acc = val(1, i)
    for k = 2, n do
      local v = val(k, i)
      if op == "max" then acc = math.max(acc, v)
      elseif op == "min" then acc = math.min(acc, v)
      else acc = acc + v end
    end
    e:set(i, op == "mean" and acc / n or acc)
  end
  return e
end

for _, len in ipairs({1, 7, 1001, 65537}) do
  for _, op in ipairs({"sum", "mean", "max", "min"}) do
    local t = mine(len)
    local back = dist.all_reduce(t, op)
    T.close(("all_reduce %s of %d"):format(op, len), t, expect(len, op), 1e-6)
    T.check(("all_reduce %s of %d returns t"):format(op, len), rawequal(back, t))
  end
end
local d = mine(12)
dist.all_reduce(d)
T.close("all_reduce sums by default", d, expect(12, "sum"), 1e-6)

-- A strided view: the column of a (5,3) tensor, the rest untouched.
local m = lunet.full({5, 3}, r)
for i = 1, 5 do m:set(i, 2, val(r, i)) end
dist.all_reduce(m[{{}, 2}], "sum")
T.close("all_reduce of a strided column", m[{{}, 2}]:contiguous(), expect(5, "sum"), 1e-6)
T.check("all_reduce leaves the other columns", m[{{}, 1}]:eq(r):all() and m[{{}, 3}]:eq(r):all())

for root = 1, n do
  for _, len in ipairs({1, 13, 4099}) do
    local t = mine(len)
    dist.broadcast(t, root)
    local want = lunet.zeros(len)
    for i = 1, len do want:set(i, val(root, i)) end
    T.close(("broadcast %d values from rank %d"):format(len, root), t, want, 0)
  end
end
local b = mine(3)
dist.broadcast(b)
T.check("broadcast from rank 1 by default", b:get(3) == val(1, 3))
T.check("broadcast refuses root 0", not pcall(dist.broadcast, lunet.zeros(2), 0))
T.check("broadcast refuses a root past size", not pcall(dist.broadcast, lunet.zeros(2), n + 1))
T.check("all_reduce refuses an unknown op", not pcall(dist.all_reduce, lunet.zeros(2), "prod"))

for _, shape in ipairs({{7}, {2, 3}, {3, 1, 5}}) do
  local t = lunet.full(shape, r)
  local g = dist.all_gather(t)
  local ok = g:dim() == #shape + 1 and g:size(1) == n
  for k = 1, n do ok = ok and g[k]:eq(k):all() end
  T.check(("all_gather of %s"):format(table.concat(shape, "x")), ok)
end
local s = dist.all_gather(lunet.arange(1, 10):view(3, 3):t())
T.check("all_gather of a transposed view", s[n]:equal(lunet.arange(1, 10):view(3, 3):t()))

dist.barrier()
T.check("comm_time counts", dist.comm_time() >= 0 and (n == 1 or dist.comm_time() > 0))
T.finish()
