# momd_referral — the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DB ?= momd
SAO_DIR ?= var/sao
SAO_VERSION ?= 8.0.11
export PORT DB SAO_DIR SAO_VERSION

.PHONY: run test reset bench install sao system-packages translations clean

## run: set everything up and serve the demo at http://127.0.0.1:$(PORT)
## (with the scheduler: overdue check hourly, reviews and reminders daily)
run: install sao
	sh scripts/system_packages.sh run
	$(PY) scripts/momd_setup.py --port $(PORT) --db $(DB)
	$(VENV)/bin/trytond-cron -c var/trytond.conf -d $(DB) & cron=$$!; \
	trap 'kill $$cron 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/trytond -c var/trytond.conf -d $(DB)

## test: module tests on SQLite and PostgreSQL, system and browser tests
test: install sao system-packages
	$(PY) scripts/run_tests.py

## reset: drop the demo database, then serve a fresh one
reset:
	rm -f var/$(DB).sqlite
	@if [ -n "$$DATABASE_URI" ]; then \
		TRYTOND_CONFIG=var/trytond.conf $(PY) scripts/database.py drop $(DB); fi
	$(MAKE) run

## bench: speed ratios against stock Tryton, measured in the same run;
## the dashboard queries, the duplicate candidates among 1M people and the
## breach scoping over 10M trail lines again on PostgreSQL, the production
## database, its memory set as a server's (deploy/README.md), not
## PostgreSQL's default 128 MB
BENCH_PG ?= /tmp/momd-bench-pg
BENCH_PG_PORT ?= 55439
BENCH_PG_OPTIONS ?= -c shared_buffers=1GB -c effective_cache_size=8GB
bench: install sao system-packages
	$(PY) bench/run.py
	-sh scripts/pg_cluster.sh stop $(BENCH_PG) 2>/dev/null
	PG_SERVER_OPTIONS='$(BENCH_PG_OPTIONS)' \
		sh scripts/pg_cluster.sh start $(BENCH_PG) $(BENCH_PG_PORT)
	BENCH_DATABASE_URI=postgresql://postgres@127.0.0.1:$(BENCH_PG_PORT)/ \
		$(PY) bench/run.py bench_dashboard bench_duplicates bench_breach; \
		status=$$?; sh scripts/pg_cluster.sh stop $(BENCH_PG); exit $$status

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check \
		-c constraints.txt -e '.[test]'
	touch $@

sao:
	sh scripts/install_sao.sh $(SAO_DIR)

## system-packages: fonts and Pango for the PDF reports; PostgreSQL,
## Chromium, poppler-utils and faketime for the tests
system-packages:
	sh scripts/system_packages.sh

## translations: refresh locale/ar.po and kmr.po from the module's strings
## and sao/locale/*.json from sao/locale/*.po
translations: install
	$(PY) scripts/update_translations.py ar kmr
	$(PY) scripts/sao_po2json.py sao/locale/ar.po sao/locale/ar.json
	$(PY) scripts/sao_po2json.py sao/locale/kmr.po sao/locale/kmr.json

clean:
	rm -rf var test-artifacts
