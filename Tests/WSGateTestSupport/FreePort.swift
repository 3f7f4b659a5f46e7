import NIOCore
import NIOPosix

/// A loopback TCP port free now: bound, read and released, for a program that must be told its
/// port before it starts.
public func freeLoopbackPort() async throws -> Int {
    let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
    let port = probe.localAddress?.port ?? 0
    try await probe.close()
    return port
}
