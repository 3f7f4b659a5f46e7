import NIOConcurrencyHelpers
import NIOCore

/// One event stream for several connections: each member connection's records, rewritten to say
/// whose they are, with one cursor for them all.
///
/// A member's record `id: n` / `event: e` / `data: d` becomes
/// `id: <cursor>` / `event: e` / `data: {"connection":"<id>","id":n,"data":d}`, where the cursor
/// lists, in member order, the id of the last event the stream carried for each member (`5,0,12`).
/// Sent back as `Last-Event-ID` with the same members, it resumes every member exactly; a cursor
/// with fewer entries than members starts the others from their beginning, so a connection joins
/// by being appended to the member list.
public final class MultiplexedSubscription: EventRecordSource {
    /// One connection of the stream, as its history answered the subscribe.
    public enum Member: Sendable {
        /// A live stream of the connection's records.
        case subscribed(connectionID: String, EventSubscription)
        /// The connection has ended and the cursor is at its final event: nothing will come.
        case complete(connectionID: String)
        /// No connection has this id (or it has expired): the stream says so once, as `event: gone`.
        case unknown(connectionID: String)
    }

    private struct State {
        /// The members' subscriptions, `nil` once a member's stream has ended.
        var subscriptions: [EventSubscription?]
        /// The members' cursors, in member order.
        var cursors: [Int]
        /// The `gone` records still to hand out.
        var pendingRecords: [ByteBuffer]
    }

    /// The writer's wake-up. Members call it, outside every other lock of this type, so that a
    /// member woken while holding its history's lock cannot deadlock with a poll.
    private struct Wakeup {
        /// The writer's waker, while it waits.
        var waker: (@Sendable () -> Void)?
        /// Whether a member woke during the poll under way.
        var memberWoke = false
    }

    /// The members' connection ids, in member order.
    private let connectionIDs: [String]
    private let state: NIOLockedValueBox<State>
    private let wakeup = NIOLockedValueBox(Wakeup())

    /// A stream of `members`, resuming after `cursors` (in member order; missing entries are 0).
    public init(members: [Member], cursors: [Int]) {
        var subscriptions: [EventSubscription?] = []
        var connectionIDs: [String] = []
        var unknown: [Int] = []
        for (position, member) in members.enumerated() {
            switch member {
            case .subscribed(let id, let subscription):
                connectionIDs.append(id)
                subscriptions.append(subscription)
            case .complete(let id):
                connectionIDs.append(id)
                subscriptions.append(nil)
            case .unknown(let id):
                connectionIDs.append(id)
                subscriptions.append(nil)
                unknown.append(position)
            }
        }
        let fullCursors = (0..<members.count).map { $0 < cursors.count ? cursors[$0] : 0 }
        self.connectionIDs = connectionIDs
        self.state = NIOLockedValueBox(State(subscriptions: subscriptions, cursors: fullCursors, pendingRecords: []))
        for position in unknown {
            var record = ByteBuffer()
            Self.writeCursor(fullCursors, into: &record)
            record.writeStaticString("event: gone\ndata: {\"connection\":")
            record.writeJSONString(connectionIDs[position])
            record.writeStaticString("}\n\n")
            self.state.withLockedValue { $0.pendingRecords.append(record) }
        }
    }

    /// Takes what the members have queued, rewritten, as one buffer. The stream ends once every
    /// member's has, and is cut off once one member is. `wake` is called once, whichever members
    /// get records first.
    public func take(orWake wake: @escaping @Sendable () -> Void) -> EventSubscription.Batch {
        let memberWake: @Sendable () -> Void = { [weak self] in self?.memberWoke() }
        while true {
            self.wakeup.withLockedValue { $0 = Wakeup() }
            let batch = self.state.withLockedValue { state -> EventSubscription.Batch in
                var output = ByteBuffer()
                for record in state.pendingRecords { output.writeImmutableBuffer(record) }
                state.pendingRecords = []
                var isLive = false
                for position in state.subscriptions.indices {
                    guard let subscription = state.subscriptions[position] else { continue }
                    switch subscription.take(orWake: memberWake) {
                    case .records(let runs):
                        isLive = true
                        for run in runs { self.rewrite(run, of: position, cursors: &state.cursors, into: &output) }
                    case .pending:
                        isLive = true
                    case .ended:
                        state.subscriptions[position] = nil
                    case .cutOff:
                        // What the others had is dropped with the stream: the client's cursor
                        // resumes them from where it got.
                        return .cutOff
                    }
                }
                if output.readableBytes > 0 { return .records([output]) }
                return isLive ? .pending : .ended
            }
            guard case .pending = batch else { return batch }
            // A member that got records while the others were polled: poll again rather than wait.
            let isWaiting = self.wakeup.withLockedValue { wakeup in
                if wakeup.memberWoke { return false }
                wakeup.waker = wake
                return true
            }
            if isWaiting { return .pending }
        }
    }

