"""Drives `pptap mcp` over pipes and starts pptap-sim for the MCP tests.

A Session runs one `pptap mcp` process: it writes JSON-RPC lines to its
standard input, reads every line of its standard output on a thread, and
keeps all of them so that a test can check at the end that nothing but
protocol messages was written. A Sim runs one simulator on port 0 with the
seed, clock and credentials the integration tests use.
"""

import base64
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request

NOW = "2026-03-04T12:00:00Z"
PRINCIPAL = "pptap-sim"
SECRET = "Mcp-c0nformance-s3cret-9Zk"


class Sim:
    """pptap-sim on 127.0.0.1, a free port, frozen clock."""

    def __init__(self, sim_path, *extra):
        self.dir = tempfile.mkdtemp(prefix="pptap-mcp-")
        port_file = os.path.join(self.dir, "url")
        env = dict(os.environ, PPTAP_SIM_PRINCIPAL=PRINCIPAL, PPTAP_SIM_SECRET=SECRET)
        self.err = open(os.path.join(self.dir, "sim.err"), "wb")
        self.proc = subprocess.Popen(
            [sim_path, "--port", "0", "--port-file", port_file, "--seed", "42",
             "--start", NOW, "--speed", "0", *extra],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.err)
        self.base = None
        for _ in range(200):
            try:
                with open(port_file) as f:
                    self.base = f.read().strip() or None
            except FileNotFoundError:
                pass
            if self.base:
                break
            time.sleep(0.05)
        if not self.base:
            self.stop()
            raise RuntimeError("pptap-sim did not start")

    def api(self, path, method="GET", data=None):
        """A request to the simulator's TAP API with the credentials."""
        req = urllib.request.Request(self.base + path, method=method, data=data)
        token = base64.b64encode(f"{PRINCIPAL}:{SECRET}".encode()).decode()
        req.add_header("Authorization", "Basic " + token)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def admin(self, path, method="GET"):
        req = urllib.request.Request(self.base + "/admin/" + path, method=method,
                                     data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        try:
            return json.loads(body)
        except ValueError:
            return body.decode(errors="replace")

    def requests(self):
        return self.admin("requests?last=100000")["requests"]

    def env(self):
        """The environment that points pptap at this simulator."""
        env = {k: v for k, v in os.environ.items()
               if not k.lower().endswith("_proxy") and not k.startswith("PPTAP_")}
        env.update(PPTAP_BASE_URL=self.base, PPTAP_PRINCIPAL=PRINCIPAL, PPTAP_SECRET=SECRET,
                   PPTAP_NOW=NOW, NO_PROXY="127.0.0.1", no_proxy="127.0.0.1")
        return env

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Session:
    """One `pptap mcp` process and its streams."""

    def __init__(self, argv, env, timeout=30.0):
        self.timeout = timeout
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines = []          # every stdout line, raw bytes
        self.msgs = queue.Queue()  # parsed stdout messages (or the raw line if not JSON)
        self.stderr = b""
        self.next_id = 1
        self._out = threading.Thread(target=self._read_out, daemon=True)
        self._err = threading.Thread(target=self._read_err, daemon=True)
        self._out.start()
        self._err.start()
        self.rc = None

    def _read_out(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            try:
                self.msgs.put(json.loads(line))
            except ValueError:
                self.msgs.put(line)
        self.msgs.put(None)

    def _read_err(self):
        self.stderr = self.proc.stderr.read()

    def send_raw(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, msg):
        self.send_raw(json.dumps(msg, separators=(",", ":")) + "\n")

    def notify(self, method, params=None):
        msg = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)

    def new_id(self):
        i = self.next_id
        self.next_id += 1
        return i

    def start(self, method, params=None, id=None):
        """Sends a request; returns its id."""
        rid = self.new_id() if id is None else id
        msg = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return rid

    def read(self, timeout=None):
        """The next message from the server; None at end of output or timeout."""
        try:
            return self.msgs.get(timeout=self.timeout if timeout is None else timeout)
        except queue.Empty:
            return None

    def wait_for(self, rid, timeout=None):
        """Reads until the response with id rid; keeps the others aside."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        pending = getattr(self, "_pending", {})
        self._pending = pending
        key = json.dumps(rid)
        while key not in pending:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            m = self.read(timeout=left)
            if m is None:
                return None
            if isinstance(m, dict) and "id" in m:
                pending[json.dumps(m["id"])] = m
            else:
                pending.setdefault("__other__", []).append(m)
        return pending.pop(key)

    def request(self, method, params=None, id=None, timeout=None):
        rid = self.start(method, params, id)
        return self.wait_for(rid, timeout)

    def initialize(self, version="2025-06-18"):
        r = self.request("initialize", {
            "protocolVersion": version, "capabilities": {},
            "clientInfo": {"name": "pptap-conformance", "version": "1"}})
        self.notify("notifications/initialized")
        return r

    def close(self, timeout=30):
        """Closes stdin and waits for the exit status."""
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            self.rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.rc = self.proc.wait()
            self.rc = "timeout"
        self._out.join(timeout=10)
        self._err.join(timeout=10)
        return self.rc
