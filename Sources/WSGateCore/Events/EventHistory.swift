import NIOConcurrencyHelpers
import NIOCore

/// Where a new subscriber starts reading a connection's events.
public enum EventCursor: Sendable, Equatable {
    /// With every event still retained.
    case beginning
    /// With the event after the one with this id (`Last-Event-ID`).
    case after(Int)
    /// With the next event to arrive, skipping history.
    case now
}

/// Why a history refused a subscriber.
public enum SubscribeError: Error, Equatable {
    /// `maxSubscribers` subscribers are subscribed.
    case tooManySubscribers(limit: Int)
}

/// What a connection's history does when it is full of events that no subscriber has taken.
public enum HistoryOverflow: String, Sendable, Equatable {
    /// Stop reading the upstream until a subscriber takes events: nothing is lost, and TCP slows
    /// the server down meanwhile. The default.
    case pause
    /// Drop the oldest events and keep reading: for live feeds where only recent data matters.
    /// A subscriber that missed events gets `event: gap` first.
    case dropOldest
}

/// How much of its past a connection keeps for subscribers that arrive late or reconnect, and
/// how far its subscribers may fall behind.
public struct HistoryLimits: Sendable, Equatable {
    /// The most events retained.
    public var maxEvents: Int
    /// The most bytes of encoded events retained.
    public var maxBytes: Int
    /// The most unsent bytes a subscriber may have before it is cut off, besides the retained
    /// events it was given when it subscribed.
    public var subscriberUnsentLimit: Int
    /// How long the upstream waits for subscribers that take nothing before they are cut off.
    public var stallTimeout: TimeAmount
    /// What happens when the history is full of events no subscriber has taken.
    public var overflow: HistoryOverflow
    /// The most subscribers at once.
    public var maxSubscribers: Int

    /// Creates limits; the defaults are 1024 events, 8 MiB, 8 MiB per subscriber, 3 s, pausing, and 100 subscribers.
    public init(
        maxEvents: Int = 1024, maxBytes: Int = 8 << 20, subscriberUnsentLimit: Int = 8 << 20, stallTimeout: TimeAmount = .seconds(3),
        overflow: HistoryOverflow = .pause, maxSubscribers: Int = 100
    ) {
        self.maxSubscribers = maxSubscribers
        self.maxEvents = maxEvents
        self.maxBytes = maxBytes
        self.subscriberUnsentLimit = subscriberUnsentLimit
        self.stallTimeout = stallTimeout
        self.overflow = overflow
    }

    /// Reading the upstream pauses once every subscriber has more than this waiting...
    var pauseThreshold: Int { max(1, self.subscriberUnsentLimit / 4) }
    /// ...and resumes once one of them is down to this.
    var resumeThreshold: Int { self.pauseThreshold / 2 }
}

/// A connection's numbered events: the recent ones retained, and every live subscriber fed.
///
/// Each event is encoded at most once per binary encoding, when a subscriber first needs it,
/// as a Server-Sent Events record whose bytes all subscribers share. Ids count from 1 without holes.
///
/// Retention: events that a subscriber has received are kept as a ring of the newest, for
/// subscribers that arrive late or reconnect. Events that no subscriber has received yet are
/// a buffer: with the `pause` overflow, once they fill the history, the history asks its
/// connection to stop reading the upstream until a subscriber takes them, so that a client
/// that subscribes late receives every event from id 1. While no subscriber is subscribed,
/// the `pause` overflow drops no event at all: the last subscriber may have gone with a
/// broken stream, before the events written to it arrived, and reconnects with its cursor to
/// find them. With `dropOldest` every event is in one ring.
///
/// Flow control: while even the fastest subscriber has much waiting, the history asks its
/// connection to stop reading the upstream, so that a subscriber that reads slowly loses
/// nothing; one fast subscriber is enough to keep the upstream flowing, and a subscriber far
/// behind the others is cut off at its limit. If the upstream waits and a subscriber takes
/// nothing for `stallTimeout`, that subscriber is cut off and reading resumes.
public final class EventHistory: Sendable {
    fileprivate struct Entry {
        var id: Int
        var content: Content

        /// Small, so that an entry is cheap to copy: the history appends and drops one per event.
        enum Content {
            /// The record of an event without binary payload, which reads the same in both
            /// encodings: a slice of the buffer of the events appended with it.
            case record(ByteBuffer)
            /// An event with a binary payload.
            case binary(BinaryEvent)
        }

        /// The bytes the entry holds: its record, or its payload and the records encoded so far.
        var size: Int {
            switch self.content {
            case .record(let record): 64 + record.readableBytes
            case .binary(let binary): binary.size
            }
        }

        /// The record in `encoding`, encoded now if no subscriber needed it before.
        func record(_ encoding: BinaryEncoding) -> ByteBuffer {
            switch self.content {
            case .record(let record): record
            case .binary(let binary): binary.record(encoding, id: self.id)
            }
        }
    }

