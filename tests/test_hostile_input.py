"""Hostile and careless input: every file is bounded by what it would cost before it is read, nothing computed
for one session's files is found by another's, no text from a file or an address becomes markup, and every bad
case ends in one clear sentence of our own."""

import io
import json
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from lstm_viz.models import checkpoints, files, inputs
from lstm_viz.models.model import Model
from lstm_viz.teach import readout
from page_helpers import eleven_classes, knob_charts, knob_data, knob_texts, new, ok, player, specs

MAX_CLASSES = 65_536  # the documented limit on outputs and tokens (lstm_viz.checks.MAX_CLASSES)


def stretched_pickle(path: Path, nones: int) -> None:
    """torch.save of a state_dict beside a list of three Nones, its pickle's run of NONE opcodes stretched to
    ``nones`` and the archive deflated again: a small file whose unpickling costs about 0.5 CPU-s a MB."""
    buf = io.BytesIO()
    torch.save({"state_dict": nn.LSTM(3, 4).state_dict(), "junk": [None] * 3}, buf)
    zin = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    pkl_name = next(n for n in zin.namelist() if n.endswith("data.pkl"))
    pkl = zin.read(pkl_name)
    assert b"(NNNe" in pkl
    pkl = pkl.replace(b"(NNNe", b"(" + b"N" * nones + b"e")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n in zin.namelist():
            z.writestr(n, pkl if n == pkl_name else zin.read(n))


def test_a_compressed_pickle_bomb_is_refused_before_it_is_unpickled(tmp_path, monkeypatch):
    stretched_pickle(tmp_path / "bomb.pt", 3 * 10**6)
    assert (tmp_path / "bomb.pt").stat().st_size < 60_000
    unpickled = []
    monkeypatch.setattr(torch, "load", lambda *a, **k: unpickled.append(a) or {})
    with pytest.raises(ValueError, match=r"bomb\.pt describes its contents in 2\.9 MB of pickle"):
        checkpoints.load(tmp_path / "bomb.pt")
    assert unpickled == []  # refused from the archive's directory
    monkeypatch.undo()
    stretched_pickle(tmp_path / "small.pt", 1000)  # a real checkpoint's few KB of pickle still reads
    assert type(checkpoints.load(tmp_path / "small.pt").rnn) is nn.LSTM


def test_a_tensor_view_over_one_stored_number_is_refused(tmp_path):
    torch.save({"rnn.weight_ih_l0": torch.zeros(1).as_strided((10**9,), (0,))}, tmp_path / "view.pt")
    with pytest.raises(ValueError, match="holds more than 40,000,000 numbers"):
        checkpoints.load(tmp_path / "view.pt")


def _lstm_with(tmp_path, **extra) -> Path:
    sd = {f"lstm.{k}": v for k, v in nn.LSTM(3, 4).state_dict().items()}
    sd.update(extra)
    torch.save(sd, tmp_path / "m.pt")
    return tmp_path / "m.pt"


@pytest.mark.parametrize("extra,msg", [
    ({"fc.weight": torch.zeros(MAX_CLASSES + 1, 4)}, f"fc has {MAX_CLASSES + 1:,} outputs; the limit is"),
    ({"fc.weight": torch.zeros(0, 4), "fc.bias": torch.zeros(0)}, "fc has 0 outputs"),
    ({"fc.weight": torch.zeros(11, 4), "fc.bias": torch.full((11,), float("nan"))}, r"fc\.bias contains NaN"),
    ({"embedding.weight": torch.zeros(MAX_CLASSES + 1, 3)}, "embedding has 65,537 tokens"),
])
def test_every_layer_the_page_builds_is_capped_and_checked(tmp_path, extra, msg):
    with pytest.raises(ValueError, match=msg):
        checkpoints.load(_lstm_with(tmp_path, **{k: v.contiguous() for k, v in extra.items()}))


