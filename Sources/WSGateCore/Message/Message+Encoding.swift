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
        buffer.write(reserving: self.jsonSize(binary: binary)) { self.writeJSON(into: &$0, binary: binary) }
    }

    /// The bytes of the message's JSON.
    func jsonSize(binary: BinaryEncoding) -> Int {
        let data: Int
        switch self {
        case .text(let text):
            data = ReservedBytesWriter.jsonStringSize(text)
        case .binary(let bytes), .ping(let bytes), .pong(let bytes):
            switch binary {
            case .integerArray: data = bytes.withUnsafeReadableBytes { ReservedBytesWriter.jsonIntegerArraySize($0) }
            case .base64: data = ReservedBytesWriter.jsonBase64Size(count: bytes.readableBytes)
            }
        case .close(nil):
            data = 4
        case .close(let frame?):
            // {"code":…,"reason":…}
            data = 19 + ReservedBytesWriter.decimalSize(frame.code) + ReservedBytesWriter.jsonStringSize(frame.reason)
        }
        // {"type":"…","data":…}
        return 19 + self.typeName.utf8CodeUnitCount + data
    }

    /// Writes the message's JSON, ``jsonSize(binary:)`` bytes, through `writer`.
    func writeJSON(into writer: inout ReservedBytesWriter, binary: BinaryEncoding) {
        writer.write("{\"type\":\"")
        writer.write(self.typeName)
        writer.write("\",\"data\":")
        switch self {
        case .text(let text):
            writer.writeJSONString(text)
        case .binary(let bytes), .ping(let bytes), .pong(let bytes):
            bytes.withUnsafeReadableBytes { bytes in
                switch binary {
                case .integerArray: writer.writeJSONIntegerArray(bytes)
                case .base64: writer.writeJSONBase64(bytes)
                }
            }
        case .close(nil):
            writer.write("null")
        case .close(let frame?):
            writer.write("{\"code\":")
            writer.writeDecimal(frame.code)
            writer.write(",\"reason\":")
            writer.writeJSONString(frame.reason)
            writer.write("}")
        }
        writer.write("}")
    }
}
