-- Embedding against torch.nn.Embedding (tests/fixtures/gen_embedding.py):
-- the lookup and the weight gradient bit for bit, the padding row, in a
-- network, save/load, and the indices it refuses.
local lunet = require "lunet"
local G = dofile("tests/spec/gradcheck.lua")
local exact = dofile("tests/spec/exact.lua")
local cases = dofile("tests/fixtures/embedding.lua")
local errors_with = G.errors_with

local function tensor(flat, shape)
  return lunet.tensor(flat):view(table.unpack(shape))
end

describe("Embedding", function()
  for _, c in ipairs(cases) do
    it(string.format("equals PyTorch's %dx%d table (padding %d), input %s", c.num, c.dim,
                     c.padding, table.concat(c.shape, "x")), function()
      local e = lunet.Embedding(c.num, c.dim, {padding_idx = c.padding})
      e.weight:copy(tensor(c.weight, {c.num, c.dim}))
      local shape = {table.unpack(c.shape)}
      local x = tensor(c.indices, shape)
      shape[#shape + 1] = c.dim
      local y = e:forward(x)
      assert.same(shape, y:size())
      assert.same(exact(tensor(c.y, shape)), exact(y))
      local dx = e:backward(x, tensor(c.dy, shape))
      assert.same(exact(tensor(c.dweight, {c.num, c.dim})), exact(e.grad.weight))
      assert.equals(0, dx:abs():max())           -- indices get no gradient
      assert.same(c.shape, dx:size())
    end)
  end

  it("starts N(0, 1) with the padding row at zeros, and prints as PyTorch", function()
    lunet.manual_seed(4)
    local e = lunet.Embedding(2000, 8, {padding_idx = 5})
    assert.equals("Embedding(2000, 8, padding_idx=5)", tostring(e))
    assert.equals("Embedding(3, 2)", tostring(lunet.Embedding(3, 2)))
    assert.equals(0, e.weight:select(1, 5):abs():max())
    assert.near(0, e.weight:mean(), 0.01)
    assert.near(1, e.weight:std(), 0.01)
  end)

  it("trains in a network, and saves and loads", function()
    lunet.manual_seed(5)
    local net = lunet.Sequential{lunet.Embedding(10, 4), lunet.Flatten(), lunet.Linear(12, 1)}
    local x, y = tensor({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2}, {4, 3}), lunet.randn(4, 1)
    local mse, opt = lunet.MSELoss(), lunet.optim.SGD(net, 0.1)
    local first
    for i = 1, 30 do
      net:zero_grad()
      local out = net:forward(x)
      local cost = mse:forward(out, y)
      first = first or cost
      net:backward(x, mse:backward(out, y), {input_grad = false})
      opt:step()
      if i == 30 then assert.is_true(cost < first / 10, cost .. " from " .. first) end
    end
    local path = os.tmpname()
    lunet.save(path, net)
    local back = lunet.load(path)
    os.remove(path)
    assert.same(exact(net:forward(x)), exact(back:forward(x)))
    assert.same(exact(net:forward(x)), exact(net:clone():forward(x)))
  end)

  it("feeds a Linear over its (N,L,D) output, which passes the gradient check", function()
    lunet.manual_seed(6)
    local lin = lunet.Linear(4, 3)
    local x = lunet.randn(2, 5, 4)
    local y = lin:forward(x)
    assert.same({2, 5, 3}, y:size())
    assert.same(exact(lin:forward(x:view(10, 4)):view(2, 5, 3)), exact(y))
    assert.is_true(G.check(lin, x) < 1e-2)
    assert.same({3}, lin:forward(lunet.randn(4)):size())
    local net = lunet.Sequential{lunet.Embedding(10, 4), lunet.Linear(4, 2)}
    local out = net:forward(lunet.tensor{{1, 2, 3}, {4, 5, 6}})
    assert.same({2, 3, 2}, out:size())
    net:backward(lunet.tensor{{1, 2, 3}, {4, 5, 6}}, lunet.ones(2, 3, 2))
    assert.is_true(net.modules[1].grad.weight:abs():sum() > 0)
  end)

  it("refuses indices that are not rows, and bad sizes", function()
    local e = lunet.Embedding(5, 3)
    errors_with(function() e:forward(lunet.tensor{1, 0}) end,
      "Embedding:forward: index 0 at position 2 is not a row in 1..5")
    errors_with(function() e:forward(lunet.tensor{6}) end, "index 6 at position 1")
    errors_with(function() e:forward(lunet.tensor{2.5}) end, "index 2.5 at position 1")
    errors_with(function() e:forward(lunet.tensor{0 / 0}) end, "index nan at position 1")
    e:forward(lunet.tensor{1, 2})
    errors_with(function() e:backward(lunet.tensor{1, 9}, lunet.ones(2, 3)) end,
      "index 9 at position 2")
    errors_with(function() lunet.Embedding(5, 3, {padding_idx = 6}) end,
      "padding_idx must be a row in 1..5 (or 0 for none), got 6")
    errors_with(function() lunet.Embedding(0, 3) end, "size must be positive")
    errors_with(function() lunet.Embedding(5, 3, {max_norm = 1}) end, "unknown option")
  end)
end)
