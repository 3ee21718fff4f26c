#!/usr/bin/env python3
"""The soak test: a gateway under mixed load for a minute, with a VPP restart in the middle.

Starts `vpp-gateway simulate` (one process) and `vpp-gateway serve` against it (another), then
for --duration seconds drives, all at once:

- mixed calls on keep-alive connections: show_version, sw_interface_set_flags,
  create_loopback + delete_loopback, cli_inband;
- dumps: sw_interface_dump of every interface;
- --subscribers SSE subscribers of sw_interface_event that read as fast as they can, while the
  simulator toggles links (--event-rate) and the calls above change admin states;
- at --restart-at seconds the simulator process is killed (SIGKILL, like a crashed VPP) and
  started again.

Checks (each one line, PASS or FAIL, then `soak: N passed, M failed`):

- the gateway process never exits;
- RSS: after a warm-up that fills the hub's replay ring (which otherwise grows the heap for
  the first minutes), `plateau` is the median VmRSS of the gateway sampled once a second
  during seconds [--plateau-from, --plateau-to) of the load; `after` is VmRSS --settle seconds
  after the load stops (subscribers closed). after <= plateau * (1 + --rss-tolerance);
- every subscriber opened with 200;
- every subscriber that kept up (never sent `overflow`) received every event: the SSE ids
  (the hub's monotonic sequence) are consecutive within each connected span, and the restart
  shows as exactly one `vpp-disconnected` followed by one `vpp-connected`, with events flowing
  again afterwards; all of them agree on the last id before the restart;
- calls: none answered 5xx except 503/504 while VPP is away (restart window), and no
  transport errors outside that window; the gateway answers /readyz and show_version after;
- SIGTERM shuts the gateway down cleanly (exit status 0).

Only the Python standard library is used. Linux only (/proc).
"""

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time

# ---------------------------------------------------------------- HTTP/1.1 over asyncio


class HTTPError(Exception):
    pass


