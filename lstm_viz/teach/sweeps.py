"""The knobs of the gradient view and the intervention view as sweeps: for each knob, the view's two charts (the
model's gradient norms and the RNN / GRU / LSTM comparison; the clamped run against the original and their
gradients) at every value on the knob's grid, the other knobs held where they are, so that the browser can show the
charts for the value under a dragged thumb without asking the server.

Every point is the view itself at that value: ``panels.grad_panel`` (``panels.intervention_panel``) on the settings
with the knob moved, its figures built by the same functions the page draws (``figures.gradients``,
``figures.compare_cells``, ``figures.compare_traces``, as plain dicts). Nothing is interpolated. A point is sent as
the change from the charts at the current settings (``patch``), its arrays as Plotly's typed arrays (``encode``), so
that a whole view's sweeps stay small.

The sweeps are bounded by the work they would do and the bytes they would send (``SWEEP_BUDGET``, counted with
lstm_viz.engine.work before anything runs, and ``SWEEP_BYTES``): each knob gets a share, its points nearest its
value first, and a point past its share is left out (None). The page
then draws that value when the thumb is let go, as it draws every value without sweeps, and says so beside the knob.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace

import numpy as np

from lstm_viz.engine.work import GRADIENT_PASSES, clamped_work, gradient_work, sized_work, stepwise_work
from lstm_viz.i18n import tr
from lstm_viz.notation import CELLS, GATE_BLOCKS, gate_range
from lstm_viz.teach import figures, panels
from lstm_viz.teach.settings import to_query

KNOBS = ("radius", "fbias", "seqlen", "trunc", "clip")  # the gradient view's
CLAMP = "ival"  # the intervention view's: the value the chosen gate is clamped to
CLAMP_STEP = 0.05  # its slider's step (as the page's slider had)

# The values each knob's slider offers (besides the value the settings hold, always added): finer where the
# picture changes fastest (ρ near 1, a forget bias near 0, short sequences and windows, small thresholds).
GRIDS = {
    "radius": (0.0, 0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 2.5, 3.0, 5.0, 10.0),
    "fbias": (-10.0, -5.0, -4.0, -3.0, -2.5, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0,
              10.0),
    "seqlen": (0, 10, 20, 30, 40, 50, 60, 80, 100, 150, 200, 300, 400, 500, 750, 1000, 1500, 2000),
    "clip": (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0),
}
TRUNC_EVERY = 40  # the truncation knob offers every window up to this many steps, then about 40 spread out

# Multiply-adds (lstm_viz.engine.work) a view's sweeps may count, all knobs together (``plan``); and what a point
# costs beyond its multiply-adds, in the same units (about 1.5·10⁶ a millisecond): building its figures and patch
# (POINT_OVERHEAD), each model a knob derives (DERIVE_OVERHEAD), each flow's Python and dispatch (FLOW_OVERHEAD,
# and FLOW_STEP a step; CLAMP_STEP_WORK a step of a clamped run) and, where it is drawn, each step of
# ‖∂h_T/∂h_t‖'s sequential product (JACOBIAN_STEP).
# About 1 CPU-s for a view's sweeps at the budget (benchmarks/bench_sweeps.py measures).
SWEEP_BUDGET = 1_200_000_000
# Bytes a view's sweeps may send, all knobs together, and what a point's patch holds a step: its curves' numbers
# (float64 as base64: about 11 bytes each), about six of them on the main chart and three on the comparison.
SWEEP_BYTES = 1_000_000
POINT_BYTES_STEP = 110
POINT_OVERHEAD = 1_500_000
DERIVE_OVERHEAD = 1_500_000
FLOW_OVERHEAD = 500_000
FLOW_STEP = 100_000
JACOBIAN_STEP = 200_000
CLAMP_STEP_WORK = 800_000  # a clamped run's step: its Python step by step forward and back, and its two charts


def grid(knob: str, value, T: int | None = None) -> list:
    """The values the knob's slider offers, in order: its grid with ``value`` (the settings') added. ``T``: the
    steps the gradient runs over (the truncation window goes up to it)."""
    if knob == "trunc":
        T = max(int(T or 1), 1)
        values = list(range(T + 1)) if T <= TRUNC_EVERY else sorted(
            {*range(11), *np.unique(np.geomspace(11, T, TRUNC_EVERY - 11).round().astype(int)).tolist()})
    else:
        values = list(GRIDS[knob])
    if value is not None and value not in values:
        values = sorted([*values, value])
    return values


def _clamp_range(ctx: panels.Context) -> tuple[float, float]:
    clamp = panels.intervention_of(ctx.s, ctx.choice.cell, ctx.trace.steps, ctx.trace.hidden_size)
    return gate_range(ctx.choice.cell, clamp.gate)


def value_of(ctx: panels.Context, knob: str):
    """Where the knob is at ``ctx``'s settings (the clamp: at the top of the gate's range unless set)."""
    if knob == CLAMP:
        return ctx.s.ival if ctx.s.ival is not None else _clamp_range(ctx)[1]
    return getattr(ctx.s, knob)


def settings_at(ctx: panels.Context, knob: str, value):
    """``ctx``'s settings with the knob at ``value`` (the clamp at the top of its range is the default: None)."""
    if knob == CLAMP:
        return ctx.s.replace(ival=None if value == _clamp_range(ctx)[1] else value)
    return ctx.s.replace(**{knob: value})


