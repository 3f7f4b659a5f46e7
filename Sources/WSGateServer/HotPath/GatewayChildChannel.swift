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
///
/// The request loop of a connection that is handed off runs in a task of its own rather than
/// in the server's task for the connection, which ends at once. A task waiting in the server's
/// task group for every open connection made closing many of them quadratic: the Swift runtime
/// finds a finished child task by walking the group's list of children. Graceful shutdown does
/// not need that task: the server waits for every connection to close, and each closes on
/// Hummingbird's quiesce event once its request is answered.
struct GatewayChildChannel: ServerChildChannel {
    typealias AsyncHTTPChannel = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    /// An accepted connection.
    struct Value: ServerChildChannelValue {
        /// The accepted connection.
        let channel: any Channel
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
            let handOff = HummingbirdHandOff { asyncChannel in
                await self.hummingbird.handle(value: asyncChannel, logger: logger)
            }
            try channel.pipeline.syncOperations.addHandlers([
                HTTP1ToHTTPServerCodec(secure: false),
                self.makeHotPathHandler(),
                HTTPConnectionStateHandler(idleTimeout: self.hummingbird.configuration.idleTimeout.map { .init($0) }, logger: logger),
                handOff,
            ])
            return Value(channel: channel)
        }
    }

    /// Nothing to do: ``HotPathHandler`` serves the connection, and ``HummingbirdHandOff``
    /// starts Hummingbird's request loop when the connection needs it.
    func handle(value: Value, logger: Logger) async {}
}
