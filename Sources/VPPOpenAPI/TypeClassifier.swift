import VPPSchema

/// VPP's types with a text form in the canonical JSON (vectors README §3.6).
enum SpecialType: Sendable, Equatable {
    case ip4Address, ip6Address, macAddress, address, prefix, ip4Prefix, ip6Prefix
}

/// Questions about types that both the surface and the mapping ask.
///
/// The special types are recognised by name *and* layout, exactly as the codec does
/// (VPPCodec/PlanCompiler.swift): a custom API that reuses a name with another layout is
/// described generically, as it is rendered.
struct TypeClassifier: Sendable {
    let schema: Schema

    /// The special type a type reference renders as, following aliases.
    func special(_ t: TypeRef) -> SpecialType? {
        var t = t
        for _ in 0..<16 {
            switch t {
            case .alias(let name):
                guard let alias = schema.aliases[name] else { return nil }
                if let length = alias.length {
                    guard alias.type == .scalar(.u8) else { return nil }
                    switch (name, length) {
                    case ("ip4_address", 4): return .ip4Address
                    case ("ip6_address", 16): return .ip6Address
                    case ("mac_address", 6): return .macAddress
                    default: return nil
                    }
                }
                t = alias.type
            case .structure(let name):
                return specialStructure(name)
            default:
                return nil
            }
        }
        return nil
    }

    private func specialStructure(_ name: String) -> SpecialType? {
        guard let def = schema.structs[name], def.fields.count == 2 else { return nil }
        let (a, b) = (def.fields[0], def.fields[1])
        guard a.cardinality == .single, b.cardinality == .single else { return nil }
        switch name {
        case "address":
            if case .enumeration = a.type, case .union(let u) = b.type, u == "address_union",
               schema.enums[Schema.bareTypeName(a.typeName)]?.width == .u8 {
                return .address
            }
        case "prefix":
            if a.type == .structure("address"), b.type == .scalar(.u8), specialStructure("address") != nil {
                return .prefix
            }
        case "ip4_prefix":
            if a.type == .alias("ip4_address"), b.type == .scalar(.u8), schema.aliases["ip4_address"]?.length == 4 {
                return .ip4Prefix
            }
        case "ip6_prefix":
            if a.type == .alias("ip6_address"), b.type == .scalar(.u8), schema.aliases["ip6_address"]?.length == 16 {
                return .ip6Prefix
            }
        default:
            break
        }
        return nil
    }

    /// The scalar under a chain of aliases without array length (`interface_index` → u32).
    func scalar(_ t: TypeRef) -> ScalarType? {
        var t = t
        for _ in 0..<16 {
            switch t {
            case .scalar(let s): return s
            case .alias(let name):
                guard let alias = schema.aliases[name], alias.length == nil else { return nil }
                t = alias.type
            default: return nil
            }
        }
        return nil
    }

    /// The enum under a chain of aliases without array length.
    func enumeration(_ t: TypeRef) -> EnumDef? {
        var t = t
        for _ in 0..<16 {
            switch t {
            case .enumeration(let name): return schema.enums[name]
            case .alias(let name):
                guard let alias = schema.aliases[name], alias.length == nil else { return nil }
                t = alias.type
            default: return nil
            }
        }
        return nil
    }

    /// True for a flag set (rendered as a JSON array of names).
    func isFlagSet(_ t: TypeRef) -> Bool {
        enumeration(t)?.isFlagSet ?? false
    }

    /// Whether a field can be given as a query parameter: one scalar, string, enum name, flag
    /// set (repeated), special type text or u8 array hex — anything but objects and arrays of
    /// values.
    func isQueryField(_ f: Field) -> Bool {
        switch f.cardinality {
        case .single:
            if scalar(f.type) != nil || enumeration(f.type) != nil || special(f.type) != nil { return true }
            if f.type == .string { return true }
            if case .alias(let name) = f.type, let alias = schema.aliases[name], alias.length != nil,
               alias.type == .scalar(.u8) || alias.type == .string {
                return true
            }
            return false
        case .fixed, .variable:
            return f.type == .string || f.type == .scalar(.u8)
        }
    }
}
