"""One function per view (a panel): everything that view draws, computed from the models, the input and the
settings, without Streamlit. The page's views put a panel's charts, notes and lines on the page; the handout draws a
scene's key chart from the same panel, so the two draw the same numbers.

A panel runs the engine through ``Runs`` (the page passes its cached runs, which send long ones to its worker; the
handout and the tests the plain ones) and asks ``limits`` what one request may compute (the page passes its work
budget, lstm_viz/page/budget.py; the handout, run on one's own machine, ``UNLIMITED``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from lstm_viz.engine.cells import parameter_count
from lstm_viz.engine.gradients import gradient_flow, gradient_flows, intervene
from lstm_viz.engine.run import Clamp
from lstm_viz.engine.trace import trace as run_trace
from lstm_viz.i18n import tr
from lstm_viz.models import inputs
from lstm_viz.models.model import Model
from lstm_viz.models.tokenize import Encoded
from lstm_viz.models.train import FBIAS_INITS, FBIAS_LAG, fbias_stem, stem_for
from lstm_viz.notation import GATE_BLOCKS, GATE_ORDER, gate_range
from lstm_viz.teach import figures, readout
from lstm_viz.teach.choice import Choice, Loaders, models_for
from lstm_viz.teach.settings import DEFAULTS, PageSettings, key

PARAMETER_ROWS = ("lstm", "gru", "rnn")  # the cells as the parameters table lists them


def digest(x: np.ndarray) -> str:
    """A short digest of an input sequence, for cache keys."""
    return hashlib.sha256(np.ascontiguousarray(x).tobytes()).hexdigest()[:24]


@dataclass(frozen=True)
class Runs:
    """How a panel runs the engine, each call named by the cache keys of its model and loss."""

    trace: Callable  # (model key, module, x) -> Trace
    flow: Callable  # (model key, module, x, loss, loss key, truncate, clip, jacobian) -> GradientFlow
    intervention: Callable  # (model key, module, x, loss, loss key, clamps key, clamps) -> (Trace, GradientFlow)
    # (module, x, loss, truncates, clips, jacobian) -> {(truncate, clip): GradientFlow}: the knobs' sweeps
    flows: Callable = lambda module, x, loss, truncates, clips, jacobian: gradient_flows(
        module, x, loss, truncates, clips, jacobian)


PLAIN_RUNS = Runs(
    lambda _key, module, x: run_trace(module, x),
    lambda _key, module, x, loss, _lk, truncate, clip, jacobian: gradient_flow(
        module, x, loss=loss, truncate=truncate, clip=clip, jacobian=jacobian),
    lambda _key, module, x, loss, _lk, _ck, clamps: intervene(module, x, clamps, loss=loss, jacobian=False))


class _Unlimited:
    """Limits that allow everything (the handout, computed on one's own machine, for the shipped scenes)."""

    @staticmethod
    def run_refusal(*_args, **_kwargs):
        return None

    truncation_refusal = clamp_refusal = jacobian_note = comparison_note = run_refusal

    @staticmethod
    def jacobian_fits(_module, _T: int) -> bool:
        return True

    @staticmethod
    def passes(_view: str) -> int:
        return 1


UNLIMITED = _Unlimited()


@dataclass(frozen=True)
class Chart:
    """A chart as a figure builder and its arguments. ``name``: the chart's name on the page (its element key);
    ``data`` names the data objects among the arguments (the cache keys of the model, input and loss), so that the
    page can keep the built figure."""

    name: str
    data: str
    build: Callable
    args: tuple
    kwargs: dict = field(default_factory=dict)

    def figure(self):
        return self.build(*self.args, **self.kwargs)


@dataclass(frozen=True)
class Context:
    """What every view of one page needs: the settings, the models, the encoded input, its trace, predictions and
    loss, and how to run and bound more."""

    s: PageSettings
    choice: Choice
    enc: Encoded
    trace: object
    probs: np.ndarray | None
    loss_fn: object
    loss_text: str
    loss_key: str
    scene: object = None  # the lesson scene shown (its key figure leads in presenter view), or None
    runs: Runs = PLAIN_RUNS
    limits: object = UNLIMITED

    @property
    def presenting(self) -> bool:
        """Presenter view of a lesson scene: the key figure first, sized for 1280×720."""
        return self.s.present and self.scene is not None

    @property
    def figure(self) -> dict:
        return self.scene.figure if self.scene is not None else {}

    @property
    def model(self) -> Model:
        return self.choice.model

    @property
    def labels(self) -> list[str]:
        return self.enc.labels

    @property
    def layer(self) -> int:
        top = self.trace.num_layers - 1
        return top if self.s.layer is None else min(self.s.layer, top)

    @property
    def unit(self) -> int:
        return min(self.s.unit, self.trace.hidden_size - 1)

    @property
    def t(self) -> int:
        return min(self.s.t, self.trace.steps - 1)

    def top_labels(self) -> list[str] | None:
        """The readout's most probable output at every step, as text (None without a classifier head)."""
        if self.probs is None or self.probs.shape[1] == 1:
            return None
        names = readout.output_names(self.model, self.probs.shape[1])
        return [names[i] for i in self.probs.argmax(axis=1)]

    def flow(self, jacobian: bool | None = None):
        """The GradientFlow of the main model on the typed input under its own loss."""
        if jacobian is None:
            jacobian = self.limits.jacobian_fits(self.model.rnn, self.trace.steps)
        return self.runs.flow(self.choice.key, self.model.rnn, self.enc.x, self.loss_fn, self.loss_key, None, None,
                              jacobian)


def context_for(s: PageSettings, choice: Choice, runs: Runs = PLAIN_RUNS, limits=UNLIMITED, scene=None) -> Context:
    """The context of the models ``choice`` on their text: encoded, checked against ``limits``, traced, read out.
    ValueError (one sentence) for an input the model cannot read or a request past the limits."""
    model = choice.model
    enc = model.encode(choice.text)
    if enc.x.shape[1] != model.rnn.input_size:
        raise ValueError(f"this model reads {model.rnn.input_size} features per step; the text gives "
                         f"{enc.x.shape[1]}")
    refusal = limits.run_refusal(model.rnn, model.head, enc.x.shape[0], limits.passes(s.view), s.lang)
    if refusal:
        raise ValueError(refusal)
    trace = runs.trace(choice.key, model.rnn, enc.x)
    loss_fn, loss_desc = readout.loss_for(model, enc, trace, probe=s.probe)
    probs = readout.predictions(model, trace.h[-1])
    return Context(s, choice, enc, trace, probs, loss_fn, loss_desc[s.lang],
                   key(s, "probe", base=choice.key, x=digest(enc.x)), scene, runs, limits)


def scene_context(scene, lang: str, loaders: Loaders, runs: Runs = PLAIN_RUNS, limits=UNLIMITED) -> Context:
    """A lesson scene's context, as its presenter view opens it."""
    s = DEFAULTS.replace(**scene.settings, lang=lang, scene=scene.id, present=True)
    return context_for(s, models_for(s, loaders), runs, limits, scene)


# ---- the views' panels -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TimePanel:
    heatmaps: Chart
    lines: Chart | None
    text: Chart | None
    saturation: Chart | None
    text_first: bool  # the scene's claim is in the coloured text: it goes right under the heatmaps


PRESENTER_HEIGHT = 470  # px of the key heatmaps in presenter view (under the player's bar, within 720)
TEXT_HEIGHT = 170  # px of them given to the coloured text when a scene's claim is there
TEXT_STEPS = 2000  # the coloured text is drawn up to this many steps


def time_panel(ctx: Context, window=None, units=None) -> TimePanel:
    """Heatmaps of every gate and state over time (the unit shown outlined, a scene's units dashed), unit lines,
    the text coloured by the unit, gate saturation. ``window``: [lo, hi) of a long sequence; ``units``: the lines."""
    s, trace, T, H = ctx.s, ctx.trace, ctx.trace.steps, ctx.trace.hidden_size
    named = tuple(u for u in (s.units or ()) if u < H) if s.scene else ()
    fields = ctx.figure.get("fields") if ctx.presenting else None
    text_first = bool(ctx.presenting and ctx.figure.get("text") and T <= TEXT_STEPS)
    height = (PRESENTER_HEIGHT - TEXT_HEIGHT if text_first else PRESENTER_HEIGHT) if fields else None
    heat = Chart("heatmaps", ctx.loss_key, figures.heatmaps, (trace, ctx.layer, ctx.labels, window, s.lang),
                 dict(fields=fields, highlight=named, height=height, unit=ctx.unit))
    units = tuple(range(min(3, H))) if units is None else tuple(units)
    lines = Chart("lines", ctx.loss_key, figures.unit_lines, (trace, ctx.layer, list(units), ctx.labels, s.lang)) \
        if units and T <= 4 * figures.MAX_COLUMNS else None
    field = ctx.figure.get("text_field", "h")  # a scene about a cell colours its text by c
    if field not in ("c", "h") or (field == "c" and trace.cell != "lstm"):
        field = "h"
    text = Chart("text_colour", ctx.loss_key, figures.text_colouring,
                 (trace, ctx.layer, ctx.unit, list(ctx.enc.tokens)), dict(field=field, lang=s.lang)) \
        if T <= TEXT_STEPS else None
    sat = Chart("saturation", ctx.loss_key, figures.saturation, (trace, ctx.layer, s.lang)) if trace.gates else None
    return TimePanel(heat, lines, text, sat, text_first)


@dataclass(frozen=True)
class GradPanel:
    refusal: str | None = None  # past the limits: the one sentence shown instead
    notes: tuple[str, ...] = ()  # what is left out and why
    flow: object = None  # the main chart's GradientFlow
    gradients: Chart | None = None
    compare: Chart | None = None
    compare_note: str | None = None  # why the three cells are not compared
    unrolled: Chart | None = None
    prediction: str | None = None  # the classifier's answer the loss is taken against
    # what the main chart's flow was computed from: (model key, module, x, loss, loss key, jacobian), for the
    # knobs' sweeps of the truncation window and the clipping threshold, which change nothing else
    source: tuple | None = None


def last_prediction(ctx: Context) -> str | None:
    """The classifier's answer at the last step, as plain text (“label” and its probability); None without one."""
    if ctx.probs is None or ctx.probs.ndim != 2 or ctx.probs.shape[1] < 2:
        return None
    p = ctx.probs[-1]
    i = int(p.argmax())
    name = readout.output_names(ctx.model, ctx.probs.shape[1])[i]
    return f"{tr('prediction', ctx.s.lang)} (t = {len(ctx.probs) - 1}): “{name}” ({p[i]:.3f})"


def grad_panel(ctx: Context, passes: int) -> GradPanel:
    """The gradient view: the gradients of the knobbed model (ρ, forget bias) on the typed sequence or one of
    ``seqlen`` steps, truncated and clipped as set, the three cells compared, the first steps unrolled. ``passes``:
    the forward runs' worth of work its gradients count (lstm_viz.engine.work.GRADIENT_PASSES)."""
    s, lang, limits, runs = ctx.s, ctx.s.lang, ctx.limits, ctx.runs
    T = s.seqlen or ctx.enc.x.shape[0]
    refusal = limits.run_refusal(ctx.model.rnn, ctx.model.head, T, passes, lang, "grad_budget")
    if refusal:  # before any model is derived
        return GradPanel(refusal)
    module, mkey = ctx.choice.knobbed()
    genc = inputs.repeat_to(ctx.enc, s.seqlen) if s.seqlen else ctx.enc
    knobbed = Model(module, ctx.model.head, ctx.model.task, ctx.model.vocab, ctx.model.mode, readout=ctx.model.readout)
    g_loss, g_desc = readout.loss_for(knobbed, genc, probe=s.probe) if s.seqlen else (ctx.loss_fn,
                                                                                      {lang: ctx.loss_text})
    x_digest = digest(genc.x)  # one digest of the input for every flow below
    gkey = key(s, "probe", base=mkey, x=x_digest)
    trunc = None if module.bidirectional else s.trunc or None
    refusal = limits.truncation_refusal(module, T, trunc, lang)
    if refusal:
        return GradPanel(refusal)
    notes = tuple(n for n in [limits.jacobian_note(module, T, lang)] if n)
    gf = runs.flow(mkey, module, genc.x, g_loss, gkey, trunc, s.clip or None, limits.jacobian_fits(module, T))
    flows, okeys = {}, []
    compare_note = limits.comparison_note(module, T, lang)
    for c, (om, okey) in ({} if compare_note else ctx.choice.compared()).items():
        okeys.append(okey)
        flows[c] = runs.flow(okey, om, genc.x, "probe", key(s, base=okey, x=x_digest), None, None, False)
    data = "|".join([key(s, "trunc", "clip", base=gkey), *okeys])  # what the charts below draw
    # one range for both charts, wide enough for either, so the two can be read against each other
    y_range = figures.log_range(*[a for f in [gf, *flows.values()] for a in (f.dL_dh, f.dL_dc, f.dL_dx, f.dhT_dht)])
    return GradPanel(
        None, notes, gf,
        Chart("gradients", data, figures.gradients, (gf, genc.labels, g_desc[lang], lang), dict(y_range=y_range)),
        Chart("compare", data, figures.compare_cells, (flows, lang), dict(y_range=y_range)) if flows else None,
        compare_note if not flows else None,
        None if s.seqlen else Chart("unrolled_chart", data, figures.unrolled,
                                    (ctx.trace, gf, ctx.labels, ctx.top_labels()), dict(lang=lang)),
        last_prediction(ctx), (mkey, module, genc.x, g_loss, gkey, limits.jacobian_fits(module, T)))


@dataclass(frozen=True)
class Intervention:
    """The clamp the intervention view applies, read from the settings as its widgets leave them."""

    gate: str
    value: float
    units: tuple[int, ...]
    steps: tuple[int, int]  # first and last step clamped

    def clamp(self) -> Clamp:
        return Clamp(self.gate, float(self.value), tuple(self.units) or None,
                     tuple(range(self.steps[0], self.steps[1] + 1)))


def intervention_of(s: PageSettings, cell: str, T: int, H: int) -> Intervention:
    """The clamp of settings ``s``: the cell's first gate and the top of its range unless set, the units chosen,
    every step unless a range is."""
    gates = GATE_ORDER[cell]
    gate = s.igate if s.igate in gates else gates[0]
    hi = gate_range(cell, gate)[1]
    units = tuple(u for u in s.iunits if u < H)
    steps = tuple(s.isteps) if s.isteps and s.isteps[1] <= T - 1 else (0, T - 1)
    return Intervention(gate, hi if s.ival is None else s.ival, units, steps)


@dataclass(frozen=True)
class InterventionPanel:
    refusal: str | None = None
    clamp: Clamp | None = None
    traces: Chart | None = None  # the original and the clamped run, side by side
    gradients: Chart | None = None
    lines: tuple[str, ...] = ()  # what the clamp does to the answers
    flow_error: str | None = None  # the original's gradients could not be computed (the traces are still drawn)


def intervention_panel(ctx: Context) -> InterventionPanel:
    """The intervention view: the clamped run against the original, their gradients, and the answers' change."""
    s, lang, T = ctx.s, ctx.s.lang, ctx.trace.steps
    clamp = intervention_of(s, ctx.choice.cell, T, ctx.trace.hidden_size).clamp()
    refusal = ctx.limits.clamp_refusal(ctx.model.rnn, T, lang)
    if refusal:
        return InterventionPanel(refusal)
    clamped, gf2 = ctx.runs.intervention(ctx.choice.key, ctx.model.rnn, ctx.enc.x, ctx.loss_fn, ctx.loss_key,
                                     repr(clamp), (clamp,))
    data = f"{ctx.loss_key}|{clamp!r}"  # what the two charts draw: the model, input and loss, and the clamp
    fields = ctx.figure.get("fields") if ctx.presenting else None
    traces = Chart("cmp_trace", data, figures.compare_traces,
                   (ctx.trace, clamped, ctx.layer, ctx.unit, ctx.labels, lang), dict(fields=fields))
    try:
        gf1 = ctx.flow(jacobian=False)
    except ValueError as exc:
        return InterventionPanel(None, clamp, traces, None, _effects(ctx, clamped), str(exc))
    grads = Chart("g_compare", data, figures.gradients, (gf1, ctx.labels, f"{tr('f_original', lang)} / "
                                            f"{tr('f_clamped', lang)}: {ctx.loss_text}", lang),
                  dict(other=gf2, other_name=tr("f_clamped", lang)))
    return InterventionPanel(None, clamp, traces, grads, _effects(ctx, clamped))


def _effects(ctx: Context, clamped) -> tuple[str, ...]:
    """What the clamp does to the answers: the last prediction, and the accuracy on the text's own targets."""
    lang, T = ctx.s.lang, ctx.trace.steps
    probs2 = readout.predictions(ctx.model, clamped.h[-1])
    task = ctx.model.task
    if ctx.probs is None or task is None or task.kind != "classify":
        return ()
    cls = list(task.classes)
    p1, p2 = ctx.probs[-1], probs2[-1]
    out = [f"{tr('prediction', lang)} (t = {T - 1}): {tr('f_original', lang)} “{cls[int(p1.argmax())]}” "
           f"({p1.max():.3f}) → {tr('f_clamped', lang)} “{cls[int(p2.argmax())]}” ({p2.max():.3f})"]
    before, after = (readout.text_accuracy(ctx.model, ctx.enc, p) for p in (ctx.probs, probs2))
    if before is not None:
        out.append(tr("text_accuracy", lang, a=before, b=after, n=readout.text_targets_count(ctx.model, ctx.enc)))
    return tuple(out)


def params_rows(ctx: Context) -> list[dict]:
    """The parameters table: each cell's formula and count at the main model's sizes, as PyTorch counts them."""
    lang, rnn = ctx.s.lang, ctx.model.rnn
    m, n, L = rnn.input_size, rnn.hidden_size, rnn.num_layers
    return [{tr("cell", lang): c.upper(), tr("formula", lang): f"{GATE_BLOCKS[c]}(nm + n² + 2n)",
             tr("parameters", lang): parameter_count(c, m, n, L)} for c in PARAMETER_ROWS]


def unrolled_chart(ctx: Context, flow) -> Chart:
    """The step view's network unrolled over its first steps, with the gradient on the backward edges."""
    return Chart("unrolled_chart", ctx.loss_key, figures.unrolled, (ctx.trace, flow, ctx.labels, ctx.top_labels()),
                 dict(layer=ctx.layer, lang=ctx.s.lang))


def with_settings(ctx: Context, s: PageSettings) -> Context:
    """The same context with other view settings (the widgets' values, a knob's value): the model and its run are
    unchanged; the models the gradient view derives from it (its knobs, the three cells) follow ``s``."""
    return replace(ctx, s=s, choice=replace(ctx.choice, settings=s))


@dataclass(frozen=True)
class FbiasPanel:
    """The two recall LSTMs trained alike but for the forget-gate bias they started from: both loss curves, and
    what the shown one reached (and the same pair from other seeds), from their cards."""

    curves: Chart
    caption: str


def fbias_panel(ctx: Context) -> FbiasPanel | None:
    """For the forget-bias twins (settings finit set, the recall LSTM at FBIAS_LAG, shipped): their panel; else
    None."""
    s = ctx.s
    if s.source != "trained" or ctx.choice.trained_here or s.finit is None \
            or stem_for(s.task, s.cell, s.lag, s.readout, s.finit) != fbias_stem(s.finit):
        return None
    cards = {b: ctx.choice.loaders.shipped(fbias_stem(b))[1] for b in FBIAS_INITS}
    curves = {tr("finit_run", s.lang, b=f"{b:g}"): cards[b]["history"] for b in FBIAS_INITS}
    chart = Chart("fbias_loss", "fbias:" + ",".join(fbias_stem(b) for b in FBIAS_INITS), figures.loss_curves,
                  (curves,), dict(lang=s.lang))
    card = cards[s.finit]
    own = next(r for r in card["seeds"] if r["seed"] == card["seed"])
    runs = "; ".join(", ".join(f"{tr('finit_run', s.lang, b=f'{b:g}')}: {r['final_loss']:.3f} / {r['accuracy']:.3f}"
                               for b in FBIAS_INITS for r in cards[b]["seeds"] if r["seed"] == seed)
                     for seed in [r["seed"] for r in card["seeds"]])
    caption = tr("finit_shown", s.lang, lag=FBIAS_LAG, b=f"{s.finit:g}", loss=f"{own['final_loss']:.3f}",
                 n=card["final_loss_steps"], acc=f"{own['accuracy']:.3f}",
                 seeds=", ".join(str(r["seed"]) for r in card["seeds"]), runs=runs)
    return FbiasPanel(chart, caption)


COST_FILE = "data/cost.json"  # written by benchmarks/bench_cost.py --write: measured once, shown as measured


@dataclass(frozen=True)
class CostPanel:
    """What the cells cost, as benchmarks/bench_cost.py measured it on the project's machine: a row per cell
    (parameters, one step, the whole sequence, the input side of every step at once), the sizes it was measured at,
    and the lag-100 recall LSTM's accuracy at longer lags."""

    rows: list
    caption: str
    memory: str


def cost_panel(lang: str, folder=None) -> CostPanel | None:
    """The measured costs (None when the file is not there: the page then shows the parameter counts alone)."""
    from lstm_viz.paths import ASSETS

    path = (folder or ASSETS) / COST_FILE
    if not path.is_file():
        return None
    d = json.loads(path.read_text(encoding="utf-8"))
    rows = [{tr("cell", lang): c.upper(), tr("parameters", lang): v["parameters"],
             tr("cost_step", lang): round(v["step_us"], 1), tr("cost_sequence", lang): round(v["sequence_ms"], 2),
             tr("cost_input_side", lang): round(v["input_side_ms"], 3)} for c, v in d["cells"].items()]
    caption = tr("cost_caption", lang, m=d["input_size"], n=d["hidden_size"], T=f"{d['steps']:,}", torch=d["torch"])
    mem = d["memory"]
    memory = tr("cost_memory", lang, model=mem["model"], lag=mem["trained_lag"],
                accs=", ".join(f"{k}: {v:.3f}" for k, v in mem["accuracy"].items()))
    return CostPanel(rows, caption, memory)
