"""Helpers the page's tests share: a page in AppTest, its widgets, and the data it draws; a browser context that
refuses every request outside a given address."""

import base64
import json
from pathlib import Path

import numpy as np
import torch
from streamlit.testing.v1 import AppTest
from torch import nn

APP = str(Path(__file__).resolve().parent.parent / "app.py")
MODELS = Path(APP).parent / "assets" / "models"


def new(**params):
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def settings_of(at):
    """The page's settings in an AppTest run (the session's own state)."""
    return at.session_state["_session"].settings


def trained_of(at):
    """The model trained in this AppTest session (lstm_viz.page.state.Trained), or None."""
    return at.session_state["_session"].trained


def file_view(page: str, n: int | None = None) -> str:
    """The inside of an exported file's view section ``n`` (lstm_viz.teach.interactive), or of the one it opens on."""
    import re

    for m in re.finditer(r'<section class="lv-view" data-view="(\d+)"( hidden)?>(.*?)</section>', page, re.S):
        if (n is None and not m.group(2)) or (n is not None and int(m.group(1)) == n):
            return m.group(3)
    raise AssertionError(f"no view section {n}")


def file_payloads(html: str, cls: str) -> list:
    """The JSON of an exported file's scripts of class ``cls`` (lv-chart, lv-knobs, lv-data) in ``html``, in order."""
    import re

    from lstm_viz.teach.interactive import unpacked

    found = re.findall(rf'<script type="application/gzip" class="{cls}">(.*?)</script>', html, re.S)
    return [json.loads(unpacked(t)) for t in found]


def ok(at):
    assert not at.exception, [e.message for e in at.exception]
    return at


def knob_data(at) -> dict | None:
    """The gradient view's knobs component's data (lstm_viz/page/views/grad.knob_data), or None."""
    comps = [c for c in at.get("bidi_component") if c.proto.component_name == "lstm_viz_knobs"]
    return json.loads(comps[-1].proto.json) if comps else None


def knob_charts(at) -> list[dict]:
    """The gradient view's two charts as its knobs component draws them at the current settings (main, compare)."""
    d = knob_data(at)
    return [] if d is None else [f for f in (d["base"].get("main"), d["base"].get("compare")) if f]


def knob_texts(at) -> list[str]:
    """What the knobs component says at the current settings besides its charts: a refusal, notes, lines."""
    d = knob_data(at)
    if d is None:
        return []
    b = d["base"]
    return [t for t in [b.get("refusal"), *b.get("notes", []), *b.get("lines", []), b.get("compare_note")] if t]


def release(at, name: str, value):
    """What letting go of a gradient-view knob at ``value`` does (the component's release event, heard by
    lstm_viz.page.views.grad: state.take): the setting changes and the page reruns. AppTest cannot drive the
    component itself; the browser tests drag it."""
    me = at.session_state["_session"]
    me.settings = me.settings.replace(**{name: value})
    return at.run()


def specs(at):
    """Every chart the page draws, in page order: the gradient view's two (drawn by its knobs component, above
    the rest), then Streamlit's Plotly charts."""
    return knob_charts(at) + [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def array(v):
    """A Plotly array from a spec: a list, or base64 'bdata' with its dtype (Plotly >= 6)."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        shape = v.get("shape")
        if isinstance(shape, str):
            shape = [int(n) for n in shape.split(",")]
        return a.reshape(shape) if shape else a
    return np.asarray(v, dtype=float)


def player(at) -> dict:
    """The step player's data as the page sends it (the last player on the page)."""
    comps = [c for c in at.get("bidi_component") if c.proto.component_name == "lstm_viz_player"]
    assert comps, "no step player on the page"
    return json.loads(comps[-1].proto.json)


def series(data: dict, name: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(data["series"][name]), dtype=np.float32)


def eleven_classes(folder: Path) -> None:
    """An LSTM with an 11-class output layer (m.pt) and two labels files for it, A0…A10 (a.txt) and B0…B10 (b.txt)."""
    torch.manual_seed(3)
    sd = {f"lstm.{k}": v for k, v in nn.LSTM(3, 4).state_dict().items()}
    sd.update({"fc.weight": torch.randn(11, 4), "fc.bias": torch.randn(11)})
    torch.save(sd, folder / "m.pt")
    (folder / "a.txt").write_text("\n".join(f"A{i}" for i in range(11)))
    (folder / "b.txt").write_text("\n".join(f"B{i}" for i in range(11)))


def upload_script(model, vocab, features, mode, text):
    """The page's own path for an uploaded file (context.load with what st.file_uploader hands it): AppTest cannot
    drive a file picker, so the upload objects are made here from the files' bytes."""
    from pathlib import Path

    import streamlit as st

    from lstm_viz.page import context, state
    from lstm_viz.teach import lessons

    class Upload:  # what st.file_uploader returns: the file's name and bytes
        def __init__(self, path):
            self.name, self._data = Path(path).name, Path(path).read_bytes()

        def getvalue(self):
            return self._data

    for key, path in (("upload_vocab", vocab), ("upload_inputs", features)):
        if path:
            st.session_state[key] = Upload(path)
    state.start(lessons.load_lessons())
    state.change(source="upload", mode=mode, text=text)
    ctx = context.load(state.current(), Upload(model))
    if ctx is not None:
        st.session_state["out_h"] = ctx.trace.h[-1].tolist()
        st.session_state["out_probs"] = None if ctx.probs is None else ctx.probs.tolist()


def through_the_page(model, vocab=None, features=None, mode="chars", text="", captions=None):
    """The page's h of the top layer and probabilities for an uploaded file (``captions``: a list to which the page's
    captions are added)."""
    at = AppTest.from_function(upload_script, args=(str(model), vocab and str(vocab), features and str(features),
                                                   mode, text), default_timeout=120)
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    if captions is not None:
        captions.extend(c.value for c in at.caption)
    return np.array(at.session_state["out_h"]), np.array(at.session_state["out_probs"])


def offline_context(browser, allowed: str, **kw):
    """A browser context in which every request outside ``allowed`` (a file, or a folder's address) is refused and
    remembered."""
    ctx = browser.new_context(**kw)
    asked = []

    def route(r):
        if r.request.url.startswith(allowed):
            r.continue_()
        else:
            asked.append(r.request.url)
            r.abort()
    ctx.route("**/*", route)
    return ctx, asked
