import VPPJSON
import VPPSchema

/// Which side of the wire a schema describes.
///
/// `output` is the canonical JSON the gateway writes (every property present); `input` is what
/// it reads (every property optional: missing fields take the `.api.json` default, else zero).
enum Mode: Sendable {
    case input, output
}

/// Maps VPP types to JSON Schema (OpenAPI 3.1 dialect), following the canonical JSON of the
/// vectors README §3, and collects the component schemas the mapped values refer to.
struct TypeMapper {
    let schema: Schema
    let types: TypeClassifier
    /// Component name of each type name (types share the name space with messages).
    let componentNames: [String: String]
    /// Type components referred to so far: (type name, input variant).
    private(set) var referenced: Set<TypeComponent> = []
    private var inputVariantMemo: [String: Bool] = [:]

    /// A type component: the canonical schema of a type, its input variant, or the member
    /// names of a flag set.
    struct TypeComponent: Hashable, Comparable {
        enum Variant: Int { case canonical, input, flagNames }
        let typeName: String
        let variant: Variant
        init(typeName: String, input: Bool) {
            self.typeName = typeName
            self.variant = input ? .input : .canonical
        }
        init(flagNamesOf typeName: String) {
            self.typeName = typeName
            self.variant = .flagNames
        }
        static func < (a: Self, b: Self) -> Bool {
            (a.typeName, a.variant.rawValue) < (b.typeName, b.variant.rawValue)
        }
    }

    /// The component name of a type component.
    func componentName(_ c: TypeComponent) -> String {
        let base = componentNames[c.typeName] ?? c.typeName
        switch c.variant {
        case .canonical: return base
        case .input: return base + "_input"
        case .flagNames: return base + "_flag"
        }
    }

    init(schema: Schema) {
        self.schema = schema
        self.types = TypeClassifier(schema: schema)
        var taken = Set(schema.messages.keys)
        taken.formUnion(FixedComponents.names)
        var names: [String: String] = [:]
        let all = Set(schema.structs.keys).union(schema.unions.keys).union(schema.enums.keys).union(schema.aliases.keys)
        for name in all.sorted() {
            var candidate = name
            while taken.contains(candidate) || taken.contains(candidate + "_input") || taken.contains(candidate + "_flag") {
                candidate += "_type"
            }
            taken.insert(candidate)
            taken.insert(candidate + "_input")
            taken.insert(candidate + "_flag")
            names[name] = candidate
        }
        componentNames = names
    }

    /// The component name of a type (its input variant when `input`).
    func componentName(_ typeName: String, input: Bool) -> String {
        componentName(TypeComponent(typeName: typeName, input: input))
    }

    // MARK: - References

    /// Whether a type needs a separate input variant: typedefs (whose members are all optional
    /// in requests, all present in answers) and whatever contains one.
    mutating func needsInputVariant(_ t: TypeRef) -> Bool {
        if types.special(t) != nil { return false }
        switch t {
        case .scalar, .string, .enumeration: return false
        case .structure: return true
        case .alias(let name):
            guard let alias = schema.aliases[name] else { return false }
            return needsInputVariant(alias.type)
        case .union(let name):
            if let known = inputVariantMemo[name] { return known }
            inputVariantMemo[name] = false // recursion guard
            let needs = schema.unions[name]?.fields.contains { needsInputVariant($0.type) } ?? false
            inputVariantMemo[name] = needs
            return needs
        }
    }

    private mutating func componentRef(_ typeName: String, _ t: TypeRef, mode: Mode) -> JSONValue {
        let input = mode == .input && needsInputVariant(t)
        // The canonical component exists for every type in use, also when only requests use it.
        referenced.insert(TypeComponent(typeName: typeName, input: false))
        if input { referenced.insert(TypeComponent(typeName: typeName, input: true)) }
        return ref(componentName(typeName, input: input))
    }

    // MARK: - Values

