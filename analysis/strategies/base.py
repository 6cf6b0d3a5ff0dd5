"""The strategy registry: parameter declarations, JSON round trips and the ``select`` contract.

A strategy is a frozen dataclass registered by name with ``@register``. Its fields are its
parameters, each declared with ``param(default, help=..., low=..., high=..., choices=...,
source=...)``; the declarations (``Param``) drive validation, the CLI's ``--param KEY=VALUE``
parsing and the dashboard's widgets. ``num_negatives`` is common to all strategies (each may
redeclare its default after its paper).

``strategy.select(pool, rng)`` validates the pool, sorts it into a ``PoolView`` and hands it to the
strategy's ``_choose(view, rng, log)``, which returns a boolean mask over view positions and
records its filters in ``log``. Labelled positives are never eligible. ``to_json()`` gives
``{"name", "params"}``; ``from_json`` rebuilds an equal strategy, so ``{name, params, seed}``
reproduces a selection bit for bit.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from analysis.model import DataError, NegativeSet
from analysis.strategies.selection import Selection, finish
from analysis.strategies.view import FilterLog, PoolView

_TYPES = {int: "int", float: "float", str: "str", bool: "bool"}
_REGISTRY: dict[str, type["Strategy"]] = {}


@dataclass(frozen=True)
class Param:
    """One declared parameter: type, default, allowed range or choices, help and source."""

    name: str
    type: type
    default: Any
    help: str
    source: str = ""
    low: float | None = None
    high: float | None = None
    choices: tuple | None = None
    nullable: bool = False

    def check(self, value: Any) -> Any:
        """The value coerced to the declared type (int -> float allowed), or a DataError."""
        if value is None:
            if self.nullable:
                return None
            raise DataError(f"{self.name} must be set (got None)", field=self.name)
        if self.type is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = float(value)
            if not math.isfinite(value):
                raise DataError(f"{self.name} must be finite, got {value}", field=self.name)
        elif self.type is int and isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            value = int(value)
        elif not isinstance(value, self.type) or (self.type is not bool and isinstance(value, bool)):
            raise DataError(f"{self.name} must be {_TYPES[self.type]}, got {value!r}", field=self.name)
        if self.choices is not None and value not in self.choices:
            raise DataError(f"{self.name} must be one of {list(self.choices)}, got {value!r}",
                            field=self.name)
        if self.low is not None and value < self.low:
            raise DataError(f"{self.name} must be >= {self.low}, got {value}", field=self.name)
        if self.high is not None and value > self.high:
            raise DataError(f"{self.name} must be <= {self.high}, got {value}", field=self.name)
        return value

    def parse(self, text: str) -> Any:
        """A command-line string turned into a checked value ('none' means None where allowed)."""
        text = text.strip()
        if self.nullable and text.lower() in ("none", "null", ""):
            return None
        try:
            if self.type is bool:
                if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(text)
                value: Any = text.lower() in ("true", "1", "yes")
            else:
                value = self.type(text)
        except ValueError:
            raise DataError(f"{self.name} must be {_TYPES[self.type]}, got {text!r}",
                            field=self.name) from None
        return self.check(value)

    def as_dict(self) -> dict:
        """JSON-ready declaration (what a dashboard builds a widget from)."""
        return {"name": self.name, "type": _TYPES[self.type], "default": self.default,
                "help": self.help, "source": self.source, "low": self.low, "high": self.high,
                "choices": list(self.choices) if self.choices is not None else None,
                "nullable": self.nullable}


def param(default: Any, *, help: str, type: type | None = None, source: str = "",
          low: float | None = None, high: float | None = None, choices: tuple | None = None,
          nullable: bool = False) -> Any:
    """Declare a strategy parameter as a dataclass field (the name comes from the field)."""
    kind = type if type is not None else default.__class__
    if kind not in _TYPES:
        raise TypeError(f"parameter type must be one of {list(_TYPES)}, got {kind}")
    spec = dict(type=kind, default=default, help=help, source=source, low=low, high=high,
                choices=tuple(choices) if choices is not None else None, nullable=nullable)
    return dataclasses.field(default=default, metadata={"param": spec})


@dataclass(frozen=True)
class Strategy:
    """Base of every strategy. Subclasses set ``name``, ``summary``, ``source``; declare fields."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    source: ClassVar[str] = ""

    num_negatives: int = param(3, low=1, high=10_000, help="negatives to choose per query")

    def __post_init__(self) -> None:
        for declared in self.declarations():
            object.__setattr__(self, declared.name, declared.check(getattr(self, declared.name)))
        self._validate()

    def _validate(self) -> None:
        """Checks across parameters; raise DataError naming the field."""

    @classmethod
    def declarations(cls) -> tuple[Param, ...]:
        return tuple(Param(name=f.name, **f.metadata["param"])
                     for f in dataclasses.fields(cls) if "param" in f.metadata)

    @property
    def params(self) -> dict[str, Any]:
        return {p.name: getattr(self, p.name) for p in self.declarations()}

    def to_json(self) -> dict:
        return {"name": self.name, "params": self.params}

    def select(self, pool: NegativeSet, rng: np.random.Generator) -> Selection:
        """Choose up to ``num_negatives`` non-positive pool rows per query."""
        if not isinstance(rng, np.random.Generator):
            raise DataError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}",
                            field="rng")
        view = PoolView.of(pool)
        log = FilterLog(view.negatives.copy())
        chosen = self._choose(view, rng, log)
        return finish(view, chosen, log, strategy=self.name, params=self.params,
                      requested=self.num_negatives)

    def _choose(self, view: PoolView, rng: np.random.Generator, log: FilterLog) -> np.ndarray:
        raise NotImplementedError


