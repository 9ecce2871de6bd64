"""The front-end assets fetched from the npm registry at install (core/assets_fetch.py): the pinned
tarball, checked by its sha512 integrity, extracted into the served static directory; a mirror through
npm_config_registry; a clear error when the registry cannot be reached or the tarball is not the pinned one."""

import base64
import hashlib
import io
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from epigrid.core import assets_fetch
from epigrid.core.assets_fetch import Asset, FetchError, fetch


def _tarball(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return out.getvalue()


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


@pytest.fixture
def mirror():
    """A registry mirror on localhost serving one tarball, counting its downloads."""
    served = {"requests": [], "body": b""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            served["requests"].append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(served["body"])

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    served["url"] = f"http://127.0.0.1:{server.server_port}"
    yield served
    server.shutdown()


def test_the_pinned_tarball_is_checked_and_its_files_extracted_once(mirror, tmp_path, monkeypatch):
    tarball = _tarball({"package/dist/lib.min.js": b"var lib=1;", "package/LICENSE": b"Apache-2.0"})
    mirror["body"] = tarball
    asset = Asset("lib", "1.2.3", _integrity(tarball), {"package/dist/lib.min.js": "lib.min.js",
                                                        "package/LICENSE": "LICENSE"})
    monkeypatch.setenv("npm_config_registry", mirror["url"] + "/")
    dest = fetch(asset, root=tmp_path)
    assert (dest / "lib.min.js").read_bytes() == b"var lib=1;"
    assert (dest / "LICENSE").read_bytes() == b"Apache-2.0"
    assert mirror["requests"] == ["/lib/-/lib-1.2.3.tgz"]
    fetch(asset, root=tmp_path)
    assert len(mirror["requests"]) == 1  # already there at the pinned version: not downloaded again


def test_a_tarball_that_is_not_the_pinned_one_installs_nothing(mirror, tmp_path):
    good = _tarball({"package/dist/lib.min.js": b"var lib=1;"})
    mirror["body"] = _tarball({"package/dist/lib.min.js": b"var lib=2; /* tampered */"})
    asset = Asset("lib", "1.2.3", _integrity(good), {"package/dist/lib.min.js": "lib.min.js"})
    with pytest.raises(FetchError, match="integrity"):
        fetch(asset, base=mirror["url"], root=tmp_path)
    assert not (tmp_path / "lib").exists()


def test_an_unreachable_registry_says_how_to_use_a_mirror(tmp_path, monkeypatch):
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9")
    asset = Asset("lib", "1.2.3", "sha512-x", {"package/a.js": "a.js"})
    with pytest.raises(FetchError) as exc:
        fetch(asset, root=tmp_path)
    assert "http://127.0.0.1:9/lib/-/lib-1.2.3.tgz" in str(exc.value)
    assert "npm_config_registry" in str(exc.value)
    monkeypatch.setattr(assets_fetch, "ASSETS", (asset,))
    monkeypatch.setattr(assets_fetch, "VENDOR_DIR", tmp_path)
    assert assets_fetch.main([]) == 1  # the command fails (make install stops) with the same message


def test_the_default_registry_is_npm(monkeypatch):
    monkeypatch.delenv("npm_config_registry", raising=False)
    monkeypatch.delenv("NPM_CONFIG_REGISTRY", raising=False)
    assert assets_fetch.registry() == "https://registry.npmjs.org"


def test_echarts_is_installed_and_served_by_the_platform(client):
    echarts = next(a for a in assets_fetch.ASSETS if a.name == "echarts")
    assert assets_fetch.up_to_date(echarts, assets_fetch.VENDOR_DIR / "echarts"), "run make install"
    response = client.get("/static/vendor/echarts/echarts.min.js")
    assert response.status_code == 200
    assert b"echarts" in b"".join(response.streaming_content)[:5000]
