import VPPJSON
import VPPSchema

/// Compiles schema definitions into `MessagePlan`s, caching typedef and union plans.
///
/// The special types (`ip4_address`, `ip6_address`, `mac_address`, `address`, `prefix`,
/// `ip4_prefix`, `ip6_prefix` and the aliases of prefixes) are recognised by name *and*
/// layout, mirroring VPP's manual_print types (src/vnet/ip/ip_types.api,
/// src/vnet/ethernet/ethernet_types.api): a custom API that reuses a name with another layout
/// is rendered generically instead of being misread.
struct PlanCompiler {
    let schema: Schema
    private var structCache: [String: StructPlan] = [:]
    private var unionCache: [String: UnionPlan] = [:]
    private var enumCache: [String: EnumPlan] = [:]
    private var depth = 0

    init(schema: Schema) {
        self.schema = schema
    }

    mutating func compile(_ message: MessageDef) throws(PlanError) -> MessagePlan {
        let body = try compileFields(message.fields, name: message.name, topLevel: true)
        return MessagePlan(definition: message, body: body)
    }

    private mutating func enumPlan(_ name: String) throws(PlanError) -> EnumPlan {
        if let e = enumCache[name] { return e }
        guard let def = schema.enums[name] else { throw PlanError(reason: "unknown enum \(name)") }
        let e = EnumPlan(def)
        enumCache[name] = e
        return e
    }

    /// The node for one value of `type` (no array cardinality).
    private mutating func node(_ type: TypeRef) throws(PlanError) -> Node {
        depth += 1
        defer { depth -= 1 }
        guard depth < 32 else { throw PlanError(reason: "types nest more than 32 levels (recursive typedef?)") }
        switch type {
        case .scalar(let s):
            return .scalar(s)
        case .string:
            return .variableString(limit: nil)
        case .enumeration(let name):
            let e = try enumPlan(name)
            return (schema.enums[name]?.isFlagSet ?? false) ? .flagSet(e) : .plainEnum(e)
        case .alias(let name):
            guard let alias = schema.aliases[name] else { throw PlanError(reason: "unknown alias \(name)") }
            if let length = alias.length {
                if let form = schema.textForm(ofAlias: name) { return Self.node(form) }
                if alias.type == .scalar(.u8) { return .fixedBytes(length) }
                if alias.type == .string { return .fixedString(length) }
                return .fixedArray(try node(alias.type), length)
            }
            return try node(alias.type)
        case .structure(let name):
            if let form = schema.textForm(ofStructure: name) { return Self.node(form) }
            if let cached = structCache[name] { return .structure(cached) }
            guard let def = schema.structs[name] else { throw PlanError(reason: "unknown typedef \(name)") }
            let plan = try compileFields(def.fields, name: name, topLevel: false)
            structCache[name] = plan
            return .structure(plan)
        case .union(let name):
            if let cached = unionCache[name] { return .union(cached) }
            guard let def = schema.unions[name] else { throw PlanError(reason: "unknown union \(name)") }
            var arms: [UnionPlan.Arm] = []
            for f in def.fields {
                let n = try fieldNode(f, slots: [:])
                guard let size = n.fixedSize else {
                    throw PlanError(reason: "union \(name) arm \(f.name) has no fixed size")
                }
                arms.append(UnionPlan.Arm(name: f.name, key: Array("\"\(f.name)\":".utf8), node: n, size: size,
                                          caseValue: nil))
            }
            let plan = UnionPlan(name: name, arms: arms)
            unionCache[name] = plan
            return .union(plan)
        }
    }

    /// The node that renders a type with a text form (recognised in VPPSchema, by name and
    /// layout, for the codec and the OpenAPI document alike).
    private static func node(_ form: TextForm) -> Node {
        switch form {
        case .ip4Address: .ip4Address
        case .ip6Address: .ip6Address
        case .macAddress: .macAddress
        case .address: .address
        case .prefix: .prefix(.any)
        case .ip4Prefix: .prefix(.ip4)
        case .ip6Prefix: .prefix(.ip6)
        }
    }

    /// The node for a field, with its array cardinality.
    private mutating func fieldNode(_ f: Field, slots: [String: Int]) throws(PlanError) -> Node {
        switch f.cardinality {
        case .single:
            return try node(f.type)
        case .fixed(let n):
            if f.type == .string { return .fixedString(n) }
            if f.type == .scalar(.u8) { return .fixedBytes(n) }
            return .fixedArray(try node(f.type), n)
        case .variable(let lengthField):
            if f.type == .string { return .variableString(limit: f.limit) }
            guard let lf = lengthField, let slot = slots[lf] else {
                throw PlanError(reason: "variable array \(f.name) has no length field")
            }
            if f.type == .scalar(.u8) { return .variableBytes(slot: slot) }
            return .variableArray(try node(f.type), slot: slot)
        }
    }

    private mutating func compileFields(_ fields: [Field], name: String, topLevel: Bool) throws(PlanError) -> StructPlan {
        // Fields whose values later fields need: length fields and discriminators.
        var slots: [String: Int] = [:]
        for f in fields {
            if case .variable(let lf?) = f.cardinality, slots[lf] == nil { slots[lf] = slots.count }
            if let d = f.discriminator, slots[d] == nil { slots[d] = slots.count }
        }
        var plans: [FieldPlan] = []
        for f in fields {
            var n = try fieldNode(f, slots: slots)
            var discriminatorSlot: Int?
            if let d = f.discriminator, case .union(let u) = n,
               let discField = fields.first(where: { $0.name == d }),
               case .enumeration(let enumName) = discField.type, let e = schema.enums[enumName],
               let def = schema.unions[u.name] {
                // Attach case values from the union's arm options, resolved against the
                // discriminator's enum (vppapigen 26.06 `_validate_tagged_unions`).
                let arms = zip(u.arms, def.fields).map { arm, field in
                    UnionPlan.Arm(name: arm.name, key: arm.key, node: arm.node, size: arm.size,
                                  caseValue: field.caseLabel.flatMap { e.value(of: $0) })
                }
                n = .union(UnionPlan(name: u.name, arms: arms))
                discriminatorSlot = slots[d]
            }
            let lengthOf = fields.enumerated().compactMap { i, g -> Int? in
                if case .variable(let lf?) = g.cardinality, lf == f.name { return i }
                return nil
            }
            let hidden = topLevel && (f.name == "_vl_msg_id" || f.name == "client_index" || f.name == "context")
            plans.append(FieldPlan(name: f.name, key: Array("\"\(f.name)\":".utf8), node: n, visible: !hidden,
                                   recordSlot: slots[f.name], lengthOf: lengthOf,
                                   discriminatorSlot: discriminatorSlot, defaultValue: f.defaultValue))
        }
        return StructPlan(name: name, fields: plans, slotCount: slots.count)
    }
}
