"""Front-end assets that no PyPI package ships, fetched from the npm registry at install time (`make
install` runs this): the pinned tarball is downloaded, checked against its pinned sha512 integrity (the
value npm's own lock files hold), and the files the pages use are extracted into a git-ignored static
directory the platform serves (core/static/vendor/). Nothing is copied into the repository and nothing
loads from a CDN. A city's intranet points `npm_config_registry` (npm's own variable) at its mirror.

    python -m epigrid.core.assets_fetch          # fetch what is missing or out of date
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sys
import tarfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

DEFAULT_REGISTRY = "https://registry.npmjs.org"
VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor"
STAMP = ".fetched.json"


@dataclass(frozen=True)
class Asset:
    name: str  # the npm package
    version: str
    integrity: str  # "sha512-<base64>", as the registry's dist.integrity gives it
    files: dict[str, str]  # path in the tarball -> path under the package's vendor directory


ASSETS = (
    # ECharts (Apache-2.0): the transmission graph and the charts. dist/echarts.min.js bundles zrender.
    Asset("echarts", "6.1.0",
          "sha512-q0yaFPggC9FUdsWH4blavRWFmxdrIodbkoKNAjJudAI6CA9gNPxHtV2RcZNEepZVlk4yvBYkOkbk6HIVpIyHZA==",
          {"package/dist/echarts.min.js": "echarts.min.js", "package/LICENSE": "LICENSE"}),
)


class FetchError(Exception):
    pass


def registry() -> str:
    return (os.environ.get("npm_config_registry") or os.environ.get("NPM_CONFIG_REGISTRY")
            or DEFAULT_REGISTRY).rstrip("/")


def tarball_url(asset: Asset, base: str) -> str:
    # npm's layout: <registry>/<name>/-/<name>-<version>.tgz (an unscoped package's name twice)
    return f"{base}/{asset.name}/-/{asset.name}-{asset.version}.tgz"


def integrity_ok(data: bytes, integrity: str) -> bool:
    algorithm, _sep, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise FetchError(f"unsupported integrity {integrity[:20]}... (sha512 expected)")
    return base64.b64encode(hashlib.sha512(data).digest()).decode() == expected


def download(url: str, timeout: float = 60) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (https or a mirror's URL)
            return response.read()
    except (urllib.error.URLError, OSError) as exc:
        raise FetchError(
            f"cannot download {url}: {getattr(exc, 'reason', exc)}.\n"
            f"The npm registry must be reachable to install the front-end assets; on an intranet, point "
            f"npm_config_registry at a mirror (e.g. npm_config_registry=https://npm.example.gov.cn make install).") from exc


def up_to_date(asset: Asset, dest: Path) -> bool:
    try:
        stamp = json.loads((dest / STAMP).read_text())
    except (OSError, ValueError):
        return False
    return (stamp.get("version") == asset.version and stamp.get("integrity") == asset.integrity
            and all((dest / target).is_file() for target in asset.files.values()))


def fetch(asset: Asset, *, base: str | None = None, root: Path | None = None) -> Path:
    """The asset's files under root/<name>/ (VENDOR_DIR), fetched unless already there at the pinned version."""
    dest = (root or VENDOR_DIR) / asset.name
    if up_to_date(asset, dest):
        return dest
    url = tarball_url(asset, base or registry())
    data = download(url)
    if not integrity_ok(data, asset.integrity):
        raise FetchError(f"{url}: the tarball does not match the pinned integrity of {asset.name} "
                         f"{asset.version}; nothing was installed.")
    extracted = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member, target in asset.files.items():
            try:
                handle = tar.extractfile(member)
            except KeyError:
                handle = None
            if handle is None:
                raise FetchError(f"{url}: no {member} in the tarball")
            extracted[target] = handle.read()
    dest.mkdir(parents=True, exist_ok=True)
    for target, content in extracted.items():
        path = dest / target
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(content)
        tmp.replace(path)
    (dest / STAMP).write_text(json.dumps({"version": asset.version, "integrity": asset.integrity}))
    return dest


def main(argv=None) -> int:
    try:
        for asset in ASSETS:
            dest = fetch(asset)
            print(f"{asset.name} {asset.version}: {dest}")
    except FetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