@dataclass(frozen=True)
class StrategyInfo:
    """A registered strategy's declaration: what the CLI and dashboard list."""

    name: str
    summary: str
    source: str
    params: tuple[Param, ...]
    cls: type[Strategy]

    def as_dict(self) -> dict:
        return {"name": self.name, "summary": self.summary, "source": self.source,
                "params": [p.as_dict() for p in self.params]}


def register(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator adding a frozen Strategy dataclass to the registry under ``cls.name``."""
    if not (isinstance(cls, type) and issubclass(cls, Strategy) and dataclasses.is_dataclass(cls)
            and cls.__dataclass_params__.frozen):
        raise TypeError(f"{cls!r} must be a frozen dataclass subclassing Strategy")
    if not cls.name or cls.name in _REGISTRY:
        raise TypeError(f"strategy name {cls.name!r} is empty or already registered")
    for f in dataclasses.fields(cls):
        if "param" not in f.metadata:
            raise TypeError(f"{cls.name}.{f.name} is not declared with param()")
    _REGISTRY[cls.name] = cls
    return cls


def registry() -> dict[str, StrategyInfo]:
    """Every registered strategy by name, in registration order."""
    return {name: StrategyInfo(name, cls.summary, cls.source, cls.declarations(), cls)
            for name, cls in _REGISTRY.items()}


def get(name: str) -> type[Strategy]:
    if name not in _REGISTRY:
        raise DataError(f"unknown strategy {name!r}; known: {', '.join(_REGISTRY)}", field="strategy")
    return _REGISTRY[name]


def create(name: str, **params: Any) -> Strategy:
    """The strategy ``name`` with ``params`` (unknown keys raise DataError)."""
    cls = get(name)
    known = {p.name for p in cls.declarations()}
    unknown = sorted(set(params) - known)
    if unknown:
        raise DataError(f"strategy {name!r} has no parameter {unknown[0]!r}; "
                        f"it takes {', '.join(sorted(known))}", field=unknown[0])
    return cls(**params)


def from_json(obj: Any) -> Strategy:
    """Rebuild a strategy from ``{"name": ..., "params": {...}}`` (as ``to_json`` writes it)."""
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
        raise DataError("a strategy is a JSON object with a string 'name' and a 'params' object",
                        field="name")
    params = obj.get("params", {})
    if not isinstance(params, dict):
        raise DataError("'params' must be a JSON object", field="params")
    return create(obj["name"], **params)


def parse_params(name: str, items: list[str]) -> dict[str, Any]:
    """``["KEY=VALUE", ...]`` parsed with the declared types of strategy ``name``."""
    declared = {p.name: p for p in get(name).declarations()}
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise DataError(f"a parameter is KEY=VALUE, got {item!r}", field="param")
        if key not in declared:
            raise DataError(f"strategy {name!r} has no parameter {key!r}; "
                            f"it takes {', '.join(sorted(declared))}", field=key)
        out[key] = declared[key].parse(text)
    return out