def test_an_output_layer_of_ten_million_classes_is_refused(tmp_path):
    sd = {f"lstm.{k}": v for k, v in nn.LSTM(3, 1).state_dict().items()}
    sd["fc.weight"] = torch.zeros(10**7, 1)
    torch.save(sd, tmp_path / "m.pt")
    with pytest.raises(ValueError, match="fc has 10,000,000 outputs; the limit is 65,536"):
        checkpoints.load(tmp_path / "m.pt")


def test_the_parameter_cap_counts_the_embedding_and_the_output_layer(tmp_path):
    sd = {f"lstm.{k}": v for k, v in nn.LSTM(1000, 400).state_dict().items()}  # 2.2 M recurrent parameters
    sd["embedding.weight"] = torch.zeros(8000, 1000)  # 8 M more
    torch.save(sd, tmp_path / "m.pt")
    with pytest.raises(ValueError, match="with the embedding and the output layer; the limit is 10,000,000"):
        checkpoints.load(tmp_path / "m.pt")


@pytest.mark.parametrize("data", [b'{"a": 50000000}', b'{"a": ' + b"9" * 5000 + b"}", b'{"a": 400000000}',
                                  b'{"a": 1000000000000}', b'{"a": 0, "b": 0}', b'{"a": -1}', b'{"a": true}',
                                  b"[" * 100_000 + b"]" * 100_000])
def test_vocabulary_and_labels_files_are_checked_before_anything_is_allocated(data):
    with pytest.raises(ValueError, match="indices|does not parse|expected a list"):
        files.read_vocab(data)


def test_too_many_tokens_are_refused():
    with pytest.raises(ValueError, match="has 65,537 tokens; the limit is 65,536"):
        files.read_vocab(json.dumps([str(i) for i in range(MAX_CLASSES + 1)]).encode())
    with pytest.raises(ValueError, match="has 65,537 tokens"):
        files.read_vocab("\n".join(str(i) for i in range(MAX_CLASSES + 1)).encode())
    with pytest.raises(ValueError, match="larger than 16 MB"):
        files.read_vocab(b"a\n" * (9 * 2**20))


def _safetensors(path: Path, header: bytes) -> Path:
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 16)
    return path


def _npz_with(path: Path, **arrays) -> Path:
    np.savez(path, **arrays)
    return path


