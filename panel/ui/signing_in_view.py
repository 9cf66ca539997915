"""Signing in: progress, "finish in your browser", Cancel, and a copy-the-link fallback."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QVBoxLayout, QWidget

from panel.ui.widgets import button, label

__all__ = ["SigningInView"]


class SigningInView(QWidget):
    cancel_clicked = Signal()
    link_copied = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._url: str | None = None
        self.title = label("Finish signing in in your browser", "Title", wrap=True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.hint = label("", "Muted", wrap=True)
        self.copy = button("Copy sign-in link")
        self.copy.clicked.connect(self._copy)
        self.cancel = button("Cancel")
        self.cancel.clicked.connect(self.cancel_clicked)

        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        buttons.addWidget(self.copy, 1)
        buttons.addWidget(self.cancel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(self.title)
        layout.addWidget(self.progress)
        layout.addWidget(self.hint)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.reset()

    @property
    def url(self) -> str | None:
        return self._url

    def reset(self) -> None:
        self._url = None
        self.hint.setText("Contacting Quickture…")
        self.copy.setEnabled(False)
        self.copy.setText("Copy sign-in link")

    def set_url(self, url: str) -> None:
        self._url = url
        self.copy.setEnabled(True)
        self.hint.setText(
            "A browser window should have opened. Enter your work email there and sign in "
            "with Okta. No browser? Copy the sign-in link and paste it into one."
        )

    def _copy(self) -> None:
        if self._url:
            QGuiApplication.clipboard().setText(self._url)
            self.copy.setText("Link copied")
            self.link_copied.emit()
