#!/usr/bin/env bash
# The Velocity tour, run by `make demo`: every step uses an embedded default,
# so there is no server to start by hand. It grows as products land.
set -euo pipefail

if [ -t 1 ]; then bold=$'\033[1m'; off=$'\033[0m'; else bold=""; off=""; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$off"; }
show() { printf '$ %s\n' "$*"; "$@"; }

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT
cd "$workdir"

step "Velocity $(velocity --version | cut -d' ' -f2): five tools, one core"
for tool in velocity dep-ci livepatch livepatch-agent quantum; do
  "$tool" --version
done

step "core: configuration from pyproject.toml, velocity.yaml, the environment and flags"
cat > pyproject.toml <<'TOML'
[tool.velocity.log]
level = "INFO"
TOML
cat > velocity.yaml <<'YAML'
log:
  format: console
YAML
show velocity config show

step "core: every log line is scrubbed of secrets (a fake GitHub token here)"
token="ghp_$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 36)"
echo "\$ velocity --log-format json hello --name tour --token \"\$token\"    # token=${token:0:6}… (a fake)"
velocity --log-format json hello --name tour --token "$token"

step "core: a bad value is one line naming file and key, exit 2"
printf 'log:\n  level: LOUD\n' > velocity.yaml
set +e
show velocity hello
code=$?
set -e
echo "(exit code $code)"

step "A · depci: which files and tests can a change reach?"
mkdir -p shop && cd shop
git init -q
printf 'export const add = (a: number, b: number) => a + b;\n' > utils.ts
printf 'import { add } from "./utils";\nexport const total = () => add(1, 2);\n' > main.ts
printf 'import { total } from "./main";\ntest("total", () => expect(total()).toBe(3));\n' > main.test.ts
printf 'export const banner = "hi";\n' > banner.ts
git add -A && git -c user.name=tour -c user.email=tour@localhost commit -qm "a small shop"
show dep-ci analyze utils.ts
show dep-ci why main.test.ts utils.ts
echo 'export const sub = (a: number, b: number) => a - b;' >> utils.ts
show dep-ci affected --tests
cd ..

step "B · livepatch: push changes into a running target (here a local agent)"
mkdir -p app/src target
printf 'print("v1")\n' > app/src/main.py
printf '*.log\n' > app/src/.gitignore
echo "debug" > app/src/debug.log
show livepatch sync app/src "local://$PWD/target"
printf 'print("v2")\n' > app/src/main.py
show livepatch sync app/src "local://$PWD/target"
show cat target/main.py
show livepatch status "local://$PWD/target" --src app/src
echo "(debug.log stayed home: $(ls target | tr '\n' ' '))"

step "C · quantum: a speculative merge queue on a virtual clock (CI takes 20 min)"
show quantum simulate --prs 3 --strategy serial | tail -n 1
show quantum simulate --prs 3 --strategy speculative --depth 3
step "C · quantum: #2 is broken; it is ejected and only the builds that contained it restart"
show quantum simulate --prs 4 --depth 4 --fail-rate 0.3 --seed 2

step "done: see README.md for each product"