    /// An event with a binary payload and its records in the encodings needed so far. Only
    /// touched under the lock of the history that holds it.
    fileprivate final class BinaryEvent: @unchecked Sendable {
        let event: ConnectionEvent
        private var integerArray: ByteBuffer?
        private var base64: ByteBuffer?

        init(_ event: ConnectionEvent) {
            self.event = event
        }

        /// Its payload and the records encoded so far, in bytes.
        var size: Int {
            64 + self.event.payloadSize + (self.integerArray?.readableBytes ?? 0) + (self.base64?.readableBytes ?? 0)
        }

        /// Its record in `encoding` as event `id`, encoded now if no subscriber needed it before.
        func record(_ encoding: BinaryEncoding, id: Int) -> ByteBuffer {
            let cached: ReferenceWritableKeyPath<BinaryEvent, ByteBuffer?> = encoding == .integerArray ? \.integerArray : \.base64
            if let record = self[keyPath: cached] { return record }
            let record = self.event.serverSentEvent(id: id, binary: encoding)
            self[keyPath: cached] = record
            return record
        }
    }

    /// What queueing records for the subscribers did.
    fileprivate struct Feeding {
        /// The subscribers it cut off, already unsubscribed.
        var subscribers: [EventSubscription] = []
        /// The shortest queue among the subscribers left, `nil` when none is.
        var fastestQueue: Int?
        /// The subscribers that took the records.
        var fedCount = 0
    }

    /// The events of one ``append(contentsOf:)``, as the last entries of the history.
    fileprivate struct AppendedEvents {
        var firstID: Int
        var count: Int
        /// The records of the events without binary payload, back to back.
        var buffer: ByteBuffer
        /// Where each event's record lies in `buffer`; `nil` for an event with binary payload.
        var spans: [Range<Int>?]
    }

    fileprivate struct State {
        /// Starts small: most connections are idle, and the buffer grows by doubling.
        var entries = CircularBuffer<Entry>(initialCapacity: 2)
        var retainedBytes = 0
        var lastEventID = 0
        var isFinished = false
        var subscribers: [ObjectIdentifier: EventSubscription] = [:]
        /// The newest event some subscriber received, or skipped by its cursor.
        var deliveredThrough = 0
        /// Whether events the history may not drop fill it (with the `pause` overflow).
        var isFull = false
        /// Whether every subscriber has much waiting.
        var areSubscribersBehind = false
        /// Whether the upstream was asked to stop reading.
        var isUpstreamPaused = false
        var readingControl: (@Sendable () -> Void)?
    }

    /// A call of the reading control to make outside the lock, after a change to `isReading`.
    fileprivate typealias ReadingChange = (control: @Sendable () -> Void, isReading: Bool)

    /// What ``subscribe(from:binaryEncoding:)`` found.
    public enum Subscription: Sendable {
        /// A stream of records, starting with the replayed ones.
        case stream(EventSubscription)
        /// The connection has ended and the cursor is at its final event: nothing will come.
        case complete
    }

    private let limits: HistoryLimits
    private let metrics: GatewayMetrics
    private let state = NIOLockedValueBox(State())

    /// Creates an empty history that counts its deliveries, subscribers and pauses in `metrics`.
    public init(limits: HistoryLimits, metrics: GatewayMetrics = .none) {
        self.limits = limits
        self.metrics = metrics
    }

    /// The id of the newest event, or 0 before the first.
    public var lastEventID: Int { self.state.withLockedValue { $0.lastEventID } }

    /// The number of live subscribers.
    public var subscriberCount: Int { self.state.withLockedValue { $0.subscribers.count } }

    /// Whether the connection has ended: no event follows.
    public var isFinished: Bool { self.state.withLockedValue { $0.isFinished } }