def _npz_member(path: Path, name: str, data: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(name, data)
    return path


def _npy_header(shape) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f4", "fortran_order": False, "shape": shape})
    return buf.getvalue()


def _bool_file(path: Path) -> Path:
    from safetensors.torch import save_file

    sd = {k: v.bool() if k == "weight_ih_l0" else v for k, v in nn.GRU(2, 3).state_dict().items()}
    save_file(sd, str(path))
    return path


def _entry(shape):
    return json.dumps({"w": {"dtype": "F32", "shape": shape, "data_offsets": [0, 4]}}).encode()


MALFORMED = [  # (file name, how it is made, what the message says)
    ("list.safetensors", lambda p: _safetensors(p, b"[1, 2]"), "its header is a list"),
    ("str.safetensors", lambda p: _safetensors(p, b'"abc"'), "its header is a str"),
    ("null.safetensors", lambda p: _safetensors(p, _entry(None)), "has no dtype, shape and offsets"),
    ("abc.safetensors", lambda p: _safetensors(p, _entry("abc")), "has no dtype, shape and offsets"),
    ("strs.safetensors", lambda p: _safetensors(p, _entry(["1", "2"])), "has no dtype, shape and offsets"),
    ("neg.safetensors", lambda p: _safetensors(p, _entry([-1, 4])), "has no dtype, shape and offsets"),
    ("huge.safetensors", lambda p: _safetensors(p, _entry([10**13])), "holds more than"),
    ("deep.safetensors", lambda p: _safetensors(p, b"[" * 100_000 + b"]" * 100_000), "unreadable header"),
    ("short.safetensors", lambda p: p.write_bytes(b"\1\2") and p, "too short"),
    ("str.npz", lambda p: _npz_with(p, w=np.array(["a"])), "holds str32 values"),
    ("bytes.npz", lambda p: _npz_with(p, w=np.array([b"x"])), "holds bytes8 values"),
    ("date.npz", lambda p: _npz_with(p, w=np.array(["2020-01-01"], dtype="datetime64[D]")), "datetime64"),
    ("struct.npz", lambda p: _npz_with(p, w=np.zeros(2, dtype=[("a", "f4")])), "void"),
    ("void.npz", lambda p: _npz_with(p, w=np.zeros(2, dtype="V4")), "void"),
    ("long.npz", lambda p: _npz_with(p, w=np.zeros(2, dtype=np.longdouble)), "float128|longdouble|not plain"),
    ("text.npz", lambda p: _npz_member(p, "a.txt", b"hello"), "is not a NumPy array"),
    ("garbage.npz", lambda p: _npz_member(p, "a.npy", b"\x93NUMPY garbage"), "not a readable NumPy array"),
    ("huge.npz", lambda p: _npz_member(p, "w.npy", _npy_header((10**13,))), "holds more than"),
    ("notzip.pt", lambda p: p.write_bytes(b"PK\3\4 broken") and p, "not a torch archive|not a readable torch"),
    ("digits.safetensors", lambda p: _safetensors(p, b'{"w": ' + b"9" * 5000 + b"}"), "unreadable header"),
    ("ast.npz", lambda p: _npz_member(p, "w.npy", b"\x93NUMPY\x01\x00\x20\x00{'descr': f(), 'shape': ()}      \n"),
     "not a readable NumPy array"),
    ("bool.safetensors", lambda p: _bool_file(p), "holds true/false values, not floating-point weights"),
    ("bad.pt", lambda p: p.write_bytes(b"\x80\x02}q\x00.") and p, "not a torch archive"),
]


@pytest.mark.parametrize("name,make,msg", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_model_files_get_one_clear_sentence(tmp_path, name, make, msg):
    path = make(tmp_path / name)
    with pytest.raises(ValueError, match=msg) as caught:
        checkpoints.load(path, name="uploaded_" + name)
    assert "uploaded_" + name in str(caught.value)  # the file by the name it was uploaded as


@pytest.mark.parametrize("name,make,msg", MALFORMED[:3] + MALFORMED[9:10], ids=["list", "str", "null", "str_npz"])
def test_the_cli_says_so_in_one_line_and_exits_2(tmp_path, capsys, name, make, msg):
    path = make(tmp_path / name)
    np.save(tmp_path / "x.npy", np.zeros((3, 3), np.float32))
    code, err = _cli(capsys, "trace", "--weights", path, "--inputs", tmp_path / "x.npy", "--out", tmp_path / "o.npz")
    assert code == 2 and "Traceback" not in err and err.count("\n") == 1, err


def _cli(capsys, *args) -> tuple[int, str]:
    """``python -m lstm_viz ARGS`` in this process (the command line's own main): (exit status, what it printed on
    stderr). test_cli_and_files runs the real command as a subprocess."""
    from lstm_viz import cli

    capsys.readouterr()
    code = cli.main([str(a) for a in args])
    return code, capsys.readouterr().err


def test_an_output_layer_without_a_bias_reads_and_predicts_as_torch(tmp_path):
    torch.manual_seed(1)
    rnn, fc = nn.GRU(3, 5), nn.Linear(5, 4, bias=False)
    torch.save({"gru": rnn.state_dict(), **{f"gru.{k}": v for k, v in rnn.state_dict().items()},
                "fc.weight": fc.weight.detach()}, tmp_path / "m.pt")
    loaded = checkpoints.load(tmp_path / "m.pt")
    assert loaded.head is not None and loaded.head.bias is None
    x = torch.randn(6, 3)
    out, _ = rnn(x)
    b = Model(loaded.rnn, loaded.head, None, None, "numbers")
    probs = readout.predictions(b, out.detach().numpy())
    np.testing.assert_allclose(probs, torch.softmax(fc(out), -1).detach().numpy(), atol=1e-6)


@pytest.mark.parametrize("text", ["a", "😀", "😀😀", "你好", "a😀"])
@pytest.mark.parametrize("view", ["step", "grad", "time"])
def test_a_next_character_model_on_one_character_or_emoji(text, view):
    at = ok(new(task="next_char", text=text, view=view))
    assert not at.error, [e.value for e in at.error]
    if view == "step":
        assert player(at)["T"] == len(text)


# ---- text from an address or a file never becomes markup ------------------------------------------------------
PAYLOADS = ["![x](http://127.0.0.1:9/p.png)", "**bold**", "[link](http://127.0.0.1:9/)",
            "<span style='font-size:200px'>x</span>", ":red[x]", "$x^2$"]


def _markdown_bodies(at) -> list[str]:
    return [e.proto.body for e in [*at.error, *at.warning, *at.info, *at.caption, *at.markdown, *at.success]]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markup_in_an_address_is_shown_as_text(payload):
    at = ok(new(source="random", mode="numbers", text=payload))
    import re

    bodies = _markdown_bodies(at)
    assert any("not a number" in b for b in bodies), bodies
    markup = re.compile(r"(?<!\\)(!\[|\]\(|<[a-z]|\*\*|:red\[|\$)")  # what Markdown, HTML or KaTeX would read
    for b in bodies:
        if "not a number" in b:
            assert not markup.search(b), b


def test_markup_in_labels_reaches_charts_as_entities():
    from lstm_viz.engine.trace import trace
    from lstm_viz.teach import figures

    m = nn.LSTM(1, 2)
    tr = trace(m, np.zeros((3, 1)))
    labels = ["<span style='font-size:200px'>x</span>", "&amp;", "<b>b</b>"]
    for fig in (figures.heatmaps(tr, 0, labels), figures.unit_lines(tr, 0, [0], labels),
                figures.text_colouring(tr, 0, 0, labels)):
        spec = fig.to_json()
        assert "<span" not in spec and "<b>" not in spec and "&lt;span" in spec, spec[:300]


# ---- nothing computed for one session's files is found by another's --------------------------------------------
def _session_script(model, labels, vocab, labels_after, view=None, nonlinearity=None):
    """The page's own upload path (context.load, then the step player), in one session: AppTest cannot drive a
    file picker, so the upload objects are made from the files' bytes."""
    from pathlib import Path

    import streamlit as st

    from lstm_viz.page import context, parts, state
    from lstm_viz.teach import lessons

    class Upload:
        def __init__(self, path):
            self.name, self._data = Path(path).name, Path(path).read_bytes()

        def getvalue(self):
            return self._data

    first = "runs" not in st.session_state
    st.session_state["runs"] = st.session_state.get("runs", 0) + 1
    if vocab:
        st.session_state["upload_vocab"] = Upload(vocab)
    if labels and (not labels_after or not first):
        st.session_state["upload_labels"] = Upload(labels)
    if nonlinearity:
        st.session_state["upload_nonlin"] = nonlinearity  # the page's radio for an nn.RNN's nonlinearity
    state.start(lessons.load_lessons())
    state.change(source="upload", mode="chars", text="abcab")
    ctx = context.load(state.current(), Upload(model))
    if ctx is not None and view is None:
        parts.step_player(ctx, compact=False)
    elif ctx is not None:
        from lstm_viz.page.views import VIEWS

        VIEWS[view].render(ctx)


def _shown_labels(model, labels=None, vocab=None, labels_after=False) -> set[str]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_session_script, args=(str(model), labels and str(labels), vocab and str(vocab),
                                                      labels_after), default_timeout=120)
    at.run()
    if labels_after:
        at.run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    labels = player(at)["pred"]["labels"]
    return set(labels.values() if isinstance(labels, dict) else labels)


def test_labels_and_vocabularies_do_not_leak_between_sessions(tmp_path):
    eleven_classes(tmp_path)
    (tmp_path / "v.txt").write_text("abc")
    a = _shown_labels(tmp_path / "m.pt", tmp_path / "a.txt")
    assert a and all(x.startswith("A") for x in a)
    plain = _shown_labels(tmp_path / "m.pt")  # the same model in another session, without labels
    assert plain and all(x.isdigit() for x in plain), plain
    b = _shown_labels(tmp_path / "m.pt", tmp_path / "b.txt")
    assert b and all(x.startswith("B") for x in b), b
    with_vocab = _shown_labels(tmp_path / "m.pt", vocab=tmp_path / "v.txt")
    assert with_vocab and all(x.isdigit() for x in with_vocab), with_vocab
    after = _shown_labels(tmp_path / "m.pt", tmp_path / "a.txt", labels_after=True)  # labels put in after the model
    assert after and all(x.startswith("A") for x in after), after


def test_labels_that_do_not_fit_the_output_layer_are_refused_with_their_name(tmp_path):
    from streamlit.testing.v1 import AppTest

    sd = {f"lstm.{k}": v for k, v in nn.LSTM(3, 4).state_dict().items()}
    sd.update({"fc.weight": torch.randn(11, 4), "fc.bias": torch.randn(11)})
    torch.save(sd, tmp_path / "m.pt")
    (tmp_path / "short.txt").write_text("x\ny\nz")
    at = AppTest.from_function(_session_script, args=(str(tmp_path / "m.pt"), str(tmp_path / "short.txt"), None,
                                                      False), default_timeout=120)
    at.run()
    assert not at.exception
    assert any("short\\.txt names 3 outputs, but the model's output layer has 11" in e.value for e in at.error), \
        [e.value for e in at.error]


# ---- a bounded fuzz: whatever the bytes, a clean result or a clean refusal --------------------------------------
json_values = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                                          max_size=4), max_leaves=20)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=json_values | st.dictionaries(st.text(max_size=6), st.fixed_dictionaries(
    {"dtype": st.sampled_from(["F32", "F64", "I64", "BOOL", "X"]), "shape": st.lists(st.integers(-3, 10**7),
                                                                                    max_size=3),
     "data_offsets": st.lists(st.integers(-1, 64), min_size=0, max_size=3)}), max_size=3),
       tail=st.binary(max_size=64))
