"""The cell diagram as data: boxes, operators, wires and labels in diagram units, drawn as SVG by the step player.

Texts hold ``⟦name:format⟧`` placeholders, filled in the browser with the values of ``explain.unit_series`` at the
step shown (``⟦top:label⟧`` is the top prediction's label). Wires go from source to target; the player draws an
arrowhead at the target. Gate colours, letters and meanings come from ``notation``; nothing here draws.
"""

from __future__ import annotations

from lstm_viz.i18n import tr
from lstm_viz.notation import GATES, GRU_CONVENTION, STATES, colour_of


def _box(x, y, label, value, scale, title, edge, w=1.4, h=0.8):
    return {"x": x, "y": y, "w": w, "h": h, "label": label, "value": value, "scale": scale, "title": title,
            "edge": edge}


def _gate(cell, name, x, y, lang):
    info = GATES[cell][name]
    act = "σ" if info.activation == "sigmoid" else "tanh"
    letter = {"g": "c̃"}.get(name, name)
    return _box(x, y, f"{letter} = {act}", name, "seq" if info.activation == "sigmoid" else "div",
                info.meaning[lang], info.colour)


def _op(x, y, sym, note, title):
    return {"x": x, "y": y, "sym": sym, "r": 0.22 if len(sym) == 1 else 0.42, "note": note, "title": title}


def _label(x, y, text, title="", anchor="middle", part="note"):
    """``part``: "in" (what the step reads), "out" (what it makes) or "note" (a remark on the drawing's wiring, left
    out where the diagram is drawn as a list on a phone)."""
    return {"x": x, "y": y, "text": text, "title": title, "anchor": anchor, "part": part}


def _w(*pts, arrow=True):
    return {"pts": [list(p) for p in pts], "arrow": arrow}


def layout(cell: str, nonlinearity: str = "tanh", head: str | None = None, lang: str = "en",
           direction: int | None = None) -> dict:
    """The diagram of one unit of ``cell``. ``head``: None, "classify" (readout and softmax) or "regress".
    ``direction``: for a bidirectional layer, 0 (forward) or 1 (reverse: the state comes from step t+1)."""
    out = _layout(cell, nonlinearity, head, lang)
    if direction is None:
        return out
    if direction == 1:  # the reverse direction reads the step after: every "t-1" of the diagram becomes "t+1"
        def later(item):
            return {k: (v.replace("₍ₜ₋₁₎", "₍ₜ₊₁₎") if isinstance(v, str) else v) for k, v in item.items()}
        out = dict(out, ops=[later(o) for o in out["ops"]], labels=[later(lb) for lb in out["labels"]])
    banner = tr("d_reverse_dir" if direction else "d_forward_dir", lang)
    return dict(out, direction=direction, banner=banner, note=(banner + " " + out["note"]).strip())


