import NIOCore
import WSGateCore

/// Reads a core ``EventRecordSource`` as Server-Sent Events records, for tests below the HTTP layer.
public final class SubscriptionReader: @unchecked Sendable {
    // Used by one test task at a time.
    private let subscription: any EventRecordSource
    private var parser = SSEParser()
    private var ready: [SSERecord] = []

    /// Reads `subscription`.
    public init(_ subscription: any EventRecordSource) {
        self.subscription = subscription
    }

    /// Subscribes to `history` from `cursor` and reads the stream; fails if it is already complete.
    public convenience init(_ history: EventHistory, from cursor: EventCursor = .beginning, binary: BinaryEncoding = .integerArray) throws {
        guard case .stream(let subscription) = try history.subscribe(from: cursor, binaryEncoding: binary) else {
            throw TestFailure("The history is complete at \(cursor).")
        }
        self.init(subscription)
    }

    /// The next record, or `nil` when the stream has ended.
    public func next() async -> SSERecord? {
        while self.ready.isEmpty {
            guard let batch = await self.nextBatch() else { return nil }
            for record in batch { self.ready += self.parser.feed(record) }
        }
        return self.ready.removeFirst()
    }

    /// The next records the subscription hands out, or `nil` once it has ended.
    public func nextBatch() async -> [ByteBuffer]? {
        while true {
            let batch: EventSubscription.Batch? = await withCheckedContinuation { continuation in
                let batch = self.subscription.take(orWake: { continuation.resume(returning: nil) })
                if case .pending = batch { return }
                continuation.resume(returning: batch)
            }
            switch batch {
            case .records(let records)?: return records
            case .ended?, .cutOff?: return nil
            case .pending?, nil: continue
            }
        }
    }

    /// The `data` of the next record as JSON.
    public func nextJSON() async -> JSONValue? {
        await self.next()?.json
    }

    /// Every remaining record until the stream ends.
    public func remaining() async -> [SSERecord] {
        var records: [SSERecord] = []
        while let record = await self.next() { records.append(record) }
        return records
    }
}

extension EventSubscription.Batch {
    /// Whether the batch says the subscriber was cut off.
    public var isCutOff: Bool {
        if case .cutOff = self { true } else { false }
    }
}
