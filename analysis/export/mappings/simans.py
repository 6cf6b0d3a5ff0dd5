"""The SimANS release (``SimANS/Doc_training/co_training_doc_train.py``: ``--a`` 0.5, ``--b`` 0,
``--number_neg``).

It weighs ``exp(-a (s - s_pos + b)^2)``, i.e. **b with the opposite sign** of the README's
``(s - s_pos - b)``, which the ``simans`` strategy follows; so ``--b`` is minus the strategy's ``b``.
"""

from __future__ import annotations

from analysis.export.mappings.base import Mapping, params_of, unsupported
from analysis.export.settings import Settings


def to_simans(settings: Settings) -> Mapping:
    """``--a``/``--b``/``--number_neg`` of the SimANS release for the ``simans`` strategy."""
    name, p = params_of(settings)
    if name != "simans":
        return unsupported("simans", name, "SimANS has one sampler: export a 'simans' strategy")
    args = {"a": p["a"] if p["a"] is not None else "derived", "b": -p["b"] if p["b"] else 0.0, "number_neg": p["num_negatives"]}
    derived = ["a=derived: NegLens derived a from the pool's score spread (2 / sd^2, stated in the "
               "selection's notes); pass that value as --a, or select with simans:a=0.5 for the "
               "release's"] if p["a"] is None else []
    differences = [*derived,
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