    /// Sets what the history calls when it has changed ``isUpstreamPaused``, for flow control.
    /// The calls come outside the history's lock, from whichever thread made the change, so two
    /// of them can arrive in either order: the control applies ``isUpstreamPaused`` as it is
    /// when it runs, never a state of its own call's time.
    public func setReadingControl(_ control: @escaping @Sendable () -> Void) {
        self.state.withLockedValue { $0.readingControl = control }
    }

    /// Whether the history asked the upstream to stop reading.
    public var isUpstreamPaused: Bool { self.state.withLockedValue { $0.isUpstreamPaused } }

    /// Numbers `event`, retains it and hands it to every subscriber.
    public func append(_ event: ConnectionEvent) {
        self.append(contentsOf: [event])
    }

    /// Numbers `events`, retains them and hands them to every subscriber, in order. The records
    /// of events without binary payload are encoded at once into one buffer, and each subscriber
    /// gets the run of them as one slice of it.
    public func append(contentsOf events: [ConnectionEvent]) {
        guard !events.isEmpty else { return }
        let (cutOff, change): ([EventSubscription], ReadingChange?) = self.state.withLockedValue { state in
            guard !state.isFinished else { return ([], nil) }
            let appended = state.append(events)
            let fed = state.feedSubscribers(appended)
            self.metrics.eventsDelivered.increment(by: events.count * fed.fedCount)
            if let fastestQueue = fed.fastestQueue {
                state.deliveredThrough = state.lastEventID
                if fastestQueue > self.limits.pauseThreshold { state.areSubscribersBehind = true }
            }
            state.trim(to: self.limits)
            return (fed.subscribers, state.readingChange())
        }
        self.apply(change)
        self.cutOff(cutOff)
    }

    /// Cuts off the subscribers whose writers have taken nothing since `deadline` while records
    /// wait for them, resuming the upstream if that was what held it. Returns whether the
    /// upstream is still paused.
    public func cutOffStalledSubscribers(since deadline: NIODeadline) -> Bool {
        let stalled = self.state.withLockedValue { state in
            var stalled: [EventSubscription] = []
            for (key, subscriber) in state.subscribers where subscriber.cutOffIfStalled(since: deadline) {
                stalled.append(subscriber)
                state.subscribers.removeValue(forKey: key)
            }
            return stalled
        }
        self.cutOff(stalled, reason: .stalled)
        return self.isUpstreamPaused
    }

    /// Runs the cut-off actions of `subscribers`, already unsubscribed, and lets the upstream
    /// flow again if they were what held it.
    private func cutOff(_ subscribers: [EventSubscription], reason: GatewayMetrics.CutOffReason = .behind) {
        guard !subscribers.isEmpty else { return }
        self.metrics.subscribers.decrement(by: Double(subscribers.count))
        self.metrics.countCutOffs(subscribers.count, reason)
        for subscriber in subscribers { subscriber.runCutOffAction() }
        self.resumeIfCaughtUp()
    }

    /// Resumes reading the upstream if it is paused, a subscriber has caught up (or none is
    /// left), and the history has room.
    private func resumeIfCaughtUp() {
        let change = self.state.withLockedValue { state -> ReadingChange? in
            guard state.isUpstreamPaused else { return nil }
            let fastest = state.subscribers.values.map(\.queuedBytes).min() ?? 0
            if fastest <= self.limits.resumeThreshold { state.areSubscribersBehind = false }
            return state.readingChange()
        }
        self.apply(change)
    }

