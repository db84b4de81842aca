"""Swedish and English on the pages: the language chosen, and numbers, money and
moments written as each reads them, in the network's time zone."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.api.demand.amounts import Measure
from services.api.web import i18n
from shared.contracts.runs import STAGES
from shared.formatting import percent, short_day

WINTER = dt.datetime(2026, 12, 1, 7, 41, tzinfo=dt.UTC)  # 08:41 in Sweden


@pytest.mark.parametrize(
    ("cookie", "accept", "chosen"),
    [
        (None, None, "sv"),
        (None, "en-GB,en;q=0.9,sv;q=0.5", "en"),
        (None, "de-DE,de;q=0.9", "sv"),
        (None, "sv-SE", "sv"),
        ("en", "sv-SE", "en"),  # the switch wins
        ("xx", "en", "en"),  # an unknown cookie is ignored
    ],
)
def test_the_language_is_the_switch_then_the_browser_then_swedish(
    cookie: str | None, accept: str | None, chosen: str
) -> None:
    assert i18n.choose(cookie, accept) == chosen


def test_every_swedish_message_keeps_the_placeholders_of_its_english() -> None:
    for english, swedish in i18n.catalogue("sv").items():
        assert sorted(part.split("}")[0] for part in english.split("{")[1:]) == sorted(
            part.split("}")[0] for part in swedish.split("{")[1:]
        ), english


def test_money_and_numbers_read_as_each_language_writes_them() -> None:
    assert i18n.kronor(123450, "sv") == "1\u00a0234,50 kr"
    assert i18n.kronor(123400, "en") == "1,234 kr"
    assert i18n.number(-0.2, "sv") == "0"  # never "-0"


def test_moments_are_shown_in_the_networks_time_zone() -> None:
    assert i18n.when(WINTER, "sv", "Europe/Stockholm") == "tis 1 dec. 08:41"
    assert i18n.when(WINTER, "en", "Europe/Stockholm") == "Tue 1 Dec 08:41"
    local = WINTER.astimezone(ZoneInfo("Europe/Stockholm"))
    assert i18n.when(local, "sv") == "tis 1 dec. 08:41"  # the value's own zone
    assert i18n.when(None, "sv") == "-"


KILO = Measure.of("kg", 1000, 1500)
HALF_KILO = Measure.of("kg", 500, 600)  # cheese in 500 g units
HECTOGRAM = Measure.of("kg", 100, 120)
LITRE = Measure.of("l", 1030, 1000)
HALF_LITRE = Measure.of("l", 520, 500)  # juice in 500 ml bottles
PIECE = Measure.of("piece", 62, 80)


@pytest.mark.parametrize(
    ("units", "measure", "sv", "en"),
    [
        (3, HALF_KILO, "1,5 kg", "1.5 kg"),
        (2, HALF_KILO, "1 kg", "1 kg"),
        (1, HALF_KILO, "0,5 kg", "0.5 kg"),
        (7, HECTOGRAM, "0,7 kg", "0.7 kg"),
        (25, HECTOGRAM, "2,5 kg", "2.5 kg"),
        (3, HALF_LITRE, "1,5 l", "1.5 l"),
        (3, LITRE, "3 l", "3 l"),
        (1200, KILO, "1 200 kg", "1,200 kg"),
        (20, PIECE, "20 st", "20 pcs"),
        (2500, HALF_KILO, "1 250 kg", "1,250 kg"),
        (0, HALF_KILO, "0 kg", "0 kg"),
    ],
)
def test_quantities_count_the_units_size_in_the_readers_number_format(
    units: int, measure: Measure, sv: str, en: str
) -> None:
    # a no-break space between the number and its unit, and Swedish thousands
    assert i18n.quantity(units, measure, "sv") == sv.replace(" ", "\u00a0")
    assert i18n.quantity(units, measure, "en") == en.replace(" ", "\u00a0")


def test_a_quantity_is_refused_without_its_products_size() -> None:
    with pytest.raises(TypeError):
        i18n.quantity(3, "kg", "sv")  # type: ignore[arg-type]
    assert i18n.quantity(3, None, "sv") == "3"  # a product no longer known: its bare number


def test_measured_figures_carry_their_unit_in_the_readers_words() -> None:
    assert i18n.measured(1200, "kg", "sv") == "1\u00a0200\u00a0kg"
    assert i18n.measured(2.5, "l", "sv", 1) == "2,5\u00a0l"
    assert i18n.measured(12.25, "km", "en", 1) == "12.2\u00a0km"
    assert i18n.unit("piece", "sv") == "st"


def test_percentages_and_days_read_as_each_language_writes_them() -> None:
    assert percent(57, "sv") == "57\u00a0%"
    assert percent(57.4, "en") == "57%"
    assert short_day(dt.date(2026, 12, 7), "sv") == "mån 7 dec."
    assert short_day(dt.date(2026, 12, 7), "en") == "Mon 7 Dec"


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_stage_of_a_run_has_a_name(language: str) -> None:
    names = {stage: i18n.catalogue(language).get("stage:" + stage) for stage in STAGES}
    assert None not in names.values(), names
    assert len(set(names.values())) == len(STAGES)


def test_the_api_negotiates_by_quality_and_defaults_to_what_it_is_told() -> None:
    assert i18n.negotiate("en;q=0.3, sv;q=0.8", "en") == "sv"
    assert i18n.negotiate("sv-FI", "en") == "sv"
    assert i18n.negotiate("", "en") == "en"
    assert i18n.negotiate("x" * 5000, "en") == "en"


def test_a_translation_that_does_not_fit_its_values_falls_back_to_english() -> None:
    assert i18n.translate("sv", "no such run") == "körningen finns inte"
    assert i18n.translate("sv", "unknown {x}", {"x": 1}) == "unknown 1"


TEMPLATES = Path(i18n.__file__).parents[1] / "templates"
# _("…") or _('…') with a whole literal (not "prefix:" ~ value)
MESSAGE = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*[,)]""")


@pytest.mark.parametrize(
    "template",
    sorted([*TEMPLATES.glob("web/*.html"), *TEMPLATES.glob("documents/*.html")]),
    ids=lambda path: f"{path.parent.name}/{path.name}",
)
def test_every_message_a_template_writes_has_its_swedish(template: Path) -> None:
    swedish = i18n.catalogue("sv")
    written = {double or single for double, single in MESSAGE.findall(template.read_text())}
    assert sorted(written - set(swedish)) == []
