import VPPJSON

// The parts of `BinaryDecoder` that render whole structures, arrays, unions, enums and
// flag sets.
extension BinaryDecoder {
    /// A simple structure (`Op.simpleSize`) whose bytes are all there, into output room
    /// reserved for its bound: no bounds checks, no capacity checks.
    mutating func simpleStructure(_ op: UnsafeMutablePointer<Op>) {
        out.pos.pointee = UInt8(ascii: "{")
        out.pos += 1
        let start = Int(op.pointee.a)
        for i in start..<start + Int(op.pointee.b) {
            let f = ops + i
            let key = text + Int(f.pointee.keyStart)
            let dst = UnsafeMutableRawPointer(out.pos)
            dst.storeBytes(of: UnsafeRawPointer(key).loadUnaligned(as: SIMD16<UInt8>.self), as: SIMD16<UInt8>.self)
            dst.storeBytes(of: UnsafeRawPointer(key).loadUnaligned(fromByteOffset: 16, as: SIMD16<UInt8>.self),
                           toByteOffset: 16, as: SIMD16<UInt8>.self)
            if f.pointee.keyLength > Int32(OutputCursor.keySlack) {
                out.pos.update(from: key, count: Int(f.pointee.keyLength))
            }
            out.pos += Int(f.pointee.keyLength)
            simpleValue(f)
        }
        out.pos.pointee = UInt8(ascii: "}")
        out.pos += 1
    }

    @inline(__always)
    mutating func simpleValue(_ op: UnsafeMutablePointer<Op>) {
        @inline(__always) func load<T: FixedWidthInteger>(_: T.Type) -> T {
            let v = T(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: T.self))
            offset += MemoryLayout<T>.size
            return v
        }
        switch op.pointee.code {
        case .u8: out.uintUnchecked(UInt64(load(UInt8.self)))
        case .u16: out.uintUnchecked(UInt64(load(UInt16.self)))
        case .u32: out.uintUnchecked(UInt64(load(UInt32.self)))
        case .u64: out.uintUnchecked(load(UInt64.self))
        case .i8: out.intUnchecked(Int64(load(Int8.self)))
        case .i16: out.intUnchecked(Int64(load(Int16.self)))
        case .i32: out.intUnchecked(Int64(load(Int32.self)))
        case .i64: out.intUnchecked(load(Int64.self))
        case .structure: simpleStructure(op)
        case .bool:
            if load(UInt8.self) != 0 { out.copy("true") } else { out.copy("false") }
        case .plainEnum:
            let v: Int64
            switch (op.pointee.width, op.pointee.signed) {
            case (1, false): v = Int64(load(UInt8.self))
            case (2, false): v = Int64(load(UInt16.self))
            case (4, false): v = Int64(load(UInt32.self))
            case (1, true): v = Int64(load(Int8.self))
            case (2, true): v = Int64(load(Int16.self))
            case (4, true): v = Int64(load(Int32.self))
            default: v = Int64(bitPattern: load(UInt64.self))
            }
            writeEnum(v, enums[Int(op.pointee.a)])
        case .mac:
            out.quoted { AddressText.writeMAC(p + offset, to: $0) }
            offset += 6
        default:
            // The rest already write into reserved room; their reads are covered by the
            // struct's size check, so this cannot throw.
            _ = try? decodeValue(op, slots)
        }
    }

    /// An array of integers whose bytes are all there (checked by the caller): no per-element
    /// bounds or error handling. A short array takes the general path, which names the
    /// element that is cut off.
    mutating func integerArray(_ code: OpCode, count n: Int) {
        switch code {
        case .u8: integers(UInt8.self, count: n)
        case .u16: integers(UInt16.self, count: n)
        case .u32: integers(UInt32.self, count: n)
        case .u64: integers(UInt64.self, count: n)
        case .i8: integers(Int8.self, count: n)
        case .i16: integers(Int16.self, count: n)
        case .i32: integers(Int32.self, count: n)
        default: integers(Int64.self, count: n)
        }
    }

    @inline(__always)
    mutating func integers<T: FixedWidthInteger>(_: T.Type, count n: Int) {
        out.byte(UInt8(ascii: "["))
        for i in 0..<n {
            out.reserve(22)
            if i > 0 {
                out.pos.pointee = UInt8(ascii: ",")
                out.pos += 1
            }
            let v = T(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: T.self))
            if T.isSigned { out.intUnchecked(Int64(v)) } else { out.uintUnchecked(UInt64(v)) }
            offset += MemoryLayout<T>.size
        }
        out.byte(UInt8(ascii: "]"))
    }

    /// A discriminated union renders its active arm only; otherwise (no discriminator, or a
    /// value no arm names) every arm is rendered from the same bytes (vectors README §3.7).
    mutating func decodeUnion(_ op: UnsafeMutablePointer<Op>, discriminator: Int64?) throws(CodecError) {
        let size = Int(op.pointee.c)
        try need(size)
        let start = offset
        let first = Int(op.pointee.a), armCount = Int(op.pointee.b)
        out.byte(UInt8(ascii: "{"))
        var selected = -1
        if let d = discriminator {
            for k in first..<first + armCount where ops[k].hasCase && ops[k].caseValue == d {
                selected = k
                break
            }
        }
        for k in first..<first + armCount where selected < 0 || k == selected {
            offset = start
            if selected < 0, k > first { out.byte(UInt8(ascii: ",")) }
            out.key(text + Int(ops[k].keyStart), Int(ops[k].keyLength))
            do throws(CodecError) { _ = try decodeValue(ops + k, slots) } catch {
                throw error.under(program.names[k])
            }
        }
        out.byte(UInt8(ascii: "}"))
        offset = start + size
    }

    mutating func writeEnum(_ v: Int64, _ e: EnumTable) {
        var member = -1
        if v >= 0, v < Int64(e.denseCount) {
            member = Int(dense[Int(e.denseStart) + Int(v)])
        } else {
            for k in Int(e.membersStart)..<Int(e.membersStart + e.membersCount) where enumNames[k].value == v {
                member = k
                break
            }
        }
        if member >= 0 {
            let m = enumNames[member]
            out.short(text + Int(m.textStart), Int(m.textLength))
        } else {
            out.int(v)
        }
    }

    /// Names of the set members in declaration order, then leftover bits as one integer.
    mutating func writeFlags(_ v: UInt64, _ e: EnumTable) {
        out.byte(UInt8(ascii: "["))
        var covered: UInt64 = 0
        var first = true
        for k in Int(e.flagsStart)..<Int(e.flagsStart + e.flagsCount) {
            let m = enumNames[k]
            let bits = UInt64(bitPattern: m.value)
            guard v & bits == bits else { continue }
            if !first { out.byte(UInt8(ascii: ",")) }
            out.short(text + Int(m.textStart), Int(m.textLength))
            covered |= bits
            first = false
        }
        let leftover = v & ~covered
        if leftover != 0 {
            if !first { out.byte(UInt8(ascii: ",")) }
            out.uint(leftover)
        }
        out.byte(UInt8(ascii: "]"))
    }
}
