#!/usr/bin/env python3
"""Local demo console: the real plugin process, spoken to exactly as Dify does, against the
Google emulator with demo data. Shows what Dify receives from each tool call.

    scripts/console.py                              interactive (commands below)
    scripts/console.py --call list_events time_max=tomorrow
    echo "call get_current_time" | scripts/console.py   (reads commands when stdin is no TTY)

Commands: tools | help [TOOL] | call <tool> key=value ... (file=@PATH passes a local file the
way Dify passes one) | show NAME | save [FILE] (into $GCAL_DEMO_DIR, default a temp folder,
never the checkout) | creds oauth|manual | oauth | clear | quit
Options: --emulator HOST:PORT with --access-token/--refresh-token/--client-id/--client-secret
to use a running emulator instead of starting `python -m tests.emulator --seed demo`.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import queue
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from tests.dify_files import FileServer  # noqa: E402
from tests.plugin_process import (  # noqa: E402
    PluginInvokeError,
    PluginProcess,
    PluginProcessError,
    ToolResult,
    default_python,
)

_MANIFEST = yaml.safe_load((ROOT / "manifest.yaml").read_text())
# Dify's callback for this plugin: .../oauth/plugin/{author}/{plugin}/{provider}/tool/callback
REDIRECT_URI = (
    "http://localhost/console/api/oauth/plugin/"
    f"{_MANIFEST['author']}/{_MANIFEST['name']}/google_calendar/tool/callback"
)


# Where `save` writes: outside the checkout, so `scripts/package` never meets a demo export.
DEMO_DIR = Path(os.environ.get("GCAL_DEMO_DIR") or Path(tempfile.gettempdir()) / "gcal-demo")
# `key=@path` hands the tool a local file as Dify hands it a file variable.
FILE_PREFIX = "@"

# Longer variable values are cut to this many characters; `show NAME` prints them in full.
PREVIEW_CHARS = 160


def mask(value: Any) -> str:
    text = str(value or "")
    return text[:6] + "…" if len(text) > 8 else "…"


# ----------------------------------------------------------------------------- declarations
def load_tools() -> dict[str, dict]:
    provider = yaml.safe_load((ROOT / "provider" / "google_calendar.yaml").read_text())
    tools: dict[str, dict] = {}
    for rel in provider.get("tools") or []:
        try:
            data = yaml.safe_load((ROOT / rel).read_text())
        except Exception as exc:  # show the broken YAML instead of crashing
            tools[Path(rel).stem] = {"error": str(exc), "parameters": []}
            continue
        tools[data["identity"]["name"]] = data
    return tools


def convert(value: str, ptype: str | None) -> Any:
    """Dify hands tools typed values according to the YAML parameter type.

    A number parameter refuses other text, as Dify's form does (ValueError)."""
    if ptype == "number":
        try:
            return int(value)
        except ValueError:
            pass
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"expects a number, got {value!r}") from None
    if ptype == "boolean":
        return value.strip().lower() in ("1", "true", "yes", "y", "on")
    return value


def preview(value: Any, name: str) -> str:
    """One line of JSON, cut with a hint when long (variables can be kilobytes)."""
    text = json.dumps(value, ensure_ascii=False)
    if len(text) <= PREVIEW_CHARS:
        return text
    return f"{text[:PREVIEW_CHARS]}… ({len(text)} chars; `show {name}` for all)"


# ----------------------------------------------------------------------------- emulator
class DemoEmulator:
    """`python -m tests.emulator --port 0 --seed demo --auto-consent` as a child process."""

    def __init__(self, python: str, timeout: float = 30) -> None:
        self.proc = subprocess.Popen(
            [python, "-m", "tests.emulator", "--port", "0", "--seed", "demo", "--auto-consent"],
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )
        self.info: dict[str, str] = {}
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            for line in self.proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + timeout
        seen: list[str] = []
        while "refresh_token" not in self.info:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                self.stop()
                raise RuntimeError("emulator did not start:\n" + "".join(seen))
            seen.append(line)
            if "listening on http://" in line:
                self.info["host"] = line.split("http://", 1)[1].strip()
            key, sep, value = line.strip().partition(":")
            if sep and key in ("user", "client_id", "client_secret", "access_token",
                               "refresh_token"):
                self.info[key] = value.strip()

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


