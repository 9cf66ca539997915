"""The panel's widgets: PySide6 and our own view values only; no HTTP, no keychain."""

from panel.ui.main_window import MainWindow, State
from panel.ui.viewmodels import Action, IntegrationRow, Level, Notice, Profile

__all__ = ["Action", "IntegrationRow", "Level", "MainWindow", "Notice", "Profile", "State"]
