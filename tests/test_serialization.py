"""cr.save / cr.load: round trips, interchange with torch through safetensors, atomic writes,
and clear errors on damaged files."""

import io
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import safetensors.torch
import torch

import chainrule as cr
from chainrule import nn
from chainrule.serialization import CheckpointError, load, save

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def assert_same(ours, ref, where="obj"):
    """Equal structure (container types, key types) and equal tensors with equal dtypes."""
    assert type(ours) is type(ref), f"{where}: {type(ours).__name__} != {type(ref).__name__}"
    if isinstance(ref, cr.Tensor):
        assert ours.dtype == ref.dtype and ours.shape == ref.shape, where
        assert not ours.requires_grad and ours.data.flags.writeable, where
        np.testing.assert_array_equal(ours.numpy(), ref.detach().numpy(), err_msg=where)
    elif isinstance(ref, np.ndarray):
        assert ours.dtype == ref.dtype, where
        np.testing.assert_array_equal(ours, ref, err_msg=where)
    elif isinstance(ref, dict):
        assert list(ours) == list(ref), where
        for k in ref:
            assert_same(ours[k], ref[k], f"{where}[{k!r}]")
    elif isinstance(ref, (list, tuple)):
        assert len(ours) == len(ref), where
        for i, (a, b) in enumerate(zip(ours, ref)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(ref, float) and np.isnan(ref):
        assert np.isnan(ours), where
    else:
        assert ours == ref, where


def nested():
    rng = np.random.default_rng(0)
    return {
        "f32": cr.tensor(rng.standard_normal((3, 4)).astype(np.float32)),
        "f64": cr.tensor(rng.standard_normal(5)),
        "i64": cr.tensor([1, -2, 2**40]),
        "bool": cr.tensor([True, False, True]),
        "scalar": cr.tensor(2.5),
        "empty": cr.zeros(0, 3),
        "grad": cr.ones(2, requires_grad=True),
        "array": np.arange(6, dtype=np.int32).reshape(2, 3).T,  # non-contiguous
        "numbers": [1, 2.5, float("inf"), float("nan"), True, None, "text"],
        "pair": (cr.tensor([1.0]), {"deep": [cr.tensor([[7]], dtype=cr.int64)]}),
        3: "an int key",
        "a.b": cr.tensor([1.0]),
        "a": {"b": cr.tensor([2.0])},  # same dotted path as "a.b"
    }


def test_round_trip_nested_keeps_structure_and_dtypes(tmp_path):
    obj = nested()
    save(obj, tmp_path / "ckpt.safetensors")
    back = load(tmp_path / "ckpt.safetensors")
    ref = dict(obj)
    ref["grad"] = obj["grad"].detach()
    assert_same(back, ref)
    assert back["f32"].dtype == np.float32 and back["f64"].dtype == np.float64
    assert back["i64"].dtype == np.int64 and back["bool"].dtype == np.bool_


def test_round_trip_optimizer_state_dict(tmp_path):
    state = {
        "state": {
            0: {"step": cr.tensor(3.0), "exp_avg": cr.randn(4, 3), "exp_avg_sq": cr.rand(4, 3)},
            1: {"step": 3, "momentum_buffer": None},
        },
        "param_groups": [
            {
                "lr": 1e-3,
                "betas": (0.9, 0.999),
                "eps": 1e-8,
                "weight_decay": 0,
                "amsgrad": False,
                "maximize": False,
                "foreach": None,
                "params": [0, 1],
            }
        ],
    }
    save(state, str(tmp_path / "opt.st"))
    assert_same(load(str(tmp_path / "opt.st")), state)


def test_round_trip_through_file_objects():
    buf = io.BytesIO()
    save([cr.tensor([1, 2]), {"k": 1.5}], buf)
    buf.seek(0)
    assert_same(load(buf), [cr.tensor([1, 2]), {"k": 1.5}])


def test_unsupported_object_raises_and_leaves_previous_file(tmp_path):
    path = tmp_path / "ckpt.st"
    save({"w": cr.ones(2)}, path)
    with pytest.raises(TypeError, match=r"can't store a object at 'x\.1'"):
        save({"x": [1, object()]}, path)
    with pytest.raises(TypeError, match="dict key"):
        save({(1, 2): 3}, path)
    assert_same(load(path), {"w": cr.ones(2)})
    assert os.listdir(tmp_path) == ["ckpt.st"]


# ---------------------------------------------------------------- interchange with torch
def torch_mlp():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))


