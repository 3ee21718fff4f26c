import VPPSchema


/// Questions about types that both the surface and the mapping ask.
///
/// The special types are recognised by `Schema.textForm`, the same test the codec uses: a
/// custom API that reuses a name with another layout is described generically, as it is
/// rendered.
struct TypeClassifier: Sendable {
    let schema: Schema

    /// The special type a type reference renders as, following aliases.
    func special(_ t: TypeRef) -> TextForm? {
        var t = t
        for _ in 0..<16 {
            switch t {
            case .alias(let name):
                guard let alias = schema.aliases[name] else { return nil }
                if alias.length != nil { return schema.textForm(ofAlias: name) }
                t = alias.type
            case .structure(let name):
                return schema.textForm(ofStructure: name)
            default:
                return nil
            }
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
