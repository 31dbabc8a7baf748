from __future__ import annotations

from velocity.depci.engine import build_graph
from velocity.depci.rules_model import DepciRules

from .conftest import Write
from .conftest import deps
from .conftest import graph_of


def test_import_dotted_depends_on_every_package(tree: Write) -> None:
    root = tree({
        "a/__init__.py": "", "a/b/__init__.py": "", "a/b/c.py": "",
        "main.py": "import a.b.c\n",
    })  # fmt: skip
    assert deps(graph_of(root), "main.py") == {
        "a/__init__.py": False,
        "a/b/__init__.py": False,
        "a/b/c.py": True,
    }


def test_from_package_import_submodule(tree: Write) -> None:
    root = tree({"pkg/__init__.py": "", "pkg/sub.py": "", "main.py": "from pkg import sub\n"})
    assert deps(graph_of(root), "main.py") == {"pkg/__init__.py": False, "pkg/sub.py": True}


def test_relative_imports(tree: Write) -> None:
    root = tree({
        "pkg/__init__.py": "", "pkg/one.py": "from . import two\nfrom .sub.deep import x\n",
        "pkg/two.py": "", "pkg/sub/__init__.py": "", "pkg/sub/deep.py": "x = 1\n",
        "pkg/sub/up.py": "from ..two import thing\nfrom .. import two as t2\n",
    })  # fmt: skip
    g = graph_of(root)
    assert deps(g, "pkg/one.py") == {
        "pkg/__init__.py": False,
        "pkg/two.py": True,
        "pkg/sub/__init__.py": False,
        "pkg/sub/deep.py": True,
    }
    assert deps(g, "pkg/sub/up.py") == {"pkg/two.py": True, "pkg/__init__.py": False}


def test_namespace_packages(tree: Write) -> None:
    root = tree({"ns/part/mod.py": "", "main.py": "import ns.part.mod\nfrom ns.part import mod\n"})
    assert deps(graph_of(root), "main.py") == {"ns/part/mod.py": True}


def test_external_imports_give_no_edges(tree: Write) -> None:
    root = tree({"main.py": "import os\nimport numpy.linalg\nfrom requests import get\n"})
    assert deps(graph_of(root), "main.py") == {}


def test_missing_submodule_of_local_package_keeps_a_deep_edge(tree: Write) -> None:
    root = tree({"pkg/__init__.py": "", "main.py": "import pkg.generated\n"})
    assert deps(graph_of(root), "main.py") == {"pkg/__init__.py": True}


def test_dynamic_imports_and_plugins(tree: Write) -> None:
    root = tree({
        "pkg/__init__.py": "", "pkg/a.py": "", "pkg/b.py": "", "pkg/c.py": "", "pkg/d.py": "",
        "main.py": (
            "import importlib\n"
            "def f():\n    importlib.import_module('pkg.a')\n    __import__('pkg.b')\n"
            "pytest_plugins = ['pkg.c']\n"
        ),
        "pkg/rel.py": "from importlib import import_module\nimport_module('.d', __package__)\n",
    })  # fmt: skip
    g = graph_of(root)
    assert {t for t, deep in deps(g, "main.py").items() if deep} == {
        "pkg/a.py",
        "pkg/b.py",
        "pkg/c.py",
    }
    assert deps(g, "pkg/rel.py")["pkg/d.py"]


def test_src_layout_from_pyproject_and_src_dir(tree: Write) -> None:
    root = tree({
        "pyproject.toml": '[tool.setuptools.packages.find]\nwhere = ["lib"]\n',
        "lib/alpha/__init__.py": "", "src/beta/__init__.py": "",
        "tests/test_x.py": "import alpha\nimport beta\n",
    })  # fmt: skip
    g = graph_of(root)
    assert deps(g, "tests/test_x.py") == {
        "lib/alpha/__init__.py": True,
        "src/beta/__init__.py": True,
    }
    assert g.python_roots == ["lib", "src", ""]


def test_setup_cfg_package_dir_and_monorepo_subproject(tree: Write) -> None:
    root = tree({
        "services/api/setup.cfg": "[options]\npackage_dir =\n    =code\n",
        "services/api/code/api/__init__.py": "",
        "services/api/tests/test_api.py": "import api\n",
    })  # fmt: skip
    g = graph_of(root)
    assert deps(g, "services/api/tests/test_api.py") == {"services/api/code/api/__init__.py": True}


def test_roots_override(tree: Write) -> None:
    root = tree({"weird/place/mod.py": "", "t/test_m.py": "import mod\n"})
    g = build_graph(root, DepciRules(python_roots=("weird/place",)), use_cache=False)
    assert deps(g, "t/test_m.py") == {"weird/place/mod.py": True}