def _layout(cell: str, nonlinearity: str, head: str | None, lang: str) -> dict:
    h_t, h_p, x_t = STATES["h"][lang], tr("d_h_prev", lang), tr("d_x", lang)
    if cell == "lstm":
        c_t = STATES["c"][lang]
        boxes = [_gate(cell, "f", 2, 1, lang), _gate(cell, "i", 4, 1, lang), _gate(cell, "g", 5.6, 1, lang),
                 _gate(cell, "o", 7.6, 1, lang)]
        ops = [_op(2, 3, "×", "f·c₍ₜ₋₁₎ = ⟦fc:+.3f⟧", tr("d_forget_op", lang)),
               _op(5.6, 3, "+", "i·c̃ = ⟦ig:+.3f⟧", tr("d_add_op", lang)),
               _op(5.6, 2, "×", "", tr("d_write_op", lang)),
               _op(8.8, 2.2, "tanh", "⟦tanh_c:+.3f⟧", tr("d_tanh_c", lang)),
               _op(8.8, 1, "×", "", tr("d_output_op", lang))]
        wires = [_w((-0.6, 3), (1.78, 3), arrow=False), _w((2.22, 3), (5.38, 3)), _w((5.82, 3), (10.6, 3)),
                 _w((-0.6, -0.5), (8.1, -0.5), arrow=False), _w((1, -1.5), (1, -0.5)),
                 _w((2, -0.5), (2, 0.6)), _w((4, -0.5), (4, 0.6)), _w((5.6, -0.5), (5.6, 0.6)),
                 _w((7.6, -0.5), (7.6, 0.6)), _w((2, 1.4), (2, 2.78)), _w((4, 1.4), (5.4, 1.92)),
                 _w((5.6, 1.4), (5.6, 1.78)), _w((5.6, 2.22), (5.6, 2.78)), _w((8.8, 3), (8.8, 2.42)),
                 _w((8.8, 1.98), (8.8, 1.22)), _w((8.3, 1), (8.58, 1)), _w((8.8, 0.78), (8.8, -0.5), arrow=False),
                 _w((8.8, -0.5), (10.6, -0.5))]
        labels = [_label(-0.6, 3.4, "c₍ₜ₋₁₎ = ⟦c_prev:+.3f⟧", tr("d_c_prev", lang), "start", "in"),
                  _label(10.6, 3.4, "cₜ = ⟦c:+.3f⟧", c_t, "end", "out"),
                  _label(-0.6, -0.9, "h₍ₜ₋₁₎ = ⟦h_prev:+.3f⟧", h_p, "start", "in"),
                  _label(1, -1.85, "xₜ", x_t, part="in"),
                  _label(10.6, -0.9, "hₜ = ⟦h:+.3f⟧", h_t, "end", "out")]
        out_x, out_y = 9.8, -0.5
    elif cell == "gru":
        boxes = [_gate(cell, "r", 2.5, 1, lang), _gate(cell, "z", 5, 1, lang), _gate(cell, "n", 7.5, 1, lang)]
        ops = [_op(5, 3, "×", "z·h₍ₜ₋₁₎ = ⟦zh:+.3f⟧", tr("d_keep_op", lang)),
               _op(7.5, 2.2, "×", "(1−z)·n = ⟦zn:+.3f⟧", tr("d_take_op", lang)),
               _op(8.6, 3, "+", "", tr("d_gru_add", lang)), _op(3.6, 1.9, "×", "", tr("d_reset_op", lang))]
        wires = [_w((-0.6, 3), (4.78, 3), arrow=False), _w((5.22, 3), (8.38, 3)), _w((8.82, 3), (10.6, 3)),
                 _w((0, 3), (0, -0.5), arrow=False), _w((0, -0.5), (7.5, -0.5), arrow=False),
                 _w((1, -1.5), (1, -0.5)), _w((2.5, -0.5), (2.5, 0.6)), _w((5, -0.5), (5, 0.6)),
                 _w((7.5, -0.5), (7.5, 0.6)), _w((5, 1.4), (5, 2.78)), _w((5.3, 1.4), (7.3, 2.12)),
                 _w((7.5, 1.4), (7.5, 1.98)), _w((7.66, 2.36), (8.42, 2.86)), _w((2.9, 1.4), (3.4, 1.78)),
                 _w((3.82, 1.86), (7.1, 1.2))]
        labels = [_label(-0.6, 3.4, "h₍ₜ₋₁₎ = ⟦h_prev:+.3f⟧", h_p, "start", "in"),
                  _label(10.6, 3.4, "hₜ = ⟦h:+.3f⟧", h_t, "end", "out"), _label(1, -1.85, "xₜ", x_t, part="in"),
                  _label(2.3, 2.35, tr("d_reset_label", lang), tr("d_reset_op", lang))]
        out_x, out_y = 9.8, 3
    else:
        act = "relu" if nonlinearity == "relu" else "tanh"
        boxes = [_box(5, 1.5, f"h = {act}", "h", "div", STATES["h"][lang], colour_of("h"))]
        ops = [_op(5, -0.2, "+", "W_ih x + b_ih + W_hh h₍ₜ₋₁₎ + b_hh = ⟦pre_h:+.3f⟧", tr("d_rnn_sum", lang))]
        wires = [_w((-0.6, -0.2), (4.78, -0.2)), _w((3, -1.5), (3, -0.2), arrow=False), _w((5, 0.02), (5, 1.1)),
                 _w((5, 1.9), (5, 3), arrow=False), _w((5, 3), (10.6, 3)), _w((8, 3), (8, 0.4), arrow=False),
                 _w((8, 0.4), (10.6, 0.4))]
        labels = [_label(-0.6, 0.2, "h₍ₜ₋₁₎ = ⟦h_prev:+.3f⟧", h_p, "start", "in"),
                  _label(3, -1.85, "xₜ", x_t, part="in"),
                  _label(10.6, 3.4, "hₜ = ⟦h:+.3f⟧", h_t, "end", "out"),
                  _label(10.6, 0.0, tr("d_to_next", lang), "", "end")]
        out_x, out_y = 9.2, 3
    if head is not None:  # the readout y_t = W_hy h_t + b_y (and softmax) above h_t, inside the right edge
        wires.append(_w((out_x, out_y), (out_x, 4.3)))
        out_x = min(out_x, 9.5)
        if head == "classify":
            boxes.append(_box(out_x - 0.4, 4.75, "p = softmax(W_hy h + b)", "p_top", "seq", tr("d_readout", lang),
                              colour_of("bar"), w=3.6))
            labels.append(_label(out_x - 2.4, 4.75, "ŷₜ = “⟦top:label⟧”", tr("d_top", lang), "end", "out"))
        else:
            boxes.append(_box(out_x - 0.4, 4.75, "ŷ = W_hy h + b_y", "yhat", "div", tr("d_readout", lang),
                              colour_of("bar"), w=3.6))
    legend = [{"colour": info.colour, "text": f"{ {'g': 'c̃'}.get(n, n)}: {info.meaning[lang]}"}
              for n, info in GATES[cell].items()]
    note = GRU_CONVENTION[lang] if cell == "gru" else ""
    return {"view": [-1.0, -2.3, 11.0, 5.4], "boxes": boxes, "ops": ops, "wires": wires, "labels": labels,
            "legend": legend, "note": note}
