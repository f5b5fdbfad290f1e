"""The privacy step of ``Strategy.fit``: roles, generated columns and frame protections.

:func:`prepare` decides each column's role (:func:`synthkit.privacy.detect_roles`
plus the user's ``roles``), sets the identifier / PII columns aside with a
generator that learned only their format (``privacy="standard"``), and applies
:func:`synthkit.privacy.protect_frame` to the rest. With ``privacy="off"`` the
table is modelled as it is and a warning names any identifier / PII column.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import DataError, SpecError
from ..schema import column_label
from ._generated import GeneratedColumn, generated_column

__all__ = ["PreparedFit", "prepare"]


@dataclass
class PreparedFit:
    """What the strategy fits (``frame``) and what it generates (``generated``)."""

    frame: pd.DataFrame
    roles: dict[str, Any]
    generated: list[GeneratedColumn]
    records: list[dict]
    policy: Any

    def summary(self, protections: list[dict]) -> dict[str, Any]:
        """The ``privacy`` entry of the model document: policy, generated columns, protections."""
        return {
            "policy": self.policy.to_dict(),
            "generated": [{"column": g.name, "role": g.column.role,
                           "type": getattr(g.generator, "pii_type", None),
                           "reason": g.column.role_reason} for g in self.generated],
            "protections": protections,
        }


def prepare(frame: pd.DataFrame, policy: Any, roles: dict[str, str] | None,
            locale: str | None) -> PreparedFit:
    """Split ``frame`` (checked) into modelled and generated columns and protect the former."""
    from ..privacy import detect_roles, protect_frame

    names = [str(c) for c in frame.columns]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise DataError(f"the table has duplicate column names once its labels are read as text: {dup}; "
                        "rename the columns, e.g. df.columns = [f'c{i}' for i in range(df.shape[1])]")
    decisions = detect_roles(frame, roles)
    sensitive = [c for c, n in zip(frame.columns, names, strict=True)
                 if decisions[n].role in ("identifier", "pii")]
    if policy.mode == "off":
        if sensitive:
            warnings.warn(
                f"privacy='off' models the identifier/PII column(s) {[str(c) for c in sensitive]} as "
                "ordinary data: their real values are stored in the model and copied into samples; "
                "use privacy='standard' (the default) to generate them instead",
                UserWarning, stacklevel=4)
        return PreparedFit(frame, decisions, [], [], policy)
    if len(sensitive) == frame.shape[1]:
        raise SpecError(
            f"every column of the table is an identifier or PII column ({names}); there is nothing "
            "to model: declare the role of the ordinary ones with roles={column: 'ordinary'}")
    generated = [
        generated_column(frame[c].rename(str(c)), decisions[str(c)], j, min_count=policy.min_count,
                         locale=locale, label=column_label(c))
        for j, c in enumerate(frame.columns) if c in sensitive
    ]
    modelled, records = protect_frame(frame.drop(columns=sensitive), policy)
    return PreparedFit(modelled, decisions, generated, records, policy)
