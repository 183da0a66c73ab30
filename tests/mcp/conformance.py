#!/usr/bin/env python3
"""Conformance tests of `pptap mcp` (JSON-RPC 2.0 over stdio, MCP lifecycle,
tools/list, tools/call, errors, cancellation, limits) against pptap-sim.

Usage: conformance.py PPTAP PPTAP_SIM [GROUP...]

Each group runs its own `pptap mcp` processes against one simulator started
on port 0. Every session's standard output must hold nothing but JSON-RPC
responses, it must exit 0 when its input ends, and the secret must appear in
none of its output. Prints one line per failed check and a closing
"N passed, N failed" line; exits 1 when a check failed.
"""

import json
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcpsession import SECRET, Session, Sim  # noqa: E402

PPTAP, SIM = sys.argv[1], sys.argv[2]
GROUPS = sys.argv[3:]

V3 = "https://urldefense.com/v3/__http://www.nytimes.com__;!!HXCxUKc!gS3RJyo$"
V2 = "https://urldefense.com/v2/url?u=http-3A__a.com&d=DwMFaQ"
NO_CAMPAIGN = "00000000-0000-0000-0000-000000000000"

# The contract of soar-actions.md section 1: tool -> its arguments.
SEED_TOOLS = {
    "proof_point_tap_ping": {"case_id", "alert_group_identifiers", "target_entities", "scope"},
    "proof_point_tap_decode_url": {"case_id", "alert_group_identifiers", "encoded_ur_ls",
                                   "create_url_entities", "target_entities", "scope"},
    "proof_point_tap_get_campaign": {
        "case_id", "alert_group_identifiers", "campaign_id", "create_insight",
        "create_threat_campaign_entity", "fetch_forensics_info",
        "forensic_evidence_type_filter", "max_forensics_evidence_to_return",
        "target_entities", "scope"},
}
SEED_REQUIRED = {
    "proof_point_tap_ping": {"case_id", "alert_group_identifiers"},
    "proof_point_tap_decode_url": {"case_id", "alert_group_identifiers"},
    "proof_point_tap_get_campaign": {"case_id", "alert_group_identifiers", "campaign_id"},
}
SEED_TYPES = {
    "case_id": "string", "alert_group_identifiers": "array", "campaign_id": "string",
    "create_insight": "boolean", "create_threat_campaign_entity": "boolean",
    "fetch_forensics_info": "boolean", "forensic_evidence_type_filter": "string",
    "max_forensics_evidence_to_return": "string", "encoded_ur_ls": "string",
    "create_url_entities": "boolean", "target_entities": "array", "scope": "string",
}
# Arguments beyond section 1's exact list, deliberately: each must be
# optional, described in the schema and documented as an extension of the
# contract in docs/mcp.md (its "Extensions of the contract" table) and in
# docs/actions.md. Any other extra argument of a seed tool fails.
SEED_EXTENSIONS = {
    "proof_point_tap_decode_url": {"use_api"},
}
DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs")
JSON_TYPES = {"object", "array", "string", "number", "integer", "boolean", "null"}
CASE = {"case_id": "mcp-case-1", "alert_group_identifiers": ["alert-group-1"]}

passed = 0
failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}" + (f": {detail}" if detail else ""), flush=True)
    return cond


def short(v, n=400):
    s = json.dumps(v, default=sorted) if not isinstance(v, (str, bytes)) else str(v)
    return s[:n]


def extensions_doc():
    """The "Extensions of the contract" section of docs/mcp.md ("" when missing)."""
    text = open(os.path.join(DOCS, "mcp.md"), encoding="utf-8").read()
    m = re.search(r"^#+ Extensions of the contract\n(.*?)(?=^#)", text, re.M | re.S)
    return m.group(1) if m else ""


def paragraphs():
    """The paragraphs (and list items) of docs/actions.md."""
    text = open(os.path.join(DOCS, "actions.md"), encoding="utf-8").read()
    return re.split(r"\n\s*\n|\n(?=- )", text)


