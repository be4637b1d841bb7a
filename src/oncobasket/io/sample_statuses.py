"""Per-sample status columns of a MAF: mutational signatures and MMR / MSI status.

MatchMiner's genomic documents carry them per sample (APOBEC_STATUS, POLE_STATUS, TABACCO_STATUS,
TEMOZOLOMIDE_STATUS, UVA_STATUS, MMR_STATUS; matchengine-V2 configuration), and CTML trials ask for them
(``apobec_signature: Yes``, ``mmr_status: MMR-Deficient``; docs/ctml.md). A MAF repeats the sample's
value on each of its rows; the reader keeps one value per sample.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from oncobasket.core.errors import FormatError
from oncobasket.core.profiles import Msi, MsiStatus

#: status columns (lower case) and the CTML key each answers; MatchMiner's spelling TABACCO_STATUS too.
STATUS_COLUMNS: Mapping[str, str] = {
    "apobec_status": "apobec_signature",
    "apobec_signature": "apobec_signature",
    "pole_status": "pole_signature",
    "pole_signature": "pole_signature",
    "tabacco_status": "tobacco_signature",
    "tobacco_status": "tobacco_signature",
    "tobacco_signature": "tobacco_signature",
    "temozolomide_status": "temozolomide_signature",
    "temozolomide_signature": "temozolomide_signature",
    "uva_status": "uva_signature",
    "uva_signature": "uva_signature",
    "mmr_status": "mmr_status",
    "msi_status": "mmr_status",
}
_MMR = "mmr_status"
#: MMR / MSI values (matchengine-V2's MMR_STATUS values and its CTML spellings) and the MSI status they give.
MMR_STATUSES: Mapping[str, MsiStatus] = {
    "deficient (mmr-d / msi-h)": MsiStatus.MSI_H,
    "mmr-deficient": MsiStatus.MSI_H,
    "deficient": MsiStatus.MSI_H,
    "msi-h": MsiStatus.MSI_H,
    "proficient (mmr-p / mss)": MsiStatus.MSS,
    "mmr-proficient": MsiStatus.MSS,
    "proficient": MsiStatus.MSS,
    "mss": MsiStatus.MSS,
    "msi-l": MsiStatus.MSS,
}


def status_columns(columns: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """(column as written, CTML key) of the header's status columns (case does not matter)."""
    return tuple((name, STATUS_COLUMNS[name.lower()]) for name in columns if name.lower() in STATUS_COLUMNS)


@dataclass(slots=True)
class SampleStatuses:
    """One sample's statuses, by CTML key."""

    values: dict[str, str] = field(default_factory=dict)

    def read(self, cells: Iterable[tuple[str, str, str]], source: str, line: int) -> None:
        """Add a row's (column, key, value) cells; an unknown MMR value, or a value that differs from
        the sample's earlier rows, is a :class:`FormatError` naming the line and column."""
        for column, key, value in cells:
            if key == _MMR and value.lower() not in MMR_STATUSES:
                raise FormatError(
                    f"'{value}' is not an MMR/MSI status",
                    source=source,
                    line=line,
                    field=column,
                    fix="write MMR-Deficient, MMR-Proficient, MSI-H, MSI-L or MSS",
                )
            known = self.values.setdefault(key, value)
            if known.lower() != value.lower():
                raise FormatError(
                    f"the sample has '{known}' and '{value}' in {column}",
                    source=source,
                    line=line,
                    field=column,
                    fix="give each sample one value in its rows",
                )

    def msi(self) -> Msi | None:
        """The MMR / MSI column as the profile's MSI result (no site counts: the laboratory's call)."""
        value = self.values.get(_MMR)
        return None if value is None else Msi(None, None, None, MMR_STATUSES[value.lower()])

    def signatures(self) -> dict[str, str]:
        return {key: value for key, value in self.values.items() if key != _MMR}