def test_fuzz_safetensors_headers(tmp_path, header, tail):
    p = tmp_path / "f.safetensors"
    raw = json.dumps(header).encode()
    p.write_bytes(struct.pack("<Q", len(raw)) + raw + tail)
    try:
        checkpoints.load(p)
    except ValueError:
        pass


@settings(max_examples=80, deadline=None)
@given(data=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()) |
       st.text(max_size=200).map(str.encode))
def test_fuzz_vocabularies_and_labels(data):
    try:
        out = files.read_vocab(data)
    except ValueError:
        return
    assert isinstance(out, tuple) and all(isinstance(t, str) for t in out) and len(out) <= MAX_CLASSES


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(arrays=st.dictionaries(st.sampled_from(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "Wxh", "fc.weight"]),
                              st.tuples(st.sampled_from(["f4", "f8", "i8", "u1", "?", "f2", "U2", "S2", "c8"]),
                                        st.lists(st.integers(0, 9), max_size=3)), max_size=4))
def test_fuzz_npz_files(tmp_path, arrays):
    p = tmp_path / "f.npz"
    np.savez(p, **{k: np.zeros(shape, dtype=dt) for k, (dt, shape) in arrays.items()})
    try:
        checkpoints.load(p)
    except ValueError:
        pass


@settings(max_examples=60, deadline=None)
@given(query=st.dictionaries(st.sampled_from(["view", "t", "unit", "layer", "radius", "fbias", "trunc", "clip",
                                              "igate", "ival", "units", "win", "isteps", "text", "hidden", "seed",
                                              "scale", "cell", "source", "mode", "scene", "lang", "nonsense"]),
                             st.text(max_size=12) | st.integers(-10**6, 10**6).map(str) |
                             st.floats().map(str), max_size=5))
