// pptap mcp as seen by the official MCP TypeScript SDK: its Client and
// StdioClientTransport spawn `pptap mcp`, negotiate the protocol, list the
// tools (each input schema compiled as JSON Schema 2020-12 by Ajv and checked
// against arguments it must accept — the case ones plus every required one
// filled with a value its schema accepts, which the server must take too —
// and arguments it must reject), call proof_point_tap_ping and
// proof_point_tap_decode_url (the SDK validates the structured results
// against the tools' output schemas) and check errors.
//
// Usage: node client.mjs PPTAP   (PPTAP_BASE_URL, PPTAP_PRINCIPAL,
// PPTAP_SECRET and PPTAP_NOW in the environment point at a simulator)
// Prints one line per failed check and "N passed, N failed"; exit 1 on failure.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { LATEST_PROTOCOL_VERSION, McpError } from "@modelcontextprotocol/sdk/types.js";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const pptap = process.argv[2];
const V3 = "https://urldefense.com/v3/__http://www.nytimes.com__;!!HXCxUKc!gS3RJyo$";
const V2 = "https://urldefense.com/v2/url?u=http-3A__a.com&d=DwMFaQ";
const CASE = { case_id: "interop-case", alert_group_identifiers: ["group-1"] };

// A value a property schema accepts, for filling required arguments: the
// first enum value, else one of a few candidates of the schema's type (a
// string pattern or date-time format must match). undefined when none fits.
function sample(ps) {
  if (Array.isArray(ps.enum)) return ps.enum[0];
  switch (ps.type) {
    case "boolean":
      return true;
    case "array":
      return [];
    case "integer":
    case "number":
      return ps.minimum ?? 1;
    case "string": {
      if (ps.format === "date-time") return "2026-03-04T11:00:00Z";
      const candidates = ["x", "1", "50"];
      if (!ps.pattern) return candidates[0];
      const re = new RegExp(ps.pattern, "u");
      return candidates.find((c) => re.test(c));
    }
    default:
      return undefined;
  }
}

let passed = 0;
let failed = 0;
function check(name, cond, detail = "") {
  if (cond) {
    passed++;
  } else {
    failed++;
    console.log(`FAIL ${name}${detail ? ": " + String(detail).slice(0, 600) : ""}`);
  }
  return cond;
}

const env = {};
for (const k of ["PPTAP_BASE_URL", "PPTAP_PRINCIPAL", "PPTAP_SECRET", "PPTAP_NOW", "PATH"]) {
  if (process.env[k] !== undefined) env[k] = process.env[k];
}
const transport = new StdioClientTransport({ command: pptap, args: ["mcp"], env, stderr: "pipe" });
let stderr = "";
transport.stderr?.on("data", (d) => (stderr += d.toString()));

// Every message the server sends, as the transport parsed it.
const received = [];
const client = new Client({ name: "pptap-interop", version: "1.0.0" });
let negotiated = null;
transport.setProtocolVersion = (v) => (negotiated = v);

