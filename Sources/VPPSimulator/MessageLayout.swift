import VPPSchema

/// Where each top-level field of a message sits, computed once from the schema.
///
/// Handlers read requests and write replies at these offsets directly, like VPP's C handlers
/// cast the buffer to a struct: no JSON on the request path. Only messages whose variable part
/// is a trailing `string x[]` or a trailing VLA counted by an earlier field are "simple";
/// anything else (a typedef that ends in a VLA) is validated with the codec instead.
final class MessageLayout: Sendable {
    /// One fixed-size field.
    struct Slot: Sendable {
        let offset: Int
        let size: Int
    }

    /// The variable part at the end of a simple message.
    enum Tail: Sendable, Equatable {
        /// `string x[]`: u32 length at `offset` (inside the fixed part), bytes after it.
        case string(name: String, offset: Int)
        /// `T x[n]`: elements of `elementSize` after the fixed part; `n` is the field `count`.
        case array(name: String, countField: String, elementSize: Int)
    }

    let name: String
    /// Size of everything up to the variable content (includes a variable string's u32 length).
    let fixedSize: Int
    let slots: [String: Slot]
    let tail: Tail?
    /// False when the message has variable-size parts the layout cannot describe.
    let isSimple: Bool

    init(_ message: MessageDef, schema: Schema) {
        name = message.name
        var offset = 0
        var slots: [String: Slot] = [:]
        var tail: Tail?
        var simple = true
        for (i, field) in message.fields.enumerated() {
            let isLast = i == message.fields.count - 1
            switch field.cardinality {
            case .variable(let lengthField):
                if field.type == .string, lengthField == nil {
                    slots[field.name] = Slot(offset: offset, size: 4)
                    tail = .string(name: field.name, offset: offset)
                    offset += 4
                } else if let lengthField, let size = Self.size(of: field.type, schema: schema) {
                    tail = .array(name: field.name, countField: lengthField, elementSize: size)
                } else {
                    simple = false
                }
                if !isLast { simple = false }
            case .single, .fixed:
                guard simple, let size = Self.size(of: field, schema: schema) else {
                    simple = false
                    continue
                }
                slots[field.name] = Slot(offset: offset, size: size)
                offset += size
            }
            if !simple { break }
        }
        fixedSize = offset
        self.slots = slots
        self.tail = tail
        isSimple = simple
    }

    /// The wire size of a single or fixed-array field; nil when it varies.
    static func size(of field: Field, schema: Schema) -> Int? {
        guard let one = field.type == .string ? 1 : size(of: field.type, schema: schema) else { return nil }
        switch field.cardinality {
        case .single: return field.type == .string ? nil : one
        case .fixed(let n): return one * n
        case .variable: return nil
        }
    }

    /// The wire size of one value of a type; nil when it varies.
    static func size(of type: TypeRef, schema: Schema, depth: Int = 0) -> Int? {
        guard depth < 32 else { return nil }
        switch type {
        case .scalar(let s): return s.size
        case .string: return nil
        case .enumeration(let n): return schema.enums[n]?.width.size
        case .alias(let n):
            guard let a = schema.aliases[n], let one = size(of: a.type, schema: schema, depth: depth + 1) else { return nil }
            return one * (a.length ?? 1)
        case .structure(let n):
            guard let s = schema.structs[n] else { return nil }
            var total = 0
            for f in s.fields {
                guard let fs = fieldSize(f, schema: schema, depth: depth + 1) else { return nil }
                total += fs
            }
            return total
        case .union(let n):
            guard let u = schema.unions[n] else { return nil }
            var widest = 0
            for f in u.fields {
                guard let fs = fieldSize(f, schema: schema, depth: depth + 1) else { return nil }
                widest = max(widest, fs)
            }
            return widest
        }
    }

    private static func fieldSize(_ f: Field, schema: Schema, depth: Int) -> Int? {
        let one: Int?
        if f.type == .string { one = 1 } else { one = size(of: f.type, schema: schema, depth: depth) }
        guard let one else { return nil }
        switch f.cardinality {
        case .single: return f.type == .string ? nil : one
        case .fixed(let n): return one * n
        case .variable: return nil
        }
    }

    /// The size a received message must have at least, given what its count fields say
    /// (VPP's generated `calc_size`, checked in api_shared.c:519-536). Nil when the fixed part
    /// itself is missing.
    func requiredSize(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= fixedSize else { return nil }
        switch tail {
        case nil: return fixedSize
        case .string(_, let offset):
            return fixedSize + Int(bytes.loadBigEndian(UInt32.self, at: offset))
        case .array(_, let countField, let elementSize):
            guard let s = slots[countField] else { return fixedSize }
            return fixedSize + Int(bytes.loadUnsigned(at: s.offset, size: s.size)) * elementSize
        }
    }
}

extension UnsafeRawBufferPointer {
    /// A big-endian integer at `offset` (caller checked the bounds).
    func loadBigEndian<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        T(bigEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// A big-endian unsigned integer of 1, 2, 4 or 8 bytes at `offset`.
    func loadUnsigned(at offset: Int, size: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<size { v = v << 8 | UInt64(self[offset + i]) }
        return v
    }
}
