"""One step: the step player with the cell diagram, the prediction and the equations of the unit shown, and the
network unrolled over its first steps."""

from __future__ import annotations

from lstm_viz import figures

from ..common import boxes, chart, layer_and_unit, step_player


def render(ctx):
    figs, ctrls = boxes(ctx)
    with ctrls:
        layer_and_unit(ctx)
    with figs:
        step_player(ctx, compact=False)
    ctx = ctx.now()
    chart(figures.unrolled(ctx.trace, ctx.flow(), ctx.labels, ctx.top_labels(), layer=ctx.layer, lang=ctx.s.lang),
          "unrolled")
