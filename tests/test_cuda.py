"""``cr.cuda``: availability, synchronize, seeding and names, on the GPU (or the CuPy test
double) and without one."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import backend


def test_without_cupy_nothing_is_available_and_each_call_says_how_to_install(monkeypatch):
    monkeypatch.setattr(backend, "cupy", None)
    assert cr.cuda.is_available() is False and cr.cuda.device_count() == 0
    for call in (cr.cuda.synchronize, cr.cuda.current_device, lambda: cr.cuda.manual_seed(0)):
        with pytest.raises(RuntimeError, match=r"CuPy is not installed; .*pip install"):
            call()


def test_cupy_without_a_driver_is_not_available(monkeypatch, gpu):
    if gpu == "real":
        pytest.skip("a real GPU is present")

    def broken():
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    monkeypatch.setattr(backend.cupy.cuda.runtime, "getDeviceCount", broken)
    assert not cr.cuda.is_available()
    with pytest.raises(RuntimeError, match="finds no CUDA GPU"):
        cr.zeros(2, device="cuda")


def test_with_a_gpu(gpu):
    assert cr.cuda.is_available() and cr.cuda.device_count() >= 1
    assert cr.cuda.current_device() == 0
    assert isinstance(cr.cuda.get_device_name(), str) and cr.cuda.get_device_name(0)
    x = cr.ones(3, device="cuda") * 2
    cr.cuda.synchronize()
    np.testing.assert_array_equal(x.cpu().numpy(), [2.0, 2.0, 2.0])


def test_cuda_manual_seed_repeats_gpu_draws(gpu):
    cr.cuda.manual_seed(11)
    a = cr.rand(4, 5, device="cuda").cpu().numpy()
    cr.cuda.manual_seed(11)
    b = cr.rand(4, 5, device="cuda").cpu().numpy()
    np.testing.assert_array_equal(a, b)
    assert a.min() >= 0 and a.max() < 1 and a.dtype == np.float32
