#!/usr/bin/env python3
"""vpp_papi side of `vpp-benchmarks codec` (started by it; not meant to be run by hand).

The Swift benchmark writes the messages it measures to a JSON-lines file (name, wire bytes in
hex, canonical JSON) and starts this script. The script loads the same .api.json set into
vpp_papi, prepares pack input from the canonical JSON, checks that pack gives the same bytes,
then answers timing requests on stdin, one JSON object per line:

  {"op": "calibrate", "msg": i, "kind": K, "target": seconds} -> {"iters": n}
  {"op": "run", "msg": i, "kind": K, "iters": n}               -> {"seconds": t}
  {"op": "loadtime", "count": n}  -> {"seconds": [...]}  (load_api in n fresh processes)
  {"op": "quit"}

Kinds: unpack (default type conversion), unpack_ntc (no_type_conversion), unpack_json
(unpack, then dicts and json.dumps), pack (from a prepared dict), loads_pack (json.loads of
that dict's JSON text, then pack). Only protocol lines go to stdout; problems go to stderr.

`papi_bench.py --load-only --api-dir DIR` prints the seconds one load_api takes.
"""

import argparse
import enum
import json
import platform
import subprocess
import sys
import time


def load_api(api_dir):
    from vpp_papi.vpp_papi import VPPApiJSONFiles

    start = time.perf_counter()
    _, messages, _ = VPPApiJSONFiles.load_api(apidir=api_dir)
    return messages, time.perf_counter() - start


def to_papi(value, packer):
    """Canonical JSON (as parsed by json.loads) -> what vpp_papi's pack takes for `packer`:
    enum names and flag lists become ints, u8 arrays ("0x..") become bytes, and addresses,
    prefixes and MACs stay text (vpp_papi converts text itself)."""
    from vpp_papi import vpp_format
    from vpp_papi import vpp_serializer as s

    if value is None:
        return None
    if isinstance(packer, s.VPPEnumType):  # also enumflags
        if isinstance(value, str):
            return int(packer.enum[value])
        if isinstance(value, list):
            bits = 0
            for v in value:
                bits |= int(packer.enum[v]) if isinstance(v, str) else int(v)
            return bits
        return value
    if isinstance(packer, s.VPPTypeAlias):
        if isinstance(value, str) and packer.name in vpp_format.conversion_table:
            return value
        return to_papi(value, packer.packer)
    if isinstance(packer, s.VPPUnionType):
        return {k: to_papi(v, packer.packers[k]) for k, v in value.items()}
    if isinstance(packer, s.VPPType):  # typedefs and messages
        if isinstance(value, str) and packer.name in vpp_format.conversion_table:
            return value
        return {
            name: to_papi(value[name], p)
            for name, p in zip(packer.fields, packer.packers)
            if name in value
        }
    u8_array = isinstance(packer, s.FixedList_u8) or (
        isinstance(packer, (s.VLAList, s.VLAList_legacy)) and packer.field_type == "u8")
    if u8_array and isinstance(value, str):  # "0x..." hex
        return bytes.fromhex(value[2:] if value.startswith("0x") else value)
    if isinstance(packer, (s.FixedList, s.VLAList, s.VLAList_legacy)):
        return [to_papi(v, packer.packer) for v in value]
    return value  # numbers, booleans, strings


def to_jsonable(x):
    """An unpacked message -> what json.dumps can write (namedtuples become objects)."""
    if isinstance(x, tuple) and hasattr(x, "_asdict"):
        return {k: to_jsonable(v) for k, v in zip(x._fields, x)}
    if isinstance(x, list):
        return [to_jsonable(v) for v in x]
    if isinstance(x, enum.Enum):
        return int(x)
    if isinstance(x, (bytes, bytearray)):
        return "0x" + x.hex()
    if isinstance(x, (int, float, str, bool)) or x is None:
        return x
    return str(x)  # IPv4Address, IPv4Network, MACAddress, ...