    /// The schema of one value of type `t` (no array cardinality).
    mutating func valueSchema(_ t: TypeRef, mode: Mode) -> JSONValue {
        switch t {
        case .scalar(let s):
            return Self.scalarSchema(s)
        case .string:
            return object([("type", str("string"))])
        case .enumeration(let name):
            let r = componentRef(name, t, mode: mode)
            guard let e = schema.enums[name], !e.isFlagSet else { return r }
            return object([("anyOf", .array([r, Self.unnamedEnumValue(e)]))])
        case .structure(let name), .union(let name), .alias(let name):
            return componentRef(name, t, mode: mode)
        }
    }

    /// JSON Schema of a scalar.
    static func scalarSchema(_ s: ScalarType) -> JSONValue {
        switch s {
        case .bool: return object([("type", str("boolean"))])
        case .f64: return object([("type", str("number")), ("format", str("double"))])
        case .u64: return object([("type", str("integer")), ("format", str("uint64")), ("minimum", int(0))])
        case .i64: return object([("type", str("integer")), ("format", str("int64"))])
        default:
            let (lo, hi) = range(s)
            return object([("type", str("integer")), ("minimum", lo), ("maximum", hi)])
        }
    }

    /// Minimum and maximum of an integer type as JSON numbers.
    static func range(_ s: ScalarType) -> (JSONValue, JSONValue) {
        switch s {
        case .u8: (int(0), int(UInt8.max))
        case .i8: (int(Int8.min), int(Int8.max))
        case .u16: (int(0), int(UInt16.max))
        case .i16: (int(Int16.min), int(Int16.max))
        case .u32: (int(0), int(UInt32.max))
        case .i32: (int(Int32.min), int(Int32.max))
        case .u64: (int(0), int(UInt64.max))
        case .i64: (int(Int64.min), int(Int64.max))
        case .f64, .bool: (int(0), int(0))
        }
    }

    /// The unsigned type of the same size (flag-set bits are read unsigned).
    static func unsigned(_ s: ScalarType) -> ScalarType {
        switch s {
        case .i8: .u8
        case .i16: .u16
        case .i32: .u32
        case .i64: .u64
        default: s
        }
    }

    /// The integer form of a plain-enum value (accepted on input, written for unnamed values).
    static func unnamedEnumValue(_ e: EnumDef) -> JSONValue {
        let (lo, hi) = range(e.width)
        return object([
            ("type", str("integer")), ("minimum", lo), ("maximum", hi),
            ("description", str("The numeric value of \(e.name). Accepted on input; written for a value that has no member name.")),
        ])
    }

    /// `"0x"` + hex of `n` bytes; input may give fewer (right-padded with zeros).
    static func fixedBytes(_ n: Int) -> JSONValue {
        object([
            ("type", str("string")),
            ("pattern", str("^0x([0-9a-fA-F]{2}){0,\(n)}$")),
            ("description", str("\(n) bytes as \"0x\" and lowercase hex (\(2 + 2 * n) characters; input may use uppercase, "
                + "and fewer bytes, right-padded with zeros).")),
        ])
    }

    /// `"0x"` + hex of any number of bytes.
    static func variableBytes(maxBytes: Int?) -> JSONValue {
        object([
            ("type", str("string")),
            ("pattern", str("^0x([0-9a-fA-F]{2})*$")),
            ("maxLength", maxBytes.map { int(2 + 2 * $0) }),
            ("description", str("Bytes as \"0x\" and lowercase hex; \"0x\" when empty"
                + (maxBytes.map { " (at most \($0) bytes)" } ?? "") + ".")),
        ])
    }

    /// `string x[N]`: at most N-1 bytes (VPP keeps a terminating NUL).
    static func fixedString(_ n: Int) -> JSONValue {
        object([
            ("type", str("string")),
            ("maxLength", int(max(n - 1, 0))),
            ("description", str("At most \(max(n - 1, 0)) bytes (string[\(n)] keeps a terminating NUL; VPP strings are ASCII).")),
        ])
    }

    /// The largest count a length field of this type can hold, when it is small.
    private func maxCount(lengthField: String?, in siblings: [Field]) -> Int? {
        guard let lf = lengthField, let f = siblings.first(where: { $0.name == lf }),
              let s = types.scalar(f.type) else { return nil }
        switch s {
        case .u8: return Int(UInt8.max)
        case .u16: return Int(UInt16.max)
        case .i8: return Int(Int8.max)
        case .i16: return Int(Int16.max)
        default: return nil
        }
    }

