"""FlagEmbedding ``scripts/hn_mine.py`` (``FlagEmbedding.baai_general_embedding.finetune.hn_mine``
before v1.3, with ``--model_name_or_path``).

``--range_for_sampling a-b`` slices the raw ranking, positives included, at 0-based positions
``[a, b)`` (ranks a+1..b), drops texts equal to a positive or to the query, keeps
``--negative_number`` n by ``random.sample`` (all of them when there are at most n), and **pads
a short query with random corpus documents**. There are no margins or score filters.

``--embedder_query_max_length``/``--embedder_passage_max_length`` default to 512 there; the
bundled all-MiniLM-L6-v2 truncates at 256 tokens in sentence-transformers, so the mapping passes
256 for it (another model: its ``max_seq_length``, stated as a condition).
``write_candidate_pool(settings, path)`` writes ``--candidate_pool``: every document text NegLens
searched, one ``{"text": ...}`` line each, texts as NegLens embedded them (a BEIR title joined
to its text), so hn_mine searches the same corpus.
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
    if pool.get("model") in (None, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        args.update(embedder_query_max_length=BUNDLED_MAX_LENGTH,
                    embedder_passage_max_length=BUNDLED_MAX_LENGTH)
    if pool.get("query_prompt"):
        args["query_instruction_for_retrieval"] = pool["query_prompt"]
    if pool.get("document_prompt"):
        differences.append("hn_mine has no passage instruction: the document prompt is lost")
    model = pool.get("model") or "sentence-transformers/all-MiniLM-L6-v2"
    conditions = ["the same embedder: hn_mine loads it with FlagAutoModel (CLS pooling and fp16 by "
                  "default; for all-MiniLM-L6-v2 pass --pooling_method mean --use_fp16 False "
                  "--embedder_model_class encoder-only-base)",
                  "the same corpus: pass every document text NegLens searched as --candidate_pool "
                  "(analysis.export.mappings.write_candidate_pool writes it: JSONL lines "
                  "{\"text\": ...}, BEIR titles joined to the text as NegLens embedded them); "
                  "without it hn_mine searches set(pos + neg) of the input file"]
    if "embedder_query_max_length" not in args:
        conditions.append("the same truncation: pass --embedder_query_max_length and "
                          "--embedder_passage_max_length = the model's max_seq_length (hn_mine "
                          "defaults to 512)")
    if top_n is not None and high > top_n:
        conditions.append(f"a deeper pool: the range reaches rank {high}, the pool holds {top_n}")
    snippet = " \\\n  ".join(
        ["python scripts/hn_mine.py", f"--embedder_name_or_path {model}",
         "--input_file train.jsonl", "--output_file train_minedHN.jsonl",
         "--candidate_pool corpus.jsonl"]
        + [f"--{key} {shell(value)}" for key, value in args.items()])
    return Mapping("flagembedding", name, True, exact, args, snippet, tuple(conditions),
                   tuple(differences))


BUNDLED_MAX_LENGTH = 256  # all-MiniLM-L6-v2's max_seq_length in sentence-transformers


def write_candidate_pool(settings: Settings | str, path, *, base=None, data=None):
    """Write hn_mine's ``--candidate_pool`` JSONL: every document text NegLens searched (see the
    module docstring); returns the path."""
    import json
    from pathlib import Path

    from analysis.export.mappings.sbert import sentence_transformers_inputs

    _, corpus = sentence_transformers_inputs(settings, base=base, data=data)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        for text in corpus:
            out.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
    return path
