"""Every setting of the page, listed once: name, type, default, allowed values, and its name in the address.

The page reads the address into a ``PageSettings`` once per session (``parse``), lets widgets change it, and
writes it back (``to_query``); lesson scenes are checked against the same list (``check_values``); cache keys
are made from it by ``key``. Nothing here imports Streamlit: the lesson loader and the tests use it too.

A bad value in the address never raises: it falls back to the default and a notice names it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

from lstm_viz.checks import MAX_LAYERS, MAX_STEPS
from lstm_viz.i18n import LANGS
from lstm_viz.models.model import READOUTS
from lstm_viz.models.tasks import TASKS
from lstm_viz.models.tokenize import MODES
from lstm_viz.models.train import FBIAS_INITS
from lstm_viz.notation import CELLS, GATE_ORDER

VIEWS = ("step", "time", "grad", "intervene", "train", "params", "export")
LAGS = (5, 20, 50, 100)
MAX_TEXT = MAX_STEPS * 8  # characters accepted in the text box (each step is at least one character)
MAX_GRAD_STEPS = 2000  # the gradient view's sequence-length knob goes up to this
MAX_UNITS = 1024


@dataclass(frozen=True)
class Spec:
    """How one setting is read: its kind ('str', 'int', 'float', 'bool', 'ints', 'range'), choices or bounds."""

    kind: str
    choices: tuple | None = None
    lo: float | None = None
    hi: float | None = None
    optional: bool = False  # None is allowed (and means "as the model has it" / "not set")
    max_len: int = 64


SPECS: dict[str, Spec] = {
    "lang": Spec("str", LANGS),
    "scene": Spec("str", max_len=64),  # checked against the lesson ids by the page
    "present": Spec("bool"),
    # the model
    "source": Spec("str", ("trained", "random", "upload")),
    "task": Spec("str", TASKS),
    "cell": Spec("str", CELLS),
    "lag": Spec("int", LAGS),
    "readout": Spec("str", READOUTS),
    "finit": Spec("float", FBIAS_INITS, optional=True),
    "mode": Spec("str", MODES),
    "hidden": Spec("int", lo=1, hi=256),
    "layers": Spec("int", lo=1, hi=MAX_LAYERS),
    "seed": Spec("int", lo=0, hi=2**31 - 1),
    "scale": Spec("float", lo=0.1, hi=5.0),
    "text": Spec("str", optional=True, max_len=MAX_TEXT),
    # what is shown
    "view": Spec("str", VIEWS),
    "t": Spec("int", lo=0, hi=MAX_STEPS - 1),
    "unit": Spec("int", lo=0, hi=MAX_UNITS - 1),
    "layer": Spec("int", lo=0, hi=MAX_LAYERS - 1, optional=True),
    "imgfmt": Spec("str", ("png", "svg")),
    # over time
    "units": Spec("ints", lo=0, hi=MAX_UNITS - 1, optional=True),
    "win": Spec("range", lo=0, hi=MAX_STEPS - 1, optional=True),
    # gradients
    "radius": Spec("float", lo=0.0, hi=10.0),
    "fbias": Spec("float", lo=-10.0, hi=10.0, optional=True),
    "seqlen": Spec("int", lo=0, hi=MAX_GRAD_STEPS),
    "trunc": Spec("int", lo=0, hi=MAX_STEPS),
    "clip": Spec("float", lo=0.0, hi=1000.0),
    # interventions
    "igate": Spec("str", GATE_ORDER["lstm"] + GATE_ORDER["gru"], optional=True),
    "ival": Spec("float", lo=-1.0, hi=1.0, optional=True),
    "iunits": Spec("ints", lo=0, hi=MAX_UNITS - 1),
    "isteps": Spec("range", lo=0, hi=MAX_STEPS - 1, optional=True),
    # training
    "tsteps": Spec("int", lo=10, hi=2000),
    "probe": Spec("bool"),
    "unrolled": Spec("bool"),
}


@dataclass(frozen=True)
class PageSettings:
    """The whole state of the page that a link can carry. Defaults give the first page a newcomer sees."""

    lang: str = "en"
    scene: str = ""  # "" = free exploration
    present: bool = False  # presenter view: controls hidden
    source: str = "trained"  # trained (shipped) | random (fresh, seeded) | upload
    task: str = "brackets"
    cell: str = "lstm"
    lag: int = 20  # recall lag of the shipped recall models
    readout: str = "final_states"  # the digits' BiLSTM: its head reads both final states, or outputs[-1] ("outputs")
    finit: float | None = None  # recall at lag 20: the LSTM trained from forget bias 0 or 1; None = as shipped
    mode: str = "chars"  # how typed text is read by a fresh or uploaded model
    hidden: int = 8
    layers: int = 1
    seed: int = 0
    scale: float = 1.0  # fresh models: weights multiplied by this
    text: str | None = None  # None = the model's own example
    view: str = "step"
    t: int = 0
    unit: int = 0
    layer: int | None = None  # None = the top layer
    imgfmt: str = "png"
    units: tuple[int, ...] | None = None  # units in the line plot; None = the first three
    win: tuple[int, int] | None = None  # full-resolution window of a long sequence
    radius: float = 0.0  # spectral radius of W_hh; 0 = as the model has it
    fbias: float | None = None  # LSTM forget-gate bias; None = as the model has it
    seqlen: int = 0  # gradient view: 0 = the typed sequence
    trunc: int = 0  # truncated BPTT window; 0 = full BPTT
    clip: float = 0.0  # clipping threshold; 0 = off
    igate: str | None = None  # gate to clamp; None = the cell's first gate
    ival: float | None = None  # value it is clamped to; None = the top of its range
    iunits: tuple[int, ...] = ()  # units to clamp; () = all
    isteps: tuple[int, int] | None = None  # steps to clamp; None = all
    tsteps: int = 400
    probe: bool = False  # gradients under the probe loss L = Σ h_T instead of the model's own loss
    unrolled: bool = False  # the step view also shows the network unrolled over its first steps

    def replace(self, **changes) -> PageSettings:
        return replace(self, **changes)


DEFAULTS = PageSettings()
assert [f.name for f in fields(PageSettings)] == list(SPECS), "SPECS and PageSettings list the same settings"


def _convert(spec: Spec, raw: Any):
    """One value from the address (a string) or a scene file (TOML types) -> the setting's type; ValueError."""
    if raw is None or (raw == "" and spec.optional and spec.kind != "str"):
        if spec.optional:
            return None
        raise ValueError("empty")
    if raw == "" and spec.kind != "str":
        raise ValueError("empty")
    if spec.kind == "str":
        v = str(raw)
        if len(v) > spec.max_len:
            raise ValueError(f"longer than {spec.max_len:,} characters")
    elif spec.kind == "bool":
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() not in ("true", "false", "1", "0"):
            raise ValueError("not true or false")
        return str(raw).lower() in ("true", "1")
    elif spec.kind in ("int", "float"):
        if isinstance(raw, bool) or len(str(raw)) > 32:
            raise ValueError("not a number")
        v = float(raw)  # ValueError for words
        if not math.isfinite(v):
            raise ValueError("not a finite number")
        if spec.kind == "int":
            if v != int(v):
                raise ValueError("not a whole number")
            v = int(v)
    else:  # a list of ints ("1,2,3") or a range ("4-9")
        parts = raw if isinstance(raw, (list, tuple)) else [p for p in str(raw).replace("-", ",").split(",") if p]
        if len(parts) > MAX_UNITS or len(str(raw)) > 8 * MAX_UNITS:
            raise ValueError("too many values")
        v = tuple(_convert(Spec("int", lo=spec.lo, hi=spec.hi), p) for p in parts)
        if spec.kind == "range":
            if len(v) != 2 or v[0] > v[1]:
                raise ValueError("not a range lo-hi")
        return v
    if spec.choices is not None and v not in spec.choices:
        raise ValueError("not one of " + ", ".join(map(str, spec.choices)))
    if spec.lo is not None and not spec.lo <= v <= spec.hi:
        raise ValueError(f"outside {spec.lo:g}–{spec.hi:g}")
    return v