    /// Marks the history complete: every subscriber's stream ends after its remaining events.
    public func finish() {
        let subscribers = self.state.withLockedValue { state in
            state.isFinished = true
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        self.metrics.subscribers.decrement(by: Double(subscribers.count))
        for subscriber in subscribers { subscriber.finish() }
    }

    /// Queues a keepalive comment for every subscriber.
    public func sendKeepalive() {
        var comment = ByteBuffer()
        comment.writeStaticString(": keepalive\n\n")
        self.cutOff(self.state.withLockedValue { state in state.enqueueForEverySubscriber(comment).subscribers })
    }

    /// Subscribes from `cursor`: the retained events after it are queued at once, then every new one.
    /// A cursor older than the history first gets an `event: gap` record saying how many were missed.
    /// Throws ``SubscribeError/tooManySubscribers(limit:)`` when `maxSubscribers` are subscribed.
    public func subscribe(from cursor: EventCursor, binaryEncoding: BinaryEncoding) throws -> Subscription {
        let (subscription, change) = try self.state.withLockedValue { state -> (Subscription, ReadingChange?) in
            guard state.subscribers.count < self.limits.maxSubscribers else {
                throw SubscribeError.tooManySubscribers(limit: self.limits.maxSubscribers)
            }
            let after: Int
            switch cursor {
            case .now: after = state.lastEventID
            case .beginning: after = 0
            case .after(let id): after = id
            }
            let subscription = EventSubscription(
                binaryEncoding: binaryEncoding, skipsThrough: after, unsentLimit: self.limits.subscriberUnsentLimit
            ) { [weak self] subscription, notification in
                if case .cancelled = notification {
                    let removed = self?.state.withLockedValue { $0.subscribers.removeValue(forKey: ObjectIdentifier(subscription)) }
                    if removed != nil { self?.metrics.subscribers.decrement() }
                }
                self?.resumeIfCaughtUp()
            }
            if state.isFinished, after >= state.lastEventID {
                return (.complete, nil)
            }
            var backlog: [ByteBuffer] = []
            let firstAvailable = state.entries.first?.id ?? state.lastEventID + 1
            if after < firstAvailable - 1 {
                backlog.append(Self.gapRecord(missed: firstAvailable - 1 - after, firstAvailable: firstAvailable))
            }
            for index in state.entries.indices where state.entries[index].id > after {
                let sizeBefore = state.entries[index].size
                backlog.append(state.entries[index].record(binaryEncoding))
                state.retainedBytes += state.entries[index].size - sizeBefore
                self.metrics.eventsDelivered.increment()
            }
            subscription.enqueueBacklog(backlog)
            // The subscriber has every event up to now, from the history or by its cursor.
            state.deliveredThrough = state.lastEventID
            if state.isFinished {
                subscription.finish()
            } else {
                state.subscribers[ObjectIdentifier(subscription)] = subscription
                self.metrics.subscribers.increment()
            }
            state.trim(to: self.limits)
            return (.stream(subscription), state.readingChange())
        }
        self.apply(change)
        return subscription
    }

    /// Turns the upstream's reading off or on as `change` says, counting each pause.
    private func apply(_ change: ReadingChange?) {
        guard let change else { return }
        if !change.isReading { self.metrics.readsPaused.increment() }
        change.control()
    }

    private static func gapRecord(missed: Int, firstAvailable: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeStaticString("event: gap\ndata: {\"missed\":")
        buffer.writeDecimal(missed)
        buffer.writeStaticString(",\"firstAvailable\":")
        buffer.writeDecimal(firstAvailable)
        buffer.writeStaticString("}\n\n")
        return buffer
    }
}

extension EventHistory.State {
    /// The upstream should stop reading while the history is full of events it may not drop or
    /// every subscriber is behind. Returns the control call that makes it so, when that changes.
    fileprivate mutating func readingChange() -> EventHistory.ReadingChange? {
        let shouldPause = self.isFull || self.areSubscribersBehind
        guard shouldPause != self.isUpstreamPaused, let control = self.readingControl else { return nil }
        self.isUpstreamPaused = shouldPause
        return (control, !shouldPause)
    }

    /// Drops the oldest events until the history is within `limits`, keeping at least the newest.
    /// With the `pause` overflow, only events a subscriber has received are dropped, and only
    /// while one is subscribed; when the others alone pass the limits, the history is full.
    fileprivate mutating func trim(to limits: HistoryLimits) {
        var isOver: Bool {
            self.entries.count > limits.maxEvents || (self.retainedBytes > limits.maxBytes && self.entries.count > 1)
        }
        // Ids are contiguous, so the oldest one's is known without reading the entry, which
        // would copy it and retain all it holds.
        var oldestID: Int { self.lastEventID - self.entries.count + 1 }
        let mayDropReceived = !self.subscribers.isEmpty
        while isOver, !self.entries.isEmpty, limits.overflow == .dropOldest || (mayDropReceived && oldestID <= self.deliveredThrough) {
            self.retainedBytes -= self.entries.removeFirst().size
        }
        self.isFull = isOver
    }

