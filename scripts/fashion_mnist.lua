-- fashion_mnist.lua: an MLP 784-256-128-10 with batch normalization, trained
-- with Adam on Fashion-MNIST in shuffled mini-batches.
--
-- usage: lunet scripts/fashion_mnist.lua [--epochs 10] [--batch-size 128]
--          [--lr 0.001] [--seed 1] [--no-bn] [--no-window] [--out out/fashion_mnist]
--          [--limit N] [--data DIR]
--
-- Per epoch: a progress bar on stderr (batches/s, running loss), then one line
-- on stdout with the loss, train and test accuracy and the epoch's training
-- time. Accuracies and the loss go to a board, shown in the viewer when there
-- is a display (not with --no-window) and saved as a PNG in --out at the end.
-- The last line is `test accuracy: 0.xxxx`.
-- Data: the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist).
local lunet = require "lunet"

local usage = [[
usage: lunet scripts/fashion_mnist.lua [options]
  --epochs N       passes over the training set (default 10)
  --batch-size N   examples per step (default 128)
  --lr X           Adam learning rate (default 0.001)
  --schedule S     cosine: anneal the rate to 0 over the epochs, per epoch (as
                   PyTorch's CosineAnnealingLR); none: constant (default cosine)
  --seed N         seed of weights and shuffling (default 1)
  --no-bn          leave out batch normalization
  --no-window      do not open the viewer even when there is a display
  --out DIR        where the plot goes (default out/fashion_mnist)
  --limit N        train on the first N examples only, 0 for all (default 0)
  --data DIR       the directory of the IDX files (default: the Debian package's)]]

local function parse(args)
  local o = {epochs = 10, batch_size = 128, lr = 1e-3, seed = 1, bn = true, window = true,
             out = "out/fashion_mnist", limit = 0, schedule = "cosine"}
  local numeric = {["--epochs"] = "epochs", ["--batch-size"] = "batch_size", ["--lr"] = "lr",
                   ["--seed"] = "seed", ["--limit"] = "limit"}
  local i = 1
  while i <= #args do
    local a = args[i]
    if numeric[a] then
      local v = tonumber(args[i + 1])
      if not v then error(a .. " needs a number\n" .. usage, 0) end
      o[numeric[a]] = v
      i = i + 1
    elseif a == "--out" or a == "--data" or a == "--schedule" then
      if not args[i + 1] then error(a .. " needs a value\n" .. usage, 0) end
      o[a:sub(3)] = args[i + 1]
      i = i + 1
    elseif a == "--no-bn" then o.bn = false
    elseif a == "--no-window" then o.window = false
    elseif a == "--help" or a == "-h" then io.stdout:write(usage, "\n"); os.exit(0)
    else error("unknown option " .. a .. "\n" .. usage, 0) end
    i = i + 1
  end
  for _, k in ipairs{"epochs", "batch_size", "seed", "limit"} do
    if o[k] < 0 or o[k] % 1 ~= 0 then
      error("--" .. k:gsub("_", "-") .. " must be a whole number", 0)
    end
  end
  if o.epochs < 1 or o.batch_size < 1 then error("--epochs and --batch-size must be >= 1", 0) end
  if not (o.lr > 0) then error("--lr must be > 0", 0) end
  if o.schedule ~= "cosine" and o.schedule ~= "none" then
    error("--schedule must be cosine or none", 0)
  end
  return o
end

local function mlp(bn)
  local layers, width = {}, 784
  for _, n in ipairs{256, 128} do
    layers[#layers + 1] = lunet.Linear(width, n)
    if bn then layers[#layers + 1] = lunet.BatchNorm(n) end
    layers[#layers + 1] = lunet.ReLU()
    width = n
  end
  layers[#layers + 1] = lunet.Linear(width, 10)
  return lunet.Sequential(layers)
end

-- One line redrawn with \r at most 10 times a second.
local function progress(epoch, epochs, done, total, rate, loss)
  local w = 30
  local fill = math.floor(w * done / total)
  io.stderr:write(string.format("\repoch %d/%d [%s%s] %d/%d  %.0f batch/s  loss %.4f",
    epoch, epochs, string.rep("=", fill), string.rep(" ", w - fill), done, total, rate, loss))
  io.stderr:flush()
end

-- Fraction of (x, y) classified correctly, in evaluation mode.
local function evaluate(net, x, y)
  net:evaluate()
  local correct = 0
  for bx, by in lunet.data.batches(x, y, 1000, {shuffle = false}) do
    local _, c = lunet.accuracy(net:forward(bx), by)
    correct = correct + c
  end
  return correct / #y
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
  -- Images stay bytes and are converted per batch (as torchvision's ToTensor),
  -- which keeps the whole run small: 55 MB of data instead of 220 MB of floats.
  local data = lunet.data.fashion_mnist(o.data, {bytes = true, limit = o.limit})
  local net = mlp(o.bn)
  local loss_fn = lunet.CrossEntropyLoss()
  local opt = lunet.optim.Adam(net, {lr = o.lr})
  local board, win = lunet.Board(), nil
  if o.window and (os.getenv("DISPLAY") or os.getenv("WAYLAND_DISPLAY")) then
    local ok, w = pcall(lunet.viewer.show, board,
                        {title = "Fashion-MNIST" .. (o.bn and "" or " (no BN)")})
    if ok then win = w else io.stderr:write("no viewer window: ", tostring(w), "\n") end
  end

  local n = #data.train_y
  local nbatch = math.ceil(n / o.batch_size)
  print(string.format("Fashion-MNIST: %d training, %d test examples; MLP 784-256-128-10 %s, "
    .. "Adam lr %g (%s), batch %d", n, #data.test_y, o.bn and "with BN" or "without BN", o.lr,
    o.schedule, o.batch_size))
  local step, test_acc = 0, 0
  for epoch = 1, o.epochs do
    if o.schedule == "cosine" then
      opt.lr = o.lr * (1 + math.cos(math.pi * (epoch - 1) / o.epochs)) / 2
    end
    net:train()
    local start, last_draw = lunet.clock(), -1
    local loss_sum, correct, done, seen = 0, 0, 0, 0
    for bx, by in lunet.data.batches(data.train_x, data.train_y, o.batch_size) do
      local logits = net:forward(bx)
      local loss = loss_fn:forward(logits, by)
      net:zero_grad()
      net:backward(bx, loss_fn:backward(logits, by), {input_grad = false})
      opt:step()
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
    local elapsed = lunet.clock() - start
    io.stderr:write("\n")
    local train_acc = correct / n
    test_acc = evaluate(net, data.test_x, data.test_y)
    board:scalar("accuracy/train", epoch, train_acc)
    board:scalar("accuracy/test", epoch, test_acc)
    print(string.format("epoch %d/%d  loss %.4f  train acc %.4f  test acc %.4f  time %.2f s",
      epoch, o.epochs, loss_sum / n, train_acc, test_acc, elapsed))
  end

  os.execute("mkdir -p '" .. o.out:gsub("'", "'\\''") .. "'")
  local png = o.out .. "/fashion_mnist" .. (o.bn and "" or "_nobn") .. ".png"
  board:save_png(png)
  io.stderr:write("plot saved to " .. png .. "\n")
  print(string.format("test accuracy: %.4f", test_acc))
  io.stdout:flush()
  if win and win:is_open() then
    io.stderr:write("close the viewer window (q) to exit\n")
    win:wait()
  end
end

main({...})
