"""Which versions of the Avid and Premiere integrations are installed on this computer.

Premiere: the CEP extension's ``CSXS/manifest.xml`` (``ExtensionBundleVersion``).
Avid: the plug-in bundle's ``Contents/Info.plist`` (``CFBundleShortVersionString``) or a
``version.txt`` beside it. The search roots are passed in, so tests use a temp directory.
"""

from __future__ import annotations

import os
import plistlib
import sys
import xml.etree.ElementTree as ET  # noqa: S405 (local files the installer wrote)
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "PRODUCTS",
    "InstallRoots",
    "current_platform",
    "default_roots",
    "installed_versions",
]

PRODUCTS = {"avid": "Avid Media Composer", "premiere": "Adobe Premiere Pro"}
CEP_BUNDLE = "com.quickture.premiere"
AVID_BUNDLE = "Quickture.acf"


@dataclass(frozen=True, slots=True)
class InstallRoots:
    cep_extensions: Sequence[Path]
    avid_plugins: Sequence[Path]


def current_platform() -> str | None:
    if sys.platform == "darwin":
        return "macos"
    if sys.platform.startswith("win"):
        return "windows"
    return None


def default_roots() -> InstallRoots:
    home = Path.home()
    if sys.platform == "darwin":
        return InstallRoots(
            [home / "Library/Application Support/Adobe/CEP/extensions",
             Path("/Library/Application Support/Adobe/CEP/extensions")],
            [Path("/Library/Application Support/Avid/AVX2_Plug-ins")],
        )  # fmt: skip
    if sys.platform.startswith("win"):
        appdata = Path(os.environ.get("APPDATA", home / "AppData/Roaming"))
        program_files = Path(os.environ.get("COMMONPROGRAMFILES", r"C:\Program Files\Common Files"))
        return InstallRoots(
            [appdata / "Adobe/CEP/extensions", program_files / "Adobe/CEP/extensions"],
            [program_files / "Avid/AVX2_Plug-ins"],
        )
    return InstallRoots([], [])


def installed_versions(roots: InstallRoots) -> dict[str, str]:
    found: dict[str, str] = {}
    premiere = _first(_cep_version(r / CEP_BUNDLE) for r in roots.cep_extensions)
    if premiere:
        found["premiere"] = premiere
    avid = _first(_avid_version(r / AVID_BUNDLE) for r in roots.avid_plugins)
    if avid:
        found["avid"] = avid
    return found


def _first(values: Iterable[str | None]) -> str | None:
    return next((v for v in values if v), None)


def _cep_version(bundle: Path) -> str | None:
    try:
        root = ET.parse(bundle / "CSXS" / "manifest.xml").getroot()  # noqa: S314
    except (OSError, ET.ParseError):
        return None
    return root.get("ExtensionBundleVersion") or None


def _avid_version(bundle: Path) -> str | None:
    try:
        with (bundle / "Contents" / "Info.plist").open("rb") as f:
            value = plistlib.load(f).get("CFBundleShortVersionString")
            if isinstance(value, str) and value:
                return value
    except (OSError, plistlib.InvalidFileException, ValueError):
        pass
    try:
        return (bundle / "version.txt").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None
