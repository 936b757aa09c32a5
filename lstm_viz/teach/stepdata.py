"""What the step player in the browser receives, once per (model, input, layer, unit): everything it shows at any
step, so that stepping needs no server.

Numbers travel as base64 float32 arrays (``Float32Array`` in the browser), one per series of
``explain.unit_series``. A sequence longer than ``WINDOW`` steps is sent as a window of ``WINDOW`` steps around the
current one; the player asks for the next window when it steps past an edge.
"""

from __future__ import annotations

import base64

import numpy as np

from lstm_viz.i18n import tr
from lstm_viz.notation import DIV_SCALE, SEQ_SCALE, colour_of
from lstm_viz.teach import diagram, explain
from lstm_viz.teach.figures import scale_stops
from lstm_viz.teach.readout import output_names, readout_series

WINDOW = 2000  # steps sent at once
TOP_K = 5  # predictions shown per step
PLAYER_TEXT = ("p_play", "p_pause", "p_speed", "p_first", "p_last", "p_prev", "p_next", "p_step", "p_keys",
               "p_keys_inside", "p_svg", "p_window", "p_tokens", "p_top", "p_equations", "p_unk", "forward", "textbook",
               "backward", "loss_used", "prediction")


def b64(a: np.ndarray, dtype=np.float32) -> str:
    with np.errstate(over="ignore"):  # a value past float32's range travels as ±inf, and the player shows ∞
        return base64.b64encode(np.ascontiguousarray(a, dtype=dtype).tobytes()).decode("ascii")


def window_of(T: int, t: int, size: int = WINDOW) -> tuple[int, int]:
    """[lo, hi) of at most ``size`` steps with t inside, centred where possible."""
    lo = max(0, min(t - size // 2, T - size))
    return lo, min(T, lo + size)


def step_data(model, trace, flow, tokens, unknown, probs, layer: int, unit: int, lo: int = 0, lang: str = "en",
              loss_text: str = "", sig: str = "", window: int = WINDOW, compact: bool = False) -> dict:
    """The player's data for steps [lo, lo + window). ``tokens``/``unknown``: the encoded sequence; ``probs``:
    [T, C] head outputs or None. The step shown is not part of it: the player keeps it (in the page address).
    ``compact``: only what the time control needs (the tokens), for views that show no diagram."""
    T = trace.steps
    lo = int(min(max(lo, 0), max(T - window, 0)))
    hi = min(T, lo + window)
    base = {
        "sig": sig, "lang": lang, "cell": trace.cell, "T": T, "lo": lo, "hi": hi, "compact": compact,
        "layer": layer, "unit": unit, "layers": trace.num_layers, "hidden": trace.hidden_size,
        "tokens": [str(s) for s in tokens[lo:hi]],
        "unknown": [int(i) - lo for i in np.flatnonzero(np.asarray(unknown)[lo:hi])],
        "colours": {k: colour_of(k) for k in ("cursor", "halo", "black", "wire", "ink", "paper", "light_ink", "bar",
                                               "limit")},
        "text": {k: tr(k, lang) for k in PLAYER_TEXT},
        "title": f"{trace.cell.upper()} · {tr('f_layer', lang)} {layer} · {tr('f_unit', lang)} {unit}"
                 + (f" · {tr('dir_reverse' if trace.direction_of(unit) else 'dir_forward', lang)}"
                    if trace.directions == 2 else ""),
    }
    if compact:
        return base
    series = explain.unit_series(model.rnn, trace, flow, layer, unit)
    head, readout = readout_series(probs)
    series.update(readout)
    pred = None
    if head == "classify":
        k = min(TOP_K, probs.shape[1])
        top = np.argsort(-probs[lo:hi], axis=1, kind="stable")[:, :k]
        names = output_names(model, probs.shape[1])
        # the names of the outputs that are shown, by index (an output layer may have tens of thousands)
        pred = {"k": k, "labels": {str(i): names[i] for i in np.unique(top).tolist()}, "idx": b64(top, np.uint16),
                "p": b64(np.take_along_axis(probs[lo:hi], top, axis=1))}
    templates = explain.unit_templates(trace, layer, unit, set(series))
    layout = diagram.layout(trace.cell, trace.nonlinearity, head, lang,
                            trace.direction_of(unit) if trace.directions == 2 else None)
    return dict(base, series={name: b64(v[lo:hi]) for name, v in series.items()}, pred=pred, equations=templates,
                diagram=layout, loss=loss_text, scales={"seq": scale_stops(SEQ_SCALE), "div": scale_stops(DIV_SCALE)})
