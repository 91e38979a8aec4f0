"""The ``icmp`` kind: echo requests to a host (icmplib), with conditions on [PACKET_LOSS],
[RESPONSE_TIME] (the average round trip, ms) and [CONNECTED] (any answer came back).

As root, icmplib uses raw sockets; otherwise ICMP datagram sockets, which Linux allows to the
groups in ``net.ipv4.ping_group_range``. Each way is tried in that order (a root without
CAP_NET_RAW, in some containers, still has datagram sockets), and a run that has neither says
what to change.
"""
from __future__ import annotations

import os
import time

from . import runs

INTERVAL_S = 0.2
NOT_PERMITTED = ("ICMP is not permitted to this process: run it as root (or with CAP_NET_RAW), or let its group "
                 "use ICMP datagram sockets: sysctl -w net.ipv4.ping_group_range='0 2147483647'")


def modes() -> list[bool]:
    """icmplib's ``privileged`` values to try, the likeliest first."""
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    return [True, False] if root else [False, True]


async def ping(address: str, *, count: int, timeout: float, privileged_modes: list[bool]):
    from icmplib import async_ping
    from icmplib.exceptions import SocketPermissionError

    for privileged in privileged_modes:
        try:
            answer = await async_ping(address, count=count, interval=INTERVAL_S, timeout=timeout,
                                      privileged=privileged)
            return answer, "raw" if privileged else "datagram"
        except SocketPermissionError:
            continue
    raise PermissionError(NOT_PERMITTED)


async def run_icmp(check: dict, allow_private, *, privileged_modes: list[bool] | None = None) -> dict:
    from icmplib.exceptions import ICMPLibError

    host = check["host"].strip("[]")
    count = check.get("packets", 3)
    timeout = check.get("timeout", 10)
    # each echo waits at most a share of the check's timeout, so the whole run stays within it
    wait = max(0.2, min(2.0, (timeout - INTERVAL_S * count) / count))
    context: dict = {"CONNECTED": False, "PACKET_LOSS": 100, "RESPONSE_TIME": 0}
    started = time.perf_counter()
    error = None
    result: dict = {"packets_sent": 0, "packets_received": 0, "packet_loss": 100.0}
    try:
        address = await runs.checked_address(host, 0, allow_private, timeout)
        context["IP"] = address
        answer, socket_kind = await ping(address, count=count, timeout=wait,
                                         privileged_modes=privileged_modes or modes())
        # icmplib counts nothing sent (no route, interface down) as no loss: it is total loss
        loss = round(answer.packet_loss * 100, 1) if answer.packets_sent else 100.0
        context.update(CONNECTED=answer.packets_received > 0, PACKET_LOSS=loss, RESPONSE_TIME=answer.avg_rtt)
        result = {"packets_sent": answer.packets_sent, "packets_received": answer.packets_received,
                  "packet_loss": loss, "rtt_min_ms": answer.min_rtt, "rtt_max_ms": answer.max_rtt,
                  "icmp_socket": socket_kind}
        if not answer.packets_sent:
            error = f"no echo request could be sent to {host} (no route to it from here?)"
    except (OSError, TimeoutError, ICMPLibError) as exc:
        error = f"cannot ping {host}: {exc}" if isinstance(exc, PermissionError) else \
            f"cannot ping {host}: {type(exc).__name__} {exc}".strip()
    elapsed = round((time.perf_counter() - started) * 1000, 1)
    summary = (f"{result['packets_received']}/{result['packets_sent']} echo replies from {host}, "
               f"{result['packet_loss']:g}% loss, {context['RESPONSE_TIME']:g} ms average")
    ok, reason, verdicts = runs.verdict(check, context, [error] if error else [])
    if not check.get("conditions"):
        ok, reason = error is None and context["CONNECTED"], error or summary
    return {"ok": ok, "reason": summary if ok else reason, "conditions": verdicts,
            "response_time_ms": context["RESPONSE_TIME"] if context["CONNECTED"] else elapsed, **result}
