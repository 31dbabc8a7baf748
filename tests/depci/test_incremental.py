from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from velocity.depci.engine import build_graph

from .conftest import Write
from .conftest import write_tree

BASE = {
    "pkg/__init__.py": "from .mod import X\nfrom .other import Y\n",
    "pkg/mod.py": "X = 1\n",
    "pkg/other.py": "Y = 2\n",
    "pkg/extra.py": "Z = 3\n",
    "tests/test_x.py": "from pkg import X\n",
    "tests/test_y.py": "from pkg import Y\n",
    "web/a.ts": 'import "@lib/b";\n',
    "web/lib/b.ts": "",
    "web/tsconfig.json": json.dumps({"compilerOptions": {"paths": {"@lib/*": ["./lib/*"]}}}),
}


def fresh(root: Path) -> dict:
    return build_graph(root, use_cache=False).graph.to_json()


def test_one_file_edit_resolves_that_file_and_its_importers_only(tree: Write) -> None:
    root = tree(BASE)
    build_graph(root)
    (root / "pkg/extra.py").write_text("Z = 4\n")
    edited = build_graph(root)
    assert (edited.stats.parsed, edited.stats.resolved) == (1, 1)
    assert edited.graph.to_json() == fresh(root)


def test_reexport_moves_and_importers_follow(tree: Write) -> None:
    root = tree(BASE)
    build_graph(root)
    (root / "pkg/__init__.py").write_text("from .extra import Z as X\nfrom .other import Y\n")
    moved = build_graph(root)
    assert moved.graph.to_json() == fresh(root)
    assert "pkg/extra.py" in moved.graph.forward["tests/test_x.py"]
    assert "pkg/mod.py" not in moved.graph.forward["tests/test_x.py"]


def test_new_file_and_config_change_resolve_everything(tree: Write) -> None:
    root = tree(BASE)
    build_graph(root)
    write_tree(root, {"pkg/X.py": ""})
    added = build_graph(root)
    assert added.stats.resolved == len(added.parsed)
    assert added.graph.to_json() == fresh(root)
    write_tree(root, {"web/tsconfig.json": "{}"})
    reconfigured = build_graph(root)
    assert reconfigured.stats.resolved == len(reconfigured.parsed)
    assert "web/lib/b.ts" not in reconfigured.graph.forward["web/a.ts"]


EDITS = st.lists(
    st.tuples(
        st.sampled_from(sorted(p for p in BASE if p.endswith(".py"))),
        st.sampled_from([
            "", "X = 1\n", "from .mod import X\n", "from pkg.other import Y as X\n",
            "from . import extra\n", "import pkg.extra\n", "from pkg import *\n",
            "def X(): pass\nfrom .other import Y\n", "from .extra import Z\nY = Z\n",
        ]),
    ),
    min_size=1,
    max_size=6,
)  # fmt: skip


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(EDITS)
def test_cached_graph_always_equals_a_fresh_build(tmp_path: Path, edits) -> None:
    root = tmp_path / f"r{len(list(tmp_path.iterdir()))}"
    write_tree(root, BASE)
    build_graph(root)
    for path, content in edits:
        (root / path).write_text(content + "\n# " + str(len(content)) + "\n")
        assert build_graph(root).graph.to_json() == fresh(root)


def test_body_edit_keeps_importers_but_surface_edit_redoes_them(tree: Write) -> None:
    root = tree(BASE)
    build_graph(root)
    (root / "pkg/__init__.py").write_text("from .mod import X\nfrom .other import Y\n# note\n")
    assert build_graph(root).stats.resolved == 1
    (root / "pkg/__init__.py").write_text("from .mod import X\nfrom .other import Y, Z\n")
    assert build_graph(root).stats.resolved == 3  # __init__ and both tests importing it


def test_graph_section_of_another_shape_is_not_used(tree: Write) -> None:
    from velocity.depci.linker import link

    root = tree(BASE)
    analysis = build_graph(root, use_cache=False)
    keys = {p: "k" for p in analysis.parsed}
    known = set(analysis.files)
    _, section, _ = link(root, known, analysis.parsed, keys, [""], True, None)
    del section["surface"]
    _, _, resolved = link(root, known, analysis.parsed, keys, [""], True, section)
    assert resolved == len(keys)


def test_graph_section_with_bad_edges_is_not_trusted(tree: Write) -> None:
    from velocity.depci.linker import link

    root = tree(BASE)
    analysis = build_graph(root, use_cache=False)
    keys = {p: "k" for p in analysis.parsed}
    known = set(analysis.files)
    graph, section, _ = link(root, known, analysis.parsed, keys, [""], True, None)
    section["edges"] = {p: [["only-two", True]] for p in keys}
    again, _, resolved = link(root, known, analysis.parsed, keys, [""], True, section)
    assert resolved == len(keys)
    assert again.to_json() == graph.to_json()


def test_link_without_a_section_gives_the_same_graph(tree: Write) -> None:
    from velocity.depci.linker import link

    root = tree(BASE)
    analysis = build_graph(root, use_cache=False)
    keys = {p: "k" for p in analysis.parsed}
    known = set(analysis.files)
    kept, section, _ = link(root, known, analysis.parsed, keys, [""], True, None)
    bare, empty, resolved = link(root, known, analysis.parsed, keys, [""], True, None, keep=False)
    assert bare.to_json() == kept.to_json()
    assert (empty, resolved) == ({}, len(keys))
    assert section["edges"]
