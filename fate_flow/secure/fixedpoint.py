"""Fixed-point encoding of real numbers as integers for Paillier: x -> round(x * 2**bits).

Encrypted values carry `frac_bits` (default 48) fractional bits; plaintext multipliers carry fewer
(`scalar_bits`, default 20) because every bit of a multiplier is paid for in modular multiplications, while
the bits of an encrypted value cost nothing. Integer multipliers stay exact (0 fractional bits) unless
`scalar_bits` is given.
"""
from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import numpy as np

DEFAULT_FRAC_BITS = 48
DEFAULT_SCALAR_BITS = 20
# multipliers are held as int64 on their way into the multi-exponentiation
MAX_MULTIPLIER_BITS = 62


def as_vector(values: Any, what: str) -> np.ndarray:
    """A 1-D numpy array of `values` (a scalar becomes length 1)."""
    array = np.asarray(values)
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise ValueError(f"{what} must be a scalar or a 1-D array, got shape {array.shape}")
    return array


def _is_integer_array(array: np.ndarray) -> bool:
    return array.dtype == np.bool_ or np.issubdtype(array.dtype, np.integer)


def _encode_scalar(value: Any, bits: int) -> int:
    if isinstance(value, (bool, np.bool_, Integral)):
        return int(value) << bits
    if isinstance(value, Real):
        x = float(value)
        if not math.isfinite(x):
            raise ValueError("cannot encode NaN or infinite values")
        return round(math.ldexp(x, bits))
    raise ValueError(f"cannot encode a value of type {type(value).__name__} as a number")


def encode(values: np.ndarray, bits: int) -> list[int]:
    """Exact integers round(x * 2**bits) (Python ints of any size) for a 1-D array of numbers."""
    if _is_integer_array(values):
        return [int(v) << bits for v in values.tolist()]
    if np.issubdtype(values.dtype, np.floating):
        floats = values.astype(np.float64)
        scaled = np.rint(np.ldexp(floats, bits))
        if not np.isfinite(scaled).all():
            raise ValueError("cannot encode NaN or infinite values" if not np.isfinite(floats).all()
                             else f"a value is too large to encode with {bits} fractional bits")
        if len(scaled) == 0 or np.abs(scaled).max() < 2.0 ** 62:
            return scaled.astype(np.int64).tolist()
        return [int(v) for v in scaled.tolist()]  # float -> int is exact
    if values.dtype == object:
        return [_encode_scalar(v, bits) for v in values.tolist()]
    raise ValueError(f"cannot encode values of dtype {values.dtype} as numbers")


def multiplier_bits(values: np.ndarray, scalar_bits: int | None) -> int:
    """Fractional bits for plaintext multipliers: `scalar_bits` if given, else 0 for integers and
    DEFAULT_SCALAR_BITS for floats."""
    if scalar_bits is not None:
        if not 0 <= scalar_bits <= MAX_MULTIPLIER_BITS:
            raise ValueError(f"scalar_bits must be between 0 and {MAX_MULTIPLIER_BITS}, got {scalar_bits}")
        return int(scalar_bits)
    if _is_integer_array(values) or (values.dtype == object
                                     and all(isinstance(v, Integral) for v in values.ravel().tolist())):
        return 0
    return DEFAULT_SCALAR_BITS


def encode_multipliers(values: np.ndarray, bits: int) -> np.ndarray:
    """int64 array of round(w * 2**bits); ValueError if a multiplier needs more than 62 bits."""
    limit = 2 ** MAX_MULTIPLIER_BITS
    if _is_integer_array(values) or values.dtype == object:
        ints = encode(values.ravel(), bits)
        if ints and max(abs(v) for v in ints) >= limit:
            raise ValueError(f"a multiplier is too large: |w| * 2**{bits} must stay below 2**{MAX_MULTIPLIER_BITS}")
        return np.array(ints, dtype=np.int64).reshape(values.shape)
    if not np.issubdtype(values.dtype, np.floating):
        raise ValueError(f"cannot use values of dtype {values.dtype} as multipliers")
    floats = values.astype(np.float64)
    if not np.isfinite(floats).all():
        raise ValueError("cannot multiply by NaN or infinite values")
    scaled = np.rint(np.ldexp(floats, bits))
    if scaled.size and np.abs(scaled).max() >= limit:
        raise ValueError(f"a multiplier is too large: |w| * 2**{bits} must stay below 2**{MAX_MULTIPLIER_BITS}")
    return scaled.astype(np.int64)


def magnitude_bits(ints: list[int] | np.ndarray) -> int:
    """Bits of the largest magnitude (0 for an empty or all-zero input)."""
    if isinstance(ints, np.ndarray):
        return int(np.abs(ints).max()).bit_length() if ints.size else 0
    return max((abs(v) for v in ints), default=0).bit_length()