# ----------------------------------------------------------------------------- console
class Console:
    def __init__(self, plugin: PluginProcess, info: dict[str, str], out=sys.stdout) -> None:
        self.plugin = plugin
        self.info = info
        self.out = out
        self.mode = "oauth"
        self.tools = load_tools()
        self.failures = 0
        self.last_variables: dict[str, Any] = {}
        self.last_blob: tuple[bytes, dict] | None = None
        self.file_server: FileServer | None = None

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    @property
    def system_credentials(self) -> dict[str, str]:
        return {"client_id": self.info.get("client_id", ""),
                "client_secret": self.info.get("client_secret", "")}

    def credentials(self) -> tuple[dict[str, str], str]:
        if self.mode == "manual":
            return {**self.system_credentials,
                    "refresh_token": self.info.get("refresh_token", "")}, "api-key"
        return {"access_token": self.info.get("access_token", ""),
                "refresh_token": self.info.get("refresh_token", "")}, "oauth2"

    # -- commands
    def do_help(self, args: list[str]) -> None:
        if args:
            for name in args:
                self.describe_tool(name)
            return
        self.say(__doc__.split("\n\n")[1] if __doc__ else "")
        self.say("Commands:\n"
                 "  tools                         list tools and their parameters\n"
                 "  help TOOL                     parameters of one tool\n"
                 "  call <tool> key=value ...     invoke a tool as Dify does\n"
                 "                                (file=@PATH: a local file, as Dify passes one)\n"
                 "  show NAME                     a variable of the last call in full\n"
                 f"  save [FILE]                   write the last exported file into {DEMO_DIR}\n"
                 "  creds oauth|manual            credential type used by `call`\n"
                 "  oauth                         walk the OAuth hooks against the emulator\n"
                 "  clear                         clear the screen\n"
                 "  help, quit")

    def do_tools(self, _args: list[str]) -> None:
        for name in self.tools:
            self.describe_tool(name)

    def describe_tool(self, name: str) -> None:
        data = self.tools.get(name)
        if data is None:
            self.say(f"unknown tool {name!r}; tools: {', '.join(self.tools)}")
            return
        if "error" in data:
            self.say(f"{name}: BROKEN DECLARATION: {data['error']}")
            return
        label = (data.get("identity", {}).get("label") or {}).get("en_US", "")
        self.say(f"{name} — {label}")
        for p in data.get("parameters") or []:
            req = "required" if p.get("required") else "optional"
            opts = [o.get("value") for o in p.get("options") or []]
            extra = f" one of {opts}" if opts else ""
            desc = p.get("llm_description") or (p.get("human_description") or {}).get(
                "en_US", "")
            self.say(f"    {p['name']} ({p.get('type')}, {req}){extra}: {desc}")

    def do_clear(self, _args: list[str]) -> None:
        self.out.write("\033[H\033[2J")
        self.out.flush()

    def do_show(self, args: list[str]) -> None:
        if not args:
            names = ", ".join(self.last_variables) or "none yet"
            self.say(f"usage: show NAME (variables of the last call: {names})")
            return
        for name in args:
            if name not in self.last_variables:
                self.say(f"no variable {name!r} in the last call; "
                         f"have: {', '.join(self.last_variables) or 'none'}")
                continue
            value = json.dumps(self.last_variables[name], ensure_ascii=False, indent=2)
            self.say(f"{name} = {value}")

    def do_save(self, args: list[str]) -> None:
        if self.last_blob is None:
            self.say("nothing to save yet: call export_events_ics first")
            return
        data, meta = self.last_blob
        target = save_path(args[0] if args else (meta.get("filename") or "export.ics"))
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        except OSError as exc:
            self.say(f"cannot write {target}: {exc.strerror or exc}")
            return
        self.say(f"saved {len(data)} bytes to {target}")

    def local_file(self, path: str) -> dict:
        """A Dify file parameter whose signed URL serves the local file (tests/dify_files.py)."""
        source = Path(path).expanduser()
        content = source.read_bytes()
        if self.file_server is None:
            self.file_server = FileServer()
        return self.file_server.parameter(source.name, content)

    def close(self) -> None:
        if self.file_server is not None:
            self.file_server.__exit__(None, None, None)

    def do_creds(self, args: list[str]) -> None:
        if args and args[0] in ("oauth", "manual"):
            self.mode = args[0]
        self.say(f"credentials: {self.mode}")

    def do_call(self, args: list[str]) -> None:
        if not args:
            self.say("usage: call <tool> key=value ...   (`tools` lists them)")
            return
        tool, params = args[0], {}
        if tool not in self.tools:
            self.say(f"unknown tool {tool!r}; tools: {', '.join(self.tools)}")
            return
        declared = {p["name"]: p.get("type")
                    for p in (self.tools[tool].get("parameters") or [])}
        for item in args[1:]:
            key, sep, value = item.partition("=")
            if not sep:
                self.say(f"ignored {item!r}: expected key=value")
                continue
            if key not in declared:
                self.say(f"note: {tool} declares no parameter {key!r}")
            try:
                params[key] = (self.local_file(value[1:]) if value.startswith(FILE_PREFIX)
                               else convert(value, declared.get(key)))
            except OSError as exc:
                self.say(f"not called: cannot read {value[1:]}: {exc.strerror or exc}")
                return
            except ValueError as exc:
                self.say(f"not called: {key} {exc} (`help {tool}` lists the parameters)")
                return
        creds, ctype = self.credentials()
        self.say(f"> invoke_tool {tool} {json.dumps(params, ensure_ascii=False)}")
        started = time.monotonic()
        try:
            result = self.plugin.invoke_tool(tool, params, creds, credential_type=ctype)
        except PluginInvokeError as exc:
            self.failures += 1
            self.say(f"ERROR ({exc.error_type}): {exc.message}")
            self.say("--- agent view ---")
            self.say(exc.agent_view)
            return
        self.print_result(result, time.monotonic() - started)

    def print_result(self, result: ToolResult, elapsed: float) -> None:
        self.last_variables = {}
        for msg in result.messages:
            kind, body = msg.get("type"), msg.get("message") or {}
            if kind == "text":
                self.say(f"[text] {body.get('text', '')}")
            elif kind == "json":
                self.last_variables["json"] = body.get("json_object")
                self.say(f"[json] {preview(body.get('json_object'), 'json')}")
            elif kind == "variable":
                name = str(body.get("variable_name"))
                self.last_variables[name] = body.get("variable_value")
                self.say(f"[variable] {name} = {preview(body.get('variable_value'), name)}")
            elif kind == "blob":
                meta = msg.get("meta") or {}
                self.last_blob = (body.get("blob", b""), meta)
                self.say(f"[blob] {len(body.get('blob', b''))} bytes "
                         f"{meta.get('mime_type', '')} {meta.get('filename', '')}".rstrip())
            else:
                self.say(f"[{kind}] {json.dumps(body, ensure_ascii=False, default=str)}")
        self.say(f"--- agent view ({len(result.agent_view)} chars, {elapsed:.2f}s) ---")
        self.say(result.agent_view)
        if self.last_blob is not None and any(m.get("type") == "blob" for m in result.messages):
            self.say("(`save [FILE]` writes the file)")

    def do_oauth(self, _args: list[str]) -> None:
        system = self.system_credentials
        try:
            url = self.plugin.oauth_authorization_url(REDIRECT_URI, system)
            parts = urlsplit(url)
            self.say(f"1. authorization URL: {parts.scheme}://{parts.netloc}{parts.path}?…")
            conn = http.client.HTTPConnection(parts.netloc, timeout=15)
            conn.request("GET", f"{parts.path}?{parts.query}")
            response = conn.getresponse()
            location = response.getheader("Location") or ""
            conn.close()
            if response.status not in (302, 303) or not location:
                self.say(f"2. consent did not redirect (HTTP {response.status})")
                self.failures += 1
                return
            self.say(f"2. emulator consent → redirect with "
                     f"{', '.join(k.split('=')[0] for k in urlsplit(location).query.split('&'))}")
            granted = self.plugin.oauth_get_credentials(REDIRECT_URI, system, location)
            creds = granted["credentials"]
            self.say(f"3. get_credentials: access_token={mask(creds.get('access_token'))} "
                     f"refresh_token={mask(creds.get('refresh_token'))} "
                     f"expires_at={granted.get('expires_at')}")
            refreshed = self.plugin.oauth_refresh_credentials(REDIRECT_URI, system, creds)
            new = refreshed["credentials"]
            kept = new.get("refresh_token") == creds.get("refresh_token")
            self.say(f"4. refresh_credentials: access_token={mask(new.get('access_token'))} "
                     f"refresh token carried forward: {kept} "
                     f"expires_at={refreshed.get('expires_at')}")
            self.info["access_token"] = new.get("access_token", "")
            self.info["refresh_token"] = new.get("refresh_token", "")
            self.say("   `call` now uses these credentials")
        except PluginInvokeError as exc:
            self.failures += 1
            self.say(f"ERROR ({exc.error_type}): {exc.message}")

    def run_line(self, line: str) -> bool:
        """Run one command; False means quit."""
        try:
            words = shlex.split(line)
        except ValueError as exc:
            self.say(f"cannot parse: {exc}")
            return True
        if not words:
            return True
        cmd, args = words[0].lower(), words[1:]
        if cmd in ("quit", "exit", "q"):
            return False
        handler = getattr(self, f"do_{cmd}", None)
        if handler is None and words[0] in self.tools:
            self.say(f"{words[0]} is a tool: type `call {line.strip()}`")
            return True
        if handler is None:
            self.say(f"unknown command {cmd!r}; try `help`")
            return True
        try:
            handler(args)
        except PluginProcessError as exc:
            self.failures += 1
            self.say(f"PLUGIN PROCESS ERROR: {exc}")
            return self.plugin.alive
        except Exception as exc:  # a console bug must not end the session
            self.say(f"console error in `{cmd}`: {type(exc).__name__}: {exc}")
        return True

    def repl(self, stream) -> None:
        interactive = stream.isatty()
        if interactive:
            with contextlib.suppress(ImportError):
                import readline  # noqa: F401  (line editing and history)
        while True:
            try:
                line = input("gcal> ") if interactive else stream.readline()
            except EOFError:
                break
            except KeyboardInterrupt:
                self.say("\n(Ctrl-D or `quit` ends the console)")
                continue
            if not interactive and not line:
                break
            if not interactive and line.strip():
                self.say(f"gcal> {line.strip()}")
            if not self.run_line(line):
                break


