"""The HTML report's section on the estimated share of false negatives, from the review store.

One row for all negatives and one per strategy's selection (``analysis.false_negatives.estimate
.dataset_estimate``): the estimated share, its 95% interval, the count, the verdicts used and
how many of them were the queue's random draws; with too few draws the row says so instead of
a number. Every text goes through ``html.escape``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping


def estimate_section(store, pool, selections: Mapping) -> list[str]:
    """HTML fragments: a heading, what the numbers are, and the table."""
    from analysis.false_negatives.estimate import (
        MIN_DRAWS,
        STORED_ESTIMATOR,
        dataset_estimate,
    )

    groups = [("all negatives", None), *((f"selection of {n}", s) for n, s in selections.items())]
    rows = []
    for name, selection in groups:
        est = dataset_estimate(store, pool, selection)
        head = f"<tr><th>{html.escape(name)}</th><td>{est['population']:,}</td>"
        used = f"<td>{est['verdicts']:,}</td><td>{est['draws']:,}</td>"
        if not est["enough"]:
            rows.append(f"{head}<td class='text' colspan='3'>no estimate yet: {est['draws']} of "
                        f"{MIN_DRAWS} random draws needed</td>{used}</tr>")
            continue
        caveat = "" if est["hits"] else " (no draw was a false negative: upper end not reliable)"
        rows.append(f"{head}<td>{est['share']:.1%}</td><td>{est['low']:.1%} to {est['high']:.1%}{caveat}</td>"
                    f"<td>{est['count']:,.0f} ({est['count_low']:,.0f} to {est['count_high']:,.0f})</td>"
                    f"{used}</tr>")
    intro = (f"<p>From the review verdicts stored for this data ({html.escape(STORED_ESTIMATOR)}; "
            "verdicts not drawn at random, such as <code>review mark</code>, count as known, "
            f"never as draws; at least {MIN_DRAWS} draws before a number is shown).</p>")
    return ["<h2>Estimated false negatives</h2>", intro,
            ("<table><tr><th>negatives of</th><th>negatives</th><th>share</th><th>95% interval</th>"
             "<th>count (95%)</th><th>verdicts</th><th>random draws</th></tr>" + "".join(rows) + "</table>")]
