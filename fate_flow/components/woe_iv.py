"""Weight of evidence and information value of a binned feature, from the event (label 1) and non-event (label 0)
counts of its bins, with FATE 1.6's formulas:

    event_rate_i     = events_i / total_events            (a total of 0 counts as 1)
    non_event_rate_i = non_events_i / total_non_events
    when a bin has no events or no non-events, both rates use (count + adjustment_factor) instead of count;
    woe_i = ln(event_rate_i / non_event_rate_i),  iv_i = (event_rate_i - non_event_rate_i) * woe_i,  iv = sum iv_i
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass
class BinStatistics:
    event_counts: list[int]
    non_event_counts: list[int]
    event_rates: list[float]
    non_event_rates: list[float]
    woe: list[float]
    iv_per_bin: list[float]
    iv: float

    @property
    def counts(self) -> list[int]:
        return [e + n for e, n in zip(self.event_counts, self.non_event_counts)]

    @property
    def woe_monotonic(self) -> bool:
        steps = np.diff(self.woe)
        return bool(np.all(steps >= 0) or np.all(steps <= 0))


def bin_statistics(event_counts: np.ndarray | list[int], non_event_counts: np.ndarray | list[int],
                   adjustment_factor: float) -> BinStatistics:
    events = [int(e) for e in event_counts]
    non_events = [int(n) for n in non_event_counts]
    total_events = sum(events) or 1
    total_non_events = sum(non_events) or 1
    event_rates, non_event_rates, woe, iv_per_bin = [], [], [], []
    for e, n in zip(events, non_events):
        if e == 0 or n == 0:
            e_rate = (e + adjustment_factor) / total_events
            n_rate = (n + adjustment_factor) / total_non_events
        else:
            e_rate, n_rate = e / total_events, n / total_non_events
        w = math.log(e_rate / n_rate)
        event_rates.append(e_rate)
        non_event_rates.append(n_rate)
        woe.append(w)
        iv_per_bin.append((e_rate - n_rate) * w)
    return BinStatistics(events, non_events, event_rates, non_event_rates, woe, iv_per_bin, float(sum(iv_per_bin)))


def label_counts_per_bin(bins: np.ndarray, labels: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """(events, non-events) in each of `n_bins` bins; labels are 0/1."""
    events = np.bincount(bins, weights=labels, minlength=n_bins).round().astype(np.int64)
    counts = np.bincount(bins, minlength=n_bins).astype(np.int64)
    return events, counts - events