def test_fuzz_page_addresses_parse_or_fall_back(query):
    from lstm_viz.teach.settings import DEFAULTS, parse

    s, bad = parse(query, DEFAULTS)
    assert isinstance(bad, list)
    assert s.replace() == s


# ---- every request's cost is counted before it runs -------------------------------------------------------------
def test_a_clamped_run_is_counted_at_its_real_cost_and_refused_before_it_runs():
    """The issue's address: a clamped 3-layer, 64-unit LSTM on 2,000 typed characters passes every step back over
    the whole sequence (about ten times what a plain gradient costs): the page says how long a clamp can be."""
    from lstm_viz.engine.cells import build_module
    from lstm_viz.engine.work import clamped_work, gradient_work
    from lstm_viz.page.budget import RUN_BUDGET, most_steps

    m = build_module("lstm", 26, 64, 3)
    assert clamped_work(m, 2000) > 10 * gradient_work(m, 2000, False)
    n = most_steps(lambda t: clamped_work(m, t), 2000)
    assert clamped_work(m, n) <= RUN_BUDGET < clamped_work(m, n + 1)
    at = ok(new(source="random", cell="lstm", hidden=64, layers=3, view="intervene", igate="f", ival=1,
                text="abcdefghijklmnopqrstuvwxyz"[::-1] * 77))
    said = knob_data(at)["base"]  # said by the knobs component in place of its charts, and nothing swept
    assert "Clamp a sequence of at most" in said.get("refusal", ""), said
    assert not knob_charts(at) and all(p is None for k in knob_data(at)["knobs"] for i, p in enumerate(k["points"])
                                       if i != k["at"])


