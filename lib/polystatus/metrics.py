"""Prometheus metrics: request counts and latencies per route, at ``GET /metrics``.

Each app gets its own registry so that several apps in one test process do not collide.
Under a multi-worker server each worker reports its own figures; Prometheus sums them per
instance label, which is the usual trade-off against the cost of multiprocess mode.
"""
from __future__ import annotations

import time

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from .text import clean


class TextLabelCounter(Counter):
    """A counter whose label values may come from people (a check's name): prometheus_client
    escapes quotes, backslashes and line breaks itself, but one unpaired surrogate would make
    /metrics fail to encode, for every metric; so values are cleaned first (issue 21)."""

    def labels(self, *values, **named):
        return super().labels(*(clean(str(v)) for v in values), **{k: clean(str(v)) for k, v in named.items()})


class Metrics:
    def __init__(self, service: str):
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total", "HTTP requests answered.", ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds", "Time to answer an HTTP request.",
            ["service", "method", "route"], registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.service = service
        self._children: dict[tuple, tuple] = {}

    def observe(self, method: str, route: str, status: int, elapsed_s: float | None) -> None:
        """Count one answered request; the labelled children are looked up once per
        route/status (labels() takes a lock and builds a tuple on every call)."""
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (self.latency.labels(self.service, method, route),
                                              self.requests.labels(self.service, method, route, str(status)))
        if elapsed_s is not None:  # None: the request failed before its timer started
            children[0].observe(elapsed_s)
        children[1].inc()

    def counter(self, name: str, documentation: str, labels: list[str] | None = None) -> Counter:
        return TextLabelCounter(name, documentation, labels or [], registry=self.registry)


def init_app(app: Flask, service: str) -> Metrics:
    metrics = Metrics(service)
    app.extensions["metrics"] = metrics

    @app.before_request
    def _start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        rule = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        started = g.get("metrics_started")
        metrics.observe(request.method, rule, response.status_code,
                        None if started is None else time.perf_counter() - started)
        return response

    @app.get("/metrics")
    @app.doc(summary="Prometheus metrics", tags=["Operations"], responses={200: {"description": "Prometheus text format",
                                     "content": {"text/plain": {"schema": {"type": "string"}}}}})
    def prometheus_metrics():
        return Response(generate_latest(metrics.registry), content_type=CONTENT_TYPE_LATEST)

    return metrics