def check_values(values: dict) -> dict:
    """Settings from a lesson scene (or a test), converted and checked; ValueError names the first bad one."""
    out = {}
    for name, raw in values.items():
        if name not in SPECS:
            raise ValueError(f"unknown setting {name!r}")
        try:
            out[name] = _convert(SPECS[name], raw)
        except (ValueError, TypeError, OverflowError) as exc:
            raise ValueError(f"setting {name!r}: {exc}") from None
    return out


def parse(query: dict, base: PageSettings = DEFAULTS) -> tuple[PageSettings, list[str]]:
    """The settings a page address holds, over ``base``; every bad value is left at ``base`` and named in a notice.

    ``query`` maps a parameter to its string value (or a list of them: the last one counts)."""
    values, notices = {}, []
    for name, raw in query.items():
        if isinstance(raw, (list, tuple)):
            raw = raw[-1] if raw else ""
        if name not in SPECS:
            continue  # other parameters (Streamlit's own, or an old link's) are ignored
        try:
            values[name] = _convert(SPECS[name], raw)
        except (ValueError, TypeError, OverflowError) as exc:
            shown = str(raw) if len(str(raw)) <= 40 else str(raw)[:40] + "…"
            notices.append(f"{name}={shown!r}: {exc}; using {_to_text(getattr(base, name))!r}")
    return base.replace(**values), notices


def _to_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, tuple):
        return ",".join(map(str, v))
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def to_query(s: PageSettings) -> dict[str, str]:
    """The address of these settings: every value that differs from the default, as text ``parse`` reads back."""
    out = {}
    for f in fields(PageSettings):
        v = getattr(s, f.name)
        if v != getattr(DEFAULTS, f.name):
            out[f.name] = _to_text(v)
    return out


def key(s: PageSettings, *names: str, base: str = "", **extra) -> str:
    """A cache key from the named settings, after ``base`` (a model's key) and followed by ``extra`` values that
    are not settings (an input's digest, the resolved layer): one function for every cache key of the page."""
    parts = [f"{n}={_to_text(getattr(s, n))}" for n in names] + [f"{k}={_to_text(v)}" for k, v in extra.items()]
    return "|".join(([base] if base else []) + parts)


MODEL_SETTINGS = {  # which settings choose the model, per source
    "trained": ("source", "task", "cell", "lag", "readout", "finit"),
    "random": ("source", "cell", "mode", "hidden", "layers", "seed", "scale"),
    "upload": ("source", "mode"),
}