def knob_grid(ctx: panels.Context, knob: str) -> list:
    """The values knob's slider offers at ``ctx``'s settings (``grid``; the clamp: its gate's range in steps of
    CLAMP_STEP, with the value set added)."""
    if knob == CLAMP:
        lo, hi = _clamp_range(ctx)
        values = [round(lo + CLAMP_STEP * k, 2) for k in range(int(round((hi - lo) / CLAMP_STEP)) + 1)]
        now = value_of(ctx, knob)
        return values if now in values else sorted([*values, now])
    return grid(knob, getattr(ctx.s, knob), ctx.s.seqlen or ctx.enc.x.shape[0])


def point_work(ctx: panels.Context, knob: str, value) -> int:
    """The multiply-adds one point of the sweep runs (the flows the knob changes), with its overheads, counted
    before anything runs. The truncation windows share one step-by-step backward (a point costs one step back
    more, and the parameter gradients of its window), the thresholds one backward (a point costs its figures)."""
    s = settings_at(ctx, knob, value)
    module = ctx.model.rnn
    T = s.seqlen or ctx.enc.x.shape[0]
    if knob == CLAMP:  # the clamped run and its gradients, step by step (as the page counts it), and its answers
        T = ctx.trace.steps
        return POINT_OVERHEAD + FLOW_OVERHEAD + T * CLAMP_STEP_WORK + clamped_work(module, T)
    if knob == "trunc":  # a step back and a backward of the window's parameter gradients, per gate block
        return POINT_OVERHEAD + FLOW_OVERHEAD + GATE_BLOCKS[ctx.choice.cell] * T * FLOW_STEP + \
            2 * stepwise_work(module, T, 1)
    if knob == "clip":
        return POINT_OVERHEAD
    jacobian = ctx.limits.jacobian_fits(module, T)
    work = POINT_OVERHEAD + FLOW_OVERHEAD + T * FLOW_STEP + gradient_work(module, T, jacobian) + \
        (T * JACOBIAN_STEP if jacobian else 0)
    compared = CELLS if knob != "fbias" else ("lstm",)  # the three cells follow ρ and the length; b_f the LSTM
    if knob in ("radius", "fbias"):  # the main model and the compared ones, derived
        work += (1 + len(compared)) * DERIVE_OVERHEAD
    if ctx.limits.comparison_note(module, T, s.lang) is None:
        work += sum(FLOW_OVERHEAD + T * FLOW_STEP + GRADIENT_PASSES * sized_work(
            c, module.input_size, module.hidden_size, module.num_layers, 1, T) for c in compared)
    return work


@dataclass(frozen=True)
class Knob:
    """One knob's slider and sweep: its values, where it is, the address text of each value, and each value's
    charts as a patch on the charts at the current settings (None: drawn on release)."""

    name: str
    values: list
    at: int
    query: list  # the address's text for each value (None: the default, left out of the address)
    points: list  # per value: a patch (see ``patch``), or None past the budget

    @property
    def live(self) -> str:
        """"all", "some" or "none" of the values drawn while the thumb moves."""
        n = sum(p is not None for p in self.points)
        return "all" if n == len(self.points) else "none" if n <= 1 else "some"


