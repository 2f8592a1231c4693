"""Training that runs away, and input a linear model cannot use, told to the user in their terms: which
component, which party, which iteration, and which parameter to change, instead of the arithmetic error the
encrypted computations would raise a little later (a fixed-point multiplier out of range, a NaN).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from fate_flow.entity.errors import DataError

# a logistic model's score is useless beyond ~40 (the sigmoid is 0 or 1 in double precision); a partial score
# this large means the weights are running away, long before the fixed-point encoding (about 2**46) overflows
SCORE_LIMIT = 1e6
# feature values beyond this cannot be multiplied exactly in the encrypted gradient sums (2**46 / 2**16 bits)
FEATURE_LIMIT = 2.0 ** 40


class TrainingDiverged(DataError):
    """The weights of a linear model ran away during training."""


def check_features(component: str, role: str, party_id: str, key: str, header: Sequence[str], ids: Sequence,
                   features: np.ndarray) -> None:
    """DataError naming the feature and a row when the input holds NaN, infinite or enormous values."""
    if features.size == 0:
        return
    bad = ~np.isfinite(features)
    if bad.any():
        rows, cols = np.nonzero(bad)
        names = list(dict.fromkeys(header[c] for c in cols))
        raise DataError(f"{component}: {key} of {role} {party_id} has NaN or infinite values in feature "
                        f"{', '.join(names[:5])}{' ...' if len(names) > 5 else ''} ({int(bad.sum())} values, first at "
                        f"id {ids[rows[0]]}); fill them in DataIO (missing_fill, missing_fill_method) or leave "
                        f"those rows out")
    peak = np.abs(features)
    if peak.max() > FEATURE_LIMIT:
        row, col = np.unravel_index(int(peak.argmax()), peak.shape)
        raise DataError(f"{component}: {key} of {role} {party_id} has feature {header[col]} = "
                        f"{features[row, col]:.3g} at id {ids[row]}, too large for the encrypted computations "
                        f"(at most {FEATURE_LIMIT:.3g}); scale the features first (FeatureScale)")


def check_training(component: str, role: str, party_id: str, iteration: int, learning_rate: float,
                   **values: np.ndarray) -> None:
    """TrainingDiverged when a partial score (`scores`), a gradient or the weights of this party are no
    longer finite, or the scores left any useful range. `values`: name -> array, e.g. scores=wx."""
    for name, array in values.items():
        array = np.asarray(array, dtype=np.float64)
        if array.size == 0:
            continue
        finite = bool(np.isfinite(array).all())
        peak = float(np.abs(array[np.isfinite(array)]).max()) if np.isfinite(array).any() else float("inf")
        if finite and (name != "scores" or peak <= SCORE_LIMIT):
            continue
        what = (f"its {name.replace('_', ' ')} are no longer finite" if not finite else
                f"its partial scores w.x reached {peak:.3g} (a logistic model needs them below ~40)")
        raise TrainingDiverged(
            f"{component}: training diverged at {role} {party_id} in iteration {iteration}: {what}; lower "
            f"learning_rate (now {learning_rate:g}), or scale the features first (FeatureScale)")