def test_rootless_test_dir_imports_sibling_helpers(tree: Write) -> None:
    root = tree({"tests/helpers.py": "", "tests/test_a.py": "import helpers\n"})
    assert deps(graph_of(root), "tests/test_a.py") == {"tests/helpers.py": True}


def test_conftests_above_a_test(tree: Write) -> None:
    root = tree({
        "conftest.py": "", "tests/conftest.py": "", "tests/unit/test_a.py": "",
        "other/conftest.py": "",
    })  # fmt: skip
    g = graph_of(root)
    assert deps(g, "tests/unit/test_a.py") == {"conftest.py": True, "tests/conftest.py": True}
    assert deps(g, "tests/conftest.py") == {"conftest.py": True}


REEXPORT = {
    "pkg/__init__.py": "from .mod import X\nfrom .other import Y\nfrom . import heavy\n",
    "pkg/mod.py": "from .helper import h\nX = 1\n",
    "pkg/helper.py": "",
    "pkg/other.py": "Y = 2\n",
    "pkg/heavy.py": "",
    "test_x.py": "from pkg import X\n",
}


def test_symbol_precision_follows_the_reexport(tree: Write) -> None:
    g = graph_of(tree(REEXPORT))
    assert deps(g, "test_x.py") == {"pkg/__init__.py": False, "pkg/mod.py": True}
    assert "test_x.py" in g.graph.affected(["pkg/helper.py"])
    assert "test_x.py" in g.graph.affected(["pkg/mod.py"])
    assert "test_x.py" in g.graph.affected(["pkg/__init__.py"])
    assert "test_x.py" not in g.graph.affected(["pkg/other.py"])
    assert "test_x.py" not in g.graph.affected(["pkg/heavy.py"])


def test_symbol_precision_can_be_turned_off(tree: Write) -> None:
    g = build_graph(tree(REEXPORT), DepciRules(symbol_precision=False), use_cache=False)
    assert deps(g, "test_x.py")["pkg/__init__.py"] is True
    assert "test_x.py" in g.graph.affected(["pkg/other.py"])


def test_chained_and_aliased_reexports(tree: Write) -> None:
    root = tree({
        "pkg/__init__.py": "from .sub import X as Z\n",
        "pkg/sub/__init__.py": "from pkg.sub.impl import X\n",
        "pkg/sub/impl.py": "X = 1\n", "pkg/unrelated.py": "",
        "test_z.py": "from pkg import Z\n",
    })  # fmt: skip
    g = graph_of(root)
    assert deps(g, "test_z.py") == {
        "pkg/__init__.py": False,
        "pkg/sub/__init__.py": False,
        "pkg/sub/impl.py": True,
    }


def test_name_defined_in_init_is_a_deep_edge(tree: Write) -> None:
    root = tree({
        "pkg/__init__.py": "from .other import helper\ndef X():\n    return helper()\n",
        "pkg/other.py": "def helper(): pass\n",
        "test_x.py": "from pkg import X\n",
    })  # fmt: skip
    g = graph_of(root)
    assert deps(g, "test_x.py") == {"pkg/__init__.py": True}
    assert "test_x.py" in g.graph.affected(["pkg/other.py"])


def test_redefined_or_star_or_unknown_names_stay_deep(tree: Write) -> None:
    root = tree({
        "pkg/__init__.py": "from .m import X\nX = wrap(X)\nfrom .s import *\n",
        "pkg/m.py": "", "pkg/s.py": "",
        "test_a.py": "from pkg import X\n", "test_b.py": "from pkg import Unknown\n",
        "test_c.py": "from pkg import *\n",
    })  # fmt: skip
    g = graph_of(root)
    for test in ("test_a.py", "test_b.py", "test_c.py"):
        assert deps(g, test)["pkg/__init__.py"] is True, test
        assert test in g.graph.affected(["pkg/s.py"])


def test_reexport_cycle_terminates(tree: Write) -> None:
    root = tree({
        "a.py": "from b import X\n", "b.py": "from a import X\n", "test_c.py": "from a import X\n",
    })  # fmt: skip
    g = graph_of(root)
    assert deps(g, "test_c.py")["a.py"] is True
    assert "test_c.py" in g.graph.affected(["b.py"])


def test_module_binding_reexport(tree: Write) -> None:
    root = tree({
        "pkg/__init__.py": "import pkg.tools as tools\nimport numpy as np\n",
        "pkg/tools.py": "", "test_t.py": "from pkg import tools, np\n",
    })  # fmt: skip
    assert deps(graph_of(root), "test_t.py") == {"pkg/__init__.py": False, "pkg/tools.py": True}
