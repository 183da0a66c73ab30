#!/usr/bin/env python3
"""The examples in docs/formats.md are pptap's real output.

Usage: docs-examples.py PPTAP ROOT [--write]

Every example in docs/formats.md is introduced by a marker

    <!-- example: FORMAT TYPE LINE -->

followed by a fenced block. The block must be what
`PPTAP normalize --format FORMAT --type TYPE` writes for line LINE of
tests/formats/events/TYPE.ndjson, pretty-printed (JSON, 2 spaces, keys in
pptap's order). A marker `<!-- example: FORMAT gap -->` stands for the gap
record of tests/formats/gap.ndjson. With --write the blocks are regenerated.
"""

import json
import os
import re
import subprocess
import sys

MARKER = re.compile(r"<!-- example: (\w+) (\w+)(?: (\d+))? -->\n```(\w*)\n(.*?)```\n", re.S)


def render(pptap, root, fmt, type_, line):
    if type_ == "gap":
        src = open(os.path.join(root, "tests", "formats", "gap.ndjson"), "rb").read()
        args = [pptap, "normalize", "--format", fmt]
    else:
        path = os.path.join(root, "tests", "formats", "events", type_ + ".ndjson")
        src = open(path, "rb").read().splitlines(True)[int(line) - 1]
        args = [pptap, "normalize", "--format", fmt, "--type", type_]
    run = subprocess.run(args, input=src, capture_output=True, check=True)
    out = run.stdout.decode("utf-8")
    return json.dumps(json.loads(out), indent=2, ensure_ascii=False) + "\n"


def main():
    pptap, root = sys.argv[1], sys.argv[2]
    write = "--write" in sys.argv[3:]
    path = os.path.join(root, "docs", "formats.md")
    text = open(path, encoding="utf-8").read()
    problems = []
    count = 0

    def repl(m):
        nonlocal count
        fmt, type_, line, lang, body = m.groups()
        want = render(pptap, root, fmt, type_, line)
        count += 1
        if body != want:
            problems.append(f"example {fmt} {type_} {line or ''} is not current")
        return f"<!-- example: {fmt} {type_}{' ' + line if line else ''} -->\n```{lang}\n{want}```\n"

    new = MARKER.sub(repl, text)
    if write:
        open(path, "w", encoding="utf-8").write(new)
        print(f"wrote {count} examples")
        return 0
    for p in problems:
        print(p)
    if count == 0:
        problems.append("no examples found")
        print("no examples found")
    print(f"checked {count} examples, {len(problems)} stale")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
