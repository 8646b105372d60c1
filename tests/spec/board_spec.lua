-- The Lua API of the board: lunet.Board, its methods and their errors.
local lunet = require "lunet"

local function tmp(ext)
  local base = os.tmpname()
  os.remove(base)
  return base .. ext
end

describe("lunet.Board", function()
  it("logs scalars and histograms and lists the tags in creation order", function()
    local b = lunet.Board()
    b:scalar("cost/no BN", 0, 3.5)
    b:histogram("BN/L1", 0, lunet.randn(10, 3))
    b:scalar("cost/BN", 0, 1)
    b:scalar("cost/no BN", 5, 2)
    local t = b:tags()
    assert.same({"cost/no BN", "cost/BN"}, t.scalars)
    assert.same({"BN/L1"}, t.histograms)
    assert.matches("2 scalar tags, 1 histogram tags", tostring(b))
  end)

  it("takes caps and rejects bad ones", function()
    assert.has_no.errors(function() lunet.Board{scalar_cap = 16, histogram_cap = 4} end)
    assert.has_error(function() lunet.Board{scalar_cap = 2} end,
      "lunet.Board: option 'scalar_cap' must be in 4..1099511627776, got 2")
    assert.has_error(function() lunet.Board{histogram_cap = "x"} end)
    assert.has_error(function() lunet.Board(5) end)
  end)

  it("keeps memory bounded: scalars thinned past the cap, newest kept", function()
    local b = lunet.Board{scalar_cap = 16}
    for i = 1, 10000 do b:scalar("c", i, i) end
    local path = tmp(".csv")
    b:save_csv(path)
    local n, last = 0, nil
    for line in io.lines(path) do n = n + 1; last = line end
    os.remove(path)
    assert.is_true(n - 1 <= 16, "kept " .. (n - 1))
    assert.equals("c,10000,10000", last)
  end)

  it("writes CSV of every series", function()
    local b = lunet.Board()
    b:scalar("cost/BN", 1, 0.25)
    b:scalar("cost/BN", 2, 0 / 0)
    local path = tmp(".csv")
    b:save_csv(path)
    local f = assert(io.open(path))
    local text = f:read("a")
    f:close()
    os.remove(path)
    assert.equals("tag,step,value\ncost/BN,1,0.25\ncost/BN,2,", text:sub(1, 40))
    assert.equals("nan\n", text:sub(41))
  end)

  it("saves a PNG of the requested size", function()
    local b = lunet.Board()
    for step = 0, 100, 50 do
      b:histogram("BN/L1", step, lunet.randn(100, 30))
      b:scalar("cost/BN", step, 1 / (step + 1))
    end
    local path = tmp(".png")
    b:save_png(path, {width = 640, height = 480, log = true, smoothing = 0.6,
                      bins = 20, time = true, axis = "panel", step = 50})
    local f = assert(io.open(path, "rb"))
    local head = f:read(24)
    f:close()
    os.remove(path)
    assert.equals("\137PNG", head:sub(1, 4))
    local w = string.unpack(">I4", head, 17)
    local h = string.unpack(">I4", head, 21)
    assert.equals(640, w)
    assert.equals(480, h)
  end)

  it("counts NaN and Inf apart without failing", function()
    local b = lunet.Board()
    local t = lunet.tensor{0 / 0, 1 / 0, -1 / 0, 1, 0}
    assert.has_no.errors(function() b:histogram("run/L1", 0, t) end)
    assert.has_no.errors(function() b:save_png(tmp(".png")) end)
  end)

  it("gives clear errors for wrong arguments", function()
    local b = lunet.Board()
    assert.has_error(function() b:histogram("x", 1, 3) end,
      "bad argument #3 to 'histogram' (lunet.Tensor expected, got number)")
    assert.has_error(function() b:scalar("x", 1) end,
      "bad argument #3 to 'scalar' (number expected, got no value)")
    assert.has_error(function() b:scalar(1, 1, 1) end,
      "bad argument #1 to 'scalar' (string expected, got number)")
    assert.has_error(function() b:scalar("", 1, 1) end,
      "bad argument #1 to 'scalar' (tag must not be empty)")
    assert.has_error(function() b:scalar("cost/", 1, 1) end,
      "bad argument #1 to 'scalar' (tag must not start or end with '/' (\"group/run\", " ..
      "\"run/layer\"))")
    assert.has_error(function() b:histogram("/L1", 1, lunet.tensor{1}) end,
      "bad argument #1 to 'histogram' (tag must not start or end with '/' (\"group/run\", " ..
      "\"run/layer\"))")
    assert.has_error(function() b.scalar(5, "x", 1, 1) end)
    -- a NaN or infinite step has no place on the x-axis
    assert.has_error(function() b:scalar("x", 0 / 0, 1) end,
      "bad argument #2 to 'scalar' (step must be a finite number)")
    assert.has_error(function() b:histogram("x", 1 / 0, lunet.tensor{1}) end,
      "bad argument #2 to 'histogram' (step must be a finite number)")
    assert.has_error(function() b:save_png("/nonexistent/dir/x.png") end,
      "Board:save_png: cannot write /nonexistent/dir/x.png: No such file or directory")
    assert.has_error(function() b:save_csv("/nonexistent/dir/x.csv") end,
      "Board:save_csv: cannot write /nonexistent/dir/x.csv: No such file or directory")
    assert.has_error(function() b:save_png(tmp(".png"), {smoothing = 1}) end,
      "Board:save_png: option 'smoothing' must be in [0, 1), got 1.0")
    assert.has_error(function() b:save_png(tmp(".png"), {axis = "row"}) end,
      "Board:save_png: option 'axis' must be \"layer\" or \"panel\", got \"row\"")
    assert.has_error(function() b:save_png(tmp(".png"), {width = 10}) end,
      "Board:save_png: option 'width' must be in 64..16384, got 10")
    assert.has_error(function() lunet.viewer.show(42) end)
  end)

  it("rejects unknown option names, naming the function and the key", function()
    local b = lunet.Board()
    assert.has_error(function() lunet.Board{scalar_cap = 16, histgram_cap = 8} end,
      "lunet.Board: unknown option 'histgram_cap' (expected scalar_cap, histogram_cap or logdir)")
    assert.has_error(function() b:histogram("r/L1", 0, lunet.randn(4), {sat = 0.5}) end,
      "Board:histogram: unknown option 'sat' (expected saturation)")
    assert.has_no.errors(function() b:histogram("r/L1", 0, lunet.randn(4), {saturation = 2}) end)
    assert.has_error(function() b:save_png(tmp(".png"), {smothing = 0.6}) end,
      "Board:save_png: unknown option 'smothing' (expected width, height, panels, log, "
      .. "smoothing, time, step, bins, axis, page, hist, xaxis or filter)")
    assert.has_error(function() b:save_png(tmp(".png"), {title = "x"}) end)
    assert.has_error(function() b:save_png(tmp(".png"), {640}) end,
      "Board:save_png: unknown option '1' (expected width, height, panels, log, "
      .. "smoothing, time, step, bins, axis, page, hist, xaxis or filter)")
    assert.has_error(function() b:save_png(tmp(".png"), {panels = "cost"}) end,
      "Board:save_png: option 'panels' must be \"all\", \"histograms\" or \"scalars\", "
      .. "got \"cost\"")
    -- show checks its options before it looks for a display
    assert.has_error(function() lunet.viewer.show(b, {titel = "x"}) end,
      "lunet.viewer.show: unknown option 'titel' (expected width, height, panels, log, "
      .. "smoothing, time, step, bins, axis, page, hist, xaxis, filter or title)")
    assert.has_error(function() lunet.viewer.show(b, {title = 3}) end,
      "lunet.viewer.show: option 'title' must be a string, got number")
    assert.has_error(function() b:axis("cost", {x = "setting"}) end,
      "Board:axis: unknown option 'x' (expected xlabel or ylabel)")
    assert.has_error(function() b:axis("cost", {xlabel = 1}) end,
      "Board:axis: option 'xlabel' must be a string, got number")
    assert.has_error(function() b:axis("cost") end,
      "bad argument #2 to 'axis' (table expected, got no value)")
  end)

  it("saves only the histograms or only the scalars, at a size that fits them", function()
    local b = lunet.Board()
    for step = 0, 100, 50 do
      for l = 1, 4 do
        b:histogram("no BN/L" .. l, step, lunet.randn(50, 5))
        b:histogram("BN/L" .. l, step, lunet.randn(50, 5))
      end
      b:scalar("cost/BN", step, 1 / (step + 1))
      b:scalar("accuracy/BN", step, step / 100)
    end
    local function size(opts, board)
      local path = tmp(".png")
      ;(board or b):save_png(path, opts)
      local f = assert(io.open(path, "rb"))
      local head = f:read(24)
      f:close()
      os.remove(path)
      local w, h = string.unpack(">I4 >I4", head, 17)
      return {w, h}
    end
    -- all: the default size; histograms: 4 columns x 2 rows; scalars: 2 panels
    assert.same({1280, 800}, size())
    assert.same({1280, 800}, size{panels = "all"})
    assert.same({732, 426}, size{panels = "histograms"})
    assert.same({1280, 426}, size{panels = "scalars"})
    assert.same({900, 426}, size{panels = "scalars", width = 900})
    -- nothing of the kind asked for: a small picture that says so
    local only = lunet.Board()
    only:scalar("c", 1, 1)
    assert.same({640, 400}, size({panels = "histograms"}, only))
  end)

  it("sets axis titles of a scalar group", function()
    local b = lunet.Board()
    b:scalar("final/BN", 1, 2)
    assert.has_no.errors(function()
      b:axis("final", {xlabel = "setting", ylabel = "log10 final cost"})
      b:axis("final", {ylabel = ""})   -- back to the group's name
      b:axis("not logged yet", {xlabel = "epoch"})
      b:save_png(tmp(".png"), {panels = "scalars"})
    end)
  end)

  it("closes once with <close> or __gc; a closed board is an error, not a crash", function()
    local kept
    do
      local b <close> = lunet.Board()
      b:scalar("c", 1, 1)
      kept = b
    end
    assert.equals("lunet.Board (closed)", tostring(kept))
    for _, f in ipairs{function() kept:scalar("c", 2, 2) end, function() kept:tags() end,
                       function() lunet.viewer.show(kept) end} do
      local ok, err = pcall(f)
      assert.is_false(ok)
      assert.matches("board has been closed", err, 1, true)
    end
    getmetatable(kept).__gc(kept)  -- idempotent
    assert.equals("lunet.Board (closed)", tostring(kept))
  end)

  -- A table argument's metamethods run Lua in the middle of a call; that Lua
  -- may close the very board or tensor the call is about to use.
  describe("with an argument whose metamethods close objects", function()
    local function closer(obj)
      return setmetatable({}, {__index = function() getmetatable(obj).__close(obj) end})
    end
    local function fails(pattern, f)
      local ok, err = pcall(f)
      assert.is_false(ok)
      assert.matches(pattern, err, 1, true)
    end

    it("histogram: closing the tensor is an error, not a crash", function()
      local b, t = lunet.Board(), lunet.randn(10)
      fails("bad argument #3 to 'histogram' (tensor has been freed)",
            function() b:histogram("a/b", 1, t, closer(t)) end)
    end)

    it("histogram: closing the board is an error, not a crash", function()
      local b = lunet.Board()
      fails("board has been closed",
            function() b:histogram("a/b", 1, lunet.randn(10), closer(b)) end)
    end)

    it("save_png: closing the board is an error, and no file is written", function()
      local path = tmp(".png")
      local b = lunet.Board()
      b:scalar("cost/a", 1, 1)
      fails("board has been closed", function() b:save_png(path, closer(b)) end)
      assert.is_nil(io.open(path))
    end)

    it("axis: closing the board is an error", function()
      local b = lunet.Board()
      fails("board has been closed", function() b:axis("cost", closer(b)) end)
    end)

    it("viewer.show: closing the board is an error, whether or not there is a display", function()
      local b = lunet.Board()
      fails("board has been closed", function() lunet.viewer.show(b, closer(b)) end)
    end)

    it("axis: labels made by __index outlive a collection in the next one", function()
      local function board(labels)
        local b = lunet.Board()
        for s = 1, 3 do b:scalar("cost/a", s, 1 / s) end
        b:axis("cost", labels)
        return b
      end
      local function png(b)
        local path = tmp(".png")
        b:save_png(path, {width = 320, height = 240, panels = "scalars"})
        local f = assert(io.open(path, "rb"))
        local bytes = f:read("a")
        f:close()
        os.remove(path)
        return bytes
      end
      local made = setmetatable({}, {__index = function(_, k)
        collectgarbage()
        return (k == "xlabel" and "epoch" or "value") .. string.rep("-", 40)
      end})
      local plain = {xlabel = "epoch" .. string.rep("-", 40),
                     ylabel = "value" .. string.rep("-", 40)}
      assert.is_true(png(board(plain)) == png(board(made)))
    end)

    it("every function refuses an argument too many, naming itself", function()
      local b = lunet.Board()
      local t = lunet.randn(4)
      fails("lunet.Board: unexpected argument #2", function() lunet.Board({}, 1) end)
      fails("Board:scalar: unexpected argument #5", function() b:scalar("c", 1, 1, 2) end)
      fails("Board:histogram: unexpected argument #6",
            function() b:histogram("h", 1, t, {}, 2) end)
      fails("Board:axis: unexpected argument #4", function() b:axis("c", {}, 2) end)
      fails("Board:tags: unexpected argument #2", function() b:tags(2) end)
      fails("Board:save_png: unexpected argument #4",
            function() b:save_png(tmp(".png"), {}, 2) end)
      fails("Board:save_csv: unexpected argument #4",
            function() b:save_csv(tmp(".csv"), {}, 2) end)
      fails("Board:save_json: unexpected argument #3", function() b:save_json(tmp(".json"), 2) end)
      fails("lunet.viewer.show: unexpected argument #3",
            function() lunet.viewer.show(b, {}, 2) end)
    end)

    it("a method called with . names the fix", function()
      local b = lunet.Board()
      fails("board expected, got number; call it as board:scalar(...)",
            function() b.scalar(5, "x", 1, 1) end)
      fails("board expected, got string; call it as board:tags(...)", function() b.tags("x") end)
    end)
  end)
  it("draws a board that does not fit a page at a time (page =)", function()
    local b = lunet.Board()
    for l = 1, 40 do b:histogram("r/l" .. l, 1, lunet.randn(10)) end
    local a, c = tmp(".png"), tmp(".png")
    b:save_png(a, {width = 640, height = 400})
    b:save_png(c, {width = 640, height = 400, page = 3})
    local fa, fc = io.open(a, "rb"), io.open(c, "rb")
    assert.are_not.equal(fa:read("a"), fc:read("a"))
    fa:close(); fc:close()
    assert.has_error(function() b:save_png(tmp(".png"), {page = 0}) end,
      "Board:save_png: option 'page' must be in 1..1048576, got 0")
  end)
end)

