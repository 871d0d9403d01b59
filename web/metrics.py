"""``/metrics``: the store's counts at scrape time, plus the delivery events counted by ``jobs.metrics``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from campaign import monitoring
from campaign.config import Config
from campaign.store.db import Store
from jobs import metrics as delivery_metrics


class StoreCollector(Collector):
    def __init__(self, store: Store, config: Config) -> None:
        self.store, self.config = store, config

    def collect(self) -> Iterator[Metric]:
        counts = monitoring.counts(self.store)
        by_kind: Counter[tuple[str, str]] = Counter()
        for (channel, status), n in counts.deliveries.items():
            ch = self.config.channels.get(channel)
            by_kind[(ch.kind if ch is not None else "unconfigured", status)] += n
        deliveries = GaugeMetricFamily("loa_deliveries", "Deliveries by channel kind and state.", labels=["kind", "state"])
        for (kind, status), n in sorted(by_kind.items()):
            deliveries.add_metric([kind, status], n)
        yield deliveries
        posts = GaugeMetricFamily("loa_posts", "Posts by state.", labels=["state"])
        for status, n in sorted(counts.posts.items()):
            posts.add_metric([status], n)
        yield posts
        yield GaugeMetricFamily("loa_approvals_pending", "Posts still to go out that lack approvals.",
                                value=counts.approvals_pending)
        yield from delivery_metrics.REGISTRY.collect()
