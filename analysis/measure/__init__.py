"""Measure: what a pool or a strategy's selection looks like (DESIGN.md sections 3 and 6).

- ``gaps``: positive scores ``s_pos``, gaps ``s_pos - s`` and relative scores;
- ``stats``: the positive / negative / difference table sentence-transformers prints;
- ``compare``: rank and gap histograms, per-selection summaries, Jaccard overlap;
- ``clusters``: k-means document clusters and cluster distributions;
- ``projection``: 2-D maps of the embeddings (PCA, UMAP, t-SNE), cached on disk.

Nothing is re-exported here; import the module that holds the idea.
"""
