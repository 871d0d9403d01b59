"""Counters of what delivery does in this process, for ``/metrics`` (prometheus-client).

What the store knows (deliveries and posts by state, approvals pending) is read at scrape time
by ``web.metrics``; these are the events only the running process sees: how late each send
was, the platforms' 429s, the retries. They live in their own registry, which ``web/`` exports.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

LATENESS = Histogram(
    "loa_publish_lateness_seconds", "How long after its due time a delivery was sent.", ["kind"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800), registry=REGISTRY)
RATE_LIMITED = Counter("loa_rate_limited", "Platform answers asking to slow down (HTTP 429 and equivalents).",
                       ["kind"], registry=REGISTRY)
RETRIES = Counter("loa_delivery_retries", "Failed attempts that will be tried again.", ["kind"], registry=REGISTRY)
