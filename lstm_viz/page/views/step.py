"""One step: the step player with the cell diagram, the prediction and the equations of the unit shown, and on
request the network unrolled over its first steps (a Plotly chart: off by default, so the first page needs no
charting library)."""

from __future__ import annotations

from lstm_viz.i18n import tr
from lstm_viz.teach import interactive
from lstm_viz.teach.panels import unrolled_chart

from .. import state
from ..parts import boxes, draw, flow_or_say, layer_and_unit, step_player


def interactive_button(where, ctx) -> None:
    """The view as one self-contained interactive file, made when the button is clicked (on its own thread), with
    the settings and the unit shown now."""
    if ctx.trace.steps > interactive.WINDOW:
        return
    shown = state.with_current_settings(ctx)
    where.download_button(tr("download_interactive", ctx.s.lang), lambda: interactive.for_context(shown),
                          "lstm_viz_step.html", "text/html", help=tr("download_interactive_help", ctx.s.lang),
                          on_click="ignore")


def render(ctx):
    figs, ctrls = boxes(ctx)
    with ctrls:
        beside = layer_and_unit(ctx)
        unrolled = state.widget(beside.toggle, "unrolled", tr("show_unrolled", ctx.s.lang))
        interactive_button(beside, ctx)
    with figs:
        step_player(ctx, compact=False)
    if unrolled:
        ctx = state.with_current_settings(ctx)
        flow = flow_or_say(ctx)
        if flow is not None:
            draw(unrolled_chart(ctx, flow))
