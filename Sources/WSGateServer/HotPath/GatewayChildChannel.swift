import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Each accepted HTTP/1 connection: Hummingbird's pipeline with ``HotPathHandler`` in it, and
/// Hummingbird's async channel and request loop made only once the connection asks Hummingbird
/// something.
///
/// Most connections carry nothing but connects, sends and an event stream, all served on the
/// event loop by ``HotPathHandler``. Hummingbird's own child channel would give every one of
/// them an async channel and a request loop waiting on it, about a tenth of the gateway's CPU
/// per connection setup.
struct GatewayChildChannel: ServerChildChannel {
    typealias AsyncHTTPChannel = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    /// A connection, and its async channel once its first request for Hummingbird arrived.
    struct Value: ServerChildChannelValue {
        /// The accepted connection.
        let channel: any Channel
        /// Succeeds with the async channel, or with `nil` when the connection closes before.
        let handedOff: EventLoopFuture<AsyncHTTPChannel?>
    }

    /// Hummingbird's own child channel, whose configuration and request loop this one uses.
    let hummingbird: HTTP1Channel
    /// Makes each connection's own ``HotPathHandler``.
    let makeHotPathHandler: @Sendable () -> HotPathHandler

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let decoder = self.hummingbird.configuration.httpDecoder
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldSize = decoder.maxHeaderFieldSize
            limits.maxHeaderListSize = decoder.maxHeaderListSize
            limits.maxHeaderFieldCount = decoder.maxHeaderFieldCount
            // As Hummingbird's HTTP1Channel sets it up.
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withPipeliningAssistance: false,
                withErrorHandling: false,
                withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: limits
            )
            let handOff = HummingbirdHandOff(promise: channel.eventLoop.makePromise())
            try channel.pipeline.syncOperations.addHandlers([
                HTTP1ToHTTPServerCodec(secure: false),
                self.makeHotPathHandler(),
                HTTPConnectionStateHandler(idleTimeout: self.hummingbird.configuration.idleTimeout.map { .init($0) }, logger: logger),
                handOff,
            ])
            return Value(channel: channel, handedOff: handOff.promise.futureResult)
        }
    }

    func handle(value: Value, logger: Logger) async {
        guard let asyncChannel = try? await value.handedOff.get() else { return }
        await self.hummingbird.handle(value: asyncChannel, logger: logger)
    }
}
