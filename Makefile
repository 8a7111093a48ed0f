# Two commands for a newcomer: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Production-like settings for the deploy checks (a throwaway key, never used to sign anything).
DEPLOY_ENV := DEBUG=False ALLOWED_HOSTS=cinema.example.com \
	SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')

.PHONY: run test lint format bench bench-reports migrate seed superuser clean

$(VENV)/bin/activate: .env
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# A development checkout gets its own random SECRET_KEY, so that plain `manage.py` commands work.
# Only the key: DEBUG stays off unless asked for (`make run` asks). Real environment variables win.
.env:
	@echo "# Made by make for this checkout; not committed. See .env.example for every setting." > $@
	@echo "SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" >> $@
	@echo "Wrote .env with a random SECRET_KEY for this checkout."

$(VENV)/.runtime: $(VENV)/bin/activate requirements.txt
	.ci/system-packages
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

## run: install, migrate, load demo data, serve on http://127.0.0.1:$(PORT) (SQLite unless DATABASE_URL)
run: $(VENV)/.runtime
	DEBUG=$${DEBUG:-True} $(PY) manage.py migrate --no-input
	@if DEBUG=$${DEBUG:-True} $(PY) manage.py help seed_demo >/dev/null 2>&1; then \
		DEBUG=$${DEBUG:-True} $(PY) manage.py seed_demo; fi
	DEBUG=$${DEBUG:-True} $(PY) manage.py runserver 127.0.0.1:$(PORT)

## test: the whole suite on MariaDB, with Redis for the Celery and Redis cache tests (starts them if needed, as root)
test: $(VENV)/.dev
	.ci/mariadb
	.ci/redis
	$(PY) -m pytest --create-db $(PYTEST_ARGS)

## bench: the booking benchmark on MariaDB under gunicorn (see bench/booking.py)
bench: $(VENV)/.dev
	.ci/mariadb
	.ci/redis
	$(PY) bench/booking.py

## bench-reports: a year of a 6-hall cinema on MariaDB, and /admin/stats/ timed (see bench/reports.py)
bench-reports: $(VENV)/.dev
	.ci/mariadb
	$(PY) bench/reports.py $(BENCH_ARGS)

## lint: style, migrations, OpenAPI schema, deploy checks
lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	DEBUG=True $(PY) manage.py makemigrations --check --dry-run
	DEBUG=True $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null
	$(DEPLOY_ENV) $(PY) manage.py check --deploy --fail-level WARNING

format: $(VENV)/.dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

migrate: $(VENV)/.runtime
	DEBUG=$${DEBUG:-True} $(PY) manage.py migrate

superuser: $(VENV)/.runtime
	DEBUG=$${DEBUG:-True} $(PY) manage.py createsuperuser

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
