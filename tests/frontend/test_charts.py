"""Server-side SVG charts: shapes, whole-number axes for counts, gaps, escaping."""

from __future__ import annotations

from frontend.charts import Series, bar_chart, line_chart


def test_bar_chart_draws_one_bar_per_value_with_escaped_labels() -> None:
    svg = bar_chart(["<script>", "b"], [3, 7], title="Per <stage>")
    assert svg.count("<rect") == 2
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'aria-label="Per &lt;stage&gt;"' in svg
    # Counts get whole-number ticks.
    assert ".5<" not in svg and ">12<" in svg


def test_line_chart_breaks_at_gaps() -> None:
    svg = line_chart(["w1", "w2", "w3"], [Series("x", [1.0, None, 3.0])], title="t", unit=" h")
    assert svg.count("<circle") == 2
    assert svg.count("<polyline") == 2  # the gap splits the line


def test_empty_charts_still_render() -> None:
    assert "<svg" in bar_chart([], [], title="nothing")
    assert "<svg" in line_chart([], [], title="nothing")
