/// The most recent events, for `Last-Event-ID` replay.
///
/// A fixed-capacity circular buffer: memory is bounded whatever the event rate.
struct ReplayRing {
    private var storage: [HubEvent?]
    private var head = 0
    private(set) var count = 0

    init(capacity: Int) {
        storage = Array(repeating: nil, count: max(1, capacity))
    }

    mutating func append(_ e: HubEvent) {
        storage[(head + count) % storage.count] = e
        if count < storage.count {
            count += 1
        } else {
            head = (head + 1) % storage.count
        }
    }

    /// The oldest sequence still held.
    var oldest: UInt64? { count == 0 ? nil : storage[head]?.sequence }

    /// Events newer than `sequence`, oldest first.
    func after(_ sequence: UInt64) -> [HubEvent] {
        var out: [HubEvent] = []
        for i in 0..<count {
            if let e = storage[(head + i) % storage.count], e.sequence > sequence { out.append(e) }
        }
        return out
    }
}
