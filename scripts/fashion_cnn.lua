-- fashion_cnn.lua: the reference convolutional net on Fashion-MNIST,
--   conv3x3(1->32, pad 1)-BN-ReLU-maxpool2, conv3x3(32->64, pad 1)-BN-ReLU-maxpool2,
--   Flatten, Linear(3136->128)-BN-ReLU-Dropout(0.25), Linear(128->10),
-- trained with Adam (lr 1e-3) and cross-entropy in shuffled mini-batches.
--
-- usage: lunet scripts/fashion_cnn.lua [--epochs 5] [--batch 128] [--threads N]
--          [--norm bn|none] [--lr 0.001] [--schedule cosine|none] [--seed 1]
--          [--no-window] [--out out/fashion_cnn]
--          [--save PATH] [--limit N] [--data DIR] [--dist]
--
-- --dist: data-parallel under mpirun, as fashion_mnist.lua's (--batch is the
-- global batch, BatchNorm synchronized, rank 1 alone prints, draws and saves).
--
-- Per epoch: a progress bar on stderr, then one line on stdout with the loss,
-- train and test accuracy and the epoch's training time. The board holds the
-- cost and accuracy curves and, each epoch, a histogram of every layer's
-- output on a fixed batch; it is shown in the viewer when there is a display
-- (not with --no-window) and saved as a PNG in --out. The test accuracy is
-- measured in evaluation mode (BatchNorm's running statistics, no dropout);
-- the last line is `test accuracy: 0.xxxx`. --save writes the trained net
-- with lunet.save.
local dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = dir .. "/lib/?.lua;" .. package.path
local lunet = require "lunet"
local progress = require("progress").draw

local usage = [[
usage: lunet scripts/fashion_cnn.lua [options]
  --epochs N       passes over the training set (default 5)
  --batch N        examples per step (default 128; --batch-size too)
  --threads N      threads for the products (default: lunet's)
  --norm S         bn: batch normalization after each conv and the hidden Linear;
                   none: without (default bn)
  --lr X           Adam learning rate (default 0.001)
  --schedule S     cosine: the lr annealed to 0 over the epochs (PyTorch's
                   CosineAnnealingLR, stepped per epoch); none: constant
  --seed N         seed of weights, dropout and shuffling (default 1)
  --no-window      do not open the viewer even when there is a display
  --out DIR        where the plot goes (default out/fashion_cnn)
  --save PATH      save the trained net there (lunet.save)
  --limit N        train on the first N examples only, 0 for all (default 0)
  --data DIR       the directory of the IDX files (default: the Debian package's)
  --dist           data-parallel over the processes of mpirun]]

local function parse(args)
  local o = {epochs = 5, batch = 128, lr = 1e-3, seed = 1, norm = "bn", window = true,
             out = "out/fashion_cnn", limit = 0, threads = 0, schedule = "cosine"}
  local numeric = {["--epochs"] = "epochs", ["--batch"] = "batch", ["--batch-size"] = "batch",
                   ["--lr"] = "lr", ["--seed"] = "seed", ["--limit"] = "limit",
                   ["--threads"] = "threads"}
  local i = 1
  while i <= #args do
    local a = args[i]
    if numeric[a] then
      local v = tonumber(args[i + 1])
      if not v then error(a .. " needs a number\n" .. usage, 0) end
      o[numeric[a]] = v
      i = i + 1
    elseif a == "--out" or a == "--data" or a == "--save" or a == "--norm" or
           a == "--schedule" then
      if not args[i + 1] then error(a .. " needs a value\n" .. usage, 0) end
      o[a:sub(3)] = args[i + 1]
      i = i + 1
    elseif a == "--no-window" then o.window = false
    elseif a == "--dist" then o.dist = true
    elseif a == "--help" or a == "-h" then io.stdout:write(usage, "\n"); os.exit(0)
    else error("unknown option " .. a .. "\n" .. usage, 0) end
    i = i + 1
  end
  for _, k in ipairs{"epochs", "batch", "seed", "limit", "threads"} do
    if o[k] < 0 or o[k] % 1 ~= 0 then error("--" .. k .. " must be a whole number", 0) end
  end
  if o.epochs < 1 or o.batch < 2 then error("--epochs must be >= 1 and --batch >= 2", 0) end
  if not (o.lr > 0) then error("--lr must be > 0", 0) end
  if o.norm ~= "bn" and o.norm ~= "none" then error("--norm must be bn or none", 0) end
  if o.schedule ~= "cosine" and o.schedule ~= "none" then
    error("--schedule must be cosine or none", 0)
  end
  return o
end

-- The reference net, each layer named for the board.
local function reference_net(bn, sync)
  local layers, names = {}, {}
  local function add(name, m) layers[#layers + 1], names[#layers + 1] = m, name end
  local width = 1
  for i, c in ipairs{32, 64} do
    add("conv" .. i, lunet.Conv2d(width, c, 3, {padding = 1}))
    if bn then add("bn" .. i, lunet.BatchNorm(c, {sync = sync})) end
    add("relu" .. i, lunet.ReLU())
    add("pool" .. i, lunet.MaxPool2d(2))
    width = c
  end
  add("flatten", lunet.Flatten())
  add("fc1", lunet.Linear(64 * 7 * 7, 128))
  if bn then add("bn3", lunet.BatchNorm(128, {sync = sync})) end
  add("relu3", lunet.ReLU())
  add("dropout", lunet.Dropout(0.25))
  add("fc2", lunet.Linear(128, 10))
  return lunet.Sequential(layers), names
end

local function images(bx) return bx:view(bx:size(1), 1, 28, 28) end

-- Fraction of (x, y) classified correctly, in evaluation mode.
local function evaluate(net, x, y)
  net:evaluate()
  local correct = 0
  for bx, by in lunet.data.batches(x, y, 500, {shuffle = false}) do
    local _, c = lunet.accuracy(net:forward(images(bx)), by)
    correct = correct + c
  end
  return correct / #y
end

-- Each layer's output on a fixed batch, as histograms "cnn/<layer>".
local function histograms(board, net, names, x, step)
  net:evaluate()
  net:forward(x)
  for i, m in ipairs(net.modules) do board:histogram("cnn/" .. names[i], step, m.output) end
end

local function main(args)
  local ok, o = pcall(parse, args)
  if not ok then
    io.stderr:write("fashion_cnn: ", tostring(o), "\n")
    os.exit(2)
  end
  if o.threads > 0 then lunet.set_num_threads(o.threads) end
  lunet.manual_seed(o.seed)
  local dist = o.dist and lunet.dist  -- rank 1 alone talks and writes
  local lead, ranks = not dist or dist.rank() == 1, dist and dist.size() or 1
  local print = lead and print or function() end
  local progress = lead and progress or function() end
  local data = lunet.data.fashion_mnist(o.data, {bytes = true, limit = o.limit})
  local net, names = reference_net(o.norm == "bn", o.dist)
  local model = dist and dist.DataParallel(net) or net  -- trains net
  local loss_fn = lunet.CrossEntropyLoss()
  local opt = lunet.optim.Adam(model, {lr = o.lr})
  -- cosine annealing over the epochs, stepped once per epoch, as PyTorch's
  local sched = o.schedule == "cosine" and
    lunet.optim.lr_scheduler.CosineAnnealingLR(opt, {T_max = o.epochs}) or nil
  local board, win = lunet.Board(), nil
  board:axis("loss", {xlabel = "epoch"})
  board:axis("accuracy", {xlabel = "epoch"})
  if lead and o.window and (os.getenv("DISPLAY") or os.getenv("WAYLAND_DISPLAY")) then
    local okw, w = pcall(lunet.viewer.show, board, {title = "Fashion-MNIST CNN"})
    if okw then win = w else io.stderr:write("no viewer window: ", tostring(w), "\n") end
  end
  local probe
  for bx in lunet.data.batches(data.test_x, data.test_y, 256, {shuffle = false}) do
    probe = images(bx):clone()
    break
  end

  local n = #data.train_y
  local bs = math.ceil(o.batch / ranks)  -- rows a step on this rank
  local nbatch = math.ceil(math.ceil(n / ranks) / bs)
  print(string.format("Fashion-MNIST: %d training, %d test examples; CNN %s, Adam lr %g, "
    .. "batch %d, %d threads", n, #data.test_y, o.norm == "bn" and "with BN" or "without BN",
    o.lr, o.batch, lunet.get_num_threads()))
  print(net)
  histograms(board, net, names, probe, 0)
  local step, test_acc, total_time = 0, 0, 0
  for epoch = 1, o.epochs do
    net:train()
    local start, last_draw = lunet.clock(), -1
    local loss_sum, correct, done, seen = 0, 0, 0, 0
    for bx, by in lunet.data.batches(data.train_x, data.train_y, bs, {shard = o.dist}) do
      if #by >= 2 then  -- BatchNorm refuses a training batch of one
        local x = images(bx)
        local logits = model:forward(x)
        local loss = loss_fn:forward(logits, by)
        model:zero_grad()
        model:backward(x, loss_fn:backward(logits, by), {input_grad = false})
        opt:step()
        local _, c = lunet.accuracy(logits, by)
        correct, loss_sum, seen = correct + c, loss_sum + loss * #by, seen + #by
        step = step + 1
        if step % 20 == 0 then board:scalar("loss/train", epoch - 1 + done / nbatch, loss) end
      end
      done = done + 1
      local now = lunet.clock()
      if now - last_draw > 0.2 or done == nbatch then
        progress(epoch, o.epochs, done, nbatch, done / math.max(now - start, 1e-9),
                 loss_sum / math.max(seen, 1))
        last_draw = now
      end
    end
    local elapsed = lunet.clock() - start
    total_time = total_time + elapsed
    if dist then  -- the epoch's sums over the ranks
      local t = dist.all_reduce(lunet.tensor{loss_sum, correct, seen}, "sum")
      loss_sum, correct, seen = t:get(1), t:get(2), t:get(3)
    end
    if lead then io.stderr:write("\n") end
    local train_acc = correct / math.max(seen, 1)
    test_acc = evaluate(net, data.test_x, data.test_y)
    board:scalar("accuracy/train", epoch, train_acc)
    board:scalar("accuracy/test", epoch, test_acc)
    histograms(board, net, names, probe, epoch)
    if sched then sched:step() end
    print(string.format("epoch %d/%d  loss %.4f  train acc %.4f  test acc %.4f  time %.2f s",
      epoch, o.epochs, loss_sum / math.max(seen, 1), train_acc, test_acc, elapsed))
  end
  print(string.format("training time: %.2f s per epoch", total_time / o.epochs))

  if not lead then return end
  os.execute("mkdir -p '" .. o.out:gsub("'", "'\\''") .. "'")
  local png = o.out .. "/fashion_cnn.png"
  board:save_png(png)
  io.stderr:write("plot saved to " .. png .. "\n")
  if o.save then
    lunet.save(o.save, net)
    io.stderr:write("net saved to " .. o.save .. "\n")
  end
  print(string.format("test accuracy: %.4f", test_acc))
  io.stdout:flush()
  if win and win:is_open() then
    io.stderr:write("close the viewer window (q) to exit\n")
    win:wait()
  end
end

main({...})
