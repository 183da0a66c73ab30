#!/usr/bin/env python3
"""Checks what a real rsyslog received from pptap's syslog output.

Usage: syslog_check.py RAW PARSED EVENTS [options]

RAW     rsyslog's %rawmsg% of every message, one a line
PARSED  rsyslog's own RFC 5424 fields of the same messages, tab-separated:
        pri, protocol-version, timestamp, hostname, app-name, procid, msgid,
        structured-data, msg
EVENTS  the collector's file output (raw format) of the same run

Every RAW line is parsed as RFC 5424 here, independently of rsyslog, and
each field is compared with what the event in EVENTS says it must be. Prints
one "ok ..." or "FAIL ..." line per check and exits 1 when one failed.
"""
import argparse
import collections
import datetime
import json
import re
import sys

BOM = b"\xef\xbb\xbf"
SD_ID = "pptap@32473"
HEADER = re.compile(rb"<([0-9]{1,3})>([1-9][0-9]{0,2}) (\S+) (\S+) (\S+) (\S+) (\S+) ")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$")

failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures += 1


def parse_sd(b, i):
    """Parses STRUCTURED-DATA at b[i:]: returns ([(id, {name: value})], next i)."""
    if b[i:i + 1] == b"-":
        return [], i + 1
    elements = []
    while b[i:i + 1] == b"[":
        j = i + 1
        while j < len(b) and b[j:j + 1] not in (b" ", b"]"):
            j += 1
        sd_id = b[i + 1:j].decode("ascii")
        params = {}
        i = j
        while b[i:i + 1] == b" ":
            eq = b.index(b'="', i)
            name = b[i + 1:eq].decode("ascii")
            k = eq + 2
            value = bytearray()
            while True:
                c = b[k:k + 1]
                if c == b"\\" and b[k + 1:k + 2] in (b'"', b"\\", b"]"):
                    value += b[k + 1:k + 2]
                    k += 2
                elif c == b"\\":
                    value += c
                    k += 1
                elif c in (b'"', b"]", b""):
                    break
                else:
                    value += c
                    k += 1
            if b[k:k + 1] != b'"':
                raise ValueError("unescaped ] or unterminated PARAM-VALUE")
            params[name] = value.decode("utf-8")
            i = k + 1
        if b[i:i + 1] != b"]":
            raise ValueError("SD-ELEMENT not closed")
        elements.append((sd_id, params))
        i += 1
    if not elements:
        raise ValueError("no STRUCTURED-DATA")
    return elements, i


def parse(line):
    """An RFC 5424 message: a dict of its fields, or raises ValueError."""
    m = HEADER.match(line)
    if m is None:
        raise ValueError("header")
    sd, i = parse_sd(line, m.end())
    if i == len(line):
        msg = None
    elif line[i:i + 1] == b" ":
        msg = line[i + 1:]
    else:
        raise ValueError("no SP after STRUCTURED-DATA")
    return {
        "pri": int(m.group(1)),
        "version": m.group(2).decode(),
        "timestamp": m.group(3).decode(),
        "hostname": m.group(4).decode(),
        "app": m.group(5).decode(),
        "procid": m.group(6).decode(),
        "msgid": m.group(7).decode(),
        "sd": sd,
        "sd_text": line[m.end():i],
        "msg": msg,
    }


def when(s):
    """An RFC 3339 time as epoch milliseconds."""
    s = s.replace("Z", "+00:00")
    d = datetime.datetime.fromisoformat(s)
    return round(d.timestamp() * 1000)


def canonical(v):
    """v with its arrays in a fixed order."""
    if isinstance(v, dict):
        return {k: canonical(x) for k, x in v.items()}
    if isinstance(v, list):
        return sorted((canonical(x) for x in v), key=lambda x: json.dumps(x, sort_keys=True))
    return v