    /// A member has records or has ended: wakes the writer, or notes it for the poll under way.
    private func memberWoke() {
        let waker = self.wakeup.withLockedValue { wakeup in
            defer { wakeup.waker = nil }
            wakeup.memberWoke = wakeup.waker == nil
            return wakeup.waker
        }
        waker?()
    }

    /// Forwards `action` to every member: one member cut off ends the whole stream.
    public func onCutOff(_ action: @escaping @Sendable () -> Void) {
        for subscription in self.state.withLockedValue({ $0.subscriptions }) { subscription?.onCutOff(action) }
    }

    /// Cancels every member's subscription.
    public func cancel() {
        let subscriptions = self.state.withLockedValue { state in
            defer { state.subscriptions = state.subscriptions.map { _ in nil } }
            return state.subscriptions
        }
        for subscription in subscriptions { subscription?.cancel() }
    }

    /// Rewrites each record of `run` (one or more records of the member at `position`) into `output`.
    private func rewrite(_ run: ByteBuffer, of position: Int, cursors: inout [Int], into output: inout ByteBuffer) {
        var rest = run
        while let record = Self.nextRecord(from: &rest) {
            guard let parsed = ParsedRecord(record) else {
                // A comment (keepalive) or a line of no event: passed on as it is.
                output.writeImmutableBuffer(record)
                continue
            }
            if let id = parsed.id { cursors[position] = id }
            Self.writeCursor(cursors, into: &output)
            if let name = parsed.eventName {
                output.writeStaticString("event: ")
                output.writeImmutableBuffer(name)
                output.writeStaticString("\n")
            }
            output.writeStaticString("data: {\"connection\":")
            output.writeJSONString(self.connectionIDs[position])
            if let id = parsed.id {
                output.writeStaticString(",\"id\":")
                output.writeDecimal(id)
            }
            output.writeStaticString(",\"data\":")
            output.writeImmutableBuffer(parsed.data)
            output.writeStaticString("}\n\n")
        }
    }

    private static func writeCursor(_ cursors: [Int], into output: inout ByteBuffer) {
        output.writeStaticString("id: ")
        for (index, cursor) in cursors.enumerated() {
            if index > 0 { output.writeStaticString(",") }
            output.writeDecimal(cursor)
        }
        output.writeStaticString("\n")
    }

    /// Removes the first record, blank line included, from `buffer`. JSON escapes line breaks, so
    /// the first blank line ends a record.
    private static func nextRecord(from buffer: inout ByteBuffer) -> ByteBuffer? {
        let bytes = buffer.readableBytesView
        var end: Int?
        var index = bytes.startIndex
        while index < bytes.endIndex, end == nil {
            if bytes[index] == UInt8(ascii: "\n"), index > bytes.startIndex, bytes[index - 1] == UInt8(ascii: "\n") {
                end = index + 1 - bytes.startIndex
            }
            index += 1
        }
        guard let length = end ?? (buffer.readableBytes > 0 ? buffer.readableBytes : nil) else { return nil }
        return buffer.readSlice(length: length)
    }
}

/// The fields of one record as the histories write it: an optional `id` line, an optional
/// `event` line, and one `data` line.
private struct ParsedRecord {
    var id: Int?
    var eventName: ByteBuffer?
    var data: ByteBuffer

    /// Parses `record`; `nil` for a comment or anything without a `data` line.
    init?(_ record: ByteBuffer) {
        var record = record
        var data: ByteBuffer?
        while let line = Self.nextLine(from: &record) {
            if let value = Self.value(of: "id: ", in: line) {
                self.id = value.getString(at: value.readerIndex, length: value.readableBytes).flatMap { Int($0) }
            } else if let value = Self.value(of: "event: ", in: line) {
                self.eventName = value
            } else if let value = Self.value(of: "data: ", in: line) {
                data = value
            }
        }
        guard let data else { return nil }
        self.data = data
    }

    private static func nextLine(from buffer: inout ByteBuffer) -> ByteBuffer? {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let line = buffer.readSlice(length: newline - buffer.readerIndex)
        buffer.moveReaderIndex(forwardBy: 1)
        return line
    }

    private static func value(of field: StaticString, in line: ByteBuffer) -> ByteBuffer? {
        let prefix = UnsafeRawBufferPointer(start: field.utf8Start, count: field.utf8CodeUnitCount)
        guard line.readableBytesView.starts(with: prefix) else { return nil }
        return line.getSlice(at: line.readerIndex + prefix.count, length: line.readableBytes - prefix.count)
    }
}
