"""Every test here that goes through the helpers (``check_against_torch``, ``check_twin``, ...)
runs on the CPU and on "cuda" (the real GPU, else the CuPy test double): see
``helpers.parametrize_devices``."""

import helpers
import pytest


def pytest_generate_tests(metafunc):
    helpers.parametrize_devices(metafunc)


@pytest.fixture(autouse=True)
def _helpers_device(request, monkeypatch):
    helpers.set_device(request, monkeypatch)
