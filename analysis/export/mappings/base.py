"""What every mapping returns, and the helpers the three targets share."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from analysis.export.settings import Settings

RANDOM_DRAWS = ("random sampling draws the same way from the same candidates, but with Python's "
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


def params_of(settings: Settings) -> tuple[str, dict]:
    from analysis.strategies import from_json

    strategy = from_json(settings.strategy)
    return strategy.name, dict(strategy.params)


def pool_facts(settings: Settings) -> tuple[int | None, int | None]:
    pool = settings.pool or {}
    return pool.get("top_n"), pool.get("max_positives")


def shell(value) -> str:
    text = str(value)
    return text if text and all(c.isalnum() or c in "-_.:/" for c in text) else "'" + \
        text.replace("'", "'\"'\"'") + "'"


def unsupported(target: str, name: str, closest: str) -> Mapping:
    return Mapping(target, name, False, False, {}, "", (), (), (closest,) if closest else ())
