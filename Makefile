# The two commands of the README. Everything they need is set up by ops/launcher.py.
PYTHON ?= python3

.PHONY: up up-ha test lint setup lock bench clean
up:
	$(PYTHON) ops/launcher.py up

# The production shape on this machine: Sentinel, two replicas of everything, the nginx edge.
up-ha:
	$(PYTHON) ops/launcher.py up-ha

test:
	$(PYTHON) ops/launcher.py test

setup:
	$(PYTHON) ops/launcher.py setup

# After adding or changing a dependency (a pyproject.toml or requirements-dev.txt): resolve
# again and write requirements.lock and each service's lock; commit them with the change.
lock:
	$(PYTHON) ops/launcher.py lock

lint:
	.venv/bin/ruff check .

bench:
	for script in $(filter-out bench/loadgen.py bench/hello_app.py bench/target.py bench/__init__.py,$(wildcard bench/*.py)); do .venv/bin/python $$script || exit 1; done

clean:
	rm -rf var
