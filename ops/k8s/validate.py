"""Validate PolyStatus's Kubernetes manifests, offline: ``python ops/k8s/validate.py [DIR ...]``.

Each kustomization (by default ops/k8s/base and every ops/k8s/overlays/*) is rendered with
``kubectl kustomize`` (kubectl's own kustomize; no cluster is contacted) and every object it
makes is checked

- against the Kubernetes JSON schemas bundled in PyPI's ``kubernetes-validate``, strictly (an
  unknown or misspelt field is an error, as ``kubectl apply`` would make it), for the oldest and
  the newest Kubernetes versions in ``VERSIONS``;
- against the rules of this deployment that no schema knows (``rule_problems``): two replicas
  and a PodDisruptionBudget for every Deployment, probes on ``/readyz`` and ``/healthz``,
  resources and a locked-down securityContext on every container, Services that reach pods,
  every ``$(VAR)`` defined (Kubernetes leaves an unknown one in the value, verbatim), Redis
  through Sentinel, no Secret and no literal secret in the manifests, and every Secret key they
  read listed in secrets.env.example.

Without kubectl, the kustomizations cannot be rendered here: each one's own resource files are
checked instead (``--raw``, which says so), its generators' files must exist, and what an
overlay patches must exist in its base.

Exit status 0 when everything holds; 1 with one line per problem.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
# The oldest Kubernetes release still commonly run, and the newest the schemas know.
VERSIONS = ("1.29.0", "latest")
# The Secrets the manifests may read, created out of band (README, "Kubernetes"), and where
# their keys are documented.
SECRETS = {"polystatus": os.path.join(HERE, "secrets.env.example"), "polystatus-redis": None}
REDIS_SECRET_KEYS = {"redis-password"}
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|SIGNING_KEY|API_KEYS?$|SMTP_URL")
REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
SENTINEL_URL = re.compile(r"^rediss?\+sentinel://")


def default_targets() -> list[str]:
    overlays = os.path.join(HERE, "overlays")
    found = [os.path.join(overlays, name) for name in sorted(os.listdir(overlays))] if os.path.isdir(overlays) else []
    return [os.path.join(HERE, "base")] + [path for path in found if os.path.isfile(os.path.join(path, "kustomization.yaml"))]


# ----------------------------------------------------------------------------------- rendering
def render(directory: str) -> list[dict]:
    result = subprocess.run(["kubectl", "kustomize", directory], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RenderError(result.stderr.strip() or f"kubectl kustomize {directory} failed")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


class RenderError(Exception):
    pass


def load_kustomization(directory: str) -> dict:
    path = os.path.join(directory, "kustomization.yaml")
    if not os.path.isfile(path):
        raise RenderError(f"{directory}: no kustomization.yaml")
    with open(path) as handle:
        return yaml.safe_load(handle) or {}


def raw_objects(directory: str, problems: list[str]) -> list[dict]:
    """Without kubectl: the objects of a kustomization's resource files (recursively), its
    generated ConfigMaps by name (their files must exist), and checks that what it patches,
    retags or rescales exists. Patches are not applied."""
    spec = load_kustomization(directory)
    objects: list[dict] = []
    for resource in spec.get("resources", []):
        path = os.path.normpath(os.path.join(directory, resource))
        if os.path.isdir(path):
            objects += raw_objects(path, problems)
        elif os.path.isfile(path):
            with open(path) as handle:
                objects += [doc for doc in yaml.safe_load_all(handle) if doc]
        else:
            problems.append(f"{directory}: resource {resource} does not exist")
    for generator in spec.get("configMapGenerator", []):
        data = dict(literal.split("=", 1) for literal in generator.get("literals", []))
        for entry in generator.get("files", []) + generator.get("envs", []):
            path = os.path.join(directory, entry.split("=", 1)[-1])
            if not os.path.isfile(path):
                problems.append(f"{directory}: configMapGenerator {generator['name']}: file {entry} does not exist")
            elif entry in generator.get("envs", []):
                with open(path) as handle:
                    data.update(line.strip().split("=", 1) for line in handle
                                if "=" in line and not line.lstrip().startswith("#"))
            else:
                data[os.path.basename(entry.split("=", 1)[0])] = ""
        existing = next((obj for obj in objects if obj.get("kind") == "ConfigMap"
                         and obj["metadata"]["name"] == generator["name"]), None)
        if existing is not None and generator.get("behavior") == "merge":
            existing["data"].update(data)
        else:
            objects.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": generator["name"]}, "data": data})
    names = {(obj.get("kind"), obj.get("metadata", {}).get("name")) for obj in objects}
    images = {container.get("image", "").rsplit(":", 1)[0] for obj in objects for container in containers(obj)}
    for patch in spec.get("patches", []):
        path = os.path.join(directory, patch.get("path", ""))
        if not os.path.isfile(path):
            problems.append(f"{directory}: patch {patch.get('path')} does not exist")
            continue
        with open(path) as handle:
            for doc in yaml.safe_load_all(handle):
                if doc and (doc.get("kind"), doc.get("metadata", {}).get("name")) not in names:
                    problems.append(f"{directory}: patch {patch['path']} targets {doc.get('kind')}/"
                                    f"{doc.get('metadata', {}).get('name')}, which the base does not have")
    for image in spec.get("images", []):
        if image["name"] not in images:
            problems.append(f"{directory}: images: no container runs {image['name']}")
    for replica in spec.get("replicas", []):
        if ("Deployment", replica["name"]) not in names:
            problems.append(f"{directory}: replicas: no Deployment named {replica['name']}")
    for obj in objects:
        if spec.get("namespace") and obj.get("kind") != "Namespace":
            obj.setdefault("metadata", {})["namespace"] = spec["namespace"]
    return objects


# ------------------------------------------------------------------------------------- schemas
def resolved_versions() -> list[str]:
    from kubernetes_validate import utils

    return [utils.latest_version() if version == "latest" else version for version in VERSIONS]


def schema_problems(objects: list[dict]) -> list[str]:
    import kubernetes_validate

    problems = []
    for version in resolved_versions():
        for obj in objects:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                where = ".".join(str(part) for part in exc.absolute_path) or "(top)"
                problems.append(f"{describe(obj)}: Kubernetes {version} schema: {where}: {exc.message}")
            except (kubernetes_validate.SchemaNotFoundError, kubernetes_validate.InvalidSchemaError) as exc:
                problems.append(f"{describe(obj)}: Kubernetes {version}: {exc.message}")
    return problems


# --------------------------------------------------------------------------------------- rules
def describe(obj: dict) -> str:
    return f"{obj.get('kind', '?')}/{obj.get('metadata', {}).get('name', '?')}"


def pod_spec(obj: dict) -> dict:
    return obj.get("spec", {}).get("template", {}).get("spec", {}) if obj.get("kind") == "Deployment" else {}


def containers(obj: dict) -> list[dict]:
    return pod_spec(obj).get("containers", []) or []


def pod_labels(obj: dict) -> dict:
    return obj.get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {}) or {}


def selects(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def documented_secret_keys(name: str) -> set[str]:
    path = SECRETS.get(name)
    if name == "polystatus-redis":
        return REDIS_SECRET_KEYS
    if not path or not os.path.isfile(path):
        return set()
    with open(path) as handle:
        return {line.split("=", 1)[0].strip() for line in handle if "=" in line and not line.lstrip().startswith("#")}


def rule_problems(objects: list[dict]) -> list[str]:
    problems: list[str] = []
    deployments = [obj for obj in objects if obj.get("kind") == "Deployment"]
    budgets = [obj for obj in objects if obj.get("kind") == "PodDisruptionBudget"]
    config_maps = {obj["metadata"]["name"]: obj.get("data", {}) or {} for obj in objects if obj.get("kind") == "ConfigMap"}
    for obj in objects:
        if obj.get("kind") == "Secret":
            problems.append(f"{describe(obj)}: a Secret in the manifests (secrets are created out of band)")
    for deployment in deployments:
        name = describe(deployment)
        spec = pod_spec(deployment)
        replicas = deployment.get("spec", {}).get("replicas", 1)
        if not isinstance(replicas, int) or replicas < 2:
            problems.append(f"{name}: fewer than 2 replicas ({replicas!r})")
        if not any(selects(pdb.get("spec", {}).get("selector", {}).get("matchLabels", {}), pod_labels(deployment))
                   for pdb in budgets):
            problems.append(f"{name}: no PodDisruptionBudget selects its pods")
        if not (spec.get("securityContext") or {}).get("runAsNonRoot"):
            problems.append(f"{name}: the pod does not set runAsNonRoot")
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{name}: mounts a service account token it does not need")
        for container in containers(deployment):
            problems += container_problems(f"{name}[{container.get('name')}]", container, pod_labels(deployment),
                                           config_maps, spec)
    for service in (obj for obj in objects if obj.get("kind") == "Service"):
        selector = service.get("spec", {}).get("selector", {})
        targets = [d for d in deployments if selects(selector, pod_labels(d))]
        if not targets:
            problems.append(f"{describe(service)}: its selector matches no Deployment's pods")
            continue
        port_names = {port.get("name") for d in targets for c in containers(d) for port in c.get("ports", []) or []}
        for port in service.get("spec", {}).get("ports", []):
            target = port.get("targetPort")
            if isinstance(target, str) and target not in port_names:
                problems.append(f"{describe(service)}: targetPort {target} is no port of its pods")
    return problems


def container_problems(name: str, container: dict, labels: dict, config_maps: dict, pod: dict) -> list[str]:
    problems = []
    resources = container.get("resources", {}) or {}
    for section in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if resource not in (resources.get(section) or {}):
                problems.append(f"{name}: no {resource} {section[:-1]}")
    security = container.get("securityContext", {}) or {}
    if security.get("allowPrivilegeEscalation") is not False:
        problems.append(f"{name}: allowPrivilegeEscalation is not false")
    if security.get("readOnlyRootFilesystem") is not True:
        problems.append(f"{name}: the root filesystem is not read-only")
    if "ALL" not in ((security.get("capabilities") or {}).get("drop") or []):
        problems.append(f"{name}: capabilities are not all dropped")
    if not container.get("livenessProbe"):
        problems.append(f"{name}: no livenessProbe")
    if labels.get("app.kubernetes.io/component") == "web":
        readiness = ((container.get("readinessProbe") or {}).get("httpGet") or {}).get("path")
        liveness = ((container.get("livenessProbe") or {}).get("httpGet") or {}).get("path")
        if readiness != "/readyz":
            problems.append(f"{name}: readinessProbe is not an HTTP GET of /readyz")
        if liveness != "/healthz":
            problems.append(f"{name}: livenessProbe is not an HTTP GET of /healthz")
    elif any(container.get("ports") or []) and not container.get("readinessProbe"):
        problems.append(f"{name}: serves ports but has no readinessProbe")
    # The variables a $(VAR) may name: the envFrom ConfigMaps', then each env entry in order.
    known: set[str] = set()
    for source in container.get("envFrom", []) or []:
        ref = (source.get("configMapRef") or {}).get("name")
        if ref is not None:
            if ref not in config_maps:
                problems.append(f"{name}: envFrom ConfigMap {ref} is not in the manifests")
            known |= set(config_maps.get(ref, {}))
        if source.get("secretRef"):
            problems.append(f"{name}: envFrom a whole Secret (read the keys one by one, so each is documented)")
    for env in container.get("env", []) or []:
        variable = env.get("name", "")
        value = env.get("value")
        secret_ref = (env.get("valueFrom") or {}).get("secretKeyRef")
        if secret_ref:
            secret, key = secret_ref.get("name"), secret_ref.get("key")
            if secret not in SECRETS:
                problems.append(f"{name}: {variable} reads Secret {secret}, which is not one of {sorted(SECRETS)}")
            elif key not in documented_secret_keys(secret):
                problems.append(f"{name}: {variable} reads {secret}/{key}, which secrets.env.example does not list")
        if value is not None:
            for reference in REFERENCE.findall(value):
                if reference not in known:
                    problems.append(f"{name}: {variable} uses $({reference}), which is not defined before it")
            if SECRET_NAME.search(variable) and not REFERENCE.search(value):
                problems.append(f"{name}: {variable} is a secret written in the manifest (use a secretKeyRef)")
            if (variable == "REDIS_URL" or variable.endswith("_EVENTS_URL")) and not SENTINEL_URL.match(value):
                problems.append(f"{name}: {variable} does not go through Sentinel (redis+sentinel://…)")
        known.add(variable)
    for mount in container.get("volumeMounts", []) or []:
        volume = next((v for v in pod.get("volumes", []) or [] if v.get("name") == mount.get("name")), None)
        ref = ((volume or {}).get("configMap") or {}).get("name")
        if ref is not None and ref not in config_maps:
            problems.append(f"{name}: volume {mount.get('name')} mounts ConfigMap {ref}, which is not in the manifests")
    return problems


# ---------------------------------------------------------------------------------------- main
def validate(directory: str, *, raw: bool) -> tuple[int, list[str]]:
    label = os.path.relpath(directory)
    problems: list[str] = []
    try:
        objects = raw_objects(directory, problems) if raw else render(directory)
    except (RenderError, OSError, yaml.YAMLError) as exc:
        return 0, [f"{label}: {exc}"]
    problems += schema_problems(objects)
    problems += rule_problems(objects)
    return len(objects), [f"{label}: {problem}" for problem in problems]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directories", nargs="*", help="kustomization folders (default: ops/k8s/base and overlays)")
    parser.add_argument("--raw", action="store_true", help="do not render: check each kustomization's own files")
    args = parser.parse_args(argv)
    raw = args.raw
    if not raw and not shutil.which("kubectl"):
        print("kubectl is not installed: checking each kustomization's own files and references, "
              "not the rendered result (--raw)", file=sys.stderr)
        raw = True
    failed = False
    for directory in args.directories or default_targets():
        count, problems = validate(os.path.abspath(directory), raw=raw)
        for problem in problems:
            print(problem, file=sys.stderr)
        failed = failed or bool(problems) or count == 0
        how = "files" if raw else "rendered"
        print(f"{os.path.relpath(directory)}: {count} objects ({how}), "
              f"{'INVALID' if problems or not count else 'valid'} against the Kubernetes "
              f"{' and '.join(resolved_versions())} schemas and the deployment rules")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
