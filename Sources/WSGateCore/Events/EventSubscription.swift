import NIOConcurrencyHelpers
import NIOCore

/// One subscriber's queue of encoded Server-Sent Events records, filled by the connection's
/// ``EventHistory`` and drained by one writer that takes everything queued at once.
///
/// The history uses the queue's size for flow control: it stops reading the upstream while even
/// its fastest subscriber has much queued, and cuts a subscriber off once more than
/// `unsentLimit` bytes wait for it, or when it takes nothing for a while as the upstream waits.
public final class EventSubscription: Sendable {
    /// How the subscriber wants binary payloads.
    public let binaryEncoding: BinaryEncoding

    /// What the subscription tells its history.
    enum Notification {
        /// The writer took the queued records.
        case took
        /// The subscriber went away.
        case cancelled
    }

    fileprivate struct State {
        var queued = CircularBuffer<ByteBuffer>(initialCapacity: 2)
        /// The bytes in `queued`.
        var queuedBytes = 0
        /// When the writer last took records (or the subscription began).
        var lastTake = NIODeadline.now()
        var isFinished = false
        var isCutOff = false
        var waiter: CheckedContinuation<[ByteBuffer]?, Never>?
        var onCutOff: (@Sendable () -> Void)?
    }

    private let unsentLimit: Int
    private let state = NIOLockedValueBox(State())
    private let notify: @Sendable (EventSubscription, Notification) -> Void

    init(binaryEncoding: BinaryEncoding, unsentLimit: Int, notify: @escaping @Sendable (EventSubscription, Notification) -> Void) {
        self.binaryEncoding = binaryEncoding
        self.unsentLimit = unsentLimit
        self.notify = notify
    }

    /// Whether the subscriber was cut off for falling behind.
    public var wasCutOff: Bool {
        self.state.withLockedValue { $0.isCutOff }
    }

    /// The bytes waiting for the writer.
    var queuedBytes: Int { self.state.withLockedValue { $0.queuedBytes } }

    /// When the writer last took records.
    var lastTake: NIODeadline { self.state.withLockedValue { $0.lastTake } }

    /// Sets what to do when the subscriber is cut off, e.g. close its HTTP connection so that a
    /// writer blocked on a client that does not read is released.
    public func onCutOff(_ action: @escaping @Sendable () -> Void) {
        let cutOffAlready = self.state.withLockedValue { state in
            state.onCutOff = action
            return state.isCutOff
        }
        if cutOffAlready { action() }
    }

    /// The most bytes of records handed to the writer at once (a larger record goes alone): the
    /// writer's progress, which flow control watches, is seen at least every so many bytes.
    static let batchLimit = 256 * 1024

    /// Waits for records and returns the queued ones, up to ``batchLimit`` bytes, or `nil` once the stream has ended.
    public func next() async -> [ByteBuffer]? {
        let batch: [ByteBuffer]? = await withCheckedContinuation { continuation in
            let batch: [ByteBuffer]?? = self.state.withLockedValue { state in
                if !state.queued.isEmpty { return .some(state.take()) }
                if state.isFinished { return .some(nil) }
                state.waiter = continuation
                return .none
            }
            if let batch { continuation.resume(returning: batch) }
        }
        if batch != nil { self.notify(self, .took) }
        return batch
    }

    /// Stops the subscription: no more records are queued for it.
    public func cancel() {
        self.notify(self, .cancelled)
        self.finish()
    }

    /// Queues a record and returns the bytes now waiting. With `enforcingLimit`, a subscriber
    /// that already has more than its limit waiting is cut off instead: the record is dropped,
    /// `nil` returned, and the caller unsubscribes it and, outside its own locks, calls
    /// ``runCutOffAction()``.
    func enqueue(_ record: ByteBuffer, enforcingLimit: Bool) -> Int? {
        let (waiter, batch, queued): (CheckedContinuation<[ByteBuffer]?, Never>?, [ByteBuffer]?, Int?) =
            self.state.withLockedValue { state in
                guard !state.isFinished else { return (nil, nil, 0) }
                if enforcingLimit, state.queuedBytes > self.unsentLimit {
                    return (state.cutOff(), nil, nil)
                }
                state.queued.append(record)
                state.queuedBytes += record.readableBytes
                guard let waiter = state.waiter else { return (nil, nil, state.queuedBytes) }
                state.waiter = nil
                return (waiter, state.take(), 0)
            }
        waiter?.resume(returning: batch)
        return queued
    }

    /// Cuts the subscriber off if the writer has taken nothing since `deadline` while records wait.
    /// Returns whether it did; the caller then unsubscribes it and calls ``runCutOffAction()``.
    func cutOffIfStalled(since deadline: NIODeadline) -> Bool {
        let (waiter, isCutOff) = self.state.withLockedValue { state -> (CheckedContinuation<[ByteBuffer]?, Never>?, Bool) in
            guard !state.isFinished, state.queuedBytes > 0, state.lastTake < deadline else { return (nil, false) }
            return (state.cutOff(), true)
        }
        waiter?.resume(returning: nil)
        return isCutOff
    }

    /// Runs the action set with ``onCutOff(_:)``.
    func runCutOffAction() {
        self.state.withLockedValue { $0.onCutOff }?()
    }

    /// Ends the stream after the records already queued.
    func finish() {
        // A writer waits only while nothing is queued, so a waiting writer has nothing left to take.
        let waiter = self.state.withLockedValue { state in
            state.isFinished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }
}

extension EventSubscription.State {
    /// Hands the writer the queued records, oldest first, up to the batch limit.
    fileprivate mutating func take() -> [ByteBuffer] {
        self.lastTake = .now()
        guard self.queuedBytes > EventSubscription.batchLimit else {
            defer {
                self.queued.removeAll(keepingCapacity: true)
                self.queuedBytes = 0
            }
            return Array(self.queued)
        }
        var count = 0
        var bytes = 0
        for record in self.queued {
            guard count == 0 || bytes + record.readableBytes <= EventSubscription.batchLimit else { break }
            bytes += record.readableBytes
            count += 1
        }
        self.queuedBytes -= bytes
        return (0..<count).map { _ in self.queued.removeFirst() }
    }

    /// Ends the stream at once, dropping what is queued; returns the waiting writer to wake.
    fileprivate mutating func cutOff() -> CheckedContinuation<[ByteBuffer]?, Never>? {
        self.isCutOff = true
        self.isFinished = true
        self.queued.removeAll()
        self.queuedBytes = 0
        defer { self.waiter = nil }
        return self.waiter
    }
}
