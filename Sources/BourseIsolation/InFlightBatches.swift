/// The host's copies of the batches delivered to a worker whose results
/// have not come back yet, oldest first: some sent, the rest waiting to
/// be sent. A restarted worker gets all of them again (`markAllUnsent`),
/// so no message is lost when a worker dies with batches in flight.
final class InFlightBatches {
    /// Most batches sent and not yet answered.
    static let maximumSent = 4

    private var batches: [CopiedBatch] = []
    private var sentAt: [Int64] = []
    private var spare: [CopiedBatch] = []

    /// Batches sent whose results are awaited.
    private(set) var sentCount = 0
    /// Ring bytes of the sent batches' message frames.
    private(set) var sentBytes = 0

    /// Messages held (sent or not).
    var messageCount: Int { batches.reduce(0) { $0 + $1.count } }

    /// Batches held (sent or not).
    var batchCount: Int { batches.count }

    /// True when any batch is held (sent or not).
    var hasAny: Bool { !batches.isEmpty }

    /// An empty batch to fill, then `enqueue`.
    func newBatch() -> CopiedBatch {
        spare.popLast() ?? CopiedBatch(capacity: 1 << 15)
    }

    /// Adds a filled batch after the others (unsent). Empty batches are dropped.
    func enqueue(_ batch: CopiedBatch) {
        guard !batch.isEmpty else { return recycle(batch) }
        batches.append(batch)
    }

    /// The oldest batch not sent yet.
    var nextUnsent: CopiedBatch? {
        sentCount < batches.count ? batches[sentCount] : nil
    }

    /// Records that `nextUnsent` was sent at `time` (monotonic ns).
    func markNextSent(at time: Int64) {
        sentBytes += batches[sentCount].frameBytes
        sentAt.append(time)
        sentCount += 1
    }

    /// When the worker could start on the oldest sent batch: when it was
    /// sent, or when the batch before it was answered if that was later
    /// (the hang watchdog's clock starts there).
    var oldestSentAt: Int64 { sentAt.first ?? 0 }

    /// The oldest sent batch was handled at `time`: forget it; the worker
    /// starts on the next one now, so its watchdog clock starts no earlier.
    func acknowledgeOldest(at time: Int64) {
        guard sentCount > 0 else { return }
        let batch = batches.removeFirst()
        sentAt.removeFirst()
        if !sentAt.isEmpty { sentAt[0] = max(sentAt[0], time) }
        sentCount -= 1
        sentBytes -= batch.frameBytes
        recycle(batch)
    }

    /// A new worker knows nothing: every batch held is to be sent again.
    func markAllUnsent() {
        sentCount = 0
        sentBytes = 0
        sentAt.removeAll()
    }

    private func recycle(_ batch: CopiedBatch) {
        batch.reset()
        if spare.count < InFlightBatches.maximumSent * 2 { spare.append(batch) }
    }
}
