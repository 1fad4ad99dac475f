"""Fields and conditions written in a register's or indicator's own file (rulesets/README.md,
"Fields and conditions in an item's file"): one namespace with the shared files, a name
defined twice in one ruleset is an error naming both files, and with `extends` the definitions
belong to their file: a child replacing or removing the item drops them unless it defines them
again, and says so when something still reads them.

Built on copies of tests/fixtures/rulesets/mini (PPED 2025-03-31), where MINI002's file is given
its own field MAX_TX and condition MAX_TX_IN_YEAR; and on the shipped rulesets.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qofcli.errors import RulesetError
from qofcli.ruleset.catalogue import shipped_ruleset_ids
from qofcli.ruleset.dependencies import readers
from qofcli.ruleset.explain import explain
from qofcli.ruleset.files import origin_file
from qofcli.ruleset.loader import load_ruleset

MINI = Path(__file__).parent / "fixtures" / "rulesets" / "mini"
MINI002 = Path("indicators") / "MINI002.yaml"
SHARED_RULE = "    when: {date: DMMAX, after: PPED - 12 months}\n"
LOCAL_RULE = "    when: {is: MAX_TX_IN_YEAR}\n"
LOCAL_BLOCK = """\
fields:
  MAX_TX: {latest: DMMAX_COD, description: Latest maximal treatment code}
conditions:
  MAX_TX_IN_YEAR: {date: MAX_TX, after: PPED - 12 months}
