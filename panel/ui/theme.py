"""The panel's dark style sheet, loaded with ``importlib.resources`` (works when frozen)."""

from __future__ import annotations

from importlib import resources

__all__ = ["style_sheet"]


def style_sheet() -> str:
    return resources.files("panel.ui").joinpath("dark.css").read_text(encoding="utf-8")
