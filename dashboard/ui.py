"""Small UI helpers shared by the pages: error display, progress bars, parameter widgets.

Rules kept here so every page follows them:

- Errors a user can fix (``ValueError``, which includes ``DataError``, and ``OSError``) are shown
  as one clear ``st.error`` line and stop the page; never a traceback.
- Text that comes from data is shown with ``st.text`` / ``st.code`` / ``st.dataframe``, never as
  markdown or HTML, so ``<script>`` in a passage is shown literally.
- Strategy parameter widgets are built from the registry's ``Param`` declarations (type,
  default, range, choices, help, source): no page writes a widget for a particular parameter.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Any, Iterator

import streamlit as st

from analysis.strategies.base import Param


@contextmanager
def reported(what: str) -> Iterator[None]:
    """Run a block; a ``ValueError``/``OSError`` becomes ``st.error("<what>: <reason>")`` and
    stops the page (the rest of the app, the sidebar included, stays usable)."""
    try:
        yield
    except (ValueError, OSError) as exc:
        st.error(f"{what}: {exc}", icon=":material/error:")
        st.stop()


class ProgressBar:
    """A ``progress(done, total, stage)`` callback drawing one st.progress bar per call site.

    The library reports stages ("query", "document", "search", "cross-encoder", ...); the bar
    shows the current stage, its count and the stage's time left (extrapolated from its progress
    so far, ``analysis.scoring.estimate.time_left``), and is removed by :meth:`done`.
    """

    def __init__(self, title: str):
        self._title = title
        self._slot = st.empty()
        self._slot.progress(0.0, text=f"{title}: starting")
        self._stage: tuple[str, float] = ("", 0.0)  # the current stage and when it started

    def __call__(self, done: int, total: int, stage: str) -> None:
        from analysis.scoring.estimate import time_left

        now = time.monotonic()
        if self._stage[0] != stage:
            self._stage = (stage, now)
        share = min(max(done / total, 0.0), 1.0) if total else 1.0
        left = time_left(done, total, now - self._stage[1])
        self._slot.progress(share, text=f"{self._title}: {stage} {done:,}/{total:,} · {left}")

    def done(self) -> None:
        self._slot.empty()


def param_widget(decl: Param, value: Any, *, key: str) -> Any:
    """One widget for a declared strategy parameter; returns the chosen (checked) value.

    bool -> checkbox; declared choices -> selectbox; int/float -> number input bounded by the
    declared range; nullable or str -> text input parsed with ``Param.parse`` ('none' = unset).
    ``value`` seeds the widget the first time ``key`` is seen.
    """
    help_text = decl.help + (f" (source: {decl.source})" if decl.source else "")
    label = decl.name
    if key not in st.session_state:
        st.session_state[key] = _widget_value(decl, value)
    if decl.type is bool and not decl.nullable:
        return st.checkbox(label, key=key, help=help_text)
    if decl.choices is not None and not decl.nullable:
        return st.selectbox(label, list(decl.choices), key=key, help=help_text)
    if decl.type in (int, float) and not decl.nullable:
        is_int = decl.type is int
        low = None if decl.low is None else (int(decl.low) if is_int else float(decl.low))
        high = None if decl.high is None else (int(decl.high) if is_int else float(decl.high))
        step = 1 if is_int else _float_step(decl)
        return st.number_input(label, min_value=low, max_value=high, step=step, key=key,
                               help=help_text, format=None if is_int else "%.4g")
    text = st.text_input(label, key=key, help=help_text + (" ('none' = off)" if decl.nullable else ""))
    try:
        return decl.parse(text)
    except ValueError as exc:
        st.warning(f"{decl.name}: {exc}; using {decl.default!r}")
        return decl.default


def _widget_value(decl: Param, value: Any) -> Any:
    """What the widget holds for ``value``: text for text inputs, the value itself otherwise."""
    if decl.nullable or decl.type is str and decl.choices is None:
        return "none" if value is None else str(value)
    if decl.type is float:
        return float(value)
    return value


def _float_step(decl: Param) -> float:
    if decl.low is not None and decl.high is not None and decl.high > decl.low:
        return float(min(0.01, (decl.high - decl.low) / 100))
    return 0.01


def show_passage(label: str, text: str) -> None:
    """A label and the passage, both as literal text (never markdown, never HTML)."""
    st.text(label)
    st.code(text, language=None, wrap_lines=True)


_GUARD_KEYS = """<script>
const win = window.parent, doc = win.document;
const typing = (t) => t && (t.isContentEditable || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT'
  || (t.tagName === 'INPUT' && !['checkbox', 'radio', 'button', 'submit', 'reset', 'range'].includes(t.type)));
function guard() {
  const listener = win.__streamlitShortcutsListener;
  if (!listener) return false;
  if (listener.__neglensGuarded) return true;
  const guarded = function (e) { if (!typing(e.target)) return listener(e); };
  guarded.__neglensGuarded = true;
  doc.removeEventListener('keydown', listener);
  doc.addEventListener('keydown', guarded);
  win.__streamlitShortcutsListener = guarded;
  return true;
}
if (!guard()) { let tries = 0; const timer = setInterval(() => { if (guard() || ++tries > 200) clearInterval(timer); }, 50); }
</script>"""


def shortcuts_skip_typing() -> None:
    """Keyboard shortcuts (``streamlit-shortcuts``) stay silent while the focus is in a text
    box: its one document-level listener is swapped, once per browser page, for one that
    ignores keys typed into an input, textarea, select or editable element (the library has no
    such option), so typing ``f`` in a search box is text, not a verdict."""
    import streamlit.components.v1 as components

    components.html(_GUARD_KEYS, height=0, width=0)