class Affine(nn.Module):
    """y = x Wᵀ + b, with torch.nn.Linear's parameter names and layout (test-local)."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(cr.zeros(n_out, n_in))
        self.bias = nn.Parameter(cr.zeros(n_out))

    def forward(self, x):
        return x @ self.weight.transpose(0, 1) + self.bias


class Tanh(nn.Module):
    def forward(self, x):
        return x.tanh()


def cr_mlp():
    return nn.Sequential(Affine(4, 8), Tanh(), Affine(8, 3))


X = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)


def test_chainrule_state_dict_loads_into_torch(tmp_path):
    rng = np.random.default_rng(2)
    shapes = {"0.weight": (8, 4), "0.bias": (8,), "2.weight": (3, 8), "2.bias": (3,)}
    sd = {k: cr.tensor(rng.standard_normal(s).astype(np.float32)) for k, s in shapes.items()}
    save(sd, tmp_path / "model.safetensors")

    loaded = safetensors.torch.load_file(str(tmp_path / "model.safetensors"))
    model = torch_mlp()
    model.load_state_dict(loaded)  # strict: same names, shapes
    W0, b0, W2, b2 = (sd[k].numpy() for k in shapes)
    expected = np.tanh(X @ W0.T + b0) @ W2.T + b2
    got = model(torch.from_numpy(X)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_chainrule_module_round_trips_to_torch_and_back(tmp_path):
    ours = cr_mlp()
    ours.load_state_dict(load_torch_file(tmp_path))
    save(ours.state_dict(), tmp_path / "back.safetensors")
    again = torch_mlp()
    for p in again.parameters():
        torch.nn.init.zeros_(p)
    again.load_state_dict(safetensors.torch.load_file(str(tmp_path / "back.safetensors")))
    np.testing.assert_allclose(
        again(torch.from_numpy(X)).detach().numpy(),
        torch_mlp()(torch.from_numpy(X)).detach().numpy(),
        rtol=1e-6,
    )


def load_torch_file(tmp_path):
    safetensors.torch.save_file(torch_mlp().state_dict(), str(tmp_path / "torch.safetensors"))
    return load(tmp_path / "torch.safetensors")


def test_torch_safetensors_file_loads_into_chainrule(tmp_path):
    sd = load_torch_file(tmp_path)
    assert set(sd) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert all(isinstance(v, cr.Tensor) and v.dtype == np.float32 for v in sd.values())
    model = cr_mlp()
    model.load_state_dict(sd)
    ref = torch_mlp()(torch.from_numpy(X)).detach().numpy()
    np.testing.assert_allclose(model(cr.tensor(X)).detach().numpy(), ref, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- damaged files
@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "good.st"
    save({"w": cr.randn(64, 16), "step": 7, "b": cr.tensor([1, 2, 3])}, path)
    return path


def test_truncated_file_raises_naming_the_path(good_file):
    payload = good_file.read_bytes()
    for cut in [0, 4, 8, 20, len(payload) // 2, len(payload) - 1]:
        good_file.write_bytes(payload[:cut])
        with pytest.raises(CheckpointError, match="good.st"):
            load(good_file)


def test_garbage_raises(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "junk.st"
    for n in [3, 100, 5000]:
        path.write_bytes(rng.bytes(n))
        with pytest.raises(CheckpointError, match="junk.st"):
            load(path)
    # a plausible length prefix followed by non-JSON
    path.write_bytes((20).to_bytes(8, "little") + b"\xff" * 30)
    with pytest.raises(CheckpointError, match="unreadable header"):
        load(path)


def test_flipped_data_byte_is_caught_by_the_checksum(good_file):
    payload = bytearray(good_file.read_bytes())
    payload[-100] ^= 0xFF  # inside the tensor data, not the header
    good_file.write_bytes(bytes(payload))
    with pytest.raises(CheckpointError, match="checksum"):
        load(good_file)


def test_checkpoint_error_is_a_value_error():
    assert issubclass(CheckpointError, ValueError)


def test_missing_safetensors_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r"pip install chainrule\[checkpoint\]"):
        save({"w": cr.ones(1)}, tmp_path / "x.st")


# ---------------------------------------------------------------- atomic writes
WRITER = r"""
import os, sys, time
import chainrule as cr
from chainrule.serialization import save

