#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// The server's end of one upstream connection, as a test script drives it.
public final class UpstreamPeer: Sendable {
    /// The handshake request the gateway sent.
    public let request: HTTPRequestHead
    let handler: StreamingHandler<WebSocketFrame>
    private let channel: Channel
    private let frames: AsyncStream<WebSocketFrame>
    private let closeAnswerer: NIOLoopBound<CloseAnswerer>

    /// Made on the channel's event loop, which adds `handlers` to the pipeline.
    init(channel: Channel, request: HTTPRequestHead) {
        self.channel = channel
        self.request = request
        let (frames, continuation) = AsyncStream.makeStream(of: WebSocketFrame.self)
        self.frames = frames
        self.handler = StreamingHandler(continuation: continuation)
        self.closeAnswerer = NIOLoopBound(CloseAnswerer(), eventLoop: channel.eventLoop)
    }

    /// The handlers that read the gateway's frames, in pipeline order; call on the event loop.
    var handlers: [any ChannelHandler] { [self.closeAnswerer.value, self.handler] }

    /// From now on, the gateway's Close is answered with this one at once, on the event loop,
    /// as a real server answers it: a test task on a loaded machine might answer later than the
    /// gateway waits. ``sendTexts(_:)`` writes nothing once the answer is out.
    public func answerClose(code: UInt16, reason: String) async throws {
        var payload = ByteBuffer()
        payload.writeInteger(code)
        payload.writeString(reason)
        let answer = WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)
        let closeAnswerer = self.closeAnswerer
        try await self.channel.eventLoop.submit { closeAnswerer.value.state = .answering(answer) }.get()
    }

    /// Sends one frame (unmasked, as a server does).
    public func send(_ frame: WebSocketFrame) async throws {
        try await self.channel.writeAndFlush(frame)
    }

    /// Sends a complete message.
    public func send(_ opcode: WebSocketOpcode, _ bytes: [UInt8], fin: Bool = true) async throws {
        try await self.send(WebSocketFrame(fin: fin, opcode: opcode, data: ByteBuffer(bytes: bytes)))
    }

    /// Sends a Text message.
    public func sendText(_ text: String) async throws {
        try await self.send(.text, Array(text.utf8))
    }

    /// Sends Text messages back to back, flushed once; returns once the last is written to the
    /// socket, which takes as long as the gateway takes to read what does not fit in between.
    /// Returns how many it sent: all, or none once ``answerClose(code:reason:)`` has answered.
    @discardableResult
    public func sendTexts(_ texts: [String]) async throws -> Int {
        let channel = self.channel
        let closeAnswerer = self.closeAnswerer
        return try await channel.eventLoop.flatSubmit {
            guard !texts.isEmpty, !closeAnswerer.value.hasAnswered else { return channel.eventLoop.makeSucceededFuture(0) }
            let last = channel.eventLoop.makePromise(of: Void.self)
            for (index, text) in texts.enumerated() {
                let frame = WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text))
                channel.write(frame, promise: index == texts.count - 1 ? last : nil)
            }
            channel.flush()
            return last.futureResult.map { texts.count }
        }.get()
    }

    /// Sends a Close frame with `code` and `reason`, or an empty one for a `nil` code.
    public func sendClose(code: UInt16?, reason: String = "") async throws {
        var payload = ByteBuffer()
        if let code {
            payload.writeInteger(code)
            payload.writeString(reason)
        }
        try await self.send(WebSocketFrame(fin: true, opcode: .connectionClose, data: payload))
    }

    /// Writes bytes as they are, under the frame encoder: for frames no encoder would make.
    public func sendRaw(_ bytes: [UInt8]) async throws {
        let buffer = ByteBuffer(bytes: bytes)
        let channel = self.channel
        try await channel.eventLoop.flatSubmit {
            do {
                let context = try channel.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)
                return context.writeAndFlush(NIOAny(buffer))
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
        }.get()
    }

    /// The next frame from the gateway with its payload unmasked, or `nil` once the connection ended.
    public func receive() async -> WebSocketFrame? {
        // Every iterator of an AsyncStream draws from the same buffer; calls are never concurrent here.
        var iterator = self.frames.makeAsyncIterator()
        let frame = await iterator.next()
        return frame.map { frame in
            WebSocketFrame(fin: frame.fin, rsv1: frame.rsv1, opcode: frame.opcode, data: frame.unmaskedData)
        }
    }

    /// The next frame that is not a Pong or Ping.
    public func receiveDataOrClose() async -> WebSocketFrame? {
        while let frame = await self.receive() {
            if frame.opcode != .pong && frame.opcode != .ping { return frame }
        }
        return nil
    }

    /// Waits until the gateway closes the TCP connection.
    public func waitForDisconnect() async {
        while await self.receive() != nil {}
    }

    /// Stops reading from the socket, so that the gateway's writes back up.
    public func stopReading() async throws {
        try await self.channel.setOption(.autoRead, value: false).get()
    }

    /// Closes the TCP connection without a closing handshake.
    public func disconnect() async {
        try? await self.channel.close()
    }

    /// Resets the TCP connection: the kernel sends RST, not FIN (`SO_LINGER` of 0).
    public func reset() async throws {
        guard let socket = self.channel as? any SocketOptionProvider else { throw TestFailure("The channel has no socket options.") }
        try await socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        try await self.channel.close()
    }

    /// Ends the server's half of the TCP connection (FIN) and keeps reading.
    public func closeOutput() async throws {
        try await self.channel.close(mode: .output)
    }
}

/// Answers the gateway's Close on the event loop once a test has given it the answer.
final class CloseAnswerer: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    enum State {
        case idle
        case answering(WebSocketFrame)
        case answered
    }

    var state = State.idle

    var hasAnswered: Bool {
        if case .answered = self.state { return true }
        return false
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .answering(let answer) = self.state, self.unwrapInboundIn(data).opcode == .connectionClose {
            self.state = .answered
            context.writeAndFlush(self.wrapOutboundOut(answer), promise: nil)
        }
        context.fireChannelRead(data)
    }
}
