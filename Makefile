# embergrad: `make demo` and `make test` each install what is missing first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTHON := $(BIN)/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install test lint format demo bench examples viz system-deps nvrtc-check clean

$(PYTHON):
	$(PY) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install --quiet -e ".[dev,viz]"
	@touch $(STAMP)

install: $(STAMP) system-deps

# Debian packages: graphviz (renders graphs) and dataset-fashion-mnist (example data).
system-deps:
	@if command -v dot >/dev/null 2>&1 && [ -d /usr/share/datasets/fashion-mnist ] ; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		(apt-get install -y -qq graphviz dataset-fashion-mnist >/dev/null 2>&1 || \
		 (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq graphviz dataset-fashion-mnist >/dev/null 2>&1)) || \
		echo "note: apt-get could not install graphviz/dataset-fashion-mnist; graph rendering and the Fashion-MNIST example will say what is missing"; \
	else \
		echo "note: not root: install the Debian packages graphviz and dataset-fashion-mnist yourself for graph rendering and the Fashion-MNIST example"; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check autograd nn backends tests benchmarks examples
	$(BIN)/ruff format --check autograd nn backends tests benchmarks examples

format: $(STAMP)
	$(BIN)/ruff format autograd nn backends tests benchmarks examples
	$(BIN)/ruff check --fix autograd nn backends tests benchmarks examples

# BLAS pinned to one thread: on a shared 2-core machine threaded small GEMMs run 10-100x slower
test: install lint
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q -x -p no:cacheprovider $(PYTEST_ARGS)

demo: $(STAMP)
	$(PYTHON) examples/fit_line.py
	$(PYTHON) examples/mlp_digits.py --device cpu

viz: $(STAMP) system-deps
	$(PYTHON) examples/visualize_graph.py --out out

bench: $(STAMP)
	$(PYTHON) benchmarks/overhead.py
	$(PYTHON) benchmarks/train_step.py
	$(PYTHON) benchmarks/devices.py

# compile every custom CUDA kernel to PTX with NVRTC (no GPU needed)
nvrtc-check: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/backends/test_nvrtc.py

examples: $(STAMP) system-deps
	$(PYTHON) -m pip install --quiet -e ".[examples]"
	$(PYTHON) examples/fit_line.py
	$(PYTHON) examples/mlp_digits.py --epochs 5
	$(PYTHON) examples/cnn_digits.py --epochs 3
	$(PYTHON) examples/autoencoder_digits.py --epochs 10
	$(PYTHON) examples/vae_digits.py --epochs 20
	$(PYTHON) examples/gan_digits.py --epochs 5
	$(PYTHON) examples/lstm_sequence.py --epochs 5
	$(PYTHON) examples/attention_digits.py --epochs 5
	-$(PYTHON) examples/fashion_mnist.py --epochs 1 --train-size 5000 --test-size 1000

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
