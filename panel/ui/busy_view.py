"""A short wait with nothing to decide: restoring the session, signing out."""

from __future__ import annotations

from PySide6.QtWidgets import QProgressBar, QVBoxLayout, QWidget

from panel.ui.widgets import label

__all__ = ["BusyView"]


class BusyView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = label("", "Title", wrap=True, selectable=False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(self.message)
        layout.addWidget(self.progress)
        layout.addStretch(1)

    def set_message(self, text: str) -> None:
        self.message.setText(text)
