import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A Unix datagram socket standing in for systemd's `$NOTIFY_SOCKET`: it collects every
/// sd_notify message a process sends. (NIO's datagram channel cannot take datagrams from the
/// unbound sockets sd_notify uses, so this one is plain POSIX.)
public final class NotifySocket: Sendable {
    /// The socket's path, for `NOTIFY_SOCKET`.
    public let path: String
    private let descriptor: Int32

    /// Binds a new socket in the temporary directory; a receive waits at most 10 seconds.
    public init() throws {
        self.path = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8))").path
        self.descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard self.descriptor >= 0 else { throw TestFailure("socket() failed: \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(self.path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(self.descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw TestFailure("bind(\(self.path)) failed: \(errno)") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(self.descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The next message received.
    public func next() async throws -> String {
        let descriptor = self.descriptor
        let message: String? = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = recv(descriptor, &buffer, buffer.count, 0)
                continuation.resume(returning: count < 0 ? nil : String(decoding: buffer[0..<count], as: UTF8.self))
            }
        }
        guard let message else { throw TestFailure("No notification within 10 seconds.") }
        return message
    }

    /// Closes and removes the socket.
    public func close() {
        _ = Glibc.close(self.descriptor)
        try? FileManager.default.removeItem(atPath: self.path)
    }
}