    /// The schema of a field: its type with the field's cardinality, default and description.
    mutating func fieldSchema(_ f: Field, siblings: [Field], mode: Mode, doc: String?) -> JSONValue {
        var s: JSONValue
        var notes: [String] = []
        switch f.cardinality {
        case .single:
            s = valueSchema(f.type, mode: mode)
        case .fixed(let n):
            if f.type == .string {
                s = Self.fixedString(n)
            } else if f.type == .scalar(.u8) {
                s = Self.fixedBytes(n)
            } else {
                s = object([("type", str("array")), ("items", valueSchema(f.type, mode: mode)),
                            ("minItems", int(n)), ("maxItems", int(n))])
                notes.append("Exactly \(n) elements.")
            }
        case .variable(let lf):
            if f.type == .string {
                s = object([("type", str("string")), ("maxLength", f.limit.map { int($0) })])
            } else if f.type == .scalar(.u8) {
                s = Self.variableBytes(maxBytes: maxCount(lengthField: lf, in: siblings))
                if let lf { notes.append("Its byte count is `\(lf)`.") }
            } else {
                s = object([("type", str("array")), ("items", valueSchema(f.type, mode: mode)),
                            ("maxItems", maxCount(lengthField: lf, in: siblings).map { int($0) })])
                if let lf { notes.append("Its element count is `\(lf)`.") }
            }
        }
        let counted = siblings.filter { g in
            if case .variable(let lf?) = g.cardinality { return lf == f.name }
            return false
        }.map(\.name)
        if !counted.isEmpty {
            let list = counted.map { "`\($0)`" }.joined(separator: ", ")
            notes.append(mode == .input
                ? "Length of \(list): optional, derived from it when omitted (and must match it when given)."
                : "Length of \(list) (equals its element or byte count).")
        }
        if let d = f.discriminator {
            notes.append("Discriminated by `\(d)`: the object holds only the active arm.")
            s = s.setting("x-vpp-discriminator", str(d))
        }
        if mode == .input, let d = f.defaultValue {
            s = s.setting("default", normalizedDefault(d, for: f))
        }
        // The field's own words first, then what the inline type says, then the notes; a
        // referenced type keeps its description on the component.
        let text = sentences([doc, s["description"]?.stringValue] + notes)
        if !text.isEmpty {
            s = s.setting("description", str(text))
        }
        return s
    }

    /// A default as the JSON the field takes: enum integers become member names, flag-set
    /// integers arrays of names.
    func normalizedDefault(_ d: JSONValue, for f: Field) -> JSONValue {
        guard f.cardinality == .single, let e = types.enumeration(f.type),
              let n = d.numberValue?.int64Value else { return d }
        if e.isFlagSet { return Self.flagNames(UInt64(bitPattern: n), e) }
        return e.member(value: n).map { str($0) } ?? d
    }

    /// The canonical array of a flag-set value.
    static func flagNames(_ value: UInt64, _ e: EnumDef) -> JSONValue {
        var names: [JSONValue] = []
        var left = value
        for m in e.members where m.value != 0 {
            let v = UInt64(bitPattern: m.value)
            if value & v == v {
                names.append(str(m.name))
                left &= ~v
            }
        }
        if left != 0 { names.append(int(left)) }
        return .array(names)
    }

    // MARK: - Components

    /// The component schema of a type.
    mutating func componentSchema(_ c: TypeComponent) -> JSONValue {
        let mode: Mode = c.variant == .input ? .input : .output
        let name = c.typeName
        if let e = schema.enums[name] {
            return c.variant == .flagNames ? flagNamesSchema(e) : enumSchema(e)
        }
        if let a = schema.aliases[name] { return aliasSchema(a, mode: mode) }
        if let s = schema.structs[name] {
            if let sp = types.special(.structure(name)) { return Self.specialSchema(sp, name: name) }
            return structSchema(s, mode: mode)
        }
        if let u = schema.unions[name] { return unionSchema(u, mode: mode) }
        return object([("description", str("Unknown type \(name)."))])
    }

