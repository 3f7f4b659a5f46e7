import NIOConcurrencyHelpers
import NIOCore

/// One subscriber's queue of encoded Server-Sent Events records, filled by the connection's
/// ``EventHistory`` and drained by one writer that takes everything queued at once.
///
/// A subscriber that stops reading is cut off once more than `unsentLimit` bytes wait for its
/// writer, so that it never slows the upstream or the other subscribers; it may resume from
/// history. A record that arrives while nothing waits is always queued, whatever its size, so a
/// message larger than the limit still reaches a subscriber that keeps up.
public final class EventSubscription: Sendable {
    /// How the subscriber wants binary payloads.
    public let binaryEncoding: BinaryEncoding

    fileprivate struct State {
        var queued: [ByteBuffer] = []
        /// The bytes in `queued`.
        var queuedBytes = 0
        var isFinished = false
        var isCutOff = false
        var waiter: CheckedContinuation<[ByteBuffer]?, Never>?
        var onCutOff: (@Sendable () -> Void)?
    }

    private let unsentLimit: Int
    private let state = NIOLockedValueBox(State())
    private let unsubscribe: @Sendable (EventSubscription) -> Void

    init(binaryEncoding: BinaryEncoding, unsentLimit: Int, unsubscribe: @escaping @Sendable (EventSubscription) -> Void) {
        self.binaryEncoding = binaryEncoding
        self.unsentLimit = unsentLimit
        self.unsubscribe = unsubscribe
    }

    /// Whether the subscriber was cut off for falling behind.
    public var wasCutOff: Bool {
        self.state.withLockedValue { $0.isCutOff }
    }

    /// Sets what to do when the subscriber is cut off, e.g. close its HTTP connection so that a
    /// writer blocked on a client that does not read is released.
    public func onCutOff(_ action: @escaping @Sendable () -> Void) {
        let cutOffAlready = self.state.withLockedValue { state in
            state.onCutOff = action
            return state.isCutOff
        }
        if cutOffAlready { action() }
    }

    /// Waits for records and returns every one queued, or `nil` once the stream has ended.
    public func next() async -> [ByteBuffer]? {
        await withCheckedContinuation { continuation in
            let batch: [ByteBuffer]?? = self.state.withLockedValue { state in
                if !state.queued.isEmpty { return .some(state.take()) }
                if state.isFinished { return .some(nil) }
                state.waiter = continuation
                return .none
            }
            if let batch { continuation.resume(returning: batch) }
        }
    }

    /// Stops the subscription: no more records are queued for it.
    public func cancel() {
        self.unsubscribe(self)
        self.finish()
    }

    /// Queues a record; with `enforcingLimit`, cuts the subscriber off if too much is unsent.
    /// Returns false when this record cut the subscriber off: the caller then unsubscribes it and,
    /// outside its own locks, calls ``runCutOffAction()``.
    func enqueue(_ record: ByteBuffer, enforcingLimit: Bool) -> Bool {
        let (waiter, batch, isCutOff): (CheckedContinuation<[ByteBuffer]?, Never>?, [ByteBuffer]?, Bool) =
            self.state.withLockedValue { state in
                guard !state.isFinished else { return (nil, nil, false) }
                if enforcingLimit, !state.queued.isEmpty, state.queuedBytes + record.readableBytes > self.unsentLimit {
                    state.isCutOff = true
                    state.isFinished = true
                    state.queued = []
                    defer { state.waiter = nil }
                    return (state.waiter, nil, true)
                }
                state.queued.append(record)
                state.queuedBytes += record.readableBytes
                guard let waiter = state.waiter else { return (nil, nil, false) }
                state.waiter = nil
                return (waiter, state.take(), false)
            }
        waiter?.resume(returning: batch)
        return !isCutOff
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
    /// Hands every queued record to the writer.
    fileprivate mutating func take() -> [ByteBuffer] {
        defer {
            self.queued = []
            self.queuedBytes = 0
        }
        return self.queued
    }
}