def view_state(ctx: panels.Context) -> tuple[dict, tuple | None]:
    """What the view's two charts and their lines show at ``ctx``'s settings, as plain data: the two figures
    (Plotly dicts), the notes, the lines under the main chart and the second chart's note; or the refusal. With
    it, what the main chart's flow was computed from (GradPanel.source), or None. The gradient view's, or the
    intervention view's (``clamp_state``)."""
    if ctx.s.view == "intervene":
        return clamp_state(ctx), None
    try:
        p = panels.grad_panel(ctx, GRADIENT_PASSES)
    except ValueError as exc:  # a loss that overflows, an input the model cannot read: said, not drawn
        return {"refusal": str(exc)}, None
    if p.refusal:
        return {"refusal": p.refusal}, None
    lines = [t for t in [p.prediction] if t]
    gf = p.flow
    if gf.clip is not None:
        lines.append(tr("grad_norm", ctx.s.lang, a=gf.grad_norm, b=gf.grad_norm_clipped, c=gf.clip))
    typed = figures.projector_type if ctx.presenting else (lambda spec: spec)  # a scene on a projector
    return {"main": typed(spec_of(p.gradients)), "compare": None if p.compare is None else typed(spec_of(p.compare)),
            "notes": list(p.notes), "lines": lines, "compare_note": p.compare_note}, p.source


def clamp_state(ctx: panels.Context) -> dict:
    """The intervention view's state: the clamped run against the original (main) and their gradients (second),
    with what the clamp does to the answers under the first; or why it is not drawn."""
    try:
        p = panels.intervention_panel(ctx)
    except ValueError as exc:
        return {"refusal": str(exc)}
    if p.refusal or p.flow_error:
        return {"refusal": p.refusal or p.flow_error}
    typed = figures.projector_type if ctx.presenting else (lambda spec: spec)
    return {"main": typed(spec_of(p.traces)), "compare": typed(spec_of(p.gradients)), "notes": [],
            "lines": list(p.lines), "compare_note": None}


def spec_of(chart: panels.Chart) -> dict:
    """A panel's chart as the Plotly dict its builder's ``spec`` makes (the figure the page draws)."""
    return chart.build.spec(*chart.args, **chart.kwargs)


def _kept(runs: panels.Runs, found: dict) -> panels.Runs:
    """``runs`` with every flow kept in ``found`` for the sweeps' length (the three cells' flows repeat across a
    knob's points), keyed by the model's and the loss's keys and the flow's own settings."""
    def flow(mkey, module, x, loss, lkey, truncate, clip, jacobian):
        k = (mkey, lkey, truncate, clip, jacobian)
        if k not in found:
            found[k] = runs.flow(mkey, module, x, loss, lkey, truncate, clip, jacobian)
        return found[k]

    return replace(runs, flow=flow)


def _prefill(ctx: panels.Context, knob: str, values: list, source: tuple, found: dict) -> None:
    """The flows of a sweep of windows or thresholds, from one call (Runs.flows) into ``found``, where the
    points' grad_panel finds them. Windows the page would refuse are left to it; if the call fails, each point
    computes its own flow (and says why it cannot)."""
    mkey, module, x, loss, lkey, jacobian = source
    s = ctx.s
    if knob == "trunc":
        T = x.shape[0]
        ks = [int(k) or None for k in values
              if not k or ctx.limits.truncation_refusal(module, T, int(k), s.lang) is None]
        pairs, clips = ks, [s.clip or None]
    else:
        pairs, clips = [None if module.bidirectional else s.trunc or None], [float(c) or None for c in values]
    try:
        flows = ctx.runs.flows(module, x, loss, tuple(pairs), tuple(clips), jacobian)
    except ValueError:
        return
    for (k, c), gf in flows.items():
        found[mkey, lkey, k, c, jacobian] = gf