    /// The member names of a flag set, as a string enum (the named items of its array).
    private func flagNamesSchema(_ e: EnumDef) -> JSONValue {
        object([
            ("type", str("string")),
            ("enum", e.members.isEmpty ? nil : strings(e.members.map(\.name))),
            ("description", str("A member of flag set \(e.name): "
                + e.members.map { "\($0.name)=\($0.value)" }.joined(separator: ", ") + ".")),
            ("x-vpp-enum", str(e.name)),
        ])
    }

    private mutating func enumSchema(_ e: EnumDef) -> JSONValue {
        let values = object(e.members.map { ($0.name, int($0.value)) })
        if e.isFlagSet {
            let (_, hi) = Self.range(Self.unsigned(e.width))
            let shown = e.members.filter { $0.value != 0 }.map(\.name)
            let names = TypeComponent(flagNamesOf: e.name)
            referenced.insert(names)
            let item = object([
                ("anyOf", .array([
                    ref(componentName(names)),
                    object([("type", str("integer")), ("minimum", int(0)), ("maximum", hi),
                            ("description", str("Bits that belong to no member (output: one final element)."))]),
                ])),
            ])
            return object([
                ("type", str("array")),
                ("items", item),
                ("description", str("""
                    Flag set \(e.name) (\(e.width.rawValue) on the wire): the names of the members whose bits are \
                    set, in declaration order; members whose value is 0 are never listed, so no flags is []. Bits \
                    that belong to no member follow as one final integer. Input also accepts names and integers \
                    in any order and mix (they are ORed), a single name string or a single integer. Members: \
                    \(e.members.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")). Output lists \
                    only: \(shown.joined(separator: ", ")).
                    """)),
                ("x-vpp-enum", str(e.name)),
                ("x-vpp-flag-values", values),
            ])
        }
        return object([
            ("type", str("string")),
            ("enum", e.members.isEmpty ? nil : strings(e.members.map(\.name))),
            ("description", str("""
                Enum \(e.name) (\(e.width.rawValue) on the wire): a member name. Input also accepts the \
                integer value; a value that has no member name is written as its integer. Values: \
                \(e.members.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")).
                """)),
            ("x-vpp-enum", str(e.name)),
            ("x-vpp-values", values),
        ])
    }

    private mutating func aliasSchema(_ a: AliasDef, mode: Mode) -> JSONValue {
        if let sp = types.special(.alias(a.name)) { return Self.specialSchema(sp, name: a.name) }
        var s: JSONValue
        if let n = a.length {
            if a.type == .scalar(.u8) {
                s = Self.fixedBytes(n)
            } else if a.type == .string {
                s = Self.fixedString(n)
            } else {
                s = object([("type", str("array")), ("items", valueSchema(a.type, mode: mode)),
                            ("minItems", int(n)), ("maxItems", int(n))])
            }
        } else {
            s = valueSchema(a.type, mode: mode)
        }
        let base: String = switch a.type {
        case .scalar(let sc): sc.rawValue
        case .string: "string"
        case .enumeration(let n), .structure(let n), .union(let n), .alias(let n): n
        }
        let old = s["description"]?.stringValue.map { " " + $0 } ?? ""
        return s.setting("description", str("Alias \(a.name) of \(base)\(a.length.map { "[\($0)]" } ?? "").\(old)"))
    }

    private mutating func structSchema(_ s: StructDef, mode: Mode) -> JSONValue {
        var props: [(String, JSONValue?)] = []
        for f in s.fields {
            props.append((f.name, fieldSchema(f, siblings: s.fields, mode: mode, doc: nil)))
        }
        return object([
            ("type", str("object")),
            ("description", str(mode == .input
                ? "Typedef \(s.name), as a request reads it: every member is optional (missing members take their default, else zero)."
                : "Typedef \(s.name): members in declaration order; the gateway writes every member.")),
            ("properties", object(props)),
            ("required", mode == .output && !s.fields.isEmpty ? strings(s.fields.map(\.name)) : nil),
            ("additionalProperties", .bool(false)),
        ])
    }

