"""The dashboard's one door into the library: UI settings in, library calls out, cached on disk.

The flow of DESIGN.md section 1, as the dashboard walks it::

    fingerprint(path) -> load_dataset(path) -> ensure_pool(...) -> select(...) -> tables

Modules: ``data`` (identity of the data, the pool cache, selections, embeddings), ``tables``
(binned, tidy tables the charts draw), ``browse`` (per-query negatives with signals and
verdicts), ``export`` (settings file and training data). Everything is re-exported here, but
``judging`` (a judge's plan, kept scores and evidence, the share before review), used as a module.

Rules:

- A dataset is identified by the sha256 of its bytes (:func:`fingerprint`): a file's content,
  or a folder's sorted relative file names and contents. Hidden files and the review decisions
  the dashboard writes beside the data are left out (:func:`data_files`), so reviewing never
  invalidates a cache or a settings file. Fingerprints are memoised on every file's (size,
  mtime_ns), so a rerun costs a ``stat`` per file, not a re-read.
- A pool is cached on disk as a pool Parquet file (``analysis.formats.pool``) under
  ``<cache dir>/workspace/pools/``, named by the data's sha256, the format override and
  :meth:`PoolSettings.key`. A second start with the same data and settings reads it back and
  neither loads a model nor encodes anything; the embedding cache covers the case where only
  ``top_n`` changed.
- Data that already is a pool (a pool Parquet file) is used as it is: nothing is recomputed.
- Strategies draw from the pool's ``source="pool"`` rows (``analysis.export.apply.candidate_pool``),
  each from its own ``numpy.random.default_rng(seed)``, so adding or removing a strategy never
  changes another's selection, and ``{name, params, seed}`` reproduces it (``analysis.export.apply``).
- Charts get binned tables (a few hundred rows per group), never raw pool rows.

No streamlit here: the dashboard wraps these calls in its caches (keyed by the strings this
package returns, never by hashing a DataFrame), and tests call them directly.
"""

from analysis.workspace.browse import (
                                       QUERY_WINDOW,
                                       display_path,
                                       doc_clusters,
                                       lazy_suspects,
                                       query_list,
                                       query_negatives,
                                       query_positives,
                                       query_window,
                                       review_store,
                                       start_term_index,
                                       suspects,
)
from analysis.workspace.candidates import candidates_kind, open_candidates
from analysis.workspace.data import (
                                       DEFAULT_TOP_N,
                                       ENGINES,
                                       PoolSettings,
                                       cached_pool,
                                       data_files,
                                       ensure_pool,
                                       fingerprint,
                                       is_pool,
                                       load_dataset,
                                       pool_embeddings,
                                       pool_file,
                                       ray_address,
                                       select,
                                       store_upload,
                                       workspace_dir,
)
from analysis.workspace.embed import (
                                       embedding_need,
                                       ensure_own_scores,
                                       with_embedding_model,
                                       with_own_scores,
)
from analysis.workspace.export import export_settings, training_file
from analysis.workspace.tables import (
                                       bin_edges,
                                       cluster_shares,
                                       ecdf_grid,
                                       ecdf_table,
                                       histogram_table,
                                       map_colours,
                                       map_table,
                                       overview_tables,
                                       with_texts,
)

__all__ = ["DEFAULT_TOP_N", "ENGINES", "PoolSettings", "bin_edges", "cached_pool",
           "candidates_kind", "cluster_shares", "data_files", "display_path", "doc_clusters",
           "ecdf_grid", "ecdf_table", "embedding_need", "ensure_own_scores", "ensure_pool",
           "export_settings", "fingerprint", "histogram_table", "is_pool", "load_dataset",
           "map_colours", "map_table", "open_candidates", "overview_tables", "pool_embeddings",
           "lazy_suspects", "pool_file", "query_list", "query_window", "QUERY_WINDOW",
           "query_negatives", "query_positives", "ray_address",
           "review_store", "select", "start_term_index", "store_upload", "suspects", "training_file",
           "with_embedding_model", "with_own_scores", "with_texts", "workspace_dir"]
