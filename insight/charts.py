"""Server-rendered SVG charts of the KPI trend: geometry here, drawing in a template.

No front-end build and no inline style (the CSP forbids it): the template draws ``<rect>``
and ``<line>`` elements from these numbers and colours them by class from
``static/console/insight.css``. Every chart carries the rows of its accessible table and
of its CSV download, so the picture, the table and the file can never disagree.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from core.formatting import active_language, format_moment
from insight.kpis import Figures, MonthFigures

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 12, 36
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
TICKS = 5  # with a top of 1, 2 or 5 × 10^n every step is a round number

Value = Callable[[Figures], float | None]


@dataclass(frozen=True)
class Series:
    code: str  # the CSV column
    label: object  # translatable
    value: Value


@dataclass(frozen=True)
class Spec:
    key: str
    title: object
    unit: object
    series: tuple[Series, ...]
    decimals: int = 0


def _minutes(name: str) -> Value:
    return lambda figures: None if getattr(figures, name) is None else getattr(figures, name) / 60


def _hours(name: str) -> Value:
    return lambda figures: None if getattr(figures, name) is None else getattr(figures, name) / 3600


SPECS = (
    Spec("incidents", _("Incidents per month"), _("incidents"),
         (Series("incidents", _("Incidents"), lambda f: f.incidents),)),
    Spec("acknowledge", _("Time to acknowledge"), _("minutes"),
         (Series("median_minutes", _("Median"), _minutes("ack_median")),
          Series("p90_minutes", _("90th percentile"), _minutes("ack_p90"))), decimals=1),
    Spec("cadence", _("Updates on time"), "%",
         (Series("on_time_percent", _("Updates on time"), lambda f: f.on_time_percent),), decimals=1),
    Spec("resolve", _("Time to resolve"), _("hours"),
         (Series("median_hours", _("Median"), _hours("ttr_median")),
          Series("p90_hours", _("90th percentile"), _hours("ttr_p90"))), decimals=1),
    Spec("deliveries", _("Failed deliveries"), _("deliveries"),
         (Series("deliveries_failed", _("Failed deliveries"), lambda f: f.deliveries_failed),)),
)
SPEC_BY_KEY = {spec.key: spec for spec in SPECS}


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    text: str  # the value, for the bar's <title>


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class Label:
    x: float
    text: str


@dataclass(frozen=True)
class Row:
    month: tuple[int, int]
    label: str
    cells: tuple[str, ...]  # formatted for the page
    raw: tuple[float | None, ...]  # for the CSV


@dataclass(frozen=True)
class Chart:
    key: str
    title: object
    unit: object
    series: tuple[Series, ...]
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    labels: tuple[Label, ...]
    rows: tuple[Row, ...]
    target_y: float | None = None
    target_text: str = ""
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    base_y: int = TOP + PLOT_HEIGHT

    @property
    def empty(self) -> bool:
        return not any(value for row in self.rows for value in row.raw)


def number(value: float | Decimal | None, decimals: int = 0) -> str:
    """A value as the page writes it ("—" for none), with the active language's decimal sign."""
    if value is None:
        return "—"
    return number_format(round(float(value), decimals), decimals, use_l10n=True)


def _ceiling(largest: float) -> float:
    """A round top for the axis (1, 2 or 5 × 10^n) at or above the largest value."""
    if largest <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(largest))
    for step in (1, 2, 5, 10):
        if step * magnitude >= largest:
            return step * magnitude
    return 10 * magnitude


def build(spec: Spec, months: list[MonthFigures], *, target: float | None = None) -> Chart:
    """The chart of ``spec`` over ``months``; ``target`` draws a dashed line (e.g. the contract's minutes)."""
    values = [[series.value(month.figures) for series in spec.series] for month in months]
    floor = float(TICKS) if spec.decimals == 0 else 0.0  # counts: whole-number ticks
    top = _ceiling(max([value for row in values for value in row if value is not None] + [target or 0.0, floor]))
    group = PLOT_WIDTH / max(len(months), 1)
    bar_width = group * 0.7 / len(spec.series)
    bars, labels, rows = [], [], []
    for index, (month, row) in enumerate(zip(months, values, strict=True)):
        left = LEFT + index * group + group * 0.15
        for position, value in enumerate(row):
            height = 0.0 if value is None else PLOT_HEIGHT * float(value) / top
            bars.append(Bar(x=round(left + position * bar_width, 1), y=round(TOP + PLOT_HEIGHT - height, 1),
                            width=round(bar_width - 1, 1), height=round(height, 1), series=position,
                            text=f"{format_moment(month.first_day, 'month')}, {spec.series[position].label}: "
                                 f"{number(value, spec.decimals)} {spec.unit}"))
        short = format_moment(month.first_day, ("b" if active_language() == "nl" else "M") + ("" if index else " Y"))
        labels.append(Label(x=round(LEFT + index * group + group / 2, 1), text=short))
        rows.append(Row(month=month.month, label=format_moment(month.first_day, "month"),
                        cells=tuple(number(value, spec.decimals) for value in row), raw=tuple(row)))
    step_size = top / TICKS
    tick_decimals = 0 if step_size >= 1 else max(0, -math.floor(math.log10(step_size)))
    ticks = tuple(Tick(y=round(TOP + PLOT_HEIGHT - PLOT_HEIGHT * step / TICKS, 1),
                       text=number(step_size * step, tick_decimals)) for step in range(TICKS + 1))
    target_y = None if target is None else round(TOP + PLOT_HEIGHT - PLOT_HEIGHT * target / top, 1)
    return Chart(key=spec.key, title=spec.title, unit=spec.unit, series=spec.series, bars=tuple(bars), ticks=ticks,
                 labels=tuple(labels), rows=tuple(rows), target_y=target_y,
                 target_text=number(target, 0) if target is not None else "")


def all_charts(months: list[MonthFigures], *, ack_target_minutes: int | None) -> list[Chart]:
    """Every trend chart; the acknowledgment chart shows the contract's target when one applies to all."""
    return [build(spec, months, target=ack_target_minutes if spec.key == "acknowledge" else None)
            for spec in SPECS]


def csv_rows(chart: Chart) -> list[list[str]]:
    """Header of codes, then one line per month (ISO ``YYYY-MM``, plain decimals): read by tools in any language."""
    header = ["month", *(series.code for series in chart.series)]
    lines = [[f"{row.month[0]:04d}-{row.month[1]:02d}",
              *("" if value is None else f"{float(value):.2f}".rstrip("0").rstrip(".") for value in row.raw)]
             for row in chart.rows]
    return [header, *lines]
