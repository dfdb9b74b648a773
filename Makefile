# Two commands for a fresh machine: `make run` (local stack + demo store) and `make test`.
# Both set up what they need first: the virtualenv, its packages, and Debian packages.

# The Lambda runtime is the interpreter that runs `chalice package`: python3.13 (Amazon Linux 2023).
# PYTHON is the first of these that really runs 3.13: python3.13 on the PATH, python3 (Debian 13's),
# then pyenv's 3.13.x (its python3.13 shim fails when 3.13 is installed but not selected).
PYTHON_VERSION := 3.13
PYTHON_CANDIDATES := python$(PYTHON_VERSION) python3 $(wildcard $(HOME)/.pyenv/versions/$(PYTHON_VERSION).*/bin/python$(PYTHON_VERSION))
comma := ,
IS_RUNTIME_VERSION := import sys; sys.exit(sys.version_info[:2] != tuple(map(int, "$(PYTHON_VERSION)".split("."))))
PYTHON ?= $(firstword $(foreach p,$(PYTHON_CANDIDATES),$(shell $(p) -c '$(IS_RUNTIME_VERSION)' >/dev/null 2>&1 && echo $(p))))
VENV := .venv
PY := $(VENV)/bin/python
# The stamp's name changes with the requirements, so an edited file reinstalls.
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
STAGE ?= dev

.PHONY: run test check bench package deploy setup lint clean catalogs

# axe-core, the accessibility engine the browser tests inject into each page (from npm, pinned).
AXE_CORE := .cache/npm/node_modules/axe-core/axe.min.js
AXE_CORE_VERSION := 4.14.1

setup: $(STAMP)
	@sh devstack/debian-packages.sh
	@test -f $(AXE_CORE) && grep -q '"version": "$(AXE_CORE_VERSION)"' .cache/npm/node_modules/axe-core/package.json \
	  || npm install --prefix .cache/npm --no-audit --no-fund --silent axe-core@$(AXE_CORE_VERSION)

$(STAMP): requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" && $(PYTHON) -c '$(IS_RUNTIME_VERSION)' || { \
	  echo "Retour needs Python $(PYTHON_VERSION) (the Lambda runtime): $(if $(PYTHON),$(PYTHON) is not $(PYTHON_VERSION),none of python$(PYTHON_VERSION)$(comma) python3 or ~/.pyenv/versions/$(PYTHON_VERSION).* is)."; \
	  echo "Install it (pyenv install $(PYTHON_VERSION), or Debian 13's python3) or name it: make PYTHON=/path/to/python$(PYTHON_VERSION)"; \
	  exit 2; }
	@# A .venv left by an older Python is rebuilt, not reused.
	@$(PY) -c '$(IS_RUNTIME_VERSION)' 2>/dev/null || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check "pip==26.2.1"  # chalice 1.34 needs pip<26.3
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

# The fast loop while working: the unit and functional tests on every core (pytest-xdist, each
# worker with its own local AWS and Stripe servers). `make test` stays the whole suite CI runs.
check: lint
	$(PY) -m pytest -n auto tests/unit tests/functional

# The one message catalog (chalicelib/locales): extract every page, email and label string into
# messages.pot, carry it into each language's messages.po (new strings arrive empty, never guessed:
# tests/unit/test_catalogs.py names them until translated) and compile the .mo files that ship.
# The .po and .mo files are committed, so a fresh checkout and the package need no build step;
# a run with no string changed rewrites nothing (the .pot's date is not copied into the .po files).
BABEL := $(VENV)/bin/pybabel
LOCALES := chalicelib/locales
catalogs: setup
	$(BABEL) extract -F $(LOCALES)/babel.cfg -k N_plural:1,2 -k _t:2 --no-location --omit-header \
	  --sort-output -o $(LOCALES)/messages.pot .
	$(BABEL) update -D messages -i $(LOCALES)/messages.pot -d $(LOCALES) --no-fuzzy-matching --ignore-obsolete \
	  --ignore-pot-creation-date
	$(BABEL) compile -D messages -d $(LOCALES) --statistics

bench: setup
	$(PY) -m bench

# One template (the API, the functions and infra/retour.yaml merged) and a zip with bytecode.
# chalice package imports app.py, so it needs the runtime dependencies: `setup` installs them.
# Babel's data for languages other than en/ja/zh/ko (we format only in those four) and botocore's
# models of services we never call are dropped (infra/prune_package.py). PRUNE=no keeps them, in a
# zip past Lambda's 50 MB direct-upload limit since the labels embed their CJK fonts.
PRUNE ?= yes
package: setup
	rm -rf build/$(STAGE)
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(VENV)/bin/chalice package --stage $(STAGE) --merge-template infra/retour.yaml build/$(STAGE)
	$(if $(filter yes,$(PRUNE)),$(PY) infra/prune_package.py build/$(STAGE)/deployment.zip)
	$(PY) infra/add_bytecode.py build/$(STAGE)/deployment.zip
	$(PY) infra/api_on_alias.py build/$(STAGE)/sam.yaml

# Needs AWS credentials and the aws CLI (docs/deploy.md). Parameters come from the environment:
# SENDER_DOMAIN and ALARM_EMAIL are required; PUBLIC_BASE_URL may stay empty on a first deploy.
ARTIFACT_BUCKET ?=
PUBLIC_BASE_URL ?=
# The role CloudFormation acts as (infra/deploy-role.yaml); without it, the caller's own rights.
CFN_ROLE_ARN ?=
deploy: package
	@test -n "$(ARTIFACT_BUCKET)" || { echo "set ARTIFACT_BUCKET (docs/deploy.md)"; exit 2; }
	@test -n "$(SENDER_DOMAIN)" -a -n "$(ALARM_EMAIL)" || { echo "set SENDER_DOMAIN and ALARM_EMAIL"; exit 2; }
	aws cloudformation package --template-file build/$(STAGE)/sam.yaml \
	  --s3-bucket $(ARTIFACT_BUCKET) --s3-prefix retour-$(STAGE) \
	  --output-template-file build/$(STAGE)/packaged.yaml
	aws cloudformation deploy --template-file build/$(STAGE)/packaged.yaml \
	  --stack-name retour-$(STAGE) --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
	  --no-fail-on-empty-changeset $(if $(CFN_ROLE_ARN),--role-arn $(CFN_ROLE_ARN)) \
	  --parameter-overrides Stage=$(STAGE) SenderDomain=$(SENDER_DOMAIN) \
	    AlarmEmail=$(ALARM_EMAIL) PublicBaseUrl=$(PUBLIC_BASE_URL) \
	    StripePublishableKey=$(STRIPE_PUBLISHABLE_KEY)

clean:
	rm -rf build .mypy_cache .pytest_cache
