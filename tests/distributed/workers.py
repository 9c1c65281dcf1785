"""Programs that pytest runs under ``mpiexec -n 2`` (see test_distributed.py); each case is a
function ``case_<name>(out_dir)``, chosen by the first argument."""

import os
import sys

import numpy as np

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.nn.parallel import DistributedDataParallel as DDP

STEPS, BATCH, FEATURES, CLASSES = 20, 16, 20, 5


def data():
    """The same inputs, targets and per-step batch indices on every rank (and in the test)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, FEATURES)).astype(np.float32)
    y = rng.integers(0, CLASSES, size=128)
    batches = [rng.choice(128, BATCH, replace=False) for _ in range(STEPS)]
    return x, y, batches


def build(kind: str, seed: int, hidden: int = 32):
    cr.manual_seed(seed)
    if kind == "bn":
        return cr.nn.Sequential(
            cr.nn.Linear(FEATURES, hidden),
            cr.nn.BatchNorm1d(hidden),
            cr.nn.ReLU(),
            cr.nn.Linear(hidden, CLASSES),
        )
    return cr.nn.Sequential(
        cr.nn.Linear(FEATURES, hidden), cr.nn.Tanh(), cr.nn.Linear(hidden, hidden), cr.nn.Tanh(),
        cr.nn.Linear(hidden, CLASSES),
    )  # fmt: skip


def optimizer(name: str, params):
    return (
        cr.optim.Adam(params, lr=1e-2)
        if name == "adam"
        else cr.optim.SGD(params, lr=0.1, momentum=0.9)
    )


def train(kind, opt_name, out_path, accumulate=False, sync_bn=False, **ddp_options):
    """20 steps on this rank's half of each batch; rank 0 saves the final state."""
    rank, world = cr.distributed.rank(), cr.distributed.world_size()
    model = build(kind, seed=rank)
    if sync_bn:
        model = cr.nn.parallel.SyncBatchNorm.convert_sync_batchnorm(model)
    model = DDP(model, bucket_cap_mb=0.002, **ddp_options)  # several buckets
    opt = optimizer(opt_name, model.parameters())
    x, y, batches = data()
    per = BATCH // world
    for idx in batches:
        mine = idx[rank * per : (rank + 1) * per]
        opt.zero_grad()
        if accumulate:  # two micro-batches: the first without communication
            a, b = mine[: per // 2], mine[per // 2 :]
            with model.no_sync():
                (F.cross_entropy(model(cr.tensor(x[a])), cr.tensor(y[a])) / 2).backward()
            (F.cross_entropy(model(cr.tensor(x[b])), cr.tensor(y[b])) / 2).backward()
        else:
            F.cross_entropy(model(cr.tensor(x[mine])), cr.tensor(y[mine])).backward()
        opt.step()
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    everyone = cr.distributed.all_gather_object(state)
    if rank == 0:
        params = [
            k for k, _ in model.module.named_parameters()
        ]  # buffers: each rank's last forward
        same = all(np.array_equal(everyone[0][k], e[k]) for e in everyone for k in params)
        sync = model.last_sync
        n_started = sync["started_during_backward"]
        np.savez(
            out_path,
            replicas_identical=same,
            buckets=sync["buckets"],
            early=n_started,
            arrived=sync["gradients_arrived_at_each_start"],
            **state,
        )


def case_equivalence(out_dir):
    train("mlp", "sgd", os.path.join(out_dir, "mlp_sgd.npz"))
    train("mlp", "adam", os.path.join(out_dir, "mlp_adam.npz"))
    train("bn", "sgd", os.path.join(out_dir, "bn_sgd.npz"))
    train("bn", "sgd", os.path.join(out_dir, "bn_sync_sgd.npz"), sync_bn=True)
    train("mlp", "sgd", os.path.join(out_dir, "mlp_sgd_no_overlap.npz"), overlap=False)
    train("mlp", "sgd", os.path.join(out_dir, "mlp_sgd_accumulate.npz"), accumulate=True)
    # collectives
    r = cr.distributed.rank()
    t = cr.tensor([1.0, 2.0]) * (r + 1)
    s = cr.distributed.all_reduce(t.clone()).numpy()
    m = cr.distributed.all_reduce(t.clone(), op="mean").numpy()
    b = cr.distributed.broadcast(cr.tensor([float(r), 7.0 * r]), src=1).numpy()
    g = [a.numpy() for a in cr.distributed.all_gather(cr.arange(r + 1))]
    # a model whose shapes differ on rank 1: every rank must raise, naming the difference
    try:
        DDP(build("mlp", 0, hidden=32 if r == 0 else 33))
        mismatch = "no error"
    except ValueError as e:
        mismatch = str(e)
    if r == 0:
        np.savez(os.path.join(out_dir, "collectives.npz"), sum=s, mean=m, bcast=b, g0=g[0], g1=g[1])
        with open(os.path.join(out_dir, "mismatch.txt"), "w") as f:
            f.write(mismatch)


def case_fault(out_dir):
    """Rank 1 raises; rank 0 waits in a collective that would never complete."""
    if cr.distributed.rank() == 1:
        raise RuntimeError("boom: a deliberate failure")
    cr.distributed.barrier()


if __name__ == "__main__":
    cr.distributed.init()
    globals()[f"case_{sys.argv[1]}"](sys.argv[2])
