import NIOConcurrencyHelpers

/// Counts the event streams open across every HTTP connection, up to a limit: each holds a
/// socket and a subscriber's buffer for as long as a client keeps it.
final class EventStreamSlots: Sendable {
    /// The most streams open at once.
    let limit: Int
    private let open = NIOLockedValueBox(0)

    /// Slots for `limit` streams.
    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a slot for a new stream; `false` when all are taken.
    func acquire() -> Bool {
        self.open.withLockedValue { open in
            guard open < self.limit else { return false }
            open += 1
            return true
        }
    }

    /// Gives back the slot of a stream that has ended.
    func release() {
        self.open.withLockedValue { $0 -= 1 }
    }
}
