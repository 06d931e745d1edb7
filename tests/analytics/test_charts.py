from datetime import date, timedelta
from decimal import Decimal

from analytics.charts import hbar_chart, paired_hbar_chart, time_chart


def test_bars_carry_their_exact_values_and_labels_are_escaped():
    svg = hbar_chart([("<script>", 1234, "50.0%"), ("Two", 0, "")], label="Funnel & more")
    assert svg.startswith('<svg class="chart"') and 'aria-label="Funnel &amp; more"' in svg
    assert "&lt;script&gt;" in svg and "<script>" not in svg
    assert "<title>&lt;script&gt;: 1,234 · 50.0%</title>" in svg
    assert 'width="0.0"' in svg or 'width="0"' in svg  # a zero is drawn as nothing, not as a sliver


def test_time_chart_columns_line_and_gaps():
    days = [date(2026, 3, 1) + timedelta(i) for i in range(3)]
    columns = time_chart(list(zip(days, [3, 0, 7], strict=True)), label="Sign-ups")
    assert columns.count('<rect class="bar"') == 3 and "<title>2026-03-03: 7</title>" in columns
    assert ">8<" in columns and ">4<" in columns and ">0<" in columns  # a round axis maximum above 7, and its half
    line = time_chart(
        list(zip(days, [Decimal("49"), None, Decimal("82.25")], strict=True)), label="MRR", kind="line", money=True
    )
    assert line.count("<circle") == 2 and "<title>2026-03-03: $82.25</title>" in line
    assert "Mar 1, 2026" in line and "Mar 3, 2026" in line


def test_empty_charts_say_so():
    assert "No data in this range" in hbar_chart([], label="x")
    assert "No data in this range" in time_chart([(date(2026, 3, 1), None)], label="x")
    assert "No modules with lessons yet" in paired_hbar_chart([], label="x", legend=("a", "b"))
