-- The README's tour is run as written, so the README cannot drift from the API.
describe("README", function()
  it("runs the tour", function()
    local f = assert(io.open("README.md"))
    local text = f:read("a")
    f:close()
    local tour = text:match("## A tour\n\n```lua\n(.-)\n```")
    assert.is_truthy(tour, "README has a '## A tour' section with a lua block")
    local lines = {}
    local real_print = print
    _G.print = function(...)
      local parts = table.pack(...)
      for i = 1, parts.n do parts[i] = tostring(parts[i]) end
      lines[#lines + 1] = table.concat(parts, "\t", 1, parts.n)
    end
    local ok, err = pcall(assert(load(tour, "=README tour")))
    _G.print = real_print
    assert.is_true(ok, err)
    local out = table.concat(lines, "\n")
    assert.matches("Sequential%(", out)
    assert.matches("cost [%d.]+ %-> [%d.]+", out)
    assert.matches("%[lunet.Tensor of size 2x1%]", out)
    -- the numbers the tour's comment gives are those it prints
    local a, b = tour:match("%-%- (%-?[%d.]+) and (%-?[%d.]+) %(")
    assert.is_truthy(a, "the tour's comment gives the two outputs")
    local ya, yb = out:match("\n%s*(%-?[%d.]+)\n%s*(%-?[%d.]+)\n%[lunet.Tensor of size 2x1%]")
    assert.is_truthy(ya, out)
    assert.is_true(math.abs(ya - a) < 0.05 and math.abs(yb - b) < 0.05,
      ("the tour prints %s and %s, its comment says %s and %s"):format(ya, yb, a, b))
  end)
end)