def test_truncation_is_counted_at_its_step_by_step_cost():
    at = ok(new(source="random", cell="lstm", hidden=64, layers=3, view="grad", trunc=1900,
                text="abcdefghijklmnopqrstuvwxyz" * 20))
    assert any("Use k of at most" in t for t in knob_texts(at)), knob_texts(at)


def test_the_gradient_view_refuses_before_it_derives_or_compares_models(monkeypatch):
    from lstm_viz.engine import knobs
    from lstm_viz.teach import choice as models

    def never(*args, **kwargs):
        raise AssertionError("a model was derived or compared past the budget")

    monkeypatch.setattr(knobs, "with_knobs", never)
    monkeypatch.setattr(models, "with_knobs", never)
    monkeypatch.setattr(models.Choice, "compared", never)
    at = ok(new(source="random", cell="lstm", hidden=256, layers=3, view="grad", radius=2, seqlen=2000))
    assert any("work budget" in t for t in knob_texts(at)), knob_texts(at)
    assert not specs(at)
    assert all(p is None for k in knob_data(at)["knobs"] for i, p in enumerate(k["points"]) if i != k["at"])


# ---- the command line: one line of our own and exit 2, nothing written or built first ---------------------------
def _cli_cases(tmp: Path):
    import shutil

    models = Path(__file__).resolve().parent.parent / "assets" / "models"
    np.save(tmp / "x.npy", np.zeros((3, 2), np.float32))
    (tmp / "link.html").symlink_to(tmp / "elsewhere.html")
    (tmp / "folder.html").mkdir()
    shutil.copy(models / "brackets_gru.safetensors", tmp / "g.safetensors")
    shutil.copy(models / "brackets_lstm.json", tmp / "g.json")
    shutil.copy(models / "brackets_gru.safetensors", tmp / "h.safetensors")
    (tmp / "h.json").write_text("[1, 2]")
    shutil.copy(models / "brackets_gru.safetensors", tmp / "k.safetensors")
    (tmp / "k.json").write_text('{"config": {"task": "recall", "lag": "x"}}')
    return [
        (["trace", "--cell", "lstm", "--input-size", "100000", "--hidden-size", "1024", "--layers", "3", "--inputs",
          tmp / "x.npy", "--out", tmp / "o.npz"], "430,596,096 parameters; the limit is 10,000,000"),
        (["trace", "--cell", "lstm", "--input-size", "2", "--hidden-size", "4", "--inputs", tmp / "x.npy", "--out",
          f"{tmp}/a.npz/"], "names a folder"),
        (["handout", "--out", tmp / "link.html"], "is a symbolic link"),
        (["handout", "--out", tmp / "folder.html"], "is a folder"),
        (["train", "--task", "brackets", "--cell", "lstm", "--out", tmp / "m5.json"], "without an extension"),
        (["train", "--task", "brackets", "--cell", "lstm", "--out", tmp / "m5", "--forget-bias", "nan"],
         "--forget-bias must be a finite number"),
        (["evaluate", tmp / "g"], "the weights are a GRU, the card says LSTM"),
        (["evaluate", tmp / "h"], "is not a model card of this project"),
        (["evaluate", tmp / "k"], "lag must be a whole number"),
        (["trace", "--weights", tmp / "\x1b[31mred.pt", "--inputs", tmp / "x.npy", "--out", tmp / "o.npz"],
         "\\x1b[31mred.pt"),
    ]


