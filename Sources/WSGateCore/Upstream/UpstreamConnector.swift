import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import NIOWebSocket

/// Opens upstream WebSocket connections: TCP (with `TCP_NODELAY`), TLS for `wss` with the
/// system trust store and SNI, and the opening handshake, all within the connect timeout.
enum UpstreamConnector {
    /// An open upstream connection, its handshake done.
    struct Established: Sendable {
        var channel: Channel
        var session: NIOLoopBound<WebSocketSession>
        var subprotocol: String?
    }

    /// One TLS context for every `wss` connection with the default options: building one loads
    /// the trust store.
    private static let defaultTLSContext = Result {
        try NIOSSLContext(configuration: .makeClientConfiguration())
    }

    /// The TLS context for `options`: the shared one, or one of their own.
    private static func tlsContext(for options: TLSOptions) throws(TLSMaterialError) -> NIOSSLContext {
        guard options.isDefault else { return try options.makeContext() }
        do {
            return try Self.defaultTLSContext.get()
        } catch {
            throw TLSMaterialError(description: "The system's trust store cannot be loaded: \(error)")
        }
    }

    static func connect(
        to url: WebSocketURL,
        config: ConnectionConfig,
        egress: EgressPolicy,
        closeTimeout: TimeAmount,
        observer: any SessionObserver,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<Established> {
        let timeout = TimeAmount.milliseconds(Int64(config.connectTimeoutMilliseconds))
        let handshake = eventLoop.makePromise(of: Established.self)
        let deadline = eventLoop.scheduleTask(in: timeout) {
            handshake.fail(UpstreamConnectError.timedOut(milliseconds: config.connectTimeoutMilliseconds))
        }
        let readBuffer = config.readBufferSize
        let tlsContext: NIOSSLContext?
        do {
            tlsContext = url.isSecure ? try Self.tlsContext(for: config.tls) : nil
        } catch {
            deadline.cancel()
            return eventLoop.makeFailedFuture(UpstreamConnectError.tlsFailed(error.description))
        }
        // A bootstrap is not Sendable: each attempt, possibly after resolving on another thread, makes its own.
        let makeBootstrap: @Sendable () -> ClientBootstrap = {
            ClientBootstrap(group: eventLoop)
                .connectTimeout(timeout)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .channelOption(
                    .recvAllocator,
                    // Starts small and grows with the traffic: NIO keeps each channel's last receive
                    // buffer for its next read, and most bridged connections are quiet.
                    value: AdaptiveRecvByteBufferAllocator(
                        minimum: min(64, readBuffer), initial: min(512, readBuffer), maximum: readBuffer
                    )
                )
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try Self.addHandlers(
                            to: channel, url: url, config: config, tlsContext: tlsContext, closeTimeout: closeTimeout,
                            observer: observer, handshake: handshake
                        )
                    }
                }
        }
        let connected: EventLoopFuture<any Channel>
        switch Self.route(to: url, egress: egress) {
        case .addresses(let addresses):
            connected = Self.connect(makeBootstrap, toFirstOf: addresses, eventLoop: eventLoop)
        case .name:
            connected = makeBootstrap().connect(host: url.host, port: url.port)
        case .refused(let reason):
            connected = eventLoop.makeFailedFuture(UpstreamConnectError.forbidden(reason))
        case .resolveAndCheck:
            connected = Self.allowedAddresses(of: url, egress: egress, on: eventLoop).flatMap { addresses in
                Self.connect(makeBootstrap, toFirstOf: addresses, eventLoop: eventLoop)
            }
        }
        connected.whenComplete { result in
            switch result {
            case .success(let channel):
                handshake.futureResult.whenFailure { _ in channel.close(promise: nil) }
            case .failure(let error):
                handshake.fail((error as? UpstreamConnectError) ?? .connectFailed("\(error)"))
            }
        }
        return handshake.futureResult.always { _ in deadline.cancel() }.flatMapErrorThrowing { error in
            throw (error as? UpstreamConnectError) ?? .connectFailed("\(error)")
        }
    }

    /// How to reach an upstream under the egress policy.
    private enum Route {
        /// Connect to these addresses, in order.
        case addresses([SocketAddress])
        /// Let NIO resolve the name and connect (trying IPv6 and IPv4 side by side): no rule needs the addresses.
        case name
        /// The policy refuses the upstream, for this reason.
        case refused(String)
        /// Resolve the name, then connect to the addresses the policy allows.
        case resolveAndCheck
    }

    private static func route(to url: WebSocketURL, egress: EgressPolicy) -> Route {
        // An IP address needs no resolver: getaddrinfo runs on a thread pool and costs a hop.
        if let address = try? SocketAddress(ipAddress: url.host, port: url.port) {
            return egress.refusal(of: url, at: address).map(Route.refused) ?? .addresses([address])
        }
        if egress.checksAddresses { return .resolveAndCheck }
        return egress.refusal(of: url, at: nil).map(Route.refused) ?? .name
    }

    /// The addresses `url`'s host resolves to that the egress policy allows, in the resolver's
    /// order. Fails with ``UpstreamConnectError/forbidden(_:)`` when it allows none.
    private static func allowedAddresses(
        of url: WebSocketURL, egress: EgressPolicy, on eventLoop: any EventLoop
    ) -> EventLoopFuture<[SocketAddress]> {
        HostResolver.addresses(of: url.host, port: url.port, on: eventLoop).flatMapThrowing { addresses in
            let refusals = addresses.map { egress.refusal(of: url, at: $0) }
            let allowed = zip(addresses, refusals).filter { $0.1 == nil }.map(\.0)
            guard !allowed.isEmpty else {
                throw UpstreamConnectError.forbidden(refusals.lazy.compactMap { $0 }.first ?? "\(url.host) resolves to no address.")
            }
            return allowed
        }
    }

    /// Connects to the first of `addresses` that accepts.
    private static func connect(
        _ makeBootstrap: @escaping @Sendable () -> ClientBootstrap, toFirstOf addresses: [SocketAddress], eventLoop: any EventLoop
    ) -> EventLoopFuture<any Channel> {
        guard let first = addresses.first else {
            return eventLoop.makeFailedFuture(UpstreamConnectError.connectFailed("No address to connect to."))
        }
        let rest = Array(addresses.dropFirst())
        return makeBootstrap().connect(to: first).flatMapError { error in
            rest.isEmpty ? eventLoop.makeFailedFuture(error) : Self.connect(makeBootstrap, toFirstOf: rest, eventLoop: eventLoop)
        }
    }

    private static func addHandlers(
        to channel: Channel,
        url: WebSocketURL,
        config: ConnectionConfig,
        tlsContext: NIOSSLContext?,
        closeTimeout: TimeAmount,
        observer: any SessionObserver,
        handshake: EventLoopPromise<Established>
    ) throws {
        let pipeline = channel.pipeline.syncOperations
        if let tlsContext {
            // SNI and the name verified: the configured one, else the URL's host unless it is an address.
            let serverName = config.tls.serverName ?? (url.isIPAddress ? nil : url.host)
            let tlsHandler = try NIOSSLClientHandler(context: tlsContext, serverHostname: serverName)
            try pipeline.addHandler(tlsHandler)
            try pipeline.addHandler(TLSFailureHandler(handshake: handshake, serverName: serverName ?? url.host))
        }
        let requestEncoder = HTTPRequestEncoder()
        let responseDecoder = ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes))
        let agreement = channel.eventLoop.makePromise(of: HandshakeHandler.Agreement.self)
        let session = NIOLoopBoundBox<WebSocketSession?>(nil, eventLoop: channel.eventLoop)
        let handshakeHandler = HandshakeHandler(
            url: url,
            config: config,
            httpHandlers: [requestEncoder, responseDecoder],
            makeWebSocketHandlers: { agreement in
                let made = try WebSocketSession(
                    config: config, deflate: agreement.deflate, closeTimeout: closeTimeout, observer: observer
                )
                session.value = made
                return [WebSocketFrameEncoder(), made]
            },
            promise: agreement
        )
        try pipeline.addHandlers(requestEncoder, responseDecoder, handshakeHandler)
        agreement.futureResult.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let agreement):
                guard let made = session.value else { return handshake.fail(UpstreamConnectError.handshakeFailed(status: 101, "No session.")) }
                handshake.succeed(
                    Established(channel: channel, session: NIOLoopBound(made, eventLoop: channel.eventLoop), subprotocol: agreement.subprotocol)
                )
            case .failure(let error):
                handshake.fail(error)
            }
        }
    }
}
