"""False negatives: which negatives are probably unlabelled positives (DESIGN.md section 5).

- ``signals``: per (query, negative) signals in [0, 1] with flags, and the combined risk;
- ``lexical``: BM25 of each (query, negative), relative to the positive's (``bm25s``);
- ``risk``: the risk as a probability (a fixed prior rule, ``refit`` on verdicts) and the flag;
- ``review``: a person's verdicts on suspects, and what they do to the training data;
- ``fn_eval``: the signals and the risk measured against ground-truth collections.

Nothing is re-exported here; import the module that holds the idea.
"""
