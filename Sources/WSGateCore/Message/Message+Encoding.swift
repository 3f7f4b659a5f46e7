import NIOCore

/// How Binary, Ping and Pong payloads appear in JSON.
public enum BinaryEncoding: Sendable {
    /// An array of integers, as the Tauri plugin hands its listeners.
    case integerArray
    /// A base64 string, which is about a third of the size.
    case base64
}

extension Message {
    /// Writes the message as the JSON the Tauri plugin's listener receives,
    /// e.g. `{"type":"Text","data":"hi"}`.
    public func writeJSON(into buffer: inout ByteBuffer, binary: BinaryEncoding) {
        buffer.writeStaticString("{\"type\":\"")
        buffer.writeString(self.typeName)
        buffer.writeStaticString("\",\"data\":")
        switch self {
        case .text(let text):
            buffer.writeJSONString(text)
        case .binary(let bytes), .ping(let bytes), .pong(let bytes):
            switch binary {
            case .integerArray: buffer.writeJSONIntegerArray(bytes)
            case .base64: buffer.writeJSONBase64(bytes)
            }
        case .close(nil):
            buffer.writeStaticString("null")
        case .close(let frame?):
            buffer.writeStaticString("{\"code\":")
            buffer.writeDecimal(frame.code)
            buffer.writeStaticString(",\"reason\":")
            buffer.writeJSONString(frame.reason)
            buffer.writeStaticString("}")
        }
        buffer.writeStaticString("}")
    }
}