    private mutating func unionSchema(_ u: StructDef, mode: Mode) -> JSONValue {
        var props: [(String, JSONValue?)] = []
        for f in u.fields {
            var arm = fieldSchema(f, siblings: u.fields, mode: mode, doc: nil)
            if let c = f.caseLabel { arm = arm.setting("x-vpp-case", str(c)) }
            props.append((f.name, arm))
        }
        let tagged = u.fields.contains { $0.caseLabel != nil }
        return object([
            ("type", str("object")),
            ("description", str("""
                Union \(u.name): an object whose members are its arms. Where a field names a discriminator, \
                the gateway writes exactly one member, the active arm (every arm when the discriminator \
                matches none); otherwise it writes every arm, each read from the same bytes. Input gives \
                one arm (or several: the discriminator's arm, else the first of maximal size, is encoded).
                """ + (tagged ? " Arms name their discriminator value in x-vpp-case." : ""))),
            ("properties", object(props)),
            ("minProperties", int(1)),
            ("additionalProperties", .bool(false)),
        ])
    }

    /// The text forms of the special types (vectors README §3.6).
    static func specialSchema(_ sp: TextForm, name: String) -> JSONValue {
        let ip4 = "^[0-9]{1,3}(\\.[0-9]{1,3}){3}"
        let ip6 = "^[0-9a-fA-F:.]{2,45}"
        switch sp {
        case .ip4Address:
            return object([
                ("type", str("string")), ("format", str("ipv4")),
                ("description", str("\(name): an IPv4 address in dotted-quad form.")),
                ("examples", strings(["192.0.2.1"])),
            ])
        case .ip6Address:
            return object([
                ("type", str("string")), ("format", str("ipv6")),
                ("description", str("\(name): an IPv6 address. Output is VPP's form: lowercase, the longest run of zero groups as ::, never a dotted IPv4 tail (::ffff:c000:201).")),
                ("examples", strings(["2001:db8::1"])),
            ])
        case .macAddress:
            return object([
                ("type", str("string")),
                ("pattern", str("^([0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}|[0-9a-fA-F]{4}\\.[0-9a-fA-F]{4}\\.[0-9a-fA-F]{4})$")),
                ("description", str("\(name): a MAC address. Output is aa:bb:cc:dd:ee:ff (lowercase); input also accepts aa-bb-cc-dd-ee-ff and aabb.ccdd.eeff.")),
                ("examples", strings(["02:fe:12:34:56:78"])),
            ])
        case .address:
            return object([
                ("type", str("string")),
                ("anyOf", .array([object([("format", str("ipv4"))]), object([("format", str("ipv6"))])])),
                ("description", str("\(name): an IPv4 or IPv6 address as text (the af and union of the wire form are implied by it).")),
                ("examples", strings(["192.0.2.1", "2001:db8::1"])),
            ])
        case .prefix:
            return object([
                ("type", str("string")),
                ("pattern", str(ip6 + "/[0-9]{1,3}$")),
                ("description", str("\(name): an IPv4 or IPv6 address and prefix length, address/len. Host bits are kept as given (10.0.0.1/24 is an interface address).")),
                ("examples", strings(["10.0.0.1/24", "2001:db8::/32"])),
            ])
        case .ip4Prefix:
            return object([
                ("type", str("string")),
                ("pattern", str(ip4 + "/[0-9]{1,2}$")),
                ("description", str("\(name): an IPv4 address and prefix length (0-32), address/len. Host bits are kept as given.")),
                ("examples", strings(["192.0.2.0/24"])),
            ])
        case .ip6Prefix:
            return object([
                ("type", str("string")),
                ("pattern", str(ip6 + "/[0-9]{1,3}$")),
                ("description", str("\(name): an IPv6 address and prefix length (0-128), address/len. Host bits are kept as given.")),
                ("examples", strings(["2001:db8::/32"])),
            ])
        }
    }
}
