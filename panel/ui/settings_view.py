"""Settings: the Quickture server (backend) the panel talks to, validated before it is kept."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QVBoxLayout, QWidget

from panel.ui.widgets import button, label

__all__ = ["SettingsView"]


class SettingsView(QWidget):
    save_requested = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = label("Settings", "Title")
        self.field = QLineEdit()
        self.field.setPlaceholderText("https://quickture.example.com")
        self.field.returnPressed.connect(self._save)
        self.error = label("", "FieldError", wrap=True)
        self.error.hide()
        self.save = button("Save", "Primary")
        self.save.clicked.connect(self._save)
        self.cancel = button("Cancel")
        self.cancel.clicked.connect(self.cancelled)

        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.save)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.title)
        layout.addWidget(label("Quickture server", "Section"))
        layout.addWidget(self.field)
        layout.addWidget(
            label(
                "Your IT admin tells you this address if it isn't the default.", "Muted", wrap=True
            )
        )
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        layout.addStretch(1)

    def edit(self, url: str) -> None:
        self.field.setText(url)
        self.error.hide()
        self.field.setFocus()

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def _save(self) -> None:
        self.error.hide()
        self.save_requested.emit(self.field.text().strip())
