"""Differential check of our codec (`vpp-gateway decode` / `encode`) against vpp_papi.

For every message of the loaded schema (VPP 26.06 core + plugins, testgovpp, and the
vectors' synthetic + vat2 APIs) this check:

  1. generates N random, valid field values (integer ranges per width, bools, enums,
     flag sets, strings, u8 arrays, VLAs with consistent length fields, nested typedefs,
     unions, addresses/prefixes v4+v6, MACs, f64). Sample 0 is all zero/empty, 1 all
     maximum, 2 all minimum, 3 random with every api.json-defaulted field left out of
     papi's input, 5 gives papi no field at all (papi fills defaults, nested ones too),
     the rest are random with ~20% edge values per field;
  2. packs them with vpp_papi (msg id 0x0100 + index, context 0x11223344, client_index 0);
  3. unpacks them with vpp_papi (no_type_conversion=True) and turns papi's values into
     the canonical JSON of ../shared/vectors/README.md §3 (the "expected" JSON);
  4. checks that expected JSON is itself lossless: converting it back to papi input
     (README §3.8 rules) and packing must give the same bytes (else the encode check
     of that sample is skipped, as README §3.9 says such bytes cannot round-trip);
  5. runs `vpp-gateway decode` on the hex and compares with the expected JSON;
  6. runs `vpp-gateway encode` on our decoded JSON and compares the hex with papi's byte
     for byte. For samples 0, 3 and 5 it also encodes a *partial* JSON (every field whose
     value is what an absent field encodes to under README 3.8 left out, and every VLA
     length field left out), and for sample 4 a *lenient* JSON in the README 3.10 input
     forms (plain enums as integers, flag sets as a bare name or integer, integral f64 as
     integers, discriminated unions with every arm); both must give papi's bytes too.

Before that it self-tests the normaliser on the public vectors (papi unpack of each
vector's hex must give exactly its `json`, and the JSON must repack to its `hex`).

The modules, in the order a run uses them: schema (the .api.json model), papi (vpp_papi
glue), generate (random values), canonical (the normaliser), samples (papi packs, expected
JSON, partial/lenient inputs), tool (runs our CLI, judges its output), compare (strict JSON
comparison, mismatch signatures), report (collects results, prints the report), and
__main__ (the command line). Same seed, same options, same binary: same report.

Run it with a Python that has vpp_papi 2.4.2, as a module from scripts/ (or with scripts/ on
PYTHONPATH); scripts/papi-crosscheck.sh does all of this, venv and build included:

    cd /work/main && swift build --scratch-path .build-papi --product vpp-gateway
    cd scripts && ../.venv-papi/bin/python -m papi_crosscheck [--per-message 20] [--seed 1]

Exit status: 0 when everything matches, 1 on any mismatch, 2 on set-up errors.
"""
