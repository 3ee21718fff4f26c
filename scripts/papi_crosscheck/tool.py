"""Running our CLI (`vpp-gateway decode` / `encode`) on the samples and judging what it says.

Per message, the decode check gives `vpp-gateway decode` papi's bytes and compares its JSON
with the expected canonical JSON (compare.py); the encode check gives `vpp-gateway encode` the
JSON inputs and compares its hex with papi's bytes, byte for byte. A byte mismatch is explained
by having papi read our bytes back and rendering the difference field by field. Our tool gets
only the message's own .api.json (which repeats every type it imports) unless --full-schema:
each process then loads every API folder, which costs about 0.5 s.
"""

import json
import os
import re
import subprocess

from .canonical import Render
from .compare import compare, error_signature, first_diff_offset, generic_path, parse_ours, signature_for
from .report import EventLog, papi_repr, short


def run_tool(argv, lines):
    """Runs our CLI once on many inputs (one a line). Returns, for each input, (output line,
    error, trailing-bytes complaint); the CLI reports errors on stderr as `input N: ...`
    (continuation lines follow) and writes one stdout line per input it accepted."""
    p = subprocess.run(argv, input="".join(l + "\n" for l in lines), capture_output=True, text=True)
    errors, trailing = {}, {}
    last = None
    for line in p.stderr.splitlines():
        m = re.match(r"input (\d+): (.*)$", line)
        if m:
            k = int(m.group(1)) - 1
            if "after the end of" in m.group(2):
                trailing[k] = m.group(2)
                last = None
            else:
                errors[k] = m.group(2)
                last = k
        elif last is not None:
            errors[last] += "\n" + line
        elif line.strip():
            errors.setdefault(-1, "")
            errors[-1] += line + "\n"
    outs = p.stdout.splitlines()
    ok_idx = [i for i in range(len(lines)) if i not in errors]
    results = [None] * len(lines)
    if -1 in errors or len(outs) != len(ok_idx):
        msg = "tool output not aligned (rc=%d, %d lines for %d ok inputs): %s" % (
            p.returncode, len(outs), len(ok_idx), errors.get(-1, "")[:500])
        return [(None, msg, None)] * len(lines)
    for i, o in zip(ok_idx, outs):
        results[i] = (o, None, trailing.get(i))
    for i, e in errors.items():
        results[i] = (None, e, trailing.get(i))
    return results


