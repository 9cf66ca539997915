"""Signed out: the product, one big Sign In, and the backend the panel talks to."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from panel.ui.widgets import button, label

__all__ = ["SignedOutView"]


class SignedOutView(QWidget):
    sign_in_clicked = Signal()
    change_backend_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = label("Sign in to Quickture", "Title")
        self.blurb = label(
            "Your AI assistant for Avid and Premiere. Sign in with your work email and your "
            "company's Okta account.",
            "Muted",
            wrap=True,
        )
        self.sign_in = button("Sign In", "Primary")
        self.sign_in.setDefault(True)
        self.sign_in.clicked.connect(self.sign_in_clicked)
        self.backend = label("", "Backend")
        self.change = button("Change", "Link")
        self.change.clicked.connect(self.change_backend_clicked)

        backend_row = QHBoxLayout()
        backend_row.setSpacing(6)
        backend_row.addWidget(self.backend, 1)
        backend_row.addWidget(self.change)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(self.title)
        layout.addWidget(self.blurb)
        layout.addSpacing(4)
        layout.addWidget(self.sign_in)
        layout.addStretch(1)
        layout.addLayout(backend_row)

    def set_backend(self, url: str) -> None:
        self.backend.setText(f"Server: {url}")
        self.backend.setToolTip(url)
