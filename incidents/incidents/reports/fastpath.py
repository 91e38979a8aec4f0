"""``POST /reports`` on the fast transport (polystatus.fastpath): the write a crowd makes
during an outage. Only a well-formed report is answered here; anything else goes to the Flask
route, which gives the full validation error."""
from __future__ import annotations

from ..components.schemas import ID, PROBLEM_TYPE
from . import flows

FIELDS = {"component_id", "problem_type"}


def install(fast, app) -> None:
    r, config = app.extensions["redis"], app.config

    def report(request):
        data = request.json()
        if not isinstance(data, dict) or data.keys() != FIELDS:
            return None
        component_id, problem_type = data["component_id"], data["problem_type"]
        if not (isinstance(component_id, str) and isinstance(problem_type, str) and len(component_id) <= 64
                and ID.regex.fullmatch(component_id) and PROBLEM_TYPE.regex.fullmatch(problem_type)):
            return None
        answer = flows.take(r, config, component_id, problem_type, request.remote_addr,
                            request.header("X-Forwarded-For"))
        return request.json_answer(202, answer)

    fast.add("reports.report", report, access="anyone")