def err_code(r):
    return (r or {}).get("error", {}).get("code")


def finish(name, s, *, expect_rc=0):
    """Ends a session: EOF, exit status, nothing but responses on stdout."""
    rc = s.close()
    check(f"{name}: exit status on end of input", rc == expect_rc,
          f"got {rc}; stderr: {s.stderr[-600:]!r}")
    for raw in s.lines:
        try:
            m = json.loads(raw)
        except ValueError:
            check(f"{name}: stdout holds only JSON lines", False, short(raw))
            continue
        items = m if isinstance(m, list) else [m]
        for it in items:
            ok = (isinstance(it, dict) and it.get("jsonrpc") == "2.0" and "id" in it and
                  ("result" in it) != ("error" in it))
            check(f"{name}: stdout holds only JSON-RPC responses", ok, short(it))
    check(f"{name}: the secret is not in stdout", SECRET.encode() not in b"".join(s.lines))
    check(f"{name}: the secret is not in stderr", SECRET.encode() not in s.stderr)


def tool_list(s):
    """Every tool, following nextCursor."""
    tools, cursor, pages = [], None, 0
    while True:
        r = s.request("tools/list", {"cursor": cursor} if cursor else None)
        if not check("tools/list answers", r is not None and "result" in r, short(r)):
            return tools, pages
        pages += 1
        tools += r["result"].get("tools", [])
        cursor = r["result"].get("nextCursor")
        if not cursor or pages > 100:
            return tools, pages


def schema_ok(where, schema):
    """A JSON Schema object for tool arguments: type object, properties
    whose schemas are objects with known types, required names listed."""
    check(f"{where}: inputSchema is an object", isinstance(schema, dict), short(schema))
    if not isinstance(schema, dict):
        return
    check(f"{where}: inputSchema type object", schema.get("type") == "object", short(schema))
    props = schema.get("properties", {})
    check(f"{where}: properties is an object", isinstance(props, dict))
    for name, ps in props.items():
        check(f"{where}.{name}: property schema is an object", isinstance(ps, dict))
        t = ps.get("type") if isinstance(ps, dict) else None
        ts = t if isinstance(t, list) else [t]
        check(f"{where}.{name}: a known type", t is not None and all(x in JSON_TYPES for x in ts),
              short(ps))
        check(f"{where}.{name}: has a description",
              isinstance(ps.get("description"), str) and ps["description"] != "")
    req = schema.get("required", [])
    check(f"{where}: required is a list of property names",
          isinstance(req, list) and all(isinstance(x, str) and x in props for x in req),
          short(req))


def first_text(r):
    try:
        return r["result"]["content"][0]["text"]
    except (KeyError, IndexError, TypeError):
        return None