try {
  await client.connect(transport);
  const inner = transport.onmessage;
  transport.onmessage = (m, extra) => {
    received.push(m);
    inner?.(m, extra);
  };
  check("serverInfo.name", client.getServerVersion()?.name === "pptap",
        JSON.stringify(client.getServerVersion()));
  check("tools capability", client.getServerCapabilities()?.tools !== undefined,
        JSON.stringify(client.getServerCapabilities()));
  check("instructions", typeof client.getInstructions() === "string");

  await client.ping();
  check("ping", true);

  // tools/list, every page.
  const tools = [];
  let cursor;
  do {
    const page = await client.listTools(cursor ? { cursor } : {});
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  const names = tools.map((t) => t.name);
  for (const want of ["proof_point_tap_ping", "proof_point_tap_decode_url",
                      "proof_point_tap_get_campaign"]) {
    check(`tool ${want} listed`, names.includes(want), names.join(" "));
  }
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  for (const t of tools) {
    let validate = null;
    try {
      validate = ajv.compile(t.inputSchema);
    } catch (e) {
      check(`${t.name}: inputSchema compiles as JSON Schema 2020-12`, false, e.message);
      continue;
    }
    check(`${t.name}: inputSchema compiles as JSON Schema 2020-12`, true);
    // The case arguments plus every other required argument, filled with a
    // value its own schema accepts: the schema must accept the document;
    // without any one required argument, with a wrong type or an unknown
    // argument it must not; and the server must take the document too (the
    // action runs: its result has an execution_state, whatever it found).
    const props = t.inputSchema.properties ?? {};
    const required = t.inputSchema.required ?? [];
    const doc = { ...CASE };
    for (const r of required) {
      if (!(r in doc)) doc[r] = sample(props[r] ?? {});
    }
    const unfilled = required.filter((r) => doc[r] === undefined);
    check(`${t.name}: a schema-valid value for every required argument`, unfilled.length === 0,
          unfilled.join(", "));
    check(`${t.name}: the case arguments with the required ones are valid`, validate(doc),
          `${JSON.stringify(doc)}: ${JSON.stringify(validate.errors)}`);
    check(`${t.name}: the case arguments are required`, required.includes("case_id") &&
          required.includes("alert_group_identifiers"), JSON.stringify(required));
    for (const r of required) {
      const { [r]: _, ...without } = doc;
      check(`${t.name}: without ${r} the arguments are invalid`, !validate(without));
    }
    check(`${t.name}: alert_group_identifiers must be an array of strings`,
          !validate({ ...doc, alert_group_identifiers: "group-1" }) &&
          !validate({ ...doc, alert_group_identifiers: [1] }));
    check(`${t.name}: an unknown argument is invalid`, !validate({ ...doc, no_such_argument: 1 }));
    check(`${t.name}: target_entities items need Identifier and EntityType`,
          validate({ ...doc, target_entities: [{ Identifier: "a", EntityType: "URL" }] }) &&
          !validate({ ...doc, target_entities: [{ Identifier: "a" }] }),
          JSON.stringify(validate.errors));
    for (const [name, ps] of Object.entries(props)) {
      if (ps.type === "boolean") {
        check(`${t.name}.${name}: a boolean, not a string`,
              validate({ ...doc, [name]: false }) && !validate({ ...doc, [name]: "no" }));
      }
    }
    check(`${t.name}: no arguments is invalid`, !validate({}));
    const ran = await client.callTool({ name: t.name, arguments: doc });
    check(`${t.name}: the server takes the schema-valid arguments`,
          ["completed", "failed"].includes(ran.structuredContent?.execution_state),
          JSON.stringify(ran).slice(0, 600));
    if (t.outputSchema) {
      try {
        new Ajv2020({ strict: false }).compile(t.outputSchema);
        check(`${t.name}: outputSchema compiles`, true);
      } catch (e) {
        check(`${t.name}: outputSchema compiles`, false, e.message);
      }
    }
  }
  const decodeSchema = tools.find((t) => t.name === "proof_point_tap_decode_url")?.inputSchema;
  check("decode_url takes encoded_ur_ls", decodeSchema?.properties?.encoded_ur_ls !== undefined,
        JSON.stringify(decodeSchema));

  // Ping: the SDK checks structuredContent against the output schema.
  const ping = await client.callTool({ name: "proof_point_tap_ping", arguments: { ...CASE } });
  check("ping: not an error", ping.isError === false, JSON.stringify(ping));
  check("ping: completed", ping.structuredContent?.execution_state === "completed",
        JSON.stringify(ping));
  check("ping: short text", ping.content?.[0]?.type === "text" &&
        ping.content[0].text.startsWith("Successfully connected"), JSON.stringify(ping.content));

  // Decode URL: v3 and v2 links.
  const dec = await client.callTool({
    name: "proof_point_tap_decode_url",
    arguments: { ...CASE, encoded_ur_ls: `${V3},${V2}`, create_url_entities: false },
  });
  const rows = dec.structuredContent?.json_result ?? [];
  const decoded = Object.fromEntries(rows.map((r) => [r.encodedUrl, r.decodedUrl]));
  check("decode_url: v3 decoded", decoded[V3] === "http://www.nytimes.com", JSON.stringify(dec));
  check("decode_url: v2 decoded", decoded[V2] === "http://a.com", JSON.stringify(dec));
  check("decode_url: not an error", dec.isError === false);

  // Invalid arguments in 2025-11-25 come back as a tool execution error.
  const bad = await client.callTool({ name: "proof_point_tap_get_campaign",
                                      arguments: { ...CASE } });
  check("missing argument: isError result", bad.isError === true &&
        /campaign_id/.test(bad.content?.[0]?.text ?? ""), JSON.stringify(bad));

  // An unknown tool is a protocol error.
  try {
    await client.callTool({ name: "proof_point_tap_nope", arguments: {} });
    check("unknown tool: rejected", false, "no error");
  } catch (e) {
    check("unknown tool: -32602", e instanceof McpError && e.code === -32602,
          `${e.constructor.name} ${e.code} ${e.message}`);
  }
  check("negotiated the SDK's latest revision", negotiated === LATEST_PROTOCOL_VERSION,
        `${negotiated} vs ${LATEST_PROTOCOL_VERSION}`);
  check("the server sent only responses", received.every((m) => "id" in m &&
        ("result" in m || "error" in m)), JSON.stringify(received.slice(0, 3)));
} catch (e) {
  check("the session ran to its end", false, `${e.stack ?? e}\nstderr: ${stderr}`);
} finally {
  // close() ends the server's stdin and sends SIGTERM only after 2 s: a
  // quicker close means the server exited by itself at end of input.
  const t0 = Date.now();
  await client.close();
  check("the server exits at end of input", Date.now() - t0 < 1900, `${Date.now() - t0} ms`);
}
check("the secret is not on stderr", !env.PPTAP_SECRET || !stderr.includes(env.PPTAP_SECRET));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
