/// The payload of a Close frame: a status code and a UTF-8 reason.
public struct CloseFrame: Sendable, Equatable {
    /// The close status code (RFC 6455 section 7.4).
    public var code: UInt16
    /// The human-readable reason; at most 123 bytes of UTF-8 so that the frame stays a control frame.
    public var reason: String

    /// Creates a close payload.
    public init(code: UInt16, reason: String = "") {
        self.code = code
        self.reason = reason
    }

    /// The longest reason, in UTF-8 bytes, that fits a control frame with its two-byte code.
    public static let maxReasonLength = 123

    /// Whether `code` may travel in a Close frame: 1000–1003, 1007–1014 and 3000–4999.
    /// 1004–1006 and 1015 are reserved or meant for local reporting only, 1016–2999 are unassigned.
    public static func isValidCode(_ code: Int) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }

    /// The gateway's normal closure (1000).
    public static let normalClosure: UInt16 = 1000
    /// The code sent when the gateway shuts down (1001).
    public static let goingAway: UInt16 = 1001
    /// The code for a protocol violation by the peer (1002).
    public static let protocolError: UInt16 = 1002
    /// The code for text that is not valid UTF-8 (1007).
    public static let invalidPayload: UInt16 = 1007
    /// The code for a message or frame over the configured limits (1009).
    public static let messageTooBig: UInt16 = 1009
}
