import NIOCore

/// One entry in a connection's event stream: a message from upstream, the error that ended it,
/// or the gateway's news of a lost and reconnected upstream.
public enum ConnectionEvent: Sendable, Equatable {
    /// A message received from upstream (a Close included).
    case message(Message)
    /// A read error or an exceeded limit, reported as a bare JSON string.
    case error(String)
    /// The gateway's own news, as the JSON text of `{"type": …, "data": …}`.
    case notice(String)

    /// `{"type":"Lost","data":{"reason":…,"close":…,"attempt":…,"delayMs":…}}`: the upstream
    /// failed or closed, for `reason` (with its Close frame, if it sent one), and attempt
    /// `attempt` to reconnect comes in `delayMs` milliseconds.
    static func lost(reason: String, close: CloseFrame?, attempt: Int, delayMilliseconds: Int) -> ConnectionEvent {
        let closeJSON: JSONValue = close.map { ["code": .integer(Int($0.code)), "reason": .string($0.reason)] } ?? .null
        return .notice(
            ["type": "Lost", "data": ["reason": .string(reason), "close": closeJSON, "attempt": .integer(attempt), "delayMs": .integer(delayMilliseconds)]]
        )
    }

    /// `{"type":"Reconnected","data":{"attempts":…}}`: the upstream is back after `attempts` attempts.
    static func reconnected(attempts: Int) -> ConnectionEvent {
        .notice(["type": "Reconnected", "data": ["attempts": .integer(attempts)]])
    }

    private static func notice(_ json: JSONValue) -> ConnectionEvent {
        var buffer = ByteBuffer()
        buffer.writeJSON(json)
        return .notice(String(buffer: buffer))
    }

    private func jsonSize(binary: BinaryEncoding) -> Int {
        switch self {
        case .message(let message): message.jsonSize(binary: binary)
        case .error(let text): ReservedBytesWriter.jsonStringSize(text)
        case .notice(let json): json.utf8.count
        }
    }

    private func writeJSON(into writer: inout ReservedBytesWriter, binary: BinaryEncoding) {
        switch self {
        case .message(let message): message.writeJSON(into: &writer, binary: binary)
        case .error(let text): writer.writeJSONString(text)
        case .notice(var json): json.withUTF8 { writer.write(UnsafeRawBufferPointer($0)) }
        }
    }

    /// The event as one Server-Sent Events record: `id: <id>` and `data: <JSON>` lines and a blank line.
    /// The JSON holds no raw line break, so one `data` line always suffices.
    public func serverSentEvent(id: Int, binary: BinaryEncoding) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.write(reserving: self.serverSentEventSize(id: id, binary: binary)) { writer in
            self.writeServerSentEvent(id: id, binary: binary, into: &writer)
        }
        return buffer
    }

    /// The bytes of the event's record, ``serverSentEvent(id:binary:)``.
    func serverSentEventSize(id: Int, binary: BinaryEncoding) -> Int {
        // id: …\ndata: …\n\n
        13 + ReservedBytesWriter.decimalSize(id) + self.jsonSize(binary: binary)
    }

    /// Writes the event's record, ``serverSentEventSize(id:binary:)`` bytes, through `writer`.
    func writeServerSentEvent(id: Int, binary: BinaryEncoding, into writer: inout ReservedBytesWriter) {
        writer.write("id: ")
        writer.writeDecimal(id)
        writer.write("\ndata: ")
        self.writeJSON(into: &writer, binary: binary)
        writer.write("\n\n")
    }

    /// The size of the event's payload in bytes.
    var payloadSize: Int {
        switch self {
        case .message(let message): message.payloadSize
        case .error(let text), .notice(let text): text.utf8.count
        }
    }

    /// Whether the event's JSON depends on the binary encoding.
    var hasBinaryPayload: Bool {
        switch self {
        case .message(.binary), .message(.ping), .message(.pong): true
        default: false
        }
    }
}
