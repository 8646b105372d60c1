-- tensor_math_spec.lua: in-place forms, masks, where and the all-element
-- tests on hand-computed values, and their bad input. (Values over many
-- shapes are checked against PyTorch in tensor_ops_spec.lua.)
local lunet = require "lunet"

package.path = "tests/spec/?.lua;" .. package.path
local h = require "tensor_helpers"(assert)
local fails, same = h.fails, h.same

local nan, inf = 0 / 0, 1 / 0

describe("tensor math", function()
  it("in-place forms write through views into their base", function()
    local t = lunet.tensor{{1, 2, 3}, {4, 5, 6}}
    assert.is_true(rawequal(t, t:add_(1)))
    same(t, {{2, 3, 4}, {5, 6, 7}})
    t:t():mul_(lunet.tensor{1, 10})  -- (3,2) times a row: column 2 of t^T is row 2 of t
    same(t, {{2, 3, 4}, {50, 60, 70}})
    t:narrow(2, 2, 2):sub_(lunet.tensor{{1}, {10}})
    same(t, {{2, 2, 3}, {50, 50, 60}})
    t[1]:div_(2)
    same(t, {{1, 1, 1.5}, {50, 50, 60}})
    t:select(2, 3):neg_()
    same(t, {{1, 1, -1.5}, {50, 50, -60}})
    t:clamp_(nil, 10):abs_()
    same(t, {{1, 1, 1.5}, {10, 10, 60}})
    t:pow_(2):sqrt_()
    same(t, {{1, 1, 1.5}, {10, 10, 60}})
    t:masked_fill_(t:gt(5), 0)
    same(t, {{1, 1, 1.5}, {0, 0, 0}})
    local e = lunet.tensor{-1, 0.5}:exp_():log_()
    assert(math.abs(e:get(1) + 1) < 1e-6 and math.abs(e:get(2) - 0.5) < 1e-6)
  end)

  it("comparisons give 0/1 tensors, with numbers and broadcasting", function()
    local t = lunet.tensor{{1, 2}, {3, 4}}
    same(t:gt(2), {{0, 0}, {1, 1}})
    same(t:le(lunet.tensor{1, 4}), {{1, 1}, {0, 1}})
    same(t:eq(lunet.tensor{{1}, {4}}), {{1, 0}, {0, 1}})
    same(t:ne(t:t()), {{0, 1}, {1, 0}})
    same(lunet.tensor{nan, 1}:eq(lunet.tensor{nan, 1}), {0, 1})
    same(lunet.maximum(t, 2.5), {{2.5, 2.5}, {3, 4}})
    same(lunet.minimum(lunet.tensor{1, 5}, lunet.tensor{{2}, {3}}), {{1, 2}, {1, 3}})
    local m = lunet.maximum(lunet.tensor{nan, 1}, lunet.tensor{0, nan})
    assert.is_true(m:isnan():all())
  end)

  it("where, masked_fill, masked_select and nonzero", function()
    local t = lunet.tensor{{1, -2}, {-3, 4}}
    same(lunet.where(t:gt(0), t, 0), {{1, 0}, {0, 4}})
    same(lunet.where(lunet.tensor{1, 0}, 7, t), {{7, -2}, {7, 4}})
    same(t:masked_fill(t:lt(0), 9), {{1, 9}, {9, 4}})
    same(t, {{1, -2}, {-3, 4}})  -- not in place
    same(t:masked_fill(lunet.tensor{0, 1}, 0), {{1, 0}, {-3, 0}})
    same(t:masked_select(t:gt(0)), {1, 4})
    same(t:t():masked_select(t:t():lt(0)), {-3, -2})  -- row-major order of the view
    same(t:nonzero(), {{1, 1}, {1, 2}, {2, 1}, {2, 2}})
    same(t:gt(0):nonzero(), {{1, 1}, {2, 2}})
    same(lunet.tensor{0, 3, 0, nan}:nonzero(), {{2}, {4}})
    assert.is_nil(t:gt(10):nonzero())
    assert.is_nil(t:masked_select(t:gt(10)))
  end)

  it("any, all, equal and allclose", function()
    assert.is_true(lunet.tensor{0, 0, 1}:any())
    assert.is_false(lunet.zeros(3):any())
    assert.is_false(lunet.tensor{1, 0}:all())
    assert.is_true(lunet.tensor{1, nan}:all())  -- NaN is nonzero
    local t = lunet.tensor{{1, 2}, {3, 4}}
    assert.is_true(t:equal(t:t():t()))
    assert.is_false(t:equal(t:t()))
    assert.is_false(t:equal(t:view(4)))
    assert.is_false(lunet.tensor{nan}:equal(lunet.tensor{nan}))
    assert.is_true(lunet.allclose(t, t + 1e-6))
    assert.is_false(lunet.allclose(t, t + 1e-3))
    assert.is_true(lunet.allclose(t, t + 1e-3, 1e-2))
    assert.is_true(lunet.allclose(t, t + 0.5, 0, 0.5))
    assert.is_true(lunet.allclose(lunet.tensor{inf, 1}, lunet.tensor{inf, 1}))
    assert.is_false(lunet.allclose(lunet.tensor{inf}, lunet.tensor{-inf}))
    assert.is_false(lunet.allclose(lunet.tensor{nan}, lunet.tensor{nan}))
    assert.is_true(lunet.allclose(t, lunet.tensor{{1}, {3}} + lunet.tensor{0, 1}))
  end)

  it("math functions on special values, as PyTorch", function()
    same(lunet.tensor{0.5, 1.5, 2.5, -0.5, -1.5}:round(), {0, 2, 2, -0, -2})
    same(lunet.tensor{-2, 0, 3}:sign(), {-1, 0, 1})
    assert.are.equal(0, lunet.tensor{nan}:sign():get(1))
    assert.is_true(lunet.tensor{nan}:relu():isnan():all())
    assert.is_true(lunet.tensor{nan}:clamp(0, 1):isnan():all())
    same(lunet.tensor{-inf, inf, 1}:isinf(), {1, 1, 0})
    same(lunet.tensor{-1, 0.5, 3}:clamp(0), {0, 0.5, 3})
    same(lunet.tensor{-1, 0.5, 3}:clamp(nil, 1), {-1, 0.5, 1})
    same(lunet.tensor{4}:rsqrt(), {0.5})
    same(-lunet.tensor{1, -2}, {-1, 2})
    same(2 ^ lunet.tensor{1, 3}, {2, 8})
    same(lunet.tensor{2, 3} ^ lunet.tensor{{2}, {0}}, {{4, 9}, {1, 1}})
  end)

  it("bad input names the function and the problem", function()
    local t = lunet.tensor{{1, 2}, {3, 4}}
    fails(function() t:add(2, t) end, "Tensor:add: unexpected argument #3")
    fails(function() t:mul(2, 99) end, "Tensor:mul: unexpected argument #3")
    fails(function() t:fill(1, 99) end, "Tensor:fill: unexpected argument #3")
    fails(function() t:abs(1) end, "Tensor:abs: unexpected argument #2")
    fails(function() t:clamp(0, 1, 2) end, "Tensor:clamp: unexpected argument #4")
    fails(function() t:clamp() end, "Tensor:clamp: give a min, a max or both")
    fails(function() t:clamp("a") end, "bad argument #1 to 'clamp' (number expected")
    fails(function() return "x" - t end, "Tensor -: operand 1: tensor or number expected, got string")
    fails(function() return t + {} end, "Tensor +: operand 2: tensor or number expected, got table")
    fails(function() t:gt("x") end, "bad argument #1 to 'gt' (tensor or number expected")
    fails(function() lunet.maximum(1, 2) end, "bad argument #1 to 'maximum' (lunet.Tensor expected")
    fails(function() lunet.maximum(t, lunet.zeros(3)) end,
          "lunet.maximum: shapes 2x2 and 3 do not broadcast")
    fails(function() lunet.where(t, t, lunet.zeros(3)) end, "lunet.where: shapes 2x2 and 3")
    fails(function() lunet.where(1, t, t) end, "bad argument #1 to 'where' (lunet.Tensor expected")
    fails(function() lunet.where(t, "a", t) end, "bad argument #2 to 'where' (number expected")
    fails(function() t:masked_fill(lunet.zeros(2, 2, 2), 1) end,
          "Tensor:masked_fill: a 2x2x2 mask does not broadcast to the 2x2 tensor")
    fails(function() t:masked_fill(t) end, "bad argument #2 to 'masked_fill' (number expected")
    fails(function() t:masked_select(lunet.zeros(3)) end, "Tensor:masked_select: shapes 2x2 and 3")
    fails(function() t:equal(1) end, "bad argument #1 to 'equal' (lunet.Tensor expected")
    fails(function() lunet.allclose(t, t, -1) end, "bad argument #3 to 'allclose' (rtol must be")
    fails(function() lunet.allclose(t, t, 0, 0, 0) end, "lunet.allclose: unexpected argument #5")
    fails(function() t:any(1) end, "Tensor:any: unexpected argument #2")
    fails(function() lunet.zeros(2):expand(3, 2):mul_(2) end, "Tensor:mul_: the tensor is an expanded")
    fails(function() lunet.zeros(2):expand(3, 2):masked_fill_(lunet.ones(1), 2) end,
          "Tensor:masked_fill_: the tensor is an expanded view")
    fails(function() t:mul_(lunet.zeros(3, 2, 2)) end, "does not fit the 2x2 tensor written in place")
    fails(function() t.exp() end, "lunet.Tensor expected, got no value; call it as t:exp(...)")
    same(t, {{1, 2}, {3, 4}})
  end)

  it("a finalizer closing an operand while the result is made is caught", function()
    -- The 4 MB tensor is charged to Lua's collector when the next result is
    -- created, which runs a full cycle and so the finalizer, mid-call.
    local calls = {
      function(t) return t + 1 end, function(t) return t:exp() end,
      function(t) return t:clone() end, function(t) return t:view(3) end,
      function(t) return t:transpose(1, 2) end, function(t) return t[1] end,
      function(t) return lunet.where(t, t, 0) end, function(t) return t:masked_select(t) end,
      function(t) return t:eq(t) end, function(t) return lunet.maximum(t, t) end,
    }
    for i, f in ipairs(calls) do
      local t = lunet.ones(3, 1)
      collectgarbage()
      lunet.zeros(1 << 20)
      setmetatable({}, {__gc = function() getmetatable(t).__close(t) end})
      local ok, err = pcall(f, t)
      assert(not ok and tostring(err):find("freed", 1, true), ("call %d: %s"):format(i, err))
    end
  end)

  it("a closed operand is refused", function()
    local u = h.closed()
    fails(function() return u:exp() end, "tensor has been freed")
    fails(function() return lunet.maximum(lunet.zeros(2), u) end, "tensor has been freed")
    fails(function() return lunet.where(u, 1, 2) end, "tensor has been freed")
    fails(function() return lunet.ones(2):masked_fill(u, 1) end, "tensor has been freed")
  end)
end)
