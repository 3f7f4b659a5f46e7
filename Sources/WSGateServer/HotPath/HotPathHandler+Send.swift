import HTTPTypes
import NIOCore
import NIOHTTPTypes
import WSGateCore

/// `POST /connections/<id>/send`: the Tauri plugin's `send(message)`.
extension HotPathHandler {
    func serveSend(_ pending: PendingRequest, connection: Connection, origin: String?, context: ChannelHandlerContext) throws {
        let contentType = pending.head.headerFields[.contentType]
        guard let mediaType = HTTPFields.mediaType(of: contentType), SendRequest.mediaTypes.contains(mediaType) else {
            throw APIError.unsupportedMediaType(contentType, accepted: SendRequest.mediaTypes)
        }
        guard !pending.isTooLarge else {
            throw APIError.tooLarge(limit: self.maxRequestBodySize)
        }
        let messages = try SendRequest.messages(in: pending.body, mediaType: mediaType)
        // Requests that arrive meanwhile wait: their responses must follow this one.
        self.state = .awaitingOutcome
        connection.send(messages).hop(to: context.eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success: self.answer(Self.noContent, body: nil, origin: origin, context: context)
            case .failure(let error): self.answer(error, origin: origin, context: context)
            }
        }
    }
}