class Message:
    HEADER = ("_vl_msg_id", "client_index", "context")

    def __init__(self, line, msgdefs):
        spec = json.loads(line)
        self.name = spec["name"]
        self.msgdef = msgdefs[self.name]
        self.bytes = bytes.fromhex(spec["hex"])
        raw, _ = self.msgdef.unpack(self.bytes, ntc=True)
        self.papi_input = to_papi(spec["json"], self.msgdef)
        for i, field in enumerate(self.msgdef.fields):
            if field in self.HEADER:
                self.papi_input[field] = raw[i]
        self.papi_text = json.dumps(self.papi_input)
        self.pack_matches = self.msgdef.pack(self.papi_input) == self.bytes
        if not self.pack_matches:
            print(f"papi_bench: vpp_papi packs {self.name} differently from the Swift codec",
                  file=sys.stderr)

    def workload(self, kind):
        unpack, pack, data = self.msgdef.unpack, self.msgdef.pack, self.bytes
        dumps, loads = json.dumps, json.loads
        papi_input, papi_text = self.papi_input, self.papi_text

        if kind == "unpack":
            def run(n):
                for _ in range(n):
                    unpack(data)
        elif kind == "unpack_ntc":
            def run(n):
                for _ in range(n):
                    unpack(data, ntc=True)
        elif kind == "unpack_json":
            def run(n):
                for _ in range(n):
                    dumps(to_jsonable(unpack(data)[0]))
        elif kind == "pack":
            def run(n):
                for _ in range(n):
                    pack(papi_input)
        elif kind == "loads_pack":
            def run(n):
                for _ in range(n):
                    pack(loads(papi_text))
        else:
            raise ValueError(f"unknown kind {kind!r}")
        return run


def timed(run, n):
    start = time.perf_counter()
    run(n)
    return time.perf_counter() - start


def calibrate(run, target):
    n = 1
    while True:
        t = timed(run, n)
        if t >= 0.02:
            return max(1, round(target * n / t))
        n = n * 8 if t < 0.002 else n * 2


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--api-dir", required=True)
    ap.add_argument("--messages")
    ap.add_argument("--load-only", action="store_true")
    args = ap.parse_args()

    try:
        import vpp_papi
    except ImportError as e:
        reply({"error": f"cannot import vpp_papi ({e}); run Benchmarks/run.sh to install it"})
        return 1

    if args.load_only:
        _, seconds = load_api(args.api_dir)
        print(seconds)
        return 0

    try:
        msgdefs, load_s = load_api(args.api_dir)
        with open(args.messages) as f:
            messages = [Message(line, msgdefs) for line in f if line.strip()]
    except Exception as e:  # report, do not hang the Swift side
        reply({"error": f"{type(e).__name__}: {e}"})
        return 1

    version = getattr(vpp_papi, "__version__", None)
    if version is None:
        from importlib.metadata import version as dist_version
        version = dist_version("vpp_papi")
    reply({
        "papi_version": version,
        "python_version": platform.python_version(),
        "load_s": load_s,
        "pack_matches": [m.pack_matches for m in messages],
    })

    runs = {}
    for line in sys.stdin:
        try:
            req = json.loads(line)
            op = req["op"]
            if op == "quit":
                break
            if op == "loadtime":
                seconds = []
                for _ in range(int(req["count"])):
                    out = subprocess.run(
                        [sys.executable, __file__, "--load-only", "--api-dir", args.api_dir],
                        check=True, capture_output=True, text=True)
                    seconds.append(float(out.stdout.strip().splitlines()[-1]))
                reply({"seconds": seconds})
                continue
            key = (int(req["msg"]), req["kind"])
            if key not in runs:
                runs[key] = messages[key[0]].workload(key[1])
            run = runs[key]
            if op == "calibrate":
                reply({"iters": calibrate(run, float(req["target"]))})
            elif op == "run":
                reply({"seconds": timed(run, int(req["iters"]))})
            else:
                reply({"error": f"unknown op {op!r}"})
        except Exception as e:
            reply({"error": f"{type(e).__name__}: {e}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
