"""What every kind of run shares: the address it connects to (checked against the private-target
rule) and Gatus's verdict over the conditions. The engine and the runners of the sql, redis and
icmp kinds use these."""
from __future__ import annotations

import asyncio
import functools
import socket

from .. import targets
from . import service


async def checked_address(host: str, port: int, allow_private, timeout: float) -> str:
    """The address a name connects to, checked against the private-target rule (Gatus's [IP]:
    the first address the name resolves to)."""
    infos = await asyncio.wait_for(asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout)
    for info in infos:
        targets.refuse_private(info[4][0], allow_private, host)
    return infos[0][4][0]


def uses(check: dict, placeholder: str) -> bool:
    return placeholder in _placeholders(tuple(service.conditions_of(check)))


@functools.lru_cache(maxsize=4096)
def _placeholders(conditions: tuple[str, ...]) -> frozenset[str]:
    """What a list of conditions reads, asked several times per run of every check: parsed once."""
    return frozenset(p for c in service.compile_conditions(list(conditions)) for p in c.placeholders())


def verdict(check: dict, context: dict, errors: list[str]) -> tuple[bool, str, list[dict]]:
    """Gatus's verdict: every condition must hold; an error (no connection, no RDAP answer) is
    told in the reason, and fails the run through the conditions that needed what is missing.
    The third value is each condition's own verdict (shown when an admin runs a check now)."""
    verdicts = service.condition_verdicts(service.conditions_of(check), context)
    ok, reason = service.judge_verdicts(verdicts)
    if errors:
        reason = "; ".join([*errors, *([] if ok else [reason])])
    return ok, reason, verdicts
