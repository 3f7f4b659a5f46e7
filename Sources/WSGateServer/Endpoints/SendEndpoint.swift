import NIOCore
import WSGateCore

/// `POST /connections/<id>/send`: the Tauri plugin's `send(message)`.
extension APIEndpoints {
    func send(_ request: APIRequest) throws -> EventLoopFuture<APIResponse> {
        let connection = try self.connection(request)
        let messages = try SendRequest.messages(in: request.body, mediaType: request.mediaType ?? "")
        return connection.send(messages).map { .noContent }
    }
}

/// The messages of a send's body, read according to its `Content-Type`.
enum SendRequest {
    /// The media types a send accepts.
    static let mediaTypes = ["application/json", "text/plain", "application/octet-stream", "application/x-ndjson"]

    /// Reads the messages in `body` of media type `mediaType`, which must be one of ``mediaTypes``.
    static func messages(in body: ByteBuffer, mediaType: String) throws -> [Message] {
        switch mediaType {
        case "text/plain":
            guard let text = body.validatedUTF8String() else {
                throw APIError.invalidMessage("A text/plain body must be valid UTF-8.")
            }
            return [.text(text)]
        case "application/octet-stream":
            return [.binary(body)]
        case "application/x-ndjson":
            let lines = body.readableBytesView.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            let messages = try lines.enumerated().compactMap { index, line -> Message? in
                let json = ByteBuffer(bytes: line)
                guard json.readableBytesView.contains(where: { !Self.isWhitespace($0) }) else { return nil }
                return try self.message(from: json, line: index + 1)
            }
            guard !messages.isEmpty else { throw APIError.invalidMessage("The ndjson body holds no message.") }
            return messages
        default:
            return [try self.message(from: body, line: nil)]
        }
    }

    private static func message(from json: ByteBuffer, line: Int?) throws -> Message {
        let location = line.map { " (line \($0))" } ?? ""
        let value = try JSONValue.parse(json) { APIError.invalidMessage("The message is not valid JSON\(location): \($0).") }
        do {
            return try Message(json: value)
        } catch {
            throw APIError.invalidMessage(error.description + location)
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }
}
