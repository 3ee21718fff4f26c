"""Samples: random values packed by vpp_papi, with the JSON our tool is expected to produce.

For each message, `SampleMaker.make_samples` draws N value sets (sample 0 all zero, 1 all
maximum, 2 all minimum, 3 random with every api.json-defaulted field left out of papi's input,
5 no field at all so that papi fills every default, the rest random; see generate.py), has
vpp_papi pack them (msg id 0x0100 + the message's index, the fixed or per-message header),
unpacks them again and renders the expected canonical JSON. Only bytes that papi itself
produced and can read back are used, so a mismatch is a disagreement with papi, not with
this script's idea of the wire format.

It also proves each expected JSON lossless (rendered -> ToPapi -> pack gives the same bytes;
if not, README 3.9 says the bytes cannot round-trip and the encode check is skipped), and
builds the extra encode inputs: for samples 0, 3 and 5 a *partial* JSON (fields equal to what
an absent field encodes to, README 3.8, and VLA length fields left out), for sample 4 the
*lenient* JSON of README 3.10. `selftest` checks the normaliser on the public vectors first.
"""

import json
import os
import random

from .canonical import Render, ToPapi
from .compare import compare, first_diff_offset
from .generate import Gen
from .papi import zero_value
from .schema import CLIENT_INDEX, CONTEXT, HEADER_FIELDS, SPECIAL, SkipSample


class Sample:
    """One generated message: papi's bytes (`hex`) and values, the expected canonical JSON, and
    the extra encode inputs (partial, lenient) when this sample gets them."""

    __slots__ = ("msg", "mode", "tags", "hex", "papi_out", "expected", "typemap",
                 "roundtrip", "partial", "lenient")

    def __init__(self, msg, mode):
        self.msg, self.mode = msg, mode
        self.tags = set()
        self.partial = None
        self.lenient = None
        self.roundtrip = True


