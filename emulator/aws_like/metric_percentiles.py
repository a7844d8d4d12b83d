"""``GetMetricData`` answers percentile statistics (``p95``, ``p99``, ``p99.9``) as CloudWatch does.

AWS: a ``MetricStat`` may ask for any percentile ``pNN`` / ``pNN.NN``; CloudWatch computes it from
the raw values published (``Value``, or ``Values`` with ``Counts``), and from a statistic set only
when all its samples are equal (``SampleCount`` 1, or ``Minimum == Maximum``); a period with nothing
it can use has no datapoint (CloudWatch User Guide, "Percentiles"). moto 5.2.5 knows only ``Sum``,
``Average``, ``Minimum``, ``Maximum`` and ``SampleCount``: a percentile query crashes (``TypeError``
in-process, HTTP 500 from its server), so a canary judged by its tail latency could not run at all.
Percentiles here are nearest-rank over the period's values.
"""

from __future__ import annotations

import math
import re
from typing import Any

from moto.cloudwatch.models import CloudWatchBackend, MetricAggregatedDatum, Statistics

from emulator.aws_like._patch import replace

PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?|100)$")


def percentile(values: list[float], percent: float) -> float | None:
    """Return the nearest-rank ``percent`` percentile of ``values`` (None when there are none)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(math.ceil(percent / 100 * len(ordered)), 1)
    return ordered[min(rank, len(ordered)) - 1]


def _usable(statistic_set: MetricAggregatedDatum) -> list[float]:
    """Return the samples a statistic set stands for, when CloudWatch can use it for percentiles."""
    count = int(statistic_set.sample_count)
    if count >= 1 and statistic_set.min == statistic_set.max:
        return [float(statistic_set.min)] * count
    return []


def _statistic(original: Any) -> Any:
    def get_statistics_for_type(self: Statistics, stat: str) -> Any:
        match = PERCENTILE.match(stat)
        if not match:
            return original(self, stat)
        values = list(self.metric_single_values_list)
        for statistic_set in self.metric_aggregated_list:
            values.extend(_usable(statistic_set))
        return percentile(values, float(match.group(1)))
    return get_statistics_for_type


def _metric_data(original: Any) -> Any:
    def get_metric_data(self: Any, *args: Any, **kwargs: Any) -> Any:
        results = original(self, *args, **kwargs)
        for result in results:  # a period with nothing usable for the percentile has no datapoint
            pairs = [(t, v) for t, v in zip(result["timestamps"], result["values"], strict=True) if v is not None]
            if len(pairs) != len(result["values"]):
                result["timestamps"], result["values"] = [t for t, _ in pairs], [v for _, v in pairs]
        return results
    return get_metric_data


def apply() -> None:
    """Install the behaviour."""
    replace(Statistics, "get_statistics_for_type", _statistic)
    replace(CloudWatchBackend, "get_metric_data", _metric_data)
