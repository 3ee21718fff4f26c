import VPPJSON
import VPPSchema

extension DecodeProgram {
    /// Decodes `bytes` as the message at `entry`, appending its canonical JSON to `sink`.
    /// Returns the header values and the offset where the layout ended. On error nothing is
    /// left appended.
    func decode(_ entry: MessageEntry, _ bytes: UnsafeRawBufferPointer, into sink: inout [UInt8]) throws(CodecError) -> (MessageHeader, Int) {
        try OutputCursor.withScratch { scratch, scratchCount throws(CodecError) -> (MessageHeader, Int) in
            // The first 32 words of scratch hold the slot stack, the rest the output. An empty
            // input may have no base address; nothing is ever read from it, so any will do.
            let slotWords = 32
            let slots = UnsafeMutableRawPointer(scratch).bindMemory(to: Int64.self, capacity: slotWords)
            let input = bytes.baseAddress ?? UnsafeRawPointer(scratch)
            var d = BinaryDecoder(program: self, input: input, count: bytes.count,
                                  out: OutputCursor(scratch: scratch + slotWords * 8, count: scratchCount - slotWords * 8),
                                  slots: slots, slotCapacity: slotWords)
            swap(&d.out.sink, &sink)
            let mark = d.out.sink.count
            do throws(CodecError) {
                try d.decodeMessage(entry)
                d.out.flush()
            } catch {
                d.out.rollback(to: mark)
                swap(&d.out.sink, &sink)
                throw error
            }
            swap(&d.out.sink, &sink)
            return (d.header, d.offset)
        }
    }
}

/// Walks a message's bytes along its compiled ops and writes canonical JSON.
///
/// Every read is bounds-checked against the received length: a truncated message or a
/// length field pointing past the end is an error, never an out-of-bounds read. Reads go
/// through `p`, and each one is preceded by `need(n)` (or a count validated by `count`)
/// covering exactly the bytes it touches.
struct BinaryDecoder: ~Copyable {
    let program: DecodeProgram
    let ops: UnsafeMutablePointer<Op>
    let text: UnsafeMutablePointer<UInt8>
    let enums: UnsafeMutablePointer<EnumTable>
    let enumNames: UnsafeMutablePointer<EnumName>
    let dense: UnsafeMutablePointer<Int32>
    let p: UnsafeRawPointer
    let count: Int
    var offset = 0
    var out: OutputCursor
    /// Header values seen at the top level (`_vl_msg_id`, `client_index`, `context`).
    var header = MessageHeader()
    /// The slot values of the structs being decoded, innermost last.
    let slots: UnsafeMutablePointer<Int64>
    let slotCapacity: Int
    var slotTop = 0

    init(program: DecodeProgram, input: UnsafeRawPointer, count: Int, out: consuming OutputCursor,
         slots: UnsafeMutablePointer<Int64>, slotCapacity: Int) {
        self.program = program
        ops = program.ops
        text = program.text
        enums = program.enums
        enumNames = program.enumNames
        dense = program.dense
        p = input
        self.count = count
        self.out = out
        self.slots = slots
        self.slotCapacity = slotCapacity
    }

    // The helpers below take their inputs as arguments or are `mutating`: a non-mutating
    // method of this (large, noncopyable) struct made the compiler copy all of it per call.

    @inline(__always)
    mutating func need(_ n: Int) throws(CodecError) {
        if n > count - offset { throw Self.truncated(n, offset: offset, left: count - offset) }
    }

    @inline(never)
    private static func truncated(_ n: Int, offset: Int, left: Int) -> CodecError {
        CodecError(.truncated, path: "", reason: "message truncated: \(n) more byte\(n == 1 ? "" : "s") needed at offset \(offset), \(left) left")
    }

