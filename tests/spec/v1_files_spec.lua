-- Files of format version 1 (written by lunet 0.1.0, before issue 10) still
-- load: the committed files of tests/fixtures/v1 (gen_v1.lua made them) give
-- the same modules, flags, statistics and evaluation outputs bit for bit.
local lunet = require "lunet"
local dir = "tests/fixtures/v1/"
local expect = dofile(dir .. "expect.lua")

local function flat(t) return t:view(t:numel()):totable() end
-- The recorded values rounded to float32, as the tensors hold them.
local function f32(list) return lunet.tensor(list):totable() end

describe("version 1 files", function()
  it("are version 1", function()
    local f = assert(io.open(dir .. "net.lnet", "rb"))
    local head = f:read(10)
    f:close()
    assert.equals("LUNET\0\1\0\0\0", head)
  end)

  it("load a Sequential with every layer kind of that release", function()
    local net = lunet.load(dir .. "net.lnet")
    assert.equals(expect.tostring, tostring(net))
    assert.is_false(net.training)
    assert.is_true(net.modules[3].training)
    assert.is_false(net.modules[4].modules[2].training)
    assert.same(f32(expect.linear_weight), flat(net.modules[1].weight))
    assert.same(f32(expect.running_mean), flat(net.modules[2].running_mean))
    assert.same(f32(expect.running_var), flat(net.modules[5].running_var))
    local x = lunet.tensor(expect.x):view(16, 3)
    -- the output goes through tanh and sigmoid, whose kernels may change in
    -- their last bits from release to release: the weights above are exact
    local want, got = f32(expect.y), flat(net:forward(x))
    assert.equals(#want, #got)
    for i = 1, #want do
      assert(math.abs(got[i] - want[i]) <= 1e-6 * math.max(1, math.abs(want[i])),
             ("output %d: got %.9g, want %.9g"):format(i, got[i], want[i]))
    end
  end)

  it("load a single layer", function()
    local lin = lunet.load(dir .. "linear.lnet")
    assert.equals("Linear(3 -> 5)", tostring(lin))
    assert.same(f32(expect.linear_weight), flat(lin.weight))
  end)
end)