def test_the_cli_refuses_each_case_in_one_line_before_it_builds_or_writes(tmp_path, capsys):
    for args, msg in _cli_cases(tmp_path):
        code, err = _cli(capsys, *args)
        assert code == 2 and msg in err and err.count("\n") == 1 and "\x1b" not in err, (args, err)
    assert not (tmp_path / "elsewhere.html").exists() and not (tmp_path / "a.npz").exists()
    assert not list(tmp_path.glob("m5*"))


@pytest.mark.parametrize("data,name,msg", [
    (b"a\tb\n1\t2\n3\t4\n", "tabs.csv", None), (b'"1","2"\n"3","4"\n', "quotes.csv", None),
    (b"1;2\n", "semi.csv", None), (b"x\ty\n", "header_only.csv", "has no rows of numbers"),
    (b"1,2\n" * 10_001, "long.csv", "has more than 10,000 rows"), (b"1,2,3\n", "wide.csv", "row 1: 3 values"),
    (b"1,2\n3,x\n", "word.csv", "row 2: every cell must be a number"),
])
def test_features_files_are_read_within_their_limits(data, name, msg):
    if msg is None:
        assert inputs.read_features(data, name, 2).shape[1] == 2
    else:
        with pytest.raises(ValueError, match=msg):
            inputs.read_features(data, name, 2)


@pytest.mark.parametrize("arr,msg", [(np.zeros((3, 2), np.longdouble), "float128|longdouble"),
                                     (np.zeros((10_001, 2), np.float32), r"shape \[10001, 2\]"),
                                     (np.zeros((3, 5), np.float32), r"shape \[3, 5\]"),
                                     (np.array([["a", "b"]]), "str")])
def test_a_features_npy_is_checked_from_its_header(arr, msg):
    buf = io.BytesIO()
    np.save(buf, arr)
    with pytest.raises(ValueError, match=msg):
        inputs.read_features(buf.getvalue(), "x.npy", 2)


def test_a_big_endian_npz_reads_as_its_numbers(tmp_path):
    sd = {k: v.numpy().astype(">f4") for k, v in nn.GRU(2, 3).state_dict().items()}
    np.savez(tmp_path / "be.npz", **sd)
    loaded = checkpoints.load(tmp_path / "be.npz")
    np.testing.assert_array_equal(loaded.rnn.weight_hh_l0.detach().numpy(), sd["weight_hh_l0"].astype("<f4"))


@pytest.mark.parametrize("view", ["step", "export", "intervene", "time"])
def test_a_relu_rnn_whose_numbers_overflow_says_so_in_every_view(tmp_path, view):
    from streamlit.testing.v1 import AppTest

    rnn = nn.RNN(3, 4, nonlinearity="relu")
    with torch.no_grad():
        for p in rnn.parameters():
            p.fill_(1e20)
    torch.save(rnn.state_dict(), tmp_path / "relu.pt")
    at = AppTest.from_function(_session_script, args=(str(tmp_path / "relu.pt"), None, None, False, view, "relu"),
                               default_timeout=120)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    if view in ("step", "export"):  # the views that draw gradients say why they do not
        assert any("NaN or inf" in w.value for w in at.warning), [w.value for w in at.warning]
