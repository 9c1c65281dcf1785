"""Data-parallel training over MPI, checked by running 2-rank jobs under ``mpiexec``.

The ranks run workers.py; each 2-rank result is compared with one process doing the same
training at the full batch (computed here, in the test process). Skipped where mpi4py or
mpiexec is missing (``pip install chainrule[dist]`` brings both).
"""

import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.data import DistributedSampler

from . import workers

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def _mpiexec():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        pytest.skip("mpi4py is not installed (pip install chainrule[dist])")
    found = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which("mpiexec")
    if found is None:
        pytest.skip("no mpiexec on PATH or beside the Python executable")
    return found


def run_mpi(args, n=2, timeout=60):
    """``mpiexec -n n`` the given command line; returns (completed process, seconds)."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": ROOT}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    cmd = [_mpiexec(), "--allow-run-as-root", "--oversubscribe", "-n", str(n), *args]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
    return proc, time.perf_counter() - t0


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    proc, _ = run_mpi([sys.executable, os.path.join(HERE, "workers.py"), "equivalence", str(out)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def reference(kind, opt_name, per_rank_batchnorm=False):
    """One process, full batch of 16, 20 steps, from rank 0's initial weights.

    With BatchNorm each rank normalises its own half with its own batch statistics (as in
    PyTorch's DDP), so the reference does the same: it runs the model on each half separately
    and averages the two half-batch losses, which averages their gradients exactly as the
    ranks' Allreduce does. The running statistics the ranks end with are rank 0's (DDP copies
    rank 0's buffers to all ranks at each forward), so the reference keeps the update from
    the first half only: it restores the buffers after the second half's forward.
    """
    model = workers.build(kind, seed=0)
    opt = workers.optimizer(opt_name, model.parameters())
    x, y, batches = workers.data()
    for idx in batches:
        opt.zero_grad()
        if per_rank_batchnorm:
            halves = np.split(idx, 2)
            loss = F.cross_entropy(model(cr.tensor(x[halves[0]])), cr.tensor(y[halves[0]]))
            kept = [b.numpy().copy() for b in model.buffers()]
            loss = loss + F.cross_entropy(model(cr.tensor(x[halves[1]])), cr.tensor(y[halves[1]]))
            for b, k in zip(model.buffers(), kept):
                b.data[...] = k
            (loss / 2).backward()
        else:
            F.cross_entropy(model(cr.tensor(x[idx])), cr.tensor(y[idx])).backward()
        opt.step()
    return {k: v.numpy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize(
    "case, kind, opt_name",
    [
        ("mlp_sgd", "mlp", "sgd"),
        ("mlp_adam", "mlp", "adam"),
        ("bn_sgd", "bn", "sgd"),
        # SyncBatchNorm: the whole batch's statistics. (Not with Adam: the bias before a batch
        # norm has a gradient of 0 up to rounding, which Adam scales up to steps of size lr.)
        ("bn_sync_sgd", "bn", "sgd"),
        ("mlp_sgd_no_overlap", "mlp", "sgd"),
        ("mlp_sgd_accumulate", "mlp", "sgd"),  # no_sync on the first of two micro-batches
    ],
)
def test_two_ranks_match_one_process_at_the_full_batch(results, case, kind, opt_name):
    got = np.load(results / f"{case}.npz")
    assert got["replicas_identical"], "the ranks' final weights differ"
    want = reference(kind, opt_name, per_rank_batchnorm=case == "bn_sgd")
    assert set(want) <= set(got.files)
    for name, w in want.items():
        np.testing.assert_allclose(got[name], w, atol=1e-5, rtol=0, err_msg=name)
    # and the 20 steps did move the weights away from the start
    start = workers.build(kind, seed=0).state_dict()
    assert max(np.abs(got[k] - start[k].numpy()).max() for k in want) > 1e-2


def test_buckets_start_during_backward_unless_overlap_is_off(results):
    # bucket_cap_mb=0.002 (2 KiB) splits the small MLP (weights 32x20, 32x32, 5x32) into two
    # buckets: [last two layers] and [first layer]. With overlap both start inside the backward
    # walk, the first while the first layer's backward is still to run.
    got = np.load(results / "mlp_sgd.npz")
    assert got["buckets"] == 2
    assert got["early"] == got["buckets"]
    # the last two layers' 4 tensors had arrived when the first bucket started: the first
    # layer's 2 gradients were still to be computed while it travelled
    assert got["arrived"].tolist() == [4, 6]
    assert np.load(results / "mlp_sgd_no_overlap.npz")["early"] == 0


def test_sync_batchnorm_statistics_are_the_whole_batch(results):
    # the running statistics too: every rank saw the global mean and variance
    got = np.load(results / "bn_sync_sgd.npz")
    want = reference("bn", "sgd")
    for name in ("1.running_mean", "1.running_var", "1.num_batches_tracked"):
        np.testing.assert_allclose(got[name], want[name], atol=1e-5, rtol=0, err_msg=name)
    assert not np.allclose(want["1.running_mean"], 0, atol=1e-3)


def test_collectives(results):
    got = np.load(results / "collectives.npz")
    np.testing.assert_array_equal(got["sum"], [3.0, 6.0])  # ranks hold [1, 2] and [2, 4]
    np.testing.assert_array_equal(got["mean"], [1.5, 3.0])
    np.testing.assert_array_equal(got["bcast"], [1.0, 7.0])  # rank 1's values
    np.testing.assert_array_equal(got["g0"], [0])
    np.testing.assert_array_equal(got["g1"], [0, 1])


def test_differing_models_are_named_at_wrap_time(results):
    msg = (results / "mismatch.txt").read_text()
    assert "rank 1" in msg and "'0.weight'" in msg and "(32, 20)" in msg and "(33, 20)" in msg


def test_a_failing_rank_ends_the_job_quickly_naming_it(tmp_path):
    proc, seconds = run_mpi(
        [sys.executable, os.path.join(HERE, "workers.py"), "fault", str(tmp_path)], timeout=30
    )
    assert proc.returncode != 0
    assert "rank 1: RuntimeError: boom: a deliberate failure" in proc.stderr
    assert seconds < 10, f"the job took {seconds:.1f} s to end"


def test_collective_before_init_is_a_clear_error():
    if cr.distributed.is_initialized():
        pytest.skip("MPI already initialized in this process")
    with pytest.raises(RuntimeError, match=r"all_reduce: MPI is not initialized; call .*init\(\)"):
        cr.distributed.all_reduce(cr.tensor([1.0]))
    with pytest.raises(RuntimeError, match="not initialized"):
        cr.nn.parallel.DistributedDataParallel(cr.nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="not initialized"):
        DistributedSampler(list(range(4)))


@pytest.mark.parametrize(
    "n, replicas, drop_last", [(100, 2, False), (100, 3, True), (10, 4, False)]
)
def test_distributed_sampler_shards_cover_the_dataset(n, replicas, drop_last):
    for epoch in range(3):
        shards = []
        for r in range(replicas):
            s = DistributedSampler(
                range(n), num_replicas=replicas, rank=r, seed=5, drop_last=drop_last
            )
            s.set_epoch(epoch)
            shards.append(list(s))
            assert len(shards[-1]) == len(s)
        flat = np.concatenate(shards)
        if n % replicas == 0 or drop_last:  # each sample exactly once (drop_last: at most once)
            assert len(set(flat.tolist())) == len(flat)
            assert len(flat) == (n // replicas) * replicas
        else:  # padded: every sample at least once, only the padding repeated
            assert set(flat.tolist()) == set(range(n))
            assert len(flat) == -(-n // replicas) * replicas
        # the same order as one permutation seeded by seed + epoch, dealt round-robin
        order = np.random.default_rng(5 + epoch).permutation(n)
        assert shards[0][: len(shards[0]) // 2] == order[::replicas][: len(shards[0]) // 2].tolist()
    first = list(DistributedSampler(range(n), num_replicas=replicas, rank=0, seed=5))
    s = DistributedSampler(range(n), num_replicas=replicas, rank=0, seed=5)
    s.set_epoch(1)
    assert list(s) != first  # reshuffled each epoch


def test_distributed_sampler_rejects_bad_rank():
    with pytest.raises(ValueError, match=r"rank must be in 0..1, got 2"):
        DistributedSampler(range(4), num_replicas=2, rank=2)


@pytest.mark.slow
def test_cli_two_ranks_reach_the_single_process_accuracy(tmp_path):
    args = ["-m", "chainrule", "train", "mlp", "--epochs", "5", "--quiet"]
    one = subprocess.run(
        [sys.executable, *args, "--out", str(tmp_path / "one")],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )  # fmt: skip
    assert one.returncode == 0, one.stderr[-2000:]
    two, _ = run_mpi([sys.executable, *args, "--out", str(tmp_path / "two")], timeout=300)
    assert two.returncode == 0, two.stderr[-3000:]
    assert two.stdout.count("test accuracy") == 1  # rank 0 alone reports
    acc = [float(p.stdout.split("test accuracy ")[1].split()[0]) for p in (one, two)]
    assert abs(acc[0] - acc[1]) <= 0.005, acc
    metrics = cr.train.read_metrics(tmp_path / "two")
    assert [m["epoch"] for m in metrics] == [1, 2, 3, 4, 5]
    # resume works the same: two more epochs on 2 ranks continue the run
    resume = ["-m", "chainrule", "train", "--epochs", "6", "--quiet", "--resume"]
    more, _ = run_mpi([sys.executable, *resume, str(tmp_path / "two")], timeout=300)
    assert more.returncode == 0, more.stderr[-3000:]
    assert [m["epoch"] for m in cr.train.read_metrics(tmp_path / "two")] == [1, 2, 3, 4, 5, 6]
    # ... on the same trajectory as one process resumed the same way (SyncBatchNorm and the
    # shared shuffle make the 2-rank run the 1-process run, up to float rounding)
    resume = [
        "-m",
        "chainrule",
        "train",
        "--resume",
        str(tmp_path / "one"),
        "--epochs",
        "6",
        "--quiet",
    ]
    assert (
        subprocess.run(
            [sys.executable, *resume], capture_output=True, timeout=300, cwd=ROOT
        ).returncode
        == 0
    )
    last = [cr.train.read_metrics(tmp_path / d)[-1] for d in ("one", "two")]
    assert abs(last[0]["train_loss"] - last[1]["train_loss"]) < 1e-4, last
