"""A banner that says what went wrong and what to do next, with at most one action."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QToolButton, QVBoxLayout, QWidget

from panel.ui.viewmodels import Action, Notice
from panel.ui.widgets import button, label

__all__ = ["NoticeBanner"]


class NoticeBanner(QFrame):
    action_clicked = Signal(object)  # Action
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Notice")
        self._notice: Notice | None = None
        self.title = label("", "NoticeTitle", wrap=True)
        self.body = label("", wrap=True)
        self.next_step = label("", "Muted", wrap=True)
        self.action = button("", "Link")
        self.action.clicked.connect(self._on_action)
        close = QToolButton()
        close.setObjectName("Icon")
        close.setText("×")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.dismiss)
        self.close_button = close

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.title, 1)
        top.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 8, 10)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.body)
        layout.addWidget(self.next_step)
        layout.addWidget(self.action, 0, Qt.AlignmentFlag.AlignLeft)
        self.hide()

    @property
    def notice(self) -> Notice | None:
        return self._notice

    def show_notice(self, notice: Notice) -> None:
        self._notice = notice
        self.setProperty("level", notice.level.value)
        self.style().unpolish(self)
        self.style().polish(self)
        self.title.setText(notice.title)
        self.body.setText(notice.body)
        self.body.setVisible(bool(notice.body))
        self.next_step.setText(notice.next_step)
        self.next_step.setVisible(bool(notice.next_step))
        self.action.setVisible(notice.action is not None)
        if notice.action is not None:
            self.action.setText(notice.action.value + " →")
        self.show()

    def dismiss(self) -> None:
        self._notice = None
        self.hide()
        self.dismissed.emit()

    def _on_action(self) -> None:
        if self._notice is not None and self._notice.action is not None:
            action: Action = self._notice.action
            self.dismiss()
            self.action_clicked.emit(action)
