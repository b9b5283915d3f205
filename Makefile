# Two commands do everything on a fresh machine with Python 3.11+ and make:
#   make report   set up .venv (pinned by requirements.lock), run the main job on the bundled data, write reports/
#   make test     set up .venv, check the layers and the style, run the whole test suite (notebooks included),
#                 then install the built wheel without the source tree and run `evalkit check` and `evalkit report`
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EXTRAS := research,test,bench,distributed,postgres

.PHONY: report test lint bench lab sample lock clean

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	@touch $(STAMP)

report: $(STAMP)
	$(BIN)/evalkit report --out reports

lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check evalkit tests benchmarks scripts
	$(BIN)/mypy evalkit

test: lint
	$(BIN)/python -m pytest
	bash scripts/wheel_smoke.sh

# every row of the README's performance table against its peer in the same run (BENCH_SCALE=0.1 for a quick look)
BENCH_SCALE ?= 1
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --scale $(BENCH_SCALE)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks

sample: $(STAMP)
	$(BIN)/python scripts/make_sample_data.py

# re-pin requirements.lock from pyproject.toml (run after changing a dependency)
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --all-extras --python-version 3.11 --quiet -o requirements.lock

clean:
	rm -rf $(VENV) reports build *.egg-info
