"""The view a link reproduces: dataset, pool settings, strategies, and each page's position.

One ``View`` per browser session lives in ``st.session_state``. It is read from the URL's query
parameters on a session's first run and written back to them at the end of every run, so the
address bar always holds the current view (the page itself is the URL path, via
``st.navigation``). Only values that differ from the defaults are written, so links stay short.

URL keys:

==========  ======================================================================
``data``    dataset path (file or folder) as given on the command line or typed
``format``  loader override (absent: auto-detect)
``model``   bi-encoder name or path (absent: the packaged all-MiniLM-L6-v2)
``top_n``   candidates per query in the pool
``ce``      cross-encoder name or path (absent: none)
``seed``    the seed every strategy draws with (and the query sample)
``sample``  queries analysed: ``N`` = a seeded random sample of N, ``0`` = the whole file;
            absent = automatic (a sample of 2,000 above 20,000 queries, else the whole file)
``s``       one per compared strategy: ``NAME`` or ``NAME:KEY=VALUE,KEY=VALUE`` (only
            parameters that differ from the declared defaults), the CLI's syntax
``q``       Browse: the query id shown
``only``    Browse: which negatives to list (``all`` / ``suspects`` / ``reviewed``)
``color``   Map: what colours the points
``judge``   Browse / Review: the judge whose kept scores the risk uses (absent: none)
``also``    one per further mined file compared with ``data`` (several files, issue 26)
``yardstick``  the common scorer of a file comparison (``model``, ``file:NAME``, ``pool:PATH``, ...)
==========  ======================================================================

This module is pure Python (no streamlit), so the URL codec is tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Mapping

from analysis.strategies import create, get, parse_params

DEFAULT_TOP_N = 100
DEFAULT_STRATEGIES = (
    ("top_k", {}),
    ("range", {}),
    ("margin", {}),
    ("topk_percpos", {}),
    ("simans", {}),
    ("random", {}),
)
AUTO_SAMPLE = -1  # View.sample: automatic (see sample_size)
LARGE_FILE = 20_000  # queries above which a file opens on a sample
BROWSE_FILTERS = ("all", "suspects", "reviewed")
MAP_COLOURS = ("role", "strategy", "cluster", "risk")


@dataclass
class View:
    """Everything the URL carries. ``strategies`` is a list of ``(name, params)`` in order;
    ``params`` hold only what the user set (the strategy's declared defaults fill the rest)."""

    data: str
    format: str = ""
    model: str = ""
    top_n: int = DEFAULT_TOP_N
    cross_encoder: str = ""
    seed: int = 0
    sample: int = AUTO_SAMPLE
    strategies: list[tuple[str, dict[str, Any]]] = field(
        default_factory=lambda: [(name, dict(params)) for name, params in DEFAULT_STRATEGIES])
    query: str = ""
    only: str = "all"
    color: str = "role"
    judge: str = ""
    files: list[str] = field(default_factory=list)   # further files compared with data
    yardstick: str = ""

    def strategy_objects(self) -> list:
        """The chosen strategies, built and validated (a DataError names the bad parameter)."""
        return [create(name, **params) for name, params in self.strategies]


_SCALARS = {"data": "data", "format": "format", "model": "model", "top_n": "top_n",
            "cross_encoder": "ce", "seed": "seed", "sample": "sample", "query": "q", "only": "only",
            "color": "color", "judge": "judge", "yardstick": "yardstick"}


def sample_size(view: View, num_queries: int) -> int:
    """How many queries the app analyses: 0 = all of them; else a seeded random sample.

    Automatic (``AUTO_SAMPLE``): ``DEFAULT_SAMPLE`` (2,000) when the file has more than
    ``LARGE_FILE`` queries, else all; a size at or above the file's query count means all."""
    from analysis.measure.query_sample import DEFAULT_SAMPLE

    wanted = view.sample
    if wanted == AUTO_SAMPLE:
        wanted = DEFAULT_SAMPLE if num_queries > LARGE_FILE else 0
    return wanted if 0 < wanted < num_queries else 0


def encode_strategy(name: str, params: Mapping[str, Any]) -> str:
    """``NAME`` or ``NAME:KEY=VALUE,...`` with only the non-default parameters, in declared order."""
    declared = get(name).declarations()
    items = [f"{p.name}={_text(params[p.name])}" for p in declared
             if p.name in params and params[p.name] != p.default]
    return name + (":" + ",".join(items) if items else "")


def decode_strategy(spec: str) -> tuple[str, dict[str, Any]]:
    """Inverse of :func:`encode_strategy`; values parsed and checked with the declared types."""
    name, _, rest = spec.strip().partition(":")
    items = [item for item in rest.split(",") if item.strip()]
    params = parse_params(name.strip(), items)
    create(name.strip(), **params)  # cross-parameter checks
    return name.strip(), params


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # "a=100", as a person types it, not "a=100.0"
    return str(value)


def to_query(view: View) -> dict[str, str | list[str]]:
    """The query parameters of ``view``: only values that differ from a fresh View's."""
    fresh = View(data="")
    out: dict[str, str | list[str]] = {}
    for attr, key in _SCALARS.items():
        value = getattr(view, attr)
        if value != getattr(fresh, attr) or attr == "data":
            if value not in ("", None):
                out[key] = str(value)
    if view.files:
        out["also"] = list(view.files)
    if view.strategies != fresh.strategies:
        out["s"] = [encode_strategy(name, params) for name, params in view.strategies] or ["none"]
    return out


def from_query(params: Mapping[str, str | list[str]], *, default_data: str) -> tuple[View, list[str]]:
    """A View from query parameters, and the problems found (bad values are skipped, named).

    A bad value never stops the app: it falls back to the default and is reported, so a
    hand-edited link still opens.
    """
    view, problems = View(data=default_data), []

    def first(key: str) -> str | None:
        value = params.get(key)
        if isinstance(value, list):
            return value[-1] if value else None
        return value

    kinds = {f.name: f.type for f in fields(View)}
    for attr, key in _SCALARS.items():
        text = first(key)
        if text is None:
            continue
        if kinds[attr] in ("int", int):
            try:
                value: Any = int(text)
            except ValueError:
                problems.append(f"URL parameter {key}={text!r} is not an integer; using "
                                f"{getattr(view, attr)}")
                continue
            if attr == "sample" and value < AUTO_SAMPLE:
                problems.append(f"URL parameter sample={value} must be a size, 0 (the whole "
                                "file) or absent (automatic); using automatic")
                continue
            if attr == "top_n" and value < 1:
                problems.append(f"URL parameter top_n={value} must be at least 1; using {view.top_n}")
                continue
        else:
            value = text
        setattr(view, attr, value)
    if view.only not in BROWSE_FILTERS:
        problems.append(f"URL parameter only={view.only!r} is not one of {BROWSE_FILTERS}")
        view.only = "all"
    if view.color not in MAP_COLOURS:
        problems.append(f"URL parameter color={view.color!r} is not one of {MAP_COLOURS}")
        view.color = "role"
    also = params.get("also")
    if also:
        view.files = [also] if isinstance(also, str) else list(also)
    specs = params.get("s")
    if specs is not None:
        specs = [specs] if isinstance(specs, str) else list(specs)
        view.strategies = []
        for spec in specs:
            if spec == "none":
                continue
            try:
                name, chosen = decode_strategy(spec)
            except ValueError as exc:
                problems.append(f"URL strategy {spec!r} skipped: {exc}")
                continue
            if any(name == existing for existing, _ in view.strategies):
                problems.append(f"URL strategy {name!r} given twice; the first one is kept")
                continue
            view.strategies.append((name, chosen))
    return view, problems
