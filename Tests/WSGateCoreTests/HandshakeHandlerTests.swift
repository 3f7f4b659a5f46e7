import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing
@testable import WSGateCore
import WSGateTestSupport

/// The handshake handler never leaves its promise pending, whose callbacks would keep the
/// channel alive: every failed connect leaked 1.9 KiB that way.
struct HandshakeHandlerTests {
    @Test func aHandlerRemovedFromAChannelThatNeverBecameActiveFailsTheHandshake() throws {
        // A failed connect closes its channel without a channelInactive: the pipeline's
        // handlers are just removed. (An EmbeddedChannel's close would send one.)
        let channel = EmbeddedChannel()
        let agreement = channel.eventLoop.makePromise(of: HandshakeHandler.Agreement.self)
        let outcome = NIOLockedValueBox<Result<HandshakeHandler.Agreement, any Error>?>(nil)
        agreement.futureResult.whenComplete { result in outcome.withLockedValue { $0 = result } }
        let handler = HandshakeHandler(
            url: try WebSocketURL("ws://127.0.0.1:1/"), config: ConnectionConfig(),
            makeWebSocketHandlers: { _ in [] }, promise: agreement
        )
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.pipeline.syncOperations.removeHandler(handler).wait()
        guard case .failure(let error)? = outcome.withLockedValue({ $0 }) else { throw TestFailure("the handshake is still pending") }
        // Not a reason of its own: what ended the channel (a refused connect) reports that.
        #expect(error is HandshakeHandler.RemovedBeforeAnswer)
    }
}
