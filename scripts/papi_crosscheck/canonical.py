"""The canonical-JSON normaliser: vpp_papi values <-> the JSON of ../shared/vectors/README.md §3.

`Render` turns what vpp_papi unpacks (no_type_conversion) into the canonical JSON our
`vpp-gateway decode` must print: it is the "expected" side of every decode comparison, so its
rules are the README's, not our codec's (enum member names, flag sets as lists with leftover
bits as an integer, addresses and prefixes as VPP's text, only the discriminated union arm).
With `lenient=True` it writes the other input forms an encoder must also accept (§3.10).

`ToPapi` goes the other way (§3.8 rules for absent fields and length fields): packing its
output must give the original bytes, which proves a sample's canonical JSON is lossless
before the encode check relies on it, and lets the normaliser test itself on the public
vectors. The text forms (ip4/ip6/MAC) are VPP's format functions, written out here.
"""

import json
import socket

from .papi import first_max_arm
from .schema import CLIENT_INDEX, CONTEXT, HEADER_FIELDS, INT_BITS, SPECIAL, SkipSample


def ip4_text(b):
    b = bytes(b)
    return "%d.%d.%d.%d" % (b[0], b[1], b[2], b[3])


def ip6_text(b):
    """VPP's format_ip6_address: longest run (>= 2) of zero quads -> '::', first on tie."""
    b = bytes(b)
    q = [(b[2 * i] << 8) | b[2 * i + 1] for i in range(8)]
    best_start, best_len = -1, 0
    i = 0
    while i < 8:
        if q[i] == 0:
            j = i
            while j < 8 and q[j] == 0:
                j += 1
            if j - i >= 2 and j - i > best_len:
                best_start, best_len = i, j - i
            i = j
        else:
            i += 1
    if best_start < 0:
        return ":".join("%x" % x for x in q)
    left = ":".join("%x" % x for x in q[:best_start])
    right = ":".join("%x" % x for x in q[best_start + best_len:])
    return left + "::" + right


def mac_text(b):
    return ":".join("%02x" % x for x in bytes(b))


def parse_ip4(s):
    parts = s.split(".")
    if len(parts) != 4:
        raise SkipSample("bad ip4 text %r" % s)
    return bytes(int(p) for p in parts)


def parse_ip6(s):
    try:
        return socket.inet_pton(socket.AF_INET6, s)
    except OSError:
        raise SkipSample("bad ip6 text %r" % s)


def parse_mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


