-- lunet.save / lunet.load: round trip (BatchNorm running statistics and
-- evaluation outputs included), each bad file, and a failed save that leaves
-- the earlier file intact.
local lunet = require "lunet"

local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p '" .. dir .. "'"))
local path = dir .. "/model.lnet"

local function read(p)
  local f = assert(io.open(p, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local function write(p, s)
  local f = assert(io.open(p, "wb"))
  f:write(s)
  f:close()
end

local function load_error(p)
  local ok, err = pcall(lunet.load, p)
  assert.is_false(ok)
  return err
end

local function build()
  lunet.manual_seed(3)
  return lunet.Sequential{
    lunet.Linear(2, 8), lunet.BatchNorm(8, {eps = 1e-3, momentum = 0.5}), lunet.ReLU(),
    lunet.Linear(8, 3), lunet.Tanh(), lunet.Sequential{lunet.Sigmoid()},
    lunet.BatchNorm(3, {affine = false}),
  }
end

describe("lunet.save and lunet.load", function()
  teardown(function() os.execute("rm -rf '" .. dir .. "'") end)

  local net = build()
  local x = lunet.randn(32, 2) * 3 + 1
  for _ = 1, 4 do net:forward(x) end  -- moves the running statistics
  net:evaluate()
  lunet.save(path, net)

  it("round-trips a Sequential with BatchNorm", function()
    local back = lunet.load(path)
    assert.equals(tostring(net), tostring(back))
    assert.is_false(back.training)
    assert.is_false(back.modules[2].training)
    local p1, p2 = net:parameters(), back:parameters()
    assert.equals(#p1, #p2)
    for i = 1, #p1 do assert.same(p1[i]:totable(), p2[i]:totable()) end
    local bn1, bn2 = net.modules[2], back.modules[2]
    assert.is_true(bn1.running_mean:max() ~= 0)
    assert.same(bn1.running_mean:totable(), bn2.running_mean:totable())
    assert.same(bn1.running_var:totable(), bn2.running_var:totable())
    assert.same(net.modules[7].running_var:totable(), back.modules[7].running_var:totable())
    assert.equals(1e-3, bn2.eps)
    assert.equals(0.5, bn2.momentum)
    assert.is_false(back.modules[7].affine)
    local x2 = lunet.randn(5, 2)
    assert.same(net:forward(x2):totable(), back:forward(x2):totable())
  end)

  it("keeps each module's training flag", function()
    local m = build()
    m.modules[2]:evaluate()
    local p = dir .. "/mixed.lnet"
    lunet.save(p, m)
    local back = lunet.load(p)
    assert.is_true(back.training)
    assert.is_false(back.modules[2].training)
    assert.is_true(back.modules[7].training)
  end)

  it("loads a lone layer as that layer", function()
    local p = dir .. "/lin.lnet"
    lunet.save(p, net.modules[1])
    local lin = lunet.load(p)
    assert.equals("Linear", lin:type())
    assert.same(net.modules[1].weight:totable(), lin.weight:totable())
  end)

  it("gives clear errors for bad files", function()
    local good = read(path)
    assert.matches("lunet.load: " .. dir .. "/none.lnet: cannot open: No such file",
                   load_error(dir .. "/none.lnet"), 1, true)
    local bad = dir .. "/bad.lnet"
    local cases = {
      {"", "file is empty"},
      {good:sub(1, 4), "truncated"},
      {good:sub(1, #good // 2), "truncated"},
      {good:sub(1, -2), "truncated"},
      {"#!/bin/sh\necho not a model\n", "not a lunet model file (bad magic)"},
      {good:sub(1, 6) .. "\9" .. good:sub(8), "format version 9 is newer than this lunet"},
      {good .. "extra", "trailing data"},
    }
    local mid = #good // 2
    local flipped = string.char(good:byte(mid) ~ 0x40)
    cases[#cases + 1] = {good:sub(1, mid - 1) .. flipped .. good:sub(mid + 1),
                         "lunet.load: " .. bad .. ": checksum mismatch (file corrupted)"}
    for _, c in ipairs(cases) do
      write(bad, c[1])
      assert.matches(c[2], load_error(bad), 1, true)
    end
    assert.matches("lunet.load: " .. dir .. ": cannot load: is a directory", load_error(dir),
                   1, true)
    -- a body length near 2^64 is reported as it is, not wrapped around
    write(bad, good:sub(1, 10) .. string.rep("\255", 8) .. good:sub(19))
    assert.matches("declares a body of 18446744073709551615 bytes", load_error(bad), 1, true)
  end)

  it("refuses at once what is not a regular file", function()
    -- /dev/zero never ends: it was read until memory ran out
    local t0 = os.clock()
    assert.matches("lunet.load: /dev/zero: cannot load: not a regular file",
                   load_error("/dev/zero"), 1, true)
    local fifo = dir .. "/fifo"
    assert(os.execute("mkfifo '" .. fifo .. "'"))
    -- opening a FIFO for reading would wait for a writer
    assert.matches("not a regular file", load_error(fifo), 1, true)
    assert.is_true(os.clock() - t0 < 1)
  end)

  it("refuses an extra argument", function()
    local ok, err = pcall(lunet.load, path, "rb")
    assert.is_false(ok)
    assert.matches("lunet.load: unexpected argument #2", err, 1, true)
    ok, err = pcall(lunet.save, path, net, true)
    assert.is_false(ok)
    assert.matches("lunet.save: unexpected argument #3", err, 1, true)
  end)

  it("leaves the earlier file intact when a save fails", function()
    -- A name near NAME_MAX leaves no room for the temporary file's suffix,
    -- so the save fails even for root; the earlier file must survive.
    local long = dir .. "/" .. string.rep("m", 250)
    write(long, "an earlier file")
    local before = read(long)
    local ok, err = pcall(lunet.save, long, lunet.Linear(4, 4))
    assert.is_false(ok)
    assert.matches("lunet.save: " .. long, err, 1, true)
    assert.equals(before, read(long))
    os.remove(long)
    ok, err = pcall(lunet.save, dir .. "/no/such/dir/m.lnet", net)
    assert.is_false(ok)
    assert.matches("No such file or directory", err, 1, true)
  end)

  it("checks its arguments", function()
    local ok, err = pcall(lunet.save, path, print)
    assert.is_false(ok)
    assert.matches("lunet.save: " .. path .. ": cannot save a value of type function", err, 1,
      true)
    ok, err = pcall(lunet.save, nil, net)
    assert.is_false(ok)
    assert.matches("bad argument #1", err, 1, true)
    ok, err = pcall(lunet.load)
    assert.is_false(ok)
    assert.matches("bad argument #1", err, 1, true)
    assert.matches("empty file name", load_error(""), 1, true)
  end)

  it("refuses a closed optimizer, naming lunet.save (found by the fuzzer)", function()
    local opt = lunet.optim.Adagrad(lunet.Linear(2, 2))
    getmetatable(opt).__close(opt)
    local ok, err = pcall(lunet.save, os.tmpname(), {opt = opt})
    assert.is_false(ok)
    assert.matches("^lunet.save: Adagrad optimizer has been closed", err)
  end)

  it("refuses values nested too deep, naming lunet.save (found by the fuzzer)", function()
    local t = {}
    local c = t
    for _ = 1, 300 do c[1] = {}; c = c[1] end
    local path = os.tmpname()
    local ok, err = pcall(lunet.save, path, t)
    os.remove(path)
    assert.is_false(ok)
    assert.matches("^lunet.save: values nested more than 200 deep", err)
  end)
end)
