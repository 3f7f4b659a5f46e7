/// A reason to end an upstream WebSocket connection: the Close code the gateway sends and the
/// error text its subscribers receive, worded as tungstenite words its errors.
struct SessionFailure: Error, Equatable {
    /// The code of the Close frame sent upstream.
    var closeCode: UInt16
    /// The error event's text.
    var description: String

    static func protocolViolation(_ detail: String) -> SessionFailure {
        SessionFailure(closeCode: CloseFrame.protocolError, description: "WebSocket protocol error: \(detail)")
    }

    static func tooLong(size: some BinaryInteger, limit: Int) -> SessionFailure {
        SessionFailure(
            closeCode: CloseFrame.messageTooBig,
            description: "Space limit exceeded: Message too long: \(size) > \(limit)"
        )
    }

    static let invalidUTF8 = SessionFailure(closeCode: CloseFrame.invalidPayload, description: "UTF-8 encoding error")
}