def point_cost(ctx: panels.Context, knob: str, value) -> float:
    """A point's share of the sweeps' budget: its work (point_work) or its bytes, whichever takes the larger part
    of SWEEP_BUDGET or SWEEP_BYTES."""
    T = ctx.trace.steps if knob == CLAMP else settings_at(ctx, knob, value).seqlen or ctx.enc.x.shape[0]
    return max(point_work(ctx, knob, value) / SWEEP_BUDGET, T * POINT_BYTES_STEP / SWEEP_BYTES)


def plan(ctx: panels.Context, names: list[str], budget: float = 1.0) -> dict[str, list[int]]:
    """Which values of each knob are swept (indices into its grid): each knob takes the values nearest its thumb
    first, within an equal share of what ``budget`` (a fraction of the sweeps' budget: point_cost) has left, the
    cheapest knob first, so that what a cheap knob leaves goes to the dearer ones; a knob stops at its first value
    past its share (the further ones cost as much or more). Counted before anything runs: the same settings give
    the same plan."""
    order = {}
    for k in names:
        values = knob_grid(ctx, k)
        at = values.index(value_of(ctx, k))
        order[k] = [(i, point_cost(ctx, k, values[i]))
                    for i in sorted(range(len(values)), key=lambda i: (abs(i - at), i)) if i != at]
    chosen, left = {}, budget
    ranked = sorted(names, key=lambda k: sum(c for _, c in order[k]))
    for n, k in enumerate(ranked):
        share, spent, chosen[k] = left / (len(ranked) - n), 0.0, []
        for i, cost in order[k]:
            if spent + cost > share:
                break
            spent += cost
            chosen[k].append(i)
        left -= spent
    return chosen


def sweep(ctx: panels.Context, knob: str, base: dict, source: tuple | None, chosen: list[int]) -> Knob:
    """The knob's values and, for those ``chosen`` (indices), the view's state there as a patch on ``base``
    (``encode(view_state(ctx))``). ``source``: the main flow's inputs at the current settings (GradPanel.source)."""
    values = knob_grid(ctx, knob)
    at = values.index(value_of(ctx, knob))
    points: list = [None] * len(values)
    points[at] = {}
    found: dict = {}
    if chosen and source is not None and knob in ("trunc", "clip"):
        _prefill(ctx, knob, [values[i] for i in chosen], source, found)
    runs = _kept(ctx.runs, found)
    for i in sorted(chosen):
        moved = panels.with_settings(replace(ctx, runs=runs), settings_at(ctx, knob, values[i]))
        points[i] = patch(base, encode(view_state(moved)[0]))
    query = [to_query(settings_at(ctx, knob, v)).get(knob) for v in values]
    return Knob(knob, values, at, query, points)


def knobs_of(ctx: panels.Context) -> list[str]:
    """The knobs the view shows for this model: in the intervention view, the clamp; in the gradient view, the
    forget bias only for an LSTM whose bias is set, the truncation window only for a model that reads in one
    direction."""
    if ctx.s.view == "intervene":
        return [CLAMP]
    shown = ["radius"]
    if ctx.choice.cell == "lstm" and ctx.s.fbias is not None:
        shown.append("fbias")
    shown.append("seqlen")
    if not ctx.model.rnn.bidirectional:
        shown.append("trunc")
    return [*shown, "clip"]


def sweeps(ctx: panels.Context, budget: float = 1.0, point_runs: panels.Runs | None = None) -> tuple[dict, list[Knob]]:
    """The view's state at ``ctx``'s settings (``encode(view_state(ctx))``, from ``ctx``'s own runs: the page's
    cache, which its other charts then find) and every knob the view shows, each swept as ``plan`` shares ``budget``
    out, its points from ``point_runs`` (the page's: runs that keep nothing); none is swept when the view at the
    current settings is refused (the knobs then work on release only)."""
    names = knobs_of(ctx)
    state, source = view_state(ctx)
    base = encode(state)
    chosen = plan(ctx, names, 0.0 if "refusal" in base else budget)
    swept = ctx if point_runs is None else replace(ctx, runs=point_runs)
    return base, [sweep(swept, k, base, source, chosen[k]) for k in names]


