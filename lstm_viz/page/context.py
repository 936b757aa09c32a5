"""From settings to what every view needs: the models, the encoded input, its trace, predictions and loss.

``load`` shows a clear message and returns None for anything wrong (an unreadable file, text the model cannot
read); views never see an exception from here.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import replace
from pathlib import Path

import streamlit as st

from lstm_viz.checks import cell_of
from lstm_viz.i18n import tr
from lstm_viz.models import checkpoints, files, inputs, tokenize
from lstm_viz.models.files import MAX_FILE_BYTES
from lstm_viz.models.model import Model
from lstm_viz.teach.choice import Choice, example_text, models_for
from lstm_viz.teach.panels import Context, context_for
from lstm_viz.teach.settings import PageSettings

from . import budget, cache, offload, state
from .parts import plain


def _uploaded(upload, lang: str):
    """(the Model read from it, digest) of the person's file, kept in this session only (never shared). A file with
    several recurrent layers asks which one; a file holding an nn.RNN asks for its nonlinearity (the weights do
    not say whether it was tanh or relu)."""
    data = upload.getvalue()
    name = Path(upload.name).name
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"{name} is larger than {MAX_FILE_BYTES // 2**20} MB")
    digest = hashlib.sha256(data).hexdigest()
    read = state.session().upload
    if read.digest != digest:
        read.loaded = read.loaded_key = None
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / ("model" + Path(name).suffix.lower())
            path.write_bytes(data)
            # read in the worker (below the class's priority): a file at the caps takes about a CPU-second
            sd = offload.run(offload.ALWAYS, checkpoints.read_flat, path, name)
        read.flat = checkpoints.min_char_rnn(sd) or sd
        read.digest = digest
    sd = read.flat
    found = checkpoints.candidates(sd)
    prefix = None
    if len(found) > 1:
        prefix = st.selectbox(tr("upload_prefix", lang), found, key="upload_prefix")
    said = getattr(sd, "nonlinearity", None)  # a Keras file says a SimpleRNN's nonlinearity; other files do not
    nonlin = said or "tanh"
    if read.loaded_key != (digest, prefix):
        read.loaded = checkpoints.named(name, checkpoints.from_state_dict, sd, prefix)
        read.loaded_key = (digest, prefix)
    loaded = read.loaded
    if cell_of(loaded.rnn) == "rnn" and said is None:
        nonlin = st.radio(tr("upload_nonlinearity", lang), ("tanh", "relu"), key="upload_nonlin", horizontal=True,
                          help=tr("upload_nonlinearity_help", lang))
        if loaded.rnn.nonlinearity != nonlin:
            loaded = checkpoints.named(name, checkpoints.from_state_dict, sd, prefix, nonlin)
            read.loaded = loaded
    if loaded.found:
        st.caption(tr("upload_found", lang, names=plain(", ".join(loaded.found))))
    for key, values in loaded.notes:  # what was assumed in reading the file
        st.caption(tr(key, lang, **{k: plain(str(v)) for k, v in values.items()}))
    return loaded, f"{digest}|{loaded.prefix}|{nonlin}"


def _file_tokens(which: str, lang: str) -> tuple[str, ...] | None:
    up = state.widget_value(which)
    if up is None:
        return None
    return files.read_vocab(up.getvalue(), Path(up.name).name)


def side_files_digest() -> str:
    """One digest of the files read beside the model (vocabulary, labels, input features): part of the model's cache
    key, so that no entry computed with one session's files is found by another's."""
    h = hashlib.sha256()
    for which in ("upload_vocab", "upload_labels", "upload_inputs"):
        up = state.widget_value(which)
        h.update(b"-" if up is None else hashlib.sha256(up.getvalue()).digest())
    return h.hexdigest()


def _upload_model(loaded, text: str, mode: str, lang: str) -> Model:
    module = loaded.rnn
    vocab = _file_tokens("upload_vocab", lang)
    labels = _file_tokens("upload_labels", lang)
    head = loaded.head
    if head is not None and labels is None and vocab is not None and head.out_features == len(vocab):
        labels = vocab  # a language model: its outputs are its vocabulary
    if labels is not None and (head is None or len(labels) != head.out_features):
        up = state.widget_value("upload_labels")
        raise ValueError(tr("labels_mismatch", lang, name=Path(up.name).name, n=len(labels),
                            c=0 if head is None else head.out_features))
    features = state.widget_value("upload_inputs")
    if features is not None:  # input features from a file: the typed text is not used
        x = inputs.read_features(features.getvalue(), Path(features.name).name, module.input_size)
        st.caption(tr("upload_inputs_used", lang, name=plain(Path(features.name).name), T=x.shape[0],
                      m=x.shape[1]))
        return replace(loaded, mode="numbers", embedding=None, labels=labels, features=x)
    if vocab is not None and mode != "numbers":
        return replace(loaded, vocab=vocab, mode=mode, labels=labels, own_vocab=True)
    if loaded.embedding is not None and mode != "numbers":
        raise ValueError(tr("upload_needs_vocab", lang))
    vocab = inputs.upload_vocab(module.input_size, text, mode) if mode != "numbers" else None
    if vocab is not None and len(vocab) < module.input_size:
        vocab = vocab + tuple(f"<slot {i}>" for i in range(len(vocab), module.input_size))
    st.caption(tr("upload_slots", lang))
    if vocab:  # plain text: the typed symbols are shown, never interpreted
        shown = [f"{i}: {sym!r}" for i, sym in enumerate(vocab[:24]) if not sym.startswith("<slot")]
        st.text("  ".join(shown) + ("  …" if len(vocab) > 24 else ""))
    return replace(loaded, vocab=vocab, mode=mode, embedding=None, labels=labels)


def unknown_notice(m: Choice, enc, lang: str) -> str:
    """How many typed steps the model cannot read; for a shipped task, which symbols it reads and which task reads
    free text. Plain text: the symbols are the task's own, the count the page's."""
    from lstm_viz.models.tasks import TASK_NAMES

    n, task = int(enc.unknown.sum()), m.model.task
    if task is None or task.vocab is None or m.settings.source != "trained" or task.name == "next_char":
        return plain(tr("unk_steps", lang, n=n))
    symbols = [("␣" if v == " " else v) for v in task.vocab if v != tokenize.UNK]
    shown = " ".join(symbols[:40]) + (f" … ({len(symbols)})" if len(symbols) > 40 else "")
    return plain(tr("unk_task", lang, n=n, T=len(enc.unknown), task=TASK_NAMES[task.name][lang], symbols=shown,
                    free=TASK_NAMES["next_char"][lang]))


def text_box(s: PageSettings, example: str, where=None) -> str:
    """The sequence box, in ``where`` or in place (not drawn in presenter view, where the text comes from the scene
    and its buttons)."""
    from lstm_viz.teach.settings import MAX_TEXT

    if s.present and s.scene:
        return example if s.text is None else s.text
    def typed(v):
        return None if v == example else v

    if state.widget_value("text") is None:
        state.set_widget_value("text", s.text if s.text is not None else example)
    v = state.widget((where or st).text_area, "text", tr("sequence", s.lang), height=68,
                     help=tr("sequence_help", s.lang), max_chars=MAX_TEXT, value_of=typed)
    return example if v is None else v


def load(s: PageSettings, upload, scene=None, text_where=None) -> Context | None:
    lang = s.lang
    trained = state.session().trained
    if trained is not None and trained.base != (s.source, s.task, s.cell, s.lag, s.readout):
        trained = None  # trained from another shipped model: not this one
    try:
        if s.source == "upload":
            if upload is None:
                st.info(tr("upload_first", lang))
                return None
            loaded, digest = _uploaded(upload, lang)
            text = text_box(s, "hello world", text_where)
            model = _upload_model(loaded, text, s.mode, lang)
            m = models_for(s.replace(text=text), cache.LOADERS, uploaded=model,
                           upload_key=f"{digest}|{side_files_digest()}")
        else:
            text = text_box(s, example_text(s, cache.LOADERS), text_where)
            if s.source == "trained" and s.task == "digits_rows" and not s.present:  # how an image is typed
                (text_where or st).caption(tr("digits_input", lang))
            trained_model, trained_key = (trained.model, trained.key) if trained else (None, "")
            m = models_for(s.replace(text=text), cache.LOADERS, trained=trained_model, trained_key=trained_key)
        ctx = context_for(s, m, cache.RUNS, budget, scene)
    except ValueError as exc:
        st.error(plain(exc))
        return None
    if ctx.enc.unknown.any():
        st.warning(unknown_notice(m, ctx.enc, lang))
    return ctx
