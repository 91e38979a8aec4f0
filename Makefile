# The two commands of the README. Everything they need is set up by ops/launcher.py.
PYTHON ?= python3

.PHONY: up test lint setup bench clean
up:
	$(PYTHON) ops/launcher.py up

test:
	$(PYTHON) ops/launcher.py test

setup:
	$(PYTHON) ops/launcher.py setup

lint:
	.venv/bin/ruff check .

bench:
	for script in $(filter-out bench/loadgen.py bench/hello_app.py bench/target.py bench/__init__.py,$(wildcard bench/*.py)); do .venv/bin/python $$script || exit 1; done

clean:
	rm -rf var