class SampleMaker:
    """Makes the samples of each message with vpp_papi. Notes (skipped samples, papi quirks)
    go straight into `results`: this runs in the main thread, in message order."""

    NOTHING = object()

    def __init__(self, schema, papi_messages, results, seed, per_message, random_header, valid_prefix_len):
        self.s = schema
        self.papi = papi_messages
        self.res = results
        self.seed = seed
        self.per_message = per_message
        self.random_header = random_header
        self.valid_prefix_len = valid_prefix_len
        self.render = Render(schema)
        self.topapi = ToPapi(schema)
        self.msg_ids = {name: 0x100 + i for i, name in enumerate(schema.order)}
        self.headers = {}  # message name -> (client_index, context) its samples carry

    def defaulted_paths(self, fields, d, prefix=()):
        """Paths of fields (top level or nested non-array typedefs) that carry a default."""
        out = []
        for f in fields:
            if prefix == () and f.name in HEADER_FIELDS:
                continue
            if "default" in f.opts and f.length is None:
                out.append(prefix + (f.name,))
            elif f.length is None and self.s.kind(f.type) == "struct" and isinstance(d.get(f.name), dict):
                out += self.defaulted_paths(self.s.struct(f.type), d[f.name], prefix + (f.name,))
        return out

    def papi_minimal(self, fields):
        """The smallest vpp_papi input: nothing, except that papi cannot pack an absent fixed
        array of non-u8 elements (FixedList.pack(None) raises), so those get N absent elements."""
        d = {}
        for f in fields:
            if f.type == "string" or f.lenfield or f.name in HEADER_FIELDS:
                continue
            if f.is_array and f.type != "u8":
                d[f.name] = [self.papi_minimal_type(f.type)] * f.length
            elif f.length is None:
                v = self.papi_minimal_type(f.type)
                if v is not None:
                    d[f.name] = v
        return d

    def papi_minimal_type(self, t):
        k = self.s.kind(t)
        if k == "struct" and t not in SPECIAL:
            v = self.papi_minimal(self.s.struct(t))
            return v or None
        if k == "alias":
            a = self.s.alias(t)
            if "length" in a and a["type"] != "u8":
                return [None] * a["length"]
            if "length" not in a:
                return self.papi_minimal_type(a["type"])
        return None

    def default_json(self, f):
        """Canonical JSON of what an absent field encodes to (README 3.8), or NOTHING when
        this script does not claim to know (unions, fixed arrays of composites)."""
        if f.type == "string":
            return ""
        if f.is_array:
            if f.lenfield:
                return "0x" if f.type == "u8" else []
            if f.type == "u8":
                return "0x" + "00" * f.length
            z = self.zero_json(f.type)
            if z is self.NOTHING or isinstance(z, (dict, list)):
                return self.NOTHING
            return [z] * f.length
        if "default" in f.opts:
            return self.default_value_json(f.type, f.opts["default"])
        return self.zero_json(f.type)

    def default_value_json(self, t, d):
        k = self.s.kind(t)
        if k == "int":
            return int(d)
        if k == "f64":
            return float(d)
        if k == "bool":
            return bool(d)  # vpp_papi and README 3.8: truthiness ("true" -> 1, 4294967295 -> 1)
        if k == "enum":
            return Render(self.s).enum(self.s.enum(t), int(d))
        if k == "alias" and "length" not in self.s.alias(t):
            return self.default_value_json(self.s.alias(t)["type"], d)
        return self.NOTHING

    def zero_json(self, t):
        k = self.s.kind(t)
        if k == "int":
            return 0
        if k == "f64":
            return 0.0
        if k == "bool":
            return False
        if k == "enum":
            return Render(self.s).enum(self.s.enum(t), 0)
        if k == "special":
            return Render(self.s).special(t, zero_value(t))
        if k == "alias":
            a = self.s.alias(t)
            if "length" in a:
                if a["type"] == "u8":
                    return "0x" + "00" * a["length"]
                return self.NOTHING
            return self.zero_json(a["type"])
        if k == "struct":
            out = {}
            for f in self.s.struct(t):
                v = self.default_json(f)
                if v is self.NOTHING:
                    return self.NOTHING
                out[f.name] = v
            return out
        return self.NOTHING

    def strip_defaults(self, fields, obj):
        out = {}
        lenfields = set(f.lenfield for f in fields if f.lenfield)
        for f in fields:
            if f.name not in obj or f.name in lenfields:
                continue
            v = obj[f.name]
            dv = self.default_json(f)
            if dv is not self.NOTHING:
                diffs = []
                compare(dv, v, "", diffs, [])
                if not diffs:
                    continue
            if f.length is None and self.s.kind(f.type) == "struct" and isinstance(v, dict):
                v = self.strip_defaults(self.s.struct(f.type), v)
            out[f.name] = v
        return out

    @staticmethod
    def drop_path(d, path):
        for k in path[:-1]:
            d = d[k]
        d.pop(path[-1], None)

    def make_samples(self, name):
        fields = self.s.messages[name][0]
        rng = random.Random("%s:%s" % (self.seed, name))
        if self.random_header:
            self.headers[name] = (rng.choice([0, 1, 0x01000002, rng.getrandbits(32)]),
                                  rng.choice([0, 7, 0xFFFFFFFF, rng.getrandbits(32)]))
        else:
            self.headers[name] = (CLIENT_INDEX, CONTEXT)
        msg = self.papi[name]
        samples = []
        for i in range(self.per_message):
            mode = {0: "zero", 1: "max", 2: "min", 5: "omit-all"}.get(i, "rand")
            smp = Sample(name, mode)
            g = Gen(self.s, rng, mode, valid_prefix_len=self.valid_prefix_len)
            try:
                # "omit-all": vpp_papi gets no field at all and fills every one (nested
                # typedefs included) from its api.json default, else zero
                d = self.papi_minimal(fields) if mode == "omit-all" else g.gen_struct(fields, top=True)
            except SkipSample as e:
                self.res.note("generator skipped a sample: %s" % e)
                continue
            ci, ctx = self.headers[name]
            for f in fields:
                if f.name == "_vl_msg_id":
                    d[f.name] = self.msg_ids[name]
                elif f.name == "client_index":
                    d[f.name] = ci
                elif f.name == "context":
                    d[f.name] = ctx
            if i == 3:
                omitted = self.defaulted_paths(fields, d)
                for p in omitted:
                    self.drop_path(d, p)
                if omitted:
                    smp.tags.add("omitted_defaults")
            smp.tags |= g.tags
            try:
                b = bytes(msg.pack(d))
            except Exception as e:  # papi refuses the value
                self.res.note("vpp_papi refused to pack (sample skipped): %s" % type(e).__name__,
                              "%s: %s" % (name, e))
                continue
            smp.hex = b.hex()
            try:
                out, size = msg.unpack(b, ntc=True)
            except Exception as e:
                self.res.note("vpp_papi could not unpack its own bytes (sample skipped)", "%s: %r" % (name, e))
                continue
            if size != len(b):
                self.res.note("vpp_papi unpack reports %s size (empty trailing string[] quirk, harmless)"
                              % ("short" if size < len(b) else "long"))
            smp.papi_out = out
            smp.expected = self.render.message(name, out)
            smp.typemap = self.render.typemap
            # is the canonical form lossless (README §3.9)? canonical -> papi -> bytes
            try:
                back = self.topapi.message(name, smp.expected, client_index=ci, context=ctx,
                                           msg_id=self.msg_ids[name])
                b2 = bytes(msg.pack(back))
                if b2 != b:
                    raise SkipSample("repack differs at byte %s" % first_diff_offset(b, b2))
            except Exception as e:  # SkipSample included
                smp.roundtrip = False
                self.res.note("canonical JSON not lossless for these bytes; encode check skipped (README 3.9)",
                              "%s %s tags=%s: %s" % (name, smp.hex, sorted(smp.tags), e))
            if i == 4 and smp.roundtrip:
                try:
                    lenient = Render(self.s, lenient=True).message(name, out)
                except Exception as e:
                    lenient = None
                    self.res.note("lenient form not built", "%s: %r" % (name, e))
                if lenient is not None and lenient != smp.expected:
                    smp.lenient = lenient
            if i in (0, 3, 5) and smp.roundtrip:
                # README 1 `omitted_fields` / 3.8: drop every field whose value is what a missing
                # field encodes to (api.json default, else zero/empty), and every VLA length field
                partial = self.strip_defaults(fields, smp.expected)
                partial["_msgname"], partial["_crc"] = smp.expected["_msgname"], smp.expected["_crc"]
                smp.partial = partial
            samples.append(smp)
        return samples


def selftest(schema, papi_messages, shared):
    """The normaliser against the public vectors: papi's unpack of each vector's hex must render
    to exactly its `json`, and that JSON must pack back to its hex. Returns (ok, bad, failures)."""
    path = os.path.join(shared, "vectors/public.jsonl")
    render, topapi = Render(schema), ToPapi(schema)
    ok = bad = 0
    failures = []
    with open(path) as fh:
        for line in fh:
            v = json.loads(line)
            name = v["message"]
            try:
                msg = papi_messages[name]
                b = bytes.fromhex(v["hex"])
                out, _ = msg.unpack(b, ntc=True)
                j = render.message(name, out)
                diffs = []
                compare(v["json"], j, "", diffs, [])
                back = topapi.message(name, v["json"], client_index=v["client_index"] or 0,
                                      context=v["context"] or 0, msg_id=v["msg_id"])
                b2 = bytes(msg.pack(back))
                if diffs or b2 != b:
                    raise AssertionError("diffs=%s repack_equal=%s" % (diffs[:3], b2 == b))
                ok += 1
            except Exception as e:
                bad += 1
                failures.append("%s: %s" % (name, e))
    return ok, bad, failures

