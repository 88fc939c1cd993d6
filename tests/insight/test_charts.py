"""The SVG charts' geometry, labels and CSV rows, from hand-made monthly figures."""

from django.utils import translation
from django.utils.translation import gettext

from insight import charts
from insight.kpis import Figures, MonthFigures

MONTHS = [MonthFigures(month=(2026, month), figures=Figures(incidents=month - 1, ack_median=60.0 * month,
                                                            ack_p90=90.0 * month if month > 6 else None))
          for month in range(1, 13)]


def test_bars_scale_to_a_round_top_and_the_target_line():
    chart = charts.build(charts.SPEC_BY_KEY["acknowledge"], MONTHS, target=15)
    assert len(chart.bars) == 24 and len(chart.rows) == 12
    # the largest value is December's p90: 18 minutes; the axis tops at 20 in five steps of 4
    assert [tick.text for tick in chart.ticks] == ["0", "4", "8", "12", "16", "20"]
    december_p90 = chart.bars[-1]
    assert december_p90.height == round(charts.PLOT_HEIGHT * 18 / 20, 1)
    assert december_p90.y + december_p90.height == charts.TOP + charts.PLOT_HEIGHT
    assert chart.bars[1].height == 0.0  # January has no p90: no bar, "—" in the table
    assert chart.target_y == round(charts.TOP + charts.PLOT_HEIGHT * (1 - 15 / 20), 1)


def test_table_and_labels_in_dutch():
    with translation.override("nl"):
        chart = charts.build(charts.SPEC_BY_KEY["acknowledge"], MONTHS)
        # the series and unit from the catalog (Dutch once TRANSLATIONS-kpi.txt is merged)
        expected = f"december 2026, {gettext('90th percentile')}: 18,0 {gettext('minutes')}"
    assert chart.rows[0].label == "januari 2026" and chart.rows[0].cells == ("1,0", "—")
    assert chart.rows[-1].cells == ("12,0", "18,0")
    assert chart.labels[0].text == "jan 2026" and chart.labels[2].text == "mrt"
    assert chart.bars[-1].text == expected


def test_counts_have_whole_number_ticks_and_csv_rows_are_plain():
    chart = charts.build(charts.SPEC_BY_KEY["incidents"], MONTHS[:3])
    assert [tick.text for tick in chart.ticks] == ["0", "1", "2", "3", "4", "5"]
    assert charts.csv_rows(chart) == [["month", "incidents"], ["2026-01", "0"], ["2026-02", "1"], ["2026-03", "2"]]
    resolve = charts.build(charts.SPEC_BY_KEY["resolve"], [MonthFigures((2026, 1), Figures(ttr_median=5400.0))])
    assert charts.csv_rows(resolve)[1] == ["2026-01", "1.5", ""]
