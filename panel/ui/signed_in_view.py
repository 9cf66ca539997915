"""Signed in: who, which organization, the Dashboard, the latest integrations, Sign out."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

from panel.ui.viewmodels import IntegrationRow, Profile
from panel.ui.widgets import button, divider, label

__all__ = ["SignedInView"]


def _initials(name: str) -> str:
    letters = [w[0] for w in name.replace("@", " ").split() if w and w[0].isalnum()]
    return "".join(letters[:2]).upper() or "?"


class SignedInView(QWidget):
    open_url_requested = Signal(str)
    sign_out_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._profile: Profile | None = None
        self.avatar = label("", "Avatar")
        self.avatar.setFixedSize(40, 40)
        self.avatar.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.name = label("", "Name")
        self.email = label("", "Muted")
        self.organization = label("", "Muted")
        self.open_dashboard = button("Open Dashboard", "Primary")
        self.open_dashboard.clicked.connect(self._open_dashboard)
        self.sign_out = button("Sign out")
        self.sign_out.clicked.connect(self.sign_out_clicked)

        who = QVBoxLayout()
        who.setSpacing(1)
        who.addWidget(self.name)
        who.addWidget(self.email)
        who.addWidget(self.organization)
        head = QHBoxLayout()
        head.setSpacing(10)
        head.addWidget(self.avatar, 0, Qt.AlignmentFlag.AlignTop)
        head.addLayout(who, 1)

        self.integrations = QFrame()
        self.integrations.setObjectName("Card")
        self._grid = QGridLayout(self.integrations)
        self._grid.setContentsMargins(10, 8, 10, 8)
        self._grid.setHorizontalSpacing(8)
        self._grid.setVerticalSpacing(2)

        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        buttons.addWidget(self.open_dashboard, 1)
        buttons.addWidget(self.sign_out)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addLayout(head)
        layout.addLayout(buttons)
        layout.addWidget(divider())
        layout.addWidget(label("INTEGRATIONS", "Section"))
        layout.addWidget(self.integrations)
        layout.addStretch(1)

    @property
    def profile(self) -> Profile | None:
        return self._profile

    def set_profile(self, profile: Profile) -> None:
        self._profile = profile
        self.avatar.setText(_initials(profile.name))
        self.name.setText(profile.name)
        self.email.setText(profile.email)
        self.organization.setText(profile.organization)
        self._fill(profile.integrations)

    def _fill(self, rows: tuple[IntegrationRow, ...]) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        if not rows:
            self._grid.addWidget(label("No integrations published yet.", "Muted"), 0, 0)
            return
        for i, row in enumerate(rows):
            r = i * 2
            self._grid.addWidget(label(row.product), r, 0)
            self._grid.addWidget(label(row.latest or "—", "Version"), r, 1)
            download = button("Download", "Link")
            download.setEnabled(row.download_url is not None)
            download.setToolTip(row.notes or (row.download_url or ""))
            url = row.download_url
            if url:
                download.clicked.connect(lambda _=False, u=url: self.open_url_requested.emit(u))
            self._grid.addWidget(download, r, 2, Qt.AlignmentFlag.AlignRight)
            status = label(row.status, "Outdated" if row.out_of_date else "UpToDate")
            if not row.out_of_date and row.installed is None:
                status.setObjectName("Muted")
            self._grid.addWidget(status, r + 1, 0, 1, 3)
        self._grid.setColumnStretch(0, 1)

    def _open_dashboard(self) -> None:
        if self._profile is not None:
            self.open_url_requested.emit(self._profile.dashboard_url)
