"""The dependency graph page in a real Chromium, on real git repositories."""

from __future__ import annotations

from pathlib import Path

import pytest
from dashboard_support import git
from dashboard_support import make_repo

from velocity.dashboard import create_app


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "repo")
    # A change on top of main: mod10 changed, so mod10..mod20 and their tests are affected.
    git(root, "checkout", "-q", "-b", "feature")
    (root / "src/shop/mod10.py").write_text("from shop import mod9\nVALUE = 100\n")
    return root


def count(page, selector: str) -> int:
    return page.evaluate(f"window.velocityGraph.$({selector!r}).length")


def test_graph_shows_changes_search_and_why(page, serve, shot, repo: Path):
    url = serve(create_app(repo=repo))
    page.goto(url + "/graph")
    page.wait_for_selector("body[data-ready=graph]")

    # 21 package files + 4 tests; one changed; mod10..mod20 and tests of mod10/15/20.
    assert page.inner_text("#stat-files") == "25"
    assert count(page, "node[id !^= 'dir:']") == 25
    assert page.evaluate("window.velocityGraph.$('node.changed').map(n => n.id())") == [
        "src/shop/mod10.py"
    ]
    assert count(page, "node.affected") == 11 + 3
    assert page.inner_text("#changed-list") == "src/shop/mod10.py"
    assert page.locator("#tests-list li").all_inner_texts() == [
        "tests/test_mod10.py",
        "tests/test_mod15.py",
        "tests/test_mod20.py",
    ]
    shot("graph-overview")

    # The why chain of a selected test: test_mod15 -> mod15 -> ... -> mod10.
    page.click("#tests-list li:has-text('test_mod15')")
    page.wait_for_selector("#why[data-test='tests/test_mod15.py']")
    chain = [t.splitlines()[0] for t in page.locator("#why li").all_inner_texts()]
    assert chain == ["tests/test_mod15.py"] + [f"src/shop/mod{i}.py" for i in range(15, 9, -1)]
    assert count(page, "edge.chain") == 6

    # Search, then show only the hit's neighbourhood.
    page.fill("#search", "mod7")
    assert page.locator("#hits li").all_inner_texts() == ["src/shop/mod7.py"]
    page.check("#neighbourhood")
    page.press("#search", "Enter")
    page.wait_for_selector("body[data-focused='src/shop/mod7.py']")
    assert page.evaluate("window.velocityGraph.$('node.hit').map(n => n.id())") == [
        "src/shop/mod7.py"
    ]
    visible = page.evaluate(
        "window.velocityGraph.nodes().filter(n => !n.hasClass('hidden')).map(n => n.id()).sort()"
    )
    # from shop import mod6 runs the package too: a (shallow) edge to its __init__.py.
    assert visible == [
        "src/shop/__init__.py",
        "src/shop/mod6.py",
        "src/shop/mod7.py",
        "src/shop/mod8.py",
    ]
    shot("graph-neighbourhood")


@pytest.mark.slow
def test_graph_of_2000_files_renders_and_search_finds_a_node(page, serve, shot, tmp_path: Path):
    root = tmp_path / "big"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    for d in range(40):
        pkg = root / f"pkg{d}"
        pkg.mkdir()
        (pkg / "__init__.py").write_text("")
        for m in range(50):
            deps = [f"from pkg{(d + k) % 40} import m{(m * 7 + k) % 50}" for k in (1, 3)]
            (pkg / f"m{m}.py").write_text("\n".join(deps) + "\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "big")
    (root / "pkg3" / "m5.py").write_text("X = 1\n")
    url = serve(create_app(repo=root))

    page.goto(url + "/graph")
    page.wait_for_selector("body[data-ready=graph]", timeout=120_000)
    assert int(page.inner_text("#stat-files")) == 40 * 51
    assert count(page, "node[id !^= 'dir:']") == 2040
    assert count(page, "node.changed") == 1
    page.fill("#search", "pkg17/m42.py")
    page.press("#search", "Enter")
    page.wait_for_selector("body[data-focused='pkg17/m42.py']", timeout=10_000)
    assert page.locator("#hits li").all_inner_texts() == ["pkg17/m42.py"]
    shot("graph-2000")
