"""The protocol's ``outcomes`` section: the trial's own week-16 window, confirmation interval, evaluability
and PFS-ratio threshold, with defaults from the published sources and one-line errors for bad values."""

from __future__ import annotations

import pytest

from oncobasket.core.errors import ProtocolError
from oncobasket.core.outcomes import OutcomeSettings
from oncobasket.core.recist import ResponseSettings
from oncobasket.core.tumour_types import TumourTypes
from oncobasket.io.oncotree import load_shipped_tumour_types
from oncobasket.io.protocol_file import parse_protocol
from test_protocol_file import MINIMAL


@pytest.fixture(scope="module")
def tumour_types() -> TumourTypes:
    return load_shipped_tumour_types()


def test_without_the_section_the_published_defaults_apply(tumour_types: TumourTypes) -> None:
    protocol = parse_protocol(MINIMAL, source="p.yaml", tumour_types=tumour_types)
    assert protocol.response_settings == ResponseSettings()
    assert (protocol.response_settings.week16_window_start_day, protocol.response_settings.week16_window_end_day) == (
        98,
        126,
    )
    assert protocol.outcome_settings == OutcomeSettings()


def test_a_trial_sets_its_own_window_and_thresholds(tumour_types: TumourTypes) -> None:
    text = MINIMAL + (
        "outcomes:\n"
        "  source: Danish sister trial protocol\n"
        "  week16_window_start_day: 105\n"
        "  week16_window_end_day: 119\n"
        "  confirmation_min_days: 35\n"
        "  oral_minimum_days: 21\n"
        "  pfs_ratio_threshold: 1.5\n"
    )
    protocol = parse_protocol(text, source="p.yaml", tumour_types=tumour_types)
    assert protocol.response_settings.week16_window_start_day == 105
    assert protocol.response_settings.week16_window_end_day == 119
    assert protocol.response_settings.confirmation_min_days == 35
    assert protocol.outcome_settings.oral_minimum_days == 21
    assert protocol.outcome_settings.pfs_ratio_threshold == 1.5


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("  week16_window_start_day: 98\n", "missing required key 'source'"),
        ("  source: x\n  week16_windw_end_day: 120\n", "unknown key 'week16_windw_end_day'"),
        ("  source: x\n  week16_target_day: 140\n", "inside its window"),
        ("  source: x\n  sd_min_days: six weeks\n", "expected a whole number"),
        ("  source: x\n  oral_minimum_days: 0\n", "expected a whole number >= 1"),
    ],
)
def test_bad_values_name_the_line_and_key(tumour_types: TumourTypes, section: str, message: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(MINIMAL + "outcomes:\n" + section, source="p.yaml", tumour_types=tumour_types)
    text = str(caught.value)
    assert message in text
    assert text.startswith("p.yaml:")
    assert "outcomes" in text
