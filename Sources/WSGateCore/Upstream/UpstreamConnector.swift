import NIOConcurrencyHelpers
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

    /// Connects to `url`, through `proxy` if given, under the egress policy, within the
    /// config's connect timeout; fails with an ``UpstreamConnectError``.
    static func connect(
        to url: WebSocketURL,
        config: ConnectionConfig,
        proxy: HTTPProxy?,
        egress: EgressPolicy,
        closeTimeout: TimeAmount,
        observer: any SessionObserver,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<Established> {
        let timeout = TimeAmount.milliseconds(Int64(config.connectTimeoutMilliseconds))
        let handshake = eventLoop.makePromise(of: Established.self)
        // Whether the proxy's tunnel is open, to tell a silent proxy from a silent upstream.
        let isTunnelOpen = proxy.map { _ in NIOLockedValueBox(false) }
        let deadline = eventLoop.scheduleTask(in: timeout) {
            let milliseconds = config.connectTimeoutMilliseconds
            if let proxy, isTunnelOpen?.withLockedValue({ $0 }) == false {
                handshake.fail(UpstreamConnectError.proxyTimedOut(proxy: "\(proxy)", milliseconds: milliseconds))
            } else {
                handshake.fail(UpstreamConnectError.timedOut(milliseconds: milliseconds))
            }
        }
        let readBuffer = config.readBufferSize
        let tlsContext: NIOSSLContext?
        do {
            tlsContext = url.isSecure ? try Self.tlsContext(for: config.tls) : nil
        } catch {
            deadline.cancel()
            return eventLoop.makeFailedFuture(UpstreamConnectError.tlsFailed(error.description))
        }
        // A bootstrap is not Sendable: each attempt, possibly after resolving on another thread,
        // makes its own; `tunnelTarget` is what to ask the proxy for.
        let makeBootstrap: @Sendable (_ tunnelTarget: String?) -> ClientBootstrap = { tunnelTarget in
            // TCP_NODELAY is a ClientBootstrap's default. Options given to the bootstrap are
            // applied through a chain of futures; the initializer sets its own synchronously.
            ClientBootstrap(group: eventLoop)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.syncOptions?.setOption(
                            .recvAllocator, value: AdaptiveRecvByteBufferAllocator.quietConnection(maximum: readBuffer)
                        )
                        if let proxy, let tunnelTarget {
                            let tunnel = ProxyTunnelHandler(
                                proxy: proxy, target: tunnelTarget, opened: { isTunnelOpen?.withLockedValue { $0 = true } },
                                failure: { handshake.fail($0) }
                            )
                            try channel.pipeline.syncOperations.addHandler(tunnel)
                        }
                        try Self.addHandlers(
                            to: channel, url: url, config: config, tlsContext: tlsContext, closeTimeout: closeTimeout,
                            observer: observer, handshake: handshake
                        )
                    }
                }
        }
        let connected: EventLoopFuture<any Channel>
        if let proxy {
            connected = Self.tunnelTarget(for: url, egress: egress, on: eventLoop).flatMap { target in
                Self.connect(to: proxy, egress: egress, on: eventLoop) { makeBootstrap(target) }
            }
        } else {
            connected = Self.connect(to: url, egress: egress, on: eventLoop) { makeBootstrap(nil) }
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

    /// Opens TCP to `url`'s host under the egress policy.
    private static func connect(
        to url: WebSocketURL, egress: EgressPolicy, on eventLoop: any EventLoop, _ makeBootstrap: @escaping @Sendable () -> ClientBootstrap
    ) -> EventLoopFuture<any Channel> {
        switch Self.route(to: url, egress: egress) {
        case .addresses(let addresses):
            return Self.connect(makeBootstrap, toFirstOf: addresses, eventLoop: eventLoop)
        case .name:
            return makeBootstrap().connect(host: url.host, port: url.port)
        case .refused(let reason):
            return eventLoop.makeFailedFuture(UpstreamConnectError.forbidden(reason))
        case .resolveAndCheck:
            return Self.allowedAddresses(of: url, egress: egress, on: eventLoop).flatMap { addresses in
                Self.connect(makeBootstrap, toFirstOf: addresses, eventLoop: eventLoop)
            }
        }
    }

    /// Opens TCP to `proxy`, which the egress policy checks as it would a `ws://` upstream at its
    /// host and port.
    private static func connect(
        to proxy: HTTPProxy, egress: EgressPolicy, on eventLoop: any EventLoop, _ makeBootstrap: @escaping @Sendable () -> ClientBootstrap
    ) -> EventLoopFuture<any Channel> {
        guard let asUpstream = try? WebSocketURL("ws://\(Self.authority(host: proxy.host, port: proxy.port))/") else {
            return eventLoop.makeFailedFuture(UpstreamConnectError.proxyFailed(proxy: "\(proxy)", "Its address is not valid."))
        }
        return Self.connect(to: asUpstream, egress: egress, on: eventLoop, makeBootstrap).flatMapErrorThrowing { error in
            if case .forbidden? = error as? UpstreamConnectError { throw error }
            throw UpstreamConnectError.proxyFailed(proxy: "\(proxy)", "\(error)")
        }
    }

    /// The `host:port` to ask the proxy for: the URL's own, or, when the egress policy checks
    /// addresses, the first allowed address the name resolves to here, so that the proxy cannot
    /// resolve it to another.
    private static func tunnelTarget(for url: WebSocketURL, egress: EgressPolicy, on eventLoop: any EventLoop) -> EventLoopFuture<String> {
        switch Self.route(to: url, egress: egress) {
        case .addresses, .name:
            return eventLoop.makeSucceededFuture(Self.authority(host: url.host, port: url.port))
        case .refused(let reason):
            return eventLoop.makeFailedFuture(UpstreamConnectError.forbidden(reason))
        case .resolveAndCheck:
            return Self.allowedAddresses(of: url, egress: egress, on: eventLoop).map { addresses in
                Self.authority(host: addresses.first?.ipAddress ?? url.host, port: url.port)
            }
        }
    }

    /// `host:port`, with an IPv6 address in brackets.
    private static func authority(host: String, port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
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
        let agreement = channel.eventLoop.makePromise(of: HandshakeHandler.Agreement.self)
        let session = NIOLoopBoundBox<WebSocketSession?>(nil, eventLoop: channel.eventLoop)
        let handshakeHandler = HandshakeHandler(
            url: url,
            config: config,
            makeWebSocketHandlers: { agreement in
                let made = try WebSocketSession(
                    config: config, deflate: agreement.deflate, closeTimeout: closeTimeout, observer: observer
                )
                session.value = made
                return [WebSocketFrameEncoder(), made]
            },
            promise: agreement
        )
        try pipeline.addHandler(handshakeHandler)
        agreement.futureResult.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let agreement):
                guard let made = session.value else { return handshake.fail(UpstreamConnectError.handshakeFailed(status: 101, "No session.")) }
                handshake.succeed(
                    Established(channel: channel, session: NIOLoopBound(made, eventLoop: channel.eventLoop), subprotocol: agreement.subprotocol)
                )
            case .failure(let error):
                // What removed the handler reports its own reason (a refused connect: connectFailed).
                if !(error is HandshakeHandler.RemovedBeforeAnswer) { handshake.fail(error) }
            }
        }
    }
}
