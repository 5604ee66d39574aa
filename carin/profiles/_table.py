"""The ProfileTable record: a validated frame of measured configurations."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from carin.profiles._columns import KEY_COLUMNS


@dataclass(frozen=True, kw_only=True)
class ProfileTable:
    """Measured configurations, one row each, as returned by :func:`load_profiles`.

    Attributes:
        frame: Key columns hold strings (a missing optional key is ``""``), except
            ``threads`` which is ``int64`` when every row has an integer value;
            every other column is a ``float64`` metric where NaN means "not measured".
        source: Where the table came from (a path or a name), used in error messages.
    """

    frame: pd.DataFrame
    source: str
    _decimals: dict[str, tuple[int, bool]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def decimals(self, column: str) -> tuple[int, bool]:
        """Decimal places a metric column is written with: ``(places, exact)``.

        ``places`` is the fewest at which every value is exactly a decimal (at most
        ``carin._exact.MAX_DECIMALS``); ``exact`` is False when the column holds values
        with more (computed floats), which are then rounded. Cached per column.
        """
        hit = self._decimals.get(column)
        if hit is None:
            from carin._exact import column_decimals

            values = self.frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
            hit = self._decimals[column] = column_decimals(values)
        return hit

    @property
    def key_columns(self) -> list[str]:
        """Key columns present in the table, in canonical order."""
        present = set(self.frame.columns)
        return [c for c in KEY_COLUMNS if c in present]

    @property
    def metric_columns(self) -> list[str]:
        """Numeric non-key columns, in the table's column order."""
        keys = set(KEY_COLUMNS)
        return [
            c
            for c in self.frame.columns
            if c not in keys and pd.api.types.is_numeric_dtype(self.frame[c])
        ]

    def __len__(self) -> int:
        return len(self.frame)
