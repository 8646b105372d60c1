-- fashion_mnist.lua: an MLP 784-256-128-10 with batch normalization (or
-- another normalization, or none), trained with Adam (or another optimizer)
-- on Fashion-MNIST in shuffled mini-batches.
--
-- usage: lunet scripts/fashion_mnist.lua [--epochs 10] [--batch-size 128]
--          [--lr 0.001] [--optim adam] [--schedule cosine] [--norm batch]
--          [--dropout 0] [--seed 1] [--no-window] [--out out/fashion_mnist]
--          [--limit N] [--val N] [--data DIR] [--dist]
--
-- With --dist, under `mpirun -np N build/lunet scripts/fashion_mnist.lua --dist`,
-- the N processes train one network data-parallel: each its share of every
-- epoch, --batch-size / N rows a step, BatchNorm synchronized over them, the
-- gradients averaged (lunet.dist.DataParallel); only rank 1 prints, draws
-- and saves, and the epoch's loss and accuracy are reduced over the ranks.
--
-- A random --val examples of the training set are held out for validation;
-- every pixel is standardised with the mean and standard deviation it has over
-- the rest (the examples trained on), in the training, validation and test sets.
-- Per epoch: a progress bar on stderr (batches/s, running loss), then one line
-- on stdout with the loss, train, validation and test accuracy and the epoch's
-- training time. Accuracies and the loss go to a board, shown in the viewer when
-- there is a display (not with --no-window) and saved as a PNG in --out at the
-- end. Then the confusion matrix and per-class accuracy of the test set; the
-- last line is `test accuracy: 0.xxxx`.
-- Data: the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist).
local dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = dir .. "/lib/?.lua;" .. package.path
local lunet = require "lunet"
local progress = require("progress").draw