    /// A big-endian integer of a constant width.
    @inline(__always)
    private mutating func read<T: FixedWidthInteger>(_: T.Type) throws(CodecError) -> T {
        try need(MemoryLayout<T>.size)
        let v = T(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return v
    }

    /// A big-endian unsigned integer of 1, 2, 4 or 8 bytes.
    @inline(__always)
    private mutating func readUnsigned(_ size: Int) throws(CodecError) -> UInt64 {
        switch size {
        case 1: UInt64(try read(UInt8.self))
        case 2: UInt64(try read(UInt16.self))
        case 4: UInt64(try read(UInt32.self))
        default: try read(UInt64.self)
        }
    }

    /// A big-endian signed integer of 1, 2, 4 or 8 bytes, sign-extended.
    @inline(__always)
    private mutating func readSigned(_ size: Int) throws(CodecError) -> Int64 {
        switch size {
        case 1: Int64(try read(Int8.self))
        case 2: Int64(try read(Int16.self))
        case 4: Int64(try read(Int32.self))
        default: try read(Int64.self)
        }
    }

    @inline(__always)
    private mutating func byte(at o: Int) -> UInt8 {
        p.load(fromByteOffset: o, as: UInt8.self)
    }

    mutating func decodeMessage(_ m: MessageEntry) throws(CodecError) {
        out.copy(text + Int(m.prefixStart), Int(m.prefixLength))
        try decodeFields(Int(m.bodyStart), Int(m.bodyCount), slotCount: Int(m.slotCount))
        out.byte(UInt8(ascii: "}"))
    }

    private mutating func decodeFields(_ start: Int, _ n: Int, slotCount: Int) throws(CodecError) {
        // This struct's slots: on the slot stack, or (never for VPP's APIs, which use at
        // most one per struct) on the heap when the stack is full.
        let frameTop = slotTop
        var heapFrame: UnsafeMutablePointer<Int64>?
        let frame: UnsafeMutablePointer<Int64>
        if slotCount <= slotCapacity - slotTop {
            frame = slots + slotTop
            slotTop += slotCount
        } else {
            let h = UnsafeMutablePointer<Int64>.allocate(capacity: slotCount)
            heapFrame = h
            frame = h
        }
        frame.initialize(repeating: 0, count: slotCount)
        defer {
            slotTop = frameTop
            heapFrame?.deallocate()
        }
        for i in start..<start + n {
            let op = ops + i
            do throws(CodecError) {
                out.key(text + Int(op.pointee.keyStart), Int(op.pointee.keyLength))
                let v = try decodeValue(op, frame)
                if op.pointee.recordSlot >= 0 { frame[Int(op.pointee.recordSlot)] = v }
            } catch {
                throw error.under(program.names[i])
            }
        }
    }

    /// Decodes one value; returns its integer value for integers and enums (else 0), so
    /// length fields and discriminators can be remembered. On entry `OutputCursor.valueRoom`
    /// bytes are reserved (`OutputCursor.key`), which fixed-size values write into directly.
    @inline(__always)
    mutating func decodeValue(_ op: UnsafeMutablePointer<Op>, _ frame: UnsafeMutablePointer<Int64>) throws(CodecError) -> Int64 {
        switch op.pointee.code {
        case .u8: return unsigned(UInt64(try read(UInt8.self)))
        case .u16: return unsigned(UInt64(try read(UInt16.self)))
        case .u32: return unsigned(UInt64(try read(UInt32.self)))
        case .u64: return unsigned(try read(UInt64.self))
        case .i8: return signed(Int64(try read(Int8.self)))
        case .i16: return signed(Int64(try read(Int16.self)))
        case .i32: return signed(Int64(try read(Int32.self)))
        case .i64: return signed(try read(Int64.self))
        case .bool:
            try need(1)
            if byte(at: offset) != 0 { out.copy("true") } else { out.copy("false") }
            offset += 1
            return 0
        case .f64:
            try need(8)
            let bits = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            offset += 8
            let repr = Array(pythonRepr(Double(bitPattern: bits)).utf8)
            repr.withUnsafeBufferPointer { b in if let s = b.baseAddress { out.copy(s, b.count) } }
            return 0
        case .plainEnum:
            let w = Int(op.pointee.width)
            let v = try op.pointee.signed ? readSigned(w) : Int64(bitPattern: readUnsigned(w))
            writeEnum(v, enums[Int(op.pointee.a)])
            return v
        case .flagSet:
            let v = try readUnsigned(Int(op.pointee.width))
            writeFlags(v, enums[Int(op.pointee.a)])
            return Int64(bitPattern: v)
        case .fixedString:
            let n = Int(op.pointee.a)
            try need(n)
            out.fixedString(p + offset, n)
            offset += n
            return 0
        case .variableString:
            let len = Int(try readUnsigned(4))
            if len > count - offset {
                throw CodecError(.badLength, path: "", reason: "string length \(len) points past the end of the message (\(count - offset) bytes left)")
            }
            out.string(p + offset, len)
            offset += len
            return 0
        case .fixedBytes:
            let n = Int(op.pointee.a)
            try need(n)
            out.hexString(p + offset, n)
            offset += n
            return 0
        case .variableBytes:
            let n = try elementCount(frame[Int(op.pointee.slot)], elementSize: 1)
            out.hexString(p + offset, n)
            offset += n
            return 0
        case .ip4:
            try need(4)
            out.quoted { AddressText.writeIP4(p + offset, to: $0) }
            offset += 4
            return 0
        case .ip6:
            try need(16)
            out.quoted { AddressText.writeIP6(p + offset, to: $0) }
            offset += 16
            return 0
        case .mac:
            try need(6)
            out.quoted { AddressText.writeMAC(p + offset, to: $0) }
            offset += 6
            return 0
        case .address:
            try need(17)
            out.quoted { AddressText.writeAddress(p + offset, to: $0) }
            offset += 17
            return 0
        case .prefixAny, .prefix4, .prefix6:
            let size = op.pointee.code == .prefixAny ? 18 : op.pointee.code == .prefix4 ? 5 : 17
            try need(size)
            let a = p + offset
            let code = op.pointee.code
            out.quoted { start in
                var q: UnsafeMutablePointer<UInt8>
                switch code {
                case .prefixAny: q = AddressText.writeAddress(a, to: start)
                case .prefix4: q = AddressText.writeIP4(a, to: start)
                default: q = AddressText.writeIP6(a, to: start)
                }
                q.pointee = UInt8(ascii: "/")
                q += 1
                return q + JSONText.writeDecimal(UInt64(a.load(fromByteOffset: size - 1, as: UInt8.self)), to: q)
            }
            offset += size
            return 0
        case .structure:
            if op.pointee.simpleSize >= 0, Int(op.pointee.simpleSize) <= count - offset,
               Int(op.pointee.simpleOut) + OutputCursor.keySlack <= OutputCursor.chunk {
                // Every byte is there and nothing in it can fail: one bounds check and one
                // output reservation for the whole struct.
                out.reserve(Int(op.pointee.simpleOut) + OutputCursor.keySlack)
                simpleStructure(op)
                return 0
            }
            out.byte(UInt8(ascii: "{"))
            try decodeFields(Int(op.pointee.a), Int(op.pointee.b), slotCount: Int(op.pointee.c))
            out.byte(UInt8(ascii: "}"))
            return 0
        case .union:
            try decodeUnion(op, discriminator: op.pointee.slot >= 0 ? frame[Int(op.pointee.slot)] : nil)
            return 0
        case .fixedArray:
            try decodeArray(ops + Int(op.pointee.b), count: Int(op.pointee.a))
            return 0
        case .variableArray:
            let n = try elementCount(frame[Int(op.pointee.slot)], elementSize: Int(op.pointee.c))
            try decodeArray(ops + Int(op.pointee.b), count: n)
            return 0
        case .header:
            let v: UInt64
            switch op.pointee.width {
            case 2: v = UInt64(try read(UInt16.self))
            case 4: v = UInt64(try read(UInt32.self))
            default: v = try readHeader(Int(op.pointee.width))
            }
            switch op.pointee.a {
            case 0: header.messageID = UInt16(truncatingIfNeeded: v)
            case 1: header.clientIndex = UInt32(truncatingIfNeeded: v)
            default: header.context = UInt32(truncatingIfNeeded: v)
            }
            return Int64(bitPattern: v)
        }
    }

    @inline(__always)
    private mutating func unsigned(_ v: UInt64) -> Int64 {
        out.uintUnchecked(v)
        return Int64(bitPattern: v)
    }

    @inline(__always)
    private mutating func signed(_ v: Int64) -> Int64 {
        out.intUnchecked(v)
        return v
    }

    /// A header field: VPP's are u16 and u32. Other widths read up to 8 bytes big-endian,
    /// never past the end.
    private mutating func readHeader(_ size: Int) throws(CodecError) -> UInt64 {
        switch size {
        case 1, 2, 4, 8: return try readUnsigned(size)
        default:
            try need(size)
            var v: UInt64 = 0
            for k in 0..<8 {
                v <<= 8
                if offset + k < count { v |= UInt64(byte(at: offset + k)) }
            }
            offset += size
            return v
        }
    }

    /// Validates a VLA count against the bytes left (each element needs at least one byte).
    private mutating func elementCount(_ raw: Int64, elementSize: Int) throws(CodecError) -> Int {
        let left = count - offset
        guard raw >= 0, raw <= Int64(left / max(elementSize, 1)) else {
            throw CodecError(.badLength, path: "", reason: "length field says \(raw) element\(raw == 1 ? "" : "s") but only \(left) byte\(left == 1 ? "" : "s") are left")
        }
        return Int(raw)
    }

    private mutating func decodeArray(_ element: UnsafeMutablePointer<Op>, count n: Int) throws(CodecError) {
        if element.pointee.code.rawValue <= OpCode.i64.rawValue, n <= (count - offset) / Int(element.pointee.width) {
            integerArray(element.pointee.code, count: n)
            return
        }
        out.byte(UInt8(ascii: "["))
        for i in 0..<n {
            if i > 0 { out.byte(UInt8(ascii: ",")) }
            out.reserve(OutputCursor.valueRoom)
            do throws(CodecError) {
                _ = try decodeValue(element, slots)
            } catch {
                throw error.under(String(i))
            }
        }
        out.byte(UInt8(ascii: "]"))
    }
}