path, hang_in_fsync = sys.argv[1], sys.argv[2] == "1"
real_fsync = os.fsync
k = 0

def fsync(fd):
    if hang_in_fsync and k == 2:  # the second save: stop with its temp file written
        print("fsync", flush=True)
        time.sleep(60)
    real_fsync(fd)

os.fsync = fsync
for k in range(1, 1000):
    print("begin", k, flush=True)
    save({"version": k, "big": cr.full((4_000_000,), float(k)), "tail": cr.full((10,), k)}, path)
    print("done", k, flush=True)
"""


def run_writer_and_kill(path, hang_in_fsync, fraction=0.0):
    """Run WRITER; SIGKILL it in its fsync hook, or ``fraction`` of one save's duration into
    its second save. Returns the lines it printed."""
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), "1" if hang_in_fsync else "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": REPO},
    )
    try:
        lines, seen = [], {}
        for line in proc.stdout:
            lines.append(line.split())
            seen[line.strip()] = time.perf_counter()
            if hang_in_fsync and lines[-1] == ["fsync"]:
                break
            if not hang_in_fsync and lines[-1] == ["begin", "2"]:
                time.sleep(fraction * (seen["done 1"] - seen["begin 1"]))
                break
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    lines += [line.split() for line in proc.stdout]  # what it printed before the kill landed
    return lines


def assert_complete_version(path, allowed):
    ckpt = load(path)
    version = ckpt["version"]
    assert version in allowed
    assert ckpt["big"].shape == (4_000_000,)
    assert (ckpt["big"].numpy() == version).all() and (ckpt["tail"].numpy() == version).all()
    return version


def test_kill_after_temp_written_keeps_previous_checkpoint(tmp_path):
    path = tmp_path / "ckpt.st"
    lines = run_writer_and_kill(path, hang_in_fsync=True)
    assert lines[-3:] == [["done", "1"], ["begin", "2"], ["fsync"]]
    assert assert_complete_version(path, {1}) == 1
    # the killed save's data sits in a hidden temp file beside it, never at the path
    leftovers = [p for p in os.listdir(tmp_path) if p != "ckpt.st"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".ckpt.st.")
    assert os.path.getsize(tmp_path / leftovers[0]) > 16_000_000
    save({"version": 9, "big": cr.full((4_000_000,), 9.0), "tail": cr.full((10,), 9)}, path)
    assert_complete_version(path, {9})


@pytest.mark.parametrize("fraction", [0.3, 0.7, 0.95])
def test_kill_mid_save_leaves_a_complete_checkpoint(tmp_path, fraction):
    path = tmp_path / "ckpt.st"
    lines = run_writer_and_kill(path, hang_in_fsync=False, fraction=fraction)
    done = {int(w[1]) for w in lines if w[0] == "done"}
    begun = max(int(w[1]) for w in lines if w[0] == "begin")
    # a finished save, or the one in progress if its rename landed: never a partial file
    assert_complete_version(path, done | {begun})


def test_dtype_numpy_lacks_is_named(tmp_path):
    path = tmp_path / "bf16.st"
    safetensors.torch.save_file({"w": torch.ones(2, dtype=torch.bfloat16)}, str(path))
    with pytest.raises(CheckpointError, match="'w' has dtype BF16"):
        load(path)


def test_saved_file_gets_ordinary_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        save({"w": cr.ones(2)}, tmp_path / "p.st")
    finally:
        os.umask(umask)
    assert (os.stat(tmp_path / "p.st").st_mode & 0o777) == 0o644
