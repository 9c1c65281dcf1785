"""``cr.save`` from a GPU writes host arrays (the same bytes as from the CPU) and
``cr.load(..., map_location=...)`` puts tensors where torch's argument would."""

import io
import json

import numpy as np
import pytest

import chainrule as cr
from chainrule import backend

VALUES = np.arange(12, dtype=np.float32).reshape(3, 4) / 7


def _payload(obj) -> bytes:
    buf = io.BytesIO()
    cr.save(obj, buf)
    return buf.getvalue()


def _file(obj):
    """What a saved file holds: its header (safetensors writes the metadata's keys in a
    random order, so two saves on one device differ in bytes too) and its tensor bytes."""
    payload = _payload(obj)
    n = int.from_bytes(payload[:8], "little")
    return json.loads(payload[8 : 8 + n]), payload[8 + n :]


def _checkpoint(device):
    """A model and Adam state after one step, on ``device``."""
    cr.manual_seed(0)
    model = cr.nn.Linear(4, 3).to(device)
    opt = cr.optim.Adam(model.parameters(), lr=0.1)
    x = cr.tensor(VALUES).to(device)
    model(x).pow(2).mean().backward()
    opt.step()
    return {"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 1}


def _on_cpu(obj):
    if isinstance(obj, cr.Tensor):
        return obj.cpu() if obj.device != "cpu" else obj
    if isinstance(obj, dict):
        return {k: _on_cpu(v) for k, v in obj.items()}
    return obj


def test_save_from_gpu_writes_the_same_bytes_as_from_cpu(gpu):
    cpu = {"w": cr.tensor(VALUES), "nested": [cr.tensor(VALUES[0]), (1, "a")]}
    on_gpu = {"w": cpu["w"].to("cuda"), "nested": [cpu["nested"][0].cuda(), (1, "a")]}
    assert on_gpu["w"].device == "cuda:0"
    assert _file(on_gpu) == _file(cpu)
    assert _file({"w": on_gpu["w"]}) == _file({"w": cpu["w"]})  # flat state dict


def test_checkpoint_from_gpu_is_identical_to_cpu_checkpoint(gpu, tmp_path):
    on_gpu = _checkpoint("cuda")
    assert _file(on_gpu) == _file(_on_cpu(on_gpu))  # the same values, copied to the CPU first
    cr.save(_checkpoint("cuda"), tmp_path / "ckpt.st")  # atomic write, host arrays
    loaded = cr.load(tmp_path / "ckpt.st")
    assert loaded["model"]["weight"].device == "cpu"
    assert loaded["epoch"] == 1


def test_save_raw_device_array_writes_host_array(gpu):
    device_array = backend.to_device(VALUES, "cuda")
    assert _file({"a": [device_array]}) == _file({"a": [VALUES]})
    loaded = cr.load(io.BytesIO(_payload({"a": [device_array]})))
    assert type(loaded["a"][0]) is np.ndarray  # plain arrays stay NumPy arrays


@pytest.mark.parametrize(
    "map_location, expected",
    [
        (None, "cpu"),
        ("cpu", "cpu"),
        ("cuda", "cuda:0"),
        ("cuda:0", "cuda:0"),
        (cr.device("cuda", 0), "cuda:0"),
        ({"cpu": "cuda:0"}, "cuda:0"),
        ({"cuda:0": "cpu"}, "cpu"),  # the saved location is always "cpu": no match
        (lambda t, location: t.to("cuda") if location == "cpu" else None, "cuda:0"),
        (lambda t, location: None, "cpu"),
    ],
)
def test_map_location(gpu, map_location, expected):
    payload = _payload(_checkpoint("cuda"))
    loaded = cr.load(io.BytesIO(payload), map_location=map_location)
    tensors = [*loaded["model"].values()]
    tensors += [v for s in loaded["optim"]["state"].values() for v in s.values()]
    assert {str(t.device) for t in tensors} == {expected}
    reference = cr.load(io.BytesIO(payload))
    for name, t in loaded["model"].items():
        np.testing.assert_array_equal(t.numpy(), reference["model"][name].numpy())


def test_map_location_on_a_plain_safetensors_file(gpu):
    loaded = cr.load(io.BytesIO(_payload({"w": cr.tensor(VALUES)})), map_location="cuda")
    assert loaded["w"].device == "cuda:0"
    np.testing.assert_array_equal(loaded["w"].numpy(), VALUES)


def test_resume_on_gpu_from_checkpoint_matches_uninterrupted_cpu_run(gpu):
    """Save mid-run on the GPU, load with map_location="cuda" into fresh GPU copies, and
    continue: the result equals an uninterrupted CPU run."""

    def steps(model, opt, n):
        for _ in range(n):
            opt.zero_grad()
            model(cr.tensor(VALUES).to(model.weight.device)).pow(2).mean().backward()
            opt.step()

    cr.manual_seed(0)
    ref = cr.nn.Linear(4, 3)
    ref_opt = cr.optim.Adam(ref.parameters(), lr=0.1)
    steps(ref, ref_opt, 4)

    cr.manual_seed(0)
    model = cr.nn.Linear(4, 3).to("cuda")
    opt = cr.optim.Adam(model.parameters(), lr=0.1)
    steps(model, opt, 2)
    payload = _payload({"model": model.state_dict(), "optim": opt.state_dict()})
    ckpt = cr.load(io.BytesIO(payload), map_location="cuda")
    model2 = cr.nn.Linear(4, 3).to("cuda")
    opt2 = cr.optim.Adam(model2.parameters(), lr=0.1)
    model2.load_state_dict(ckpt["model"])
    opt2.load_state_dict(ckpt["optim"])
    assert model2.weight.device == "cuda:0"
    assert opt2.state[model2.weight]["exp_avg"].device == "cuda:0"
    steps(model2, opt2, 2)
    np.testing.assert_allclose(
        model2.weight.detach().numpy(), ref.weight.detach().numpy(), rtol=1e-4, atol=1e-5
    )


def test_bad_map_location_names_the_value():
    payload = _payload({"w": cr.tensor(VALUES)})
    with pytest.raises(TypeError, match="map_location must be.*got 3"):
        cr.load(io.BytesIO(payload), map_location=3)
    with pytest.raises(ValueError, match="unknown device type 'tpu'"):
        cr.load(io.BytesIO(payload), map_location="tpu")
    with pytest.raises(TypeError, match="returned a str"):
        cr.load(io.BytesIO(payload), map_location=lambda t, loc: "cuda")


@pytest.mark.skipif(cr.cuda.is_available(), reason="needs a machine without CuPy or a GPU")
def test_map_location_cuda_without_cupy_says_how_to_install():
    payload = _payload({"w": cr.tensor(VALUES)})
    with pytest.raises(RuntimeError, match="pip install chainrule\\[gpu\\]"):
        cr.load(io.BytesIO(payload), map_location="cuda")
