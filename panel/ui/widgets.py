"""Small building blocks the views share: labels with a role, buttons, a divider."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QWidget

__all__ = ["button", "divider", "label"]


def label(
    text: str = "",
    role: str = "",
    *,
    wrap: bool = False,
    selectable: bool = True,
    parent: QWidget | None = None,
) -> QLabel:
    """A label; ``selectable=False`` for chrome shown before the first paint, which must not
    touch the ``Qt`` namespace (building it costs ~45 ms of start-up)."""
    widget = QLabel(text, parent)
    if role:
        widget.setObjectName(role)
    widget.setWordWrap(wrap)
    if selectable:
        from PySide6.QtCore import Qt

        widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return widget


def button(text: str, role: str = "", *, parent: QWidget | None = None) -> QPushButton:
    from PySide6.QtCore import Qt

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
