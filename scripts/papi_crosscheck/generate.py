"""Random field values for one sample, in vpp_papi's input form (dicts, bytes, ints).

The values are valid for the wire and for papi: integers within their width, enum members
(sometimes an unnamed value), flag sets (sometimes with bits no member names), strings within
their fixed size, VLAs whose length field agrees, discriminators that pick a union arm (or,
sometimes, none), addresses and prefixes of both families, f64 edge values. A `Gen` serves
one sample in one mode: "zero", "max" and "min" give every field that value (the edge samples
0..2); "rand" draws, with about 20% edge values. The `tags` it collects say which rare cases a
sample contains; the report counts them (coverage) and shows them beside mismatches.

Everything comes from the `random.Random` it is given, in a fixed order, so that a seed gives
the same samples on every run: change the order of draws and every sample after it changes.
"""

import math
import struct

from .papi import first_max_arm
from .schema import HEADER_FIELDS, INT_BITS, INT_RANGES, SPECIAL, SkipSample

DBL_MAX = 1.7976931348623157e308
PLAIN_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/ "
TRICKY_CHARS = "\"\\/\t\n\r\b\f\x01\x1f\x7f<>&'~{}[]"


class Gen:
    """Values for one sample. valid_prefix_len: never a prefix length above the family's
    maximum (else about 3% of random prefixes get one up to 255, which the u8 and papi allow)."""

    def __init__(self, schema, rng, mode, valid_prefix_len=False):
        self.s = schema
        self.rng = rng
        self.mode = mode  # zero | max | min | rand
        self.tags = set()
        self.valid_prefix_len = valid_prefix_len

    # scalars -------------------------------------------------------------------------
    def gen_int(self, t):
        lo, hi = INT_RANGES[t]
        m = self.mode
        if m == "zero":
            return 0
        if m == "max":
            return hi
        if m == "min":
            return lo
        r = self.rng.random()
        if r < 0.2:
            edges = [lo, hi, 0, 1]
            if lo < 0:
                edges.append(-1)
            if INT_BITS[t] == 64:
                edges += [2 ** 53 + 1, 2 ** 53, 2 ** 63 - 1]
                edges += [-(2 ** 53 + 1)] if lo < 0 else [2 ** 63, 2 ** 64 - 2]
            if INT_BITS[t] == 32 and lo == 0:
                edges.append(2 ** 31)
            return self.rng.choice(edges)
        if r < 0.45:
            return self.rng.randint(max(lo, -16), min(hi, 16))
        return self.rng.randint(lo, hi)

    def gen_f64(self):
        m = self.mode
        if m == "zero":
            return 0.0
        if m == "max":
            return DBL_MAX
        if m == "min":
            return -DBL_MAX
        r = self.rng.random()
        if r < 0.35:
            return self.rng.choice([0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 5e-324, -5e-324, DBL_MAX, -DBL_MAX,
                                    2.2250738585072014e-308, 1e16, 1e-7, 123456789.125, 2.0 ** 53 + 2,
                                    9007199254740993.0, 1e21, 1e22, 100.0, 3.14159])
        if r < 0.65:
            return self.rng.uniform(-1e6, 1e6)
        if r < 0.8:
            return float(self.rng.randint(-1000, 1000))
        while True:
            x = struct.unpack("<d", bytes(self.rng.getrandbits(8) for _ in range(8)))[0]
            if not (math.isnan(x) or math.isinf(x)):
                return x

    def gen_bool(self):
        if self.mode == "zero" or self.mode == "min":
            return False
        if self.mode == "max":
            return True
        return self.rng.random() < 0.5

    def gen_text(self, n):
        if self.rng.random() < 0.15:
            self.tags.add("string_tricky_chars")
            pool = PLAIN_CHARS + TRICKY_CHARS * 2
        else:
            pool = PLAIN_CHARS
        return "".join(self.rng.choice(pool) for _ in range(n))

    def gen_string(self, f):
        n = f.length or 0
        if n > 0:  # fixed string[N]: at most N-1 characters
            if self.mode == "zero":
                return ""
            if self.mode == "max":
                self.tags.add("string_fixed_full")
                return self.gen_text(n - 1)
            r = self.rng.random()
            if r < 0.15:
                return ""
            if r < 0.35:
                self.tags.add("string_fixed_full")
                return self.gen_text(n - 1)
            return self.gen_text(self.rng.randint(1, min(n - 1, 24)))
        if self.mode == "zero":
            return ""
        if self.mode == "max":
            self.tags.add("string_vla_long")
            return self.gen_text(300)
        r = self.rng.random()
        if r < 0.2:
            return ""
        if r < 0.27:
            self.tags.add("string_vla_long")
            return self.gen_text(self.rng.randint(256, 300))
        return self.gen_text(self.rng.randint(1, 20))

    def gen_bytes(self, n):
        if self.mode == "zero":
            return bytes(n)
        if self.mode == "max":
            return b"\xff" * n
        r = self.rng.random()
        if r < 0.15:
            return bytes(n)
        b = bytearray(self.rng.getrandbits(8) for _ in range(n))
        if r < 0.4 and n > 1:
            k = self.rng.randint(1, n - 1)
            b[n - k:] = bytes(k)
        return bytes(b)

    def vla_count(self, f, lentype):
        """Element count of a VLA (bytes for u8): small, but u8 VLAs also reach 128..255/300
        (the u8 maximum when the length field is a u8)."""
        cap = INT_RANGES.get(lentype, (0, 0xFFFFFFFF))[1]
        if self.mode == "zero":
            return 0
        if f.type == "u8":
            if self.mode == "max":
                self.tags.add("u8_vla_long")
                return min(cap, 300)
            if self.rng.random() < 0.08:
                self.tags.add("u8_vla_long")
                return self.rng.randint(128, min(cap, 300))
            return self.rng.randint(0, 12)
        if self.mode == "max":
            return 4
        return self.rng.randint(0, 4)

    # enums ---------------------------------------------------------------------------
    def gen_enum(self, e):
        vals = [v for _, v in e.members]
        if e.flagset:
            bits = [v for v in vals if v != 0]
            if self.mode == "zero":
                return 0
            if self.mode == "max":
                return e.allbits
            x = 0
            for v in bits:
                if self.rng.random() < 0.4:
                    x |= v
            if self.rng.random() < 0.08:
                width = INT_BITS[e.enumtype] - (1 if e.signed else 0)
                free = [1 << i for i in range(width) if not (e.allbits >> i) & 1]
                if free:
                    x |= self.rng.choice(free)
                    self.tags.add("flag_leftover_bits")
            return x
        if self.mode == "zero":
            if 0 not in vals:
                self.tags.add("enum_unnamed")
            return 0
        if self.mode == "max":
            return max(vals)
        if self.mode == "min":
            return min(vals)
        if self.rng.random() < 0.1:
            x = self.unnamed(e)
            if x is not None:
                self.tags.add("enum_unnamed" if x >= 0 else "enum_unnamed_negative")
                return x
        return self.rng.choice(vals)

    def unnamed(self, e, exclude=()):
        lo, hi = INT_RANGES[e.enumtype]
        vals = set(v for _, v in e.members) | set(exclude)
        for _ in range(20):
            x = self.rng.choice([self.rng.randint(max(lo, 0), min(hi, 300)), self.rng.randint(lo, hi), hi, lo,
                                 self.rng.randint(max(lo, -300), min(hi, 300))])
            if x not in vals:
                return x
        return None

    # special types -------------------------------------------------------------------
    def gen_ip4(self):
        if self.mode == "zero":
            return bytes(4)
        if self.mode == "max":
            return b"\xff" * 4
        return bytes(self.rng.getrandbits(8) for _ in range(4))

    def gen_ip6(self):
        if self.mode == "zero":
            return bytes(16)
        if self.mode == "max":
            return b"\xff" * 16
        r = self.rng.random()
        if r < 0.15:
            return bytes.fromhex(self.rng.choice([
                "00000000000000000000000000000001", "00000000000000000000ffffc0000201",
                "20010db8000000000001000000000000", "20010db8000000010000000000000001",
                "00010000000000000000000000000000", "00000001000000000000000000000000",
                "fe800000000000000000000000000001", "00000000000000010000000000000000",
                "20010db8000000000000000000000000", "00010000000100000001000000010000"]))
        q = []
        for _ in range(8):
            x = self.rng.random()
            if x < 0.4:
                q.append(0)
            elif x < 0.6:
                q.append(self.rng.randint(1, 0xFF))
            else:
                q.append(self.rng.randint(0, 0xFFFF))
        return b"".join(struct.pack(">H", v) for v in q)

    def gen_mac(self):
        return self.gen_bytes(6)

    def gen_address(self):
        if self.mode == "zero":
            af = 0
        elif self.mode == "max":
            af = 1
        else:
            af = self.rng.randint(0, 1)
        if af == 0:
            return {"af": 0, "un": {"ip4": self.gen_ip4()}}
        return {"af": 1, "un": {"ip6": self.gen_ip6()}}

    def prefix_len(self, maxlen):
        if self.mode == "zero":
            return 0
        if self.mode == "max":
            return maxlen
        r = self.rng.random()
        if r < 0.03 and not self.valid_prefix_len:
            self.tags.add("prefix_len_gt_max")
            return self.rng.randint(maxlen + 1, 255)
        if r < 0.15:
            return self.rng.choice([0, maxlen])
        return self.rng.randint(0, maxlen)

    def gen_special(self, t):
        k = SPECIAL[t]
        if k == "ip4":
            return self.gen_ip4()
        if k == "ip6":
            return self.gen_ip6()
        if k == "mac":
            return self.gen_mac()
        if k == "address":
            return self.gen_address()
        if k == "prefix":
            a = self.gen_address()
            return {"address": a, "len": self.prefix_len(32 if a["af"] == 0 else 128)}
        if k == "ip4_prefix":
            return {"address": self.gen_ip4(), "len": self.prefix_len(32)}
        if k == "ip6_prefix":
            return {"address": self.gen_ip6(), "len": self.prefix_len(128)}
        raise KeyError(t)

    # composites ----------------------------------------------------------------------
    def gen_type(self, t, arm=None):
        k = self.s.kind(t)
        if k == "int":
            return self.gen_int(t)
        if k == "f64":
            return self.gen_f64()
        if k == "bool":
            return self.gen_bool()
        if k == "special":
            return self.gen_special(t)
        if k == "enum":
            return self.gen_enum(self.s.enum(t))
        if k == "alias":
            a = self.s.alias(t)
            if "length" in a:
                if a["type"] == "u8":
                    return self.gen_bytes(a["length"])
                return [self.gen_type(a["type"]) for _ in range(a["length"])]
            return self.gen_type(a["type"])
        if k == "struct":
            return self.gen_struct(self.s.struct(t))
        if k == "union":
            arms = self.s.union(t)
            if arm is None:
                arm = self.rng.choice(arms)
            return {arm.name: self.gen_type(arm.type)}
        raise KeyError(t)

    def pick_disc(self, union_fields, disc_field):
        """Choose the active arm and the discriminator value (README §3.7)."""
        e = self.s.enum(disc_field.type)
        if e is None:
            return None, None
        first_by_value = {}
        for a in union_fields:
            c = a.opts.get("case")
            if c in e.by_name and e.by_name[c] not in first_by_value:
                first_by_value[e.by_name[c]] = a
        if not first_by_value or self.rng.random() < 0.1:
            # no arm matches: every arm is rendered; pack the first arm of maximal size
            cands = [v for _, v in e.members if v not in first_by_value and (v >= 0)]
            x = self.rng.choice(cands) if cands and self.rng.random() < 0.5 else self.unnamed(e, first_by_value)
            if x is not None:
                self.tags.add("union_no_match")
                return first_max_arm(union_fields), x
        arm = self.rng.choice(union_fields)
        c = arm.opts.get("case")
        if c not in e.by_name:
            v = self.rng.choice(list(first_by_value))
        else:
            v = e.by_name[c]
        return first_by_value[v], v

    def gen_struct(self, fields, top=False):
        forced = {}
        arms = {}
        names = {f.name: f for f in fields}
        for f in fields:
            if f.lenfield and f.lenfield not in forced:
                lf = names.get(f.lenfield)
                forced[f.lenfield] = self.vla_count(f, lf.type if lf else "u32")
        for f in fields:
            if (f.length is None and self.s.kind(f.type) == "union"
                    and "discriminator" in f.opts and f.opts["discriminator"] in names):
                arm, v = self.pick_disc(self.s.union(f.type), names[f.opts["discriminator"]])
                if arm is not None:
                    arms[f.name] = arm
                    forced[f.opts["discriminator"]] = v
        d = {}
        for f in fields:
            if top and f.name in HEADER_FIELDS:
                continue
            if f.name in forced:
                d[f.name] = forced[f.name]
            else:
                d[f.name] = self.gen_field(f, arms.get(f.name), forced.get(f.lenfield))
        return d

    def gen_field(self, f, arm=None, count=None):
        if f.type == "string":
            return self.gen_string(f)
        if f.is_array:
            n = count if f.lenfield else f.length
            if n == 0 and not f.lenfield:
                raise SkipSample("legacy VLA %s" % f.name)
            if f.type == "u8":
                return self.gen_bytes(n)
            return [self.gen_type(f.type) for _ in range(n)]
        return self.gen_type(f.type, arm)