local usage = [[
usage: lunet scripts/fashion_mnist.lua [options]
  --epochs N       passes over the training set (default 10)
  --batch-size N   examples per step (default 128)
  --lr X           learning rate (default 0.001)
  --optim O        adam, adamw (weight decay 0.01), sgd (momentum 0.9),
                   rmsprop or adagrad (default adam)
  --schedule S     cosine: CosineAnnealingLR to 0 over the epochs, stepped per
                   epoch; step: StepLR, a tenth every third of the epochs;
                   onecycle: OneCycleLR up to --lr and down, stepped per batch;
                   none: constant (default cosine)
  --norm N         after each hidden Linear: batch (BatchNorm), layer
                   (LayerNorm), group (GroupNorm, 32 groups) or none (default batch)
  --no-bn          the same as --norm none
  --dropout P      Dropout(P) after each hidden ReLU, 0 for none (default 0)
  --seed N         seed of weights and shuffling (default 1)
  --no-window      do not open the viewer even when there is a display
  --out DIR        where the plot goes (default out/fashion_mnist)
  --limit N        train on the first N examples only, 0 for all (default 0)
  --val N          examples of the training set held out for validation, drawn
                   at random, 0 for none (default 5000, at most a tenth of them)
  --data DIR       the directory of the IDX files (default: the Debian package's)
  --watch          board:watch the net: every layer's histograms every 100 steps
  --dist           data-parallel over the processes of mpirun (--batch-size is
                   the global batch)]]

-- The layer after each hidden Linear of n units, by --norm.
local norms = {
  batch = function(n, sync) return lunet.BatchNorm(n, {sync = sync}) end,
  layer = function(n) return lunet.LayerNorm(n) end,
  group = function(n) return lunet.GroupNorm(32, n) end,
  none = function() return nil end,
}

-- The optimizer of --optim, with PyTorch users' usual settings.
local optims = {
  adam = function(net, lr) return lunet.optim.Adam(net, {lr = lr}) end,
  adamw = function(net, lr) return lunet.optim.AdamW(net, {lr = lr, weight_decay = 0.01}) end,
  sgd = function(net, lr) return lunet.optim.SGD(net, {lr = lr, momentum = 0.9}) end,
  rmsprop = function(net, lr) return lunet.optim.RMSprop(net, {lr = lr}) end,
  adagrad = function(net, lr) return lunet.optim.Adagrad(net, {lr = lr}) end,
}

-- The scheduler of --schedule and whether it steps per batch (else per epoch).
local sched = lunet.optim.lr_scheduler
local schedules = {
  cosine = function(opt, o) return sched.CosineAnnealingLR(opt, {T_max = o.epochs}) end,
  step = function(opt, o)
    return sched.StepLR(opt, {step_size = math.max(1, o.epochs // 3), gamma = 0.1})
  end,
  onecycle = function(opt, o, nbatch)
    return sched.OneCycleLR(opt, {max_lr = o.lr, total_steps = o.epochs * nbatch}), true
  end,
  none = function() return nil end,
}

local function parse(args)
  local o = {epochs = 10, batch_size = 128, lr = 1e-3, seed = 1, norm = "batch", window = true,
             out = "out/fashion_mnist", limit = 0, schedule = "cosine", optim = "adam",
             dropout = 0}
  local numeric = {["--epochs"] = "epochs", ["--batch-size"] = "batch_size", ["--lr"] = "lr",
                   ["--seed"] = "seed", ["--limit"] = "limit", ["--val"] = "val",
                   ["--dropout"] = "dropout"}
  local named = {["--out"] = true, ["--data"] = true, ["--schedule"] = true, ["--norm"] = true,
                 ["--optim"] = true}
  local i = 1
  while i <= #args do
    local a = args[i]
    if numeric[a] then
      local v = tonumber(args[i + 1])
      if not v then error(a .. " needs a number\n" .. usage, 0) end
      o[numeric[a]] = v
      i = i + 1
    elseif named[a] then
      if not args[i + 1] then error(a .. " needs a value\n" .. usage, 0) end
      o[a:sub(3)] = args[i + 1]
      i = i + 1
    elseif a == "--no-bn" then o.norm = "none"
    elseif a == "--no-window" then o.window = false
    elseif a == "--watch" then o.watch = true
    elseif a == "--dist" then o.dist = true
    elseif a == "--help" or a == "-h" then io.stdout:write(usage, "\n"); os.exit(0)
    else error("unknown option " .. a .. "\n" .. usage, 0) end
    i = i + 1
  end
  for _, k in ipairs{"epochs", "batch_size", "seed", "limit", "val"} do
    if o[k] and (o[k] < 0 or o[k] % 1 ~= 0) then
      error("--" .. k:gsub("_", "-") .. " must be a whole number", 0)
    end
  end
  if o.epochs < 1 or o.batch_size < 1 then error("--epochs and --batch-size must be >= 1", 0) end
  if not (o.lr > 0) then error("--lr must be > 0", 0) end
  if not schedules[o.schedule] then
    error("--schedule must be cosine, step, onecycle or none", 0)
  end
  if not norms[o.norm] then error("--norm must be batch, layer, group or none", 0) end
  if not optims[o.optim] then error("--optim must be adam, adamw, sgd, rmsprop or adagrad", 0) end
  if not (o.dropout >= 0 and o.dropout < 1) then error("--dropout must be in [0, 1)", 0) end
  return o
end

local function mlp(o)
  local layers, width = {}, 784
  for _, n in ipairs{256, 128} do
    layers[#layers + 1] = lunet.Linear(width, n)
    layers[#layers + 1] = norms[o.norm](n, o.dist)
    layers[#layers + 1] = lunet.ReLU()
    if o.dropout > 0 then layers[#layers + 1] = lunet.Dropout(o.dropout) end
    width = n
  end
  layers[#layers + 1] = lunet.Linear(width, 10)
  return lunet.Sequential(layers)
end

local classes = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                 "Sneaker", "Bag", "Ankle boot"}

-- Standardises a batch in place: every pixel with the mean and standard
-- deviation it has over the training rows (broadcast over the batch's rows).
local function normalise(bx, d)
  return bx:sub_(d.mean):div_(d.std)
end

-- The predicted class (1..10) of every row of x, in evaluation mode.
local function predict(net, x, d)
  net:evaluate()
  local parts = {}
  for bx in lunet.data.batches(x, nil, 1000, {shuffle = false}) do
    parts[#parts + 1] = net:forward(normalise(bx, d)):argmax(2)
  end
  return lunet.cat(parts)
end

-- Fraction of (x, y) classified correctly.
local function evaluate(net, x, y, d)
  return predict(net, x, d):eq(y):mean()
end

-- Holds out `val` random rows of (x, y) (bytes and labels) and takes every
-- feature's (pixel's) mean and standard deviation over the rows left for
-- training; batches are standardised with them as they are copied, so the
-- images stay bytes (a quarter of their size as floats).
local function split(x, y, val)
  local perm = lunet.randperm(#y)
  local tr = perm:narrow(1, val + 1, #y - val)
  local d = {train_x = x:index_select(1, tr), train_y = y:index_select(1, tr)}
  -- a pixel that (almost) never varies is scaled by at most 100, not divided by ~0
  d.mean, d.std = d.train_x:mean(1), d.train_x:std(1):clamp_(1e-2)
  if val > 0 then
    local va = perm:narrow(1, 1, val)  -- narrow refuses a length of 0
    d.val_x, d.val_y = x:index_select(1, va), y:index_select(1, va)
  end
  return d
end

-- The test set's confusion matrix (rows: true class, columns: predicted) with
-- every class's accuracy (its diagonal entry over its row's sum).
local function report_confusion(pred, y)
  local n = #classes
  local conf = lunet.zeros(n * n):index_add_(1, (y - 1) * n + pred, lunet.ones(#y)):view(n, n)
  local per_class = (conf * lunet.eye(n)):sum(2) / conf:sum(2)
  print("confusion matrix of the test set (rows: true class, columns: predicted class)")
  local head = {string.format("%-14s", "")}
  for c = 1, n do head[#head + 1] = string.format("%6d", c) end
  print(table.concat(head) .. "  accuracy")
  for c = 1, n do
    local row = conf[c]:totable()
    row[n + 1] = per_class[c]
    print(string.format("%2d %-11s" .. string.rep("%6d", n) .. "  %8.4f", c, classes[c],
      table.unpack(row)))
  end
end

local function main(args)
  -- A bad flag is the user's mistake, not the program's: a message and
  -- exit status 2, as the seed scripts do, rather than a traceback.
  local ok, o = pcall(parse, args)
  if not ok then
    io.stderr:write("fashion_mnist: ", tostring(o), "\n")
    os.exit(2)
  end
  lunet.manual_seed(o.seed)
  -- Under --dist rank 1 alone talks and writes; every rank computes alike.
  local dist = o.dist and lunet.dist
  local lead = not dist or dist.rank() == 1
  local ranks = dist and dist.size() or 1
  local print = lead and print or function() end
  local progress = lead and progress or function() end
  -- Bytes (55 MB with the test set, 220 MB as floats)
  local raw = lunet.data.fashion_mnist(o.data, {limit = o.limit, bytes = true})
  local val = o.val or math.min(5000, #raw.train_y // 10)
  if val >= #raw.train_y then
    io.stderr:write(string.format("fashion_mnist: --val %d leaves no training examples (%d)\n",
      val, #raw.train_y))
    os.exit(2)
  end
  local data = split(raw.train_x, raw.train_y, val)
  data.test_x, data.test_y, raw = raw.test_x, raw.test_y, nil
  collectgarbage()
  local net = mlp(o)
  if dist then net = dist.DataParallel(net) end
  local loss_fn = lunet.CrossEntropyLoss()
  local opt = optims[o.optim](net, o.lr)
  local n = #data.train_y
  local bs = math.ceil(o.batch_size / ranks)  -- rows a step on this rank
  local nbatch = math.ceil(math.ceil(n / ranks) / bs)
  local scheduler, per_batch = schedules[o.schedule](opt, o, nbatch)
  local board, win = lunet.Board(), nil
  if o.watch then board:watch(net, {run = "train", every = 100}) end
  local what = o.norm == "none" and "no normalization" or o.norm .. " norm"
  if o.dropout > 0 then what = what .. string.format(", dropout %g", o.dropout) end
  if lead and o.window and (os.getenv("DISPLAY") or os.getenv("WAYLAND_DISPLAY")) then
    local ok, w = pcall(lunet.viewer.show, board,
                        {title = "Fashion-MNIST (" .. what .. ", " .. o.optim .. ")"})
    if ok then win = w else io.stderr:write("no viewer window: ", tostring(w), "\n") end
  end

  print(string.format("Fashion-MNIST: %d training, %d validation, %d test examples; "
    .. "MLP 784-256-128-10 (%s), %s lr %g (%s), batch %d", n, val, #data.test_y,
    what, o.optim, o.lr, o.schedule, o.batch_size))
  local step, test_acc, test_pred = 0, 0, nil
  for epoch = 1, o.epochs do
    net:train()
    local start, cpu, last_draw = lunet.clock(), os.clock(), -1
    local comm, comm_cpu
    if dist then comm, comm_cpu = dist.comm_time() end
    local loss_sum, correct, done, seen = 0, 0, 0, 0
    for bx, by in lunet.data.batches(data.train_x, data.train_y, bs, {shard = o.dist}) do
      local logits = net:forward(normalise(bx, data))
      local loss = loss_fn:forward(logits, by)
      net:zero_grad()
      net:backward(bx, loss_fn:backward(logits, by), {input_grad = false})
      opt:step()
      if per_batch then scheduler:step() end
      local _, c = lunet.accuracy(logits, by)
      correct, loss_sum, seen = correct + c, loss_sum + loss * #by, seen + #by
      done, step = done + 1, step + 1
      -- x in epochs, so the loss and the accuracies share a scale
      if step % 20 == 0 then board:scalar("loss/train", epoch - 1 + done / nbatch, loss) end
      local now = lunet.clock()
      if now - last_draw > 0.1 or done == nbatch then
        local rate = done / math.max(now - start, 1e-9)
        progress(epoch, o.epochs, done, nbatch, rate, loss_sum / seen)
        last_draw = now
      end
    end
    local elapsed, ms = lunet.clock() - start, 1e3 / nbatch
    cpu = (os.clock() - cpu) * ms  -- this process's CPU time a step, for the bench
    if scheduler and not per_batch then scheduler:step() end
    local cpus = string.format("%.2f", cpu)
    if dist then  -- the epoch's sums over the ranks (the shares' padding counts too)
      local wall_now, cpu_now = dist.comm_time()
      comm, comm_cpu = (wall_now - comm) * ms, (cpu_now - comm_cpu) * ms
      local t = dist.all_reduce(lunet.tensor{loss_sum, correct, seen}, "sum")
      loss_sum, correct, seen = t:get(1), t:get(2), t:get(3)
      local each, parts = dist.all_gather(lunet.tensor{cpu, comm_cpu}), {}
      for r = 1, ranks do parts[r] = string.format("%.2f", each:get(r, 1)) end
      cpus = table.concat(parts, " ")
      for r = 1, ranks do parts[r] = string.format("%.2f", each:get(r, 2)) end
      cpus = cpus .. " (in MPI " .. table.concat(parts, " ") .. ")"
    end
    if lead then io.stderr:write("\n") end
    -- Per step: the time in MPI (waiting for the other ranks included) and
    -- every rank's CPU time, which other work on the machine moves less.
    if dist then print(string.format("communication: %.2f ms a step", comm)) end
    print("cpu ms a step: " .. cpus)
    local train_acc = correct / seen
    local val_acc = val > 0 and evaluate(net, data.val_x, data.val_y, data) or 0 / 0
    test_pred = predict(net, data.test_x, data)
    test_acc = test_pred:eq(data.test_y):mean()
    board:scalar("accuracy/train", epoch, train_acc)
    if val > 0 then board:scalar("accuracy/val", epoch, val_acc) end
    board:scalar("accuracy/test", epoch, test_acc)
    print(string.format("epoch %d/%d  loss %.4f  train acc %.4f  val acc %.4f  test acc %.4f  "
      .. "time %.3f s", epoch, o.epochs, loss_sum / seen, train_acc, val_acc, test_acc, elapsed))
  end

  if not lead then return end
  os.execute("mkdir -p '" .. o.out:gsub("'", "'\\''") .. "'")
  local png = o.out .. "/fashion_mnist" .. (o.norm == "none" and "_nobn" or "") .. ".png"
  board:save_png(png)
  io.stderr:write("plot saved to " .. png .. "\n")
  report_confusion(test_pred, data.test_y)
  print(string.format("test accuracy: %.4f", test_acc))
  io.stdout:flush()
  if win and win:is_open() then
    io.stderr:write("close the viewer window (q) to exit\n")
    win:wait()
  end
end

main({...})
