#!/usr/bin/env bash
# Regenerates the outputs README.md quotes: every fenced block that starts with
# "$ multistart ..." is run again with the release build, from the repository
# root (so figures such as docs/sweep-lr.png are redrawn too), and its output
# replaces the quoted one. A block with a "..." line quotes only some rows: its
# fresh output is printed for you to trim instead. tests/readme.rs checks the
# quoted lines' shapes against the same commands.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
python3 - "$@" <<'PY'
import subprocess

lines = open("README.md").read().split("\n")
out, i = [], 0
while i < len(lines):
    line = lines[i]
    out.append(line)
    i += 1
    if not line.lstrip().startswith("```") or i >= len(lines) or not lines[i].startswith("$ multistart"):
        continue
    end = i
    while not lines[end].lstrip().startswith("```"):
        end += 1
    cmd = lines[i][len("$ multistart"):].split()
    run = subprocess.run(["target/release/multistart", *cmd], capture_output=True, text=True)
    fresh = (run.stderr + run.stdout).rstrip("\n").split("\n")
    if any(l.strip() == "..." for l in lines[i + 1:end]):
        print(f"README.md:{i + 1}: quotes only some rows; trim this fresh output into it:\n")
        print("\n".join([lines[i], *fresh]) + "\n")
        out.extend(lines[i:end])
    else:
        out.extend([lines[i], *fresh])
    i = end
open("README.md", "w").write("\n".join(out))
PY
echo "README.md regenerated; check it with: git diff README.md"
