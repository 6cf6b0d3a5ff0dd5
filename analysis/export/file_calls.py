"""The miner call a compared file's settings imply, from the settings as its miner names them.

A person says how a file was mined in the miner's own words, ``MINER:KEY=VALUE,...``:

- ``sentence-transformers:range_min=10,relative_margin=0.05,num_negatives=5[,sampling_strategy=top]``
  (any of ``range_min, range_max, absolute_margin, relative_margin, max_score, min_score,
  num_negatives, sampling_strategy``) -> NegLens ``margin`` -> the ``mine_hard_negatives(...)``
  call (``analysis.export.mappings.sbert``);
- ``flagembedding:range_for_sampling=10-210,negative_number=15`` -> NegLens ``range`` with raw
  ranks and random sampling -> the ``hn_mine.py`` command (``...mappings.flagembedding``), whose
  differences say that hn_mine pads short queries with random corpus passages.

``implied_call(text)`` returns ``{"miner", "strategy", "call", "arguments", "differences"}``.
"""

from __future__ import annotations

from analysis.model import DataError

MINERS = ("sentence-transformers", "flagembedding")
ST_KEYS = ("range_min", "range_max", "absolute_margin", "relative_margin", "max_score",
           "min_score", "num_negatives", "sampling_strategy")


def _value(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return None if text.lower() in ("none", "null") else text


def strategy_of(text: str):
    """(miner, NegLens strategy) of ``MINER:KEY=VALUE,...``; DataError naming a bad key."""
    from analysis.strategies import create

    miner, _, rest = text.partition(":")
    miner = miner.strip()
    if miner not in MINERS:
        raise DataError(f"miner must be one of {', '.join(MINERS)}, got {miner!r}", field="miner")
    given = {}
    for item in filter(None, (i.strip() for i in rest.split(","))):
        key, sep, value = item.partition("=")
        if not sep:
            raise DataError(f"{item!r} is not KEY=VALUE", field="miner")
        given[key.strip()] = value.strip()
    if miner == "sentence-transformers":
        unknown = set(given) - set(ST_KEYS)
        if unknown:
            raise DataError(f"mine_hard_negatives has no argument {sorted(unknown)[0]!r} that NegLens "
                            f"maps (known: {', '.join(ST_KEYS)})", field="miner")
        params = {k: _value(v) for k, v in given.items() if k != "sampling_strategy"}
        params["sampling"] = given.get("sampling_strategy", "top")
        return miner, create("margin", **params)
    unknown = set(given) - {"range_for_sampling", "negative_number"}
    if unknown:
        raise DataError(f"hn_mine argument {sorted(unknown)[0]!r} is not mapped (known: "
                        "range_for_sampling, negative_number)", field="miner")
    low, _, high = given.get("range_for_sampling", "10-210").partition("-")
    try:
        low_i, high_i = int(low), int(high)
    except ValueError:
        raise DataError("range_for_sampling must be A-B, e.g. 10-210", field="miner") from None
    return miner, create("range", range_min=low_i, range_max=high_i, count="raw", sampling="random",
                         num_negatives=int(given.get("negative_number", 15)))


def implied_call(text: str, *, model: str | None = None) -> dict:
    from analysis.export.mappings import mapping
    from analysis.export.settings import Settings

    miner, strategy = strategy_of(text)
    top_n = (strategy.params.get("range_max") or 0) + 10 or None
    settings = Settings(dataset={}, strategy=strategy.to_json(), seed=0,
                        pool={"model": model, "top_n": top_n})
    found = mapping(settings, miner)
    return {"miner": miner, "given": text, "strategy": strategy.to_json(), "call": found.snippet,
            "arguments": found.arguments, "differences": list(found.differences)}
