"""The schema model, read straight from the .api.json files, independently of vpp_papi.

The generator, the canonical-JSON normaliser and the report all need to know what each field
is (integer width, enum or flag set, fixed or variable array and its length field, union arms
and discriminator, api.json default, special address/prefix/MAC type); reading the files
ourselves rather than through vpp_papi's classes keeps the check from inheriting papi's view
of the schema. `api_files` is the list of files checked: VPP 26.06 core and plugins, the
vectors' synthetic and vat2 APIs, and testgovpp. The first definition of a name wins; a
different later one is recorded in `Schema.conflicts` and printed.
"""

import glob
import json
import os

INT_RANGES = {
    "u8": (0, 0xFF), "i8": (-0x80, 0x7F),
    "u16": (0, 0xFFFF), "i16": (-0x8000, 0x7FFF),
    "u32": (0, 0xFFFFFFFF), "i32": (-0x80000000, 0x7FFFFFFF),
    "u64": (0, 0xFFFFFFFFFFFFFFFF), "i64": (-0x8000000000000000, 0x7FFFFFFFFFFFFFFF),
}
INT_BITS = {"u8": 8, "i8": 8, "u16": 16, "i16": 16, "u32": 32, "i32": 32, "u64": 64, "i64": 64}
HEADER_FIELDS = ("_vl_msg_id", "client_index", "context")
CONTEXT = 0x11223344
CLIENT_INDEX = 0

# Special types (README §2, §3.6), by declared type name.
SPECIAL = {
    "vl_api_ip4_address_t": "ip4",
    "vl_api_ip6_address_t": "ip6",
    "vl_api_mac_address_t": "mac",
    "vl_api_address_t": "address",
    "vl_api_prefix_t": "prefix",
    "vl_api_address_with_prefix_t": "prefix",
    "vl_api_ip4_prefix_t": "ip4_prefix",
    "vl_api_ip4_address_with_prefix_t": "ip4_prefix",
    "vl_api_ip6_prefix_t": "ip6_prefix",
    "vl_api_ip6_address_with_prefix_t": "ip6_prefix",
}


class SkipSample(Exception):
    """The sample cannot be expressed (e.g. lossy canonical form); not a codec bug."""


class Field:
    """One field of a message, typedef or union: [type, name, (length, (length field)), {options}]."""

    __slots__ = ("type", "name", "length", "lenfield", "opts")

    def __init__(self, raw):
        parts = [x for x in raw if not isinstance(x, dict)]
        self.opts = {}
        for x in raw:
            if isinstance(x, dict):
                self.opts.update(x)
        self.type = parts[0]
        self.name = parts[1]
        self.length = parts[2] if len(parts) >= 3 else None  # None: scalar; N>0 fixed; 0 variable
        self.lenfield = parts[3] if len(parts) >= 4 else None

    @property
    def is_array(self):
        return self.type != "string" and self.length is not None


class Enum:
    """An enum or enumflag. `flagset`: an enumflag, or an enum whose name says "flag" and whose
    non-zero members are distinct powers of two (rendered as a list of member names)."""

    def __init__(self, name, raw, from_enumflags):
        self.enumtype = "u32"
        self.members = []
        for x in raw:
            if isinstance(x, dict):
                if "enumtype" in x:
                    self.enumtype = x["enumtype"]
            else:
                self.members.append((x[0], x[1]))
        self.signed = self.enumtype.startswith("i")
        nonzero = [v for _, v in self.members if v != 0]
        pow2 = all(v > 0 and (v & (v - 1)) == 0 for v in nonzero) and len(set(nonzero)) == len(nonzero)
        short = name[len("vl_api_"):-2]
        self.flagset = from_enumflags or ("flag" in short.lower() and pow2)
        self.allbits = 0
        for v in nonzero:
            self.allbits |= v
        self.by_name = {n: v for n, v in self.members}


class Schema:
    """Every enum, typedef, union, alias and message of `files`; `kind` classifies a type name."""

    def __init__(self, files):
        self.enums = {}
        self.types = {}
        self.unions = {}
        self.aliases = {}
        self.messages = {}  # name -> (fields, crc, file)
        self.order = []
        self.conflicts = []
        for path in files:
            with open(path) as fh:
                api = json.load(fh)
            for sec, flags in (("enums", False), ("enumflags", True)):
                for t in api.get(sec, []):
                    self._add(self.enums, "vl_api_%s_t" % t[0], (t[1:], flags), path,
                              lambda v, k=None: Enum(k, v[0], v[1]))
            for t in api.get("unions", []):
                self._add(self.unions, "vl_api_%s_t" % t[0], t[1:], path,
                          lambda v, k=None: [Field(x) for x in v if isinstance(x, list)])
            for t in api.get("types", []):
                self._add(self.types, "vl_api_%s_t" % t[0], t[1:], path,
                          lambda v, k=None: [Field(x) for x in v if isinstance(x, list)])
            for k, v in api.get("aliases", {}).items():
                self._add(self.aliases, "vl_api_%s_t" % k, v, path, lambda v, k=None: v)
            for m in api.get("messages", []):
                name = m[0]
                crc = next(x["crc"] for x in m[1:] if isinstance(x, dict) and "crc" in x)
                fields = [Field(x) for x in m[1:] if isinstance(x, list)]
                if name in self.messages:
                    if self.messages[name][1] != crc:
                        self.conflicts.append("message %s: %s vs %s" % (name, path, self.messages[name][2]))
                    continue
                self.messages[name] = (fields, crc, path)
                self.order.append(name)

    def _add(self, table, key, raw, path, build):
        if key in table:
            if json.dumps(table[key][0]) != json.dumps(raw):
                self.conflicts.append("%s: %s vs %s" % (key, path, table[key][1]))
            return
        table[key] = (raw, path, build(raw, key))

    @staticmethod
    def _built(table, t):
        """The built form of `t` in one of the (raw, path, built) tables, or None."""
        e = table.get(t)
        return e[2] if e else None

    def enum(self, t):
        return self._built(self.enums, t)

    def struct(self, t):
        return self._built(self.types, t)

    def union(self, t):
        return self._built(self.unions, t)

    def alias(self, t):
        return self._built(self.aliases, t)

    def kind(self, t):
        if t in INT_RANGES:
            return "int"
        if t in ("f64", "bool", "string"):
            return t
        if t in SPECIAL and (t in self.types or t in self.aliases):
            return "special"
        if t in self.enums:
            return "enum"
        if t in self.aliases:
            return "alias"
        if t in self.types:
            return "struct"
        if t in self.unions:
            return "union"
        raise KeyError("unknown type %s" % t)

    def flagsets(self):
        return sorted(k for k, v in self.enums.items() if v[2].flagset)


def api_files(shared):
    """The .api.json files checked, in load order, under the shared folder."""
    core = sorted(glob.glob(os.path.join(shared, "vpp-api/26.06/core/*.api.json")))
    plugins = sorted(glob.glob(os.path.join(shared, "vpp-api/26.06/plugins/*.api.json")))
    extra = [os.path.join(shared, "vectors/api/synthetic/codec_test.api.json"),
             os.path.join(shared, "vectors/api/vat2/vat2_test.api.json"),
             os.path.join(shared, "vpp-api/testgovpp/testgovpp.api.json")]
    return core + plugins + extra