class Render:
    """papi values -> canonical JSON. With lenient=True it writes instead the other input forms
    that README §3.10 says an encoder must also accept: plain enums as integers, flag sets as a
    bare member name (one bit, or a zero-valued member for 0) or an integer, integral f64 as JSON
    integers, and discriminated unions with every arm (the previous revision / vat2 form).
    `typemap` maps each JSON path of the last message rendered to its schema type, with which
    the report groups mismatches by cause."""

    def __init__(self, schema, lenient=False):
        self.s = schema
        self.lenient = lenient
        self.typemap = {}

    def message(self, name, tup):
        fields, crc, _ = self.s.messages[name]
        self.typemap = {}
        out = {"_msgname": name, "_crc": crc[2:] if crc.startswith("0x") else crc}
        out.update(self.struct(fields, tup, top=True, path=""))
        return out

    def struct(self, fields, tup, top=False, path=""):
        out = {}
        for i, f in enumerate(fields):
            if top and f.name in HEADER_FIELDS:
                continue
            p = path + "/" + f.name
            out[f.name] = self.field(f, tup[i], fields, tup, p)
        return out

    def field(self, f, v, fields, tup, path):
        self.typemap[path] = (f.type + ("[]" if f.is_array else ""), self.describe(f))
        if f.type == "string":
            return v
        if f.is_array:
            if f.type == "u8":
                return "0x" + bytes(v).hex()
            return [self.type(f.type, e, None, None, "%s/%d" % (path, i)) for i, e in enumerate(v)]
        return self.type(f.type, v, f.opts, (fields, tup), path)

    def describe(self, f):
        t = f.type
        if f.type == "string":
            return "string[%s]" % ("" if not f.length else f.length)
        if f.is_array:
            return "%s[%s]" % (self.describe_type(t), f.lenfield or f.length)
        return self.describe_type(t)

    def describe_type(self, t):
        try:
            k = self.s.kind(t)
        except KeyError:
            return t
        if k == "enum":
            e = self.s.enum(t)
            return "%s(%s %s)" % (t, "flagset" if e.flagset else "enum", e.enumtype)
        if k == "alias":
            a = self.s.alias(t)
            return "%s(alias of %s%s)" % (t, a["type"], "[%d]" % a["length"] if "length" in a else "")
        return "%s(%s)" % (t, k)

    def type(self, t, v, opts, sib, path):
        k = self.s.kind(t)
        if k == "int":
            return int(v)
        if k == "f64":
            if self.lenient and float(v).is_integer() and abs(v) <= 2 ** 53:
                return int(v)
            return float(v)
        if k == "bool":
            return bool(v)
        if k == "special":
            return self.special(t, v)
        if k == "enum":
            return self.enum(self.s.enum(t), int(v))
        if k == "alias":
            a = self.s.alias(t)
            if "length" in a:
                if a["type"] == "u8":
                    return "0x" + bytes(v).hex()
                return [self.type(a["type"], e, None, None, "%s/%d" % (path, i)) for i, e in enumerate(v)]
            return self.type(a["type"], v, opts, sib, path)
        if k == "struct":
            return self.struct(self.s.struct(t), v, path=path)
        if k == "union":
            return self.union(t, v, opts, sib, path)
        raise KeyError(t)

    def enum(self, e, x):
        if e.flagset:
            x &= (1 << INT_BITS[e.enumtype]) - 1
            out = [n for n, v in e.members if v != 0 and (x & v) == v]
            rest = x & ~e.allbits
            if rest:
                out.append(rest)
            if self.lenient:
                zero = [n for n, v in e.members if v == 0]
                if len(out) == 1 and isinstance(out[0], str):
                    return out[0]
                if x == 0 and zero:
                    return zero[0]
                return x
            return out
        if self.lenient:
            return x
        for n, v in e.members:
            if v == x:
                return n
        return x

    def active_arm(self, arms, opts, sib):
        if not opts or "discriminator" not in opts or sib is None:
            return None
        fields, tup = sib
        dname = opts["discriminator"]
        idx = next((i for i, f in enumerate(fields) if f.name == dname), None)
        if idx is None:
            return None
        e = self.s.enum(fields[idx].type)
        if e is None:
            return None
        dv = tup[idx]
        dv = int(dv) if not isinstance(dv, str) else e.by_name.get(dv)
        for j, a in enumerate(arms):
            c = a.opts.get("case")
            if c in e.by_name and e.by_name[c] == dv:
                return j
        return None

    def union(self, t, v, opts, sib, path):
        arms = self.s.union(t)
        j = self.active_arm(arms, opts, sib)
        if j is not None and self.lenient:
            out = {}
            for i, a in enumerate(arms):
                r = self.type(a.type, v[i], a.opts, None, path + "/" + a.name)
                if i == j or "unknown-af" not in json.dumps(r):
                    out[a.name] = r
            return out
        if j is not None:
            a = arms[j]
            return {a.name: self.type(a.type, v[j], a.opts, None, path + "/" + a.name)}
        return {a.name: self.type(a.type, v[i], a.opts, None, path + "/" + a.name) for i, a in enumerate(arms)}

    def special(self, t, v):
        k = SPECIAL[t]
        if k == "ip4":
            return ip4_text(v)
        if k == "ip6":
            return ip6_text(v)
        if k == "mac":
            return mac_text(v)
        if k == "address":
            return self.address(v)
        if k == "prefix":
            return "%s/%d" % (self.address(v[0]), int(v[1]))
        if k == "ip4_prefix":
            return "%s/%d" % (ip4_text(v[0]), int(v[1]))
        if k == "ip6_prefix":
            return "%s/%d" % (ip6_text(v[0]), int(v[1]))
        raise KeyError(t)

    @staticmethod
    def address(v):
        af = int(v[0])
        un = v[1]
        if af == 0:
            return ip4_text(bytes(un[0])[:4])
        if af == 1:
            return ip6_text(un[1])
        return "unknown-af"


