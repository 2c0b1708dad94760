# eurosec build plumbing. Supported install mode: editable (`pip install -e .`),
# because configs/ (Hydra YAML) is located relative to the repo root.

PYTHON ?= $(shell PYENV_VERSION=3.12.1 pyenv which python 2>/dev/null || command -v python3.12)
VENV   := .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
ARGS   ?=
# Ray launcher environment (own venv: the Ray launcher pins cloudpickle 2.x, joblib >= 1.6 needs 3.x)
VENV_RAY  := .venv-ray
VPY_RAY   := $(VENV_RAY)/bin/python
STAMP_RAY := $(VENV_RAY)/.installed
# Classroom dashboard environment (the `viz` extra: Mesa's SolaraViz served offline; `make viz`)
VENV_VIZ  := .venv-viz
VPY_VIZ   := $(VENV_VIZ)/bin/python
STAMP_VIZ := $(VENV_VIZ)/.installed
HOST      ?= 127.0.0.1
PORT      ?= 8765

# Keep in sync with the header of requirements.lock. To use a non-default index,
# export UV_DEFAULT_INDEX / UV_INDEX (not written into the lock file).
LOCK_CMD := uv pip compile pyproject.toml --extra test --python-version 3.12 \
	--python-platform x86_64-unknown-linux-gnu -o requirements.lock
# Keep in sync with the header of requirements-ray.lock (the `ray` extra, for .venv-ray only).
LOCK_RAY_CMD := uv pip compile pyproject.toml --extra ray --extra test --python-version 3.12 \
	--python-platform x86_64-unknown-linux-gnu -o requirements-ray.lock
# Keep in sync with the header of requirements-viz.lock (the `viz` extras, for .venv-viz only).
LOCK_VIZ_CMD := uv pip compile pyproject.toml --extra viz --extra viz-test --extra test --python-version 3.12 \
	--python-platform x86_64-unknown-linux-gnu -o requirements-viz.lock

.PHONY: venv venv-ray venv-viz viz test-viz teaching-figures run compare facts calibrate validate sensitivity test test-slow test-ray bench bench-compare docs lock clean

venv: $(STAMP)

$(VPY):
	@test -n "$(PYTHON)" || { echo "error: Python 3.12 not found (pyenv 3.12.1 or python3.12)" >&2; exit 1; }
	"$(PYTHON)" -m venv $(VENV)
	$(VPY) -m pip install --upgrade pip

# Re-install only when pyproject.toml or requirements.lock is newer than the stamp.
$(STAMP): pyproject.toml requirements.lock | $(VPY)
	$(VPY) -m pip install -r requirements.lock
	$(VPY) -m pip install --no-deps -e .
	touch $@

# Separate environment with the `ray` extra (hydra-ray-launcher, ray), for `hydra/launcher=ray`.
venv-ray: $(STAMP_RAY)

$(VPY_RAY):
	@test -n "$(PYTHON)" || { echo "error: Python 3.12 not found (pyenv 3.12.1 or python3.12)" >&2; exit 1; }
	"$(PYTHON)" -m venv $(VENV_RAY)
	$(VPY_RAY) -m pip install --upgrade pip

$(STAMP_RAY): pyproject.toml requirements-ray.lock | $(VPY_RAY)
	$(VPY_RAY) -m pip install -r requirements-ray.lock
	$(VPY_RAY) -m pip install --no-deps -e .
	touch $@

# Separate environment with the `viz` extras (solara pinned with solara-assets, playwright for the test).
venv-viz: $(STAMP_VIZ)

$(VPY_VIZ):
	@test -n "$(PYTHON)" || { echo "error: Python 3.12 not found (pyenv 3.12.1 or python3.12)" >&2; exit 1; }
	"$(PYTHON)" -m venv $(VENV_VIZ)
	$(VPY_VIZ) -m pip install --upgrade pip

$(STAMP_VIZ): pyproject.toml requirements-viz.lock | $(VPY_VIZ)
	$(VPY_VIZ) -m pip install -r requirements-viz.lock
	$(VPY_VIZ) -m pip install --no-deps -e .
	touch $@

# The classroom dashboard (sim/dashboard/app.py) on http://$(HOST):$(PORT), offline. HOST=0.0.0.0 to share it.
viz: venv-viz
	$(VPY_VIZ) -m sim.dashboard --host $(HOST) --port $(PORT)

# The dashboard's tests in .venv-viz: the smoke and game tests, then the browser test (Debian's chromium).
test-viz: venv-viz
	$(VPY_VIZ) -m pytest -p no:cacheprovider tests/test_dashboard.py tests/test_interventions.py $(ARGS)
	$(VPY_VIZ) -m pytest -p no:cacheprovider -m viz tests/test_dashboard_browser.py $(ARGS)

# The figures of docs/teaching.md (docs/img/teach_*.png), remade with the dashboard's own views by the
# guide's recipes (docs/img/teaching_figures.py; ARGS="--out DIR" elsewhere). The views need only the
# base dependencies (matplotlib, networkx), so this runs in .venv, not .venv-viz.
teaching-figures: venv
	$(VPY) docs/img/teaching_figures.py $(ARGS)

run: venv
	$(VPY) -m sim.run $(ARGS)

# The main job: baseline + each of the ten options alone, 1,000 seeds each (experiments/compare_options.py)
compare: venv
	$(VPY) -m experiments.compare_options $(ARGS)

# The stylised-facts report: each fact over 1,000 seeds, PASS/FAIL/REPORT (experiments/facts.py)
facts: venv
	$(VPY) -m experiments.facts $(ARGS)

# Fit the named parameters to Pew opinion 2008-2012, score 2013-2015 (experiments/calibrate.py)
calibrate: venv
	$(VPY) -m experiments.calibrate $(ARGS)

# The replay 2008-2015 against the record: 2010 stage, turning points, opinion checks (experiments/validation.py)
validate: venv
	$(VPY) -m experiments.validation $(ARGS)

# Global sensitivity (Sobol' indices, SALib) and scenario discovery (PRIM) over the declared
# parameter ranges (experiments/sensitivity.py; ~6 min on 2 cores)
sensitivity: venv
	$(VPY) -m experiments.sensitivity $(ARGS)

test: venv
	$(VPY) -m pytest -n 2 $(ARGS)

test-slow: venv
	$(VPY) -m pytest -n 2 -m slow $(ARGS)

# The tests marked `ray` (sweeps through hydra/launcher=ray on a local Ray cluster), in .venv-ray.
test-ray: venv-ray
	$(VPY_RAY) -m pytest -m ray $(ARGS)

# docs/parameters.md from the parameter declarations (tests/test_parameters.py checks it is current)
docs: venv
	$(VPY) -m sim.config.schema --markdown > docs/parameters.md

bench: venv
	$(VPY) -m benchmarks.throughput $(ARGS)

bench-compare: venv
	$(VPY) -m benchmarks.comparison $(ARGS)

lock: | $(VPY)
	@test -x $(VENV)/bin/uv || $(VPY) -m pip install uv
	$(VENV)/bin/$(LOCK_CMD)
	$(VENV)/bin/$(LOCK_RAY_CMD)
	$(VENV)/bin/$(LOCK_VIZ_CMD)

clean:
	rm -rf $(VENV) $(VENV_RAY) $(VENV_VIZ) outputs/ multirun/
