"""What the Review page shows: the queue's table, its filters, and one item with its context.

Rules:

- The queue runs over the candidates' negatives, one row per (qid, did) (the riskiest row of a
  pair held by several sources), from the suspects table (``browse.suspects``).
- Shared words: lowercased word tokens of 3+ characters found in both texts, minus a short
  list of English function words.
- Highlighting is text styling in Streamlit's Markdown that shows the text exactly as it is:
  every ASCII punctuation mark of the data is backslash-escaped (so ``<script>``, ``**``,
  ``[link](x)`` and ``:red[x]`` are shown as the characters they are, never interpreted), each
  shared word is wrapped in ``:orange[**...**]`` (colour and weight only: a background
  directive pads its span, which looked like spaces around the punctuation beside it), and
  whitespace is kept: a space after a space, at a line's start or end becomes a no-break
  space, a tab four, a line break a Markdown hard break (``\\`` + newline).
  :func:`plain_text` undoes all of it. Nothing is ever rendered as HTML.
"""

from __future__ import annotations

import re
import string

import numpy as np
import pandas as pd

from analysis.model import NegativeSet

_WORD = re.compile(r"\w+")
_PUNCT = re.compile("([" + re.escape(string.punctuation) + "])")
STOP = frozenset("the and for are but not you all any can had her was one our out his has have "
                 "this that with from they will would there their what which when were been "
                 "into than then them these those its also such more most other some only "
                 "about over after before between under does did how who why where".split())


def queue_table(suspects: pd.DataFrame) -> pd.DataFrame:
    """One row per (qid, did), riskiest first where a pair repeats; ids as strings."""
    table = (suspects.sort_values("risk", ascending=False, kind="stable")
             .drop_duplicates(["qid", "did"]).sort_index().reset_index(drop=True))
    for column in ("qid", "did"):
        table[column] = table[column].astype(str)
    return table


def shared_words(*texts: str) -> set[str]:
    """Words (see the rules) in the first text and in any of the others."""
    first = {w for w in _WORD.findall(str(texts[0]).lower()) if len(w) >= 3 and w not in STOP}
    rest = set().union(*(set(_WORD.findall(str(t).lower())) for t in texts[1:])) if texts[1:] else set()
    return first & rest


NBSP = "\u00a0"
_STYLE = (":orange[**", "**]")


def _escaped(chunk: str) -> str:
    return _PUNCT.sub(r"\\\1", chunk)


def _keep_spaces(line: str) -> str:
    line = re.sub(r"^ +| +$", lambda m: NBSP * len(m.group(0)), line.replace("\t", NBSP * 4))
    return re.sub(r"(?<= ) ", NBSP, line)


def highlighted(text: str, words: set[str]) -> str:
    """``text`` as safe Markdown with ``words`` highlighted; see the rules."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    out, last = [], 0
    for match in _WORD.finditer(text):
        out.append(_escaped(text[last:match.start()]))
        word = match.group(0)
        out.append(_STYLE[0] + _escaped(word) + _STYLE[1] if word.lower() in words else _escaped(word))
        last = match.end()
    out.append(_escaped(text[last:]))
    return "\\\n".join(_keep_spaces(line) for line in "".join(out).split("\n"))


def plain_text(markdown: str) -> str:
    """The text :func:`highlighted` was given (tabs as four spaces, line ends as ``\\n``)."""
    text = markdown.replace("\\\n", "\n").replace(_STYLE[0], "").replace(_STYLE[1], "")
    return re.sub(r"\\(.)", r"\1", text).replace(NBSP, " ")


def selection_mask(table: pd.DataFrame, candidates: NegativeSet, selection) -> np.ndarray:
    """Rows of ``table`` a strategy's selection holds."""
    chosen = candidates.pairs.iloc[selection.rows]
    keys = chosen["qid"].astype(str) + "\0" + chosen["did"].astype(str)
    return (table["qid"] + "\0" + table["did"]).isin(keys).to_numpy()


def query_mask(table: pd.DataFrame, candidates: NegativeSet, search: str) -> np.ndarray:
    """Rows whose query id or text contains ``search`` (case-insensitive); all when empty."""
    needle = search.strip().lower()
    if not needle:
        return np.ones(len(table), dtype=bool)
    queries = candidates.queries.assign(qid=candidates.queries["qid"].astype(str))
    text = queries.set_index("qid")["text"].astype(str).str.lower()
    hit = set(text.index[text.str.contains(needle, regex=False)
                         | text.index.str.lower().str.contains(needle, regex=False)])
    return table["qid"].isin(hit).to_numpy()


def item(candidates: NegativeSet, table: pd.DataFrame, row: int) -> dict:
    """Everything the page shows about one negative: ids, texts, positives, figures, signals."""
    record = table.iloc[row]
    qid, did = str(record["qid"]), str(record["did"])
    query = candidates.queries.assign(qid=candidates.queries["qid"].astype(str)).set_index("qid")["text"]
    docs = candidates.doc_text()
    pairs = candidates.pairs
    positive = pairs[(pairs["qid"].astype(str) == qid) & (pairs["label"] == 1)].drop_duplicates("did")
    signals = {c.removesuffix("_score"): float(record[c]) for c in table.columns
               if c.endswith("_score") and c != "score"}
    return {"qid": qid, "did": did, "query": str(query.get(qid, "")), "document": str(docs.get(did, "")),
            "positives": [(str(d), str(docs.get(str(d), ""))) for d in positive["did"].astype(str)],
            "rank": int(record["rank"]), "score": float(record["score"]),
            "gap": float(record["gap"]) if "gap" in record else float("nan"), "signals": signals}


def estimate_lines(store, candidates: NegativeSet, selections: dict | None = None, *,
                   keys: np.ndarray | None = None, masks: dict | None = None) -> list[str]:
    """The dataset-level estimate (``analysis.false_negatives.estimate``) from the review store,
    one plain line for all negatives and one per strategy's selection; a line says so when
    there are too few verdicts for a number (then one line in all: a selection's random draws
    are among all negatives' draws, so no selection has enough either). ``keys`` (one per
    negative, e.g. the queue's) and ``masks`` (name -> which keys) spare recomputing them."""
    from analysis.false_negatives.estimate import (
        describe,
        negative_keys,
        selection_inside,
        stored_estimate,
    )

    keys = negative_keys(candidates) if keys is None else keys
    masks = dict(masks or {})
    for name, selection in (selections or {}).items():
        masks[name] = selection_inside(candidates, keys, selection)
    log, current = store.design_log(), store.all()
    overall = stored_estimate(log, current, keys)
    lines = [describe(overall)]
    if overall["population"] and not overall["enough"] and masks:   # a selection has fewer draws
        return [lines[0] + " The same holds for each strategy's selection."]
    for name, mask in masks.items():
        lines.append(describe(stored_estimate(log, current, keys, mask), f"the selection of {name}"))
    return lines
