"""Small building blocks the views share: labels with a role, buttons, a divider."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QWidget

__all__ = ["button", "divider", "label"]


def label(
    text: str = "", role: str = "", *, wrap: bool = False, parent: QWidget | None = None
) -> QLabel:
    widget = QLabel(text, parent)
    if role:
        widget.setObjectName(role)
    widget.setWordWrap(wrap)
    widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return widget


def button(text: str, role: str = "", *, parent: QWidget | None = None) -> QPushButton:
    widget = QPushButton(text, parent)
    if role:
        widget.setObjectName(role)
    widget.setCursor(Qt.CursorShape.PointingHandCursor)
    return widget


def divider(parent: QWidget | None = None) -> QFrame:
    line = QFrame(parent)
    line.setObjectName("Divider")
    line.setFrameShape(QFrame.Shape.NoFrame)
    return line
