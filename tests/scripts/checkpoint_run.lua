-- checkpoint_run.lua: one leg of the training run of tests/spec/checkpoint_spec.lua,
-- a BN MLP 784-64-BN-ReLU-10 on the first 3000 Fashion-MNIST training images in
-- shuffled batches of 100 (30 steps an epoch).
--
-- usage: lunet checkpoint_run.lua OPTIM N OUT [--save-at K CKPT] [--resume CKPT]
--
-- Trains with OPTIM ("SGD": momentum 0.9; "Adam"; "OneCycle": Adam under
-- OneCycleLR stepped every batch, with Dropout(0.2) after the ReLU) up to
-- step N and saves {net = net, opt = opt} to OUT; --save-at writes the
-- checkpoint of step K on the way; --resume starts from a checkpoint
-- instead of step 0.
--
-- A checkpoint may fall inside an epoch. The order of an epoch's batches is
-- drawn from lunet's generator when lunet.data.batches is called, so the
-- checkpoint keeps the generator's state at that call (rng) and the number
-- of the epoch's batches already trained (batch): resuming restores that
-- state, calls batches again (the same order) and skips those batches.
-- Dropout draws from the same generator as the epoch runs, so the
-- checkpoint also keeps its state at the stop (rng_now), restored once the
-- batches are skipped. A scheduler is saved as its state_dict; made again
-- on the loaded optimizer it would reset the lr (and Adam's beta1), so the
-- optimizer's state is put back after it.
local lunet = require "lunet"

local optim, n, out = arg[1], tonumber(arg[2]), arg[3]
local save_at, ckpt_path, resume
local i = 4
while arg[i] do
  if arg[i] == "--save-at" then save_at, ckpt_path, i = tonumber(arg[i + 1]), arg[i + 2], i + 3
  elseif arg[i] == "--resume" then resume, i = arg[i + 1], i + 2
  else error("checkpoint_run: unknown argument " .. arg[i], 0) end
end

local function one_cycle(o)
  return lunet.optim.lr_scheduler.OneCycleLR(o, {max_lr = 0.01, total_steps = n})
end

local d = lunet.data.fashion_mnist({limit = 3000, test_limit = 1})
local net, opt, sched, step, skip, rng_now
if resume then
  local c = lunet.load(resume)
  net, opt, step, skip, rng_now = c.net, c.opt, c.step, c.batch, c.rng_now
  if c.sched then
    local kept = opt:state_dict()
    sched = one_cycle(opt)
    opt:load_state_dict(kept)
    sched:load_state_dict(c.sched)
  end
  lunet.set_rng_state(c.rng)
else
  lunet.manual_seed(7)
  net = lunet.Sequential(lunet.Linear(784, 64), lunet.BatchNorm(64), lunet.ReLU(),
                         lunet.Linear(64, 10))
  if optim == "OneCycle" then net:insert(lunet.Dropout(0.2), 4) end
  if optim == "SGD" then opt = lunet.optim.SGD(net, {lr = 0.05, momentum = 0.9})
  else opt = lunet.optim.Adam(net, {lr = 1e-3}) end
  if optim == "OneCycle" then sched = one_cycle(opt) end
  step, skip = 0, 0
end

local loss_fn = lunet.CrossEntropyLoss()
net:train()
while step < n do
  local rng = lunet.get_rng_state()
  local batch = 0
  for bx, by in lunet.data.batches(d.train_x, d.train_y, 100, {drop_last = true}) do
    batch = batch + 1
    if batch > skip then
      if rng_now then lunet.set_rng_state(rng_now); rng_now = nil end
      local logits = net:forward(bx)
      loss_fn:forward(logits, by)
      opt:zero_grad()
      net:backward(bx, loss_fn:backward(logits, by))
      opt:step()
      if sched then sched:step() end
      step = step + 1
      if step == save_at then
        lunet.save(ckpt_path, {net = net, opt = opt, rng = rng, batch = batch, step = step,
                               rng_now = lunet.get_rng_state(),
                               sched = sched and sched:state_dict()})
      end
      if step == n then break end
    end
  end
  skip = 0
end
lunet.save(out, {net = net, opt = opt})
