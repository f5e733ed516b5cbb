"""Checks docker-compose.yml without a Docker engine: it parses, and the services,
healthchecks and wiring the README promises are there."""
import sys

import yaml

doc = yaml.safe_load(open(sys.argv[1]))
services = doc["services"]
problems = []
for name in ("postgres", "redis", "api"):
    if name not in services:
        problems.append(f"service {name} is missing")
    elif "healthcheck" not in services[name]:
        problems.append(f"service {name} has no healthcheck")
if services.get("postgres", {}).get("image", "").split(":")[-1].split("-")[0] != "16":
    problems.append("postgres should be version 16")
if not services.get("redis", {}).get("image", "").startswith("redis:7"):
    problems.append("redis should be version 7")
api = services.get("api", {})
env = api.get("environment", {})
for var in ("DATABASE_URL", "REDIS_URL", "LISTEN_ADDR"):
    if var not in env:
        problems.append(f"api environment lacks {var}")
for dep in ("postgres", "redis"):
    if api.get("depends_on", {}).get(dep, {}).get("condition") != "service_healthy":
        problems.append(f"api should wait for {dep} to be healthy")


def host_port(entry):
    """The host port a `ports` entry pins, if any ("8000:8000", {published: 8000})."""
    if isinstance(entry, dict):
        return entry.get("published")
    parts = str(entry).split(":")
    return parts[-2] if len(parts) > 1 else None


# `docker compose up --scale api=3`: instances cannot share a pinned host port.
for entry in api.get("ports", []):
    if host_port(entry):
        problems.append(f"api pins host port {host_port(entry)}, so --scale api=N cannot start a second instance")
published = [name for name, svc in services.items() if any(host_port(e) for e in svc.get("ports", []))]
if not published:
    problems.append("no service publishes a host port: nothing is reachable from the host")
# Compose passes .env to the container only through env_file (else it only fills ${...}).
env_files = api.get("env_file", [])
env_files = [env_files] if isinstance(env_files, (str, dict)) else env_files
if not any((f.get("path") if isinstance(f, dict) else f) in (".env", "./.env") for f in env_files):
    problems.append("api should read .env through env_file, so every setting put there reaches it")
if problems:
    sys.exit("docker-compose.yml: " + "; ".join(problems))
print("docker-compose.yml: ok (" + ", ".join(services) + ")")
