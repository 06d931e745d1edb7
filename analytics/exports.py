"""The dashboard as CSV: the same numbers, one block per chart, separated by a blank row."""

from __future__ import annotations

import csv
import io

from analytics.selectors import Dashboard


def _text(value: str) -> str:
    """Spreadsheets run a cell that starts with = + - @ as a formula; titles are typed by people."""
    return f"'{value}" if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{100 * rate:.1f}"


def dashboard_csv(data: Dashboard) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    window = data.window
    w.writerow(["Syllabus analytics", f"{window.start.isoformat()} to {window.end.isoformat()} (end excluded, UTC)"])
    w.writerow([])
    w.writerow(["Funnel step", "Events", "Conversion from previous step (%)"])
    for step in data.funnel:
        w.writerow([step.label, step.count, _percent(step.rate)])
    w.writerow(["Overall (subscribed / signed up)", "", _percent(data.overall_conversion)])
    w.writerow([])
    w.writerow(["Plan (subscription_started)", "Events"])
    for plan in data.plans:
        w.writerow([plan.plan or "(none)", plan.count])
    w.writerow([])
    w.writerow(["MRR now (USD)", f"{data.mrr:.2f}"])
    w.writerow([])
    w.writerow(["Module", "Published", "Learners started", "Learners completed", "Completion (%)"])
    for module in data.completion:
        w.writerow(
            [
                _text(module.title),
                "yes" if module.published else "no",
                module.users_started,
                module.users_completed,
                _percent(module.rate),
            ]
        )
    w.writerow([])
    w.writerow(
        ["Date", "Sign-ups", "Onboarded", "Activated", "Saw paywall", "Subscribed", "Active learners", "MRR (USD)"]
    )
    for day in data.days:
        c = day.counts
        w.writerow(
            [
                day.day.isoformat(),
                c.get("signups", 0),
                c.get("onboarded", 0),
                c.get("activated", 0),
                c.get("saw_paywall", 0),
                c.get("converted", 0),
                day.active_learners,
                "" if day.mrr is None else f"{day.mrr:.2f}",
            ]
        )
    return out.getvalue()
