"""deploy/: every Kubernetes document validates offline against one fixed Kubernetes version
(kubernetes-validate's bundled schemas, strict: unknown fields are errors), and the
manifests keep the rules of the house: non-root, no privilege, resources, probes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from .conftest import REPO

KUBERNETES = "1.30.0"
DEPLOY = REPO / "deploy"
MANIFESTS = sorted(
    p for p in DEPLOY.rglob("*.yaml") if p.name != "kustomization.yaml" and "docker" not in p.parts
)
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def all_documents() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in MANIFESTS:
        for doc in documents(path):
            yield path, doc


def validate(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, KUBERNETES, strict=True)


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_manifest_validates(path: Path) -> None:
    docs = documents(path)
    assert docs
    for doc in docs:
        validate(doc)


def _wrong_type(container: dict[str, Any]) -> None:
    container["ports"][0]["containerPort"] = "eight thousand"  # must be an integer


def _unknown_field(container: dict[str, Any]) -> None:
    container["resourcez"] = container.pop("resources")  # strict schemas refuse unknown keys


@pytest.mark.parametrize("breakage", [_wrong_type, _unknown_field])
def test_a_broken_manifest_fails(tmp_path: Path, breakage: Any) -> None:
    (app,) = [d for d in documents(DEPLOY / "app.yaml") if d["kind"] == "Deployment"]
    breakage(app["spec"]["template"]["spec"]["containers"][0])
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(app))
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(documents(broken)[0])


def test_an_unknown_kind_fails() -> None:
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        validate({"apiVersion": "apps/v1", "kind": "Deploymnet", "metadata": {"name": "x"}})


def test_kustomization_lists_every_base_manifest() -> None:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    assert listed == {p.name for p in DEPLOY.glob("*.yaml") if p.name != "kustomization.yaml"}
    namespaces = {doc["metadata"].get("namespace") for _, doc in all_documents()}
    assert namespaces <= {kustomization["namespace"], None}


def pod_specs() -> Iterator[tuple[str, dict[str, Any]]]:
    for path, doc in all_documents():
        if doc["kind"] in WORKLOADS:
            yield f"{path.name}:{doc['metadata']['name']}", doc["spec"]["template"]["spec"]


@pytest.mark.parametrize(("name", "spec"), list(pod_specs()), ids=lambda v: str(v)[:40])
def test_pods_are_locked_down(name: str, spec: dict[str, Any]) -> None:
    pod = spec["securityContext"]
    assert pod["runAsNonRoot"] is True, name
    assert pod["runAsUser"] > 0, name
    assert pod["seccompProfile"]["type"] == "RuntimeDefault", name
    assert spec.get("automountServiceAccountToken") is False, name
    for container in spec["containers"] + spec.get("initContainers", []):
        ctx = container["securityContext"]
        assert ctx["allowPrivilegeEscalation"] is False, (name, container["name"])
        assert ctx["readOnlyRootFilesystem"] is True, (name, container["name"])
        assert ctx["capabilities"]["drop"] == ["ALL"], (name, container["name"])
        assert {"requests", "limits"} <= container["resources"].keys(), container["name"]
        assert not container["image"].endswith(":latest"), container["image"]


@pytest.mark.parametrize(("name", "spec"), list(pod_specs()), ids=lambda v: str(v)[:40])
def test_serving_containers_have_probes(name: str, spec: dict[str, Any]) -> None:
    for container in spec["containers"]:
        if container.get("ports"):
            assert "readinessProbe" in container, (name, container["name"])
            assert "livenessProbe" in container, (name, container["name"])


def test_secret_references_match_the_example_secret() -> None:
    (secret,) = documents(DEPLOY / "examples" / "secret.yaml")
    keys = set(secret["stringData"])
    refs = set()
    for path in MANIFESTS:
        text = path.read_text()
        for doc in documents(path):
            refs |= set(_secret_keys(doc, secret["metadata"]["name"]))
        assert "BEGIN RSA PRIVATE KEY" not in text
    assert refs, "the manifests read the Secret"
    assert refs <= keys


def _secret_keys(node: Any, name: str) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("secretKeyRef")
        if isinstance(ref, dict) and ref.get("name") == name:
            yield ref["key"]
        for value in node.values():
            yield from _secret_keys(value, name)
    elif isinstance(node, list):
        for value in node:
            yield from _secret_keys(value, name)