def content(line):
    """What an event line says, apart from when it was collected and the
    order of its arrays: a window delivered again after a failure was
    collected again, and the API may list the same event's parts in
    another order."""
    try:
        ev = json.loads(line)
        ev["pptap"].pop("collected_at", None)
        return json.dumps(canonical(ev), sort_keys=True)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def expected_severity(ev):
    """The documented mapping: type, then one step milder for spam."""
    kind = ev["pptap"]["event_type"]
    base = {"clicksPermitted": 2, "messagesDelivered": 3, "clicksBlocked": 4,
            "messagesBlocked": 5}.get(kind)
    if base is None:
        return 4  # gap record
    order = ["malware", "phish", "impostor", "toad", "spam"]
    if kind.startswith("clicks"):
        c = ev.get("classification")
    else:
        cs = [t.get("classification") for t in ev.get("threatsInfoMap") or []
              if t.get("classification")]
        rank = lambda x: order.index(x.lower()) if x.lower() in order else len(order)
        c = min(cs, key=rank) if cs else None
    return base + 1 if c is not None and c.lower() == "spam" else base


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raw")
    ap.add_argument("parsed")
    ap.add_argument("events")
    ap.add_argument("--facility", type=int, required=True)
    ap.add_argument("--hostname", required=True)
    ap.add_argument("--app", default="pptap")
    ap.add_argument("--exact", action="store_true",
                    help="no failure happened: no message may arrive twice, and each MSG "
                    "is byte for byte its line in the file output")
    ap.add_argument("--want-replays", action="store_true",
                    help="a connection broke mid-window: expect identical repeats")
    ap.add_argument("--want-bom", action="store_true",
                    help="some events are not ASCII: expect MSGs with a BOM")
    a = ap.parse_args()

    with open(a.events, "rb") as f:
        file_lines = [l.rstrip(b"\n") for l in f if l.strip()]
    by_pair = {}
    by_content = {}
    file_ids = set()
    for l in file_lines:
        ev = json.loads(l)
        by_pair[(ev["pptap"]["event_id"], l)] = ev
        by_content[(ev["pptap"]["event_id"], content(l))] = ev
        file_ids.add(ev["pptap"]["event_id"])
    with open(a.raw, "rb") as f:
        raw = f.read().split(b"\n")[:-1]
    with open(a.parsed, "rb") as f:
        parsed = f.read().split(b"\n")[:-1]

    check(len(raw) > 0, "rsyslog received messages (%d)" % len(raw))
    check(len(raw) == len(parsed),
          "rsyslog's parsed fields for every message (%d of %d)" % (len(parsed), len(raw)))

    bad = collections.Counter()
    pairs = collections.Counter()
    ids = set()
    boms = 0
    repeats = 0
    for n, line in enumerate(raw):
        try:
            m = parse(line)
        except (ValueError, UnicodeDecodeError) as e:
            bad["not RFC 5424 (%s)" % e] += 1
            continue
        sd = dict(m["sd"])
        p = sd.get(SD_ID)
        if len(m["sd"]) != 1 or p is None or set(p) != {"event_id", "type", "tenant"}:
            bad["structured data is not one [%s event_id type tenant]" % SD_ID] += 1
            continue
        msg = m["msg"] or b""
        has_bom = msg.startswith(BOM)
        body = msg[3:] if has_bom else msg
        boms += has_bom
        pair = (p["event_id"], body)
        pairs[pair] += 1
        ids.add(p["event_id"])
        ev = by_pair.get(pair)
        if ev is None and not a.exact:
            # Sent in a window that failed later, collected again since.
            ev = by_content.get((p["event_id"], content(body)))
            repeats += ev is not None
        if ev is None:
            bad["MSG is no line of the file output for its event_id"] += 1
            continue
        if has_bom != any(c > 127 for c in body):
            bad["BOM present exactly when MSG is not ASCII"] += 1
        kind = ev["pptap"]["event_type"]
        if m["version"] != "1":
            bad["VERSION 1"] += 1
        if m["pri"] >> 3 != a.facility:
            bad["facility %d" % a.facility] += 1
        if m["pri"] & 7 != expected_severity(ev):
            bad["severity from type and classification"] += 1
        if not TIMESTAMP.match(m["timestamp"]):
            bad["TIMESTAMP is RFC 3339"] += 1
        else:
            t = ev.get("clickTime") if kind.startswith("clicks") else ev.get("messageTime")
            if t is not None and when(t) != when(m["timestamp"]):
                bad["TIMESTAMP is the event's time"] += 1
        if m["hostname"] != a.hostname or m["app"] != a.app or not m["procid"].isdigit():
            bad["HOSTNAME %s, APP-NAME %s, PROCID a pid" % (a.hostname, a.app)] += 1
        if m["msgid"] != kind or p["type"] != kind:
            bad["MSGID and SD type are the event type"] += 1
        if p["tenant"] != ev["pptap"]["tenant"]:
            bad["SD tenant is the event's tenant"] += 1
        # rsyslog's own RFC 5424 parser agrees.
        if n < len(parsed):
            f = parsed[n].split(b"\t", 8)
            if (len(f) != 9 or f[1] != b"1" or int(f[0]) != m["pri"] or
                    f[3].decode() != m["hostname"] or f[4].decode() != m["app"] or
                    f[5].decode() != m["procid"] or f[6].decode() != m["msgid"] or
                    f[7] != m["sd_text"] or f[8] not in (msg, body)):
                bad["rsyslog parsed the same fields (version 1, pri, sd, msg)"] += 1
    for what, count in sorted(bad.items()):
        check(False, "%s: %d messages" % (what, count))
    check(not bad, "every message parses as RFC 5424 with the expected fields (%d)" % len(raw))

    file_pairs = set(by_pair)
    missing = file_pairs - set(pairs)
    check(ids == file_ids, "event_ids received = event_ids in the file output (%d received, "
          "%d in the file)" % (len(ids), len(file_ids)))
    check(not missing, "every (event_id, line) of the file output arrived (%d missing of %d)"
          % (len(missing), len(file_pairs)))
    dups = sum(c - 1 for c in pairs.values()) + repeats
    check(len(raw) - dups == len(file_lines),
          "after dedupe exactly once: %d messages - %d repeats = %d lines of the file output"
          % (len(raw), dups, len(file_lines)))
    print("info repeats: %d identical, %d from windows collected again"
          % (dups - repeats, repeats))
    if a.exact:
        check(dups == 0, "without failures: no repeats (%d)" % dups)
    if a.want_replays:
        check(dups - repeats > 0, "windows sent again after a reconnect: identical repeats (%d)"
              % (dups - repeats))
    if a.want_bom:
        check(boms > 0, "non-ASCII events arrived with a BOM (%d)" % boms)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
