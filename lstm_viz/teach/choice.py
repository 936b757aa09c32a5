"""Which models a view shows, decided in one place for the page, the lesson checks and the tests.

``models_for(settings, loaders)`` gives the main model (shipped, fresh, uploaded or trained in the session) with
its cache key, and on demand the models derived from it: the gradient view's knob model (spectral radius of
W_hh, forget-gate bias) and the RNN / GRU / LSTM it is compared with, built the same way (same task for shipped
models; same sizes, seed and weight scale for fresh ones) and changed by the same knobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from torch import nn

from lstm_viz.checks import cell_of
from lstm_viz.engine.knobs import with_knobs
from lstm_viz.models.inputs import vocab_from_text
from lstm_viz.models.model import Model
from lstm_viz.models.tasks import ONE_MODEL_TASKS
from lstm_viz.models.train import stem_for
from lstm_viz.notation import CELLS
from lstm_viz.paths import ASSETS
from lstm_viz.teach.settings import MODEL_SETTINGS, PageSettings, key

FRESH_EXAMPLE = "hello world, 你好 😀"


@dataclass(frozen=True)
class Loaders:
    """How models are obtained: the page passes its cached loaders, tests the plain ones."""

    shipped: Callable  # stem -> (Model, card)
    fresh: Callable  # (cell, input_size, hidden, layers, seed=, weight_scale=) -> nn.Module
    derived: Callable = lambda key, module, radius, fbias: with_knobs(module, radius, fbias)  # key: the knobbed model's


def plain_loaders() -> Loaders:

    from lstm_viz.engine.cells import build_module
    from lstm_viz.models.train import load_shipped

    models = ASSETS / "models"
    return Loaders(lambda stem: load_shipped(models / stem), build_module)


def example_text(s: PageSettings, loaders: Loaders) -> str:
    """The text a model opens with: a shipped model's own example, else a mixed-script sample."""
    if s.source == "trained":
        return loaders.shipped(stem_for(s.task, s.cell, s.lag, s.readout, s.finit))[0].task.example
    return FRESH_EXAMPLE


@dataclass(frozen=True)
class Choice:
    settings: PageSettings
    loaders: Loaders
    model: Model  # the model every view shows
    key: str  # its cache key
    text: str  # the text it reads (the typed one, or its example)
    trained_here: bool = False  # a model trained in this session, not a shipped one

    @property
    def cell(self) -> str:
        return cell_of(self.model.rnn)

    def card(self) -> dict | None:
        s = self.settings
        if s.source != "trained":
            return None
        return self.loaders.shipped(stem_for(s.task, s.cell, s.lag, s.readout, s.finit))[1]

    def knobbed(self) -> tuple[nn.Module, str]:
        """The main model with the gradient view's knobs applied (itself when no knob is set)."""
        return self._knobs(self.model.rnn, self.key, self.cell)

    def _knobs(self, module: nn.Module, mkey: str, cell: str) -> tuple[nn.Module, str]:
        s = self.settings
        fbias = s.fbias if cell == "lstm" else None
        if not s.radius and fbias is None:
            return module, mkey
        knobbed = key(s, "radius", base=mkey, fbias=fbias)
        return self.loaders.derived(knobbed, module, s.radius or None, fbias), knobbed

    def compared(self) -> dict[str, tuple[nn.Module, str]]:
        """RNN, GRU and LSTM on the same input, built like the main model, with the same knobs (none for a shipped
        model that has no RNN or GRU twin)."""
        s = self.settings
        out = {}
        if s.source == "trained" and not self.trained_here and s.task in ONE_MODEL_TASKS:
            return out
        for c in CELLS:
            if s.source == "trained" and not self.trained_here:
                module = self.loaders.shipped(stem_for(s.task, c, s.lag))[0].rnn
                mkey = key(s.replace(cell=c), *MODEL_SETTINGS["trained"])
            else:  # fresh, uploaded or trained here: fresh seeded cells of the same sizes and weight scale
                r = self.model.rnn
                scale = s.scale if s.source == "random" else 1.0
                module = self.loaders.fresh(c, r.input_size, r.hidden_size, r.num_layers, seed=s.seed,
                                            weight_scale=scale)
                fresh = s.replace(source="random", cell=c, hidden=r.hidden_size, layers=r.num_layers, scale=scale)
                mkey = key(fresh, *MODEL_SETTINGS["random"], inputs=r.input_size)
            out[c] = self._knobs(module, mkey, c)
        return out


def models_for(s: PageSettings, loaders: Loaders, uploaded: Model | None = None, upload_key: str = "",
               trained: Model | None = None, trained_key: str = "") -> Choice:
    """The models of a page with settings ``s``. ``uploaded`` is the module read from the person's file (source
    "upload"); ``trained`` a model trained in this session, which replaces the shipped one it started from."""
    text = s.text if s.text is not None else example_text(s, loaders)
    if s.source == "trained":
        if trained is not None:
            return Choice(s, loaders, trained, key(s, *MODEL_SETTINGS["trained"], base="session", trained=trained_key),
                          text, trained_here=True)
        model, _ = loaders.shipped(stem_for(s.task, s.cell, s.lag, s.readout, s.finit))
        return Choice(s, loaders, model,
                      key(s, *MODEL_SETTINGS["trained"]), text)
    if s.source == "random":
        vocab = vocab_from_text(text, s.mode) if s.mode != "numbers" else None
        m = 1 if s.mode == "numbers" else len(vocab)
        module = loaders.fresh(s.cell, m, s.hidden, s.layers, seed=s.seed, weight_scale=s.scale)
        return Choice(s, loaders, Model(module, None, None, vocab, s.mode),
                      key(s, *MODEL_SETTINGS["random"], inputs=m), text)
    if uploaded is None:
        raise ValueError("no model file uploaded yet")
    return Choice(s, loaders, uploaded, key(s, *MODEL_SETTINGS["upload"], upload=upload_key), text)