    /// Numbers and retains `events`, encoding the records of those without binary payload into
    /// one buffer.
    fileprivate mutating func append(_ events: [ConnectionEvent]) -> EventHistory.AppendedEvents {
        let firstID = self.lastEventID + 1
        var sizes: [Int?] = []
        sizes.reserveCapacity(events.count)
        for (offset, event) in events.enumerated() {
            sizes.append(event.hasBinaryPayload ? nil : event.serverSentEventSize(id: firstID + offset, binary: .integerArray))
        }
        var buffer = ByteBuffer()
        buffer.write(reserving: sizes.reduce(0) { $0 + ($1 ?? 0) }) { writer in
            for (offset, (event, size)) in zip(events, sizes).enumerated() where size != nil {
                event.writeServerSentEvent(id: firstID + offset, binary: .integerArray, into: &writer)
            }
        }
        var spans: [Range<Int>?] = []
        spans.reserveCapacity(events.count)
        var start = buffer.readerIndex
        for (offset, (event, size)) in zip(events, sizes).enumerated() {
            let content: EventHistory.Entry.Content
            if let size, let record = buffer.getSlice(at: start, length: size) {
                content = .record(record)
                spans.append(start..<start + size)
                start += size
            } else {
                content = .binary(EventHistory.BinaryEvent(event))
                spans.append(nil)
            }
            let entry = EventHistory.Entry(id: firstID + offset, content: content)
            self.retainedBytes += entry.size
            self.entries.append(entry)
        }
        self.lastEventID += events.count
        return EventHistory.AppendedEvents(firstID: firstID, count: events.count, buffer: buffer, spans: spans)
    }

    /// The records of the appended events from the one with id `firstID` on, in `encoding`:
    /// each run of events without binary payload as one slice.
    fileprivate mutating func records(
        of appended: EventHistory.AppendedEvents, from firstID: Int, encoding: BinaryEncoding
    ) -> [ByteBuffer] {
        var records: [ByteBuffer] = []
        var run: Range<Int>?
        // A cursor can be past the whole batch.
        for offset in min(max(0, firstID - appended.firstID), appended.count)..<appended.count {
            if let span = appended.spans[offset] {
                run = (run?.lowerBound ?? span.lowerBound)..<span.upperBound
                continue
            }
            if let slice = run.flatMap({ appended.buffer.getSlice(at: $0.lowerBound, length: $0.count) }) {
                records.append(slice)
            }
            run = nil
            let index = self.entries.index(self.entries.endIndex, offsetBy: offset - appended.count)
            let sizeBefore = self.entries[index].size
            records.append(self.entries[index].record(encoding))
            self.retainedBytes += self.entries[index].size - sizeBefore
        }
        if let slice = run.flatMap({ appended.buffer.getSlice(at: $0.lowerBound, length: $0.count) }) {
            records.append(slice)
        }
        return records
    }

    /// Queues the appended events for each subscriber, from its cursor on.
    fileprivate mutating func feedSubscribers(_ appended: EventHistory.AppendedEvents) -> EventHistory.Feeding {
        // Most subscribers want every event in one of the two encodings: their records are made once.
        var integerArrayRecords: [ByteBuffer]?
        var base64Records: [ByteBuffer]?
        var feeding = EventHistory.Feeding()
        for (key, subscriber) in self.subscribers {
            let records: [ByteBuffer]
            if subscriber.skipsThrough >= appended.firstID {
                records = self.records(of: appended, from: subscriber.skipsThrough + 1, encoding: subscriber.binaryEncoding)
            } else if subscriber.binaryEncoding == .integerArray {
                records = integerArrayRecords ?? self.records(of: appended, from: appended.firstID, encoding: .integerArray)
                integerArrayRecords = records
            } else {
                records = base64Records ?? self.records(of: appended, from: appended.firstID, encoding: .base64)
                base64Records = records
            }
            self.enqueue(records, for: subscriber, key: key, into: &feeding)
        }
        return feeding
    }

    /// Queues a record, the same for every subscriber.
    fileprivate mutating func enqueueForEverySubscriber(_ record: ByteBuffer) -> EventHistory.Feeding {
        var feeding = EventHistory.Feeding()
        for (key, subscriber) in self.subscribers { self.enqueue([record], for: subscriber, key: key, into: &feeding) }
        return feeding
    }

    /// Queues `records` for `subscriber`, or unsubscribes it when that cuts it off. A subscriber
    /// with no records (its cursor is past them) counts as having taken them.
    private mutating func enqueue(
        _ records: [ByteBuffer], for subscriber: EventSubscription, key: ObjectIdentifier, into feeding: inout EventHistory.Feeding
    ) {
        if let queued = subscriber.enqueue(contentsOf: records) {
            feeding.fastestQueue = min(feeding.fastestQueue ?? queued, queued)
            feeding.fedCount += 1
        } else {
            feeding.subscribers.append(subscriber)
            self.subscribers.removeValue(forKey: key)
        }
    }
}
