"""``lstm_viz.show(...)``: the step player in a notebook, as an anywidget (JupyterLab, Jupyter Notebook 7, VS Code,
Colab, marimo). Its ES module is the page's own player bundle (``player/dist/widget.js``, no CDN) and its data the
page's own (``stepdata.step_data`` through ``teach/panels``), so a notebook shows the numbers the page shows.

``t``, ``unit`` and ``layer`` are synced traits: Python reads where a student stepped and sets where the player
stands; a new unit or layer sends that unit's data. Where widgets do not run (nbviewer, GitHub), the output carries
the same view as a self-contained interactive file (``teach/interactive``) in a frame, and a static picture of the
step (the page's heatmaps, drawn by Kaleido) for viewers that show no frames.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
from pathlib import Path

import anywidget
import numpy as np
import traitlets
from torch import nn

from lstm_viz.i18n import tr
from lstm_viz.models.model import Model
from lstm_viz.paths import PLAYER_DIST
from lstm_viz.teach import figures, interactive, panels
from lstm_viz.teach.choice import models_for, plain_loaders
from lstm_viz.teach.settings import DEFAULTS


class Player(anywidget.AnyWidget):
    """One sequence through one model, stepped in the notebook. Build it with ``lstm_viz.show``."""

    _esm = PLAYER_DIST / "widget.js"
    css = traitlets.Unicode((PLAYER_DIST / "player.css").read_text(encoding="utf-8")).tag(sync=True)
    data = traitlets.Dict().tag(sync=True)
    t = traitlets.Int(0).tag(sync=True)
    unit = traitlets.Int(0).tag(sync=True)
    layer = traitlets.Int(0).tag(sync=True)

    def __init__(self, ctx: panels.Context):
        self._ctx = ctx
        self._pictures: dict = {}  # the last static picture drawn, by (t, unit, layer)
        super().__init__(t=int(ctx.t), unit=ctx.unit, layer=ctx.layer, data=interactive.step_page_data(ctx))

    @traitlets.validate("t")
    def _step_inside(self, proposal):
        return int(min(max(proposal["value"], 0), self._ctx.trace.steps - 1))

    @traitlets.validate("unit", "layer")
    def _inside(self, proposal):
        name, v = proposal["trait"].name, int(proposal["value"])
        n = self._ctx.trace.hidden_size if name == "unit" else self._ctx.trace.num_layers
        if not 0 <= v < n:
            raise traitlets.TraitError(f"{name} must be between 0 and {n - 1}, not {v}")
        return v

    @traitlets.observe("unit", "layer")
    def _other_unit(self, change):
        s = self._ctx.s.replace(unit=self.unit, layer=self.layer if self._ctx.trace.num_layers > 1 else None)
        self._ctx = panels.with_settings(self._ctx, s)
        self.data = interactive.step_page_data(self._ctx)

    def picture(self) -> str | None:
        """The step shown as a static PNG (base64), for viewers where widgets do not run (GitHub, nbviewer): the
        page's heatmaps of every gate and state of this layer over time (``panels.time_panel``), the unit outlined
        and the step marked where the player marks it; None where Kaleido finds no Chromium to draw with."""
        key = (self.t, self.unit, self.layer)
        if key not in self._pictures:
            ctx = panels.with_settings(self._ctx, self._ctx.s.replace(t=self.t))
            fig = figures.at_step(panels.time_panel(ctx).heatmaps.figure(), self.t)
            try:
                png = figures.image(fig, "png", width=900, height=fig.layout.height, scale=1)
            except Exception:  # no Chromium, or one that fails to draw: no picture, the widget still shows
                return None
            self._pictures = {key: base64.b64encode(png).decode("ascii")}
        return self._pictures.get(key)

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        ctx = panels.with_settings(self._ctx, self._ctx.s.replace(t=self.t))
        page = interactive.for_context(ctx)
        png = self.picture()
        alt = tr("nb_picture", ctx.s.lang, cell=ctx.choice.cell.upper(), layer=self.layer, unit=self.unit, t=self.t)
        # GitHub's viewer drops the frame and shows the picture; nbviewer shows both
        img = (f'<img alt="{html.escape(alt, quote=True)}" style="max-width:100%" '
               f'src="data:image/png;base64,{png}">') if png else ""
        extra = {"text/html": img + _frame(page), **({"image/png": png} if png else {})}
        if isinstance(bundle, tuple):
            data, meta = bundle
            return {**data, **extra}, meta
        return {**(bundle or {}), **extra}


class View:
    """The over-time, gradient or intervention view in a notebook: the file ``export`` writes for it (its charts,
    its knobs with their sweeps, its player, all inside), shown in a frame. Build it with ``lstm_viz.show``."""

    def __init__(self, ctx: panels.Context):
        self._ctx = ctx
        self.html = interactive.for_context(ctx)

    def _repr_html_(self) -> str:
        return _frame(self.html)


def _frame(page: str) -> str:
    """An interactive file's text in a frame of the notebook's width."""
    return (f'<iframe title="lstm_viz" style="width:100%;height:900px;border:0" '
            f'srcdoc="{html.escape(page, quote=True)}"></iframe>')


def show(model, text=None, view: str = "step", unit: int = 0, layer: int = 0, lang: str = "en",
         vocab=None, mode: str = "chars", t: int = 0) -> Player | View:
    """The step player for ``model`` reading ``text`` (a widget whose ``t``, ``unit`` and ``layer`` Python reads and
    sets), or another view of the page in a frame.

    ``model``: a shipped model by its file stem (``"brackets_lstm"``), a model file the loaders read (``.pt``,
    ``.safetensors``, ``.keras``, …; give its ``vocab`` as a list of tokens), an ``nn.RNN``/``nn.LSTM``/``nn.GRU``
    (with a ``vocab`` to one-hot ``text``, or ``text`` as a [T, input_size] array of features), or a ``Model``.
    ``view``: "step" (the widget), or "time", "grad" or "intervene" (the page's over-time, gradient and
    intervention views, as the file ``export`` writes). ``mode``: "chars" or "words", how ``text`` is split."""
    if view not in interactive.WRITTEN:
        raise ValueError(f"view={view!r}: a notebook shows the views {', '.join(interactive.WRITTEN)}")
    m = _model_of(model, vocab, mode, text)
    typed = None if isinstance(text, np.ndarray) or text is None else str(text)
    s = DEFAULTS.replace(source="upload", text=typed, mode=m.mode, unit=unit, layer=layer or None, lang=lang, t=t,
                         view=view)
    ctx = panels.context_for(s, models_for(s, plain_loaders(), uploaded=m, upload_key=_digest(m)))
    return Player(ctx) if view == "step" else View(ctx)


def _model_of(model, vocab, mode: str, text) -> Model:
    from lstm_viz.models import checkpoints
    from lstm_viz.models.train import load_shipped, shipped_stem

    if isinstance(model, Model):
        found = model
    elif isinstance(model, nn.Module):
        found = Model(model.eval(), None, None, None, mode)
    elif isinstance(model, (str, Path)) and not Path(model).suffix and (stem := shipped_stem(str(model))):
        found = load_shipped(stem)[0]
    elif isinstance(model, (str, Path)):
        found = checkpoints.load(model)
    else:
        raise ValueError(f"show() takes a shipped model's name, a model file, an nn.RNN/LSTM/GRU or a Model, not "
                         f"{type(model).__name__}")
    if vocab is not None:
        found = dataclasses.replace(found, vocab=tuple(str(v) for v in vocab), own_vocab=True, mode=mode)
    if isinstance(text, np.ndarray):
        found = dataclasses.replace(found, features=np.asarray(text, dtype=np.float32))
    return found


def _digest(m: Model) -> str:
    """A key for the model's weights and vocabulary, so that two widgets of different models share nothing."""
    h = hashlib.sha256(repr((m.vocab, m.mode, m.labels)).encode())
    for part in (m.rnn, m.head):
        for name, p in sorted((part.state_dict() if part is not None else {}).items()):
            h.update(name.encode())
            h.update(p.detach().cpu().numpy().tobytes())
    return h.hexdigest()[:16]