def encode(obj):
    """``obj`` as JSON can hold it: numpy arrays as Plotly's typed arrays ({dtype, bdata}: the float64 bits, so
    nothing is rounded), numpy numbers as Python's, tuples as lists."""
    if isinstance(obj, dict):
        return {k: encode(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [encode(v) for v in obj]
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "iu":
            a, dtype = obj.astype("<i4"), "i4"
        elif obj.dtype.kind == "f":
            a, dtype = obj.astype("<f8"), "f8"
        else:
            return encode(obj.tolist())
        return {"dtype": dtype, "bdata": base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")}
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def patch(base, new):
    """What turns ``base`` into ``new`` (both JSON data): {} when equal; a dict's changed keys under "d" and its
    removed ones under "x"; a list of dicts or lists: its changed items under "l" (by index), and when its length
    changes, the new length under "n" and the items past the old end under "t"; anything else whole under "v".
    The browser reads it (``apply`` in player/src/knobs.js)."""
    if base == new:
        return {}
    if isinstance(base, dict) and isinstance(new, dict):
        out = {}
        changed = {k: patch(base[k], v) if k in base else {"v": v} for k, v in new.items()
                   if k not in base or base[k] != v}
        if changed:
            out["d"] = changed
        gone = [k for k in base if k not in new]
        if gone:
            out["x"] = gone
        return out
    if isinstance(base, list) and isinstance(new, list) and new and \
            all(isinstance(v, (dict, list)) for v in [*base, *new]):
        out = {"l": {str(i): patch(b, n) for i, (b, n) in enumerate(zip(base, new)) if b != n}}
        if len(new) != len(base):
            out["n"] = len(new)
            if len(new) > len(base):
                out["t"] = new[len(base):]
        return out
    return {"v": new}


LABELS = {"radius": ("whh_radius", "rho_help"), "fbias": ("forget_bias", None), "seqlen": ("seq_len", None),
          "trunc": ("truncate", None), "clip": ("clip", None), CLAMP: ("value", None)}
ZERO = {"radius": "knob_as_model", "seqlen": "knob_typed", "trunc": "knob_full", "clip": "knob_off"}  # what 0 means


def live_note(knob: dict, names: list[str], lang: str) -> str | None:
    """Beside a knob some of whose values are drawn only on release: which are drawn as it moves."""
    swept = [i for i, p in enumerate(knob["points"]) if p is not None]
    if len(swept) == len(knob["points"]):
        return None
    if len(swept) <= 1:
        return tr("knob_not_live", lang)
    return tr("knob_partly_live", lang, lo=names[swept[0]], hi=names[swept[-1]])


def component_data(ctx: panels.Context, base: dict, knobs: list[dict], imgfmt: str = "png",
                   embedded: bool = False, busy: bool = False) -> dict:
    """What the knobs component (player/src/knobs.js) draws, on the page and in a file: each knob (``Knob``'s
    fields as a dict) with its label and the names of its values, the charts at the current settings, and the
    words around them, in the context's language. ``embedded``: a file on its own (no address, nothing to rerun).
    ``busy``: the server had no time for sweeps (every knob works on release, and says why)."""
    lang = ctx.s.lang
    grad = ctx.s.view != "intervene"  # the second chart: the three cells compared, or the clamp's gradients
    out = []
    for k in knobs:
        label, help_key = LABELS[k["name"]]
        zero = tr(ZERO[k["name"]], lang) if k["name"] in ZERO else None
        names = [zero if v == 0 and zero else f"{v:g}" for v in k["values"]]
        out.append({**{f: k[f] for f in ("name", "values", "at", "query", "points")},
                    "label": tr(label, lang), "help": tr(help_key, lang) if help_key else None, "names": names,
                    "note": tr("knob_busy", lang) if busy else live_note(k, names, lang)})
    return dict(lang=lang, base=base, knobs=out, present=ctx.presenting, imgfmt=imgfmt, embedded=embedded,
                stacked=not grad,  # the clamped run's stacked fields and its gradients: each at the full width
                compareFirst=ctx.presenting and ctx.figure.get("chart") == "compare",
                texts=dict(compare_title=grad and tr("compare_cells", lang),
                           compare_caption=grad and tr("compare_caption", lang),
                           on_release=tr("knob_in_file" if embedded else "knob_on_release", lang)))