class ToPapi:
    """canonical JSON -> vpp_papi input (README §3.8), used to prove the expected JSON is
    lossless and to sanity-check the normaliser on the public vectors."""

    def __init__(self, schema):
        self.s = schema

    def message(self, name, obj, client_index=CLIENT_INDEX, context=CONTEXT, msg_id=0):
        fields = self.s.messages[name][0]
        d = self.struct(fields, obj)
        for f in fields:
            if f.name == "_vl_msg_id":
                d[f.name] = msg_id
            elif f.name == "client_index":
                d[f.name] = client_index
            elif f.name == "context":
                d[f.name] = context
        return d

    def struct(self, fields, obj):
        if not isinstance(obj, dict):
            raise SkipSample("struct expects object")
        d = {}
        for f in fields:
            if f.name in obj:
                d[f.name] = self.field(f, obj[f.name], fields, obj)
        for f in fields:
            if f.lenfield and f.lenfield not in d:
                v = d.get(f.name)
                d[f.lenfield] = len(v) if v is not None else 0
        return d

    def field(self, f, j, fields, obj):
        if f.type == "string":
            return j
        if f.is_array:
            if f.type == "u8":
                if not (isinstance(j, str) and j.startswith("0x")):
                    raise SkipSample("u8 array not hex")
                return bytes.fromhex(j[2:])
            return [self.type(f.type, e, None, None) for e in j]
        return self.type(f.type, j, f.opts, (fields, obj))

    def type(self, t, j, opts, sib):
        k = self.s.kind(t)
        if k == "int":
            return int(j)
        if k == "f64":
            return float(j)
        if k == "bool":
            return bool(j)
        if k == "special":
            return self.special(t, j)
        if k == "enum":
            return self.enum(self.s.enum(t), j)
        if k == "alias":
            a = self.s.alias(t)
            if "length" in a:
                if a["type"] == "u8":
                    return bytes.fromhex(j[2:])
                return [self.type(a["type"], e, None, None) for e in j]
            return self.type(a["type"], j, opts, sib)
        if k == "struct":
            return self.struct(self.s.struct(t), j)
        if k == "union":
            return self.union(t, j, opts, sib)
        raise KeyError(t)

    def enum(self, e, j):
        if isinstance(j, list):
            x = 0
            for n in j:
                x |= e.by_name[n] if isinstance(n, str) else n
            return x
        if isinstance(j, str):
            return e.by_name[j]
        return int(j)

    def union(self, t, j, opts, sib):
        arms = self.s.union(t)
        keys = list(j)
        if len(keys) == 1:
            arm = next(a for a in arms if a.name == keys[0])
        else:
            arm = None
            if opts and "discriminator" in opts and sib is not None:
                fields, obj = sib
                df = next(f for f in fields if f.name == opts["discriminator"])
                e = self.s.enum(df.type)
                dv = self.enum(e, obj.get(df.name, 0))
                for a in arms:
                    c = a.opts.get("case")
                    if c in e.by_name and e.by_name[c] == dv:
                        arm = a
                        break
                if arm is not None and arm.name not in j:
                    arm = None
            if arm is None:
                arm = first_max_arm(arms, present=set(keys))
        return {arm.name: self.type(arm.type, j[arm.name], arm.opts, None)}

    def address(self, s):
        if s == "unknown-af":
            raise SkipSample("unknown-af")
        if ":" in s:
            return {"af": 1, "un": {"ip6": parse_ip6(s)}}
        return {"af": 0, "un": {"ip4": parse_ip4(s)}}

    def special(self, t, s):
        k = SPECIAL[t]
        if k == "ip4":
            return parse_ip4(s)
        if k == "ip6":
            return parse_ip6(s)
        if k == "mac":
            return parse_mac(s)
        if k == "address":
            return self.address(s)
        a, _, n = s.rpartition("/")
        if k == "prefix":
            return {"address": self.address(a), "len": int(n)}
        if k == "ip4_prefix":
            return {"address": parse_ip4(a), "len": int(n)}
        if k == "ip6_prefix":
            return {"address": parse_ip6(a), "len": int(n)}
        raise KeyError(t)

