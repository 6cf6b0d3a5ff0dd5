"""Score -> pool: turn texts into scores and a ranked candidate pool (DESIGN.md sections 2, 8).

Modules, in the order data flows through them:

- ``encode``: the bi-encoder (sentence-transformers, loaded lazily) and ``load_encoder``;
- ``embedding_cache``: embeddings kept on disk, keyed by model and text;
- ``rerank``: an optional cross-encoder that adds ``ce_score`` to pool rows;
- ``judge_model``, ``judge``: a second model (bi- or cross-encoder) that scores exactly the
  pairs under review, planned and cached; ``--judge default`` is all-mpnet-base-v2;
- ``pool``: exact search over the corpus and ``build_pool``, the candidate pool with raw ranks;
- ``synthetic``: ``make_pool``, a generated pool with realistic scores for tests and benchmarks.

Nothing is re-exported here, so importing one module never loads the others (or torch).
"""
