import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A bare TCP connection to the gateway, for requests a normal client would not send, such as
/// pipelined ones. What arrives is collected as text.
public final class RawConnection: Sendable {
    private let channel: Channel
    private let received: AsyncStream<String>
    private let counter = ByteCounter()

    /// How many bytes have arrived so far, read or not.
    public var bytesReceived: Int { self.counter.count.withLockedValue { $0 } }

    /// Connects to 127.0.0.1:`port`.
    public init(port: Int) async throws {
        let (received, continuation) = AsyncStream.makeStream(of: String.self)
        self.received = received
        let counter = self.counter
        self.channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(counter, TextDecoder(), StreamingHandler(continuation: continuation))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
    }

    /// Writes `text` as it is.
    public func send(_ text: String) async throws {
        try await self.channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// Reads until the text received so far contains `marker`, and returns all of it.
    public func read(until marker: String) async throws -> String {
        var text = ""
        var iterator = self.received.makeAsyncIterator()
        while !text.contains(marker) {
            guard let chunk = await iterator.next() else { throw TestFailure("The connection ended before \"\(marker)\": \(text)") }
            text += chunk
        }
        return text
    }

    /// Reads until the gateway closes the connection, and returns all that arrived.
    public func readToEnd() async -> String {
        var text = ""
        for await chunk in self.received { text += chunk }
        return text
    }

    /// Closes the connection.
    public func close() {
        self.channel.close(promise: nil)
    }
}

/// Counts the bytes a channel reads and passes them on.
private final class ByteCounter: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let count = NIOLockedValueBox(0)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.count.withLockedValue { $0 += self.unwrapInboundIn(data).readableBytes }
        context.fireChannelRead(data)
    }
}

/// Turns the bytes read into text on the event loop: a read buffer handed to another thread races
/// with NIO's reuse of its storage for the next read (ThreadSanitizer saw it).
private final class TextDecoder: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = String

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(self.wrapInboundOut(String(buffer: self.unwrapInboundIn(data))))
    }
}
