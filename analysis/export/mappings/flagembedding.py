"""FlagEmbedding ``scripts/hn_mine.py`` (``FlagEmbedding.baai_general_embedding.finetune.hn_mine``
before v1.3, with ``--model_name_or_path``).

``--range_for_sampling a-b`` slices the raw ranking, positives included, at 0-based positions
``[a, b)`` (ranks a+1..b), drops texts equal to a positive or to the query, keeps
``--negative_number`` n by ``random.sample`` (all of them when there are at most n), and **pads
a short query with random corpus documents**. There are no margins or score filters.
"""

from __future__ import annotations

from analysis.export.mappings.base import (
    Mapping,
    params_of,
    pool_facts,
    shell,
    unsupported,
)
from analysis.export.settings import Settings


def to_flagembedding(settings: Settings) -> Mapping:
    """``hn_mine.py`` arguments for ``range`` (raw ranks), ``random`` and ``margin`` without filters."""
    name, p = params_of(settings)
    top_n, _ = pool_facts(settings)
    differences = ["FlagEmbedding pads a query with fewer than negative_number candidates with "
                   "random corpus documents (possibly repeats); NegLens reports it as short and "
                   "never pads",
                   "it also drops candidates whose text equals the query",
                   "it samples with Python's random.sample: other draws than NegLens's numpy "
                   "Generator, same uniform distribution"]
    exact = False
    if name == "range":
        low, high = p["range_min"], p["range_max"]
        if p["count"] != "raw":
            differences.insert(0, "range_for_sampling counts raw ranks with the positives in; "
                                  "count='negatives' counts non-positives, so the window shifts "
                                  "by the positives ranked inside it. Use count='raw' to match")
        if p["sampling"] == "top":
            differences.insert(0, "hn_mine always samples at random inside the range; "
                                  "sampling='top' has no equivalent")
    elif name == "random" and top_n:
        low, high = 0, top_n
    elif name == "margin" and not any(p[k] is not None for k in ("absolute_margin", "relative_margin",
                                                                   "max_score", "min_score")):
        from analysis.strategies import create

        low = p["range_min"]
        high = p["range_max"] or create("margin", **p).effective_range_max(
            pool_facts(settings)[1] or 1)
        differences.insert(0, "margin counts positions among non-positives by score; hn_mine "
                              "counts raw ranks with the positives in")
        if p["sampling"] == "top":
            differences.insert(0, "hn_mine always samples at random; sampling='top' has no equivalent")
    else:
        closest = ("FlagEmbedding's hn_mine has no margins or score filters; closest: "
                   "--range_for_sampling with the same range and no filter") if name == "margin" \
            else "hn_mine only samples uniformly inside a raw-rank range"
        return unsupported("flagembedding", name, closest)
    args = {"range_for_sampling": f"{low}-{high}", "negative_number": p["num_negatives"]}
    pool = settings.pool or {}
    if pool.get("query_prompt"):
        args["query_instruction_for_retrieval"] = pool["query_prompt"]
    if pool.get("document_prompt"):
        differences.append("hn_mine has no passage instruction: the document prompt is lost")
    model = pool.get("model") or "sentence-transformers/all-MiniLM-L6-v2"
    conditions = ["the same embedder: hn_mine loads it with FlagAutoModel (CLS pooling and fp16 by "
                  "default; for all-MiniLM-L6-v2 pass --pooling_method mean --use_fp16 False "
                  "--embedder_model_class encoder-only-base)",
                  "the same corpus: pass every document text NegLens searched as --candidate_pool "
                  "(JSONL lines {\"text\": ...}); without it hn_mine searches set(pos + neg) of the "
                  "input file"]
    if top_n is not None and high > top_n:
        conditions.append(f"a deeper pool: the range reaches rank {high}, the pool holds {top_n}")
    snippet = " \\\n  ".join(
        ["python scripts/hn_mine.py", f"--embedder_name_or_path {model}",
         "--input_file train.jsonl", "--output_file train_minedHN.jsonl",
         "--candidate_pool corpus.jsonl"]
        + [f"--{key} {shell(value)}" for key, value in args.items()])
    return Mapping("flagembedding", name, True, exact, args, snippet, tuple(conditions),
                   tuple(differences))
