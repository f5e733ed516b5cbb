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
if problems:
    sys.exit("docker-compose.yml: " + "; ".join(problems))
print("docker-compose.yml: ok (" + ", ".join(services) + ")")