class ToolChecker:
    """Checks one message's samples with our CLI: one `decode` process for all of them, then
    one `encode` process for every JSON to encode (our decoded JSON, and the papi-derived,
    partial and lenient ones). Thread-safe: it only reads shared state, and records into the
    EventLog it returns."""

    def __init__(self, schema, papi_messages, binary, shared, full_schema, max_chars, msg_ids, headers):
        self.s = schema
        self.papi = papi_messages
        self.binary = binary
        self.full_schema = full_schema
        self.max_chars = max_chars
        self.msg_ids = msg_ids
        self.headers = headers
        self.all_dirs = []
        for d in (os.path.join(shared, "vpp-api/26.06"), os.path.join(shared, "vpp-api/testgovpp"),
                  os.path.join(shared, "vectors/api/synthetic"), os.path.join(shared, "vectors/api/vat2")):
            self.all_dirs += ["--api-dir", d]

    def api_args(self, name):
        if self.full_schema:
            return self.all_dirs
        return ["--api-dir", self.s.messages[name][2]]

    def check_message(self, name, samples):
        """Runs our tool on one message's samples; returns an EventLog (merged in message
        order by the caller, so that the report is deterministic)."""
        res = EventLog()
        self._check_message(name, samples, res)
        return res

    def _check_message(self, name, samples, res):
        limit = self.max_chars
        if not samples:
            return
        dec = run_tool([self.binary, "decode"] + self.api_args(name) + ["--message", name],
                            [s.hex for s in samples])
        enc_lines, enc_meta = [], []
        for smp, (out, err, trailing) in zip(samples, dec):
            res.counts["decode checks"] += 1
            if err is not None:
                res.counts["decode failed"] += 1
                res.add("our tool error (decode)", error_signature(err), name, {
                    "message": name, "hex": smp.hex, "papi": papi_repr(smp.papi_out, limit),
                    "expected": short(smp.expected, limit), "ours": "error: " + err}, smp.tags)
                continue
            if trailing:
                res.add("decode consumed fewer bytes than papi packed", trailing, name, {
                    "message": name, "hex": smp.hex, "papi": papi_repr(smp.papi_out, limit),
                    "expected": short(smp.expected, limit), "ours": out}, smp.tags)
            try:
                ours = parse_ours(out)
            except ValueError as e:
                res.add("our tool error (decode)", "invalid JSON output", name, {
                    "message": name, "hex": smp.hex, "papi": papi_repr(smp.papi_out, limit),
                    "expected": short(smp.expected, limit), "ours": out[:limit] + " (%s)" % e}, smp.tags)
                continue
            diffs, notes = [], []
            compare(smp.expected, ours, "", diffs, notes)
            for n in notes:
                res.note("f64 spelled differently from Python repr (numerically equal; not a mismatch)",
                         "%s: %s" % (name, n))
            if diffs:
                res.counts["decode mismatch"] += 1
                sigs = sorted(set("%s @ %s" % (signature_for(p, smp.typemap), generic_path(p)) for p, _, _ in diffs))
                for sig in sigs[:3]:
                    res.add("decode value mismatch", sig, name, {
                        "message": name, "hex": smp.hex, "papi": papi_repr(smp.papi_out, limit),
                        "expected": short(smp.expected, limit), "ours": short(out, limit),
                        "diff": "; ".join("%s: papi %s, ours %s" % (p, short(e, 200), short(a, 200))
                                          for p, e, a in diffs[:6])}, smp.tags)
            else:
                res.counts["decode ok"] += 1
            if smp.roundtrip:
                enc_lines.append(out)
                enc_meta.append((smp, "ours", bool(diffs)))
                if diffs:
                    enc_lines.append(json.dumps(smp.expected))
                    enc_meta.append((smp, "expected", True))
            if smp.partial is not None:
                enc_lines.append(json.dumps(smp.partial))
                enc_meta.append((smp, "partial", False))
            if smp.lenient is not None:
                enc_lines.append(json.dumps(smp.lenient))
                enc_meta.append((smp, "lenient", False))
        if not enc_lines:
            return
        enc = run_tool([self.binary, "encode"] + self.api_args(name)
                            + ["--msg-id", str(self.msg_ids[name]), "--context", str(self.headers[name][1]),
                               "--client-index", str(self.headers[name][0])], enc_lines)
        for (smp, what, dec_bad), line, (out, err, _) in zip(enc_meta, enc_lines, enc):
            label = {"ours": "our decoded JSON", "expected": "papi-derived canonical JSON (our decode differed)",
                     "partial": "partial JSON (fields equal to their default/zero and VLA length fields omitted)",
                     "lenient": "lenient JSON of README 3.10 (enum ints, bare flag names/ints, all union arms)"}[what]
            res.counts["encode checks"] += 1
            res.counts["encode checks: " + what] += 1
            if err is not None:
                res.counts["encode failed"] += 1
                kind = "our tool error (encode of %s)" % label
                res.add(kind, error_signature(err), smp.msg, {
                    "message": smp.msg, "hex": smp.hex, "papi": papi_repr(smp.papi_out, limit),
                    "expected": short(smp.expected, limit), "ours": "input: %s\nerror: %s" % (short(line, limit), err)},
                    smp.tags)
                continue
            if out == smp.hex:
                res.counts["encode ok"] += 1
                continue
            res.counts["encode mismatch"] += 1
            kind = "encode byte mismatch (%s)" % label
            if what == "ours" and dec_bad:
                kind += " [follows a decode mismatch]"
            sig, detail = self.explain_bytes(smp, out)
            res.add(kind, sig, smp.msg, {
                "message": smp.msg, "hex": smp.hex, "ours_hex": out, "papi": papi_repr(smp.papi_out, limit),
                "expected": short(smp.expected, limit), "ours": short(line, limit), "diff": detail}, smp.tags)

    def explain_bytes(self, smp, ours_hex):
        want = bytes.fromhex(smp.hex)
        try:
            got = bytes.fromhex(ours_hex)
        except ValueError:
            return "non-hex output", ours_hex[:100]
        off = first_diff_offset(want, got)
        detail = "first differing byte offset %s (papi %d bytes, ours %d bytes)" % (off, len(want), len(got))
        try:
            out, size = self.papi[smp.msg].unpack(got, ntc=True)
            j = Render(self.s).message(smp.msg, out)
            diffs = []
            compare(smp.expected, j, "", diffs, [])
            if diffs:
                paths = sorted(set(generic_path(p) for p, _, _ in diffs))
                sig = "; ".join("%s @ %s" % (signature_for(p, smp.typemap), p) for p in paths[:2])
                detail += "; papi reads our bytes as: " + "; ".join(
                    "%s: %s (want %s)" % (p, short(a, 200), short(e, 200)) for p, e, a in diffs[:6])
                return sig, detail
            if len(got) != len(want):
                return "length differs (%+d bytes), rendered fields equal" % (len(got) - len(want)), detail
            return "bytes differ outside rendered fields", detail
        except Exception as e:
            return "papi cannot unpack our bytes (%s)" % type(e).__name__, detail + "; %s" % e
