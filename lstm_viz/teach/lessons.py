"""Guided lessons: an ordered set of scenes, each a TOML file under assets/lessons/ (data, not code).

A scene file holds ``id``, ``title``, ``text``, ``question``, ``answer`` and ``notes`` (each with ``en`` and
``zh``; the answer and the speaking points are for the teacher), ``[[try]]`` buttons (a label and the settings
they apply), a
``[settings]`` table of page settings (the same names as the page's URL parameters: source, task, cell,
lag, text, view, t, unit, layer, radius, trunc, clip, seqlen, igate, ...), and optionally a ``[check]``
table that a test uses to verify the scene's claim on its own numbers. Files are read in name order.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from lstm_viz.paths import ASSETS
from lstm_viz.teach.settings import check_values

LESSONS = ASSETS / "lessons"


@dataclass(frozen=True)
class Try:
    """A try-this button: its label (en, zh) and the settings it applies."""

    label: dict
    settings: dict


@dataclass(frozen=True)
class Scene:
    id: str
    title: dict
    text: dict
    question: dict
    settings: dict
    check: dict = field(default_factory=dict)
    answer: dict = field(default_factory=dict)  # the expected answer to the question, for the teacher
    notes: dict = field(default_factory=dict)  # a few speaking points per language
    tries: tuple[Try, ...] = ()
    # the key figure: {"chart": "compare"} or {"fields": ["f"]}; over time, "text": true puts the coloured text
    # under the heatmaps and "text_field": "c" colours it by the cell state instead of h
    figure: dict = field(default_factory=dict)


def load_scene(path: Path) -> Scene:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for key in ("id", "title", "text", "question", "settings"):
        if key not in data:
            raise ValueError(f"{path.name}: missing {key!r}")
    for key in ("title", "text", "question", "answer", "notes"):
        if key in data and set(data[key]) != {"en", "zh"}:
            raise ValueError(f"{path.name}: {key} needs exactly en and zh")
    tries = []
    for i, item in enumerate(data.get("try", [])):
        if set(item) != {"label", "settings"} or set(item["label"]) != {"en", "zh"}:
            raise ValueError(f"{path.name}: try #{i + 1} needs a label (en, zh) and settings")
        try:
            tries.append(Try(item["label"], check_values(item["settings"])))
        except ValueError as exc:
            raise ValueError(f"{path.name}: try #{i + 1}: {exc}") from None
    if {"scene", "lang", "present"} & set(data["settings"]):
        raise ValueError(f"{path.name}: a scene cannot set the scene, the language or presenter view")
    try:
        settings = check_values(data["settings"])
    except ValueError as exc:
        raise ValueError(f"{path.name}: {exc}") from None
    return Scene(data["id"], data["title"], data["text"], data["question"], settings, data.get("check", {}),
                 data.get("answer", {}), data.get("notes", {}), tuple(tries), data.get("figure", {}))


def load_lessons(folder: Path = LESSONS) -> list[Scene]:
    scenes = [load_scene(p) for p in sorted(folder.glob("*.toml"))]
    ids = [s.id for s in scenes]
    if len(set(ids)) != len(ids):
        raise ValueError("two scenes share an id")
    return scenes


def by_id(scenes: list[Scene], scene_id: str) -> Scene | None:
    return next((s for s in scenes if s.id == scene_id), None)


def number(scenes: list[Scene], scene_id: str) -> int:
    return [s.id for s in scenes].index(scene_id) + 1
