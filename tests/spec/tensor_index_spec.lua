-- tensor_index_spec.lua: t[i] and Torch7's t[{...}], reading and
-- assigning, with the expected values written out by hand.
local lunet = require "lunet"

package.path = "tests/spec/?.lua;" .. package.path
local h = require "tensor_helpers"(assert)
local fails, same, closing = h.fails, h.same, h.closing

local function m23() return lunet.tensor{{1, 2, 3}, {4, 5, 6}} end

describe("tensor indexing", function()
  it("t[i] selects along the first dimension, a view; a number for 1-D", function()
    local t = m23()
    same(t[2], {4, 5, 6})
    same(t[-2], {1, 2, 3})
    assert.are.equal(6, t[2][3])
    assert.are.equal(5, t[-1][-2])
    assert.are.equal("number", type(t[1][1]))
    local row = t[1]
    row:fill(0)  -- a view: the base changes
    same(t, {{0, 0, 0}, {4, 5, 6}})
    local c = lunet.tensor{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}}
    same(c[2], {{5, 6}, {7, 8}})
    same(c[2][1], {5, 6})
    assert.are.equal(7, c[2][2][1])
  end)

  it("the table form: numbers select, {a, b} ranges, {a}, {} all", function()
    local t = m23()
    same(t[{2, {1, 2}}], {4, 5})
    same(t[{{}, 1}], {1, 4})
    same(t[{{}, {2}}], {{2}, {5}})
    same(t[{{}, {2, 3}}], {{2, 3}, {5, 6}})
    same(t[{{1, -1}, {-2, -1}}], {{2, 3}, {5, 6}})
    same(t[{1}], {1, 2, 3})
    same(t[{}], {{1, 2, 3}, {4, 5, 6}})
    assert.are.equal(6, t[{2, 3}])
    assert.are.equal(4, t[{-1, 1}])
    local c = lunet.tensor{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}}
    same(c[{{}, 2, {}}], {{3, 4}, {7, 8}})
    same(c[{{}, {}, 1}], {{1, 3}, {5, 7}})
    assert.are.equal(6, c[{2, 1, 2}])
    -- a view of a view, still sharing storage
    local v = t[{{}, {2, 3}}][{2}]
    v:fill(9)
    same(t, {{1, 2, 3}, {4, 9, 9}})
  end)

  it("assigns numbers and broadcast tensors through indices", function()
    local t = m23()
    t[1] = 0
    same(t, {{0, 0, 0}, {4, 5, 6}})
    t[2][3] = 60
    same(t, {{0, 0, 0}, {4, 5, 60}})
    t[{{}, 2}] = lunet.tensor{20, 50}
    same(t, {{0, 20, 0}, {4, 50, 60}})
    t[{1, {1, 3}}] = lunet.tensor{7, 8, 9}
    same(t, {{7, 8, 9}, {4, 50, 60}})
    t[{{}, {1, 2}}] = lunet.tensor{-1, -2}  -- a row broadcast over both rows
    same(t, {{-1, -2, 9}, {-1, -2, 60}})
    t[{{}, {3}}] = lunet.tensor{{30}, {31}}
    same(t, {{-1, -2, 30}, {-1, -2, 31}})
    t[{2, 1}] = 5
    assert.are.equal(5, t:get(2, 1))
    t[-1] = lunet.tensor{1, 2, 3}
    same(t, {{-1, -2, 30}, {1, 2, 3}})
    local v = lunet.tensor{1, 2, 3}
    v[2] = 7
    same(v, {1, 7, 3})
    v[{{2, 3}}] = 0
    same(v, {1, 0, 0})
    -- assigning a view of itself: overlapping source and destination
    local s = lunet.tensor{{1, 2}, {3, 4}}
    s[{{}, {}}] = s:t()
    same(s, {{1, 3}, {2, 4}})
  end)

  it("methods are still found through __index", function()
    local t = m23()
    assert.are.equal(21, t:sum())
    assert.is_function(t.sum)
    -- a name that is neither a method nor an index is an error naming both
    local ok, err = pcall(function() return t.no_such_method end)
    assert.is_false(ok)
    assert.matches("Tensor: no field 'no_such_method'", err, 1, true)
  end)

  it("bad indices and values are clear errors", function()
    local t = m23()
    fails(function() return t[3] end, "Tensor index: index 3 out of range 1..2 in dimension 1")
    fails(function() return t[0] end, "index 0 out of range 1..2")
    fails(function() return t[-3] end, "index -3 out of range 1..2")
    fails(function() return t[1.5] end, "Tensor index: an index for dimension 1 must be an integer")
    fails(function() return t[true] end, "expected a number, a table or a method name, got boolean")
    fails(function() return t[{1, 2, 3}] end, "Tensor index: 3 indices for a 2-D tensor")
    fails(function() return t[{{2, 1}}] end, "range {2, 1} in dimension 1 is empty")
    fails(function() return t[{{1, 2, 3}}] end, "{a, b}, {a} or {}, got 3 entries")
    fails(function() return t[{"a"}] end, "entry 1 must be a number or a range table, got string")
    fails(function() return t[{{1, "x"}}] end, "a range end for dimension 1 must be an integer")
    fails(function() return t[{1, {1, 4}}] end, "index 4 out of range 1..3 in dimension 2")
    fails(function() t.foo = 1 end, "Tensor index: cannot assign to key foo")
    fails(function() t[1] = "x" end, "the value assigned must be a number or a tensor, got string")
    fails(function() t[1] = lunet.zeros(2) end,
          "Tensor index: a 2 tensor does not broadcast to the 3 place assigned")
    fails(function() t[{1, 1}] = lunet.zeros(1) end, "a tensor assigned to one element")
    same(t, {{1, 2, 3}, {4, 5, 6}})
  end)

  it("a key table that closes the tensor is caught, reading and writing", function()
    local t = m23()
    fails(function() return t[closing(t, {1, 2})] end, "tensor has been freed")
    t = m23()
    fails(function() t[closing(t, {1})] = 0 end, "tensor has been freed")
    -- the value assigned closed by the key's conversion
    local t2, v = m23(), lunet.zeros(3)
    fails(function() t2[closing(v, {1})] = v end, "tensor has been freed")
    same(t2, {{1, 2, 3}, {4, 5, 6}})
  end)
end)
