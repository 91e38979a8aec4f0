"""The Kubernetes manifests pass the Kubernetes schemas and the deployment's rules, and the
validator that says so refuses broken ones (ops/k8s/validate.py, run by .ci/run too)."""
from __future__ import annotations

import importlib.util
import os
import shutil

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
K8S = os.path.join(ROOT, "ops", "k8s")

spec = importlib.util.spec_from_file_location("k8s_validate", os.path.join(K8S, "validate.py"))
validate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(validate)

RENDERERS = ["rendered", "raw"] if shutil.which("kubectl") else ["raw"]


def run(capsys, *args: str) -> tuple[int, str]:
    code = validate.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture()
def one_service(tmp_path):
    """A small kustomization made of the shipped incidents.yaml and settings.env: fast to
    validate, and exactly the shipped text until a test breaks it."""
    folder = tmp_path / "incidents"
    folder.mkdir()
    shutil.copy(os.path.join(K8S, "base", "incidents.yaml"), folder)
    shutil.copy(os.path.join(K8S, "base", "settings.env"), folder)
    (folder / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: polystatus\n"
        "resources:\n  - incidents.yaml\n"
        "configMapGenerator:\n  - name: polystatus-settings\n    envs:\n      - settings.env\n")
    return folder


def edit(folder, old: str, new: str, count: int = 1) -> None:
    path = folder / "incidents.yaml"
    text = path.read_text()
    assert old in text, f"the shipped incidents.yaml no longer contains {old!r}: update this test"
    path.write_text(text.replace(old, new, count))


def args_for(renderer: str, folder) -> list[str]:
    return (["--raw"] if renderer == "raw" else []) + [str(folder)]


def test_the_shipped_base_and_overlays_are_valid(capsys):
    code, output = run(capsys)
    assert code == 0, output
    lines = [line for line in output.splitlines() if line.startswith("ops/k8s/")]
    assert [line.split(":")[0] for line in lines] == ["ops/k8s/base", "ops/k8s/overlays/production"]
    assert all(" valid against the Kubernetes" in line for line in lines), output


@pytest.mark.parametrize("renderer", RENDERERS)
def test_the_untouched_copy_of_one_service_is_valid(capsys, one_service, renderer):
    code, output = run(capsys, *args_for(renderer, one_service))
    assert code == 0, output


@pytest.mark.parametrize("renderer", RENDERERS)
def test_a_misspelt_field_is_refused_by_the_kubernetes_schema(capsys, one_service, renderer):
    edit(one_service, "          readinessProbe:", "          readinesProbe:")
    code, output = run(capsys, *args_for(renderer, one_service))
    assert code == 1
    assert "schema" in output and "readinesProbe" in output


def test_a_field_of_the_wrong_type_is_refused_by_the_kubernetes_schema(capsys, one_service):
    edit(one_service, "  replicas: 2\n", "  replicas: two\n")
    code, output = run(capsys, str(one_service))
    assert code == 1
    assert "spec.replicas" in output and "'two' is not of type 'integer'" in output


def test_one_replica_and_no_disruption_budget_are_refused(capsys, one_service):
    edit(one_service, "  replicas: 2\n", "  replicas: 1\n")
    text = (one_service / "incidents.yaml").read_text()
    documents = [doc for doc in text.split("---\n") if "kind: PodDisruptionBudget" not in doc]
    (one_service / "incidents.yaml").write_text("---\n".join(documents))
    code, output = run(capsys, str(one_service))
    assert code == 1
    assert "Deployment/incidents: fewer than 2 replicas (1)" in output
    assert "Deployment/incidents: no PodDisruptionBudget selects its pods" in output
    assert "Deployment/incidents-worker: no PodDisruptionBudget" in output


SENTINEL_URL = ('value: "redis+sentinel://:$(REDIS_PASSWORD)@$(REDIS_SENTINELS)/$(REDIS_MASTER)/1'
                '?sentinel_password=$(REDIS_PASSWORD)"')

# One edit of the shipped incidents.yaml each, and the line the validator must answer with.
REFUSED_EDITS = {
    "a_probe_on_the_wrong_path": (
        "path: /readyz", "path: /healthz",
        "Deployment/incidents[incidents]: readinessProbe is not an HTTP GET of /readyz"),
    "a_secret_written_into_a_container": (
        "            - name: SERVICE_CLIENT_ID\n",
        "            - name: SMTP_URL\n              value: smtps://alice:hunter2hunter2@mail.example.com:465\n"
        "            - name: SERVICE_CLIENT_ID\n",
        "SMTP_URL is a secret written in the manifest"),
    # Kubernetes would pass "$(REDIS_PASWORD)" to the service verbatim, as the password.
    "a_misspelt_variable_reference": (
        ":$(REDIS_PASSWORD)@", ":$(REDIS_PASWORD)@".replace("PASSWORD", "PASWORD"),
        "REDIS_URL uses $(REDIS_PASWORD), which is not defined before it"),
    "redis_without_sentinel": (
        SENTINEL_URL, 'value: "redis://:$(REDIS_PASSWORD)@redis-master:6379/1"',
        "REDIS_URL does not go through Sentinel"),
    "a_secret_key_the_example_does_not_list": (
        "key: INCIDENTS_SERVICE_SECRET", "key: INCIDENT_SERVICE_SECRET",
        "reads polystatus/INCIDENT_SERVICE_SECRET, which secrets.env.example does not list"),
}


@pytest.mark.parametrize("case", REFUSED_EDITS)
def test_a_manifest_breaking_a_deployment_rule_is_refused(capsys, one_service, case):
    old, new, expected = REFUSED_EDITS[case]
    edit(one_service, old, new)
    code, output = run(capsys, str(one_service))
    assert code == 1
    assert expected in output


def test_a_secret_object_in_the_manifests_is_refused(capsys, one_service):
    with open(one_service / "incidents.yaml", "a") as handle:
        handle.write("---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: leaked\nstringData:\n  key: value\n")
    code, output = run(capsys, str(one_service))
    assert code == 1
    assert "Secret/leaked: a Secret in the manifests" in output


@pytest.mark.parametrize("renderer", RENDERERS)
def test_a_missing_edge_configuration_file_is_refused(capsys, tmp_path, renderer):
    # The base with the edge's files beside it, as in the repository, less one include.
    shutil.copytree(os.path.join(K8S, "base"), tmp_path / "ops" / "k8s" / "base")
    shutil.copytree(os.path.join(ROOT, "ops", "nginx"), tmp_path / "ops" / "nginx")
    os.remove(tmp_path / "ops" / "nginx" / "polystatus" / "proxy.conf")
    code, output = run(capsys, *args_for(renderer, tmp_path / "ops" / "k8s" / "base"))
    assert code == 1
    assert "proxy.conf" in output
