/// The VPP types whose canonical JSON is a text form rather than their structure
/// (`../shared/vectors/README.md` §3.6): `"10.0.0.1"`, `"2001:db8::1"`,
/// `"aa:bb:cc:dd:ee:ff"`, `"10.0.0.0/8"`.
///
/// The codec renders them and the OpenAPI document describes them; both ask here, so the
/// two can never disagree. A type is recognised by its name *and* its layout: a custom API
/// that reuses a name with another layout is rendered structurally, like any other type.
public enum TextForm: Sendable, Equatable {
    /// `ip4_address`: `u8[4]`.
    case ip4Address
    /// `ip6_address`: `u8[16]`.
    case ip6Address
    /// `mac_address`: `u8[6]`.
    case macAddress
    /// `address`: a u8 address-family enum and the `address_union`.
    case address
    /// `prefix`: an `address` (itself in text form) and a u8 length.
    case prefix
    /// `ip4_prefix`: an `ip4_address` and a u8 length.
    case ip4Prefix
    /// `ip6_prefix`: an `ip6_address` and a u8 length.
    case ip6Prefix
}

extension Schema {
    /// The text form of alias `name`, if it is one of the address aliases with its
    /// standard layout (a `u8` array of 4, 16 or 6).
    public func textForm(ofAlias name: String) -> TextForm? {
        guard let alias = aliases[name], alias.type == .scalar(.u8) else { return nil }
        switch (name, alias.length) {
        case ("ip4_address", 4): return .ip4Address
        case ("ip6_address", 16): return .ip6Address
        case ("mac_address", 6): return .macAddress
        default: return nil
        }
    }

    /// The text form of typedef `name`, if it is `address`, `prefix`, `ip4_prefix` or
    /// `ip6_prefix` with its standard layout.
    public func textForm(ofStructure name: String) -> TextForm? {
        guard let def = structs[name], def.fields.count == 2 else { return nil }
        let (a, b) = (def.fields[0], def.fields[1])
        guard a.cardinality == .single, b.cardinality == .single else { return nil }
        switch name {
        case "address":
            if case .enumeration = a.type, case .union(let u) = b.type, u == "address_union",
               enums[Schema.bareTypeName(a.typeName)]?.width == .u8 {
                return .address
            }
        case "prefix":
            if a.type == .structure("address"), b.type == .scalar(.u8), textForm(ofStructure: "address") != nil {
                return .prefix
            }
        case "ip4_prefix":
            if a.type == .alias("ip4_address"), b.type == .scalar(.u8), textForm(ofAlias: "ip4_address") != nil {
                return .ip4Prefix
            }
        case "ip6_prefix":
            if a.type == .alias("ip6_address"), b.type == .scalar(.u8), textForm(ofAlias: "ip6_address") != nil {
                return .ip6Prefix
            }
        default:
            break
        }
        return nil
    }
}
