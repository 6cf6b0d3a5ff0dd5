"""Sampling strategies over a shared candidate pool (DESIGN.md section 4).

Importing this package registers every strategy::

    from analysis.strategies import create, registry
    selection = create("simans", a=50.0).select(pool, np.random.default_rng(0))

``registry()`` lists the declarations (name, summary, source, parameters); ``create``,
``from_json`` and ``parse_params`` build strategies from keyword arguments, JSON or ``KEY=VALUE``
strings. Each family lives in its own module: ``baseline`` (random, top_k, star), ``ranges``
(range, margin), ``nvretriever`` (topk_abs, topk_marginpos, topk_percpos), ``simans`` and
``balanced`` (cluster_balanced).
"""

from analysis.strategies import baseline, ranges, nvretriever, simans, balanced  # noqa: F401,I001  (registers, in this order)
from analysis.strategies.base import (Param, Strategy, StrategyInfo, create, from_json, get,
                                      param, parse_params, register, registry)
from analysis.strategies.selection import Report, Selection
from analysis.strategies.view import FilterCount

__all__ = ["FilterCount", "Param", "Report", "Selection", "Strategy", "StrategyInfo", "create",
           "from_json", "get", "param", "parse_params", "register", "registry"]
