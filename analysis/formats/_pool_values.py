"""The values of a pool file's pair columns, checked before they become a NegativeSet.

A pool file is NegLens's own, but it can be written by other tools or edited: a ``score``
column of strings, an infinite score, a rank that is no integer or a label that is not 0/1
would otherwise be coerced to NaN or overflow quietly (``NegativeSet`` coerces scores to
float32). Each such row is skipped and reported as ``Skip(file, row, 'field "score": ...')``
with its value; NaN stays what a pool means by it, an unknown score.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.formats._read import FLOAT32_MAX, short_value
from analysis.model import OPTIONAL_FLOAT_COLUMNS, DataError, Skip

MAX_RANK = 2**31 - 1


def check_values(pairs: pd.DataFrame, path: Path) -> tuple[np.ndarray | None, list[Skip]]:
    """(mask of the rows to keep, or None when all are good; one Skip per bad row)."""
    bad = np.zeros(len(pairs), dtype=bool)
    reasons: dict[int, str] = {}
    for column in ("score", *OPTIONAL_FLOAT_COLUMNS, "rank", "label"):
        if column not in pairs:
            continue
        raw = pairs[column]
        if column == "label" and isinstance(raw.dtype, pd.CategoricalDtype):
            raw = raw.astype(object)
        number = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        present = raw.notna().to_numpy()
        if column in ("rank", "label"):
            wrong = ~np.isfinite(number) | (number != np.floor(number))
            wrong |= (number < 0) | (number > (1 if column == "label" else MAX_RANK))
            wrong &= present | (column == "label")
            what = "a label 0 or 1" if column == "label" else f"an integer rank in 0..{MAX_RANK}"
        else:
            wrong = present & (np.isnan(number) | np.isinf(number) | (np.abs(number) > FLOAT32_MAX))
            what = "a finite number within float32 range (NaN = unknown)"
        for row in np.flatnonzero(wrong & ~bad).tolist():
            reasons[row] = f'field "{column}": expected {what}, got {short_value(_item(raw, row))}'
        bad |= wrong
    if not bad.any():
        return None, []
    if bad.all():
        first = min(reasons)
        raise DataError(f"no pair has usable values ({len(reasons)} rows); first problem: "
                        f"{reasons[first]}", file=str(path), line=first + 1)
    skips = [Skip(str(path), row + 1, reasons[row]) for row in sorted(reasons)]
    return ~bad, skips


def _item(values: pd.Series, row: int):
    value = values.iloc[row]
    return value.item() if hasattr(value, "item") else value
