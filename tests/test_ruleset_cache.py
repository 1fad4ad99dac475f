"""The disk cache of loaded rulesets (ruleset/cache.py): a cached ruleset equals the one loaded
from its files, and an edited file, a foreign entry or `QOF_CACHE_DIR=off` never serves an
old one (qof-2026-27 and qof-2025-26, which extends it)."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from qofcli.ruleset import cache, loader
from qofcli.ruleset import model as m
from qofcli.ruleset.catalogue import find_ruleset_dir


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_VAR, str(folder))
    monkeypatch.setattr(loader, "_LOADED", {})
    return folder


def _fresh(ruleset: str | Path) -> m.Ruleset:
    loader._LOADED.clear()  # the in-process cache is the fixture's empty dict
    return loader.load_ruleset(ruleset)


def test_a_cached_ruleset_equals_the_one_loaded_from_its_files(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for ruleset_id in ("qof-2026-27", "qof-2025-26"):
        written = _fresh(ruleset_id)
        read = _fresh(ruleset_id)
        monkeypatch.setenv(cache.ENV_VAR, "off")
        assert read == written == _fresh(ruleset_id)
        monkeypatch.setenv(cache.ENV_VAR, str(cache_dir))
    assert len(list(cache_dir.glob("*.pickle"))) == 2


def test_an_edited_cluster_file_is_read_again(cache_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "qof-2026-27"
    shutil.copytree(find_ruleset_dir("qof-2026-27"), folder)
    before = _fresh(folder)
    csv = folder / "clusters" / "DM_COD.csv"
    lines = csv.read_text(encoding="utf-8").splitlines(keepends=True)
    dropped = lines[1].split(",")[0]
    csv.write_text("".join([lines[0], *lines[2:]]), encoding="utf-8")
    after = _fresh(folder)
    assert dropped in before.clusters["DM_COD"].codes
    assert dropped not in after.clusters["DM_COD"].codes
    assert len(list(cache_dir.glob("*.pickle"))) == 2


def test_an_entry_others_may_write_is_not_read(cache_dir: Path) -> None:
    _fresh("qof-2026-27")
    (entry,) = cache_dir.glob("*.pickle")
    entry.write_bytes(pickle.dumps(_fresh("qof-2025-26")))  # another ruleset, planted
    entry.chmod(0o666)
    assert _fresh("qof-2026-27").id == "qof-2026-27"
    assert entry.stat().st_mode & 0o077 == 0  # replaced by a private entry
    entry.write_bytes(b"not a pickle")  # damaged but private: ignored and rewritten
    assert _fresh("qof-2026-27").id == "qof-2026-27"
    assert pickle.loads(entry.read_bytes()).id == "qof-2026-27"


def test_off_writes_nothing(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.ENV_VAR, "off")
    assert _fresh("qof-2026-27").id == "qof-2026-27"
    assert not cache_dir.exists()
