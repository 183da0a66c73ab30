#!/usr/bin/env python3
"""Field-by-field comparison of pptap's ECS documents with Elastic's.

Usage: elastic-compat.py PPTAP ROOT

For each data stream of Elastic's proofpoint_tap integration, runs
`PPTAP normalize --format ecs --type TYPE` on Elastic's pipeline test log
(tests/formats/elastic/<stream>/test-*.log) and compares every document with
the one Elastic's pipeline produced (test-*.log-expected.json):

- every field of Elastic's document must be in pptap's with the same value,
  except the enrichments in EXCLUDED (GeoIP, AS and user-agent parsing);
- pptap's document may have no field that Elastic's lacks, except ADDED;
- event.original must be the same text;
- tags: Elastic's (from the test's preserve_original_event option) come
  first, then only the tags in ADDED_TAGS.

Both lists must appear in docs/formats.md, which documents them. Exits 1 on
any difference, printing each one.
"""

import glob
import json
import os
import re
import subprocess
import sys

STREAMS = {
    "clicks_blocked": "clicks-blocked",
    "clicks_permitted": "clicks-permitted",
    "message_blocked": "messages-blocked",
    "message_delivered": "messages-delivered",
}

# Fields Elastic derives from databases pptap does not ship (regular
# expressions over flattened paths).
EXCLUDED = [
    r"source\.geo\..*",
    r"source\.as\..*",
    r"destination\.geo\..*",
    r"destination\.as\..*",
    r"user_agent\.name",
    r"user_agent\.version",
    r"user_agent\.device\..*",
    r"user_agent\.os\..*",
]

# Fields pptap writes that Elastic's pipeline does not (the agent, Fleet and
# the index template set them in a live Elastic document, or they are
# pptap's own).
ADDED = [
    r"data_stream\.type",
    r"data_stream\.dataset",
    r"data_stream\.namespace",
    r"event\.dataset",
    r"event\.module",
    r"event\.created",
    r"pptap\.event_id",
    r"pptap\.event_type",
    r"pptap\.tenant",
    r"pptap\.collected_at",
    r"pptap\.update",
]

ADDED_TAGS = ["forwarded", "proofpoint_tap-{stream}"]


def flatten(value, path, out):
    """path -> value; lists of scalars stay whole, lists of objects are
    indexed and their length recorded."""
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(v, f"{path}.{k}" if path else k, out)
    elif isinstance(value, list) and any(isinstance(x, (dict, list)) for x in value):
        out[path + ".length"] = len(value)
        for i, v in enumerate(value):
            flatten(v, f"{path}[{i}]", out)
    else:
        out[path] = value


def matches(path, patterns):
    return any(re.fullmatch(p, path) for p in patterns)


def same(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b and isinstance(a, float) == isinstance(b, float)
    return a == b


def main():
    pptap, root = sys.argv[1], sys.argv[2]
    docs = open(os.path.join(root, "docs", "formats.md"), encoding="utf-8").read()
    problems = []
    for field in [p.replace("\\.", ".").replace(".*", "") for p in EXCLUDED + ADDED]:
        if f"`{field}" not in docs:
            problems.append(f"docs/formats.md does not mention `{field}`")

    compared = skipped = 0
    for stream, type_ in STREAMS.items():
        d = os.path.join(root, "tests", "formats", "elastic", stream)
        log = glob.glob(os.path.join(d, "test-*.log"))[0]
        expected = json.load(open(log + "-expected.json", encoding="utf-8"))["expected"]
        run = subprocess.run(
            [pptap, "normalize", "--format", "ecs", "--type", type_, log],
            capture_output=True,
        )
        if run.returncode != 0 or run.stderr:
            problems.append(f"{stream}: exit {run.returncode}: {run.stderr.decode()}")
            continue
        lines = run.stdout.decode("utf-8").splitlines()
        if len(lines) != len(expected):
            problems.append(f"{stream}: {len(lines)} documents, Elastic has {len(expected)}")
            continue
        for n, (line, exp) in enumerate(zip(lines, expected), 1):
            where = f"{stream} line {n}"
            ours = json.loads(line)
            exp = dict(exp)
            # event.original: the same text (the event as received)
            eo = exp.get("event", {}).pop("original", None)
            oo = ours.get("event", {}).pop("original", None)
            if eo != oo:
                problems.append(f"{where}: event.original differs:\n  ours   {oo}\n  Elastic {eo}")
            # tags: Elastic's first, then only pptap's documented additions
            et, ot = exp.pop("tags", []), ours.pop("tags", [])
            extra = [t.format(stream=stream) for t in ADDED_TAGS]
            if ot[: len(et)] != et or ot[len(et):] != extra:
                problems.append(f"{where}: tags {ot}, want {et} + {extra}")
            fe, fo = {}, {}
            flatten(exp, "", fe)
            flatten(ours, "", fo)
            for path, value in sorted(fe.items()):
                if matches(path, EXCLUDED):
                    skipped += 1
                    continue
                compared += 1
                if path not in fo:
                    problems.append(f"{where}: {path} missing (Elastic: {value!r})")
                elif not same(fo[path], value):
                    problems.append(f"{where}: {path} = {fo[path]!r}, Elastic: {value!r}")
            for path in sorted(fo):
                if path not in fe and not matches(path, ADDED):
                    problems.append(f"{where}: {path} = {fo[path]!r} is not in Elastic's document")
                if matches(path, EXCLUDED):
                    problems.append(f"{where}: {path} is an enrichment pptap does not make")
    for p in problems:
        print(p)
    print(f"compared {compared} fields of {sum(1 for _ in STREAMS)} streams; "
          f"{skipped} enrichment fields skipped; {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