describe("run logs: Board{logdir =}, Board.open", function()
  local root
  setup(function()
    root = os.tmpname()
    os.remove(root)
    assert(os.execute("mkdir -p '" .. root .. "'"))
  end)
  teardown(function() os.execute("rm -rf '" .. root .. "'") end)
  local function dir(name) return root .. "/" .. name end
  local function bytes(path)
    local f = assert(io.open(path, "rb"))
    local s = f:read("a")
    f:close()
    return s
  end
  local function png(b, opts)
    local path = tmp(".png")
    b:save_png(path, opts)
    local s = bytes(path)
    os.remove(path)
    return s
  end
  local function fails(pattern, f, ...)
    local ok, err = pcall(f, ...)
    assert.is_false(ok)
    assert.matches(pattern, err, 1, true)
  end
  local function log_run(b, steps)
    lunet.manual_seed(3)
    for s = 1, steps do
      b:scalar("cost/BN", s, 1 / s)
      b:scalar("cost/no BN", s, s == 40 and 0 / 0 or 2 / s)
      if s % 5 == 0 then
        b:histogram("BN/L1", s, lunet.randn(300))
        b:histogram("no BN/L1", s, lunet.rand(300):mul(s))
      end
    end
  end

  it("reopens a finished run as the same board: tags and pictures, thinning included",
     function()
    local b = lunet.Board{logdir = dir("fin"), scalar_cap = 32, histogram_cap = 6}
    b:axis("cost", {xlabel = "epoch", ylabel = "loss"})
    log_run(b, 200)
    b:axis("cost", {ylabel = ""})
    local views = {{}, {time = true}, {panels = "scalars", log = true, smoothing = 0.9},
                   {step = 50, bins = 12}}
    local want = {}
    for i, v in ipairs(views) do want[i] = png(b, v) end
    local tags = b:tags()
    b:close()
    local c = lunet.Board.open(dir("fin"))
    assert.same(tags, c:tags())
    for i, v in ipairs(views) do assert.is_true(want[i] == png(c, v), "view " .. i) end
  end)

  it("opens a live run as it is now, and more of it later", function()
    local b = lunet.Board{logdir = dir("live")}
    log_run(b, 20)
    b:flush()
    local now = lunet.Board.open(dir("live"))
    assert.is_true(png(b) == png(now))
    log_run(b, 60)   -- steps 1..60 again, after the first 20
    b:flush()
    local later = lunet.Board.open(dir("live"))
    assert.is_false(png(now) == png(later))
    assert.is_true(png(b) == png(later))
    -- a reopened board takes writes in memory only: the log stays as it was
    local size = #bytes(dir("live") .. "/run.lunetlog")
    later:scalar("cost/BN", 1000, 1)
    later:close()
    b:close()
    assert.equals(size, #bytes(dir("live") .. "/run.lunetlog"))
  end)

  it("compares several runs, each named after its directory", function()
    for _, name in ipairs{"bn", "plain"} do
      local b <close> = lunet.Board{logdir = dir("cmp/" .. name)}
      b:scalar("cost/BN", 1, 1)
      b:scalar("cost", 1, 2)
      b:histogram("BN/L1", 1, lunet.randn(10))
      b:histogram("L2", 1, lunet.randn(10))
    end
    local t = lunet.Board.open(dir("cmp/bn"), dir("cmp/plain")):tags()
    assert.same({"cost/bn:BN", "cost/bn", "cost/plain:BN", "cost/plain"}, t.scalars)
    assert.same({"bn:BN/L1", "bn/L2", "plain:BN/L1", "plain/L2"}, t.histograms)
    assert.same({"cost/BN", "cost"}, lunet.Board.open(dir("cmp/bn")):tags().scalars)
  end)

  it("ignores a torn tail: a partial record at the end", function()
    local b = lunet.Board{logdir = dir("torn")}
    log_run(b, 30)
    b:close()
    local path = dir("torn") .. "/run.lunetlog"
    local whole = bytes(path)
    local want = png(lunet.Board.open(dir("torn")))
    local f = assert(io.open(path, "ab"))
    f:write(whole:sub(37, 60))   -- the start of a record, no more
    f:close()
    assert.is_true(want == png(lunet.Board.open(dir("torn"))))
    f = assert(io.open(path, "wb"))
    f:write(whole:sub(1, #whole - 5))   -- the last record cut short
    f:close()
    local cut = lunet.Board.open(dir("torn"))
    assert.same(lunet.Board.open(dir("torn")):tags(), cut:tags())
  end)

  it("refuses what it cannot do, with clear messages", function()
    local b = lunet.Board{logdir = dir("taken")}
    b:close()
    fails("lunet.Board: " .. dir("taken") .. " already holds a run log (run.lunetlog)",
          lunet.Board, {logdir = dir("taken")})
    fails("lunet.Board: option 'logdir' must be a string, got number", lunet.Board,
          {logdir = 5})
    fails("lunet.Board: logdir must not be empty", lunet.Board, {logdir = ""})
    local file = tmp(".txt")
    assert(io.open(file, "w")):close()
    fails("is not a directory", lunet.Board, {logdir = file})
    fails("lunet.Board.open: " .. dir("nope") .. ": no such directory", lunet.Board.open,
          dir("nope"))
    assert(os.execute("mkdir -p '" .. dir("empty") .. "'"))
    fails("lunet.Board.open: " .. dir("empty") .. " holds no run log (no run.lunetlog in it)",
          lunet.Board.open, dir("empty"))
    local f = assert(io.open(dir("empty") .. "/run.lunetlog", "wb"))
    f:write("tag,step,value\ncost,1,2\n")
    f:close()
    fails("run.lunetlog is not a lunet run log", lunet.Board.open, dir("empty"))
    fails("lunet.Board.open: " .. file .. " is not a directory", lunet.Board.open, file)
    fails("lunet.Board.open: argument #1 must be a directory (a string), got no value",
          lunet.Board.open)
    fails("lunet.Board.open: argument #2 must be a directory (a string), got table",
          lunet.Board.open, dir("taken"), {})
    os.remove(file)
  end)

  it("flush and close: idempotent close, errors after it, <close> closes the log", function()
    local b = lunet.Board{logdir = dir("closing")}
    b:scalar("cost/a", 1, 1)
    b:flush()
    b:close()
    b:close()
    assert.equals("lunet.Board (closed)", tostring(b))
    fails("board has been closed", b.flush, b)
    fails("Board:close: unexpected argument #2", lunet.Board().close, lunet.Board(), 1)
    fails("board expected, got number; call it as board:close(...)", b.close, 5)
    lunet.Board():flush()   -- no log: nothing to do
    do
      local c <close> = lunet.Board{logdir = dir("closing2")}
      c:scalar("cost/a", 1, 1)
    end
    assert.same({"cost/a"}, lunet.Board.open(dir("closing2")):tags().scalars)
  end)
end)
