#!/usr/bin/env python3
"""Writes real output of Python's prometheus_client for the exposition tests.

    pip install prometheus_client==0.22.1
    python3 crates/engine/testdata/gen_prometheus_client.py

writes prometheus_client.prom (text format 0.0.4) and prometheus_client.om
(OpenMetrics 1.0) beside this script. Creation times are pinned so the
output is the same on every run.
"""
import pathlib
import time

# Pin the clock before the metrics read it for their _created samples.
time.time = lambda: 1700000000.123

from prometheus_client import (  # noqa: E402
    CollectorRegistry, Counter, Enum, Gauge, Histogram, Info, Summary, generate_latest,
)
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics  # noqa: E402

registry = CollectorRegistry()
requests = Counter("http_requests", "Requests served.", ["method", "path"], registry=registry)
requests.labels("GET", "/").inc(3)
requests.labels("POST", 'a "quoted" \\ path\nwith newline').inc(1.5)
Gauge("temperature_celsius", "Temperature, with \\ and\nnewline in help.", registry=registry).set(-4.25)
latency = Histogram("request_latency_seconds", "Latency.", ["route"], buckets=[0.1, 0.5, 1, 5], registry=registry)
for v in [0.05, 0.3, 0.3, 2, 7]:
    latency.labels("/api").observe(v)
latency.labels("/api").observe(0.2)
size = Summary("response_size_bytes", "Response sizes.", registry=registry)
for v in [100, 2000, 1e6]:
    size.observe(v)
Info("build", "Build information.", registry=registry).info({"version": "1.2.3", "revision": "abc"})
Enum("task_state", "Task state.", states=["starting", "running", "stopped"], registry=registry).state("running")
counter_with_exemplar = Counter("jobs", "Jobs done.", registry=registry)
counter_with_exemplar.inc(2, exemplar={"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"})

here = pathlib.Path(__file__).parent
(here / "prometheus_client.prom").write_bytes(generate_latest(registry))
(here / "prometheus_client.om").write_bytes(generate_openmetrics(registry))