# ----------------------------------------------------------------------
def group_lifecycle(sim):
    env = sim.env()
    # Requests before initialize: ping works, the rest is refused.
    s = Session([PPTAP, "mcp"], env)
    r = s.request("ping")
    check("ping before initialize", r == {"jsonrpc": "2.0", "id": 1, "result": {}}, short(r))
    r = s.request("tools/list")
    check("tools/list before initialize: -32600", err_code(r) == -32600, short(r))
    check("tools/list before initialize: says why",
          "initialize" in (r or {}).get("error", {}).get("message", ""), short(r))
    r = s.initialize("2025-06-18")
    res = (r or {}).get("result", {})
    check("initialize: echoes a supported version", res.get("protocolVersion") == "2025-06-18",
          short(r))
    check("initialize: serverInfo", res.get("serverInfo", {}).get("name") == "pptap" and
          isinstance(res.get("serverInfo", {}).get("version"), str), short(res))
    check("initialize: tools capability, list never changes",
          res.get("capabilities", {}).get("tools") == {"listChanged": False}, short(res))
    check("initialize: instructions", isinstance(res.get("instructions"), str))
    r = s.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                 "clientInfo": {"name": "x", "version": "1"}})
    check("second initialize refused", err_code(r) == -32600, short(r))
    # A notification gets no response: the next line is the ping's.
    s.notify("notifications/unknown-thing", {"x": 1})
    s.notify("notifications/initialized")
    rid = s.start("ping")
    m = s.read()
    check("notifications are not answered", isinstance(m, dict) and m.get("id") == rid, short(m))
    finish("lifecycle", s)

    # Version negotiation.
    for asked, want in [("2025-11-25", "2025-11-25"), ("2025-03-26", "2025-03-26"),
                        ("2024-11-05", "2024-11-05"), ("1999-01-01", "2025-11-25"),
                        ("2025-06-19", "2025-11-25")]:
        s = Session([PPTAP, "mcp"], env)
        r = s.initialize(asked)
        got = (r or {}).get("result", {}).get("protocolVersion")
        check(f"initialize {asked} -> {want}", got == want, short(r))
        finish(f"negotiate {asked}", s)

    # initialize without a protocol version: invalid params.
    s = Session([PPTAP, "mcp"], env)
    r = s.request("initialize", {"capabilities": {}})
    check("initialize without protocolVersion: -32602", err_code(r) == -32602, short(r))
    finish("initialize without version", s)

    # Everything written before end of input is answered, then exit 0.
    s = Session([PPTAP, "mcp"], env)
    lines = [{"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                         "clientInfo": {"name": "pipe", "version": "1"}}},
             {"jsonrpc": "2.0", "method": "notifications/initialized"}]
    lines += [{"jsonrpc": "2.0", "id": i, "method": "tools/list"} for i in range(2, 12)]
    s.send_raw("".join(json.dumps(x) + "\n" for x in lines))
    rc = s.close()
    ids = sorted(json.loads(x)["id"] for x in s.lines)
    check("end of input: every request answered first", ids == list(range(1, 12)), short(ids))
    check("end of input: exit 0", rc == 0, f"{rc}")

    # SIGTERM while idle: exit 0.
    s = Session([PPTAP, "mcp"], env)
    s.initialize()
    s.proc.send_signal(signal.SIGTERM)
    try:
        rc = s.proc.wait(timeout=10)
    except Exception:
        rc = "timeout"
    check("SIGTERM: exit 0", rc == 0, f"{rc}")
    s.close()


# ----------------------------------------------------------------------
def group_errors(sim):
    s = Session([PPTAP, "mcp"], sim.env())
    s.initialize("2025-06-18")

    s.send_raw('{"jsonrpc":"2.0","id":900,"method":"tools/list"\n')
    m = s.read()
    check("malformed JSON: -32700", isinstance(m, dict) and err_code(m) == -32700, short(m))
    check("malformed JSON: id null", isinstance(m, dict) and m.get("id") is None, short(m))
    s.send_raw(b'{"jsonrpc":"2.0","id":901,"method":"ping","x":"\xff\xfe"}\n')
    m = s.read()
    check("invalid UTF-8: -32700", isinstance(m, dict) and err_code(m) == -32700, short(m))
    s.send_raw('{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}\n')
    m = s.read()
    check("duplicate keys: -32700", isinstance(m, dict) and err_code(m) == -32700, short(m))

    for label, raw, want_id in [
        ("not an object", "42", None),
        ("no jsonrpc", '{"id":910,"method":"ping"}', 910),
        ("jsonrpc 1.0", '{"jsonrpc":"1.0","id":911,"method":"ping"}', 911),
        ("method not a string", '{"jsonrpc":"2.0","id":912,"method":7}', 912),
        ("id null", '{"jsonrpc":"2.0","id":null,"method":"ping"}', None),
        ("id an object", '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}', None),
        ("id fractional", '{"jsonrpc":"2.0","id":1.5,"method":"ping"}', None),
        ("params a string", '{"jsonrpc":"2.0","id":913,"method":"ping","params":"x"}', 913),
        ("no method", '{"jsonrpc":"2.0","id":914}', 914),
    ]:
        s.send_raw(raw + "\n")
        m = s.read()
        check(f"invalid request ({label}): -32600", isinstance(m, dict) and
              err_code(m) == -32600 and m.get("id") == want_id, short(m))

    r = s.request("tools/list", id="string-id")
    check("string ids are echoed", (r or {}).get("id") == "string-id" and "result" in r, short(r))
    r = s.request("resources/list")
    check("unknown method: -32601", err_code(r) == -32601, short(r))
    r = s.request("no/such/method", {})
    check("unknown method: -32601 (2)", err_code(r) == -32601, short(r))
    r = s.request("tools/call", {"name": "proof_point_tap_no_such_tool", "arguments": {}})
    check("unknown tool: -32602", err_code(r) == -32602, short(r))
    check("unknown tool: names it", "proof_point_tap_no_such_tool" in
          (r or {}).get("error", {}).get("message", ""), short(r))
    r = s.request("tools/call", {"arguments": {}})
    check("tools/call without name: -32602", err_code(r) == -32602, short(r))
    r = s.request("tools/call", {"name": "proof_point_tap_ping", "arguments": "case"})
    check("arguments not an object: -32602", err_code(r) == -32602, short(r))
    r = s.request("tools/call", {"name": "proof_point_tap_get_campaign",
                                 "arguments": dict(CASE)})
    check("missing required argument: -32602", err_code(r) == -32602, short(r))
    check("missing required argument: named", "campaign_id" in
          (r or {}).get("error", {}).get("message", ""), short(r))
    r = s.request("tools/call", {"name": "proof_point_tap_get_campaign",
                                 "arguments": dict(CASE, campaign_id=12345)})
    check("wrong argument type: -32602", err_code(r) == -32602, short(r))
    r = s.request("tools/call", {"name": "proof_point_tap_decode_url",
                                 "arguments": dict(CASE, create_url_entities=[1])})
    check("wrong argument type (boolean): -32602", err_code(r) == -32602, short(r))
    r = s.request("tools/call", {"name": "proof_point_tap_ping",
                                 "arguments": dict(CASE, no_such_argument=1)})
    check("unknown argument: -32602", err_code(r) == -32602, short(r))
    r = s.request("tools/list", {"cursor": "not-a-cursor"})
    check("unknown cursor: -32602", err_code(r) == -32602, short(r))
    r = s.request("ping", [1])
    check("params an array: -32602", err_code(r) == -32602, short(r))
    # A response from the client (the server never asks) is ignored.
    s.send({"jsonrpc": "2.0", "id": 77, "result": {}})
    rid = s.start("ping")
    m = s.read()
    check("a client response is not answered", isinstance(m, dict) and m.get("id") == rid,
          short(m))
    s.send_raw("\n   \n")
    rid = s.start("ping")
    m = s.read()
    check("blank lines are ignored", isinstance(m, dict) and m.get("id") == rid, short(m))
    # Batches were removed in 2025-06-18.
    s.send_raw(json.dumps([{"jsonrpc": "2.0", "id": 30, "method": "ping"}]) + "\n")
    m = s.read()
    check("batch in 2025-06-18: -32600", isinstance(m, dict) and err_code(m) == -32600, short(m))
    finish("errors", s)

    # 2025-11-25: invalid arguments are tool execution errors (SEP-1303).
    s = Session([PPTAP, "mcp"], sim.env())
    s.initialize("2025-11-25")
    r = s.request("tools/call", {"name": "proof_point_tap_get_campaign",
                                 "arguments": dict(CASE)})
    res = (r or {}).get("result", {})
    check("2025-11-25 missing argument: isError result", res.get("isError") is True, short(r))
    check("2025-11-25 missing argument: says which", "campaign_id" in (first_text(r) or ""),
          short(r))
    r = s.request("tools/call", {"name": "proof_point_tap_no_such_tool", "arguments": {}})
    check("2025-11-25 unknown tool: still -32602", err_code(r) == -32602, short(r))
    finish("errors 2025-11-25", s)

    # 2025-03-26: batches are received; a notification in it gets nothing.
    s = Session([PPTAP, "mcp"], sim.env())
    s.initialize("2025-03-26")
    s.send_raw(json.dumps([
        {"jsonrpc": "2.0", "id": 40, "method": "ping"},
        {"jsonrpc": "2.0", "method": "notifications/whatever"},
        {"jsonrpc": "2.0", "id": 41, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 42, "method": "nope"},
        5]) + "\n")
    m = s.read()
    ok = isinstance(m, list) and len(m) == 4
    check("batch in 2025-03-26: one array, one response per request", ok, short(m))
    if ok:
        byid = {json.dumps(x.get("id")): x for x in m}
        check("batch: ping", byid.get("40", {}).get("result") == {}, short(m))
        check("batch: tools/list", "tools" in byid.get("41", {}).get("result", {}), short(m))
        check("batch: unknown method", err_code(byid.get("42")) == -32601, short(m))
        check("batch: invalid element", err_code(byid.get("null")) == -32600, short(m))
    s.send_raw("[]\n")
    m = s.read()
    check("empty batch: -32600", isinstance(m, dict) and err_code(m) == -32600, short(m))
    s.send_raw(json.dumps([{"jsonrpc": "2.0", "method": "notifications/x"}]) + "\n")
    rid = s.start("ping")
    m = s.read()
    check("batch of notifications: no response", isinstance(m, dict) and m.get("id") == rid,
          short(m))
    finish("batches 2025-03-26", s)

    # Size limit: an over-long line is refused with its id, the session goes on.
    s = Session([PPTAP, "mcp", "--max-message", "4096"], sim.env())
    s.initialize("2025-06-18")
    big = {"jsonrpc": "2.0", "method": "tools/call",
           "params": {"name": "proof_point_tap_ping",
                      "arguments": dict(CASE, scope="x" * 20000)}, "id": "big-1"}
    s.send(big)
    m = s.read()
    check("over-long message: -32600", isinstance(m, dict) and err_code(m) == -32600, short(m))
    check("over-long message: its id", isinstance(m, dict) and m.get("id") == "big-1", short(m))
    check("over-long message: says the limit", "4096" in short(m), short(m))
    r = s.request("ping")
    check("after an over-long message the session goes on", r is not None and "result" in r,
          short(r))
    finish("size limit", s)


# ----------------------------------------------------------------------
def group_tools(sim):
    s = Session([PPTAP, "mcp"], sim.env())
    s.initialize("2025-06-18")
    tools, _ = tool_list(s)
    names = [t.get("name") for t in tools]
    check("tools/list: names unique", len(names) == len(set(names)), short(names))
    want_count = action_count(sim)
    check("tools/list: every action is a tool", len(tools) == want_count,
          f"{len(tools)} tools, {want_count} actions")
    for t in tools:
        n = t.get("name", "?")
        check(f"{n}: name form", re.fullmatch(r"proof_point_tap_[a-z0-9_]+", n or "") is not None
              and len(n) <= 128)
        check(f"{n}: title", isinstance(t.get("title"), str) and t["title"] != "")
        check(f"{n}: description", isinstance(t.get("description"), str) and
              len(t["description"]) > 20)
        schema_ok(n, t.get("inputSchema"))
        os_ = t.get("outputSchema")
        check(f"{n}: outputSchema object", isinstance(os_, dict) and os_.get("type") == "object")
    byname = {t.get("name"): t for t in tools}
    for tool, params in SEED_TOOLS.items():
        t = byname.get(tool)
        if not check(f"seed tool {tool} listed", t is not None, short(names)):
            continue
        props = t["inputSchema"].get("properties", {})
        req = set(t["inputSchema"].get("required", []))
        check(f"{tool}: every argument of the contract, spelled exactly", params <= set(props),
              f"missing {sorted(params - set(props))}")
        extra = set(props) - params
        check(f"{tool}: arguments beyond the contract are the documented extensions",
              extra == SEED_EXTENSIONS.get(tool, set()),
              f"extra {sorted(extra)}, documented {sorted(SEED_EXTENSIONS.get(tool, set()))}")
        for p in sorted(extra):
            check(f"{tool}.{p}: an extension is optional", p not in req, short(sorted(req)))
            check(f"{tool}.{p}: an extension has a default", "default" in props[p],
                  short(props[p]))
            check(f"{tool}.{p}: an extension is described",
                  len(props[p].get("description", "")) > 20, short(props[p]))
            check(f"{tool}.{p}: docs/mcp.md lists it as an extension of the contract",
                  f"| `{tool}` | `{p}` |" in extensions_doc(), "no such row")
            check(f"{tool}.{p}: docs/actions.md calls it an extension",
                  any(f"`{p}`" in para and "extension" in para for para in paragraphs()),
                  "no paragraph names it with the word extension")
        check(f"{tool}: required arguments", req == SEED_REQUIRED[tool], short(sorted(req)))
        for p in params & set(props):
            ty = props[p].get("type")
            ts = ty if isinstance(ty, list) else [ty]
            check(f"{tool}.{p}: type {SEED_TYPES[p]}", SEED_TYPES[p] in ts, short(props[p]))
        te = props.get("target_entities", {}).get("items", {})
        check(f"{tool}.target_entities: items with Identifier and EntityType",
              {"Identifier", "EntityType"} <= set(te.get("properties", {})), short(te))

    # Pagination: two tools a page gives the same list.
    s2 = Session([PPTAP, "mcp", "--page-size", "2"], sim.env())
    s2.initialize("2025-06-18")
    tools2, pages = tool_list(s2)
    check("pagination: same tools in pages of 2", [t["name"] for t in tools2] == names,
          short([t["name"] for t in tools2]))
    check("pagination: several pages", pages == (len(names) + 1) // 2, f"{pages} pages")
    finish("pagination", s2)

    # Ping.
    sim.admin("reset", "POST")
    r = s.request("tools/call", {"name": "proof_point_tap_ping", "arguments": dict(CASE)})
    res = (r or {}).get("result", {})
    sc = res.get("structuredContent", {})
    check("ping: completed", sc.get("execution_state") == "completed", short(r, 800))
    check("ping: not an error", res.get("isError") is False, short(r))
    check("ping: text is the output message", first_text(r) == sc.get("output_message") and
          "Successfully connected" in (first_text(r) or ""), short(r))
    check("ping: serialized result in content", len(res.get("content", [])) == 2 and
          json.loads(res["content"][1]["text"]) == sc, short(r))
    check("ping: the API was asked", len(sim.requests()) >= 1, short(sim.requests()))

    # Decode URL: a v3 and a v2 link.
    sim.admin("reset", "POST")
    r = s.request("tools/call", {"name": "proof_point_tap_decode_url",
                                 "arguments": dict(CASE, encoded_ur_ls=f"{V3},{V2}",
                                                   create_url_entities=False)})
    sc = (r or {}).get("result", {}).get("structuredContent", {})
    check("decode_url: completed", sc.get("execution_state") == "completed", short(r, 800))
    decoded = {d.get("encodedUrl"): d.get("decodedUrl") for d in sc.get("json_result") or []
               if isinstance(d, dict)}
    check("decode_url: v3 decoded", decoded.get(V3) == "http://www.nytimes.com", short(sc, 800))
    check("decode_url: v2 decoded", decoded.get(V2) == "http://a.com", short(sc, 800))
    check("decode_url: result value true", sc.get("result_value") is True, short(sc))
    check("decode_url: isError false", (r or {}).get("result", {}).get("isError") is False)

    # Get Campaign: one found, one not: partial success.
    cid = sim.api("/v2/campaign/ids?interval=2026-03-03T12:00:00Z/2026-03-04T12:00:00Z"
                  )["campaigns"][0]["id"]
    r = s.request("tools/call", {"name": "proof_point_tap_get_campaign",
                                 "arguments": dict(CASE, campaign_id=f"{cid},{NO_CAMPAIGN}",
                                                   fetch_forensics_info=False)})
    res = (r or {}).get("result", {})
    sc = res.get("structuredContent", {})
    msg = sc.get("output_message", "")
    check("get_campaign: completed", sc.get("execution_state") == "completed", short(r, 800))
    check("get_campaign: found one", "Successfully found information" in msg and cid in msg,
          msg)
    check("get_campaign: not found one", "wasn't able to find" in msg and NO_CAMPAIGN in msg,
          msg)
    jr = sc.get("json_result") or []
    check("get_campaign: one campaign in the JSON result",
          len(jr) == 1 and jr[0].get("id") == cid, short(jr))
    check("get_campaign: isError false", res.get("isError") is False, short(res))
    check("get_campaign: output schema's required keys",
          all(k in sc for k in ("action", "execution_state", "output_message")), short(sc))

    # A failed action is a tool execution error, not a protocol error.
    r = s.request("tools/call", {"name": "proof_point_tap_get_campaign",
                                 "arguments": dict(CASE, campaign_id=NO_CAMPAIGN,
                                                   max_forensics_evidence_to_return="5000")})
    res = (r or {}).get("result", {})
    check("a failed action: isError true", res.get("isError") is True and
          res.get("structuredContent", {}).get("execution_state") == "failed", short(r, 800))
    finish("tools", s)

    # 2024-11-05: no structuredContent, titles or output schemas; the JSON is in content.
    s = Session([PPTAP, "mcp"], sim.env())
    s.initialize("2024-11-05")
    tools, _ = tool_list(s)
    check("2024-11-05: no title or outputSchema",
          tools != [] and all("title" not in t and "outputSchema" not in t for t in tools))
    r = s.request("tools/call", {"name": "proof_point_tap_ping", "arguments": dict(CASE)})
    res = (r or {}).get("result", {})
    check("2024-11-05: no structuredContent", "structuredContent" not in res and
          "content" in res, short(r))
    try:
        body = json.loads(res["content"][1]["text"])
    except (KeyError, IndexError, ValueError):
        body = {}
    check("2024-11-05: the result as JSON text", body.get("execution_state") == "completed",
          short(r))
    finish("2024-11-05", s)

    # --state: the case store. Insights and entities a tool creates are kept
    # in the case; a scope takes the case's entities.
    import subprocess
    state = os.path.join(sim.dir, "state.db")
    p = subprocess.run([PPTAP, "case", "add-entity", "mcp-case-2", "URL", V3, "--state", state],
                       env=sim.env(), capture_output=True, timeout=30)
    check("case add-entity", p.returncode == 0, p.stderr[-300:])
    s = Session([PPTAP, "mcp", "--state", state], sim.env())
    s.initialize("2025-06-18")
    case2 = {"case_id": "mcp-case-2", "alert_group_identifiers": []}
    r = s.request("tools/call", {"name": "proof_point_tap_get_campaign",
                                 "arguments": dict(case2, campaign_id=cid,
                                                   fetch_forensics_info=False)})
    sc = (r or {}).get("result", {}).get("structuredContent", {})
    check("--state: get_campaign completed", sc.get("execution_state") == "completed",
          short(r, 600))
    r = s.request("tools/call", {"name": "proof_point_tap_decode_url",
                                 "arguments": dict(case2, scope="URL entities")})
    sc = (r or {}).get("result", {}).get("structuredContent", {})
    rows = [d for d in sc.get("json_result") or [] if isinstance(d, dict)]
    check("--state: the scope took the case's URL entity",
          [d.get("decodedUrl") for d in rows] == ["http://www.nytimes.com"], short(sc, 600))
    finish("state", s)
    p = subprocess.run([PPTAP, "case", "show", "mcp-case-2", "--state", state, "--json"],
                       env=sim.env(), capture_output=True, timeout=30)
    try:
        shown = json.loads(p.stdout)
    except ValueError:
        shown = {}
    titles = [i.get("title") for i in shown.get("insights", [])]
    types = sorted(e.get("entity_type", e.get("EntityType", e.get("type")))
                   for e in shown.get("entities", []))
    check("--state: the insight is in the case", titles == [cid], short(shown, 600))
    check("--state: the campaign entity is in the case", "THREATACTOR" in types, short(types))

    # -v traces every API request and MCP message, on stderr only.
    s = Session([PPTAP, "-v", "mcp"], sim.env())
    s.initialize("2025-06-18")
    r = s.request("tools/call", {"name": "proof_point_tap_ping", "arguments": dict(CASE)})
    check("-v: the call succeeds", (r or {}).get("result", {}).get("isError") is False, short(r))
    finish("verbose", s)
    check("-v: request traces on stderr", b"pptap: > GET " in s.stderr, s.stderr[-400:])
    check("-v: MCP messages logged on stderr", b"pptap: mcp: request" in s.stderr,
          s.stderr[-400:])


def action_count(sim):
    """How many actions `pptap action --list --json` names (the catalogue)."""
    import subprocess
    p = subprocess.run([PPTAP, "action", "--list", "--json"], env=sim.env(),
                       capture_output=True, timeout=30)
    names = [json.loads(x) for x in p.stdout.decode().splitlines() if x.strip()]
    check("pptap action --list works", p.returncode == 0 and names, p.stderr[-300:])
    return len(names)


# ----------------------------------------------------------------------
def group_cancel(sim):
    """A slow API: ping answered while a tool runs; a cancelled call gets no
    response; a queued cancelled call never runs."""
    s = Session([PPTAP, "mcp"], sim.env())
    s.initialize("2025-06-18")
    sim.admin("faults?slow=1&slow-ms=1500", "POST")
    sim.admin("reset", "POST")
    t0 = time.monotonic()
    slow = s.start("tools/call", {"name": "proof_point_tap_ping", "arguments": dict(CASE)})
    queued = s.start("tools/call", {"name": "proof_point_tap_ping", "arguments": dict(CASE)})
    time.sleep(0.3)
    r = s.request("ping", timeout=30)
    took = time.monotonic() - t0
    early = set(getattr(s, "_pending", {}))
    # Served one by one, the ping would wait for the slow call and come after
    # its response; answered at once it comes first.
    check("ping answered while a tool runs", r is not None and "result" in r and
          json.dumps(slow) not in early, f"{short(r)} after {took:.2f}s; before it {early}")
    s.notify("notifications/cancelled", {"requestId": slow, "reason": "test"})
    s.notify("notifications/cancelled", {"requestId": queued, "reason": "test"})
    after = s.start("tools/list")
    m = s.wait_for(after, timeout=30)
    check("after the cancellations the next request is answered", m is not None and
          "result" in m, short(m))
    time.sleep(0.5)
    others = [x for x in list(s.msgs.queue) if isinstance(x, dict)]
    seen = set(s._pending) | {json.dumps(x.get("id")) for x in others}
    check("a cancelled running call gets no response", json.dumps(slow) not in seen, short(seen))
    check("a cancelled queued call gets no response", json.dumps(queued) not in seen,
          short(seen))
    sim.admin("faults?clear=1", "POST")
    pings = [q for q in sim.requests() if q.get("path", "").startswith("/v2/")]
    check("the queued cancelled call never ran: one ping request", len(pings) == 1,
          short(pings))
    # Cancelling something already answered is ignored.
    r = s.request("ping")
    s.notify("notifications/cancelled", {"requestId": r["id"]})
    r2 = s.request("ping")
    check("a late cancellation is ignored", r2 is not None and "result" in r2, short(r2))
    finish("cancel", s)


GROUP_FUNCS = {"lifecycle": group_lifecycle, "errors": group_errors, "tools": group_tools,
               "cancel": group_cancel}


def main():
    groups = GROUPS or list(GROUP_FUNCS)
    sim = Sim(SIM)
    try:
        for g in groups:
            GROUP_FUNCS[g](sim)
    finally:
        sim.stop()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
