"""The vpp_papi side: importing it, loading its message classes, and two adjustments.

Every other module reaches vpp_papi through here, so that a Python without it fails once,
with one clear message and exit status 2, before any argument parsing (as a set-up error,
not a mismatch). The adjustments are `patch_enum_unpack`, which makes papi report enums as
their wire integers (its IntFlag conversion loses values, see below), and `quiet_logging`,
which keeps papi's warnings about the schema out of the report.
"""

import logging
import sys

try:
    import vpp_papi
    from vpp_papi import vpp_serializer
    from vpp_papi.vpp_papi import VPPApiJSONFiles
except ImportError:  # pragma: no cover
    sys.stderr.write("papi-crosscheck: vpp_papi is not importable; run with a Python that has vpp-papi 2.4.2 "
                     "(bash scripts/papi-crosscheck.sh installs it into .venv-papi/)\n")
    sys.exit(2)

VERSION = getattr(vpp_papi, "__version__", "?")


def load_messages(files):
    """vpp_papi's message classes (name -> class with pack/unpack) for these .api.json files."""
    _, messages, _ = VPPApiJSONFiles.load_api(apifiles=files)
    return messages


def patch_enum_unpack():
    """vpp_papi turns every enum it unpacks into an IntFlag, which mangles negative values
    without a member (README §5: i8 -3 comes back as 1). Read enums as the plain integer of
    their enumtype instead: that is exactly the wire value papi's own integer packer reads."""
    def unpack(self, data, offset=0, result=None, ntc=False):
        return vpp_serializer.types[self.enumtype].unpack(data, offset)
    vpp_serializer.VPPEnumType.unpack = unpack


def quiet_logging():
    logging.getLogger("vpp_papi").setLevel(logging.CRITICAL)


def zero_value(t):
    """papi's unpacked value (no type conversion) of an all-zero `t`."""
    p = vpp_serializer.types[t]
    return p.unpack(bytes(p.size), 0, None, True)[0]


def papi_size(t):
    p = vpp_serializer.types.get(t)
    if p is None:
        raise KeyError(t)
    return p.size


def first_max_arm(arms, present=None):
    """The union arm that papi packs when no discriminator picks one: the first of maximal size
    (among `present` arm names, when given)."""
    best, best_size = None, -1
    for a in arms:
        if present is not None and a.name not in present:
            continue
        s = papi_size(a.type)
        if s > best_size:
            best, best_size = a, s
    return best