def save_path(name: str) -> Path:
    """An absolute path stays as given; a bare or relative name goes into the demo folder."""
    path = Path(name).expanduser()
    return path if path.is_absolute() else DEMO_DIR / path


def _exit_on_hangup_or_term() -> None:
    """Closing the terminal (SIGHUP) or `kill` (SIGTERM) runs the clean-up below: the emulator
    and the plugin run in their own sessions and would not get the terminal's signal."""
    def leave(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    for name in ("SIGHUP", "SIGTERM"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), leave)


def main(argv: list[str] | None = None) -> int:
    _exit_on_hangup_or_term()
    parser = argparse.ArgumentParser(description="Google Calendar plugin demo console")
    parser.add_argument("--call", nargs=argparse.REMAINDER, metavar="TOOL key=value",
                        help="invoke one tool and exit")
    parser.add_argument("--emulator", help="use this running emulator (host:port)")
    parser.add_argument("--access-token", default="")
    parser.add_argument("--refresh-token", default="")
    parser.add_argument("--client-id", default="")
    parser.add_argument("--client-secret", default="")
    parser.add_argument("--manual", action="store_true", help="use the manual credential type")
    parser.add_argument("--python", default=None, help="interpreter for the plugin")
    args = parser.parse_args(argv)

    python = args.python or default_python()
    emulator = None
    if args.emulator:
        info = {"host": args.emulator, "access_token": args.access_token,
                "refresh_token": args.refresh_token, "client_id": args.client_id,
                "client_secret": args.client_secret}
    else:
        emulator = DemoEmulator(python)
        info = emulator.info
    try:
        print(f"emulator: http://{info['host']}  user: {info.get('user', '?')}", file=sys.stderr)
        with PluginProcess(emulator_host=info["host"], python=python) as plugin:
            print(f"plugin: pid {plugin.pid}, {len(load_tools())} tools "
                  "(type `help`)" if args.call is None else f"plugin: pid {plugin.pid}",
                  file=sys.stderr)
            console = Console(plugin, info)
            if args.manual:
                console.mode = "manual"
            try:
                if args.call is not None:
                    console.do_call(args.call)
                else:
                    console.repl(sys.stdin)
            finally:
                console.close()
            return 1 if console.failures else 0
    except (PluginProcessError, RuntimeError) as exc:
        print(f"console: {exc}", file=sys.stderr)
        return 2
    finally:
        if emulator is not None:
            emulator.stop()


if __name__ == "__main__":
    raise SystemExit(main())
