-- data_spec.lua: lunet.data (IDX files, batches, Fashion-MNIST) and lunet.accuracy.
local lunet = require "lunet"

local tmp = os.tmpname()
os.remove(tmp)
assert(os.execute("mkdir -p " .. tmp))
local function path(name) return tmp .. "/" .. name end

local function write(name, bytes)
  local f = assert(io.open(path(name), "wb"))
  f:write(bytes)
  f:close()
  return path(name)
end

-- An IDX file: magic (0, 0, type, ndim), big-endian dims, big-endian values.
local formats = {[0x08] = "B", [0x09] = "b", [0x0B] = ">i2", [0x0C] = ">i4",
                 [0x0D] = ">f", [0x0E] = ">d"}
local function idx_bytes(type, dims, values)
  local parts = {string.pack("BBBB", 0, 0, type, #dims)}
  for _, d in ipairs(dims) do parts[#parts + 1] = string.pack(">I4", d) end
  for _, v in ipairs(values) do parts[#parts + 1] = string.pack(formats[type], v) end
  return table.concat(parts)
end

local function gzip(file)
  assert(os.execute("gzip -kf '" .. file .. "'"))
  return file .. ".gz"
end

local function err_of(f, ...)
  local ok, e = pcall(f, ...)
  assert.is_false(ok)
  return tostring(e)
end

teardown(function() os.execute("rm -rf '" .. tmp .. "'") end)

describe("lunet.data.idx", function()
  local values = {0, 1, 2, 127, 128, 255}

  it("reads a plain u8 file with its shape", function()
    local t = lunet.data.idx(write("a.idx", idx_bytes(0x08, {2, 3}, values)))
    assert.same({2, 3}, t:size())
    assert.same({{0, 1, 2}, {127, 128, 255}}, t:totable())
  end)

  it("reads the gzip-compressed file identically", function()
    local f = write("b.idx", idx_bytes(0x08, {3, 1, 2}, values))
    local t = lunet.data.idx(gzip(f))
    assert.same({3, 1, 2}, t:size())
    assert.same(lunet.data.idx(f):totable(), t:totable())
  end)

  it("converts every IDX value type, negative ones included", function()
    local cases = {[0x09] = {-128, -1, 0, 127}, [0x0B] = {-32768, -2, 300, 32767},
                   [0x0C] = {-100000, -1, 7, 16777216}, [0x0D] = {-1.5, 0.25, 3, 1e6},
                   [0x0E] = {-2.5, 0.125, 1e10, 0}}
    for type, v in pairs(cases) do
      local t = lunet.data.idx(write("t.idx", idx_bytes(type, {4}, v)))
      local got = t:totable()
      for i = 1, 4 do assert.near(v[i], got[i], math.abs(v[i]) * 1e-6) end
    end
  end)

  it("reads only the first rows with limit", function()
    local t = lunet.data.idx(write("c.idx", idx_bytes(0x08, {3, 2}, values)), {limit = 2})
    assert.same({{0, 1}, {2, 127}}, t:totable())
  end)

  it("keeps u8 values as bytes on request", function()
    local b = lunet.data.idx(write("d.idx", idx_bytes(0x08, {2, 3}, values)), {bytes = true})
    assert.equal(2, #b)
    assert.same({2, 3}, b:size())
    assert.equal(6, b:numel())
    assert.same({{0, 1, 2}, {127, 128, 255}}, b:float():totable())
    assert.equal(b.float, getmetatable(b).__methods.float)  -- the REPL completes it
    local e = err_of(lunet.data.idx, write("e.idx", idx_bytes(0x0D, {1}, {1})), {bytes = true})
    assert.matches("only u8 files can be kept as bytes", e, 1, true)
  end)

  it("selects rows of bytes, repeats allowed, without touching the source", function()
    local b = lunet.data.idx(write("s1.idx", idx_bytes(0x08, {2, 3}, values)), {bytes = true})
    local s = b:index_select(1, lunet.tensor{2, 1, 2})
    assert.same({3, 3}, s:size())
    assert.same({{127, 128, 255}, {0, 1, 2}, {127, 128, 255}}, s:float():totable())
    assert.same({{0, 1, 2}, {127, 128, 255}}, b:float():totable())
    local c = lunet.data.idx(write("s2.idx", idx_bytes(0x08, {3, 1, 2}, {1, 2, 3, 4, 5, 6})),
                             {bytes = true})
    assert.same({{{5, 6}}, {{1, 2}}}, c:index_select(1, lunet.tensor{3, 1}):float():totable())
    -- a strided index: every other element of 3, 9, 1, 9
    local idx = lunet.tensor{3, 9, 1, 9}:view(2, 2):select(2, 1)
    assert.same({{{5, 6}}, {{1, 2}}}, c:index_select(1, idx):float():totable())
  end)

  it("refuses bad index_select arguments, naming Bytes:index_select", function()
    local b = lunet.data.idx(write("s3.idx", idx_bytes(0x08, {2, 3}, values)), {bytes = true})
    local function e(...) return err_of(b.index_select, b, ...) end
    local i = lunet.tensor{1}
    assert.matches("Bytes:index_select: index 1.5 is not an integer", e(1, lunet.tensor{1.5}),
                   1, true)
    assert.matches("Bytes:index_select: index 3 out of range (1..2) in dimension 1",
                   e(1, lunet.tensor{1, 3}), 1, true)
    assert.matches("Bytes:index_select: index 0 out of range", e(1, lunet.tensor{0}), 1, true)
    assert.matches("Bytes:index_select: the index must be a 1-D tensor, got 2-D",
                   e(1, lunet.tensor{{1}}), 1, true)
    assert.matches("Bytes:index_select: only dimension 1 (the rows) is supported, got 2",
                   e(2, i), 1, true)
    assert.matches("Bytes:index_select: unexpected argument #4", e(1, i, 1), 1, true)
    assert.matches("lunet.Tensor expected, got table", e(1, {1}), 1, true)
    getmetatable(b).__close(b)
    assert.matches("bytes have been freed", e(1, i), 1, true)
  end)

  it("takes the mean and standard deviation of every column in double", function()
    local b = lunet.data.idx(write("s4.idx", idx_bytes(0x08, {2, 3}, values)), {bytes = true})
    assert.same({63.5, 64.5, 128.5}, b:mean(1):totable())
    local s, r = b:std(1):totable(), math.sqrt(2)
    for j, want in ipairs{127 / r, 127 / r, 253 / r} do assert.near(want, s[j], 1e-4) end
    local f = b:float()
    assert.is_true((f:std(1) - b:std(1)):abs():max() < 1e-4)
    local c = lunet.data.idx(write("s5.idx", idx_bytes(0x08, {3, 1, 2}, {1, 2, 3, 4, 5, 7})),
                             {bytes = true})
    local m = c:mean(1)
    assert.same({1, 2}, m:size())
    assert.equal(3, m[1][1])
    assert.near(13 / 3, m[1][2], 1e-6)
    assert.same({1, 2}, c:std(1):size())
    local d = lunet.data.idx(write("s6.idx", idx_bytes(0x08, {4}, {1, 2, 3, 6})), {bytes = true})
    assert.equal(3, d:mean(1))
    assert.near(math.sqrt(14 / 3), d:std(1), 1e-12)
    local one = b:index_select(1, lunet.tensor{1}):std(1):totable()
    assert.is_true(one[1] ~= one[1], "one row: NaN, as Tensor:std")
    assert.matches("Bytes:mean: only dimension 1 (the rows) is supported, got 2",
                   err_of(b.mean, b, 2), 1, true)
    assert.matches("Bytes:std: unexpected argument #3", err_of(b.std, b, 1, {}), 1, true)
    assert.matches("number expected", err_of(b.mean, b), 1, true)
  end)

  it("rejects missing, truncated and foreign files with clear errors", function()
    local good = idx_bytes(0x08, {2, 3}, values)
    assert.matches("nothere.idx: cannot open: No such file",
                   err_of(lunet.data.idx, path("nothere.idx")), 1, true)
    assert.matches("truncated: the header declares 2x3 u8 values (6 bytes of data), "
                   .. "the file has 4",
                   err_of(lunet.data.idx, write("f.idx", good:sub(1, -3))), 1, true)
    assert.matches("truncated IDX header",
                   err_of(lunet.data.idx, write("g.idx", good:sub(1, 6))), 1, true)
    assert.matches("empty file", err_of(lunet.data.idx, write("h.idx", "")), 1, true)
    -- a gzip stream cut in the middle
    local big = idx_bytes(0x08, {100, 100}, {})
    local rnd = {}
    for i = 1, 10000 do rnd[i] = string.char((i * 7919) % 251) end
    local gz = io.open(gzip(write("i.idx", big .. table.concat(rnd))), "rb"):read("a")
    for _, cut in ipairs{#gz // 2, #gz - 3} do  -- in the data; in the CRC trailer
      assert.matches("j.idx.gz: truncated: the gzip stream ends early",
                     err_of(lunet.data.idx, write("j.idx.gz", gz:sub(1, cut))), 1, true)
    end
    -- foreign files
    assert.matches("not an IDX file (magic bytes 89 50 4e 47",
                   err_of(lunet.data.idx, write("k.png", "\x89PNG\r\n\x1a\n....")), 1, true)
    assert.matches("not an IDX file",
                   err_of(lunet.data.idx, write("l.idx", "\0\0\x07\1\0\0\0\1x")), 1, true)
    assert.matches("has 9 dimensions; lunet supports 1 to 8",
                   err_of(lunet.data.idx, write("m.idx", idx_bytes(0x08, {1, 1, 1, 1, 1, 1, 1, 1,
                                                                        1}, {7}))), 1, true)
    assert.matches("dimension 2 is 0",
                   err_of(lunet.data.idx, write("n.idx", idx_bytes(0x08, {2, 0}, {}))), 1, true)
    assert.matches("data continues after the 6 values",
                   err_of(lunet.data.idx, write("o.idx", good .. "xx")), 1, true)
    local huge = idx_bytes(0x08, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {})
    assert.matches("too many values (size overflow",
                   err_of(lunet.data.idx, write("p.idx", huge)), 1, true)
    assert.matches("lunet.data.idx: ", err_of(lunet.data.idx, path("nothere.idx")), 1, true)
    assert.matches("unknown option 'limt'",
                   err_of(lunet.data.idx, write("q.idx", good), {limt = 1}), 1, true)
  end)
end)

describe("lunet.data.batches", function()
  it("converts its options before it reads x and y, and takes strided x", function()
    local x = lunet.tensor{{1, 2}, {3, 4}, {5, 6}}
    local evil = setmetatable({}, {__index = function()
      getmetatable(x).__close(x)
    end})
    assert.matches("tensor or lunet.data.Bytes %(not freed%)",
                   err_of(lunet.data.batches, x, nil, 2, evil))
    local base = lunet.tensor{{1, 2, 3}, {4, 5, 6}}
    local seen = {}
    for bx in lunet.data.batches(base:t(), nil, 3, {shuffle = false}) do
      seen[#seen + 1] = bx:totable()
    end
    assert.same({{{1, 4}, {2, 5}, {3, 6}}}, seen)
    assert.matches("lunet.data.batches: unexpected argument #5",
                   err_of(lunet.data.batches, base, nil, 1, {}, 1), 1, true)
  end)

  -- Row i of x holds i and 10 + i; y holds i: a batch shows which rows it took.
  local n = 10
  local rows, labels = {}, {}
  for i = 1, n do rows[i], labels[i] = {i, 10 + i}, i end
  local x, y = lunet.tensor(rows), lunet.tensor(labels)

  local function order(seed, bs, opts)
    if seed then lunet.manual_seed(seed) end
    local seen, sizes = {}, {}
    for bx, by in lunet.data.batches(x, y, bs, opts) do
      sizes[#sizes + 1] = #bx
      for i = 1, #bx do
        assert.equal(bx:get(i, 1), by:get(i))
        assert.equal(10 + bx:get(i, 1), bx:get(i, 2))
        seen[#seen + 1] = by:get(i)
      end
    end
    return seen, sizes
  end

  it("covers every row exactly once per epoch, the last batch partial", function()
    local seen, sizes = order(1, 4)
    assert.same({4, 4, 2}, sizes)
    table.sort(seen)
    assert.same(labels, seen)
  end)

  it("shuffles in an order the seed determines", function()
    local a, b, c = order(7, 3), order(7, 3), order(8, 3)
    assert.same(a, b)
    assert.are_not.same(a, c)
    assert.are_not.same(labels, a)
    local d = order(7, 3)
    local e = order(nil, 3)  -- the generator moved on: the next epoch differs
    assert.are_not.same(d, e)
  end)

  it("keeps the order without shuffle and drops a partial batch on request", function()
    assert.same(labels, (order(1, 3, {shuffle = false})))
    local seen, sizes = order(1, 3, {drop_last = true})
    assert.same({3, 3, 3}, sizes)
    assert.equal(9, #seen)
    local _, one = order(1, 25)
    assert.same({10}, one)
    assert.same({}, select(2, order(1, 25, {drop_last = true})))
  end)

  it("reuses its buffers from batch to batch, allocating nothing per batch", function()
    local first
    for bx in lunet.data.batches(x, nil, 2) do
      first = first or bx
      assert.is_true(rawequal(first, bx))
    end
    -- 200 batches: a new tensor per batch would add ~200 userdata (> 10 kB).
    local big, labels2 = lunet.zeros(2000, 3), lunet.zeros(2000)
    local it = lunet.data.batches(big, labels2, 10)
    collectgarbage("collect")
    collectgarbage("stop")
    local before = collectgarbage("count")
    for _ in it do end
    local grown = (collectgarbage("count") - before) * 1024
    collectgarbage("restart")
    assert.is_true(grown < 1024, grown .. " bytes allocated over 200 batches")
  end)

  it("takes bytes, converting rows to floats", function()
    local b = lunet.data.idx(write("r.idx", idx_bytes(0x08, {3, 2}, {1, 2, 3, 4, 5, 6})),
                             {bytes = true})
    local got = {}
    for bx in lunet.data.batches(b, nil, 3, {shuffle = false}) do got = bx:totable() end
    assert.same({{1, 2}, {3, 4}, {5, 6}}, got)
  end)

  it("copies a large batch of bytes split across 2 threads, the same as on 1", function()
    local v = {}
    for i = 1, 600 * 300 do v[i] = (i * 7919) % 256 end
    local b = lunet.data.idx(write("big.idx", idx_bytes(0x08, {600, 300}, v)), {bytes = true})
    local f, ok = b:float(), true
    local function epoch(threads, shuffle)
      lunet.set_num_threads(threads)
      lunet.manual_seed(3)
      local got = {}
      for bx in lunet.data.batches(b, nil, 500, {shuffle = shuffle}) do
        got[#got + 1] = bx:clone()
      end
      lunet.set_num_threads(1)
      return got
    end
    local plain = epoch(2, false)  -- 150,000 elements a batch: split
    ok = ok and plain[1]:equal(f:narrow(1, 1, 500)) and plain[2]:equal(f:narrow(1, 501, 100))
    local one, two = epoch(1, true), epoch(2, true)
    for i = 1, 2 do ok = ok and one[i]:equal(two[i]) end
    assert.is_true(ok)
  end)

  it("rejects bad arguments clearly", function()
    assert.matches("x has 10 rows but y has 3",
                   err_of(lunet.data.batches, x, lunet.tensor{1, 2, 3}, 2), 1, true)
    assert.matches("batch size must be >= 1", err_of(lunet.data.batches, x, y, 0), 1, true)
    assert.matches("tensor or lunet.data.Bytes", err_of(lunet.data.batches, {}, y, 2), 1, true)
    assert.matches("unknown option 'shufle'",
                   err_of(lunet.data.batches, x, y, 2, {shufle = false}), 1, true)
    assert.matches("option 'shuffle' must be a boolean",
                   err_of(lunet.data.batches, x, y, 2, {shuffle = 1}), 1, true)
  end)
end)

describe("lunet.accuracy", function()
  it("compares the argmax of logits, or predictions, with 1-based labels", function()
    local logits = lunet.tensor{{0.1, 2, 0}, {5, 1, 1}, {0, 0, 3}, {1, 0, 0}}
    local acc, correct = lunet.accuracy(logits, lunet.tensor{2, 1, 3, 3})
    assert.equal(0.75, acc)
    assert.equal(3, correct)
    assert.equal(0.5, (lunet.accuracy(lunet.tensor{1, 2}, lunet.tensor{1, 1})))
    assert.matches("4 rows but 2 labels",
                   err_of(lunet.accuracy, logits, lunet.tensor{1, 2}), 1, true)
    assert.matches("lunet.accuracy: unexpected argument #3",
                   err_of(lunet.accuracy, logits, lunet.tensor{2, 1, 3, 3}, 1), 1, true)
  end)

  it("refuses labels that are not classes of the logits, as CrossEntropyLoss does", function()
    local logits = lunet.zeros(2, 3)
    for _, case in ipairs{{5, "label 5 at row 2"}, {0, "label 0 at row 2"},
                          {1.5, "label 1.5 at row 2"}, {0 / 0, "label nan at row 2"}} do
      assert.matches("lunet.accuracy: " .. case[2] .. " is not a class in 1..3",
                     err_of(lunet.accuracy, logits, lunet.tensor{1, case[1]}), 1, true)
    end
  end)

  it("counts a row holding a NaN as wrong, never as class 1", function()
    local nan = 0 / 0
    local logits = lunet.tensor{{nan, nan, nan}, {nan, 1, 2}, {0, 3, 1}}
    local acc, correct = lunet.accuracy(logits, lunet.tensor{1, 1, 2})
    assert.equal(1, correct)  -- only the last row predicts (class 2)
    assert.near(1 / 3, acc, 1e-12)
  end)

  it("compares predicted classes exactly past 2^24", function()
    -- 2^24 + 1 is not a float32: as a float label it reads 2^24; the
    -- prediction of column 2^24 + 1 is exact (a double), so they differ.
    local n = (1 << 24) + 1
    local row = lunet.zeros(1, n)
    row:set(1, n, 1)
    local _, correct = lunet.accuracy(row, lunet.tensor{n})
    assert.equal(0, correct)
    row:set(1, n, 0)
    row:set(1, n - 1, 1)  -- column 2^24: the float label 2^24 matches
    _, correct = lunet.accuracy(row, lunet.tensor{n - 1})
    assert.equal(1, correct)
  end)

  it("takes strided logits and labels", function()
    local logits = lunet.tensor{{0, 5}, {3, 1}}:t()  -- rows {0, 3}, {5, 1}: classes 2, 1
    assert.equal(1, (lunet.accuracy(logits, lunet.tensor{{2, 0}, {1, 0}}:select(2, 1))))
  end)
end)

describe("lunet.data.fashion_mnist", function()
  local dir = "/usr/share/datasets/fashion-mnist"
  local f = io.open(dir .. "/train-images-idx3-ubyte.gz", "rb")
  local installed = f ~= nil
  if f then f:close() end

  it("tells how to install the data set when it is absent", function()
    local e = err_of(lunet.data.fashion_mnist, path("no-such-dir"))
    assert.matches("apt-get install dataset-fashion-mnist", e, 1, true)
  end)

  it("trains a few hundred real examples to better than chance", function()
    if not installed then
      pending("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
      return
    end
    lunet.manual_seed(1)
    local d = lunet.data.fashion_mnist{limit = 500, test_limit = 500}
    assert.same({500, 784}, d.train_x:size())
    assert.same({500}, d.test_y:size())
    assert.is_true(d.train_x:min() >= 0 and d.train_x:max() <= 1)
    assert.equal(1, d.train_y:min())
    assert.equal(10, d.train_y:max())
    local net = lunet.Sequential{lunet.Linear(784, 64), lunet.BatchNorm(64), lunet.ReLU(),
                                 lunet.Linear(64, 10)}
    local loss_fn, opt = lunet.CrossEntropyLoss(), lunet.optim.Adam(net, {lr = 1e-2})
    for _ = 1, 5 do
      net:train()
      for bx, by in lunet.data.batches(d.train_x, d.train_y, 50) do
        local logits = net:forward(bx)
        loss_fn:forward(logits, by)
        net:zero_grad()
        net:backward(bx, loss_fn:backward(logits, by))
        opt:step()
      end
    end
    net:evaluate()
    local acc = lunet.accuracy(net:forward(d.test_x), d.test_y)
    assert.is_true(acc > 0.5, "test accuracy " .. acc .. " after 5 epochs on 500 examples")
  end)

  -- Runs `script args` with the executable; returns its stdout and whether
  -- it exited 0, or nothing (the test pending) without the data or $LUNET.
  local function run_script(script, args)
    local exe = os.getenv("LUNET")
    if not installed or not exe then
      pending("needs the data set and $LUNET (the executable; tests/run.sh sets it)")
      return
    end
    local p = assert(io.popen(string.format("'%s' scripts/%s %s 2>/dev/null", exe, script, args)))
    local out = p:read("a")
    return out, p:close()
  end

  -- The script ran `epochs` epochs, wrote a PNG and ended with a test
  -- accuracy above 0.3.
  local function check_run(out, ok, epochs, png_path)
    assert.is_true(ok, out)
    assert.equal(epochs, select(2, out:gsub("\nepoch %d/" .. epochs .. "  loss [%d.]+", "")))
    local last = out:match("([^\n]*)\n$")
    assert.matches("^test accuracy: 0%.%d%d%d%d$", last)
    assert.is_true(tonumber(last:match("0%.%d+")) > 0.3, last)
    local png = io.open(png_path, "rb")
    assert.truthy(png, "no PNG written")
    assert.equal("\x89PNG", png:read(4))
    png:close()
  end

  it("runs scripts/fashion_mnist.lua, ending with the test accuracy and a plot", function()
    local out, ok = run_script("fashion_mnist.lua",
      "--epochs 2 --limit 300 --no-window --out '" .. path("out") .. "'")
    if not out then return end
    check_run(out, ok, 2, path("out/fashion_mnist.png"))
    assert.matches("\nepoch 1/2  loss [%d.]+  train acc [%d.]+", out)
  end)

  it("runs scripts/fashion_mnist.lua with every --norm, --optim and --schedule", function()
    for _, flags in ipairs{
      "--norm layer --optim sgd --lr 0.05 --schedule onecycle --dropout 0.2",
      "--norm group --optim adamw --schedule step",
      "--norm none --optim rmsprop --schedule none",
      "--optim adagrad --dropout 0.5",
    } do
      local out, ok = run_script("fashion_mnist.lua", "--epochs 2 --limit 300 --no-window "
        .. "--out '" .. path("lab") .. "' " .. flags)
      if not out then return end
      local png = flags:find("--norm none") and "fashion_mnist_nobn" or "fashion_mnist"
      check_run(out, ok, 2, path("lab/" .. png .. ".png"))
      local o = flags:match("--optim (%a+)")
      assert.matches(", " .. o .. " lr [%d.]+ %(", out, 1)
    end
  end)

  it("runs scripts/fashion_cnn.lua on a few hundred examples, ending with the test accuracy",
     function()
    local out, ok = run_script("fashion_cnn.lua",
      "--epochs 2 --limit 256 --no-window --out '" .. path("cnn") .. "'")
    if not out then return end
    check_run(out, ok, 2, path("cnn/fashion_cnn.png"))
    local p = assert(io.popen(string.format("'%s' scripts/fashion_cnn.lua --schedule x 2>&1",
      os.getenv("LUNET"))))
    out = p:read("a")
    local _, _, code = p:close()
    assert.equal(2, code, out)
    assert.matches("--schedule must be cosine or none", out, 1, true)
  end)

  it("refuses a bad flag of scripts/fashion_mnist.lua with a message and status 2", function()
    local exe = os.getenv("LUNET")
    if not exe then
      pending("needs $LUNET (the executable; tests/run.sh sets it)")
      return
    end
    for _, flag in ipairs{"--bogus", "--schedule foo", "--epochs 0", "--lr -1", "--norm foo",
                          "--optim foo", "--dropout 1", "--dropout -0.1", "--norm"} do
      local p = assert(io.popen(string.format("'%s' scripts/fashion_mnist.lua %s 2>&1", exe,
        flag)))
      local out = p:read("a")
      local _, _, code = p:close()
      assert.equal(2, code, flag .. ": " .. out)
      assert.matches("^fashion_mnist: ", out)
      assert.not_matches("traceback", out)
    end
  end)
end)
