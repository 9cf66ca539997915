"""Publishing and reading releases. A release file is copied into ``<data dir>/releases/<id>/``
with its SHA-256 computed while copying; the row is written in one transaction afterwards, and
the copy is removed again if that transaction fails (a duplicate version, say).

Errors are the service layer's (``backend.domain.errors``): ``Invalid`` for a bad product,
platform, version or file; ``Conflict`` when that product, platform and version already exist;
``NotFound`` for an unknown release id.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.domain import audit
from backend.domain.errors import Conflict, Invalid, NotFound
from backend.runtime import Runtime
from backend.store.models import Release
from backend.store.models.base import new_id, utcnow

__all__ = [
    "PLATFORMS",
    "PRODUCTS",
    "ReleaseInfo",
    "file_path",
    "get_release",
    "latest",
    "list_releases",
    "publish",
]

PRODUCTS = {"avid": "Avid Media Composer", "premiere": "Adobe Premiere Pro"}
PLATFORMS = {"macos": "macOS", "windows": "Windows"}
RELEASES_DIR = "releases"
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,49}$")
_UNSAFE_NAME = re.compile(r"[^0-9A-Za-z._+-]+")
_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    id: str
    product: str
    platform: str
    version: str
    filename: str
    size: int
    sha256: str
    notes: str
    published_at: datetime

    @property
    def product_name(self) -> str:
        return PRODUCTS.get(self.product, self.product)

    @property
    def platform_name(self) -> str:
        return PLATFORMS.get(self.platform, self.platform)


def publish(
    rt: Runtime,
    *,
    product: str,
    platform: str,
    version: str,
    source: Path,
    notes: str = "",
    actor: str,
) -> ReleaseInfo:
    """Copy ``source`` into the data dir and record it; the newest publication is the latest."""
    product, platform, version = product.strip().lower(), platform.strip().lower(), version.strip()
    if product not in PRODUCTS:
        raise Invalid(f"unknown product {product!r}: use one of {', '.join(PRODUCTS)}")
    if platform not in PLATFORMS:
        raise Invalid(f"unknown platform {platform!r}: use one of {', '.join(PLATFORMS)}")
    if not _VERSION.match(version):
        raise Invalid(f"{version!r} is not a version (letters, digits and . + _ - only)")
    if not source.is_file():
        raise Invalid(f"{source} is not a file")
    with rt.db.read() as s:
        _refuse_duplicate(s, product, platform, version)

    release_id = new_id()
    filename = _UNSAFE_NAME.sub("_", source.name).lstrip(".") or "release.bin"
    relative = f"{RELEASES_DIR}/{release_id}/{filename}"
    folder = rt.settings.data_dir / RELEASES_DIR / release_id
    folder.mkdir(parents=True, exist_ok=False)
    try:
        size, digest = _copy_and_hash(source, folder / filename)
        with rt.db.write() as s:
            _refuse_duplicate(s, product, platform, version)
            row = Release(
                id=release_id,
                product=product,
                platform=platform,
                version=version,
                filename=filename,
                stored_path=relative,
                size=size,
                sha256=digest,
                notes=notes.strip(),
                published_at=utcnow(),
            )
            s.add(row)
            try:
                s.flush()
            except sa.exc.IntegrityError as exc:
                raise _duplicate(product, platform, version) from exc
            audit.record(
                s,
                actor=actor,
                action="release.publish",
                target_type="release",
                target_id=release_id,
                org_id=None,
                product=product,
                platform=platform,
                version=version,
                sha256=digest,
                size=size,
            )
            return _info(row)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def list_releases(
    session: Session, *, product: str | None = None, platform: str | None = None
) -> list[ReleaseInfo]:
    """Newest publication first."""
    q = sa.select(Release)
    if product:
        q = q.where(Release.product == product)
    if platform:
        q = q.where(Release.platform == platform)
    rows = session.scalars(q.order_by(Release.published_at.desc(), Release.id))
    return [_info(r) for r in rows]


def latest(session: Session, *, platform: str | None = None) -> list[ReleaseInfo]:
    """The newest release of each product and platform, in product then platform order."""
    newest: dict[tuple[str, str], ReleaseInfo] = {}
    for info in list_releases(session, platform=platform):
        newest.setdefault((info.product, info.platform), info)
    return [newest[k] for k in sorted(newest, key=_order)]


def get_release(session: Session, release_id: str) -> ReleaseInfo:
    row = session.get(Release, release_id)
    if row is None:
        raise NotFound(f"no release with id {release_id!r} (see `quickture-backend release list`)")
    return _info(row)


def file_path(rt: Runtime, release_id: str) -> tuple[ReleaseInfo, Path]:
    """The release and where its file is; ``NotFound`` if the file has gone missing."""
    with rt.db.read() as s:
        row = s.get(Release, release_id)
        if row is None:
            raise NotFound(f"no release with id {release_id!r}")
        info, stored = _info(row), row.stored_path
    root = (rt.settings.data_dir / RELEASES_DIR).resolve()
    path = (rt.settings.data_dir / stored).resolve()
    if root not in path.parents or not path.is_file():
        raise NotFound(f"the file of release {release_id} is missing from the data directory")
    return info, path


def _order(key: tuple[str, str]) -> tuple[int, int]:
    return list(PRODUCTS).index(key[0]), list(PLATFORMS).index(key[1])


def _copy_and_hash(source: Path, dest: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as src, dest.open("xb") as out:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _refuse_duplicate(session: Session, product: str, platform: str, version: str) -> None:
    exists = session.scalar(
        sa.select(Release.id).where(
            Release.product == product, Release.platform == platform, Release.version == version
        )
    )
    if exists is not None:
        raise _duplicate(product, platform, version)


def _duplicate(product: str, platform: str, version: str) -> Conflict:
    return Conflict(
        f"{product} {version} for {platform} is already published; publish a new version number"
    )


def _info(row: Release) -> ReleaseInfo:
    return ReleaseInfo(
        id=row.id,
        product=row.product,
        platform=row.platform,
        version=row.version,
        filename=row.filename,
        size=row.size,
        sha256=row.sha256,
        notes=row.notes,
        published_at=row.published_at,
    )