"""


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def with_local_block(path: Path) -> None:
    """MINI002 reads maximal treatment through its own field and condition."""
    replace_once(path, SHARED_RULE, LOCAL_RULE)
    path.write_text(path.read_text(encoding="utf-8") + LOCAL_BLOCK, encoding="utf-8")


@pytest.fixture
def parent(tmp_path: Path) -> Path:
    folder = tmp_path / "mini"
    shutil.copytree(MINI, folder)
    with_local_block(folder / MINI002)
    return folder


def child(parent: Path, manifest_extra: str = "") -> Path:
    folder = parent.parent / "local"
    (folder / "indicators").mkdir(parents=True)
    (folder / "ruleset.toml").write_text(
        f'id = "local"\nextends = "mini"\n{manifest_extra}', encoding="utf-8"
    )
    return folder


def child_copy_of_mini002(folder: Path, parent: Path) -> Path:
    """The child's own MINI002: a copy of the parent's file without its local block."""
    text = (parent / MINI002).read_text(encoding="utf-8").replace(LOCAL_BLOCK, "")
    path = folder / MINI002
    path.write_text(text, encoding="utf-8")
    return path


def load_error(folder: Path) -> str:
    with pytest.raises(RulesetError) as info:
        load_ruleset(folder)
    return str(info.value)


# ---- one ruleset -------------------------------------------------------------------------


def test_local_definitions_load_and_name_their_file(parent: Path) -> None:
    ruleset = load_ruleset(parent)
    assert origin_file(ruleset.fields["MAX_TX"].origin) == str(parent / MINI002)
    assert origin_file(ruleset.conditions["MAX_TX_IN_YEAR"].origin) == str(parent / MINI002)
    page = explain(ruleset, "MINI002")
    assert {f["name"]: f["file"] for f in page["fields"]}[
        "MAX_TX"
    ] == "mini/indicators/MINI002.yaml"
    conditions = {c["name"]: c["file"] for c in page["conditions"]}
    assert conditions["MAX_TX_IN_YEAR"] == "mini/indicators/MINI002.yaml"
    # Rule 1 of MINI002 now rejects on the local condition, as it did on the shared field.
    assert "MAX_TX dated after PPED − 12 months" in page["denominator"][0]["when"]


def test_local_names_are_visible_to_every_item(parent: Path) -> None:
    # One namespace: a register in another file may read MINI002's condition.
    replace_once(
        parent / "registers" / "DM_ELDER_REG.yaml",
        "{age: {ge: 80}}]}",
        "{age: {ge: 80}}, {not: {is: MAX_TX_IN_YEAR}}]}",
    )
    ruleset = load_ruleset(parent)
    users = {i.id for i in readers(ruleset)[("condition", "MAX_TX_IN_YEAR")]}
    assert users == {"MINI002", "DM_ELDER_REG"}


@pytest.mark.parametrize(
    ("shared_file", "definition"),
    [
        ("fields.yaml", "MAX_TX: {latest: DMMAX_COD}"),
        ("conditions.yaml", "MAX_TX_IN_YEAR: {date: DMMAX, after: PPED - 6 months}"),
    ],
)
def test_a_local_name_also_in_a_shared_file_is_an_error(
    parent: Path, shared_file: str, definition: str
) -> None:
    with (parent / shared_file).open("a", encoding="utf-8") as handle:
        handle.write(definition + "\n")
    message = load_error(parent)
    name = definition.split(":")[0]
    assert str(parent / MINI002) in message and str(parent / shared_file) in message
    assert f" {name} is already defined in " in message and len(message.splitlines()) == 1


def test_the_same_local_name_in_two_item_files_is_an_error(parent: Path) -> None:
    mini001 = parent / "indicators" / "MINI001.yaml"
    mini001.write_text(
        mini001.read_text(encoding="utf-8") + "conditions:\n  MAX_TX_IN_YEAR: {has: DMMAX}\n",
        encoding="utf-8",
    )
    message = load_error(parent)
    assert "condition MAX_TX_IN_YEAR is already defined in" in message
    assert str(mini001) in message and str(parent / MINI002) in message


@pytest.mark.parametrize("block", ["fields: [MAX_TX]\n", "conditions:\n"])
def test_a_local_block_must_be_a_mapping(parent: Path, block: str) -> None:
    path = parent / "indicators" / "MINI001.yaml"
    path.write_text(path.read_text(encoding="utf-8") + block, encoding="utf-8")
    message = load_error(parent)
    assert str(path) in message and "expected a mapping of names to definitions" in message


def test_an_error_in_a_local_definition_names_file_block_and_name(parent: Path) -> None:
    replace_once(
        parent / MINI002, "MAX_TX: {latest: DMMAX_COD,", "MAX_TX: {count: DMMAX_COD, latest: X,"
    )
    message = load_error(parent)
    assert f"{parent / MINI002}: fields: MAX_TX: a field needs exactly one of" in message


# ---- extends -----------------------------------------------------------------------------


def test_a_replacement_that_no_longer_reads_them_drops_them(parent: Path) -> None:
    local = child(parent)
    path = child_copy_of_mini002(local, parent)
    replace_once(path, LOCAL_RULE, SHARED_RULE)  # back to the shared DMMAX field
    ruleset = load_ruleset(local)
    assert "MAX_TX" not in ruleset.fields and "MAX_TX_IN_YEAR" not in ruleset.conditions
    assert ruleset.indicators["MINI002"].origin == str(path)


def test_a_replacement_still_reading_them_must_define_them(parent: Path) -> None:
    local = child(parent)
    path = child_copy_of_mini002(local, parent)
    message = load_error(local)
    assert message.startswith(f"{path}: replaces MINI002 of {parent / MINI002}")
    assert "defines the field MAX_TX for itself, but MINI002" in message
    assert message.endswith("define MAX_TX in the child ruleset too")
    assert len(message.splitlines()) == 1


def test_another_item_still_reading_them_is_named(parent: Path) -> None:
    replace_once(
        parent / "registers" / "DM_ELDER_REG.yaml",
        "{age: {ge: 80}}]}",
        "{age: {ge: 80}}, {not: {is: MAX_TX_IN_YEAR}}]}",
    )
    local = child(parent)
    replace_once(child_copy_of_mini002(local, parent), LOCAL_RULE, SHARED_RULE)
    message = load_error(local)
    assert "DM_ELDER_REG" in message and str(parent / "registers" / "DM_ELDER_REG.yaml") in message


def test_a_replacement_may_carry_its_own_copy(parent: Path) -> None:
    local = child(parent)
    path = local / MINI002
    path.write_text(
        (parent / MINI002)
        .read_text(encoding="utf-8")
        .replace("after: PPED - 12 months}\n", "after: PPED - 6 months}\n"),
        encoding="utf-8",
    )
    ruleset = load_ruleset(local)
    assert origin_file(ruleset.conditions["MAX_TX_IN_YEAR"].origin) == str(path)
    assert str(ruleset.conditions["MAX_TX_IN_YEAR"].condition.ref) == "PPED - 6 months"  # type: ignore[union-attr]


def test_a_child_shared_file_replaces_a_parent_local_definition(parent: Path) -> None:
    # The existing extends rule: a same-name item replaces the parent's wherever it was written.
    local = child(parent)
    (local / "fields.yaml").write_text("MAX_TX: {latest: DMMAX_COD, on_or_after: PPSD}\n")
    ruleset = load_ruleset(local)
    assert origin_file(ruleset.fields["MAX_TX"].origin) == str(local / "fields.yaml")
    assert ruleset.indicators["MINI002"].origin == str(parent / MINI002)  # still inherited


def test_removing_the_item_drops_them_too(parent: Path) -> None:
    ruleset = load_ruleset(child(parent, 'remove_indicators = ["MINI002"]\n'))
    assert "MAX_TX" not in ruleset.fields and "MAX_TX_IN_YEAR" not in ruleset.conditions


def test_removing_the_item_while_another_reads_them_is_an_error(parent: Path) -> None:
    replace_once(
        parent / "registers" / "DM_ELDER_REG.yaml",
        "{age: {ge: 80}}]}",
        "{age: {ge: 80}}, {has: MAX_TX}]}",
    )
    local = child(parent, 'remove_indicators = ["MINI002"]\n')
    message = load_error(local)
    assert message.startswith(f"{local / 'ruleset.toml'}: remove_indicators drops MINI002")
    assert "field MAX_TX" in message and "DM_ELDER_REG" in message


# ---- the shipped rulesets ----------------------------------------------------------------


def own_definitions(ruleset_id: str):
    ruleset = load_ruleset(ruleset_id)
    folder = ruleset.path + "/"
    for kind, named in (("field", ruleset.fields), ("condition", ruleset.conditions)):
        for name, item in named.items():
            path = origin_file(item.origin)
            if path.startswith(folder):
                yield ruleset, kind, name, path


@pytest.mark.parametrize("ruleset_id", shipped_ruleset_ids())
def test_shared_files_hold_no_name_only_one_item_of_the_ruleset_reads(ruleset_id: str) -> None:
    """A name one register or indicator reads belongs in that item's file. The exception is a
    child ruleset's new form of a name whose one reader it inherits (qof-2025-26's
    COPD_DIAGNOSED_3M for COPD010): the child has no file of that item to put it in, and copying
    the item's file only to hold it would hide that the item itself did not change."""
    single_use = []
    for ruleset, kind, name, path in own_definitions(ruleset_id):
        if "/indicators/" in path or "/registers/" in path:
            continue
        users = readers(ruleset).get((kind, name), [])
        if len(users) == 1 and users[0].origin.startswith(ruleset.path + "/"):
            single_use.append(f"{kind} {name} ({path}: only {users[0].id} reads it)")
    assert single_use == []


@pytest.mark.parametrize("ruleset_id", shipped_ruleset_ids())
def test_item_files_define_only_what_that_item_alone_reads(ruleset_id: str) -> None:
    """The other half: a name two items read belongs in a shared file, and an item file defines
    nothing its item does not read."""
    misplaced = []
    for ruleset, kind, name, path in own_definitions(ruleset_id):
        if "/indicators/" not in path and "/registers/" not in path:
            continue
        users = [u.origin for u in readers(ruleset).get((kind, name), [])]
        if users != [path]:
            misplaced.append(f"{kind} {name} in {path} is read by {users or 'nothing'}")
    assert misplaced == []
