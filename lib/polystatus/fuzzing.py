"""Schemathesis over a service's own OpenAPI document, for its test suite (issue 10).

Every operation of the document gets generated requests (valid and invalid); each answer must
not be a 5xx and must match the documented responses. Kept in the shared package so every
service fuzzes the same way, with the same budget per operation.
"""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import positive_data_acceptance

# A request the schema allows may still break a domain rule (a weak password, a transition
# that makes no sense): those are 4xx by design, so "schema-valid data must be accepted" is
# not one of our checks. Everything else schemathesis checks by default stays on.
EXCLUDED = [positive_data_acceptance]


def fuzz(app, *, headers: dict | None = None, max_examples: int = 20, skip: tuple[str, ...] = (),
         strict: bool = True) -> int:
    """Fuzz every operation of ``app``; returns how many operations were exercised.

    ``strict`` also validates status codes, content types and bodies against the document.
    """
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    exercised = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if any(operation.path.startswith(prefix) for prefix in skip):
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=max_examples, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        def run(case):
            if strict:
                case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)
            else:
                response = case.call(headers=headers)
                case.validate_response(response, checks=[not_a_server_error])

        run()
        exercised += 1
    return exercised
