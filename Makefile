# Kalm: `make run` to try it, `make test` to test it. Both install what they need.
SHELL := /bin/bash
PYTHON ?= $(shell scripts/find-python)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: run test install install-dev migrate demo messages static lint check-deploy clean

$(BIN)/python:
	"$(PYTHON)" -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

messages: install
	$(BIN)/python manage.py compilemessages --ignore=.venv --verbosity 0

migrate: install  # Kalm creates the folders its settings name (KALM_VAR_DIR) itself
	$(BIN)/python manage.py migrate --verbosity 0

demo: migrate static  # static first: publishing the status pages renders {% static %} URLs
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py publish_status_pages  # the public pages' snapshots, before the first visitor

static: install
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

## run: install, migrate, demo data, translations, then web + worker + beat in the foreground (Ctrl-C stops all)
run: messages demo static
	@echo ""
	@echo "  Kalm is starting on http://$(HOST):$(PORT)/console/"
	@echo "  Status page:  http://$(HOST):$(PORT)/status/midsize/"
	@echo "  Logins:       anna / kalm-demo (account manager), maria / kalm-demo (manager)"
	@echo ""
	@# honcho gives each process a PORT of its own (web 8000, worker 8100, beat 8200): the links the
	@# worker writes (snapshots, messages) must name the web's address, so SITE_URL is fixed here.
	SITE_URL=$${SITE_URL:-$$($(BIN)/python -c 'from core.env import env_site_url; print(env_site_url())')} \
		DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/honcho --procfile Procfile start

## test: install test dependencies, compile translations, run the whole suite
test: install-dev messages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .

check-deploy: install
	SECRET_KEY=$${SECRET_KEY:-$$(head -c 48 /dev/urandom | base64)} DJANGO_SETTINGS_MODULE=kalm.settings_production \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) staticfiles var
