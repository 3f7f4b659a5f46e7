import NIOCore

/// One WebSocket message, as the Tauri plugin's `Message` type and tungstenite's `Message` know it.
public enum Message: Sendable, Equatable {
    /// A text message; the string is valid Unicode by construction.
    case text(String)
    /// A binary message.
    case binary(ByteBuffer)
    /// A Ping control frame with its application data (at most 125 bytes).
    case ping(ByteBuffer)
    /// A Pong control frame with its application data (at most 125 bytes).
    case pong(ByteBuffer)
    /// A Close control frame, with its code and reason, or `nil` for a frame without payload.
    case close(CloseFrame?)

    /// The `type` tag of the message in the API's JSON.
    public var typeName: StaticString {
        switch self {
        case .text: "Text"
        case .binary: "Binary"
        case .ping: "Ping"
        case .pong: "Pong"
        case .close: "Close"
        }
    }

    /// The size of the message's payload in bytes, as it goes on the wire.
    public var payloadSize: Int {
        switch self {
        case .text(let text): text.utf8.count
        case .binary(let bytes), .ping(let bytes), .pong(let bytes): bytes.readableBytes
        case .close(let frame): frame.map { 2 + $0.reason.utf8.count } ?? 0
        }
    }
}

/// The five kinds of message, as the metrics label them.
public enum MessageKind: Int, Sendable, CaseIterable {
    case text, binary, ping, pong, close

    /// The label value: `text`, `binary`, `ping`, `pong` or `close`.
    public var name: String { String(describing: self) }
}

extension Message {
    /// The message's kind.
    public var kind: MessageKind {
        switch self {
        case .text: .text
        case .binary: .binary
        case .ping: .ping
        case .pong: .pong
        case .close: .close
        }
    }
}
