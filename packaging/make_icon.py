"""Draw the Quickture icon with Qt (no downloaded art) into PNG, ICO and ICNS.

    python packaging/make_icon.py OUT_DIR

writes ``quickture.png`` (1024 px), ``quickture.ico`` (256 px, Windows) and ``quickture.icns``
(macOS) into OUT_DIR. The mark: a rounded square in Quickture's violet-to-blue gradient with a
white play triangle (video) and a small four-point spark (the assistant).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import (  # noqa: E402
    QBrush,
    QColor,
    QGuiApplication,
    QImage,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPolygonF,
)

SIZE = 1024


def draw(size: int = SIZE) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    s = size / 1024
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)

    gradient = QLinearGradient(QPointF(0, 0), QPointF(size, size))
    gradient.setColorAt(0.0, QColor("#7c3aed"))
    gradient.setColorAt(1.0, QColor("#2563eb"))
    tile = QPainterPath()
    tile.addRoundedRect(QRectF(64 * s, 64 * s, 896 * s, 896 * s), 200 * s, 200 * s)
    p.fillPath(tile, QBrush(gradient))

    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#ffffff"))
    play = QPolygonF([QPointF(380 * s, 300 * s), QPointF(380 * s, 724 * s),
                      QPointF(730 * s, 512 * s)])  # fmt: skip
    p.drawPolygon(play)

    cx, cy, r, w = 760 * s, 250 * s, 110 * s, 26 * s
    spark = QPolygonF([
        QPointF(cx, cy - r), QPointF(cx + w, cy - w), QPointF(cx + r, cy),
        QPointF(cx + w, cy + w), QPointF(cx, cy + r), QPointF(cx - w, cy + w),
        QPointF(cx - r, cy), QPointF(cx - w, cy - w),
    ])  # fmt: skip
    p.setBrush(QColor("#fde68a"))
    p.drawPolygon(spark)
    p.end()
    return image


def main(out_dir: str) -> int:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _app = QGuiApplication.instance() or QGuiApplication(["make_icon"])
    image = draw()
    smooth = Qt.TransformationMode.SmoothTransformation
    targets = [
        (out / "quickture.png", image),
        (out / "quickture.ico", image.scaled(256, 256, mode=smooth)),
        (out / "quickture.icns", image.scaled(512, 512, mode=smooth)),
    ]
    for path, img in targets:
        if not img.save(str(path)):
            print(f"make_icon: cannot write {path} (Qt image format plugin missing?)",
                  file=sys.stderr)  # fmt: skip
            return 1
        print(path)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: make_icon.py OUT_DIR", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
