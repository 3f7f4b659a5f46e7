import NIOCore

/// One entry in a connection's event stream: a message from upstream, or the error that ended it.
public enum ConnectionEvent: Sendable, Equatable {
    /// A message received from upstream (a Close included).
    case message(Message)
    /// A read error or an exceeded limit, reported as a bare JSON string.
    case error(String)

    /// Writes the event as the JSON the Tauri plugin's listener receives.
    public func writeJSON(into buffer: inout ByteBuffer, binary: BinaryEncoding) {
        switch self {
        case .message(let message): message.writeJSON(into: &buffer, binary: binary)
        case .error(let text): buffer.writeJSONString(text)
        }
    }

    /// The event as one Server-Sent Events record: `id: <id>` and `data: <JSON>` lines and a blank line.
    /// The JSON holds no raw line break, so one `data` line always suffices.
    public func serverSentEvent(id: Int, binary: BinaryEncoding) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(64 + self.estimatedJSONSize(binary: binary))
        buffer.writeStaticString("id: ")
        buffer.writeDecimal(id)
        buffer.writeStaticString("\ndata: ")
        self.writeJSON(into: &buffer, binary: binary)
        buffer.writeStaticString("\n\n")
        return buffer
    }

    /// The size of the event's payload in bytes.
    var payloadSize: Int {
        switch self {
        case .message(let message): message.payloadSize
        case .error(let text): text.utf8.count
        }
    }

    private func estimatedJSONSize(binary: BinaryEncoding) -> Int {
        guard case .message(let message) = self else { return 64 }
        switch (message, binary) {
        case (.text, _): return message.payloadSize + 32
        case (.binary, .integerArray), (.ping, .integerArray), (.pong, .integerArray): return message.payloadSize * 4 + 32
        default: return message.payloadSize * 4 / 3 + 64
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
