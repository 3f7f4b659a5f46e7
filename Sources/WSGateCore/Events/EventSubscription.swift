import NIOConcurrencyHelpers
import NIOCore

/// One subscriber's queue of encoded Server-Sent Events records, filled by the connection's
/// ``EventHistory`` and drained by one writer with ``take(orWake:)``: the writer takes what is
/// queued, and when nothing is, it is woken once something arrives.
///
/// The history uses the queue's size for flow control: it stops reading the upstream while even
/// its fastest subscriber has much queued, and cuts a subscriber off once more than
/// `unsentLimit` bytes wait for it besides its backlog (the retained events it was given when it
/// subscribed), or when it takes nothing for a while as the upstream waits.
public final class EventSubscription: Sendable {
    /// How the subscriber wants binary payloads.
    public let binaryEncoding: BinaryEncoding
    /// The id of the last event the subscriber does not want: its cursor. Events still to come
    /// can be among them when the cursor is ahead of the history.
    let skipsThrough: Int

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
        /// The bytes of the backlog among them, which do not count against the unsent limit:
        /// a subscriber that resumes far behind is not cut off before its stream has started.
        var backlogBytes = 0
        /// When the writer last took records (or the subscription began).
        var lastTake = NIODeadline.now()
        var isFinished = false
        var isCutOff = false
        var waker: (@Sendable () -> Void)?
        var onCutOff: (@Sendable () -> Void)?
    }

    private let unsentLimit: Int
    private let state = NIOLockedValueBox(State())
    private let notify: @Sendable (EventSubscription, Notification) -> Void

    init(
        binaryEncoding: BinaryEncoding, skipsThrough: Int, unsentLimit: Int,
        notify: @escaping @Sendable (EventSubscription, Notification) -> Void
    ) {
        self.binaryEncoding = binaryEncoding
        self.skipsThrough = skipsThrough
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

    /// What ``take(orWake:)`` found.
    public enum Batch: Sendable {
        /// Records to write, oldest first, at most ``batchLimit`` bytes unless one is larger.
        case records([ByteBuffer])
        /// Nothing yet: the waker will be called once when records arrive or the stream ends.
        case pending
        /// The stream has ended and everything was taken.
        case ended
        /// The subscriber was cut off for falling behind: the writer breaks the stream off rather
        /// than ending it, so that the client sees it incomplete and resumes with its cursor.
        case cutOff
    }

    /// Takes the queued records. When there are none and the stream goes on, `wake` is kept and
    /// called once, from whichever thread queues the next record or ends the stream.
    public func take(orWake wake: @escaping @Sendable () -> Void) -> Batch {
        let batch: Batch = self.state.withLockedValue { state in
            if !state.queued.isEmpty { return .records(state.take()) }
            if state.isFinished { return state.isCutOff ? .cutOff : .ended }
            state.waker = wake
            return .pending
        }
        if case .records = batch { self.notify(self, .took) }
        return batch
    }

    /// Stops the subscription: no more records are queued for it.
    public func cancel() {
        self.notify(self, .cancelled)
        self.finish()
    }

    /// Queues the backlog, before any other record: it may exceed the unsent limit.
    func enqueueBacklog(_ records: [ByteBuffer]) {
        self.state.withLockedValue { state in
            for record in records {
                state.queued.append(record)
                state.queuedBytes += record.readableBytes
                state.backlogBytes += record.readableBytes
            }
        }
    }

    /// Queues records and returns the bytes now waiting. A subscriber that already has more
    /// than its limit waiting besides its backlog is cut off instead: the records are dropped,
    /// `nil` returned, and the caller unsubscribes it and, outside its own locks, calls
    /// ``runCutOffAction()``.
    func enqueue(contentsOf records: [ByteBuffer]) -> Int? {
        let (waker, queued): ((@Sendable () -> Void)?, Int?) = self.state.withLockedValue { state in
            guard !state.isFinished else { return (nil, 0) }
            if state.queuedBytes - state.backlogBytes > self.unsentLimit {
                return (state.cutOff(), nil)
            }
            guard !records.isEmpty else { return (nil, state.queuedBytes) }
            for record in records {
                state.queued.append(record)
                state.queuedBytes += record.readableBytes
            }
            defer { state.waker = nil }
            return (state.waker, state.queuedBytes)
        }
        waker?()
        return queued
    }

    /// Cuts the subscriber off if the writer has taken nothing since `deadline` while records wait.
    /// Returns whether it did; the caller then unsubscribes it and calls ``runCutOffAction()``.
    func cutOffIfStalled(since deadline: NIODeadline) -> Bool {
        let (waker, isCutOff) = self.state.withLockedValue { state -> ((@Sendable () -> Void)?, Bool) in
            guard !state.isFinished, state.queuedBytes > 0, state.lastTake < deadline else { return (nil, false) }
            return (state.cutOff(), true)
        }
        waker?()
        return isCutOff
    }

    /// Runs the action set with ``onCutOff(_:)``.
    func runCutOffAction() {
        self.state.withLockedValue { $0.onCutOff }?()
    }

    /// Ends the stream after the records already queued.
    func finish() {
        let waker = self.state.withLockedValue { state in
            state.isFinished = true
            defer { state.waker = nil }
            return state.waker
        }
        waker?()
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
                self.backlogBytes = 0
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
        // The backlog is queued first, so it is taken first.
        self.backlogBytes = max(0, self.backlogBytes - bytes)
        return (0..<count).map { _ in self.queued.removeFirst() }
    }

    /// Ends the stream at once, dropping what is queued; returns the writer's waker to call.
    fileprivate mutating func cutOff() -> (@Sendable () -> Void)? {
        self.isCutOff = true
        self.isFinished = true
        self.queued.removeAll()
        self.queuedBytes = 0
        self.backlogBytes = 0
        defer { self.waker = nil }
        return self.waker
    }
}