async def read_head(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise HTTPError("bad status line %r" % lines[0])
    headers = {}
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers


async def read_body(reader, headers):
    if "chunked" in headers.get("transfer-encoding", "").lower():
        out = bytearray()
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                return bytes(out)
            out += await reader.readexactly(size)
            await reader.readexactly(2)
    length = int(headers.get("content-length", "0"))
    return await reader.readexactly(length) if length else b""


class Client:
    """One keep-alive connection, reopened after any error."""

    def __init__(self, port):
        self.port = port
        self.reader = None
        self.writer = None

    async def request(self, method, path, body=None, timeout=15):
        if self.writer is None:
            self.reader, self.writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", self.port), timeout)
        data = body.encode() if body is not None else b""
        head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % (method, path)
        if body is not None or method == "POST":
            head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(data)
        self.writer.write(head.encode() + b"\r\n" + data)
        try:
            status, headers = await asyncio.wait_for(read_head(self.reader), timeout)
            payload = await asyncio.wait_for(read_body(self.reader, headers), timeout)
        except BaseException:
            self.close()
            raise
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, payload

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


# ---------------------------------------------------------------- SSE subscriber


class Subscriber:
    """Reads one SSE stream and keeps what a client must check: ids and control events."""

    def __init__(self, index, port):
        self.index = index
        self.port = port
        self.status = None
        self.error = None
        # Items in arrival order: ("event", id) or ("control", name).
        self.items = []
        self.events = 0
        self.chunked = True
        self.writer = None
        self.task = None

    async def open(self):
        reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(b"GET /v1/events/sw_interface_event HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        self.status, headers = await asyncio.wait_for(read_head(reader), 15)
        if self.status != 200:
            raise HTTPError("status %d" % self.status)
        # The gateway's event streams end with the connection; a chunked one is read too.
        self.chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        if not self.chunked and headers.get("connection", "").lower() != "close":
            raise HTTPError("SSE response is neither chunked nor delimited by the connection's close")
        self.task = asyncio.ensure_future(self.run(reader))

    async def run(self, reader):
        """Dechunks (when chunked) and splits events; stops at the end of the stream or on close()."""
        pending = b""        # undecoded chunked bytes
        text = b""           # dechunked SSE text not yet split into events
        need = None          # bytes left in the current chunk (None: expecting a size line)
        try:
            while True:
                data = await reader.read(256 * 1024)
                if not data:
                    return
                if self.chunked:
                    pending += data
                else:
                    text += data
                while self.chunked:
                    if need is None:
                        end = pending.find(b"\r\n")
                        if end < 0:
                            break
                        size = int(pending[:end].split(b";")[0], 16)
                        pending = pending[end + 2:]
                        if size == 0:
                            return
                        need = size
                    if len(pending) < need + 2:
                        break
                    text += pending[:need]
                    pending = pending[need + 2:]
                    need = None
                if b"\n\n" in text:
                    blocks = text.split(b"\n\n")
                    text = blocks.pop()
                    for block in blocks:
                        self.frame(block)
        except (asyncio.CancelledError, ConnectionError):
            return
        except Exception as e:  # a parse error is a failure of the stream
            self.error = "%s: %s" % (type(e).__name__, e)

    def frame(self, block):
        event_id = None
        name = "message"
        has_data = False
        for line in block.split(b"\n"):
            if line.startswith(b"id: "):
                event_id = int(line[4:])
            elif line.startswith(b"event: "):
                name = line[7:].decode()
            elif line.startswith(b"data: "):
                has_data = True
        if not has_data:
            return  # comments, heartbeats, retry hints
        if name == "sw_interface_event":
            if event_id is None:
                self.error = "an event without an id"
            self.items.append(("event", event_id))
            self.events += 1
        else:
            self.items.append(("control", name))

    def close(self):
        if self.writer is not None:
            self.writer.close()
        if self.task is not None:
            self.task.cancel()

    def analyse(self):
        """The stream as a client sees it across a restart.

        Returns (controls, segments, gaps, while_down): the control events with consecutive
        repeats collapsed, the event ids of each connected span (a new span starts at each
        `vpp-connected`), the id pairs that are not consecutive within a span, and how many
        events arrived between a `vpp-disconnected` and the next `vpp-connected`.
        """
        controls = []
        segments = [[]]
        down = False
        while_down = 0
        for kind, value in self.items:
            if kind == "control":
                if not controls or controls[-1] != value:
                    controls.append(value)
                if value == "vpp-disconnected":
                    down = True
                elif value == "vpp-connected":
                    down = False
                    segments.append([])
            else:
                if down:
                    while_down += 1
                segments[-1].append(value)
        gaps = []
        for span in segments:
            for a, b in zip(span, span[1:]):
                if b != a + 1:
                    gaps.append((a, b))
        return controls, segments, gaps, while_down

    def repeated_disconnects(self):
        """How many `vpp-disconnected` came in a row at most (the gateway may repeat it)."""
        most = run = 0
        for kind, value in self.items:
            if kind == "control" and value == "vpp-disconnected":
                run += 1
                most = max(most, run)
            elif kind == "control":
                run = 0
        return most


# ---------------------------------------------------------------- processes and sampling


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def start_simulator(args, log):
    return subprocess.Popen(
        [args.binary, "simulate", "--socket", args.socket, "--interfaces", str(args.interfaces),
         "--event-rate", str(args.event_rate)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


async def wait_ready(port, deadline):
    client = Client(port)
    while time.monotonic() < deadline:
        try:
            status, _ = await client.request("GET", "/readyz", timeout=2)
            if status == 200:
                client.close()
                return True
        except Exception:
            client.close()
        await asyncio.sleep(0.1)
    return False


async def warm_up(args):
    """Fills the hub's replay ring (4096 events by default) before anything is measured.

    The ring keeps the last events for Last-Event-ID, so the gateway's memory grows until it
    is full (about 1 KiB an event): without this, RSS climbs for the first minutes whatever
    the load, and a plateau taken at 10-20 s would not be a plateau. One subscriber holds the
    registration while --warmup-events admin-state changes (each is one sw_interface_event)
    are made; it returns how many calls succeeded.
    """
    holder = Subscriber(-1, args.port)
    await holder.open()
    done = 0

    async def worker(w):
        nonlocal done
        client = Client(args.port)
        n = w
        while n < args.warmup_events:
            index = n % args.interfaces + 1
            up = (n // args.interfaces) % 2 == 0
            body = json.dumps({"sw_if_index": index, "flags": ["IF_STATUS_API_FLAG_ADMIN_UP"] if up else []})
            status, _ = await client.request("POST", "/v1/sw_interface_set_flags", body)
            if status == 200:
                done += 1
            n += args.callers
        client.close()

    await asyncio.gather(*(worker(w) for w in range(args.callers)))
    await asyncio.sleep(0.5)
    holder.close()
    return done, holder.events


# ---------------------------------------------------------------- load


class Load:
    def __init__(self, args):
        self.args = args
        self.calls = {}          # operation -> count of answers
        self.statuses = {}       # status -> count
        self.bad = []            # (t, operation, status or error) outside what is allowed
        self.away = []           # (t, operation, status or error) while VPP was away
        self.stop = False
        self.t0 = None
        self.restart_window = None  # (from, to) seconds, set by the restarter

    def in_restart_window(self, t):
        w = self.restart_window
        return w is not None and w[0] <= t <= w[1]

    def record(self, op, status, error=None):
        t = time.monotonic() - self.t0
        self.calls[op] = self.calls.get(op, 0) + 1
        key = status if error is None else "error"
        self.statuses[key] = self.statuses.get(key, 0) + 1
        what = error or status
        if error is not None or status >= 500:
            if (error is not None or status in (503, 504)) and self.in_restart_window(t):
                self.away.append((round(t, 2), op, what))
            else:
                self.bad.append((round(t, 2), op, what))

    async def call(self, client, op, method, path, body=None, ok=(200,)):
        try:
            status, payload = await client.request(method, path, body)
        except Exception as e:
            self.record(op, None, "%s %s" % (type(e).__name__, e))
            return None
        self.record(op, status)
        if status not in ok and status < 500:
            t = time.monotonic() - self.t0
            self.bad.append((round(t, 2), op, "%d %s" % (status, payload[:200].decode("utf-8", "replace"))))
        return (status, payload)

    async def caller(self, worker):
        """Mixed calls: show_version, set_flags, a loopback created and deleted, cli_inband."""
        client = Client(self.args.port)
        rng = random.Random(worker)
        while not self.stop:
            n = rng.randrange(100)
            if n < 30:
                await self.call(client, "show_version", "GET", "/v1/show_version")
            elif n < 65:
                body = json.dumps({"sw_if_index": rng.randrange(1, self.args.interfaces + 1),
                                   "flags": ["IF_STATUS_API_FLAG_ADMIN_UP"] if rng.random() < 0.5 else []})
                await self.call(client, "sw_interface_set_flags", "POST", "/v1/sw_interface_set_flags", body)
            elif n < 85:
                r = await self.call(client, "create_loopback", "POST", "/v1/create_loopback", "{}")
                if r and r[0] == 200:
                    index = json.loads(r[1])["sw_if_index"]
                    # 422 (no such interface) is possible only if VPP restarted in between.
                    await self.call(client, "delete_loopback", "POST", "/v1/delete_loopback",
                                    json.dumps({"sw_if_index": index}), ok=(200, 422))
            else:
                await self.call(client, "cli_inband", "POST", "/v1/cli_inband", '{"cmd":"show version"}')
            await asyncio.sleep(self.args.call_pause)
        client.close()

    async def dumper(self):
        client = Client(self.args.port)
        while not self.stop:
            r = await self.call(client, "sw_interface_dump", "GET", "/v1/sw_interface_dump")
            if r and r[0] == 200:
                items = json.loads(r[1])
                if len(items) < self.args.interfaces + 1:
                    t = time.monotonic() - self.t0
                    self.bad.append((round(t, 2), "sw_interface_dump", "only %d details" % len(items)))
            await asyncio.sleep(self.args.dump_pause)
        client.close()


# ---------------------------------------------------------------- the run


async def soak(args):
    results = []

    def check(name, ok, detail):
        results.append((name, ok, detail))
        print("%s  %-34s %s" % ("PASS" if ok else "FAIL", name, detail), flush=True)

    os.makedirs(args.workdir, exist_ok=True)
    sim_log = open(os.path.join(args.workdir, "simulator.log"), "ab")
    gw_log = open(os.path.join(args.workdir, "gateway.log"), "ab")
    simulator = start_simulator(args, sim_log)
    gateway = subprocess.Popen(
        [args.binary, "serve", "--socket", args.socket, "--listen", "127.0.0.1:%d" % args.port,
         "--allow", "*", "--allow", "cli_inband", "--max-sse-per-client", str(args.subscribers + 100),
         "--log-level", "warning"],
        stdout=gw_log, stderr=subprocess.STDOUT, start_new_session=True)
    subscribers = []
    samples = []  # (t, rss KiB)
    load = Load(args)
    try:
        if not await wait_ready(args.port, time.monotonic() + 30):
            check("gateway ready", False, "no /readyz 200 within 30 s (see %s)" % gw_log.name)
            return results

        warm_started = time.monotonic()
        warm_calls, warm_events = await warm_up(args)
        print("warm-up: %d state changes, %d events in the replay ring, %.1f s"
              % (warm_calls, warm_events, time.monotonic() - warm_started), flush=True)

        # Subscribers first, so every one of them sees the whole load.
        subscribers = [Subscriber(i, args.port) for i in range(args.subscribers)]
        opened = await asyncio.gather(*(s.open() for s in subscribers), return_exceptions=True)
        failures = [(s.index, e) for s, e in zip(subscribers, opened) if isinstance(e, BaseException)]
        check("subscribers opened", not failures,
              "%d of %d answered 200%s" % (len(subscribers) - len(failures), len(subscribers),
                                            "; first failure: %r" % (failures[0],) if failures else ""))

        load.t0 = time.monotonic()
        died_at = None
        tasks = [asyncio.ensure_future(load.caller(w)) for w in range(args.callers)]
        tasks += [asyncio.ensure_future(load.dumper()) for _ in range(args.dumpers)]
        restart_info = {}

        async def restarter():
            await asyncio.sleep(args.restart_at)
            t = time.monotonic() - load.t0
            load.restart_window = (t - 0.5, t + args.restart_grace)
            os.killpg(simulator.pid, signal.SIGKILL)
            simulator.wait()
            await asyncio.sleep(args.restart_down)
            restart_info["new"] = start_simulator(args, sim_log)
            restart_info["killed_at"] = round(t, 1)
            ready = await wait_ready(args.port, time.monotonic() + args.restart_grace)
            restart_info["reconnected_after"] = round(time.monotonic() - load.t0 - t, 2) if ready else None

        tasks.append(asyncio.ensure_future(restarter()))

        # Sample RSS once a second while the load runs; watch the gateway's liveness.
        next_sample = load.t0
        while time.monotonic() - load.t0 < args.duration:
            if gateway.poll() is not None and died_at is None:
                died_at = round(time.monotonic() - load.t0, 1)
                break
            now = time.monotonic()
            if now >= next_sample:
                samples.append((round(now - load.t0, 1), rss_kib(gateway.pid)))
                next_sample += 1
            await asyncio.sleep(0.2)
        load.stop = True
        await asyncio.wait(tasks, timeout=20)
        load_end = time.monotonic()

        # Let the subscribers drain what is in flight, then stop reading.
        last_counts = None
        for _ in range(20):
            counts = [s.events for s in subscribers]
            if counts == last_counts:
                break
            last_counts = counts
            await asyncio.sleep(0.25)
        for s in subscribers:
            s.close()
        await asyncio.sleep(args.settle)
        after = rss_kib(gateway.pid)
        samples.append((round(time.monotonic() - load.t0, 1), after))

        check("gateway alive", died_at is None and gateway.poll() is None,
              "exited at %.1f s with %s" % (died_at, gateway.returncode) if died_at is not None
              else "pid %d ran through %d s of load" % (gateway.pid, args.duration))
        if restart_info.get("new") is not None:
            simulator = restart_info["new"]
        check("simulator restarted", restart_info.get("reconnected_after") is not None,
              "killed at %s s; gateway ready again %s s later" % (restart_info.get("killed_at"),
                                                                   restart_info.get("reconnected_after")))

        # RSS.
        plateau_values = [kib for t, kib in samples if kib and args.plateau_from <= t < args.plateau_to]
        if plateau_values and after:
            plateau = statistics.median(plateau_values)
            peak = max(kib for _, kib in samples if kib)
            limit = plateau * (1 + args.rss_tolerance)
            check("rss back to plateau", after <= limit,
                  "plateau (median of s %d-%d) %.1f MiB, peak %.1f MiB, %d s after the load %.1f MiB (limit %.1f MiB)"
                  % (args.plateau_from, args.plateau_to, plateau / 1024, peak / 1024, args.settle,
                     after / 1024, limit / 1024))
        else:
            check("rss back to plateau", False, "no samples (plateau %r, after %r)" % (plateau_values, after))

        # Subscribers.
        kept_up, slow, broken = [], [], []
        for s in subscribers:
            controls, segments, gaps, while_down = s.analyse()
            if s.error:
                broken.append((s.index, s.error))
            elif "overflow" in controls:
                slow.append(s.index)
            else:
                kept_up.append((s, controls, segments, gaps, while_down))
        check("subscriber streams well-formed", not broken,
              "%d broken%s" % (len(broken), "; first: %r" % (broken[0],) if broken else ""))
        enough = len(kept_up) >= args.subscribers * args.min_kept_up
        check("subscribers kept up", enough,
              "%d of %d never overflowed (need %.0f%%)" % (len(kept_up), args.subscribers, args.min_kept_up * 100))
        with_gaps = [(s.index, gaps[:3]) for s, _, _, gaps, _ in kept_up if gaps]
        total_events = sum(s.events for s, _, _, _, _ in kept_up)
        check("no event lost", bool(kept_up) and not with_gaps,
              "%d events to %d subscribers; %d with gaps within a connected span%s"
              % (total_events, len(kept_up), len(with_gaps), "; first: %r" % (with_gaps[0],) if with_gaps else ""))
        wrong_controls = [(s.index, controls) for s, controls, _, _, _ in kept_up
                          if controls != ["vpp-disconnected", "vpp-connected"]]
        events_while_down = sum(w for _, _, _, _, w in kept_up)
        check("restart announced", bool(kept_up) and not wrong_controls and events_while_down == 0,
              ("every subscriber saw vpp-disconnected then vpp-connected" if not wrong_controls
               else "%d differ; first: %r" % (len(wrong_controls), wrong_controls[0]))
              + ("; %d events arrived while VPP was announced away" % events_while_down if events_while_down else ""))
        repeats = max((s.repeated_disconnects() for s, _, _, _, _ in kept_up), default=0)
        if repeats > 1:
            print("note  vpp-disconnected was sent up to %d times in a row to a subscriber "
                  "(once per failed reconnect attempt)" % repeats, flush=True)
        before_restart = {segments[0][-1] if segments[0] else None for _, _, segments, _, _ in kept_up}
        after_restart = [len(segments[-1]) for _, _, segments, _, _ in kept_up if len(segments) == 2]
        flowing = len(after_restart) == len(kept_up) and bool(after_restart) and min(after_restart) > 0
        check("events agree and flow after restart", len(before_restart) == 1 and None not in before_restart and flowing,
              "last id before the restart: %s; events after it per subscriber: min %s, max %s"
              % (sorted(before_restart, key=lambda v: (v is None, v or 0))[:3],
                 min(after_restart) if after_restart else None, max(after_restart) if after_restart else None))

        # Calls.
        total_calls = sum(load.calls.values())
        check("calls answered", not load.bad and total_calls >= args.min_calls,
              "%d calls %s, statuses %s; %d while VPP was away; %d unexpected%s"
              % (total_calls, dict(sorted(load.calls.items())), dict(sorted(load.statuses.items(), key=str)),
                 len(load.away), len(load.bad), "; first: %r" % (load.bad[:3],) if load.bad else ""))
        client = Client(args.port)
        try:
            ready, _ = await client.request("GET", "/readyz")
            version, _ = await client.request("GET", "/v1/show_version")
        except Exception as e:
            ready = version = "%s" % e
        client.close()
        check("serving after the load", ready == 200 and version == 200,
              "/readyz %s, show_version %s" % (ready, version))

        # A clean shutdown.
        gateway.send_signal(signal.SIGTERM)
        try:
            code = gateway.wait(timeout=20)
        except subprocess.TimeoutExpired:
            code = "still running after 20 s"
        check("clean shutdown", code == 0, "exit status %s" % code)
        print("rss samples (s, MiB): " + " ".join("%s:%.0f" % (t, kib / 1024) for t, kib in samples if kib),
              flush=True)
        print("load ran %.1f s" % (load_end - load.t0), flush=True)
        return results
    finally:
        for s in subscribers:
            s.close()
        for p in (gateway, simulator):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        sim_log.close()
        gw_log.close()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("--duration", type=float, default=60)
    p.add_argument("--restart-at", type=float, default=30)
    p.add_argument("--restart-down", type=float, default=1.0, help="seconds the simulator stays dead")
    p.add_argument("--restart-grace", type=float, default=15, help="seconds 503/504 are allowed after the kill")
    p.add_argument("--subscribers", type=int, default=500)
    p.add_argument("--interfaces", type=int, default=100)
    p.add_argument("--event-rate", type=float, default=20)
    p.add_argument("--callers", type=int, default=6)
    p.add_argument("--call-pause", type=float, default=0.005)
    p.add_argument("--dumpers", type=int, default=2)
    p.add_argument("--dump-pause", type=float, default=0.05)
    p.add_argument("--warmup-events", type=int, default=4500,
                   help="admin-state changes before the load, to fill the hub's 4096-event replay ring")
    p.add_argument("--plateau-from", type=float, default=10)
    p.add_argument("--plateau-to", type=float, default=20)
    p.add_argument("--settle", type=float, default=5)
    p.add_argument("--rss-tolerance", type=float, default=0.10)
    p.add_argument("--min-kept-up", type=float, default=0.95)
    p.add_argument("--min-calls", type=int, default=1000)
    args = p.parse_args()
    args.socket = os.path.join(args.workdir, "api.sock")
    results = asyncio.run(soak(args))
    failed = sum(1 for _, ok, _ in results if not ok)
    print("soak: %d passed, %d failed" % (len(results) - failed, failed), flush=True)
    sys.exit(1 if failed or not results else 0)


if __name__ == "__main__":
    main()
