# chainrule: `make demo` and `make test` work on a fresh machine (they create .venv).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: demo test test-fast test-slow bench lint format clean data gpu-check

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[zoo]'
	touch $@

$(VENV)/.installed-test: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[test,bench]'
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(PY) -m chainrule train

test: $(VENV)/.installed-test
	$(PY) -m pytest tests

test-fast: $(VENV)/.installed-test
	$(PY) -m pytest tests -m "not slow"

test-slow: $(VENV)/.installed-test
	$(PY) -m pytest tests -m slow

bench: $(VENV)/.installed-test
	$(PY) benchmarks/run.py $(BENCH_ARGS)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

data:
	bash scripts/get_data.sh

# `make gpu-check`, on a machine with an NVIDIA GPU: the cuda tests on the real GPU (never the
# CuPy test double: CHAINRULE_REQUIRE_GPU=1), then the GPU benchmark (benchmarks/GPU_RESULTS.md).
# It runs chainrule from this checkout with GPU_PYTHON, a Python that already has CuPy, a CUDA
# build of torch, pytest, hypothesis, safetensors, scikit-learn, matplotlib, tqdm and
# threadpoolctl (a GPU image's own python3 has them; nothing is downloaded). Elsewhere:
# python3 -m venv --system-site-packages .venv-gpu && .venv-gpu/bin/pip install -e '.[test,gpu]'
# (then pip install torch from the CUDA index) and make gpu-check GPU_PYTHON=.venv-gpu/bin/python.
# It fails, saying why, when there is no GPU. A few minutes on an H200.
GPU_PYTHON ?= python3
GPU_TESTS ?= tests
gpu-check:
	@$(GPU_PYTHON) -c "import sys; from chainrule import backend; import torch; \
	ok = backend.cuda_available() and torch.cuda.is_available(); \
	ok or sys.exit('gpu-check: needs an NVIDIA GPU, CuPy and a CUDA build of torch (CuPy sees ' \
	+ str(backend.cuda_device_count()) + ' GPUs, torch ' + torch.__version__ + ' sees ' \
	+ str(torch.cuda.device_count()) + '); ' + backend.GPU_HINT)"
	CHAINRULE_REQUIRE_GPU=1 $(GPU_PYTHON) -m pytest -q -m "gpu and not slow" -rfE \
		-p no:cacheprovider $(GPU_TESTS)
	PYTHONPATH=$(CURDIR) $(GPU_PYTHON) benchmarks/bench_gpu.py --quick

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
