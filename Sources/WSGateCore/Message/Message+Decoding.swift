import NIOCore

extension Message {
    /// Reads a message in any of the API's JSON forms: a string (Text), an array of byte values
    /// (Binary), or the Tauri plugin's `{"type": …, "data": …}` object.
    public init(json: JSONValue) throws(InvalidInputError) {
        switch json {
        case .string(let text):
            self = .text(text)
        case .array:
            self = .binary(try Self.bytes(from: json, field: "message"))
        case .object(let fields):
            self = try Self.tagged(fields)
        default:
            throw InvalidInputError("A message must be a string, an array of bytes or an object with \"type\" and \"data\", not \(json.typeName).")
        }
    }

    private static func tagged(_ fields: [String: JSONValue]) throws(InvalidInputError) -> Message {
        if let unknown = fields.keys.first(where: { $0 != "type" && $0 != "data" }) {
            throw InvalidInputError("Unknown key \"\(unknown)\" in message; expected \"type\" and \"data\".")
        }
        guard case .string(let type) = fields["type"] else {
            throw InvalidInputError("A message object needs \"type\": one of Text, Binary, Ping, Pong, Close.")
        }
        let data = fields["data"] ?? .null
        switch type {
        case "Text":
            guard case .string(let text) = data else {
                throw InvalidInputError("Text \"data\" must be a string, not \(data.typeName).")
            }
            return .text(text)
        case "Binary":
            return .binary(try bytes(from: data, field: "Binary data"))
        case "Ping":
            return .ping(try controlPayload(from: data, field: "Ping data"))
        case "Pong":
            return .pong(try controlPayload(from: data, field: "Pong data"))
        case "Close":
            return .close(try closeFrame(from: data))
        default:
            throw InvalidInputError("Unknown message type \"\(type)\"; expected Text, Binary, Ping, Pong or Close.")
        }
    }

    /// Reads bytes given as an array of integers 0…255 or as a base64 string.
    private static func bytes(from json: JSONValue, field: String) throws(InvalidInputError) -> ByteBuffer {
        switch json {
        case .array(let elements):
            var buffer = ByteBuffer()
            buffer.reserveCapacity(elements.count)
            for element in elements {
                guard case .integer(let value) = element, let byte = UInt8(exactly: value) else {
                    throw InvalidInputError("\(field) must hold only integers from 0 to 255.")
                }
                buffer.writeInteger(byte)
            }
            return buffer
        case .string(let text):
            guard let bytes = Base64.decode(text) else {
                throw InvalidInputError("\(field) is a string but not valid base64.")
            }
            return ByteBuffer(bytes: bytes)
        default:
            throw InvalidInputError("\(field) must be an array of integers 0…255 or a base64 string, not \(json.typeName).")
        }
    }

    private static func controlPayload(from json: JSONValue, field: String) throws(InvalidInputError) -> ByteBuffer {
        let payload = json == .null ? ByteBuffer() : try bytes(from: json, field: field)
        guard payload.readableBytes <= 125 else {
            throw InvalidInputError("\(field) is \(payload.readableBytes) bytes; a control frame carries at most 125.")
        }
        return payload
    }

    private static func closeFrame(from json: JSONValue) throws(InvalidInputError) -> CloseFrame? {
        switch json {
        case .null:
            return nil
        case .object(let fields):
            if let unknown = fields.keys.first(where: { $0 != "code" && $0 != "reason" }) {
                throw InvalidInputError("Unknown key \"\(unknown)\" in Close data; expected \"code\" and \"reason\".")
            }
            guard case .integer(let code) = fields["code"] else {
                throw InvalidInputError("Close data needs an integer \"code\".")
            }
            let reason: String
            switch fields["reason"] ?? .null {
            case .null: reason = ""
            case .string(let text): reason = text
            case let other: throw InvalidInputError("Close \"reason\" must be a string, not \(other.typeName).")
            }
            return try CloseFrame(validatingCode: code, reason: reason)
        default:
            throw InvalidInputError("Close data must be {\"code\": n, \"reason\": \"…\"} or null, not \(json.typeName).")
        }
    }
}

extension CloseFrame {
    /// Creates a close payload from user input, checking that the code may be sent and the reason fits.
    public init(validatingCode code: Int, reason: String) throws(InvalidInputError) {
        guard CloseFrame.isValidCode(code) else {
            throw InvalidInputError("Close code \(code) may not be sent; use 1000–1003, 1007–1014 or 3000–4999.")
        }
        guard reason.utf8.count <= CloseFrame.maxReasonLength else {
            throw InvalidInputError("Close reason is \(reason.utf8.count) bytes; at most \(CloseFrame.maxReasonLength) fit a Close frame.")
        }
        self.init(code: UInt16(code), reason: reason)
    }
}
