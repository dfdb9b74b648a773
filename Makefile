# Two commands for a fresh machine: `make run` (local stack + demo store) and `make test`.
# Both set up what they need first: the virtualenv, its packages, and Debian packages.

# The Lambda runtime is the interpreter that runs `chalice package`: python3.11.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# The stamp's name changes with the requirements, so an edited file reinstalls.
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
STAGE ?= dev

.PHONY: run test bench package setup lint clean

setup: $(STAMP)
	@sh devstack/debian-packages.sh

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Retour needs Python 3.11 (the Lambda runtime)"'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

run: setup
	$(PY) -m devstack.run

lint: setup
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

test: lint
	$(PY) -m pytest

bench: setup
	$(PY) -m bench

package: setup
	rm -rf build/$(STAGE)
	$(VENV)/bin/chalice package --stage $(STAGE) build/$(STAGE)

clean:
	rm -rf build .mypy_cache .pytest_cache
