import os
import sys

# One BLAS thread for the suite: tests check numbers, not speed, and two spinning OpenBLAS
# threads on a busy 2-core machine can make small products 100× slower.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

threadpool_limits(1, user_api="blas")  # in case NumPy was imported before this file

sys.path.insert(0, os.path.dirname(__file__))

# torch is only the oracle here; its thread pool makes tiny ops slow on 2 cores.
torch.set_num_threads(1)


import pytest  # noqa: E402

from chainrule import backend  # noqa: E402


# ---------------------------------------------------------------- BLAS threads
@pytest.fixture
def threads():
    """Restore chainrule's and OpenBLAS's thread counts after a test that changes them."""
    before = backend._threads[0], backend._blas.most, backend._blas.current
    yield
    backend._threads[0], backend._blas.most = before[0], before[1]
    if backend._blas._set is not None:
        backend._blas._set(before[2])
        backend._blas.current = before[2]


# ---------------------------------------------------------------- devices
import fakecupy  # noqa: E402

REAL_GPU = backend.cupy is not None and backend.cuda_available()
"""Whether this machine has CuPy and a GPU. Without one, "cuda" tests run on ``fakecupy``, a
test double that refuses what CuPy refuses (mixing host and device arrays, implicit
conversion to NumPy); ``CHAINRULE_REQUIRE_GPU=1`` (``make gpu-check``) skips them instead."""


def use_gpu(monkeypatch) -> str:
    """Make ``"cuda"`` usable in this test: the real GPU ("real"), else the double ("fake")."""
    if REAL_GPU:
        return "real"
    if os.environ.get("CHAINRULE_REQUIRE_GPU") == "1":
        pytest.skip("no CUDA GPU here (CHAINRULE_REQUIRE_GPU=1 skips the CuPy test double)")
    monkeypatch.setattr(backend, "cupy", fakecupy)
    monkeypatch.setattr(backend, "cupyx", fakecupy.cupyx)
    monkeypatch.setattr(backend, "_gpu_rng", [None])
    return "fake"


@pytest.fixture
def gpu(monkeypatch):
    """A test that needs ``"cuda"``: the real GPU where there is one, else the double."""
    return use_gpu(monkeypatch)


@pytest.fixture(params=["cpu", "cuda"])
def device(request, monkeypatch):
    """Run the test once per device: ``"cpu"``, and ``"cuda"`` (real GPU or the double)."""
    if request.param == "cuda":
        use_gpu(monkeypatch)
    return request.param


def pytest_collection_modifyitems(items):
    """Mark what runs on "cuda" with ``gpu``: tests that use the ``gpu`` fixture and the
    ``cuda`` case of ``device``-parametrized ones (``make gpu-check`` runs ``-m gpu``)."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "gpu" in getattr(item, "fixturenames", ()) or params.get("device") == "cuda":
            item.add_marker(pytest.mark.gpu)


# The torch-comparison suites: every test there that goes through the helpers
# (``check_against_torch``, ``check_twin``, ...) runs on the CPU and on "cuda" (the real GPU,
# else the CuPy test double); see ``helpers.parametrize_devices``.
DEVICE_SUITES = ("functions", "nn")


def pytest_generate_tests(metafunc):
    import helpers

    suite = os.path.relpath(str(metafunc.definition.path), os.path.dirname(__file__))
    if suite.split(os.sep)[0] in DEVICE_SUITES:
        helpers.parametrize_devices(metafunc)


@pytest.fixture(autouse=True)
def _helpers_device(request, monkeypatch):
    """Point the helpers' ``DEVICE`` at this test's ``device``, if it has one."""
    import helpers

    helpers.set_device(request, monkeypatch)
